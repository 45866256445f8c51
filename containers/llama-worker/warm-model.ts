/**
 * A warm model worker (local engine, IPC only; AFFIANT_WARM_MAX_TASKS set): after its task
 * the process keeps the weights of its one model loaded, with no context, and waits for
 * the engine's next task of that model, up to AFFIANT_WARM_IDLE_SECONDS; after
 * AFFIANT_WARM_MAX_TASKS tasks, or RSS growth past AFFIANT_WARM_MAX_RSS_GROWTH_MB over the
 * first task's, it exits. A failure of any kind never gets here: failAndExit kills the
 * process, so the next task of the model starts in a fresh one.
 */
import { config, replaceEnv } from "../../core/config.ts";
import { injectedFault } from "../../core/faults.ts";
import { retireReason } from "../../core/gpu-pool-policy.ts";
import { log } from "../../core/log.ts";
import { loadRegistry, modelEntry, modelFilePath } from "../../core/registry.ts";
import type { StageMetrics } from "../../core/stages/report.ts";
import type { EngineMessage, WorkerMessage } from "./channel.ts";
import { planModel } from "./context-plan.ts";
import { misbehave } from "./fault-injection.ts";
import { ensureModelFile } from "./model-fetch.ts";
import { ModelSession, openLlama } from "./model-session.ts";

/** The one model this process ever loads, kept between tasks with its context released. */
export interface WarmModel {
  modelId: string;
  modelPath: string;
  session: ModelSession;
  /** Set until the first task of a worker that loaded its model in Acquire: that load, charged to it. */
  preloadMs?: number;
}

/**
 * The Acquire state's half (AFFIANT_PRELOAD_MODEL): load the model, with no stage and no
 * state clock running but the Acquire budget's, release the context, say "loaded", and
 * wait for the generate task. The placement is sized for the model's largest context, so
 * any later task's context fits beside the weights. The `slow-start` drill waits
 * AFFIANT_SLOW_START_SECONDS first: an instance launch and image pull, simulated; the
 * `hang-load` drill never returns, as a load stuck in native code.
 */
export async function preloadModel(modelId: string): Promise<WarmModel> {
  const env = config();
  const stage = env.AFFIANT_STAGE ?? "Acquire";
  const fault = injectedFault(stage);
  if (fault === "slow-start") await new Promise((r) => setTimeout(r, (env.AFFIANT_SLOW_START_SECONDS ?? 120) * 1000));
  // A load stuck inside llama.cpp: nothing on this thread runs again; the preload's lifeline ends the process.
  if (fault === "hang-load") await misbehave("hang-native", stage);
  const registry = loadRegistry();
  const model = modelEntry(registry, modelId);
  // The model's file from S3 when AFFIANT_MODEL_SOURCE names it (model-fetch.ts): counted in the Acquire budget.
  await ensureModelFile(registry, modelId);
  const modelPath = modelFilePath(registry, modelId);
  const host = registry.hostClasses[model.hostClass]!;
  const llama = await openLlama();
  const plan = await planModel({
    modelId,
    modelPath,
    stage,
    memoryBudgetBytes: host.gpuMemoryGiB * 2 ** 30 * (model.allowSplit ? host.gpusPerHost : 1),
    llama,
  });
  const session = await ModelSession.load({
    llama,
    modelPath,
    modelId,
    stage,
    contextSize: Math.min(plan.trainContextSize, model.contextSize),
    threads: env.AFFIANT_THREADS,
    plan,
    flashAttention: model.flashAttention,
  });
  await session.releaseContext();
  stats.tasks = 0;
  log("info", "worker.preloaded", { model: modelId, loadMs: Math.round(session.loadMs) });
  if (process.send) listenForAssign(env.AFFIANT_WARM_IDLE_SECONDS ?? 30);
  process.send?.({ type: "loaded", model: modelId, loadMs: Math.round(session.loadMs) } satisfies WorkerMessage);
  return { modelId, modelPath, session, preloadMs: session.loadMs };
}

/** In ECS, polling its model's activity (activity-loop.ts, loaded only then) rather than answering one token. */
export const activityMode = (): boolean => !process.send && Boolean(config().AFFIANT_ACTIVITY_ARN && config().AFFIANT_READY_QUEUE_URL);

/** Locally under the engine (IPC), or in ECS polling its model's activity (activity-loop.ts). */
export const warmMode = (): boolean => Boolean((process.send || config().AFFIANT_ACTIVITY_ARN) && config().AFFIANT_WARM_MAX_TASKS);

/** Tasks this process completed, and its RSS after the first (the growth baseline). */
const stats = { tasks: 0, baselineRssMb: 0 };
let nextAssign: Promise<NodeJS.ProcessEnv | undefined> | undefined;

/**
 * Called with the task done, before the answer goes out: undefined when the worker must
 * exit (maxTasks, RSS growth, no model held, engine gone); else it is already listening for
 * the next task (the engine may assign one the moment it reads the answer) and returns
 * what the answer tells the engine.
 */
export function stayWarm(held: WarmModel | undefined): NonNullable<StageMetrics["stayWarm"]> | undefined {
  stats.tasks++;
  const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
  if (stats.tasks === 1) stats.baselineRssMb = rssMb;
  const growthMb = rssMb - stats.baselineRssMb;
  const env = config();
  const maxTasks = env.AFFIANT_WARM_MAX_TASKS ?? 1;
  const idleSeconds = env.AFFIANT_WARM_IDLE_SECONDS ?? 30;
  const maxGrowthMb = env.AFFIANT_WARM_MAX_RSS_GROWTH_MB ?? 512;
  const reason =
    retireReason({ tasks: stats.tasks, rssGrowthMb: growthMb }, { maxTasks, maxRssGrowthMb: maxGrowthMb }) ??
    (!held ? "noModel" : process.send && !process.connected ? "disconnected" : undefined);
  if (reason || !held) {
    log("info", "worker.recycled", { model: held?.modelId ?? null, tasks: stats.tasks, reason: reason ?? "noModel", rssMb });
    return undefined;
  }
  // In ECS the next task comes from the ready queue and the activity (activity-loop.ts).
  if (process.send) listenForAssign(idleSeconds);
  return { model: held.modelId, tasks: stats.tasks, rssGrowthMb: growthMb };
}

/** Listens for the engine's next task of this model, up to idleSeconds. */
function listenForAssign(idleSeconds: number): void {
  nextAssign = new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), idleSeconds * 1000);
    const onMessage = (message: EngineMessage) => message?.type === "assign" && done(message.env);
    const done = (next: NodeJS.ProcessEnv | undefined) => {
      clearTimeout(timer);
      process.off("message", onMessage);
      resolve(next);
    };
    process.on("message", onMessage);
  });
}

/**
 * After the answer: waits, no state's clock running, for the next task of this model. True
 * with that task's environment in place (replacing the last, as a fresh fork's would);
 * false after idleSeconds with none (the caller exits and capacity goes back to zero).
 */
export async function awaitNextTask(held: WarmModel | undefined): Promise<boolean> {
  const next = await nextAssign;
  nextAssign = undefined;
  if (!next) {
    log("info", "worker.recycled", { model: held?.modelId ?? null, tasks: stats.tasks, reason: "idle" });
    return false;
  }
  replaceEnv(next);
  return true;
}
