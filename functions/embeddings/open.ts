/**
 * Which embedder a handler gets: `AFFIANT_EMBEDDINGS=local|bedrock|off`, by default
 * "bedrock" inside Lambda (no model to carry in a function) and "local" elsewhere; the
 * registry's `embedding` section says which models. Locally the llama.cpp embedder runs in
 * a child process (see child.ts for why); inside Lambda, whose process serves one
 * function, it may run in-process.
 */
import { existsSync } from "node:fs";
import { type Env, config as envConfig } from "../../core/config.ts";
import { ModelUnavailableError } from "../../core/errors.ts";
import { type EmbeddingConfig, modelEntry, modelFilePath, type Registry } from "../../core/registry.ts";
import type { Embedder } from "./embedder.ts";

export type EmbeddingsMode = "local" | "bedrock" | "off";

export function embeddingsMode(env?: Env): EmbeddingsMode {
  const c = envConfig(env);
  return c.AFFIANT_EMBEDDINGS ?? (c.AWS_LAMBDA_FUNCTION_NAME ? "bedrock" : "local");
}

export interface OpenedEmbedder {
  embedder: Embedder;
  /** Prepended to chunks and draft sentences, and to retrieval queries (local models trained with them). */
  documentPrefix: string;
  queryPrefix: string;
  config: EmbeddingConfig;
}

export type EmbedderChoice = OpenedEmbedder | { skipped: string };

export interface OpenEmbedderOptions {
  /** Default: embeddingsMode(). */
  mode?: EmbeddingsMode;
  /** Run the local model in this process. Default: only inside Lambda. */
  inProcess?: boolean;
  /** Checks each text before it leaves for Bedrock (see titan.ts). Default: none. */
  guard?: (text: string) => void;
}

/** The configured embedder, or why there is none (never a guess at a different model). */
export async function openEmbedder(registry: Registry, options: OpenEmbedderOptions = {}): Promise<EmbedderChoice> {
  const config = registry.embedding;
  const mode = options.mode ?? embeddingsMode();
  if (!config) return { skipped: "the registry has no embedding section" };
  if (mode === "off") return { skipped: "AFFIANT_EMBEDDINGS=off" };
  if (mode === "bedrock") {
    const { TitanEmbedder } = await import("./titan.ts");
    const embedder = new TitanEmbedder({
      model: config.bedrock.model,
      dimensions: config.bedrock.dimensions,
      concurrency: config.bedrock.concurrency,
      guard: options.guard,
    });
    return { embedder, documentPrefix: "", queryPrefix: "", config };
  }
  const id = config.local.model;
  const modelPath = modelFilePath(registry, id);
  if (!existsSync(modelPath) && config.local.ifMissing === "bm25") {
    return { skipped: `embedding model ${id} is not at ${modelPath} (run \`affiant models pull\`)` };
  }
  const entry = modelEntry(registry, id);
  const local = { modelId: id, modelPath, contextSize: entry.contextSize, flashAttention: entry.flashAttention };
  const inProcess = options.inProcess ?? Boolean(envConfig().AWS_LAMBDA_FUNCTION_NAME);
  const embedder = inProcess
    ? await (await importLocalEmbedder()).LocalEmbedder.open(local)
    : await (await import("./child.ts")).ChildEmbedder.open(local);
  return { embedder, documentPrefix: config.local.documentPrefix, queryPrefix: config.local.queryPrefix, config };
}

/**
 * The in-process llama.cpp embedder, through a specifier esbuild cannot follow: a literal
 * import would pull node-llama-cpp (and its per-platform native packages) into the Lambda
 * bundles of Index and Score, which embed with Bedrock there and could not load it anyway.
 */
async function importLocalEmbedder(): Promise<typeof import("./local.ts")> {
  const specifier = ["./local", "ts"].join(".");
  try {
    return (await import(specifier)) as typeof import("./local.ts");
  } catch (err) {
    throw new ModelUnavailableError(
      `the local embedder is not part of this build (${(err as Error).message}); in Lambda set AFFIANT_EMBEDDINGS=bedrock`,
      { model: "local-embedder" },
    );
  }
}
