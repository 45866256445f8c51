/**
 * <Stage>Fallback (Lambda): runs when a GPU stage failed, timed out or missed its
 * heartbeat. Walks the stage's fallback chain from the registry in order. `local:` runs
 * a second registry model in a fresh worker process, under the same timeout and heartbeat
 * rules as the primary. `bedrock:` and `openrouter:` are the hosted providers (issue #6):
 * until they are wired in, they are skipped with the reason recorded, never faked.
 */
import { NoProviderAvailableError } from "../core/errors.ts";
import { stageEnvFromState } from "../core/stage-input.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import type { StageMetrics } from "../core/stage-report.ts";
import { spawnWorker } from "../containers/llama-worker/spawn.ts";
import { loadRegistry, splitRef, stageEntry } from "../workflows/registry.ts";
import { isGpuStage } from "../workflows/state-names.ts";

export interface FallbackEvent {
  stage: string;
  state: PipelineState;
  failure: { Error: string; Cause?: string };
  executionName: string;
}

export async function generateFallback(event: FallbackEvent): Promise<StageMetrics> {
  const { stage, state, failure } = event;
  if (!isGpuStage(stage)) throw new NoProviderAvailableError(`fallback called for ${stage}, which is not a GPU stage`, { state: stage });
  const registry = loadRegistry();
  const entry = stageEntry(registry, stage);
  const attempts: string[] = [];
  for (const ref of entry.fallback) {
    const [provider, id] = splitRef(ref);
    if (provider !== "local") {
      attempts.push(`${ref}: provider not available in this build`);
      continue;
    }
    try {
      const metrics = await spawnWorker({
        stage,
        env: { ...stageEnvFromState(stage, state), AFFIANT_MODEL: id, AFFIANT_FALLBACK_REASON: failure.Error },
        timeoutSeconds: entry.fallbackTimeoutSeconds ?? entry.timeoutSeconds,
        heartbeatSeconds: entry.heartbeatSeconds,
      });
      log("info", "fallback.done", { stage, execution: event.executionName, provider, model: id, reason: failure.Error });
      return { ...metrics, fallbackReason: failure.Error };
    } catch (err) {
      const name = (err as Error).name;
      attempts.push(`${ref}: ${name}`);
      log("warn", "fallback.failed", { stage, execution: event.executionName, provider, model: id, error: name });
    }
  }
  throw new NoProviderAvailableError(`${stage}: every fallback failed after ${failure.Error} (${attempts.join("; ")})`, { state: stage });
}

export const handler = async (event: FallbackEvent): Promise<StageMetrics> => generateFallback(event);
