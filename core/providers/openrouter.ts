/**
 * `openrouter:<model>`: OpenRouter through the `openai` SDK (its API is OpenAI-compatible),
 * the whole provider in one module: the key, the client, its IAM (none: it is on the
 * internet, so only the secret's link) and the stand-in the tests and the rehearsal serve.
 *
 * The key: in AWS the linked `sst.Secret` (SST's Resource reads it from the function's
 * encrypted resource file, never from a plain environment variable); locally
 * OPENROUTER_API_KEY. The deploy-time placeholder counts as no key, so OpenRouter is skipped
 * ("not configured") rather than called with it. The SDK is loaded when a client is made,
 * not at import: the infrastructure and the CLI read this module's names without it.
 *
 * Provider preferences deny data collection, so only endpoints that do not keep prompts are
 * used. The SDK retries 429 and 5xx with backoff; every call has its own deadline.
 */

import type OpenAI from "openai";
import { config, type Env } from "../config.ts";
import { ProviderError } from "../errors.ts";
import {
  type CompletionRequest,
  type CompletionResult,
  defineProvider,
  type HostedProvider,
  jsonAnswerName,
  withJsonInstruction,
} from "./types.ts";

/** The secret's name in sst.config.ts (`npx sst secret set OpenRouterApiKey …`). */
export const openRouterSecretName = "OpenRouterApiKey";
/** Its placeholder: `sst deploy` succeeds before `sst secret set`. */
export const openRouterSecretPlaceholder = "unset";
export const defaultOpenRouterBaseUrl = "https://openrouter.ai/api/v1";

export async function openRouterApiKey(env?: Env): Promise<string | undefined> {
  let value: string | undefined;
  try {
    // Dynamic: `sst` is a build-time dependency (bundled into the Lambda), absent from the worker image.
    const { Resource } = (await import("sst/resource")) as unknown as { Resource: Record<string, { value?: string } | undefined> };
    if (openRouterSecretName in Resource) value = Resource[openRouterSecretName]?.value;
  } catch {
    // Not bundled with SST (local mode): the environment below.
  }
  value ??= config(env).OPENROUTER_API_KEY;
  return value && value !== openRouterSecretPlaceholder ? value : undefined;
}

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

  /** A client, the SDK loaded on first use. */
  static async create(options: OpenRouterProviderOptions): Promise<OpenRouterProvider> {
    const { default: sdk } = await import("openai");
    return new OpenRouterProvider(options, sdk);
  }

  private readonly client: OpenAI;

  private constructor(
    options: OpenRouterProviderOptions,
    private readonly sdk: typeof OpenAI,
  ) {
    this.model = options.model;
    this.client = new sdk({
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
      const status = e instanceof this.sdk.APIConnectionTimeoutError ? "timeout" : (e.status ?? "network");
      throw new ProviderError(`${request.stage}: openrouter ${this.model} failed (${status}: ${e.name})`, {
        state: request.stage,
        provider: "openrouter",
        model: this.model,
      });
    }
  }
}

export const openrouter = defineProvider({
  name: "openrouter",
  async client(model) {
    const apiKey = await openRouterApiKey();
    if (!apiKey) return undefined;
    return OpenRouterProvider.create({ model, apiKey });
  },
  secrets: [{ name: openRouterSecretName, placeholder: openRouterSecretPlaceholder }],
  statements: () => [],
  standIn: {
    protocol: "http1",
    respond(url, body, answer) {
      if (url !== "/api/v1/chat/completions") return undefined;
      const prompt = String(body.messages?.[0]?.content ?? "");
      return {
        id: "cmpl-1",
        object: "chat.completion",
        created: 0,
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content: answer(prompt) }, finish_reason: "stop" }],
        usage: { prompt_tokens: 321, completion_tokens: 45, total_tokens: 366 },
      };
    },
    env: (origin) => ({ OPENROUTER_API_KEY: "sk-or-stand-in", AFFIANT_OPENROUTER_BASE_URL: `${origin}/api/v1` }),
  },
});
