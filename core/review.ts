/**
 * The attorney's review gate, what every side of it shares: the decisions, their limits, the
 * gate (the task token kept with the execution) and the audit log. The gate lives in the
 * history database locally and in DynamoDB in AWS (`AFFIANT_REVIEW_TABLE`); the token is
 * never logged and never enters the execution's history (only its state's ids and keys do).
 */
import { privateKeyOf } from "./case-file.ts";
import { config } from "./config.ts";
import { InvalidInputError, ReviewRoundMismatchError } from "./errors.ts";
import { maxOverrideReasonChars, overNotesLimit } from "./review-limits.ts";
import type { ParagraphNote } from "./review-paragraphs.ts";

export const reviewDecisions = ["approve", "changes"] as const;
export type ReviewDecision = (typeof reviewDecisions)[number];
/** Default review window: 14 days. */
export const defaultReviewExpirySeconds = 14 * 24 * 3600;

/** `AFFIANT_REVIEW_EXPIRY_SECONDS`, else 14 days. */
export function reviewExpirySeconds(): number {
  return config().AFFIANT_REVIEW_EXPIRY_SECONDS ?? defaultReviewExpirySeconds;
}

/**
 * A review round's own run key, `<runKey>/round-<n>`: its renditions hold real values, so they
 * are written under its real-value prefix (`privateKeyOf`: `private/…/round-<n>`), and kept
 * locally under `outputs/<execution>/round-<n>/`.
 */
export function reviewRoundKey(runKey: string, round: number): string {
  return `${runKey}/round-${round}`;
}

/**
 * Where the attorney's notes of one round are kept as written (the notes record,
 * core/review-paragraphs.ts): real names, so under the run's real-value prefix, never runs/,
 * and under this execution's own prefix only. AttorneyNotes reads them there and writes the
 * redacted copy under runs/.
 */
export function reviewNotesKey(runKey: string, round: number): string {
  return `${privateKeyOf(runKey)}/review-notes-${round}.json`;
}

/** The gate's verdict on the draft under review (Reinject's `review.status`). */
export type GateStatus = "passed" | "failing-review";

/**
 * A decision as the review API records it, before it answers the gate: the only thing that
 * may resume AttorneyReview. The callback carries its id alone; CheckDecision reads the record
 * by id and holds it to the execution, round and draft the gate was opened for.
 */
export interface DecisionRecord {
  decisionId: string;
  executionId: string;
  /** The review round answered (the gate's round). */
  round: number;
  /** The draft decided on (its blob key). */
  version: string;
  decision: ReviewDecision;
  /** The authenticated caller; null for an unattended approval (`run --approve`). */
  reviewer: string | null;
  /** True for `run --approve` / `serve --approve`: no attorney looked at the draft. */
  unattended: boolean;
  /** api, viewer, cli, run --approve… */
  via: string;
  decidedAt: string;
  gateStatus: GateStatus;
  /** Why a draft that failed the quality gate is approved anyway (required then). */
  overrideReason?: string;
  /** Blob key of the attorney's notes record (unredacted, inside the account); "changes" only. */
  notesKey?: string;
  notesChars: number;
  /** The paragraphs (filing numbers of `version`) the notes aim at; absent: notes on the whole draft only. */
  paragraphs?: number[];
  /** The paragraphs (filing numbers of `version`) locked as verified once this decision holds, earlier locks included. */
  locked?: number[];
  /**
   * Blob key of the facts from the client the attorney wrote (unredacted, under the run's
   * real-value prefix); "changes" only. AttorneyNotes redacts them into an interview document
   * the next round cites.
   */
  factsKey?: string;
  factsChars?: number;
}

/** What SendTaskSuccess carries back to AttorneyReview: the id of a decision record, nothing else. */
export interface ReviewCallback {
  decisionId: string;
}

/** What the workflow keeps at `$.review` once CheckDecision verified the record: the record itself. */
export type ReviewOutput = DecisionRecord;

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
  /** The quality gate's verdict on the draft under review. */
  gateStatus: GateStatus;
}

/** One decision as the audit log keeps it: who, when, what, about which version; never the notes. */
export interface ReviewAuditEntry {
  executionId: string;
  reviewer: string;
  decision: ReviewDecision | "expired" | "rejected";
  version: string;
  round: number;
  via: string;
  notesChars: number;
  decidedAt: string;
  /** The decision record's id (absent for an expiry or a rejected callback). */
  decisionId?: string;
  /** True when a draft that failed the quality gate was approved with an override reason. */
  override?: boolean;
  /** A wait that ended with an error instead of a decision (e.g. a SendTaskFailure): what it was, never its cause's words. */
  failure?: ReviewFailureAudit;
}

/**
 * An error that ended AttorneyReview, as the audit log keeps it. Both fields of a
 * SendTaskFailure are the sender's own text: the error's name is kept only when it is a plain
 * error name (letters, digits and `._:-`, as `Lambda.Unknown`), and of the cause only its size.
 */
export interface ReviewFailureAudit {
  /** The error's name; null when it was empty or not a plain name. */
  error: string | null;
  errorChars: number;
  causeChars: number;
}

/** An audit entry as the chain holds it: its place, the previous entry's hash and its own. */
export interface ChainedAuditEntry extends ReviewAuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface ReviewDecisionInput {
  decision: string;
  /** The review round answered: another than the open one is refused (409). */
  round?: number;
  /** Notes on the whole draft; "changes" needs these, paragraph notes or facts. May name real people (redacted before any model sees them). */
  notes?: string;
  /** Notes aimed at paragraphs by their number in the filing version: a "changes" round rewrites only those. */
  paragraphNotes?: ParagraphNote[];
  /** Paragraphs (filing numbers) to lock as verified: never rewritten in this round or any later one. */
  lock?: number[];
  /**
   * Facts from the client, as the attorney took them ("we married in March 2019"): with
   * "changes" only. Redacted like a document, they become an interview source the next draft may cite.
   */
  facts?: string;
  /** Required to approve a draft that failed the quality gate. */
  overrideReason?: string;
  /** The authenticated caller (the API's token holder or IAM principal, the CLI's OS user). */
  reviewer: string;
  via: string;
}

/** The open gate a decision is checked against. */
export interface OpenRound {
  executionId: string;
  round: number;
  gateStatus: GateStatus;
}

/**
 * Checks a decision before anything changes: a known decision, the open round, notes and
 * facts that fit, an override reason where the draft failed the quality gate, a reviewer.
 */
export function checkReviewDecision(
  input: ReviewDecisionInput,
  open: OpenRound,
): { decision: ReviewDecision; notes: string; facts: string; overrideReason?: string } {
  if (!(reviewDecisions as readonly string[]).includes(input.decision)) {
    throw new InvalidInputError(`decision: expected one of ${reviewDecisions.join(", ")} (got "${String(input.decision).slice(0, 40)}")`);
  }
  if (input.round === undefined || !Number.isInteger(input.round) || input.round < 0)
    throw new InvalidInputError(
      `round: the review round answered, a whole number (execution ${open.executionId} waits in round ${open.round})`,
    );
  if (input.round !== open.round)
    throw new ReviewRoundMismatchError(
      `execution ${open.executionId} waits for a decision on round ${open.round}; this decision answers round ${input.round}`,
    );
  const notes = input.notes ?? "";
  const aimed = input.paragraphNotes ?? [];
  const facts = input.facts ?? "";
  const noteBytes = Buffer.byteLength(notes, "utf8") + aimed.reduce((n, p) => n + Buffer.byteLength(p.text, "utf8"), 0);
  for (const [field, bytes] of [
    ["notes", noteBytes],
    ["facts", Buffer.byteLength(facts, "utf8")],
  ] as const) {
    const over = overNotesLimit(field, bytes);
    if (over) throw new InvalidInputError(over);
  }
  if (facts.trim() && input.decision !== "changes")
    throw new InvalidInputError('facts: facts from the client go with a "changes" decision (the next round cites them)');
  if (input.decision === "changes" && !notes.trim() && !aimed.some((p) => p.text.trim()) && !facts.trim())
    throw new InvalidInputError('notes: a "changes" decision needs notes saying what to change (or facts from the client)');
  const overrideReason = input.overrideReason?.trim() || undefined;
  if (overrideReason && overrideReason.length > maxOverrideReasonChars)
    throw new InvalidInputError(`overrideReason: ${overrideReason.length} characters, over the ${maxOverrideReasonChars}-character limit`);
  if (input.decision === "approve" && open.gateStatus !== "passed" && !overrideReason)
    throw new InvalidInputError(
      `overrideReason: round ${open.round}'s draft failed the quality gate; approving it needs an overrideReason saying why`,
    );
  if (!input.reviewer.trim() || input.reviewer.length > 200) throw new InvalidInputError("reviewer: 1 to 200 characters");
  return { decision: input.decision as ReviewDecision, notes, facts, ...(overrideReason ? { overrideReason } : {}) };
}

/**
 * Where the attorney's facts from the client are kept for a round as written: real values, so
 * under the run's real-value prefix beside the notes, never runs/. AttorneyNotes reads them
 * there and writes the redacted interview document under runs/.
 */
export function reviewFactsKey(runKey: string, round: number): string {
  return `${privateKeyOf(runKey)}/review-facts-${round}.md`;
}

/** Where gates, decision records and the audit log are kept: the history database locally, DynamoDB in AWS. */
export interface ReviewStore {
  openGate(gate: ReviewGate): Promise<void>;
  gate(executionId: string): Promise<ReviewGate | undefined>;
  /** Uses the token: true for the one caller that closed it, false when it was already used. */
  closeGate(executionId: string, token: string): Promise<boolean>;
  /** Records a decision (never overwrites one). */
  putDecision(record: DecisionRecord): Promise<void>;
  /** A decision record of this execution, by id. */
  decision(executionId: string, decisionId: string): Promise<DecisionRecord | undefined>;
  /** Appends to the execution's hash-chained audit log. */
  addAudit(entry: ReviewAuditEntry): Promise<ChainedAuditEntry>;
  audit(executionId: string): Promise<ChainedAuditEntry[]>;
}
