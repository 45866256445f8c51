/**
 * The execution state as the Lambda handlers and the worker read it. It only ever holds
 * ids, blob keys and small reports (see workflows/definition.ts).
 */

import type { CaseType } from "./case-file.ts";
import type { FaultKind } from "./faults.ts";
import type { StageModule } from "./stages/index.ts";
import type { StageReport } from "./stages/report.ts";
import type { CaseLanguage } from "./translation.ts";

/** Kept for imports that predate core/faults.ts (the worker's model session). */
export type { FaultKind } from "./faults.ts";

/**
 * One field per result slot the GPU stage modules fill (core/stages/): a stage's report, or
 * for the judges, who run side by side, the list of their reports.
 */
export type StageResults = {
  [Slot in StageModule["slot"]]?: Extract<StageModule, { slot: Slot }>["phase"] extends "judge" ? StageReport[] : StageReport;
};

export interface PipelineState extends StageResults {
  caseId: string;
  caseType: CaseType;
  /**
   * The declarant's language (case.json): "es" adds the Spanish version (TranslateDeclaration)
   * and the certificate of translation. Absent in states written before it existed: English.
   */
  language?: CaseLanguage;
  /** Blob prefix for everything this execution writes. */
  runKey: string;
  executionName: string;
  pipelineVersion: string;
  promptVersion: string;
  faults: Record<string, FaultKind>;
  rewrites: { n: number };
  maxRewrites: number;
  scoreThreshold: number;
  extract: {
    extractKey: string;
    documentCount: number;
    pageCount: number;
    documentsKey?: string;
    ocrPages: Array<{ document: number; page: number; confidence: number; engine: "tesseract" | "textract" }>;
  };
  redact?: { redactedKey: string; entityCount: number };
  index?: { indexKey: string; chunkCount: number };
  placeholders?: { problems: number; rewrite: boolean; checkKey: string };
  score?: { value: number; passed: boolean; rewrite: boolean; scoreKey: string };
  lastFailure?: { Error: string; Cause: string };
}

export const pipelineVersion = "1";
