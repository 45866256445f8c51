/**
 * A GPU stage's `<Stage>Acquire` state, run locally: what the acquire Lambda and an ECS task
 * of the model do in AWS. It gets a worker of the stage's model with the model loaded: an
 * idle warm one from the pool, else a new process that loads the model and says so, as the
 * pool policy (core/gpu-pool-policy.ts) decides. The wait is the Acquire state's, under its
 * TimeoutSeconds (the registry's acquireSeconds); the worker is then held for the stage's
 * generate state, which has the stage's heartbeat.
 */
import { type ChildProcess, fork } from "node:child_process";
import type { WorkerMessage } from "../../containers/llama-worker/channel.ts";
import { childEnv } from "../../core/config.ts";
import { StatesError, StatesErrors, WorkerCrashedError } from "../../core/errors.ts";
import { decideAcquire, warmUpStarts } from "../../core/gpu-pool-policy.ts";
import type { Registry } from "../../core/registry.ts";
import type { GpuStage } from "../../core/state-names.ts";
import {
  countWorker,
  idleCount,
  liveWorkers,
  onWorkerFreed,
  poolWarm,
  reserveWorker,
  takeWarm,
  type WarmLimits,
  warmEnv,
  workersOf,
} from "./warm-pool.ts";
import { workerLaunch } from "./worker-launch.ts";

export interface AcquireContext {
  registry: Registry;
  /**
   * The workers' limits (maxTasks 1 with AFFIANT_WARM_WORKERS=0); undefined under task
   * tokens, where the generate state starts its own process, as an ECS task does.
   */
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
  /** The worker was one the WarmUp state started. */
  warmedUp?: boolean;
}

export async function acquireWorker(
  ctx: AcquireContext,
  executionId: string,
  stage: GpuStage,
  payload: { faults?: unknown },
  timeoutSeconds: number,
): Promise<Acquired> {
  const model = ctx.registry.stages[stage]!.model;
  // Under task tokens: the generate state starts the worker that answers with its token.
  if (!ctx.warm) return { workerId: null, model, loadMs: 0, reused: false };
  const got = await loadedWorker({
    limits: ctx.warm,
    poolSize: ctx.registry.workers.poolSize,
    model,
    stage,
    faults: payload?.faults,
    signal: ctx.signal,
    timeoutSeconds,
    adopt: ctx.adopt,
  });
  reserveWorker(executionId, stage, got);
  return { workerId: String(got.child.pid), model, loadMs: got.loadMs, reused: got.reused, ...(got.warmedUp ? { warmedUp: true } : {}) };
}

export interface LoadedWorkerOptions {
  limits: WarmLimits;
  poolSize: number;
  model: string;
  stage: string;
  faults: unknown;
  signal: AbortSignal | undefined;
  /** The wait's budget: past it with the pool still full, States.Timeout naming the pool. */
  timeoutSeconds: number;
  adopt: (child: ChildProcess) => void;
}

/**
 * A worker of `model` with the model loaded, as the pool policy decides: an idle warm one,
 * one WarmUp started, or a new one (waited for until loaded), or a wait for the pool to
 * have room. The Acquire state's work, and the local fallback model's (its load is not
 * charged to its HeartbeatSeconds either).
 */
export async function loadedWorker(
  o: LoadedWorkerOptions,
): Promise<{ child: ChildProcess; idleMs: number; loadMs: number; reused: boolean; warmedUp: boolean }> {
  const { model, stage, timeoutSeconds } = o;
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const decision = decideAcquire(
      { live: workersOf(model), free: idleCount(model) + startingCount(model), waiting: 1, budgetSpent: Date.now() >= deadline },
      { poolSize: o.poolSize },
      model,
    );
    if (decision.kind === "refuse") {
      throw new StatesError(
        StatesErrors.Timeout,
        JSON.stringify({ stage, model, reason: `${decision.reason} (${timeoutSeconds} s)`, poolSize: o.poolSize }),
      );
    }
    if (decision.kind === "wait") {
      await freed(stage, model, o.poolSize, deadline, o.signal);
      continue;
    }
    const idle = decision.kind === "reuse" ? takeWarm(model) : undefined;
    if (idle) {
      const warmedUp = warmUpChildren.delete(idle.child);
      if (warmedUp) warmedUpClaims++;
      o.adopt(idle.child);
      return { ...idle, loadMs: 0, reused: true, warmedUp };
    }
    // One the WarmUp state started for this model, still loading: this Acquire waits for it.
    const starting = decision.kind === "reuse" ? claimStarting(model) : undefined;
    // Free a moment ago, gone now (it exited): look again.
    if (decision.kind === "reuse" && !starting) continue;
    const { child, loaded } = starting ?? (await startWorker(o.limits, model, stage, o.faults, o.signal));
    o.adopt(child);
    const loadMs = await waitLoaded(child, loaded, stage, model, Math.max(0, (deadline - Date.now()) / 1000), timeoutSeconds, o.signal);
    return { child, idleMs: 0, loadMs, reused: false, warmedUp: Boolean(starting) };
  }
}

/**
 * Waits until a warm worker is pooled or exits, or the Acquire's budget is spent (the pool
 * policy then refuses); the execution's stop ends the wait with States.Aborted.
 */
function freed(stage: string, model: string, poolSize: number, deadline: number, signal: AbortSignal | undefined): Promise<void> {
  const cause = (reason: string) => JSON.stringify({ stage, model, reason, poolSize });
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      stop();
      signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve();
    };
    const stop = onWorkerFreed(() => done());
    const timer = setTimeout(() => done(), Math.max(0, deadline - Date.now()));
    const onAbort = () => done(new StatesError("States.Aborted", cause("the execution was stopped")));
    signal?.addEventListener("abort", onAbort);
    if (signal?.aborted) onAbort();
  });
}

/** Workers the WarmUp state started, by model, until an Acquire claims one or it is pooled. */
const startingWorkers = new Map<string, Array<{ child: ChildProcess; loaded: Promise<number> }>>();
/** Workers WarmUp started that have not yet been taken by an Acquire (pooled or loading). */
const warmUpChildren = new WeakSet<ChildProcess>();
let warmedUpClaims = 0;

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** WarmUp's workers of `model` still loading and claimed by no Acquire. */
function startingCount(model: string): number {
  return (startingWorkers.get(model) ?? []).filter((w) => running(w.child)).length;
}

function claimStarting(model: string): { child: ChildProcess; loaded: Promise<number> } | undefined {
  const list = startingWorkers.get(model);
  while (list?.length) {
    const w = list.shift()!;
    if (running(w.child)) {
      warmUpChildren.delete(w.child);
      warmedUpClaims++;
      return w;
    }
  }
  return undefined;
}

/** How many Acquire states took a worker the WarmUp state started (diagnostics and tests). */
export function warmedUpCount(): number {
  return warmedUpClaims;
}

/**
 * The WarmUp state, locally (an Event invoke of the acquire Lambda in AWS): starts the
 * workers the pool policy asks for (one of each model with none idle or starting and room
 * in its pool), and returns at once. A worker that loads before any Acquire wants it goes
 * to the pool; one that fails is only logged by its exit.
 */
export async function warmUp(
  ctx: Pick<AcquireContext, "warm"> & { poolSize: number },
  wanted: Array<{ model: string; stage: string }>,
  faults: unknown,
): Promise<{ started: string[] }> {
  const limits = ctx.warm;
  if (!limits) return { started: [] };
  const started: string[] = [];
  for (const { model, stage } of wanted) {
    if (!warmUpStarts({ live: workersOf(model), free: idleCount(model) + startingCount(model) }, { poolSize: ctx.poolSize })) continue;
    const worker = await startWorker(limits, model, stage, faults, undefined);
    warmUpChildren.add(worker.child);
    const list = startingWorkers.get(model) ?? [];
    list.push(worker);
    startingWorkers.set(model, list);
    started.push(model);
    worker.loaded.then(
      () => {
        // Nobody claimed it while it loaded: it waits in the pool like any idle warm worker.
        const i = list.indexOf(worker);
        if (i < 0) return;
        list.splice(i, 1);
        poolWarm(worker.child, { model, tasks: 0, rssGrowthMb: 0 }, limits);
      },
      () => {
        const i = list.indexOf(worker);
        if (i >= 0) list.splice(i, 1);
      },
    );
  }
  return { started };
}

/** A new worker that loads `model` and says "loaded" (AFFIANT_PRELOAD_MODEL). */
async function startWorker(
  limits: WarmLimits,
  model: string,
  stage: string | undefined,
  faults: unknown,
  signal: AbortSignal | undefined,
): Promise<{ child: ChildProcess; loaded: Promise<number> }> {
  const launch = await workerLaunch();
  if (signal?.aborted)
    throw new StatesError("States.Aborted", JSON.stringify({ stage, reason: "the execution was stopped before a worker started" }));
  const child = fork(launch.entry, [], {
    execArgv: launch.execArgv,
    env: childEnv({
      ...warmEnv(limits),
      AFFIANT_PRELOAD_MODEL: model,
      ...(stage ? { AFFIANT_STAGE: stage } : {}),
      AFFIANT_FAULTS: JSON.stringify(faults ?? {}),
    }),
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "json",
  });
  liveWorkers.add(child);
  child.once("exit", () => liveWorkers.delete(child));
  countWorker(model, child);
  // Drained, never kept: the worker's stderr is not ours to log.
  child.stderr?.resume();
  const loaded = new Promise<number>((resolve, reject) => {
    const onMessage = (m: WorkerMessage) => {
      if (m?.type !== "loaded") return;
      child.off("exit", onExit);
      child.off("message", onMessage);
      resolve(m.loadMs);
    };
    const onExit = (code: number | null) => {
      child.off("message", onMessage);
      reject(
        new StatesError(
          WorkerCrashedError.errorName,
          JSON.stringify({ stage, model, reason: `the worker exited (code ${code}) before its model was loaded`, pid: child.pid }),
        ),
      );
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
  // Heard by whoever waits; never an unhandled rejection when nobody does.
  loaded.catch(() => undefined);
  return { child, loaded };
}

/** Waits for the model to load, under the Acquire state's budget; kills the worker otherwise. */
async function waitLoaded(
  child: ChildProcess,
  loaded: Promise<number>,
  stage: string,
  model: string,
  remainingSeconds: number,
  timeoutSeconds: number,
  signal: AbortSignal | undefined,
): Promise<number> {
  const cause = (reason: string) => JSON.stringify({ stage, model, reason, pid: child.pid });
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      loaded,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new StatesError(
                StatesErrors.Timeout,
                cause(`no worker with ${model} loaded within the acquire budget (${timeoutSeconds} s)`),
              ),
            ),
          remainingSeconds * 1000,
        );
        onAbort = () => reject(new StatesError("States.Aborted", cause("the execution was stopped")));
        signal?.addEventListener("abort", onAbort);
        if (signal?.aborted) onAbort();
      }),
    ]);
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
