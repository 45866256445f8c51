/**
 * The llama worker: runs one GPU stage with one model, then exits so the OS takes the
 * memory back. The same entry runs as a child process of the local engine (IPC) and as
 * the ECS task's command (task token). Environment:
 *
 * - AFFIANT_STAGE: the state name (ExtractFacts, DraftDeclaration, Judge…, GuardrailsRewrite)
 * - AFFIANT_CASE_ID, AFFIANT_RUN_KEY, AFFIANT_INDEX_KEY…: ids and blob keys (core/stage-input.ts)
 * - AFFIANT_TASK_TOKEN: the Step Functions task token (ECS path)
 * - AFFIANT_MODEL: registry model id to use instead of the stage's own (local fallback)
 * - AFFIANT_FALLBACK_REASON: set when running as a fallback; faults are not injected then
 * - AFFIANT_STATE_ENTERED_AT, AFFIANT_TIMEOUT_SECONDS, AFFIANT_HEARTBEAT_SECONDS: the state's
 *   entry time and limits; the worker kills itself at the deadline or when no progress of
 *   any kind was made for HeartbeatSeconds + grace (lifeline.ts)
 */
import { openBlobStore, putJson } from "../../core/blob-store.ts";
import { costEntryKey, type CostEntry } from "../../core/stage-report.ts";
import { AffiantError, GenerationRunawayError, InvalidInputError, describeError } from "../../core/errors.ts";
import { log } from "../../core/log.ts";
import { emitMetrics, MetricUnit, withContext } from "../../core/telemetry.ts";
import { stageInputFromEnv, type StageInput } from "../../core/stage-input.ts";
import { injectedFault } from "../../core/faults.ts";
import { config, settingText, type SettingName } from "../../core/config.ts";
import type { StageMetrics } from "../../core/stage-report.ts";
import { loadRegistry, modelEntry, modelFilePath, stageCostUsd, stageEntry } from "../../core/registry.ts";
import { isGpuStage, type GpuStage } from "../../core/state-names.ts";
import { IpcChannel, SfnChannel, type EngineMessage, type TaskChannel, type WorkerMessage } from "./channel.ts";
import type { Llama } from "node-llama-cpp";
import { contextMargin, loadTokenizer, ModelSession, openLlama, planModel, sizeContext, Watchdog, type Progress, type PromptFormat } from "./model-session.ts";
import { planStage, type StageJob } from "../../core/stages/plan.ts";
import { deadlineFromEnv, exitWithin, killSelf, Lifeline } from "./lifeline.ts";
import { capped } from "../../core/capped.ts";

/** When this worker took its stage: its process start, or a warm spare's assignment. */
let workerStartedAt = Date.now();
/** A warm spare's llama.cpp binding, opened before it had a stage. */
let warmLlama: { llama: Llama; gpu: string | undefined } | undefined;
/** The process-wide watchdog, once the stage is known. */
let lifeline: Lifeline | undefined;

/**
 * A warm spare (AFFIANT_WORKER_STANDBY=1): modules loaded and the llama.cpp binding opened
 * and tested, then it waits, with no model, for the engine to give it a stage's environment.
 */
async function standBy(): Promise<void> {
  const assigned = new Promise<NodeJS.ProcessEnv>((resolve) => {
    const onMessage = (message: EngineMessage) => {
      if (message?.type !== "assign") return;
      process.off("message", onMessage);
      resolve(message.env);
    };
    process.on("message", onMessage);
  });
  // The engine is gone: nobody will ever give this spare a stage.
  const orphaned = () => killSelf();
  process.once("disconnect", orphaned);
  warmLlama = { llama: await openLlama(), gpu: config().AFFIANT_GPU };
  process.send!({ type: "ready" } satisfies WorkerMessage);
  const env = await assigned;
  process.off("disconnect", orphaned);
  workerStartedAt = Date.now();
  // The stage's environment replaces the one the spare was forked with, as a fresh fork's would.
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
}

function requireEnv(name: SettingName): string {
  const value = settingText(name);
  if (!value) throw new InvalidInputError(`llama worker: environment variable ${name} is not set`);
  return value;
}

function openChannel(): TaskChannel {
  if (process.send) {
    // The engine that started us is gone (crashed, killed): nobody will take the answer,
    // and a model left running here would hold memory and cores for nothing.
    process.once("disconnect", () => {
      log("warn", "worker.orphaned", { stage: config().AFFIANT_STAGE ?? null });
      killSelf();
    });
    return new IpcChannel();
  }
  return new SfnChannel({ taskToken: requireEnv("AFFIANT_TASK_TOKEN") });
}

/** Heartbeats go out only when something advanced: a stalled worker falls silent. */
function heartbeater(channel: TaskChannel, intervalMs: number) {
  let latest: Progress | undefined;
  let sentKey = "";
  const timer = setInterval(() => {
    if (!latest) return;
    const key = `${latest.phase}:${latest.tokens}:${latest.loadProgress ?? ""}:${latest.promptTokens ?? ""}`;
    if (key === sentKey) return;
    sentKey = key;
    // The lifeline counts from the heartbeat sent, as Step Functions does: the worker then
    // dies within the grace of its state failing, whatever progress came in between.
    lifeline?.progress();
    void channel.heartbeat(latest).catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return {
    update: (p: Progress) => (latest = p),
    stop: () => clearInterval(timer),
  };
}

export async function runStage(stage: GpuStage, input: StageInput, channel: TaskChannel): Promise<StageMetrics> {
  const registry = loadRegistry();
  const entry = stageEntry(registry, stage);
  const modelId = config().AFFIANT_MODEL ?? entry.model;
  const model = modelEntry(registry, modelId);
  const modelPath = modelFilePath(registry, modelId);
  const fallbackReason = config().AFFIANT_FALLBACK_REASON ?? null;
  const fault = fallbackReason ? undefined : input.faults[stage];
  const host = registry.hostClasses[model.hostClass]!;
  // Splitting over GPUs is refused unless allowed, so the budget is one GPU of the host.
  const memoryBudgetBytes = host.gpuMemoryGiB * 2 ** 30 * (model.allowSplit ? host.gpusPerHost : 1);
  const heartbeats = heartbeater(channel, Math.min(5000, Math.max(200, (entry.heartbeatSeconds * 1000) / 4)));
  const store = await openBlobStore();
  // Starting up is progress too: each step that completes moves the heartbeat on.
  let step = 0;
  const planned = () => heartbeats.update({ phase: "plan", tokens: 0, tokensPerSecond: 0, promptTokens: ++step });
  await channel.heartbeat({ phase: "start", tokens: 0, tokensPerSecond: 0 });
  lifeline?.progress();

  const warm = warmLlama && warmLlama.gpu === config().AFFIANT_GPU ? warmLlama.llama : undefined;
  if (warmLlama && !warm) await warmLlama.llama.dispose();
  warmLlama = undefined;
  const llama = warm ?? (await openLlama());
  // Enqueued → able to plan: a cold worker's whole start-up, next to nothing for a warm spare.
  const readyAt = Date.now();
  planned();
  let session: ModelSession | undefined;
  try {
    const plan = await planModel({ modelId, modelPath, stage, memoryBudgetBytes, llama });
    planned();
    const contextLimit = Math.min(plan.trainContextSize, model.contextSize) - contextMargin;
    const format: PromptFormat = { chatWrapper: model.chatWrapper, thoughtBudget: entry.thoughtBudget };
    const tokenizer = await loadTokenizer(llama, modelPath, format);
    planned();
    let job: StageJob;
    let promptTokens: number;
    try {
      job = await planStage({ stage, input, store, countTokens: tokenizer.count, contextLimit: contextLimit - entry.thoughtBudget, maxTokens: entry.maxTokens, onProgress: planned });
      promptTokens = Math.max(...job.calls.map((c) => tokenizer.count(c.prompt)));
    } finally {
      await tokenizer.dispose();
    }
    // Thinking comes on top of the answer's budget, and must fit the context too.
    const callMaxTokens = Math.max(...job.calls.map((c) => c.maxTokens)) + entry.thoughtBudget;
    planned();
    const contextSize = await sizeContext({
      stage,
      modelId,
      promptTokens,
      maxTokens: callMaxTokens,
      plan,
      memoryBudgetBytes,
      // The `oom` fault asks for a context no host could hold: refused before any load.
      forceContextSize: fault === "oom" ? plan.trainContextSize * 64 : undefined,
      configuredMax: model.contextSize,
    });

    const deadlineAt = deadlineFromEnv();
    session = await ModelSession.load({
      // Loading stops at the state's deadline (the lifeline kills the process then anyway).
      signal: deadlineAt ? AbortSignal.timeout(Math.max(1, deadlineAt - Date.now())) : undefined,
      llama,
      modelPath,
      modelId,
      stage,
      contextSize,
      threads: config().AFFIANT_THREADS,
      plan,
      onLoadProgress: (fraction) => heartbeats.update({ phase: "load", tokens: 0, tokensPerSecond: 0, loadProgress: fraction }),
    });

    const outputs: string[] = [];
    let tokensIn = 0;
    let tokensOut = 0;
    let thoughtTokens = 0;
    let promptMs = 0;
    let genMs = 0;
    for (const call of job.calls) {
      const genStarted = performance.now();
      const watchdog = new Watchdog(
        entry.watchdogSeconds * 1000,
        (err) => void failAndExit(channel, err),
        () => ({ stage, model: modelId, tokens: tokensOut }),
      );
      watchdog.start();
      let result: Awaited<ReturnType<ModelSession["generate"]>>;
      try {
        const grammar = call.schema ? await session.createJsonGrammar(call.schema) : undefined;
        result = await session.generate({
          prompt: call.prompt,
          maxTokens: call.maxTokens,
          temperature: entry.temperature ?? model.temperature ?? 0.7,
          grammar,
          fault,
          format,
          onPromptProgress: (evaluated) => {
            watchdog.feed();
            heartbeats.update({ phase: "prompt", tokens: tokensOut, tokensPerSecond: 0, promptTokens: evaluated });
          },
          onToken: (n) => {
            watchdog.feed();
            const elapsed = (performance.now() - genStarted) / 1000;
            heartbeats.update({ phase: "generate", tokens: tokensOut + n, tokensPerSecond: elapsed > 0 ? (tokensOut + n) / elapsed : 0 });
          },
        });
      } finally {
        // A generation that threw must not leave its watchdog to fire later.
        watchdog.stop();
      }
      if (call.schema && result.hitBudget) {
        throw new GenerationRunawayError(`${stage}: ${modelId} reached its ${call.maxTokens}-token cap before finishing its JSON`, { state: stage, model: modelId });
      }
      outputs.push(result.text);
      tokensIn += result.promptTokens;
      tokensOut += result.tokens.length;
      thoughtTokens += result.thoughtTokens;
      promptMs += result.promptMs;
      genMs += result.genMs;
    }
    const outputKey = await job.finish(outputs);
    const metrics: StageMetrics = {
      // The GPU is held from the task's start to its end, not only while generating.
      costUsd: stageCostUsd(registry, { provider: "local", model: modelId, wallMs: Date.now() - workerStartedAt, tokensIn, tokensOut }),
      outputKey,
      stage,
      model: modelId,
      provider: "local",
      fallbackReason,
      tokensIn,
      tokensOut,
      loadMs: Math.round(session.loadMs),
      promptMs: Math.round(promptMs),
      genMs: Math.round(genMs),
      queueMs: config().AFFIANT_ENQUEUED_AT !== undefined ? Math.max(0, readyAt - config().AFFIANT_ENQUEUED_AT!) : 0,
      warmStart: Boolean(warm),
      tokensPerSecond: genMs > 0 ? Math.round((tokensOut / genMs) * 1000 * 10) / 10 : 0,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      contextSize,
      ...session.placement,
      thoughtTokens,
      chunksUsed: job.calls.reduce((n, c) => n + c.chunksUsed, 0),
      chunksOmitted: job.calls.reduce((n, c) => n + c.chunksOmitted, 0),
    };
    await putJson(store, costEntryKey(input.runKey, stage, input.round), { stage, provider: "local", model: modelId, costUsd: metrics.costUsd, tokensIn, tokensOut } satisfies CostEntry);
    return metrics;
  } finally {
    heartbeats.stop();
    if (session) await session.dispose();
    else await llama.dispose();
  }
}

async function failAndExit(channel: TaskChannel, err: unknown): Promise<never> {
  const { name, message } = describeError(err);
  const cause = err instanceof AffiantError ? err.toCause() : JSON.stringify({ errorType: name, errorMessage: message });
  log("error", "worker.failed", { stage: config().AFFIANT_STAGE, error: name, model: (err as AffiantError).model });
  emitMetrics([{ name: "WorkerErrors", unit: MetricUnit.Count, value: 1, dimensions: { Stage: config().AFFIANT_STAGE ?? "unknown", Error: name } }]);
  // The report is best effort and capped; the exit is SIGKILL, which no stuck thread delays.
  await capped(channel.fail(name, cause));
  killSelf();
}

async function main(): Promise<void> {
  const channel = openChannel();
  try {
    const input = stageInputFromEnv();
    const stage = input.stage;
    if (!isGpuStage(stage)) throw new InvalidInputError(`llama worker: ${stage} is not a GPU stage`);
    const heartbeatSeconds = config().AFFIANT_HEARTBEAT_SECONDS ?? stageEntry(loadRegistry(), stage).heartbeatSeconds;
    lifeline = new Lifeline({
      stage,
      heartbeatSeconds,
      deadlineAt: deadlineFromEnv(),
      task: process.send ? undefined : { token: requireEnv("AFFIANT_TASK_TOKEN"), endpoint: config().AFFIANT_SFN_ENDPOINT },
    });
    // The breaker was asked before this task was placed (the stage's Admit state). In ECS
    // the worker records its success in the shared routing table; a failure of any kind
    // (its own, or a stall or crash it could not report) is recorded by the fallback.
    // A drill (an injected fault) is not the model's outcome: the breaker does not hear of it.
    const routing = !process.send && config().AFFIANT_ROUTING_TABLE && !injectedFault(process.env, stage) ? (await import("../../core/routing-store.ts")).openRoutingStore() : undefined;
    const model = config().AFFIANT_MODEL ?? stageEntry(loadRegistry(), stage).model;
    const metrics = await runStage(stage, input, channel);
    await capped(routing?.record(model, stage, null) ?? Promise.resolve());
    log("info", "worker.done", {
      stage,
      execution: input.executionName,
      model: metrics.model,
      tokensIn: metrics.tokensIn,
      tokensOut: metrics.tokensOut,
      loadMs: metrics.loadMs,
      promptMs: metrics.promptMs,
      genMs: metrics.genMs,
      tokensPerSecond: metrics.tokensPerSecond,
      peakRssMb: metrics.peakRssMb,
    });
    emitMetrics([
      { name: "TokensPerSecond", unit: MetricUnit.CountPerSecond, value: metrics.tokensPerSecond, dimensions: { Stage: stage, Model: metrics.model } },
      { name: "ModelLoadTime", unit: MetricUnit.Milliseconds, value: metrics.loadMs, dimensions: { Stage: stage } },
      { name: "GenerationTime", unit: MetricUnit.Milliseconds, value: metrics.genMs, dimensions: { Stage: stage } },
    ]);
    await channel.succeed(metrics);
    exitWithin(0);
  } catch (err) {
    await failAndExit(channel, err);
  }
}

if (config().AFFIANT_WORKER_STANDBY === "1") await standBy();
const env = config();
await withContext({ state: env.AFFIANT_STATE ?? env.AFFIANT_STAGE, execution: env.AFFIANT_EXECUTION, caseId: env.AFFIANT_CASE_ID }, main);
