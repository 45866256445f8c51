/**
 * The model registry: which model each GPU stage runs, with what budgets, and where it
 * falls back to. The definition takes its TimeoutSeconds/HeartbeatSeconds from here, so
 * the timing contract and the models live in one reviewed file.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { config } from "./config.ts";
import { InvalidInputError, ModelUnavailableError } from "./errors.ts";
import { localProvider, providerModule, providerNames, providers } from "./providers/index.ts";
import type { ProviderModule } from "./providers/types.ts";
import { type GpuStage, gpuStages } from "./state-names.ts";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const defaultRegistryPath = path.join(projectRoot, "models", "registry.json");

const hostClassSchema = z.object({
  instanceType: z.string(),
  gpu: z.string(),
  gpuMemoryGiB: z.number().positive(),
  gpusPerHost: z.number().int().positive(),
});

const modelSchema = z.object({
  file: z.string().min(1),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  url: z.string().optional(),
  hostClass: z.string(),
  /** Largest context this deployment will ever ask of the model (tokens). */
  contextSize: z.number().int().positive(),
  temperature: z.number().min(0).max(2).optional(),
  /**
   * Chat template: "auto" (the GGUF's own, raw text when it has none), "none", or a
   * node-llama-cpp wrapper name ("qwen", "llama3.1", "chatML"…). Default: "auto".
   */
  chatWrapper: z.string().default("auto"),
  /** Circuit breaker: skip the model while its recent failure rate is over the threshold. */
  breaker: z
    .object({
      failureRate: z.number().min(0).max(1),
      minSamples: z.number().int().min(1),
      window: z.number().int().min(1),
      cooldownSeconds: z.number().min(0).default(300),
    })
    .default({ failureRate: 0.5, minSamples: 5, window: 20, cooldownSeconds: 300 }),
  /** From the model card, for review and the production check (infra/production.ts). */
  quantization: z.string().optional(),
  /** Size of the GGUF file in bytes. */
  sizeBytes: z.number().int().positive().optional(),
  /** Context the model was trained for (tokens); `contextSize` may not exceed it. */
  trainedContext: z.number().int().positive().optional(),
  /** KV cache per token at f16: 2 × layers × KV heads × head size × 2 bytes. */
  kvBytesPerToken: z.number().int().positive().optional(),
  licence: z.string().optional(),
  /** Model family (judges should come from different ones, so their errors do not agree). */
  family: z.string().optional(),
  /** Splitting a model over several GPUs runs 3-4x slower on PCIe hosts: opt in only. */
  allowSplit: z.boolean().default(false),
  /**
   * llama.cpp's flash attention for this model's contexts. Unset, llama.cpp decides (on where
   * the backend supports it). `false` where it is slower: on a CPU, a tiny head size (in a
   * sample run, the committed stories260K's prompt evaluation took under a third of the time
   * without it, generation about half).
   */
  flashAttention: z.boolean().optional(),
  notes: z.string().optional(),
});

/**
 * `local:<registry model id>` or `<provider>:<model>` for a provider of core/providers/index.ts;
 * an unknown provider is refused, naming the ones there are.
 */
export function fallbackRefSchema(list: readonly ProviderModule[] = providers) {
  const names = providerNames(list);
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return z
    .string()
    .regex(new RegExp(`^(${escaped.join("|")}):.+$`), `expected <provider>:<model>, the provider one of ${names.join(", ")}`);
}
const fallbackRef = fallbackRefSchema();

const stageSchema = z.object({
  model: z.string(),
  fallback: z.array(fallbackRef).min(1),
  maxTokens: z.number().int().positive(),
  timeoutSeconds: z.number().int().positive(),
  /** Budget of the fallback state (the whole chain); Lambda caps it at 900. Default: timeoutSeconds. */
  fallbackTimeoutSeconds: z.number().int().positive().max(900).optional(),
  heartbeatSeconds: z.number().int().positive(),
  /** The worker aborts a generation with no new token for this long. */
  watchdogSeconds: z.number().positive(),
  temperature: z.number().min(0).max(2).optional(),
  /**
   * Tokens a thinking model may spend in its thought segment before it is closed for it
   * (node-llama-cpp's thought budget, enforced in the worker's loop). 0: no thinking. Default: 0.
   */
  thoughtBudget: z.number().int().min(0).default(0),
});

/**
 * Embeddings for Index (hybrid retrieval) and Score (grounding). Absent: BM25 only and
 * no grounding score. The provider is chosen at run time (`AFFIANT_EMBEDDINGS`), so a
 * registry names both.
 */
const embeddingSchema = z.object({
  local: z.object({
    /** Registry model id of the GGUF embedding model (its `contextSize` is the window). */
    model: z.string(),
    /**
     * The model file is absent: "bm25" indexes without vectors (recorded in the index and
     * logged; a fresh clone has no embedding model until `affiant models pull`), "fail"
     * refuses with Affiant.ModelUnavailable. Default: "fail".
     */
    ifMissing: z.enum(["bm25", "fail"]).default("fail"),
    /** Prefixes the model was trained with (nomic: "search_document: ", "search_query: "). Default: "". */
    documentPrefix: z.string().default(""),
    queryPrefix: z.string().default(""),
  }),
  bedrock: z
    .object({
      /** Default: amazon.titan-embed-text-v2:0. */
      model: z.string().default("amazon.titan-embed-text-v2:0"),
      /** Default: 512. */
      dimensions: z.union([z.literal(256), z.literal(512), z.literal(1024)]).default(512),
      /** Requests in flight. Default: 4. */
      concurrency: z.number().int().min(1).max(64).default(4),
    })
    .default({ model: "amazon.titan-embed-text-v2:0", dimensions: 512, concurrency: 4 }),
  /** Reciprocal-rank fusion constant of hybrid retrieval. Default: 60. */
  rrfK: z.number().positive().default(60),
  grounding: z
    .object({
      /** Share of the final score given to the grounding F1; the rest is the judge/support score. Default: 0.3. */
      weight: z.number().min(0).max(1).default(0.3),
      /** Cosine that counts as no similarity (BERTScore's baseline rescaling). Default: 0. */
      baseline: z.number().min(0).max(0.99).default(0),
    })
    .default({ weight: 0.3, baseline: 0 }),
});

export type EmbeddingConfig = z.infer<typeof embeddingSchema>;

export const registrySchema = z.object({
  version: z.literal(1),
  hostClasses: z.record(z.string(), hostClassSchema),
  models: z.record(z.string(), modelSchema),
  stages: z.record(z.string(), stageSchema),
  /** Prices for the cost of each stage and case, in USD. */
  pricing: z
    .object({
      /** Per host class: what one GPU of it costs an hour (GPU-seconds are billed per stage). */
      gpuHourUsd: z.record(z.string(), z.number().min(0)).default({}),
      /** Per provider model (its module's `pricingKey`, `provider:model`): price per million input and output tokens. */
      hosted: z.record(z.string(), z.object({ inputPerMTokUsd: z.number().min(0), outputPerMTokUsd: z.number().min(0) })).default({}),
    })
    .default({ gpuHourUsd: {}, hosted: {} }),
  embedding: embeddingSchema.optional(),
  /**
   * Warm model workers: a worker keeps its one model loaded for later stages of that model,
   * from any execution, up to maxTasks tasks or idleSeconds without one, then exits (capacity
   * back to zero); a task that leaves its RSS more than maxRssGrowthMb above the first
   * task's ends the worker too. Getting a worker with its model loaded (an instance launch,
   * the image pull, the model sync and load) is each GPU stage's `<Stage>Acquire` state, with
   * a budget of acquireSeconds; generating is the `<Stage>` state with the stage's own
   * heartbeatSeconds. At most poolSize workers of one model run at once.
   */
  workers: z
    .object({
      maxTasks: z.number().int().min(1).max(1000).default(16),
      idleSeconds: z.number().int().min(1).max(3600).default(30),
      maxRssGrowthMb: z.number().int().positive().default(512),
      /** The Acquire's budget: covers the cold path (core/config.ts coldPathSeconds: 840 s for the production profile's 9 GB writer). */
      acquireSeconds: z.number().int().min(1).max(3600).default(900),
      poolSize: z.number().int().min(1).max(64).default(3),
      /** Start workers of the first GPU stages' models while Extract, Redact and Index run (the WarmUp state). */
      warmUp: z.boolean().default(true),
    })
    .default({ maxTasks: 16, idleSeconds: 30, maxRssGrowthMb: 512, acquireSeconds: 900, poolSize: 3, warmUp: true }),
  pipeline: z.object({
    scoreThreshold: z.number().min(0).max(1),
    maxRewrites: z.number().int().min(0).max(5),
  }),
});

export type ModelEntry = z.infer<typeof modelSchema>;
export type StageEntry = z.infer<typeof stageSchema>;
export type HostClass = z.infer<typeof hostClassSchema>;

export interface Registry extends z.infer<typeof registrySchema> {
  /** Absolute path of the registry file; model files resolve relative to its folder. */
  readonly source: string;
}

/** The registry in force: `AFFIANT_REGISTRY` when set, else the one in `models/`. */
export function registryPath(): string {
  const file = config().AFFIANT_REGISTRY;
  return file ? path.resolve(file) : defaultRegistryPath;
}

export function loadRegistry(file: string = registryPath()): Registry {
  if (!existsSync(file)) throw new InvalidInputError(`model registry not found: ${file}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new InvalidInputError(`model registry ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = registrySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`model registry ${file}: ${issue.path.join(".")}: ${issue.message}`);
  }
  const registry: Registry = { ...parsed.data, source: file };
  validateReferences(registry);
  return registry;
}

function validateReferences(registry: Registry): void {
  const where = registry.source;
  for (const stage of gpuStages) {
    const entry = registry.stages[stage];
    if (!entry) throw new InvalidInputError(`model registry ${where}: stage ${stage} has no entry`);
    if (!registry.models[entry.model]) {
      throw new InvalidInputError(`model registry ${where}: stage ${stage} uses unknown model ${entry.model}`);
    }
    if (entry.watchdogSeconds <= 0) throw new InvalidInputError(`model registry ${where}: stage ${stage}: watchdogSeconds must be > 0`);
    if (entry.heartbeatSeconds >= entry.timeoutSeconds) {
      throw new InvalidInputError(`model registry ${where}: stage ${stage}: heartbeatSeconds must be below timeoutSeconds`);
    }
    for (const ref of entry.fallback) {
      const [provider, id] = splitRef(ref);
      if (provider === localProvider && !registry.models[id]) {
        throw new InvalidInputError(`model registry ${where}: stage ${stage} falls back to unknown model ${id}`);
      }
    }
  }
  if (registry.embedding && !registry.models[registry.embedding.local.model]) {
    throw new InvalidInputError(`model registry ${where}: embedding.local.model names unknown model ${registry.embedding.local.model}`);
  }
  for (const [id, model] of Object.entries(registry.models)) {
    if (!registry.hostClasses[model.hostClass]) {
      throw new InvalidInputError(`model registry ${where}: model ${id} names unknown host class ${model.hostClass}`);
    }
  }
}

export function splitRef(ref: string): [provider: string, id: string] {
  const i = ref.indexOf(":");
  return [ref.slice(0, i), ref.slice(i + 1)];
}

export function stageEntry(registry: Registry, stage: GpuStage): StageEntry {
  const entry = registry.stages[stage];
  if (!entry) throw new InvalidInputError(`model registry ${registry.source}: no entry for stage ${stage}`);
  return entry;
}

export function modelEntry(registry: Registry, id: string): ModelEntry {
  const entry = registry.models[id];
  if (!entry) throw new ModelUnavailableError(`model ${id} is not in the registry ${registry.source}`, { model: id });
  return entry;
}

/** Model files resolve against `AFFIANT_MODELS_DIR` when set, else the registry's folder. */
export function modelFilePath(registry: Registry, id: string): string {
  const entry = modelEntry(registry, id);
  if (path.isAbsolute(entry.file)) return entry.file;
  const base = config().AFFIANT_MODELS_DIR ?? path.dirname(registry.source);
  return path.resolve(base, entry.file);
}

/** The cost of one stage run, from the registry's price table. Unpriced is 0, never a guess. */
export function stageCostUsd(
  registry: Registry,
  run: { provider: string; model: string; wallMs: number; tokensIn: number; tokensOut: number },
): number {
  let usd = 0;
  if (run.provider === localProvider) {
    const hostClass = registry.models[run.model]?.hostClass;
    const perHour = hostClass ? (registry.pricing.gpuHourUsd[hostClass] ?? 0) : 0;
    usd = (run.wallMs / 3_600_000) * perHour;
  } else {
    const key = providerModule(run.provider)?.pricingKey(run.model);
    const price = key === undefined ? undefined : registry.pricing.hosted[key];
    if (price) usd = (run.tokensIn / 1e6) * price.inputPerMTokUsd + (run.tokensOut / 1e6) * price.outputPerMTokUsd;
  }
  return Math.round(usd * 1e6) / 1e6;
}
