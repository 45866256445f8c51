/**
 * OpenRouter through the `openai` SDK (its API is OpenAI-compatible). Provider
 * preferences deny data collection, so only endpoints that do not keep prompts are used.
 * The SDK retries 429 and 5xx with backoff; every call has its own deadline.
 */

import OpenAI from "openai";
import { config } from "../config.ts";
import { ProviderError } from "../errors.ts";
import { type CompletionRequest, type CompletionResult, type HostedProvider, jsonAnswerName, withJsonInstruction } from "./types.ts";

export const defaultOpenRouterBaseUrl = "https://openrouter.ai/api/v1";

export interface OpenRouterProviderOptions {
  model: string;
  apiKey: string;
  /** Default: `AFFIANT_OPENROUTER_BASE_URL`, else OpenRouter's public API. */
  baseURL?: string;
  /** Per-call deadline. Default: 120 s. */
  timeoutMs?: number;
}

export class OpenRouterProvider implements HostedProvider {
  readonly name = "openrouter" as const;
  readonly model: string;
  private readonly client: OpenAI;

  constructor(options: OpenRouterProviderOptions) {
    this.model = options.model;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? config().AFFIANT_OPENROUTER_BASE_URL ?? defaultOpenRouterBaseUrl,
      maxRetries: 3,
      timeout: options.timeoutMs ?? 120_000,
      defaultHeaders: { "X-Title": "Affiant" },
    });
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const started = performance.now();
    try {
      const body = {
        model: this.model,
        messages: [{ role: "user" as const, content: withJsonInstruction(request.prompt, request.jsonSchema) }],
        max_tokens: request.maxTokens,
        temperature: request.temperature,
        // The stage's schema itself, for the endpoints that constrain decoding to it; not
        // `strict`, which would refuse the grammar keywords (minItems, enum of chunk ids) some
        // endpoints do not take. What comes back is validated against it either way (zod).
        ...(request.jsonSchema
          ? {
              response_format: {
                type: "json_schema" as const,
                json_schema: { name: jsonAnswerName, schema: request.jsonSchema, strict: false },
              },
            }
          : {}),
        // OpenRouter: route only to endpoints that do not collect or train on prompts.
        provider: { data_collection: "deny" },
      };
      const res = await this.client.chat.completions.create(body as never, { signal: request.signal });
      const completion = res as OpenAI.Chat.Completions.ChatCompletion;
      return {
        text: completion.choices[0]?.message?.content ?? "",
        tokensIn: completion.usage?.prompt_tokens ?? 0,
        tokensOut: completion.usage?.completion_tokens ?? 0,
        ms: performance.now() - started,
      };
    } catch (err) {
      const e = err as Error & { status?: number };
      const status = e instanceof OpenAI.APIConnectionTimeoutError ? "timeout" : (e.status ?? "network");
      throw new ProviderError(`${request.stage}: openrouter ${this.model} failed (${status}: ${e.name})`, {
        state: request.stage,
        provider: "openrouter",
        model: this.model,
      });
    }
  }
}
