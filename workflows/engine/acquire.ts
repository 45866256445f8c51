/**
 * A GPU stage's `<Stage>Acquire` state, run locally: what the acquire Lambda and an ECS task
 * of the model do in AWS. It gets a worker of the stage's model with the model loaded: an
 * idle warm one from the pool, else a new process that loads the model and says so. The
 * wait is the Acquire state's, under its TimeoutSeconds (the registry's acquireSeconds); the
 * worker is then held for the stage's generate state, which has the stage's heartbeat.
 */
import { fork, type ChildProcess } from "node:child_process";
import { StatesError, StatesErrors } from "../../core/errors.ts";
import type { Registry } from "../../core/registry.ts";
import type { GpuStage } from "../../core/state-names.ts";
import type { WorkerMessage } from "../../containers/llama-worker/channel.ts";
import { workerLaunch } from "../../core/child-entry.ts";
import { liveWorkers } from "./worker-spares.ts";
import { reserveWorker, takeWarm, warmEnv, type WarmLimits } from "./warm-pool.ts";

export interface AcquireContext {
  registry: Registry;
  /** Warm model workers' limits; undefined: no warm workers, the stage starts cold as before. */
  warm: WarmLimits | undefined;
  signal: AbortSignal | undefined;
  /** The worker belongs to the execution until its stage answers: killed with it. */
  adopt: (child: ChildProcess) => void;
}

/** What a worker answers the Acquire with (SendTaskSuccess in AWS). */
export interface Acquired {
  workerId: string | null;
  model: string;
  loadMs: number;
  reused: boolean;
}

export async function acquireWorker(ctx: AcquireContext, executionId: string, stage: GpuStage, payload: { faults?: unknown }, timeoutSeconds: number): Promise<Acquired> {
  const model = ctx.registry.stages[stage]!.model;
  // Warm workers off: the generate state starts a fresh process, as a stage did before.
  if (!ctx.warm) return { workerId: null, model, loadMs: 0, reused: false };
  const idle = takeWarm(model);
  if (idle) {
    ctx.adopt(idle.child);
    reserveWorker(executionId, stage, idle);
    return { workerId: String(idle.child.pid), model, loadMs: 0, reused: true };
  }
  const launch = await workerLaunch();
  if (ctx.signal?.aborted) throw new StatesError("States.Aborted", JSON.stringify({ stage, reason: "the execution was stopped before a worker started" }));
  const child = fork(launch.entry, [], {
    execArgv: launch.execArgv,
    env: { ...process.env, ...warmEnv(ctx.warm), AFFIANT_PRELOAD_MODEL: model, AFFIANT_STAGE: stage, AFFIANT_FAULTS: JSON.stringify(payload?.faults ?? {}) },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "json",
  });
  liveWorkers.add(child);
  child.once("exit", () => liveWorkers.delete(child));
  ctx.adopt(child);
  // Drained, never kept: the worker's stderr is not ours to log.
  child.stderr?.resume();
  const loadMs = await new Promise<number>((resolve, reject) => {
    const cause = (reason: string) => JSON.stringify({ stage, model, reason, pid: child.pid });
    const timer = setTimeout(() => done(new StatesError(StatesErrors.Timeout, cause(`no worker with ${model} loaded within the acquire budget (${timeoutSeconds} s)`))), timeoutSeconds * 1000);
    const onAbort = () => done(new StatesError("States.Aborted", cause("the execution was stopped")));
    const onMessage = (m: WorkerMessage) => m?.type === "loaded" && done(null, m.loadMs);
    const onExit = (code: number | null) => done(new StatesError("Affiant.WorkerCrashed", cause(`the worker exited (code ${code}) before its model was loaded`)));
    function done(err: Error | null, ms = 0) {
      clearTimeout(timer);
      ctx.signal?.removeEventListener("abort", onAbort);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (err) {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        reject(err);
      } else resolve(ms);
    }
    ctx.signal?.addEventListener("abort", onAbort);
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
  reserveWorker(executionId, stage, { child, idleMs: 0 });
  return { workerId: String(child.pid), model, loadMs, reused: false };
}
