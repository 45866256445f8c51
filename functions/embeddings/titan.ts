/**
 * Amazon Titan Text Embeddings V2 on Bedrock (InvokeModel), for the Lambda deployment:
 * no model in the function, vectors normalised by the service. Calls run with bounded
 * concurrency; the SDK's standard retry mode backs off on throttling and 5xx. Failures
 * become Affiant.ProviderError naming the model and the HTTP status.
 */
import { BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import pLimit from "p-limit";
import { ProviderError } from "../../core/errors.ts";
import { bedrockClientConfig } from "../../core/providers/bedrock.ts";
import { normalize } from "../../core/vectors.ts";
import type { Embedder, Truncation } from "./embedder.ts";

export interface TitanEmbedderOptions {
  /** Default: amazon.titan-embed-text-v2:0. */
  model?: string;
  /** 256, 512 or 1024. Default: 512. */
  dimensions?: number;
  /** Requests in flight at once. Default: 4. */
  concurrency?: number;
  /** Titan V2 takes at most 50,000 characters (8,192 tokens); longer is cut and recorded. Default: 50000. */
  maxChars?: number;
  /** Per-call deadline. Default: 30 s. */
  timeoutMs?: number;
  /** Default: from the standard AWS environment; `AFFIANT_BEDROCK_ENDPOINT` overrides the endpoint. */
  client?: BedrockRuntimeClient;
  /**
   * Called with each text just before it is sent; throws to refuse it (the case's privacy
   * guard, as for hosted generation). Default: none.
   */
  guard?: (text: string) => void;
}

export class TitanEmbedder implements Embedder {
  readonly provider = "bedrock" as const;
  readonly model: string;
  readonly dimensions: number;
  readonly truncations: Truncation[] = [];
  private readonly client: BedrockRuntimeClient;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly maxChars: number;
  private readonly timeoutMs: number;
  private readonly guard?: (text: string) => void;
  private calls = 0;
  private disposed = false;

  constructor(options: TitanEmbedderOptions = {}) {
    this.model = options.model ?? "amazon.titan-embed-text-v2:0";
    this.dimensions = options.dimensions ?? 512;
    this.maxChars = options.maxChars ?? 50_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.limit = pLimit(options.concurrency ?? 4);
    this.guard = options.guard;
    this.client = options.client ?? new BedrockRuntimeClient(bedrockClientConfig());
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (this.disposed) throw new ProviderError(`bedrock embedder ${this.model} was disposed`, { provider: "bedrock", model: this.model });
    const call = this.calls++;
    // Every text is checked before the first request: a refusal sends nothing at all.
    for (const text of texts) this.guard?.(text);
    return Promise.all(
      texts.map((text, index) =>
        this.limit(async () => {
          if (text.trim() === "") return new Float32Array(this.dimensions);
          if (text.length > this.maxChars) {
            this.truncations.push({ call, index, action: "truncate", length: text.length, limit: this.maxChars, parts: 1 });
          }
          return this.embedOne(text.slice(0, this.maxChars));
        }),
      ),
    );
  }

  private async embedOne(inputText: string): Promise<Float32Array> {
    const where = { provider: "bedrock", model: this.model };
    let body: unknown;
    try {
      const res = await this.client.send(
        new InvokeModelCommand({
          modelId: this.model,
          contentType: "application/json",
          accept: "application/json",
          body: JSON.stringify({ inputText, dimensions: this.dimensions, normalize: true }),
        }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
      body = JSON.parse(new TextDecoder().decode(res.body));
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      const status =
        e.$metadata?.httpStatusCode ??
        (e.name === "TimeoutError" || e.name === "AbortError" ? "timeout" : e instanceof SyntaxError ? "not JSON" : "network");
      throw new ProviderError(`bedrock embeddings ${this.model} failed (${status}: ${e.name})`, where, { cause: err });
    }
    const embedding = (body as { embedding?: unknown }).embedding;
    if (
      !Array.isArray(embedding) ||
      embedding.length !== this.dimensions ||
      !embedding.every((x) => typeof x === "number" && Number.isFinite(x))
    ) {
      throw new ProviderError(`bedrock embeddings ${this.model}: the response has no ${this.dimensions}-number embedding`, where);
    }
    // The service normalises; normalising again costs nothing and makes it a local fact.
    return normalize(embedding as number[]);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.client.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
