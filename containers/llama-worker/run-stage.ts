/**
 * Runs one GPU stage with one model: plan the prompts with the model's tokenizer, size the
 * context, load, generate each call under the stall watchdog with heartbeats, store the
 * outputs, and answer with the stage's metrics.
 */

import { openBlobStore } from "../../core/blob-store.ts";
import { config } from "../../core/config.ts";
import { GenerationRunawayError, InvalidInputError } from "../../core/errors.ts";
import { log } from "../../core/log.ts";
import { loadRegistry, modelEntry, modelFilePath, stageEntry } from "../../core/registry.ts";
import { recordStageCost, stageMetrics } from "../../core/stages/metrics.ts";
import { planStage, type StageJob } from "../../core/stages/plan-stage.ts";
import type { StageMetrics } from "../../core/stages/report.ts";
import type { StageInput } from "../../core/stages/task-env.ts";
import type { GpuStage } from "../../core/state-names.ts";
import type { TaskChannel } from "./channel.ts";
import { contextMargin, planModel, sizeContext } from "./context-plan.ts";
import { heartbeater } from "./heartbeat.ts";
import { cutAfterLastItem } from "./json-cut.ts";
import { deadlineFromEnv, type Lifeline } from "./lifeline.ts";
import { ModelSession, openLlama } from "./model-session.ts";
import { loadTokenizer, type PromptFormat } from "./prompt-format.ts";
import { type WarmModel, warmMode } from "./warm-model.ts";
import { Watchdog } from "./watchdog.ts";

export interface WorkerState {
  /** When this worker took its stage: its process start, or a warm model worker's assignment. */
  startedAt: number;
  /** A warm model worker's model, loaded by an earlier task of this process (warm-model.ts). */
  held?: WarmModel;
  /** How long the warm model worker sat idle before this task (charged to it). */
  warmIdleMs?: number;
  /** The process-wide watchdog, once the stage is known. */
  lifeline?: Lifeline;
  /** Reports a fatal error and ends the process: a stalled generation cannot be unwound. */
  failAndExit(err: unknown): Promise<never>;
}

export async function runStage(stage: GpuStage, input: StageInput, channel: TaskChannel, worker: WorkerState): Promise<StageMetrics> {
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
  const heartbeats = heartbeater(channel, Math.min(5000, Math.max(200, (entry.heartbeatSeconds * 1000) / 4)), () =>
    worker.lifeline?.progress(),
  );
  const store = await openBlobStore();
  // Starting up is progress too: each step that completes moves the heartbeat on.
  let step = 0;
  const planned = () => heartbeats.update({ phase: "plan", tokens: 0, tokensPerSecond: 0, promptTokens: ++step });
  await channel.heartbeat({ phase: "start", tokens: 0, tokensPerSecond: 0 });
  worker.lifeline?.progress();

  // One model per process, ever: a warm worker given another model's stage is the pool's bug.
  if (worker.held && (worker.held.modelId !== modelId || worker.held.modelPath !== modelPath)) {
    throw new InvalidInputError(
      `llama worker: a warm worker of ${worker.held.modelId} was given ${stage} with ${modelId}; one model per process`,
      { state: stage, model: modelId },
    );
  }
  const reused = worker.held;
  worker.held = undefined;
  const llama = reused ? reused.session.llama : await openLlama();
  // Enqueued → able to plan: a cold worker's whole start-up, next to nothing for a warm one.
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
      job = await planStage({
        stage,
        input,
        store,
        countTokens: tokenizer.count,
        contextLimit: contextLimit - entry.thoughtBudget,
        maxTokens: entry.maxTokens,
        onProgress: planned,
      });
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
    // Loading stops at the state's deadline (the lifeline kills the process then anyway).
    const loadSignal = deadlineAt ? AbortSignal.timeout(Math.max(1, deadlineAt - Date.now())) : undefined;
    // A warm worker's model stays; its context is new: no KV cache or prompt of another task.
    session = reused
      ? await reused.session.renew({ contextSize, threads: config().AFFIANT_THREADS, signal: loadSignal, stage })
      : await ModelSession.load({
          signal: loadSignal,
          llama,
          modelPath,
          modelId,
          stage,
          contextSize,
          threads: config().AFFIANT_THREADS,
          plan,
          flashAttention: model.flashAttention,
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
        (err) => void worker.failAndExit(err),
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
          stopOnRepeat: call.cutAtLastItem === true,
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
      let text = result.text;
      // A list of items that each stand alone keeps the items completed before a repetition or the cap.
      const cut = call.cutAtLastItem && (result.repeated || result.hitBudget) ? cutAfterLastItem(text) : undefined;
      if (cut !== undefined) {
        log("warn", "worker.answer_cut", {
          stage,
          model: modelId,
          call: call.id,
          reason: result.repeated ? "repeating itself" : "token cap",
          tokens: result.tokens.length,
          keptChars: cut.length,
        });
        text = cut;
      } else if (result.repeated) {
        throw new GenerationRunawayError(
          `${stage}: ${modelId} is repeating itself after ${result.tokens.length} tokens, with no complete item before it`,
          {
            state: stage,
            model: modelId,
          },
        );
      } else if (call.schema && result.hitBudget) {
        throw new GenerationRunawayError(`${stage}: ${modelId} reached its ${call.maxTokens}-token cap before finishing its JSON`, {
          state: stage,
          model: modelId,
        });
      }
      outputs.push(text);
      tokensIn += result.promptTokens;
      tokensOut += result.tokens.length;
      thoughtTokens += result.thoughtTokens;
      promptMs += result.promptMs;
      genMs += result.genMs;
    }
    const outputKey = await job.finish(outputs);
    const metrics = stageMetrics(registry, {
      outputKey,
      stage,
      model: modelId,
      provider: "local",
      fallbackReason,
      tokensIn,
      tokensOut,
      // A worker that loaded its model in Acquire charges that load to its first task.
      loadMs: reused?.preloadMs ?? session.loadMs,
      promptMs,
      genMs,
      // The GPU is held from the task's start to its end, not only while generating.
      wallMs: Date.now() - worker.startedAt,
      queueMs: config().AFFIANT_ENQUEUED_AT !== undefined ? Math.max(0, readyAt - config().AFFIANT_ENQUEUED_AT!) : 0,
      warmStart: Boolean(reused),
      modelReused: Boolean(reused) && reused?.preloadMs === undefined,
      warmIdleMs: worker.warmIdleMs ?? 0,
      contextSize,
      placement: session.placement,
      thoughtTokens,
      calls: job.calls,
    });
    await recordStageCost(store, input, metrics);
    if (warmMode()) {
      // Only the weights stay: the context (KV cache, sequence, prompt) goes with the task.
      await session.releaseContext();
      worker.held = { modelId, modelPath, session };
      session = undefined;
    }
    return metrics;
  } finally {
    heartbeats.stop();
    if (session) await session.dispose();
    else if (!worker.held) await llama.dispose();
  }
}
