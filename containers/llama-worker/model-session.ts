/**
 * One model in one process: load, size the context per call, generate with a watchdog,
 * dispose. Every failure the Ollama deployment hid (silent truncation, endless hangs,
 * runaway output, memory that never came back) is a named error here.
 */
import os from "node:os";
import { getLlama, LlamaLogLevel, readGgufFileInfo, GgufInsights, LlamaGrammarEvaluationState, type Llama, type LlamaContext, type LlamaGrammar, type LlamaModel, type Token } from "node-llama-cpp";
import { AffiantError, ContextTooLargeError, GenerationRunawayError, GenerationStalledError, ModelUnavailableError } from "../../core/errors.ts";
import type { FaultKind } from "../../core/pipeline-state.ts";
import { existsSync } from "node:fs";
import { log } from "../../core/log.ts";

export interface ModelPlanOptions {
  modelId: string;
  modelPath: string;
  stage: string;
  /** Memory budget of one GPU of the host class, in bytes. */
  memoryBudgetBytes: number;
}

export interface ModelPlan {
  trainContextSize: number;
  /** Bytes the weights need (mmap'd on CPU). */
  modelBytes: number;
  architecture: string;
  insights: GgufInsights;
}

/** Reads GGUF metadata without loading weights: the "does it fit" decision comes first. */
export async function planModel(options: ModelPlanOptions): Promise<ModelPlan> {
  if (!existsSync(options.modelPath)) {
    throw new ModelUnavailableError(`model file for ${options.modelId} not found at ${options.modelPath} (run \`affiant models pull\`)`, {
      state: options.stage,
      model: options.modelId,
    });
  }
  const info = await readGgufFileInfo(options.modelPath, { readTensorInfo: true });
  const insights = await GgufInsights.from(info);
  const trainContextSize = insights.trainContextSize ?? 2048;
  const modelReq = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
  return {
    trainContextSize,
    modelBytes: modelReq.cpuRam + modelReq.gpuVram,
    architecture: String(info.metadata?.general?.architecture ?? "unknown"),
    insights,
  };
}

export interface ContextCheck {
  stage: string;
  modelId: string;
  promptTokens: number;
  maxTokens: number;
  plan: ModelPlan;
  memoryBudgetBytes: number;
  /** Requested context size override (the `oom` fault asks for one that cannot fit). */
  forceContextSize?: number;
}

/** Tokens added to prompt + output budget for special tokens and grammar slack. */
export const contextMargin = 16;

/**
 * The context is prompt + output budget + margin, never a library default, and is
 * refused (not truncated) when above the trained context or the memory budget.
 */
export async function sizeContext(check: ContextCheck): Promise<number> {
  const needed = check.forceContextSize ?? check.promptTokens + check.maxTokens + contextMargin;
  const where = { state: check.stage, model: check.modelId };
  if (needed > check.plan.trainContextSize) {
    throw new ContextTooLargeError(
      `${check.stage}: ${check.modelId} needs ${needed} tokens of context (prompt ${check.promptTokens} + output ${check.maxTokens} + ${contextMargin}); its trained maximum is ${check.plan.trainContextSize}`,
      where,
    );
  }
  const ctxReq = await check.plan.insights.estimateContextResourceRequirementsV2({ contextSize: needed, modelGpuLayers: 0, sequences: 1 });
  const total = check.plan.modelBytes + ctxReq.cpuRam + ctxReq.gpuVram;
  if (total > check.memoryBudgetBytes) {
    throw new ContextTooLargeError(
      `${check.stage}: ${check.modelId} at ${needed} tokens of context needs ~${mib(total)} MiB; one GPU of its host class has ${mib(check.memoryBudgetBytes)} MiB`,
      where,
    );
  }
  return needed;
}

const mib = (b: number) => Math.round(b / 2 ** 20);

/**
 * The llama.cpp binding: the CPU prebuilt locally, CUDA in the container
 * (`AFFIANT_GPU=cuda`). Never builds at run time: a worker that compiles is a worker that hangs.
 */
export async function openLlama(): Promise<Llama> {
  const gpu = process.env.AFFIANT_GPU === "cuda" ? "cuda" : false;
  return getLlama({ gpu, build: "never", logLevel: LlamaLogLevel.error });
}

/** Tokenizer only (no weights, no context): prompts are sized before anything big loads. */
export async function loadTokenizer(llama: Llama, modelPath: string): Promise<{ count: (text: string) => number; dispose: () => Promise<void> }> {
  const vocab = await llama.loadModel({ modelPath, vocabOnly: true });
  return { count: (text) => vocab.tokenize(text).length, dispose: () => vocab.dispose() };
}

export interface Progress {
  phase: "start" | "plan" | "load" | "prompt" | "generate";
  /** Output tokens so far. */
  tokens: number;
  tokensPerSecond: number;
  loadProgress?: number;
  /** Prompt tokens evaluated so far (phase "prompt"). */
  promptTokens?: number;
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
  /** Called as the prompt is evaluated, in slices: a long prompt is progress, not a stall. */
  onPromptProgress?: (evaluated: number, total: number) => void;
}

/** Prompt tokens evaluated between progress reports. */
const promptSlice = 256;

export interface GenerationResult {
  text: string;
  tokens: Token[];
  promptTokens: number;
  promptMs: number;
  genMs: number;
  /** True when the output budget ended the text, not the model. */
  hitBudget: boolean;
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
}

/** Where injected faults kick in: early enough to be mid-generation on any stage. */
const faultAfterTokens = 8;

export class ModelSession {
  private disposed = false;
  private sequence: ReturnType<LlamaContext["getSequence"]> | undefined;

  private constructor(
    private readonly llama: Llama,
    readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly loadMs: number,
    private readonly stage: string,
    private readonly modelId: string,
  ) {}

  static async load(options: LoadOptions): Promise<ModelSession> {
    const started = performance.now();
    const llama = options.llama;
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath, onLoadProgress: options.onLoadProgress });
      const threads = options.threads ?? Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) - 1);
      const context = await model.createContext({ contextSize: options.contextSize, threads, sequences: 1 });
      return new ModelSession(llama, model, context, performance.now() - started, options.stage, options.modelId);
    } catch (err) {
      await llama.dispose().catch(() => undefined);
      throw new ModelUnavailableError(`${options.stage}: loading ${options.modelId} failed: ${(err as Error).message}`, {
        state: options.stage,
        model: options.modelId,
      });
    }
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  async generate(options: GenerateOptions): Promise<GenerationResult> {
    const promptTokens = this.model.tokenize(options.prompt);
    // One sequence for the session; its history is cleared between calls.
    const sequence = (this.sequence ??= this.context.getSequence());
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
      const iterator = sequence.evaluate(promptTokens.slice(-1), { temperature: options.temperature ?? 0.7, grammarEvaluationState: grammarState });
      const out: Token[] = [];
      let firstTokenAt = 0;
      let hitBudget = false;
      let stoppedByTrigger = false;
      // The JSON grammar ends with a stop trigger (blank lines) rather than end-of-sequence.
      const stopTriggers = (grammar?.stopGenerationTriggers ?? []).map(triggerText).filter((t) => t.length > 0);
      const loopTokens = options.fault === "loop" ? this.model.tokenize(" and then he said again that") : [];
      let next: Token | undefined;
      for (;;) {
        const step = await iterator.next(next);
        if (step.done) break;
        let token = step.value;
        next = undefined;
        if (out.length === 0) firstTokenAt = performance.now();
        const looping = options.fault === "loop" && out.length >= faultAfterTokens;
        if (looping) {
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
        if (stopTriggers.length && endsWithTrigger(this.model.detokenize(out.slice(-16)), stopTriggers)) {
          stoppedByTrigger = true;
          break;
        }
        if (repeatsItself(out)) {
          throw new GenerationRunawayError(`${this.stage}: ${this.modelId} is repeating itself after ${out.length} tokens`, {
            state: this.stage,
            model: this.modelId,
          });
        }
        if (out.length >= options.maxTokens) {
          hitBudget = true;
          break;
        }
      }
      await iterator.return();
      const ended = performance.now();
      if (firstTokenAt === 0) firstTokenAt = ended;
      let text = this.model.detokenize(out);
      if (stoppedByTrigger || options.grammar?.trimWhitespaceSuffix) text = text.trimEnd();
      return {
        text,
        tokens: out,
        promptTokens: promptTokens.length,
        promptMs: firstTokenAt - started,
        genMs: ended - firstTokenAt,
        hitBudget,
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
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

let faultLogged = false;

async function misbehave(fault: FaultKind, stage: string): Promise<void> {
  if (!faultLogged) {
    // When the fault began, for game days and the stall benchmark; ids only.
    faultLogged = true;
    log("warn", "fault.injected", { stage, fault, pid: process.pid, at: Date.now() });
  }
  switch (fault) {
    case "stall":
      // The Ollama hang: alive, no error, no tokens. Only a watchdog or heartbeat ends it.
      // (The interval keeps the process alive, as a thread stuck in llama.cpp would.)
      setInterval(() => undefined, 60_000);
      await new Promise<never>(() => undefined);
      return;
    case "crash":
      process.kill(process.pid, "SIGKILL");
      await new Promise<never>(() => undefined);
      return;
    case "slow":
      await new Promise((r) => setTimeout(r, 250));
      return;
    default:
      return;
  }
}

function triggerText(trigger: unknown): string {
  if (typeof trigger === "string") return trigger;
  if (Array.isArray(trigger)) return trigger.filter((t): t is string => typeof t === "string").join("");
  return String(trigger);
}

function endsWithTrigger(text: string, triggers: string[]): boolean {
  return triggers.some((t) => text.endsWith(t));
}

/**
 * A loop: the last L tokens repeated back to back, at least 3 times and over at least
 * `minSpan` tokens, for some L in 1..64. Short repeats ("very very") are prose, not loops.
 */
export function repeatsItself(tokens: readonly number[], minSpan = 24): boolean {
  const n = tokens.length;
  for (let len = 1; len <= 64; len++) {
    const times = Math.max(3, Math.ceil(minSpan / len));
    if (len * times > n) break;
    let loop = true;
    for (let rep = 1; rep < times && loop; rep++) {
      for (let i = 1; i <= len; i++) {
        if (tokens[n - i] !== tokens[n - i - rep * len]) {
          loop = false;
          break;
        }
      }
    }
    if (loop) return true;
  }
  return false;
}

/** Aborts the process when no token arrives for `timeoutMs`: a native hang cannot block it. */
export class Watchdog {
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onStall: (err: AffiantError) => void,
    private readonly describe: () => { stage: string; model: string; tokens: number },
  ) {}

  start(): void {
    this.last = Date.now();
    this.timer = setInterval(() => {
      const idle = Date.now() - this.last;
      if (idle < this.timeoutMs) return;
      this.stop();
      const d = this.describe();
      this.onStall(
        new GenerationStalledError(`${d.stage}: ${d.model} produced no token for ${(idle / 1000).toFixed(1)} s (after ${d.tokens} tokens)`, {
          state: d.stage,
          model: d.model,
        }),
      );
    }, Math.min(250, this.timeoutMs / 4));
  }

  feed(): void {
    this.last = Date.now();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
