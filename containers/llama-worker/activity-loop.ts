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

export const activityMode = (): boolean => !process.send && Boolean(config().AFFIANT_ACTIVITY_ARN && config().AFFIANT_READY_QUEUE_URL);

/** The next generate task for this worker: its token and environment; undefined after idleSeconds with none. */
export async function nextActivityTask(
  held: WarmModel,
  first: boolean,
): Promise<{ taskToken: string; env: Record<string, string> } | undefined> {
  const env = config();
  const queueUrl = env.AFFIANT_READY_QUEUE_URL!;
  const idleUntil = Date.now() + (env.AFFIANT_WARM_IDLE_SECONDS ?? 30) * 1000;
  const workerId = `${held.modelId}-${process.pid}-${Math.round(performance.timeOrigin)}`;
  while (Date.now() < idleUntil) {
    const wait = Math.max(1, Math.min(20, Math.ceil((idleUntil - Date.now()) / 1000)));
    const received = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: wait }));
    const message = received.Messages?.[0];
    if (!message?.Body || !message.ReceiptHandle) continue;
    const ready = JSON.parse(message.Body) as { taskToken: string; stage: string; model: string; executionName: string | null };
    await sqs().send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    if (ready.model !== held.modelId) {
      // One model per process: a token of another model's queue is a wiring error, not a task.
      log("error", "worker.wrong_model_token", { model: held.modelId, tokenModel: ready.model });
      continue;
    }
    try {
      await sfn().send(
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
    const task = await sfn().send(new GetActivityTaskCommand({ activityArn: env.AFFIANT_ACTIVITY_ARN!, workerName: workerId }));
    if (!task.taskToken || !task.input) continue;
    const input = JSON.parse(task.input) as { Environment?: Array<{ Name: string; Value: string }> };
    const taskEnv = Object.fromEntries((input.Environment ?? []).map((e) => [e.Name, String(e.Value)]));
    log("info", "worker.activity_task", { model: held.modelId, stage: taskEnv.AFFIANT_STAGE ?? null, execution: ready.executionName });
    return { taskToken: task.taskToken, env: taskEnv };
  }
  log("info", "worker.recycled", { model: held.modelId, reason: "idle" });
  return undefined;
}
