/**
 * One model in one process: load, size the context per call, generate with a watchdog,
 * dispose. Every failure the Ollama deployment hid (silent truncation, endless hangs,
 * runaway output, memory that never came back) is a named error here.
 */
import os from "node:os";
import { getLlama, LlamaLogLevel, readGgufFileInfo, GgufInsights, LlamaGrammarEvaluationState, type Llama, type LlamaContext, type LlamaGrammar, type LlamaModel, type Token } from "node-llama-cpp";
import { LlamaText, SpecialTokensText, resolveChatWrapper } from "node-llama-cpp";
import { AffiantError, ContextTooLargeError, GenerationRunawayError, GenerationStalledError, ModelDoesNotFitError, ModelUnavailableError } from "../../core/errors.ts";
import type { FaultKind } from "../../core/pipeline-state.ts";
import { existsSync, mkdtempSync, open as openFile } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { log } from "../../core/log.ts";
import { closesThought, fillerByText, repeatsItself } from "./loop-detector.ts";
import { config } from "../../core/config.ts";

export interface ModelPlanOptions {
  modelId: string;
  modelPath: string;
  stage: string;
  /** Memory budget of one GPU of the host class, in bytes. */
  memoryBudgetBytes: number;
  /**
   * The llama already opened. Without it, GgufInsights opens a backend-less binding of its
   * own, which on Linux means a second binary-test child process (about 1.4 s here).
   */
  llama?: Llama;
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
  const insights = await GgufInsights.from(info, options.llama);
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
  /** The registry's cap for this model, when below its trained context. Default: none. */
  configuredMax?: number;
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
  const configured = check.configuredMax !== undefined && check.configuredMax < check.plan.trainContextSize;
  const max = configured ? check.configuredMax! : check.plan.trainContextSize;
  if (needed > max) {
    throw new ContextTooLargeError(
      `${check.stage}: ${check.modelId} needs ${needed} tokens of context (prompt ${check.promptTokens} + output ${check.maxTokens} + ${contextMargin}); its ${configured ? "configured" : "trained"} maximum is ${max}`,
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
  const gpu = config().AFFIANT_GPU === "cuda" ? "cuda" : false;
  return getLlama({ gpu, build: "never", logLevel: LlamaLogLevel.error });
}

/** Tokenizer only (no weights, no context): prompts are sized before anything big loads. */
export async function loadTokenizer(llama: Llama, modelPath: string, format: PromptFormat = defaultPromptFormat): Promise<{ count: (text: string) => number; dispose: () => Promise<void> }> {
  const vocab = await llama.loadModel({ modelPath, vocabOnly: true });
  return { count: (text) => formatPrompt(vocab, text, format).tokens.length, dispose: () => vocab.dispose() };
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
  /** Chat template and thinking policy. Default: raw text, no thinking. */
  format?: PromptFormat;
  /** Called as the prompt is evaluated, in slices: a long prompt is progress, not a stall. */
  onPromptProgress?: (evaluated: number, total: number) => void;
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
}

/** Where the model went: all layers on the GPU, or none (the CPU build). */
export interface Placement {
  gpuLayers: number;
  vramTotalMb?: number;
  vramUsedMb?: number;
}

/**
 * On a GPU every layer goes on it, or the load is refused with Affiant.ModelDoesNotFit:
 * llama.cpp's "auto" would quietly leave layers on the CPU (3–4× slower) when the fit is
 * tight. Checked against the VRAM free now, not the host class's nominal size.
 */
export async function placeModel(llama: Llama, where: { stage: string; modelId: string; contextSize: number; plan?: ModelPlan }): Promise<number> {
  if (llama.gpu === false) return 0;
  const insights = where.plan?.insights;
  if (!insights) return Number.MAX_SAFE_INTEGER;
  const layers = insights.totalLayers;
  const modelReq = await insights.estimateModelResourceRequirementsV2({ gpuLayers: layers });
  const ctxReq = await insights.estimateContextResourceRequirementsV2({ contextSize: where.contextSize, modelGpuLayers: layers, sequences: 1 });
  const needed = modelReq.gpuVram + ctxReq.gpuVram;
  const vram = await llama.getVramState();
  if (needed > vram.free) {
    throw new ModelDoesNotFitError(
      `${where.stage}: ${where.modelId} needs ~${mib(needed)} MiB of GPU memory for all ${layers} layers at ${where.contextSize} tokens of context; ${mib(vram.free)} MiB of ${mib(vram.total)} MiB is free`,
      { state: where.stage, model: where.modelId },
    );
  }
  return layers;
}

export interface PromptFormat {
  /**
   * "auto": the model's own chat template when its GGUF has one, raw text otherwise;
   * "none": raw text; or a node-llama-cpp wrapper name ("qwen", "llama3.1", "chatML"…).
   */
  chatWrapper: string;
  /**
   * Tokens the model may think before it must answer, where its template has a thought
   * segment: 0 closes the thought before it starts. Default: 0.
   */
  thoughtBudget: number;
  system?: string;
}

export const defaultPromptFormat: PromptFormat = { chatWrapper: "auto", thoughtBudget: 0 };

export interface FormattedPrompt {
  tokens: Token[];
  stopTriggers: string[];
  /** Present when the model starts inside a thought segment that must be capped. */
  thought?: { budget: number; suffix: string; suffixTokens: Token[] };
  wrapper: string;
}

/** Only the text and special-token text of a LlamaText-like value (special tokens like EOS are handled as EOG). */
function plainText(value: unknown): string {
  if (typeof value === "string") return value;
  return LlamaText(value as never)
    .values.map((v) => (typeof v === "string" ? v : v instanceof SpecialTokensText ? v.value : ""))
    .join("");
}

/**
 * The prompt as the model expects it: through its chat template when it has one (a raw
 * prompt to an instruct model is a different, worse model), with a thought segment opened
 * and capped, or closed at once, per the stage's thought budget.
 */
export function formatPrompt(model: LlamaModel, prompt: string, format: PromptFormat): FormattedPrompt {
  const hasTemplate = model.fileInfo.metadata?.tokenizer?.chat_template !== undefined;
  const useWrapper = format.chatWrapper === "none" ? false : format.chatWrapper === "auto" ? hasTemplate : true;
  if (!useWrapper) return { tokens: model.tokenize(prompt), stopTriggers: [], wrapper: "none" };
  const wrapper =
    format.chatWrapper === "auto"
      ? resolveChatWrapper(model)
      : resolveChatWrapper({ type: format.chatWrapper as never, bosString: model.tokens.bosString, filename: model.filename, fileInfo: model.fileInfo, tokenizer: model.tokenizer });
  if (!wrapper) throw new ModelUnavailableError(`no chat template "${format.chatWrapper}" for this model`);
  const history = [
    ...(format.system ? [{ type: "system" as const, text: format.system }] : []),
    { type: "user" as const, text: prompt },
    { type: "model" as const, response: [] },
  ];
  const state = wrapper.generateContextState({ chatHistory: history });
  const tokens = state.contextText.tokenize(model.tokenizer);
  const stopTriggers = state.stopGenerationTriggers.map(plainText).filter((t) => t.length > 0);
  const segment = wrapper.settings.segments?.thought;
  if (!segment || typeof segment.prefix === "object" && "type" in segment.prefix) return { tokens, stopTriggers, wrapper: wrapper.wrapperName };
  const prefix = plainText(segment.prefix);
  const suffix = plainText(segment.suffix ?? "");
  if (format.thoughtBudget <= 0) {
    // No thinking: an empty, closed thought, the way these templates switch it off.
    return { tokens: [...tokens, ...markerTokens(model, `${prefix}${suffix}\n\n`)], stopTriggers, wrapper: wrapper.wrapperName };
  }
  return {
    tokens: [...tokens, ...markerTokens(model, prefix)],
    stopTriggers,
    thought: { budget: format.thoughtBudget, suffix, suffixTokens: markerTokens(model, suffix) },
    wrapper: wrapper.wrapperName,
  };
}

/** Markers like `<think>` as the model's special tokens when it has them, else as plain text. */
function markerTokens(model: LlamaModel, text: string): Token[] {
  const special = model.tokenize(text, true);
  return model.detokenize(special, true) === text ? special : model.tokenize(text, false);
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
    readonly placement: Placement,
  ) {}

  static async load(options: LoadOptions): Promise<ModelSession> {
    const started = performance.now();
    const llama = options.llama;
    try {
      const gpuLayers = await placeModel(llama, { stage: options.stage, modelId: options.modelId, contextSize: options.contextSize, plan: options.plan });
      const model = await llama.loadModel({
        modelPath: options.modelPath,
        // A number, never "auto": all layers, or (CPU build) none.
        gpuLayers: gpuLayers === Number.MAX_SAFE_INTEGER ? "max" : gpuLayers,
        onLoadProgress: options.onLoadProgress,
        loadSignal: options.signal,
      });
      const threads = options.threads ?? Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) - 1);
      const context = await model.createContext({ contextSize: options.contextSize, threads, sequences: 1, createSignal: options.signal });
      const vram = llama.gpu === false ? undefined : await llama.getVramState();
      const placement: Placement = { gpuLayers: model.gpuLayers, ...(vram ? { vramTotalMb: mib(vram.total), vramUsedMb: mib(vram.used) } : {}) };
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
          throw new ContextTooLargeError(`${this.stage}: ${this.modelId} filled its ${this.context.contextSize}-token context; the prompt's start is not erased`, { state: this.stage, model: this.modelId });
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
      let stoppedByTrigger = false;
      // JSON grammars end with a stop trigger (blank lines); chat templates with an end marker.
      const stopTriggers = [...(grammar?.stopGenerationTriggers ?? []).map(triggerText), ...format.stopTriggers].filter((t) => t.length > 0);
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
        } else if (stopTriggers.length && endsWithTrigger(this.model.detokenize(out.slice(Math.max(answerStart, out.length - 16))), stopTriggers)) {
          stoppedByTrigger = true;
          break;
        }
        if (repeatsItself(out, { isFiller })) {
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
    case "hang-native":
      hangNative();
      return;
    case "crash":
      process.kill(process.pid, "SIGKILL");
      await new Promise<never>(() => undefined);
      return;
    case "slow":
      // Throttled, not stopped: tokens (and heartbeats) keep coming, five times slower or more.
      await new Promise((r) => setTimeout(r, 50));
      return;
    default:
      return;
  }
}

/**
 * Stuck inside native code, as a llama.cpp call that never returns: a libuv pool thread
 * blocked in open() of a FIFO nobody writes (what makes `process.exit` hang), then the main
 * thread blocked in a futex wait. No JavaScript of this thread runs again: no timer, no
 * heartbeat, no exit handler. Only the lifeline thread, or a SIGKILL from outside, ends it.
 */
function hangNative(): never {
  try {
    const fifo = path.join(mkdtempSync(path.join(os.tmpdir(), "affiant-hang-")), "fifo");
    execFileSync("mkfifo", [fifo]);
    openFile(fifo, "r", () => undefined);
  } catch {
    // No mkfifo here: the main thread's block below is the drill on its own.
  }
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

function triggerText(trigger: unknown): string {
  if (typeof trigger === "string") return trigger;
  if (Array.isArray(trigger)) return trigger.filter((t): t is string => typeof t === "string").join("");
  return String(trigger);
}

function endsWithTrigger(text: string, triggers: string[]): boolean {
  return triggers.some((t) => text.endsWith(t));
}

export { repeatsItself } from "./loop-detector.ts";

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
