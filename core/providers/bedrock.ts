/**
 * Amazon Bedrock through the Converse API. The SDK's standard retry mode backs off with
 * jitter on throttling and 5xx and never retries a validation error; every call also has
 * its own deadline (AbortSignal). Failures become Affiant.ProviderError with provider,
 * model and HTTP status.
 */

import { BedrockRuntimeClient, ConverseCommand, type ToolConfiguration } from "@aws-sdk/client-bedrock-runtime";
import { config } from "../config.ts";
import { ProviderError } from "../errors.ts";
import { type CompletionRequest, type CompletionResult, type HostedProvider, jsonAnswerName, withJsonInstruction } from "./types.ts";

export interface BedrockProviderOptions {
  model: string;
  /** Default: a client from the standard AWS environment; `AFFIANT_BEDROCK_ENDPOINT` overrides the endpoint. */
  client?: BedrockRuntimeClient;
  /** Per-call deadline. Default: 120 s. */
  timeoutMs?: number;
}

export class BedrockProvider implements HostedProvider {
  readonly name = "bedrock" as const;
  readonly model: string;
  private readonly client: BedrockRuntimeClient;
  private readonly timeoutMs: number;

  constructor(options: BedrockProviderOptions) {
    this.model = options.model;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.client = options.client ?? bedrockRuntimeClient();
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const started = performance.now();
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), ...(request.signal ? [request.signal] : [])]);
    try {
      const res = await this.client.send(
        new ConverseCommand({
          modelId: this.model,
          messages: [{ role: "user", content: [{ text: withJsonInstruction(request.prompt, request.jsonSchema) }] }],
          inferenceConfig: { maxTokens: request.maxTokens, temperature: request.temperature },
          ...(request.jsonSchema ? { toolConfig: answerTool(this.model, request.jsonSchema) } : {}),
        }),
        { abortSignal: signal },
      );
      const content = res.output?.message?.content ?? [];
      // A JSON stage's answer is the tool's input when the model called it, else its text.
      const toolUse = content.find((c) => c.toolUse?.name === jsonAnswerName)?.toolUse;
      const text = toolUse ? JSON.stringify(toolUse.input ?? {}) : content.map((c) => c.text ?? "").join("");
      return { text, tokensIn: res.usage?.inputTokens ?? 0, tokensOut: res.usage?.outputTokens ?? 0, ms: performance.now() - started };
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode ?? (e.name === "TimeoutError" || e.name === "AbortError" ? "timeout" : "network");
      throw new ProviderError(`${request.stage}: bedrock ${this.model} failed (${status}: ${e.name})`, {
        state: request.stage,
        provider: "bedrock",
        model: this.model,
      });
    }
  }
}

/**
 * A JSON stage's schema as Converse's one tool, `answer`: the model fills in its input, which
 * is the answer. Forced (`toolChoice: tool`) where Bedrock supports forcing a tool (Anthropic
 * Claude, Amazon Nova); elsewhere (Llama, which takes tools but not a forced choice) offered,
 * with the schema in the prompt's words as well. Validated after, either way.
 */
export function answerTool(model: string, schema: object): ToolConfiguration {
  const forced = /(^|\.)(anthropic\.claude|amazon\.nova)/.test(model);
  return {
    tools: [
      { toolSpec: { name: jsonAnswerName, description: "Give the answer as this JSON object.", inputSchema: { json: schema as never } } },
    ],
    ...(forced ? { toolChoice: { tool: { name: jsonAnswerName } } } : {}),
  };
}

/** The Bedrock runtime client every caller shares: SDK retries for throttling and 5xx, and `AFFIANT_BEDROCK_ENDPOINT` to point it elsewhere. */
export function bedrockRuntimeClient(): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    maxAttempts: 4,
    retryMode: "standard",
    ...(config().AFFIANT_BEDROCK_ENDPOINT ? { endpoint: config().AFFIANT_BEDROCK_ENDPOINT } : {}),
  });
}
