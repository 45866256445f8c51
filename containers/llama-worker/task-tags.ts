/**
 * A warm worker serves many executions, so its ECS task cannot carry one execution's tags
 * from RunTask. Instead it tags its own task while it holds an activity task: the execution,
 * the stage and when the stage started (`affiant:stage-started`, epoch ms), and removes them
 * when it answered. The fallback finds the worker still holding its execution's stage by those
 * tags and stops it (functions/gpu-reaper.ts stopStageTasks), and the sweeper stops a task
 * whose stage has run past its TimeoutSeconds + grace, whatever the task's age (sweep).
 * Before it loads its model the worker tags its task with its start (`affiant:acquired-at`),
 * and with the load's end (`affiant:loaded-at`) after: the sweeper stops a task still loading,
 * or never tagged at all, past the acquire budget (core/gpu-pool-policy.ts stuckWorkerReason).
 * Best effort: a tag call that fails is logged (ids only) and the task runs on; the worker's
 * own lifeline and Step Functions' HeartbeatSeconds still catch a stall.
 */
import { awsClientTimeouts } from "../../core/aws-timeouts.ts";
import { capped } from "../../core/capped.ts";
import { config } from "../../core/config.ts";
import { log } from "../../core/log.ts";
import { workerTaskTags } from "../../core/state-names.ts";

const { execution: executionTag, stage: stageTag, stageStarted: stageStartedTag, acquiredAt, loadedAt } = workerTaskTags;

let own: Promise<{ taskArn: string } | undefined> | undefined;

/** This task's ARN, from the ECS task metadata endpoint (v4); undefined outside ECS. */
function ownTask(): Promise<{ taskArn: string } | undefined> {
  own ??= (async () => {
    const uri = config().ECS_CONTAINER_METADATA_URI_V4;
    if (!uri) return undefined;
    try {
      const res = await fetch(`${uri}/task`, { signal: AbortSignal.timeout(5000) });
      const body = (await res.json()) as { TaskARN?: string };
      return body.TaskARN ? { taskArn: body.TaskARN } : undefined;
    } catch (err) {
      log("warn", "worker.metadata_failed", { error: (err as Error).name });
      return undefined;
    }
  })();
  return own;
}

/**
 * The ECS calls, the SDK loaded on the first: only inside ECS (ownTask found a task), so a
 * worker under the local engine never pays for it.
 */
async function tagResource(taskArn: string, tags: Array<{ key: string; value: string }>): Promise<void> {
  const { ECSClient, TagResourceCommand } = await import("@aws-sdk/client-ecs");
  await new ECSClient({ ...awsClientTimeouts(10_000) }).send(new TagResourceCommand({ resourceArn: taskArn, tags }));
}

async function untagResource(taskArn: string, tagKeys: string[]): Promise<void> {
  const { ECSClient, UntagResourceCommand } = await import("@aws-sdk/client-ecs");
  await new ECSClient({ ...awsClientTimeouts(10_000) }).send(new UntagResourceCommand({ resourceArn: taskArn, tagKeys }));
}

/** Tags this task with the stage it now runs for one execution. */
export async function tagStage(execution: string, stage: string): Promise<void> {
  const task = await ownTask();
  if (!task) return;
  const tags = [
    { key: executionTag, value: execution },
    { key: stageTag, value: stage },
    { key: stageStartedTag, value: String(Date.now()) },
  ];
  await capped(
    tagResource(task.taskArn, tags).then(
      () => undefined,
      (err: Error) => log("warn", "worker.tag_failed", { stage, error: err.name }),
    ),
  );
}

/** The stage answered: the task is idle again, no execution's. */
export async function untagStage(): Promise<void> {
  const task = await ownTask();
  if (!task) return;
  await capped(
    untagResource(task.taskArn, [executionTag, stageTag, stageStartedTag]).then(
      () => undefined,
      (err: Error) => log("warn", "worker.untag_failed", { error: err.name }),
    ),
  );
}

/** Sets tags on this task (best effort, capped); `what` names the call in a failure's log line. */
async function tagTask(tags: Array<{ key: string; value: string }>, what: string): Promise<void> {
  const task = await ownTask();
  if (!task) return;
  await capped(
    tagResource(task.taskArn, tags).then(
      () => undefined,
      (err: Error) => log("warn", "worker.tag_failed", { tag: what, error: err.name }),
    ),
  );
}

/** The worker process started (epoch ms), before its model load: the sweeper times the load from it. */
export const tagAcquired = (startedAt: number) => tagTask([{ key: acquiredAt, value: String(startedAt) }], acquiredAt);

/** The model is loaded: the task waits warm or runs stages from now on. */
export const tagLoaded = () => tagTask([{ key: loadedAt, value: String(Date.now()) }], loadedAt);
