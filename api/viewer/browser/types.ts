/**
 * What the viewer reads from the API, as it arrives over the wire (JSON). Declared here and
 * not imported from the server's modules, which pull in Node; test/unit/viewer-bundle.test.ts
 * checks that the server's summary and list types still fit these. The redline's types are the
 * one module the server and the viewer share (core/round-changes.ts: types only, no Node).
 */
import type { RoundChanges } from "../../../core/round-changes.ts";

export interface ExecutionListItem {
  executionId: string;
  caseId: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  /** A RUNNING execution waiting for the attorney, and since when. */
  waitingFor?: string;
  waitingSince?: string;
}

export interface ExecutionPage {
  executions?: ExecutionListItem[];
  nextToken?: string;
}

/** One state run (workflows/engine/summary.ts StateSummary). */
export interface StateRun {
  name: string;
  status: string;
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
  error?: string;
  cause?: string;
  tokensPerSecond?: number;
  queueMs?: number;
  peakRssMb?: number;
  contextSize?: number;
  modelReused?: boolean;
  warmIdleMs?: number;
  gpuSeconds?: number;
}

export interface ExecutionSummary {
  executionId: string;
  caseId: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  output: unknown;
  error?: string;
  cause?: string;
  states: StateRun[];
  completedStages?: string[];
  /** Set while the execution waits in AttorneyReview. */
  waitingFor?: string;
  review?: { round: number; version: string; openedAt: string; expiresAt: string; score?: number | null };
  reviewAudit?: ReviewAuditEntry[];
  /** The quality gate's verdict on the shipped declaration (succeeded runs), or on the draft under review (waiting). */
  quality?: { status: "passed" | "failing-review"; failures: string[] };
  gpu?: { seconds: number; warmIdleSeconds: number };
}

/** One review decision (core/review.ts ReviewAuditEntry, less the execution id). */
export interface ReviewAuditEntry {
  reviewer: string;
  decision: string;
  version: string;
  round: number;
  via: string;
  notesChars: number;
  decidedAt: string;
  /** A wait ended by an error (e.g. a SendTaskFailure) instead of a decision: its name when plain, and sizes. */
  failure?: { error: string | null; errorChars: number; causeChars: number };
}

/** The parts of an ASL definition (GET /workflow) the graph draws. */
export interface ChoiceRule {
  Variable?: string;
  Next?: string;
  [operator: string]: unknown;
}

export interface CatchRule {
  ErrorEquals?: string[];
  Next?: string;
}

export interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: ChoiceRule[];
  Catch?: CatchRule[];
  Branches?: StateMachine[];
}

export interface StateMachine {
  StartAt: string;
  States: Record<string, AslState>;
}

/** GET /executions/{id}/review-document: functions/review-document.ts's ReviewDocument, re-injected. */
export interface ReviewQuote {
  exhibit: string;
  document: string;
  quote: string;
}

export interface ReviewDocument {
  title: string;
  review: { status: "passed" | "failing-review"; failures: string[] };
  /** Who is who: role, name, placeholder. */
  roles: Array<{ role: string; name: string; placeholder: string }>;
  versions: string[];
  paragraphs: Array<{
    /** The filing version's paragraph number. */
    number: number;
    element: string;
    heading: string;
    citation: string;
    supports: string[];
    /** When it happened, as the story placed it; absent for the opening paragraph and older drafts. */
    when?: string;
    texts: string[];
    exhibits: string[];
    unsupported: Array<{ sentence: number; text: string; support: number }>;
    sentences?: Array<{ text: string; exhibits: string[] }>;
  }>;
  judges: Array<{ stage: string; score: number; reasons: string }>;
  placeholderProblems: string[];
  elementsNotDrafted: string[];
  elementsJudgedNotCovered: string[];
  documentsNeverCited: string[];
  factsToConfirm: Array<{ item: string; why: string[]; where: string[] }>;
  contradictions: Array<{ kind: "cause" | "date"; event: string; first: ReviewQuote; second: ReviewQuote }>;
  exhibits: Array<{ letter: string; title: string; pages: number[]; citedPages: number[]; language?: string; needsTranslation?: boolean }>;
  /** Absent in review documents written before document roles. */
  unfiledSources?: Array<{ label: string; role: "work-product" | "interview"; title: string; pages: number[]; citedPages: number[] }>;
  interviewSentences?: Array<{ paragraph: number; sentence: number; text: string; sources: string[] }>;
  translationCertificates?: Array<{ exhibit: string; title: string; heading: string; statement: string; blanks: string[] }>;
  notChecked: string[];
  /** After a "changes" round (functions/review/redline.ts): the redline against the draft reviewed last round. */
  changes?: RoundChanges;
}
