/**
 * A GPU state, run locally: the worker as a child process under the state's TimeoutSeconds
 * and HeartbeatSeconds (aws-local-stepfunctions enforces neither for a process), its report
 * recorded, and the breaker told of a success. What ECS would do with `runTask`, here.
 */
import type { ChildProcess } from "node:child_process";
import type { Progress } from "../../containers/llama-worker/model-session.ts";
import { recordRun } from "../../core/breaker.ts";
import { InvalidInputError } from "../../core/errors.ts";
import { injectedFault } from "../../core/faults.ts";
import type { Registry } from "../../core/registry.ts";
import type { RoutingStore } from "../../core/routing-store.ts";
import type { StageMetrics } from "../../core/stages/report.ts";
import { isGpuStage } from "../../core/state-names.ts";
import type { AslState } from "../definition.ts";
import type { HistoryDb } from "./history-db.ts";
import type { LocalEngineOptions } from "./local-engine.ts";
import { claimReserved, type WarmLimits } from "./warm-pool.ts";
import { spawnWorker } from "./worker-supervisor.ts";

/** What a GPU task needs of the engine that runs it. */
export interface GpuTaskContext {
  registry: Registry;
  routing: RoutingStore;
  db: HistoryDb;
  taskTokens: LocalEngineOptions["taskTokens"];
  /** Aborted when the execution ends: the worker stops as `States.Aborted`. */
  signal: AbortSignal | undefined;
  /** The worker belongs to the execution: killed with it. */
  adopt: (child: ChildProcess) => void;
  onProgress: (progress: Progress) => void;
  /** The workers' limits (maxTasks 1 with AFFIANT_WARM_WORKERS=0); undefined under task tokens. */
  warm: WarmLimits | undefined;
  /** A worker that stayed warm no longer belongs to the execution: not killed when it ends. */
  release: (child: ChildProcess) => void;
}

export async function runGpuTask(
  ctx: GpuTaskContext,
  executionId: string,
  stateName: string,
  state: AslState,
  input: unknown,
): Promise<StageMetrics> {
  const env = ecsEnvironment(stateName, input);
  const stage = env.AFFIANT_STAGE;
  if (!stage || !isGpuStage(stage))
    throw new InvalidInputError(`${stateName}: container overrides name no GPU stage`, { state: stateName });
  const model = ctx.registry.stages[stage]!.model;
  // The pool is keyed by the model the worker will load: the stage's, or the one named for it.
  const loads = env.AFFIANT_MODEL ?? model;
  // The breaker was asked by the stage's Admit state, before this. A failure is recorded
  // against the model by the fallback (functions/generate-fallback.ts), on both paths;
  // a success here. An injected fault's outcome is the drill's: the breaker hears of neither.
  const drill = injectedFault(stage, env);
  try {
    const metrics = await spawnWorker({
      stage,
      env,
      timeoutSeconds: Number(state.TimeoutSeconds),
      heartbeatSeconds: Number(state.HeartbeatSeconds),
      onSpawn: ctx.adopt,
      signal: ctx.signal,
      taskToken: ctx.taskTokens,
      onProgress: ctx.onProgress,
      warm: ctx.warm ? { ...ctx.warm, model: loads } : undefined,
      // The worker the stage's Acquire state got, model loaded (none under task tokens).
      reserved: claimReserved(executionId, stage),
      onPooled: ctx.release,
    });
    ctx.db.addReport(executionId, stateName, "SUCCEEDED", metrics);
    await recordRun(ctx.routing, model, stage, null, { drill: !!drill });
    // As SendTaskSuccess does: the whole answer; the state's ResultSelector keeps the report.
    return metrics;
  } catch (err) {
    ctx.db.addReport(executionId, stateName, "FAILED", { stage, error: (err as Error).name, cause: (err as Error).message });
    throw err;
  }
}

/** The environment a GPU (activity) state hands its worker, as a plain object. */
export function ecsEnvironment(stateName: string, input: unknown): Record<string, string> {
  const env = (input as { Environment?: Array<{ Name: string; Value: string }> })?.Environment;
  if (!env) throw new InvalidInputError(`${stateName}: the activity input carries no worker environment`, { state: stateName });
  return Object.fromEntries(env.map((e) => [e.Name, String(e.Value)]));
}

/** A GPU stage's generate state: a Step Functions activity of its model. */
export const isGpuStateResource = (resource: unknown): boolean => /^arn:aws:states:[^:]*:[^:]*:activity:/.test(String(resource ?? ""));
