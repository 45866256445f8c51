/**
 * <Stage>Acquire (Lambda, `lambda:invoke.waitForTaskToken`): gets the stage a worker of its
 * model with the model loaded. It hands the state's task token to the model's ready queue
 * (one SQS queue per registry model); a warm worker of that model, idle with the model
 * loaded, takes the token and answers SendTaskSuccess (worker id, loadMs, reused), then
 * polls the model's activity, which is the `<Stage>` state. When no live or starting worker
 * of the model can take it and the model's pool is below the registry's `workers.poolSize`,
 * it starts one more ECS task of the model first (`startedBy` names the model).
 *
 * The wait for that task (an instance launch from zero, the image pull, the model sync and
 * load) is the Acquire state's time, under `workers.acquireSeconds`: a cold start is not
 * charged to the stage's HeartbeatSeconds.
 */
import { ECSClient, ListTasksCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { z } from "zod";
import { awsClientTimeouts } from "../core/aws-timeouts.ts";
import { config } from "../core/config.ts";
import { InvalidInputError } from "../core/errors.ts";
import { decideAcquire, type PoolView, warmUpStarts } from "../core/gpu-pool-policy.ts";
import { log } from "../core/log.ts";
import { loadRegistry, stageEntry } from "../core/registry.ts";
import { isGpuStage } from "../core/state-names.ts";
import { withTelemetry } from "../core/telemetry.ts";

export interface AcquireEvent {
  stage: string;
  taskToken: string;
  executionName?: string;
}

/** The WarmUp state's Event invoke: a worker of each model, started, nobody waiting. */
export interface WarmUpEvent {
  warm: Array<{ model: string; stage: string }>;
  executionName?: string;
}

/** Where each model's workers run and wait: written by infra (AFFIANT_WORKER_POOLS). */
export const workerPoolsSchema = z.object({
  cluster: z.string().min(1),
  capacityProvider: z.string().min(1),
  subnets: z.array(z.string()),
  securityGroups: z.array(z.string()),
  models: z.record(z.string(), z.object({ taskDefinition: z.string().min(1), queueUrl: z.string().min(1) })),
});
export type WorkerPools = z.infer<typeof workerPoolsSchema>;

/** The `startedBy` of a model's warm workers: how the pool counts them (ECS caps it at 36 characters). */
export function startedByFor(model: string): string {
  return `affiant-warm-${model}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 36);
}

/** The ready-queue message: the token, and what the worker checks before it answers. */
export interface ReadyToken {
  taskToken: string;
  stage: string;
  model: string;
  executionName: string | null;
}

export async function acquireWorker(
  event: AcquireEvent,
  clients: { ecs: ECSClient; sqs: SQSClient },
  pools: WorkerPools,
): Promise<{ model: string; started: boolean; running: number }> {
  const stage = event?.stage;
  if (typeof stage !== "string" || !isGpuStage(stage))
    throw new InvalidInputError(`acquire: ${JSON.stringify(stage ?? null)} is not a GPU stage`);
  if (typeof event.taskToken !== "string" || !event.taskToken)
    throw new InvalidInputError(`acquire ${stage}: no taskToken in the payload`, { state: stage });
  const registry = loadRegistry();
  const model = stageEntry(registry, stage).model;
  const pool = pools.models[model];
  if (!pool)
    throw new InvalidInputError(`acquire ${stage}: no worker pool for model ${model} in AFFIANT_WORKER_POOLS`, { state: stage, model });
  // The token first: a worker already idle takes it at once; one starting takes it when loaded.
  const message: ReadyToken = { taskToken: event.taskToken, stage, model, executionName: event.executionName ?? null };
  await clients.sqs.send(new SendMessageCommand({ QueueUrl: pool.queueUrl, MessageBody: JSON.stringify(message) }));
  // Tokens waiting (this one included) beyond the live workers need one more, up to the
  // pool's size. Approximate on both sides: a worker too many exits after idleSeconds, and a
  // token left waiting gets its worker from the next Acquire or when a busy one finishes.
  const waiting = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: pool.queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  const queued = Math.max(1, Number(waiting.Attributes?.ApproximateNumberOfMessages ?? 1));
  const { live, started } = await startIf(
    clients.ecs,
    pools,
    model,
    stage,
    (pool) => decideAcquire({ ...pool, waiting: queued }, registry.workers).kind === "start",
  );
  log("info", "acquire.queued", { execution: event.executionName ?? null, stage, model, live, started });
  return { model, started, running: live + (started ? 1 : 0) };
}

/**
 * WarmUp: for each model with no live or starting worker, one is started now, so the
 * first GPU stage's Acquire finds it loaded (or loading) rather than waiting for a launch.
 */
export async function warmUpWorkers(event: WarmUpEvent, clients: { ecs: ECSClient }, pools: WorkerPools): Promise<{ started: string[] }> {
  const started: string[] = [];
  const limits = loadRegistry().workers;
  for (const { model, stage } of event?.warm ?? []) {
    if (!pools.models[model]) throw new InvalidInputError(`warm-up: no worker pool for model ${model} in AFFIANT_WORKER_POOLS`, { model });
    const r = await startIf(clients.ecs, pools, model, stage, (pool) => warmUpStarts(pool, limits) > 0);
    if (r.started) started.push(model);
  }
  log("info", "acquire.warm_up", { execution: event.executionName ?? null, models: (event?.warm ?? []).length, started: started.length });
  return { started };
}

/**
 * Starts one ECS task of the model when the pool policy says so. ECS cannot tell an idle
 * task from a busy one: every running or pending task counts as free (it polls the ready
 * queue when it can).
 */
async function startIf(
  ecs: ECSClient,
  pools: WorkerPools,
  model: string,
  stage: string,
  decide: (pool: Omit<PoolView, "waiting">) => boolean,
): Promise<{ live: number; started: boolean }> {
  const pool = pools.models[model]!;
  const startedBy = startedByFor(model);
  const [running, pending] = await Promise.all(
    (["RUNNING", "PENDING"] as const).map(
      async (desiredStatus) =>
        (await ecs.send(new ListTasksCommand({ cluster: pools.cluster, startedBy, desiredStatus }))).taskArns?.length ?? 0,
    ),
  );
  const live = running! + pending!;
  let started = false;
  if (decide({ live, free: live })) {
    const result = await ecs.send(
      new RunTaskCommand({
        cluster: pools.cluster,
        taskDefinition: pool.taskDefinition,
        startedBy,
        capacityProviderStrategy: [{ capacityProvider: pools.capacityProvider, weight: 1 }],
        networkConfiguration: {
          awsvpcConfiguration: { subnets: pools.subnets, securityGroups: pools.securityGroups, assignPublicIp: "DISABLED" },
        },
        tags: [{ key: "affiant:model", value: model }],
      }),
    );
    if (result.failures?.length) {
      // No capacity now is not the end: the token waits in the queue for the Acquire's budget.
      log("warn", "acquire.run_task_failed", { stage, model, reason: result.failures[0]?.reason ?? null });
    } else started = true;
  }
  return { live, started };
}

function poolsFromEnv(): WorkerPools {
  const raw = config().AFFIANT_WORKER_POOLS;
  if (!raw) throw new InvalidInputError("acquire: AFFIANT_WORKER_POOLS is not set");
  const parsed = workerPoolsSchema.safeParse(JSON.parse(raw));
  if (!parsed.success)
    throw new InvalidInputError(
      `acquire: AFFIANT_WORKER_POOLS: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

export const handler = withTelemetry("Acquire", async (event: AcquireEvent | WarmUpEvent) => {
  const ecs = new ECSClient({ ...awsClientTimeouts() });
  if ("warm" in event) return warmUpWorkers(event, { ecs }, poolsFromEnv());
  return acquireWorker(event, { ecs, sqs: new SQSClient({ ...awsClientTimeouts() }) }, poolsFromEnv());
});
