/**
 * The prompt as the model expects it (its chat template, a thought segment opened and capped
 * or closed at once), and the tokenizer prompts are sized with before anything big loads.
 */
import { type Llama, type LlamaModel, LlamaText, resolveChatWrapper, SpecialTokensText, type Token } from "node-llama-cpp";
import { ModelUnavailableError } from "../../core/errors.ts";

/** Tokenizer only (no weights, no context): prompts are sized before anything big loads. */
export async function loadTokenizer(
  llama: Llama,
  modelPath: string,
  format: PromptFormat = defaultPromptFormat,
): Promise<{ count: (text: string) => number; dispose: () => Promise<void> }> {
  const vocab = await llama.loadModel({ modelPath, vocabOnly: true });
  return { count: (text) => formatPrompt(vocab, text, format).tokens.length, dispose: () => vocab.dispose() };
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
      : resolveChatWrapper({
          type: format.chatWrapper as never,
          bosString: model.tokens.bosString,
          filename: model.filename,
          fileInfo: model.fileInfo,
          tokenizer: model.tokenizer,
        });
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
  if (!segment || (typeof segment.prefix === "object" && "type" in segment.prefix))
    return { tokens, stopTriggers, wrapper: wrapper.wrapperName };
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

/** A grammar's stop trigger as text (node-llama-cpp gives strings or arrays of strings and tokens). */
export function triggerText(trigger: unknown): string {
  if (typeof trigger === "string") return trigger;
  if (Array.isArray(trigger)) return trigger.filter((t): t is string => typeof t === "string").join("");
  return String(trigger);
}

export function endsWithTrigger(text: string, triggers: string[]): boolean {
  return triggers.some((t) => text.endsWith(t));
}
