/**
 * The execution state as the Lambda handlers and the worker read it. It only ever holds
 * ids, blob keys and small reports (see workflows/definition.ts).
 */
import type { StageReport } from "./stage-report.ts";
import type { CaseType } from "./case-file.ts";

import type { FaultKind } from "./faults.ts";

/** Kept for imports that predate core/faults.ts (the worker's model session). */
export type { FaultKind } from "./faults.ts";

export interface PipelineState {
  caseId: string;
  caseType: CaseType;
  /** Blob prefix for everything this execution writes. */
  runKey: string;
  executionName: string;
  pipelineVersion: string;
  promptVersion: string;
  faults: Record<string, FaultKind>;
  rewrites: { n: number };
  maxRewrites: number;
  scoreThreshold: number;
  extract: { extractKey: string; documentCount: number; pageCount: number; documentsKey?: string; ocrPages: Array<{ document: number; page: number; confidence: number; engine: "tesseract" | "textract" }> };
  redact?: { redactedKey: string; entityCount: number };
  index?: { indexKey: string; chunkCount: number };
  facts?: StageReport;
  draft?: StageReport;
  judges?: StageReport[];
  score?: { value: number; rewrite: boolean; scoreKey: string };
  lastFailure?: { Error: string; Cause: string };
}

export const pipelineVersion = "1";
