/**
 * One model in one process: load, generate with a grammar, thought budget and runaway check,
 * dispose. Every failure the Ollama deployment hid (silent truncation, endless hangs,
 * runaway output, memory that never came back) is a named error. Sizing the context is
 * context-plan.ts's, the prompt format prompt-format.ts's, drills fault-injection.ts's, the
 * stall watchdog watchdog.ts's and runaway detection loop-detector.ts's.
 */

import os from "node:os";
import {
  getLlama,
  type Llama,
  type LlamaContext,
  type LlamaGrammar,
  LlamaGrammarEvaluationState,
  LlamaLogLevel,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { config } from "../../core/config.ts";
import { ContextTooLargeError, GenerationRunawayError, ModelDoesNotFitError, ModelUnavailableError } from "../../core/errors.ts";
import { openCpuLlama } from "../../core/llama-binding.ts";
import type { FaultKind } from "../../core/pipeline-state.ts";
import { type ModelPlan, mib, type Placement, placeModel } from "./context-plan.ts";
import { assertCudaBuild } from "./cuda-build.ts";
import { faultAfterTokens, misbehave } from "./fault-injection.ts";
import { closesThought, fillerByText, repeatsItself } from "./loop-detector.ts";
import { defaultPromptFormat, endsWithTrigger, formatPrompt, type PromptFormat, triggerText } from "./prompt-format.ts";

// The engine (workflows/engine/) has always taken the heartbeat's type from here.
export type { Progress } from "./channel.ts";

/**
 * The llama.cpp binding: the CPU prebuilt locally, CUDA in the container
 * (`AFFIANT_GPU=cuda`, the CUDA 12 build: cuda-build.ts). Never builds at run time: a worker that compiles is a worker that hangs.
 */
export async function openLlama(): Promise<Llama> {
  if (config().AFFIANT_GPU !== "cuda") return openCpuLlama(LlamaLogLevel.error);
  const llama = await getLlama({ gpu: "cuda", build: "never", logLevel: LlamaLogLevel.error });
  // The CUDA build is chosen in the image (cuda-build.ts): prove it is the one mapped.
  assertCudaBuild(llama);
  return llama;
}

export interface GenerateOptions {
  prompt: string;
  maxTokens: number;
  /** Default: 0.7. 0 decodes greedily. */
  temperature?: number;
  grammar?: LlamaGrammar;
  /** Injected misbehaviour for game days and tests. Default: none. */
  fault?: FaultKind;
  /** Called after every token; the caller throttles what it sends. */
  onToken?: (tokens: number) => void;
  /** Chat template and thinking policy. Default: raw text, no thinking. */
  format?: PromptFormat;
  /** Called as the prompt is evaluated, in slices: a long prompt is progress, not a stall. */
  onPromptProgress?: (evaluated: number, total: number) => void;
  /**
   * End the answer where the model starts repeating itself and report it (`repeated`), rather
   * than fail with Affiant.GenerationRunaway: for a caller that keeps only the complete items
   * of a list (json-cut.ts). An injected fault always fails. Default: false.
   */
  stopOnRepeat?: boolean;
}

/** Prompt tokens evaluated between progress reports. */
const promptSlice = 256;

export interface GenerationResult {
  /** The answer, without any thought segment. */
  text: string;
  /** Every generated token, thought included. */
  tokens: Token[];
  /** Tokens spent thinking (thought segment, its forced closing included). */
  thoughtTokens: number;
  promptTokens: number;
  promptMs: number;
  genMs: number;
  /** True when the output budget ended the text, not the model. */
  hitBudget: boolean;
  /** True when the model repeated itself and `stopOnRepeat` ended the text there. */
  repeated: boolean;
}

export interface LoadOptions {
  /** The llama.cpp binding; the session takes ownership and disposes it. */
  llama: Llama;
  modelPath: string;
  modelId: string;
  stage: string;
  contextSize: number;
  /** Default: all available cores but one, at least 1. */
  threads?: number;
  onLoadProgress?: (fraction: number) => void;
  /** Aborts loading (weights and context), e.g. at the state's deadline. */
  signal?: AbortSignal;
  /** The GGUF plan (planModel): on a GPU, every layer must fit in the VRAM free now. */
  plan?: ModelPlan;
  /** The registry model's `flashAttention`; unset, llama.cpp decides. Every context of the model keeps it. */
  flashAttention?: boolean;
}

export class ModelSession {
  private disposed = false;
  private contextReleased = false;
  private sequence: ReturnType<LlamaContext["getSequence"]> | undefined;

  private constructor(
    readonly llama: Llama,
    readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly loadMs: number,
    private readonly stage: string,
    private readonly modelId: string,
    readonly placement: Placement,
  ) {}

  static async load(options: LoadOptions): Promise<ModelSession> {
    const started = performance.now();
    const llama = options.llama;
    try {
      const gpuLayers = await placeModel(llama, {
        stage: options.stage,
        modelId: options.modelId,
        contextSize: options.contextSize,
        plan: options.plan,
      });
      const model = await llama.loadModel({
        modelPath: options.modelPath,
        // A number, never "auto": all layers, or (CPU build) none.
        gpuLayers: gpuLayers === Number.MAX_SAFE_INTEGER ? "max" : gpuLayers,
        onLoadProgress: options.onLoadProgress,
        loadSignal: options.signal,
        defaultContextFlashAttention: options.flashAttention ?? "auto",
      });
      const threads = options.threads ?? Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) - 1);
      const context = await model.createContext({ contextSize: options.contextSize, threads, sequences: 1, createSignal: options.signal });
      const vram = llama.gpu === false ? undefined : await llama.getVramState();
      const placement: Placement = {
        gpuLayers: model.gpuLayers,
        ...(vram ? { vramTotalMb: mib(vram.total), vramUsedMb: mib(vram.used) } : {}),
      };
      return new ModelSession(llama, model, context, performance.now() - started, options.stage, options.modelId, placement);
    } catch (err) {
      await llama.dispose().catch(() => undefined);
      if (err instanceof ModelDoesNotFitError) throw err;
      throw new ModelUnavailableError(`${options.stage}: loading ${options.modelId} failed: ${(err as Error).message}`, {
        state: options.stage,
        model: options.modelId,
      });
    }
  }

  /**
   * The same loaded model with a fresh context (a warm model worker's next task): no KV
   * cache, sequence or prompt of the previous task survives; only the weights do. This
   * session is spent afterwards (its owner now holds the new one).
   */
  async renew(options: { contextSize: number; threads?: number; signal?: AbortSignal; stage: string }): Promise<ModelSession> {
    if (this.disposed) throw new Error("renew: the session was disposed");
    const started = performance.now();
    await this.releaseContext();
    const threads = options.threads ?? Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) - 1);
    const context = await this.model.createContext({
      contextSize: options.contextSize,
      threads,
      sequences: 1,
      createSignal: options.signal,
    });
    this.disposed = true;
    return new ModelSession(this.llama, this.model, context, performance.now() - started, options.stage, this.modelId, {
      ...this.placement,
    });
  }

  /** Frees the context (and its KV cache) and keeps the weights loaded for {@link renew}. */
  async releaseContext(): Promise<void> {
    if (this.contextReleased) return;
    this.contextReleased = true;
    this.sequence = undefined;
    await this.context.dispose();
  }

  /** The model id this session holds (a warm worker holds one, ever). */
  get heldModel(): string {
    return this.modelId;
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  async generate(options: GenerateOptions): Promise<GenerationResult> {
    const format = formatPrompt(this.model, options.prompt, options.format ?? defaultPromptFormat);
    const promptTokens = format.tokens;
    // One sequence for the session; its history is cleared between calls.
    const sequence = (this.sequence ??= this.context.getSequence({
      // The default shift erases the start of the prompt when the context fills: the model
      // would answer without the case's first sources and nobody would know. Refused instead.
      contextShift: {
        strategy: () => {
          throw new ContextTooLargeError(
            `${this.stage}: ${this.modelId} filled its ${this.context.contextSize}-token context; the prompt's start is not erased`,
            { state: this.stage, model: this.modelId },
          );
        },
      },
    }));
    try {
      // A looping model has left its grammar behind: the forced tokens would not parse.
      const grammar = options.fault === "loop" ? undefined : options.grammar;
      const grammarState = grammar ? new LlamaGrammarEvaluationState({ model: this.model, grammar }) : undefined;
      const started = performance.now();
      // All but the last prompt token in slices, reporting each; the last one starts generation.
      const head = promptTokens.slice(0, -1);
      for (let i = 0; i < head.length; i += promptSlice) {
        await sequence.evaluateWithoutGeneratingNewTokens(head.slice(i, i + promptSlice));
        options.onPromptProgress?.(Math.min(i + promptSlice, head.length), promptTokens.length);
      }
      const thought = format.thought;
      let thinking = thought !== undefined;
      let thoughtTokens = 0;
      let answerStart = 0;
      const iterator = sequence.evaluate(promptTokens.slice(-1), {
        temperature: options.temperature ?? 0.7,
        // The grammar shapes the answer, not the thinking before it.
        grammarEvaluationState: () => (thinking ? undefined : grammarState),
      });
      const out: Token[] = [];
      let firstTokenAt = 0;
      let hitBudget = false;
      let repeated = false;
      let stoppedByTrigger = false;
      // JSON grammars end with a stop trigger (blank lines); chat templates with an end marker.
      const stopTriggers = [...(grammar?.stopGenerationTriggers ?? []).map(triggerText), ...format.stopTriggers].filter(
        (t) => t.length > 0,
      );
      const loopTokens = options.fault === "loop" ? this.model.tokenize(" and then he said again that") : [];
      const forced: Token[] = [];
      let next: Token | undefined;
      const isFiller = fillerByText((t) => this.model.detokenize([t as Token], true));
      for (;;) {
        const step = await iterator.next(next);
        if (step.done) break;
        let token = step.value;
        next = undefined;
        if (out.length === 0) firstTokenAt = performance.now();
        const looping = options.fault === "loop" && out.length >= faultAfterTokens;
        if (forced.length > 0) {
          token = forced.shift()!;
          next = token;
        } else if (looping) {
          // Feed a fixed phrase back in place of what the model chose: tokens keep flowing
          // (so do heartbeats) but the text repeats forever; only the loop detector stops it.
          token = loopTokens[(out.length - faultAfterTokens) % loopTokens.length]!;
          next = token;
        } else if (token === this.model.tokens.eos || this.model.isEogToken(token)) {
          break;
        }
        out.push(token);
        options.onToken?.(out.length);
        if (options.fault && options.fault !== "loop" && out.length >= faultAfterTokens) await misbehave(options.fault, this.stage);
        if (thinking && thought) {
          thoughtTokens++;
          if (closesThought(out, thought.suffixTokens, thought.suffix, (t) => this.model.detokenize(t as Token[], true))) {
            thinking = false;
            answerStart = out.length;
          } else if (thoughtTokens >= thought.budget && forced.length === 0) {
            // Over the thought budget: close the thought for the model and make it answer.
            forced.push(...thought.suffixTokens);
            thinking = thought.suffixTokens.length > 0;
            if (!thinking) answerStart = out.length;
          }
        } else if (
          stopTriggers.length &&
          endsWithTrigger(this.model.detokenize(out.slice(Math.max(answerStart, out.length - 16))), stopTriggers)
        ) {
          stoppedByTrigger = true;
          break;
        }
        if (repeatsItself(out, { isFiller })) {
          if (options.stopOnRepeat && !options.fault) {
            repeated = true;
            break;
          }
          throw new GenerationRunawayError(`${this.stage}: ${this.modelId} is repeating itself after ${out.length} tokens`, {
            state: this.stage,
            model: this.modelId,
          });
        }
        if (!thinking && out.length - answerStart >= options.maxTokens) {
          hitBudget = true;
          break;
        }
      }
      await iterator.return();
      const ended = performance.now();
      if (firstTokenAt === 0) firstTokenAt = ended;
      let text = this.model.detokenize(out.slice(answerStart));
      for (const t of stopTriggers) if (text.endsWith(t)) text = text.slice(0, -t.length);
      if (stoppedByTrigger || grammar?.trimWhitespaceSuffix) text = text.trimEnd();
      return {
        text: text.trimStart(),
        tokens: out,
        thoughtTokens: answerStart,
        promptTokens: promptTokens.length,
        promptMs: firstTokenAt - started,
        genMs: ended - firstTokenAt,
        hitBudget,
        repeated,
      };
    } finally {
      await sequence.clearHistory();
    }
  }

  async createJsonGrammar(schema: object): Promise<LlamaGrammar> {
    return this.llama.createGrammarForJsonSchema(schema as never);
  }

  /** Safe to call twice; the process exits right after, returning memory to the OS. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.releaseContext();
    await this.model.dispose();
    await this.llama.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
