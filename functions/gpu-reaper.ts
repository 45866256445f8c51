/**
 * Nothing outside a worker stopped an ECS task before: `.waitForTaskToken` states only wait,
 * and scale-in protection keeps the host. Two ways in, one module:
 *
 * - {@link stopStageTasks}: the fallback stops the primary's task (found by the tags every
 *   RunTask carries: execution and stage) before it starts its own work.
 * - {@link sweep} (every minute): stops any task running longer than its stage's timeout, and
 *   any worker task that can never answer an Acquire: still provisioning, never tagged by its
 *   worker, or loading its model, past the acquire budget (core/gpu-pool-policy.ts).
 *
 * Warm workers (containers/llama-worker/task-tags.ts) serve many executions: RunTask tags
 * their task with the model only, and the worker tags its own task with the execution, stage
 * and stage start while it holds an activity task, removing them when it answered. So the
 * fallback stops the worker still holding its execution's stage (a stalled one), never one
 * that moved on, and the sweeper times the stage, not the task's age. An idle warm worker
 * carries no stage tag: it exits itself after idleSeconds.
 *
 * Ids, reasons and numbers only in logs and causes.
 */
import { DescribeTasksCommand, ECSClient, ListTasksCommand, StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import { awsClientTimeouts } from "../core/aws-timeouts.ts";
import { config } from "../core/config.ts";
import { stuckWorkerReason, type WorkerTaskView, warmStartedByPrefix } from "../core/gpu-pool-policy.ts";
import { log } from "../core/log.ts";
import { loadRegistry, stageEntry } from "../core/registry.ts";
import { isGpuStage, workerTaskTags } from "../core/state-names.ts";
import { withTelemetry } from "../core/telemetry.ts";

export const executionTag = workerTaskTags.execution;
export const stageTag = workerTaskTags.stage;
/** Seconds past a stage's TimeoutSeconds before the sweeper stops its task. */
export const sweepGraceSeconds = 60;

const tagOf = (task: Task, key: string) => task.tags?.find((t) => t.key === key)?.value;

/**
 * The cluster's tasks whose desired status is RUNNING (optionally one pool's, by `startedBy`),
 * described with their tags. A task still provisioning or pending is among them: ECS only
 * ever sets a task's desired status to RUNNING or STOPPED, and PENDING is a lastStatus, so a
 * ListTasks filtered on desiredStatus PENDING returns nothing (ECS API reference, ListTasks,
 * `desiredStatus`). Its lastStatus and createdAt, from DescribeTasks, tell it apart.
 */
export async function runningTasks(ecs: ECSClient, cluster: string, startedBy?: string): Promise<Task[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTasksCommand({ cluster, desiredStatus: "RUNNING", nextToken, ...(startedBy ? { startedBy } : {}) }),
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const tasks: Task[] = [];
  // DescribeTasks takes at most 100 tasks per call.
  for (let i = 0; i < arns.length; i += 100) {
    const page = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100), include: ["TAGS"] }));
    tasks.push(...(page.tasks ?? []));
  }
  return tasks;
}

/** Stops the running tasks of one execution's stage; returns their ARNs. */
export async function stopStageTasks(ecs: ECSClient, cluster: string, execution: string, stage: string, reason: string): Promise<string[]> {
  const stopped: string[] = [];
  for (const task of await runningTasks(ecs, cluster)) {
    if (tagOf(task, executionTag) !== execution || tagOf(task, stageTag) !== stage || !task.taskArn) continue;
    await ecs.send(new StopTaskCommand({ cluster, task: task.taskArn, reason: reason.slice(0, 255) }));
    stopped.push(task.taskArn);
  }
  if (stopped.length) log("warn", "reaper.stopped_primary", { execution, stage, tasks: stopped.length });
  return stopped;
}

/** A task as the pool policy reads it (core/gpu-pool-policy.ts stuckWorkerReason). */
export function workerTaskView(task: Task): WorkerTaskView {
  const epoch = (d: Date | string | number | undefined) => (d === undefined ? undefined : new Date(d).getTime());
  const tagged = (key: string) => {
    const v = Number(tagOf(task, key));
    return Number.isFinite(v) && v > 0 ? v : undefined;
  };
  return {
    lastStatus: task.lastStatus,
    createdAt: epoch(task.createdAt),
    startedAt: epoch(task.startedAt),
    warm: Boolean(task.startedBy?.startsWith(warmStartedByPrefix)),
    acquiredAt: tagged(workerTaskTags.acquiredAt),
    loadedAt: tagged(workerTaskTags.loadedAt),
  };
}

const stuckReasons = {
  provisioning: "still not RUNNING after the acquire budget",
  untagged: "a warm worker that never tagged itself, older than the acquire budget",
  loading: "its model load ran past the acquire budget",
} as const;

/**
 * Stops every task running longer than its stage's TimeoutSeconds + grace, and every worker
 * task that can never answer an Acquire (stuck provisioning, never tagged, or loading past
 * the acquire budget + grace); returns their ARNs.
 */
export async function sweep(ecs: ECSClient, cluster: string, now = Date.now()): Promise<string[]> {
  const registry = loadRegistry();
  const stopped: string[] = [];
  for (const task of await runningTasks(ecs, cluster)) {
    const stuck = task.taskArn ? stuckWorkerReason(workerTaskView(task), now, registry.workers, sweepGraceSeconds) : undefined;
    if (stuck && task.taskArn) {
      await ecs.send(new StopTaskCommand({ cluster, task: task.taskArn, reason: `affiant sweeper: ${stuckReasons[stuck]}` }));
      stopped.push(task.taskArn);
      log("warn", "reaper.swept", { reason: stuck, model: tagOf(task, "affiant:model") ?? null, lastStatus: task.lastStatus ?? null });
      continue;
    }
    const stage = tagOf(task, stageTag);
    // A warm worker's task outlives its stages: the stage's own start (its tag) is what counts.
    const tagged = Number(tagOf(task, workerTaskTags.stageStarted));
    const started = Number.isFinite(tagged) && tagged > 0 ? new Date(tagged) : (task.startedAt ?? task.createdAt);
    if (!stage || !isGpuStage(stage) || !started || !task.taskArn) continue;
    const limitMs = (stageEntry(registry, stage).timeoutSeconds + sweepGraceSeconds) * 1000;
    if (now - new Date(started).getTime() <= limitMs) continue;
    await ecs.send(new StopTaskCommand({ cluster, task: task.taskArn, reason: `affiant sweeper: ran past ${stage}'s TimeoutSeconds` }));
    stopped.push(task.taskArn);
    log("warn", "reaper.swept", {
      stage,
      execution: tagOf(task, executionTag) ?? null,
      ageSeconds: Math.round((now - new Date(started).getTime()) / 1000),
    });
  }
  return stopped;
}

const cluster = () => {
  const arn = config().AFFIANT_GPU_CLUSTER;
  if (!arn) throw new Error("AFFIANT_GPU_CLUSTER is not set");
  return arn;
};

export const sweepHandler = withTelemetry("Sweeper", async () => ({
  stopped: (await sweep(new ECSClient({ ...awsClientTimeouts() }), cluster())).length,
}));
