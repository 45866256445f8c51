/**
 * Warm model workers, engine side. A worker that answered with `stayWarm` keeps its one
 * model loaded and waits (its own idleSeconds clock) for another task of that model, from
 * any execution; the engine keeps it here, by model, until a GPU state of that model takes
 * it. It exits by itself after maxTasks tasks or idleSeconds idle; a failure of any kind
 * kills it (worker-supervisor.ts), and it is never pooled again. Keyed by model id, so two
 * models never share a process (the worker refuses another model's stage besides). With
 * AFFIANT_WARM_WORKERS=0 the same path runs with maxTasks 1: a worker serves one task and exits.
 * What to do with the pool is decided in core/gpu-pool-policy.ts; this file keeps the processes.
 */
import type { ChildProcess } from "node:child_process";
import { retireReason } from "../../core/gpu-pool-policy.ts";
import type { Registry } from "../../core/registry.ts";
import type { StageMetrics } from "../../core/stages/report.ts";

/** The registry's `workers` limits a worker enforces itself. */
export type WarmLimits = Pick<Registry["workers"], "maxTasks" | "idleSeconds" | "maxRssGrowthMb">;

/** Every worker process this engine started and that has not exited. */
export const liveWorkers = new Set<ChildProcess>();

/**
 * Idle warm workers by model id, with when each became idle (charged to the task that takes
 * it) and when its own idle clock (AFFIANT_WARM_IDLE_SECONDS, started before its answer) ends it.
 */
const idle = new Map<string, Array<{ child: ChildProcess; since: number; expiresAt: number }>>();

/**
 * A worker this close to its idle exit is not handed a task: the assignment could cross its
 * exit, and the stage would see a worker gone mid-task. It is left to exit; the pool policy
 * counts it as live, not free, so an Acquire starts another or waits for it to go.
 */
const reuseMarginMs = (idleMs: number) => Math.min(5_000, idleMs / 2);
const takeable = (x: { child: ChildProcess; since: number; expiresAt: number }, now = Date.now()) =>
  alive(x.child) && x.expiresAt - now > reuseMarginMs(x.expiresAt - x.since);
const tracked = new WeakSet<ChildProcess>();

/** The environment a worker needs to be one (the limits it enforces itself). */
export function warmEnv(limits: WarmLimits): Record<string, string> {
  return {
    AFFIANT_WARM_MAX_TASKS: String(limits.maxTasks),
    AFFIANT_WARM_IDLE_SECONDS: String(limits.idleSeconds),
    AFFIANT_WARM_MAX_RSS_GROWTH_MB: String(limits.maxRssGrowthMb),
  };
}

/** Idle warm model workers by model (pids), for diagnostics and tests. */
export function warmModelWorkers(): Record<string, number[]> {
  return Object.fromEntries([...idle].filter(([, w]) => w.length).map(([model, w]) => [model, w.map((x) => x.child.pid!)]));
}

/** Idle warm workers of `model` alive and far enough from their idle exit to take a task. */
export function idleCount(model: string): number {
  return (idle.get(model) ?? []).filter((x) => takeable(x)).length;
}

function untrack(child: ChildProcess): void {
  for (const [model, list] of idle) {
    const i = list.findIndex((x) => x.child === child);
    if (i >= 0) list.splice(i, 1);
    if (!list.length) idle.delete(model);
  }
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null && child.connected;

/**
 * A worker that answered and stays: into the pool, unless the pool policy retires it (its
 * RSS grew past the bound, say: killed, whatever the worker itself decided).
 */
export function poolWarm(child: ChildProcess, stay: NonNullable<StageMetrics["stayWarm"]>, limits: WarmLimits): boolean {
  if (!alive(child)) return false;
  if (retireReason(stay, limits)) {
    child.kill("SIGKILL");
    return false;
  }
  if (!tracked.has(child)) {
    tracked.add(child);
    child.once("exit", () => untrack(child));
  }
  // Idle, it must not keep the engine's process alive (it exits after idleSeconds itself).
  child.unref();
  child.channel?.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  const list = idle.get(stay.model) ?? [];
  const now = Date.now();
  list.push({ child, since: now, expiresAt: now + limits.idleSeconds * 1000 });
  idle.set(stay.model, list);
  countWorker(stay.model, child);
  wake();
  return true;
}

/** An idle warm worker of `model`, re-attached, and how long it sat idle; undefined when none. */
export function takeWarm(model: string): { child: ChildProcess; idleMs: number } | undefined {
  const list = idle.get(model);
  while (list?.length) {
    // The most recently idle: the others may reach idleSeconds and give capacity back.
    const entry = list.pop()!;
    const { child, since } = entry;
    if (!takeable(entry)) continue;
    if (!list.length) idle.delete(model);
    child.ref();
    child.channel?.ref();
    (child.stderr as { ref?: () => void } | null)?.ref?.();
    return { child, idleMs: Date.now() - since };
  }
  idle.delete(model);
  return undefined;
}

/**
 * Every live warm model worker by model: loading, reserved, running or idle. The local
 * Acquire starts a new one only while its model has fewer than workers.poolSize, as the
 * acquire Lambda caps a model's ECS tasks; otherwise it waits for one to come free.
 */
const byModel = new Map<string, Set<ChildProcess>>();
/** Called when a worker comes free (pooled) or exits: a waiting Acquire looks again. */
const waiters = new Set<() => void>();
const wake = () => {
  for (const w of [...waiters]) w();
};

/** Counts `child` as one of `model`'s workers until it exits. */
export function countWorker(model: string, child: ChildProcess): void {
  const set = byModel.get(model) ?? new Set<ChildProcess>();
  if (set.has(child)) return;
  set.add(child);
  byModel.set(model, set);
  child.once("exit", () => {
    set.delete(child);
    if (!set.size && byModel.get(model) === set) byModel.delete(model);
    wake();
  });
}

/** Live warm workers of `model` (any state). */
export function workersOf(model: string): number {
  let n = 0;
  for (const child of byModel.get(model) ?? []) if (alive(child)) n++;
  return n;
}

/** Calls `listener` once, the next time a worker is pooled or exits; the returned function stops listening. */
export function onWorkerFreed(listener: () => void): () => void {
  const once = () => {
    waiters.delete(once);
    listener();
  };
  waiters.add(once);
  return () => waiters.delete(once);
}

/** Forgets every idle worker (their processes are killed by whoever kills the live set). */
export function dropWarm(): void {
  idle.clear();
  reserved.clear();
  byModel.clear();
  wake();
}

/**
 * Workers an Acquire state got for its stage, held for the stage's generate state (the
 * next state of the same execution and branch): by execution and stage.
 */
const reserved = new Map<string, { child: ChildProcess; idleMs: number; onExit: () => void }>();
const reservationKey = (executionId: string, stage: string) => `${executionId}\u0000${stage}`;

export function reserveWorker(executionId: string, stage: string, worker: { child: ChildProcess; idleMs: number }): void {
  const key = reservationKey(executionId, stage);
  reserved.get(key)?.child.kill("SIGKILL");
  const onExit = () => {
    if (reserved.get(key)?.child === worker.child) reserved.delete(key);
  };
  reserved.set(key, { ...worker, onExit });
  worker.child.once("exit", onExit);
}

/** The worker the stage's Acquire state got, if it is still alive; undefined otherwise. */
export function claimReserved(executionId: string, stage: string): { child: ChildProcess; idleMs: number } | undefined {
  const worker = reserved.get(reservationKey(executionId, stage));
  reserved.delete(reservationKey(executionId, stage));
  // A warm worker is reserved once per task: its listener goes with the reservation, or they pile up.
  worker?.child.off("exit", worker.onExit);
  return worker && alive(worker.child) ? { child: worker.child, idleMs: worker.idleMs } : undefined;
}
