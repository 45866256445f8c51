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
 * charged to the stage's HeartbeatSeconds. When ECS places nothing (RunTask's `failures[]`:
 * no capacity, a quota of 0) and no worker of the model is live, the Acquire fails at once
 * with Affiant.NoGpuCapacity, into the stage's fallback, instead of waiting out its budget.
 */
import { ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { z } from "zod";
import { awsClientTimeouts } from "../core/aws-timeouts.ts";
import { warmableModels } from "../core/breaker.ts";
import { config } from "../core/config.ts";
import { InvalidInputError, NoGpuCapacityError } from "../core/errors.ts";
import { decideAcquire, type PoolView, stuckWorkerReason, warmStartedByPrefix, warmUpStarts } from "../core/gpu-pool-policy.ts";
import { log } from "../core/log.ts";
import { loadRegistry, stageEntry } from "../core/registry.ts";
import { defaultBreaker, openRoutingStore, type RoutingStore } from "../core/routing-store.ts";
import { isGpuStage } from "../core/state-names.ts";
import { withTelemetry } from "../core/telemetry.ts";
import { runningTasks, workerTaskView } from "./gpu-reaper.ts";

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
  return `${warmStartedByPrefix}${model}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 36);
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
  clients: { ecs: ECSClient; sqs: SQSClient; now?: () => number },
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
  // Tokens waiting (this one included) beyond the live workers need one more, up to the
  // pool's size. Approximate on both sides: a worker too many exits after idleSeconds, and a
  // token left waiting gets its worker from the next Acquire or when a busy one finishes.
  const waiting = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: pool.queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  const queued = Number(waiting.Attributes?.ApproximateNumberOfMessages ?? 0) + 1;
  const { live, started, failure } = await startIf(
    clients.ecs,
    pools,
    model,
    stage,
    (pool) => decideAcquire({ ...pool, waiting: queued }, registry.workers).kind === "start",
    clients.now?.(),
  );
  // ECS refused the start (no capacity, a quota of 0) and no worker of the model is there to
  // take the token: waiting out the budget would only delay the fallback.
  if (failure && live === 0)
    throw new NoGpuCapacityError(`${stage}: ECS started no worker of ${model} (${failure}); the stage goes to its fallback`, {
      state: stage,
      model,
    });
  // Then the token: a worker already idle takes it at once; one starting takes it when loaded.
  const message: ReadyToken = { taskToken: event.taskToken, stage, model, executionName: event.executionName ?? null };
  await clients.sqs.send(new SendMessageCommand({ QueueUrl: pool.queueUrl, MessageBody: JSON.stringify(message) }));
  log("info", "acquire.queued", { execution: event.executionName ?? null, stage, model, live, started });
  return { model, started, running: live + (started ? 1 : 0) };
}

/**
 * WarmUp (after Extract, so a case whose documents cannot be read starts no GPU): for each
 * model with no live or starting worker, one is started now, so the first GPU stage's
 * Acquire finds it loaded (or loading) rather than waiting for a launch. Only models the
 * circuit breaker would admit (closed, no probe due) are warmed: the Admit state refuses the
 * others, and a worker started for them would hold a g5 for nobody.
 */
export async function warmUpWorkers(
  event: WarmUpEvent,
  clients: { ecs: ECSClient; routing?: Pick<RoutingStore, "health"> },
  pools: WorkerPools,
): Promise<{ started: string[]; refused: string[] }> {
  const started: string[] = [];
  const registry = loadRegistry();
  const wanted = event?.warm ?? [];
  for (const { model } of wanted)
    if (!pools.models[model]) throw new InvalidInputError(`warm-up: no worker pool for model ${model} in AFFIANT_WORKER_POOLS`, { model });
  const store = clients.routing ?? openRoutingStore();
  let gate: Awaited<ReturnType<typeof warmableModels>>;
  try {
    gate = await warmableModels(
      store,
      wanted.map((w) => w.model),
      (model) => registry.models[model]?.breaker ?? defaultBreaker,
    );
  } finally {
    if (!clients.routing) (store as RoutingStore).dispose();
  }
  for (const { model, stage } of wanted) {
    if (!gate.warmable.includes(model)) continue;
    const r = await startIf(clients.ecs, pools, model, stage, (pool) => warmUpStarts(pool, registry.workers) > 0);
    if (r.started) started.push(model);
  }
  for (const { model, why } of gate.refused) log("warn", "acquire.warm_up_refused", { execution: event.executionName ?? null, model, why });
  log("info", "acquire.warm_up", { execution: event.executionName ?? null, models: wanted.length, started: started.length });
  return { started, refused: gate.refused.map((r) => r.model) };
}

/**
 * Starts one ECS task of the model when the pool policy says so. ECS cannot tell an idle
 * task from a busy one: every live task counts as free (it polls the ready queue when it
 * can). A task that can never answer (stuck provisioning or loading past the acquire
 * budget: the sweeper stops it) is not live, so it blocks no start. `failure`: the reason
 * ECS gave when RunTask placed nothing.
 */
async function startIf(
  ecs: ECSClient,
  pools: WorkerPools,
  model: string,
  stage: string,
  decide: (pool: Omit<PoolView, "waiting">) => boolean,
  now = Date.now(),
): Promise<{ live: number; started: boolean; failure?: string }> {
  const pool = pools.models[model]!;
  const startedBy = startedByFor(model);
  const limits = loadRegistry().workers;
  const tasks = await runningTasks(ecs, pools.cluster, startedBy);
  const stuck = tasks.filter((t) => stuckWorkerReason(workerTaskView(t), now, limits) !== undefined).length;
  const live = tasks.length - stuck;
  if (!decide({ live, free: live })) return { live, started: false };
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
  if (result.tasks?.length) return { live, started: true };
  // RunTask answers 200 with failures[] when it places nothing (RESOURCE:GPU, a capacity provider at its quota…).
  const failure = (result.failures ?? []).map((f) => [f.reason, f.detail].filter(Boolean).join(": ")).join("; ") || "no task and no reason";
  log("warn", "acquire.run_task_failed", { stage, model, stuck, reason: failure.slice(0, 200) });
  return { live, started: false, failure };
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
