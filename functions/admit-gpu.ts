/**
 * <Stage>Admit (Lambda): asks the circuit breaker before a GPU stage's task is placed, so
 * a model whose recent runs stalled, timed out or crashed costs no g5 task at all: its
 * state goes straight to the fallback with Affiant.CircuitOpen. After the cooldown exactly
 * one execution wins the probe (a conditional write); the others still fall back.
 */

import { admitOrRefuse } from "../core/breaker.ts";
import { InvalidInputError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { loadRegistry, stageEntry } from "../core/registry.ts";
import { defaultBreaker, openRoutingStore } from "../core/routing-store.ts";
import { isGpuStage } from "../core/state-names.ts";
import { withTelemetry } from "../core/telemetry.ts";

export interface AdmitEvent {
  /** The GPU stage about to be placed. */
  admit: string;
  executionName?: string;
}

export async function admitGpuStage(event: AdmitEvent): Promise<{ model: string; probe: boolean }> {
  const stage = event?.admit;
  if (typeof stage !== "string" || !isGpuStage(stage))
    throw new InvalidInputError(`admit: ${JSON.stringify(stage ?? null)} is not a GPU stage`);
  const registry = loadRegistry();
  const model = stageEntry(registry, stage).model;
  const store = openRoutingStore();
  try {
    const decision = await admitOrRefuse(store, stage, model, registry.models[model]?.breaker ?? defaultBreaker, (refused) =>
      log("warn", "routing.skipped", {
        execution: event.executionName ?? null,
        stage,
        model,
        failures: refused.health.failures,
        samples: refused.health.samples,
      }),
    );
    if (decision.probe) log("info", "routing.probe", { execution: event.executionName ?? null, stage, model });
    return { model, probe: decision.probe };
  } finally {
    store.dispose();
  }
}

export const handler = withTelemetry("Admit", admitGpuStage);
