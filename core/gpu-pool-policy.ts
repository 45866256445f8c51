/**
 * The GPU pool policy, one copy: given what a model's pool looks like and the registry's
 * `workers` limits, whether an Acquire reuses a worker, starts one, waits or is refused;
 * how many workers WarmUp starts; and whether a worker that finished a task stays warm.
 * Pure: the local engine (child processes), the acquire Lambda (ECS ListTasks/RunTask and
 * the SQS ready queue) and the rehearsal's stand-in each read their pool and act on the answer.
 */
import type { Registry } from "./registry.ts";

/** The registry's `workers` limits the policy reads. */
export type PoolLimits = Pick<Registry["workers"], "poolSize" | "maxTasks" | "maxRssGrowthMb">;

/** One model's pool, as whoever owns it can see it. */
export interface PoolView {
  /** Workers of the model alive in any state: starting, loading, idle or busy (ECS: RUNNING + PENDING tasks). */
  live: number;
  /**
   * Of those, the ones that can take a task without a new start: idle with the model
   * loaded, or started by WarmUp for nobody yet. ECS cannot tell them apart, so the acquire
   * Lambda counts every live task: each polls the ready queue when it is free.
   */
  free: number;
  /** Acquires waiting for a worker, this one included (the ready queue's depth in AWS; 1 locally). */
  waiting: number;
  /** The Acquire's budget is spent (locally; in AWS Step Functions times the state out itself). */
  budgetSpent?: boolean;
}

export type AcquireDecision =
  /** A free worker takes the task (locally: the idle one, else the one WarmUp started; in AWS: from the queue). */
  | { kind: "reuse" }
  /** One more worker of the model, which loads it and takes the task. */
  | { kind: "start" }
  /** The pool is full: wait for a worker to come free or exit. */
  | { kind: "wait" }
  /** The pool stayed full for the whole budget. */
  | { kind: "refuse"; reason: string };

/** `model`: the model's id, for the refusal's reason. */
export function decideAcquire(pool: PoolView, limits: Pick<PoolLimits, "poolSize">, model = "the model"): AcquireDecision {
  if (pool.free >= Math.max(1, pool.waiting)) return { kind: "reuse" };
  if (pool.live < limits.poolSize) return { kind: "start" };
  if (pool.budgetSpent)
    return { kind: "refuse", reason: `all ${limits.poolSize} workers of ${model} (workers.poolSize) stayed busy for the acquire budget` };
  return { kind: "wait" };
}

/**
 * How many workers of a model the WarmUp state starts: one when none is free and the pool
 * has room (nobody waits on it yet: the first GPU stage's Acquire finds it loaded or loading).
 */
export function warmUpStarts(pool: Pick<PoolView, "live" | "free">, limits: Pick<PoolLimits, "poolSize">): number {
  return decideAcquire({ ...pool, waiting: 1 }, limits).kind === "start" ? 1 : 0;
}

/**
 * Why a worker that has just finished its `tasks`-th task must exit instead of staying warm
 * for the next one of its model; undefined when it stays. `rssGrowthMb`: its RSS growth
 * since its first task (memory growth is a reason to replace it).
 */
export function retireReason(
  worker: { tasks: number; rssGrowthMb: number },
  limits: Pick<PoolLimits, "maxTasks" | "maxRssGrowthMb">,
): "maxTasks" | "rssGrowth" | undefined {
  if (worker.tasks >= limits.maxTasks) return "maxTasks";
  if (worker.rssGrowthMb > limits.maxRssGrowthMb) return "rssGrowth";
  return undefined;
}

/** The most workers the pools may ever hold at once: `models` × poolSize. */
export function poolCapacity(models: number, limits: Pick<PoolLimits, "poolSize">): number {
  return models * limits.poolSize;
}

/**
 * The limits a local engine gives its workers: the registry's, or with warm workers off
 * (AFFIANT_WARM_WORKERS=0) one task per worker, which then exits and is never pooled.
 */
export function localWorkerLimits<T extends Pick<Registry["workers"], "maxTasks">>(workers: T, warm: boolean): T {
  return warm ? workers : { ...workers, maxTasks: 1 };
}

/** What the sweeper and the acquire Lambda see of one ECS worker task (times in epoch ms). */
export interface WorkerTaskView {
  /** ECS's lastStatus: PROVISIONING, PENDING, ACTIVATING, RUNNING… */
  lastStatus?: string;
  createdAt?: number;
  startedAt?: number;
  /** A warm worker of a model's pool (its `startedBy`), as opposed to any other task in the cluster. */
  warm: boolean;
  /** Its own tags (state-names.ts workerTaskTags): when the process started, when its model loaded. */
  acquiredAt?: number;
  loadedAt?: number;
}

/**
 * Why a worker task that is not running a stage can never answer an Acquire and must be
 * stopped, or undefined: still not RUNNING (no instance, no capacity, an image pull that
 * never ends) past the acquire budget; running but never tagged by its worker (stuck before
 * it could say anything) past the budget; or tagged at start and still loading its model
 * past it. `graceSeconds` is added to the budget (the sweeper's margin over the worker's own deadline).
 */
export function stuckWorkerReason(
  task: WorkerTaskView,
  now: number,
  limits: Pick<Registry["workers"], "acquireSeconds">,
  graceSeconds = 0,
): "provisioning" | "untagged" | "loading" | undefined {
  const budgetMs = (limits.acquireSeconds + graceSeconds) * 1000;
  const older = (since: number | undefined) => since !== undefined && Number.isFinite(since) && now - since > budgetMs;
  if (task.lastStatus !== undefined && task.lastStatus !== "RUNNING") return older(task.createdAt) ? "provisioning" : undefined;
  if (!task.warm) return undefined;
  if (task.acquiredAt === undefined) return older(task.startedAt ?? task.createdAt) ? "untagged" : undefined;
  if (task.loadedAt === undefined) return older(task.acquiredAt) ? "loading" : undefined;
  return undefined;
}

/** The `startedBy` of every model's warm workers begins so (functions/acquire-worker.ts startedByFor). */
export const warmStartedByPrefix = "affiant-warm-";
