/**
 * The execution summary (`affiant run --json`, `affiant runs show`): one
 * entry per state run, in order, joined with the report its handler stored.
 */

import type { ReviewStatus } from "../../core/declaration.ts";
import type { ReviewAuditEntry } from "../../core/review.ts";
import { gpuStages, stateNames } from "../../core/state-names.ts";
import type { EventRow, ExecutionRow, ReportRow } from "./history-db.ts";

export interface StateSummary {
  name: string;
  /** ABORTED: still running when its execution ended (a Parallel branch beside the failure), then stopped. */
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";
  startedAt: string;
  endedAt: string | null;
  model: string | null;
  provider: string | null;
  fallbackReason: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  loadMs: number | null;
  promptMs: number | null;
  genMs: number | null;
  costUsd: number | null;
  /** Set when the state failed: the error name Step Functions matched. */
  error?: string;
  cause?: string;
  /** Extra detail the console lacks (tokens/s, queue wait, peak RSS, context size). */
  tokensPerSecond?: number;
  queueMs?: number;
  /** Ran on a warm worker: one that was already running when the task came. */
  warmStart?: boolean;
  /** Ran on a warm model worker that already had its model loaded (no load). */
  modelReused?: boolean;
  /** GPU time a warm model worker sat idle before this state, charged to this case. */
  warmIdleMs?: number;
  /** GPU-seconds charged: the state's worker time plus {@link warmIdleMs} (local runs). */
  gpuSeconds?: number;
  peakRssMb?: number;
  contextSize?: number;
}

export interface ExecutionSummary {
  executionId: string;
  caseId: string;
  status: ExecutionRow["status"];
  startedAt: string;
  endedAt: string | null;
  output: unknown;
  outputDir: string | null;
  error?: string;
  cause?: string;
  states: StateSummary[];
  /**
   * Pipeline stages whose work is done and stored (a GPU stage counts when it or its
   * fallback succeeded), in order: what a failed execution leaves behind.
   */
  completedStages?: string[];
  /** Set while the execution waits for a person (status RUNNING): the state it waits in. */
  waitingFor?: "AttorneyReview";
  /** The open review round: its draft, its window, and the quality gate's score of that draft (null: not scored). */
  review?: { round: number; version: string; openedAt: string; expiresAt: string; score?: number | null };
  /** Every review decision: who, when, what, about which draft (never the notes). */
  reviewAudit?: Array<Omit<ReviewAuditEntry, "executionId">>;
  /**
   * What the quality gate said of the shipped declaration (from the output), or of the draft
   * under review while the execution waits for the attorney: "failing-review" when it still
   * failed with no rewrite left, so a draft never reads as a clean pass.
   */
  quality?: ReviewStatus;
  /**
   * GPU-seconds the case was charged over its local GPU states, warm idle time included,
   * and that idle part on its own (present when any local GPU state reported).
   */
  gpu?: { seconds: number; warmIdleSeconds: number };
}

/** The review status a succeeded execution's output carries; none for one that did not finish. */
export function reviewOf(output: unknown): ReviewStatus | undefined {
  const review = output && typeof output === "object" ? (output as { review?: ReviewStatus }).review : undefined;
  return review && (review.status === "passed" || review.status === "failing-review")
    ? { status: review.status, failures: Array.isArray(review.failures) ? review.failures : [] }
    : undefined;
}

const pipelineStages = new Set<string>([
  stateNames.extract,
  stateNames.redact,
  stateNames.index,
  ...gpuStages,
  stateNames.score,
  stateNames.reinject,
]);

/** The stages that completed, from the states' outcomes (shared by the local and the AWS summary). */
export function completedStages(states: StateSummary[]): string[] {
  const done: string[] = [];
  for (const s of states) {
    if (s.status !== "SUCCEEDED") continue;
    const stage = s.name.endsWith("Fallback") ? s.name.slice(0, -"Fallback".length) : s.name;
    if (pipelineStages.has(stage) && !done.includes(stage)) done.push(stage);
  }
  return done;
}

export function summarizeExecution(row: ExecutionRow, events: EventRow[], reports: ReportRow[]): ExecutionSummary {
  const states: StateSummary[] = [];
  const open = new Map<string, StateSummary[]>();
  for (const e of events) {
    if (!e.stateName) continue;
    if (e.type === "StateEntered") {
      const s: StateSummary = {
        name: e.stateName,
        status: "RUNNING",
        startedAt: e.timestamp,
        endedAt: null,
        model: null,
        provider: null,
        fallbackReason: null,
        tokensIn: null,
        tokensOut: null,
        loadMs: null,
        promptMs: null,
        genMs: null,
        costUsd: null,
      };
      states.push(s);
      open.set(e.stateName, [...(open.get(e.stateName) ?? []), s]);
      continue;
    }
    const s = open.get(e.stateName)?.at(-1);
    if (s?.status !== "RUNNING") continue;
    if (e.type === "StateExited") {
      s.status = "SUCCEEDED";
      s.endedAt = e.timestamp;
    } else if (e.type === "StateFailed" || e.type === "StateCaught") {
      s.status = "FAILED";
      s.endedAt = e.timestamp;
      if (typeof e.detail.error === "string") s.error = e.detail.error;
      if (typeof e.detail.cause === "string") s.cause = e.detail.cause;
    }
  }
  // Nothing runs once the execution has ended: its workers were stopped with it.
  if (row.status !== "RUNNING") {
    for (const s of states) {
      if (s.status !== "RUNNING") continue;
      s.status = "ABORTED";
      s.endedAt = row.endedAt;
    }
  }
  // A StateCaught event carries no error name; the report stored by the handler does.
  for (const s of states) {
    const report = reportFor(s, reports);
    if (!report) continue;
    const m = report.metrics;
    s.model = m.model ?? null;
    s.provider = m.provider ?? null;
    s.fallbackReason = m.fallbackReason ?? null;
    s.tokensIn = m.tokensIn ?? null;
    s.tokensOut = m.tokensOut ?? null;
    s.loadMs = m.loadMs ?? null;
    s.promptMs = m.promptMs ?? null;
    s.genMs = m.genMs ?? null;
    s.costUsd = m.costUsd ?? null;
    if (m.tokensPerSecond !== undefined) s.tokensPerSecond = m.tokensPerSecond;
    if (m.queueMs !== undefined) s.queueMs = m.queueMs;
    if (m.warmStart !== undefined) s.warmStart = m.warmStart;
    if (m.modelReused !== undefined) s.modelReused = m.modelReused;
    if (m.warmIdleMs !== undefined) s.warmIdleMs = m.warmIdleMs;
    if (m.gpuSeconds !== undefined) s.gpuSeconds = m.gpuSeconds;
    if (m.peakRssMb !== undefined) s.peakRssMb = m.peakRssMb;
    if (m.contextSize !== undefined) s.contextSize = m.contextSize;
    if (report.status === "FAILED") {
      s.error ??= m.error;
      s.cause ??= m.cause;
    }
  }
  return {
    executionId: row.id,
    caseId: row.caseId,
    status: row.status,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    output: row.output,
    outputDir: row.status === "SUCCEEDED" ? row.outputDir : null,
    ...(row.error ? { error: row.error } : {}),
    ...(row.cause ? { cause: row.cause } : {}),
    states,
    completedStages: completedStages(states),
    ...(reviewOf(row.output) ? { quality: reviewOf(row.output) } : {}),
    ...gpuTotals(states),
  };
}

/** The case's GPU-seconds (warm idle included) and the idle part, from its states' reports. */
function gpuTotals(states: StateSummary[]): Pick<ExecutionSummary, "gpu"> {
  const charged = states.filter((s) => s.gpuSeconds !== undefined);
  if (!charged.length) return {};
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    gpu: {
      seconds: round(charged.reduce((n, s) => n + s.gpuSeconds!, 0)),
      warmIdleSeconds: round(charged.reduce((n, s) => n + (s.warmIdleMs ?? 0), 0) / 1000),
    },
  };
}

/** The last report of that state stored while this run of it was in progress. */
function reportFor(s: StateSummary, reports: ReportRow[]): ReportRow | undefined {
  const from = Date.parse(s.startedAt);
  const to = s.endedAt ? Date.parse(s.endedAt) : Number.POSITIVE_INFINITY;
  return reports.filter((r) => r.stateName === s.name && Date.parse(r.createdAt) >= from && Date.parse(r.createdAt) <= to + 50).at(-1);
}
