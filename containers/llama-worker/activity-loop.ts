/**
 * A warm model worker in ECS (AFFIANT_ACTIVITY_ARN set, no IPC): with its model loaded it
 * takes an Acquire's token from its model's ready queue and answers it (SendTaskSuccess:
 * worker id, loadMs, reused), then polls its model's activity for the generate task the
 * same execution enters next, and hands back that task's token and environment. Nothing
 * waiting for idleSeconds: undefined, and the worker exits (capacity back to zero).
 */

import { GetActivityTaskCommand, SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { awsClientTimeouts } from "../../core/aws-timeouts.ts";
import { config } from "../../core/config.ts";
import { log } from "../../core/log.ts";
import type { WarmModel } from "./warm-model.ts";

const sqs = () => new SQSClient({ ...awsClientTimeouts(70_000) });
const sfn = () =>
  new SFNClient({ ...awsClientTimeouts(70_000), ...(config().AFFIANT_SFN_ENDPOINT ? { endpoint: config().AFFIANT_SFN_ENDPOINT } : {}) });

/**
 * GetActivityTask calls after answering an Acquire before the worker goes back to its ready
 * queue. A poll can come back empty, or fail on the way (a dropped connection, a timeout):
 * AWS advises more than one poller per activity. This worker can run one task at a time, so
 * it polls again instead of polling twice at once (a second task taken would wait for nothing).
 */
export const activityPolls = 3;

/** Where the loop reads and answers; the environment's (the task definition's) unless given. */
export interface ActivityLoopOptions {
  queueUrl: string;
  activityArn: string;
  idleSeconds: number;
  sqs: SQSClient;
  sfn: SFNClient;
}

const fromEnv = (): ActivityLoopOptions => {
  const env = config();
  return {
    queueUrl: env.AFFIANT_READY_QUEUE_URL!,
    activityArn: env.AFFIANT_ACTIVITY_ARN!,
    idleSeconds: env.AFFIANT_WARM_IDLE_SECONDS ?? 30,
    sqs: sqs(),
    sfn: sfn(),
  };
};

/** The next generate task for this worker: its token and environment; undefined after idleSeconds with none. */
export async function nextActivityTask(
  held: Pick<WarmModel, "modelId" | "preloadMs">,
  first: boolean,
  options: ActivityLoopOptions = fromEnv(),
): Promise<{ taskToken: string; env: Record<string, string> } | undefined> {
  const { queueUrl } = options;
  const idleUntil = Date.now() + options.idleSeconds * 1000;
  const workerId = `${held.modelId}-${process.pid}-${Math.round(performance.timeOrigin)}`;
  while (Date.now() < idleUntil) {
    const wait = Math.max(1, Math.min(20, Math.ceil((idleUntil - Date.now()) / 1000)));
    const received = await options.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: wait }),
    );
    const message = received.Messages?.[0];
    if (!message?.Body || !message.ReceiptHandle) continue;
    const ready = JSON.parse(message.Body) as { taskToken: string; stage: string; model: string; executionName: string | null };
    await options.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    if (ready.model !== held.modelId) {
      // One model per process: a token of another model's queue is a wiring error, not a task.
      log("error", "worker.wrong_model_token", { model: held.modelId, tokenModel: ready.model });
      continue;
    }
    try {
      await options.sfn.send(
        new SendTaskSuccessCommand({
          taskToken: ready.taskToken,
          output: JSON.stringify({ workerId, model: held.modelId, loadMs: first ? Math.round(held.preloadMs ?? 0) : 0, reused: !first }),
        }),
      );
    } catch (err) {
      // The Acquire already timed out or its execution ended: take the next token.
      log("warn", "worker.acquire_gone", { model: held.modelId, error: (err as Error).name });
      continue;
    }
    // The execution enters the generate state at once; the activity hands its task to a poller of this model.
    for (let poll = 1; poll <= activityPolls; poll++) {
      let task: { taskToken?: string; input?: string };
      try {
        task = await options.sfn.send(new GetActivityTaskCommand({ activityArn: options.activityArn, workerName: workerId }));
      } catch (err) {
        log("warn", "worker.activity_poll_failed", { model: held.modelId, poll, error: (err as Error).name });
        continue;
      }
      if (!task.taskToken || !task.input) {
        log("info", "worker.activity_poll_empty", { model: held.modelId, poll });
        continue;
      }
      const input = JSON.parse(task.input) as { Environment?: Array<{ Name: string; Value: string }> };
      const taskEnv = Object.fromEntries((input.Environment ?? []).map((e) => [e.Name, String(e.Value)]));
      log("info", "worker.activity_task", {
        model: held.modelId,
        stage: taskEnv.AFFIANT_STAGE ?? null,
        execution: ready.executionName,
        poll,
      });
      return { taskToken: task.taskToken, env: taskEnv };
    }
  }
  log("info", "worker.recycled", { model: held.modelId, reason: "idle" });
  return undefined;
}
