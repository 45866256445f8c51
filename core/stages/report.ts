/**
 * What a GPU stage (or its fallback) leaves in the execution state: ids, timings and
 * counts only. The worker's SendTaskSuccess output and the fallback function's result both
 * have exactly these fields, so the states after a stage never care which one ran.
 */
import type { ProviderName } from "../providers/index.ts";

export interface StageReport {
  /** Blob key of the stage's output (facts JSON, draft Markdown, judge JSON). */
  outputKey: string;
  stage: string;
  /** Registry model id (local) or provider model id (Bedrock, OpenRouter). */
  model: string;
  /** `local`, or a hosted provider of core/providers/index.ts. */
  provider: ProviderName;
  /** Error name that sent the stage to its fallback; null on the primary path. */
  fallbackReason: string | null;
  tokensIn: number;
  tokensOut: number;
  loadMs: number;
  promptMs: number;
  genMs: number;
  /** What the stage cost: GPU-seconds at the host's price (local) or tokens at the provider's. */
  costUsd: number;
}

export const stageReportFields = [
  "outputKey",
  "stage",
  "model",
  "provider",
  "fallbackReason",
  "tokensIn",
  "tokensOut",
  "loadMs",
  "promptMs",
  "genMs",
  "costUsd",
] as const satisfies ReadonlyArray<keyof StageReport>;

/** Detail the engine stores per state beside the report; never in the execution state. */
export interface StageMetrics extends StageReport {
  /**
   * From the task's start to the worker being able to plan: process start-up, modules and
   * the llama.cpp binding for a cold worker; next to nothing for a warm one (local runs).
   */
  queueMs: number;
  /** The stage ran on a warm worker: one that was already running when the task came (its model loaded by an earlier task or by Acquire). */
  warmStart?: boolean;
  /** The model was already loaded in this warm model worker by an earlier task (no load). */
  modelReused?: boolean;
  /**
   * GPU time the warm model worker sat idle, model loaded, before it took this task:
   * charged to this task's case (in costUsd and gpuSeconds), so keeping models warm is
   * never free on paper.
   */
  warmIdleMs?: number;
  /** GPU-seconds this task is charged: its wall time plus {@link warmIdleMs} (local runs). */
  gpuSeconds?: number;
  /** Set by a warm model worker that stays, model loaded, for the next task of its model (never stored). */
  stayWarm?: { model: string; tasks: number; rssGrowthMb: number };
  tokensPerSecond: number;
  peakRssMb: number;
  contextSize: number;
  /** Tokens spent in a thought segment (capped by the stage's thoughtBudget). */
  thoughtTokens?: number;
  /** Retrieved chunks placed in the prompt, and those left out because they did not fit. */
  chunksUsed?: number;
  chunksOmitted?: number;
  /** Model layers on the GPU (0 on the CPU build); on CUDA always all of them, or the load fails. */
  gpuLayers?: number;
  /** GPU memory at load: total, and used once model and context were placed (MiB; absent on CPU). */
  vramTotalMb?: number;
  vramUsedMb?: number;
  /** Longest silence between heartbeats the engine saw (local runs). */
  maxHeartbeatGapMs?: number;
}

export function pickStageReport(m: StageReport): StageReport {
  return Object.fromEntries(stageReportFields.map((f) => [f, m[f]])) as unknown as StageReport;
}

/** One line of a case's cost ledger: a blob per completed GPU stage run (primary or fallback). */
export interface CostEntry {
  stage: string;
  provider: string;
  model: string;
  costUsd: number;
  tokensIn: number;
  tokensOut: number;
}

export const costLedgerPrefix = (runKey: string) => `${runKey}/costs`;

export function costEntryKey(runKey: string, stage: string, round: number): string {
  return `${costLedgerPrefix(runKey)}/${stage}-r${round}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.json`;
}
