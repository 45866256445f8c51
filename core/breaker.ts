/**
 * The one circuit-breaker helper every caller shares (the Admit function before a g5 task is
 * placed, the local engine's Admit state, the fallback's own local entries): what counts
 * against a model, and whether a run may start now.
 */
import type { BreakerPolicy, ModelHealth, RoutingStore } from "./routing-store.ts";

/**
 * Failures that say nothing about the model: the input was too big or bad, the circuit was
 * already open, the execution was stopped, the host could not place it, or the prompt was
 * refused for privacy. Everything else (stall, heartbeat timeout, timeout, crash, runaway,
 * invalid output, unavailable) counts against it.
 */
const notTheModel = new Set([
  "Affiant.ContextTooLarge",
  "Affiant.InvalidInput",
  "Affiant.CircuitOpen",
  "Affiant.ModelDoesNotFit",
  "Affiant.PrivacyViolation",
  "States.Aborted",
]);

export function countsAgainstModel(error: string): boolean {
  return !notTheModel.has(error);
}

export interface Admission {
  admitted: boolean;
  /** This run is the half-open circuit's one probe. */
  probe: boolean;
  health: ModelHealth;
}

/** Closed: run. Open: refuse. Half-open: exactly one caller wins the probe (a conditional write). */
export async function admit(store: RoutingStore, model: string, policy: BreakerPolicy): Promise<Admission> {
  const health = await store.health(model, policy);
  if (health.open) return { admitted: false, probe: false, health };
  if (!health.probeDue) return { admitted: true, probe: false, health };
  const won = await store.claimProbe(model, policy.cooldownSeconds * 1000);
  return { admitted: won, probe: won, health };
}

/** The cause of an Affiant.CircuitOpen, ids and counts only. */
export function circuitOpenReason(model: string, a: Admission): string {
  const h = a.health;
  const why = `circuit open: ${h.failures} of the last ${h.samples} runs of ${model} failed (${h.stalls} stalls)`;
  return h.probeDue ? `${why}; another run is probing it` : why;
}
