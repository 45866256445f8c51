/**
 * The attorney's review gate, what every side of it shares: the decisions, their limits, the
 * gate (the task token kept with the execution) and the audit log. The gate lives in the
 * history database locally and in DynamoDB in AWS (`AFFIANT_REVIEW_TABLE`); the token is
 * never logged and never enters the execution's history (only its state's ids and keys do).
 */
import { config } from "./config.ts";
import { InvalidInputError } from "./errors.ts";

export const reviewDecisions = ["approve", "changes"] as const;
export type ReviewDecision = (typeof reviewDecisions)[number];
/** Notes bigger than this are refused before anything is stored. */
export const maxReviewNotesBytes = 64 * 1024;
/** Default review window: 14 days. */
export const defaultReviewExpirySeconds = 14 * 24 * 3600;

/** `AFFIANT_REVIEW_EXPIRY_SECONDS`, else 14 days. */
export function reviewExpirySeconds(): number {
  return config().AFFIANT_REVIEW_EXPIRY_SECONDS ?? defaultReviewExpirySeconds;
}

/** What SendTaskSuccess carries back to AttorneyReview (the state keeps it at `$.review`): ids only. */
export interface ReviewOutput {
  decision: ReviewDecision;
  reviewer: string;
  decidedAt: string;
  /** The draft decided on (its blob key). */
  version: string;
  /** Blob key of the attorney's notes (unredacted, inside the account); "changes" only. */
  notesKey?: string;
  /**
   * Blob key of the facts from the client the attorney wrote (unredacted, inside the account);
   * "changes" only. AttorneyNotes redacts them into an interview document the next round cites.
   */
  factsKey?: string;
  /** api, viewer, cli, run --approve… */
  via: string;
}

/** An execution waiting in AttorneyReview. */
export interface ReviewGate {
  executionId: string;
  /** The task token: stored here only. */
  token: string;
  /** Which draft is under review: its (redacted) draft blob key, one per round. */
  version: string;
  round: number;
  openedAt: string;
  expiresAt: string;
  /** The execution's blob prefix (where the notes go). */
  runKey: string;
}

/** One decision as the audit log keeps it: who, when, what, about which version; never the notes. */
export interface ReviewAuditEntry {
  executionId: string;
  reviewer: string;
  decision: ReviewDecision | "expired";
  version: string;
  round: number;
  via: string;
  notesChars: number;
  decidedAt: string;
}

export interface ReviewDecisionInput {
  decision: string;
  /** Required for "changes" unless it brings facts: may name real people (redacted before any model sees them). */
  notes?: string;
  /**
   * Facts from the client, as the attorney took them ("we married in March 2019"): with
   * "changes" only. Redacted like a document, they become an interview source the next draft may cite.
   */
  facts?: string;
  reviewer: string;
  via: string;
}

/** Checks a decision before anything changes: a known decision, notes and facts that fit, a reviewer. */
export function checkReviewDecision(input: ReviewDecisionInput): { decision: ReviewDecision; notes: string; facts: string } {
  if (!(reviewDecisions as readonly string[]).includes(input.decision)) {
    throw new InvalidInputError(`decision: expected one of ${reviewDecisions.join(", ")} (got "${String(input.decision).slice(0, 40)}")`);
  }
  const notes = input.notes ?? "";
  const facts = input.facts ?? "";
  for (const [field, text] of [
    ["notes", notes],
    ["facts", facts],
  ] as const) {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > maxReviewNotesBytes) throw new InvalidInputError(`${field}: ${bytes} bytes, over the ${maxReviewNotesBytes}-byte limit`);
  }
  if (facts.trim() && input.decision !== "changes")
    throw new InvalidInputError('facts: facts from the client go with a "changes" decision (the next round cites them)');
  if (input.decision === "changes" && !notes.trim() && !facts.trim())
    throw new InvalidInputError('notes: a "changes" decision needs notes saying what to change (or facts from the client)');
  if (!input.reviewer.trim() || input.reviewer.length > 200) throw new InvalidInputError("reviewer: 1 to 200 characters");
  return { decision: input.decision as ReviewDecision, notes, facts };
}

/** Where the attorney's facts from the client are kept for a round: inside the account, beside the notes. */
export const reviewFactsKey = (runKey: string, round: number) => `${runKey}/review-facts-${round}.md`;

/** Where gates and the audit log are kept: the history database locally, DynamoDB in AWS. */
export interface ReviewStore {
  openGate(gate: ReviewGate): Promise<void>;
  gate(executionId: string): Promise<ReviewGate | undefined>;
  /** Uses the token: true for the one caller that closed it, false when it was already used. */
  closeGate(executionId: string, token: string): Promise<boolean>;
  addAudit(entry: ReviewAuditEntry): Promise<void>;
  audit(executionId: string): Promise<ReviewAuditEntry[]>;
}
