/**
 * Embeddings from a GGUF model with llama.cpp (node-llama-cpp's embedding context), in
 * this process. The local engine runs Lambda handlers in-process, so it reaches this
 * through child.ts; a Lambda or a test may hold it directly.
 */

import { existsSync } from "node:fs";
import os from "node:os";
import { type Llama, type LlamaEmbeddingContext, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { config } from "../../core/config.ts";
import { ModelUnavailableError } from "../../core/errors.ts";
import { openCpuLlama } from "../../core/llama-binding.ts";
import { centroid, normalize } from "../../core/vectors.ts";
import type { Embedder, Truncation } from "./embedder.ts";

export interface LocalEmbedderOptions {
  modelPath: string;
  /** Registry id, for errors and reports. */
  modelId: string;
  /** Tokens per text the context holds; longer texts are split into windows. Default: 512. */
  contextSize?: number;
  /** llama.cpp threads. Default: `AFFIANT_THREADS`, else all cores but one. */
  threads?: number;
  /** The binding to use; the embedder takes ownership. Default: the CPU prebuilt. */
  llama?: Llama;
  /** The registry model's `flashAttention`; unset, llama.cpp decides. */
  flashAttention?: boolean;
}

export class LocalEmbedder implements Embedder {
  readonly provider = "local" as const;
  readonly model: string;
  readonly truncations: Truncation[] = [];
  private calls = 0;
  private disposed = false;

  private constructor(
    modelId: string,
    private readonly llama: Llama,
    private readonly llamaModel: LlamaModel,
    private readonly context: LlamaEmbeddingContext,
    private readonly contextSize: number,
  ) {
    this.model = modelId;
  }

  static async open(options: LocalEmbedderOptions): Promise<LocalEmbedder> {
    if (!existsSync(options.modelPath)) {
      throw new ModelUnavailableError(
        `embedding model ${options.modelId} not found at ${options.modelPath} (run \`affiant models pull\`)`,
        { model: options.modelId },
      );
    }
    const contextSize = options.contextSize ?? 512;
    const threads = options.threads ?? config().AFFIANT_THREADS ?? Math.max(1, os.availableParallelism() - 1);
    const llama = options.llama ?? (await openCpuLlama(LlamaLogLevel.error));
    let model: LlamaModel | undefined;
    try {
      model = await llama.loadModel({ modelPath: options.modelPath, defaultContextFlashAttention: options.flashAttention ?? "auto" });
      const context = await model.createEmbeddingContext({ contextSize, threads });
      return new LocalEmbedder(options.modelId, llama, model, context, contextSize);
    } catch (err) {
      await model?.dispose();
      await llama.dispose();
      throw new ModelUnavailableError(
        `embedding model ${options.modelId} could not be loaded: ${(err as Error).message}`,
        { model: options.modelId },
        { cause: err },
      );
    }
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (this.disposed) throw new ModelUnavailableError(`embedding model ${this.model} was disposed`, { model: this.model });
    const call = this.calls++;
    const out: Float32Array[] = [];
    for (const [index, text] of texts.entries()) {
      if (text.trim() === "") {
        out.push(new Float32Array(this.llamaModel.embeddingVectorSize));
        continue;
      }
      const tokens = this.llamaModel.tokenize(text);
      // What the context adds around the text (BOS/EOS) is measured, not assumed; llama.cpp
      // keeps one position back, so an input must be shorter than the context.
      const overhead = this.context.calculateInputLength(text) - tokens.length;
      if (tokens.length + overhead < this.contextSize) {
        out.push(normalize((await this.context.getEmbeddingFor(text)).vector));
        continue;
      }
      const limit = this.contextSize - 1 - overhead;
      const windows: Token[][] = [];
      for (let i = 0; i < tokens.length; i += limit) windows.push(tokens.slice(i, i + limit));
      const parts: Float32Array[] = [];
      for (const w of windows) parts.push(normalize((await this.context.getEmbeddingFor(w)).vector));
      this.truncations.push({ call, index, action: "split", length: tokens.length, limit, parts: windows.length });
      out.push(centroid(parts)!);
    }
    return out;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.context.dispose();
    await this.llamaModel.dispose();
    await this.llama.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
