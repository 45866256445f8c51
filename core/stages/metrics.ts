/**
 * One builder for what a GPU stage run reports (StageMetrics) and the cost-ledger line it
 * leaves, whoever ran it: the llama worker (provider "local") or the fallback's hosted
 * provider. Both answer with the same fields, computed the same way.
 */
import { type BlobStore, putJson } from "../blob-store.ts";
import { type Registry, stageCostUsd } from "../registry.ts";
import { type CostEntry, costEntryKey, type StageMetrics, type StageReport } from "./report.ts";

/** A run as its runner measured it: the report's identity fields, and raw timings. */
export interface StageRun
  extends Pick<StageReport, "outputKey" | "stage" | "model" | "provider" | "fallbackReason" | "tokensIn" | "tokensOut"> {
  /** Milliseconds, unrounded (rounded here; tokens per second come from the exact figure). */
  loadMs: number;
  promptMs: number;
  genMs: number;
  /** What the run is charged for: the GPU is held from the task's start to its end (local); hosted providers charge per token. */
  wallMs: number;
  queueMs: number;
  contextSize: number;
  /** The model calls the stage planned (their chunk counts are summed). */
  calls: ReadonlyArray<{ chunksUsed: number; chunksOmitted: number }>;
  warmStart?: boolean;
  /** A warm model worker's: the model was loaded by an earlier task. */
  modelReused?: boolean;
  /** Idle time of the warm worker before this task, charged to it on top of wallMs. */
  warmIdleMs?: number;
  thoughtTokens?: number;
  /** Where the model went (gpuLayers, VRAM): local runs. */
  placement?: Pick<StageMetrics, "gpuLayers" | "vramTotalMb" | "vramUsedMb">;
}

export function stageMetrics(registry: Registry, run: StageRun): StageMetrics {
  // A warm worker's idle wait, model loaded, held the GPU too: its next task pays for it.
  const chargedMs = run.wallMs + (run.warmIdleMs ?? 0);
  return {
    outputKey: run.outputKey,
    stage: run.stage,
    model: run.model,
    provider: run.provider,
    fallbackReason: run.fallbackReason,
    tokensIn: run.tokensIn,
    tokensOut: run.tokensOut,
    loadMs: Math.round(run.loadMs),
    promptMs: Math.round(run.promptMs),
    genMs: Math.round(run.genMs),
    costUsd: stageCostUsd(registry, {
      provider: run.provider,
      model: run.model,
      wallMs: chargedMs,
      tokensIn: run.tokensIn,
      tokensOut: run.tokensOut,
    }),
    queueMs: run.queueMs,
    ...(run.warmStart !== undefined ? { warmStart: run.warmStart } : {}),
    ...(run.modelReused !== undefined ? { modelReused: run.modelReused } : {}),
    ...(run.provider === "local" ? { warmIdleMs: Math.round(run.warmIdleMs ?? 0), gpuSeconds: Math.round(chargedMs) / 1000 } : {}),
    tokensPerSecond: run.genMs > 0 ? Math.round((run.tokensOut / run.genMs) * 1000 * 10) / 10 : 0,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    contextSize: run.contextSize,
    ...run.placement,
    ...(run.thoughtTokens !== undefined ? { thoughtTokens: run.thoughtTokens } : {}),
    chunksUsed: run.calls.reduce((n, c) => n + c.chunksUsed, 0),
    chunksOmitted: run.calls.reduce((n, c) => n + c.chunksOmitted, 0),
  };
}

/** The run's line in the case's cost ledger (one blob per completed stage run). */
export async function recordStageCost(store: BlobStore, where: { runKey: string; round: number }, metrics: StageMetrics): Promise<void> {
  const { stage, provider, model, costUsd, tokensIn, tokensOut } = metrics;
  await putJson(store, costEntryKey(where.runKey, stage, where.round), {
    stage,
    provider,
    model,
    costUsd,
    tokensIn,
    tokensOut,
  } satisfies CostEntry);
}
