/**
 * CheckDecision (Lambda), the state right after AttorneyReview: what resumed the gate is
 * trusted only as far as the review API's own record of a decision. The callback's payload
 * is read for one field, the decision record's id; the record is read from the review store
 * and must belong to this execution, answer this round and name this draft. Anything else (a
 * payload of its own making sent with a leaked task token, an old round's decision replayed)
 * fails the round with Affiant.ReviewRejected. Every outcome, expiry included (AuditExpiry),
 * and an error that ended the wait (AuditReviewFailure: a SendTaskFailure sent with the token)
 * is appended to the execution's hash-chained audit log here, so no way of deciding escapes it.
 */
import { ReviewRejectedError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import type { DecisionRecord, ReviewFailureAudit, ReviewStore } from "../core/review.ts";
import { openReviewStore } from "../core/review-store.ts";
import { withTelemetry } from "../core/telemetry.ts";

export interface CheckDecisionEvent {
  executionName: string;
  /** The round the gate was opened for ($.rewrites.n) and the draft under review ($.draft.outputKey). */
  round: number;
  version: string;
  /** AttorneyReview's result: the callback's payload, as sent. */
  callback?: unknown;
  /** Set on the path from AttorneyReview's States.Timeout: audit the expiry, decide nothing. */
  expired?: boolean;
  /**
   * With `expired`: the window's length, and the state, holding when this round's window opened
   * (OpenReview's `$.reviewOpened.at`) and the Catch's `{Error, Cause}` (`$.reviewTimeout`). A
   * States.Timeout before the window's end was sent to the gate with its token (SendTaskFailure),
   * not raised by Step Functions: audited as a task failure, ReviewRejected.
   */
  expirySeconds?: number;
  state?: { reviewOpened?: { at?: unknown }; reviewTimeout?: { Error?: unknown; Cause?: unknown } };
  /** Set on the path from any other error of AttorneyReview (its Catch's `{Error, Cause}`): audit it, decide nothing. */
  failure?: { Error?: unknown; Cause?: unknown };
}

/** An error name as Step Functions and Affiant write them; anything else the sender chose is not kept. */
const plainErrorName = /^[A-Za-z][A-Za-z0-9_.:-]{0,79}$/;

/** Step Functions' clock and the Lambda's may differ a little: a timeout this close to the window's end is its end. */
const clockSkewMs = 5000;

/** True when the review window of this round had not yet closed: the timeout did not come from Step Functions. */
function windowStillOpen(event: CheckDecisionEvent): boolean {
  const at = event.state?.reviewOpened?.at;
  const opened = typeof at === "string" ? Date.parse(at) : Number.NaN;
  if (!Number.isFinite(opened) || !event.expirySeconds) return false;
  return Date.now() < opened + event.expirySeconds * 1000 - clockSkewMs;
}

/** What the audit log keeps of an error that ended the wait: a plain name, and sizes. */
export function failureAudit(failure: { Error?: unknown; Cause?: unknown }): ReviewFailureAudit {
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const error = text(failure.Error);
  return { error: plainErrorName.test(error) ? error : null, errorChars: error.length, causeChars: text(failure.Cause).length };
}

/** A decision id as the review API makes them (a UUID); nothing longer is looked up. */
const decisionIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The verified decision as the workflow keeps it ($.review, part of the execution's history):
 * the record without the override reason's text (the attorney's words may name people), only
 * that there is one; RecordApproval reads the text from the record.
 */
export type CheckedDecision = Omit<DecisionRecord, "overrideReason"> & { override: boolean };

export async function checkDecision(event: CheckDecisionEvent, store: ReviewStore): Promise<CheckedDecision | { audited: true }> {
  const base = { executionId: event.executionName, version: event.version, round: event.round, notesChars: 0 };
  // A failure sent to the gate's token: audited as a rejection. Never the cause (the sender's
  // words, perhaps client data): the error's name when plain, and sizes.
  const auditFailure = async (sent: Parameters<typeof failureAudit>[0]) => {
    const failure = failureAudit(sent);
    await store.addAudit({
      ...base,
      reviewer: "(unverified)",
      decision: "rejected",
      via: "task-failure",
      decidedAt: new Date().toISOString(),
      failure,
    });
    // The log gets sizes only: even a plain error name is the sender's choosing (the audit keeps it).
    log("warn", "review.failed", {
      execution: event.executionName,
      round: event.round,
      errorChars: failure.errorChars,
      causeChars: failure.causeChars,
    });
  };
  if (event.expired && windowStillOpen(event)) {
    await auditFailure(event.state?.reviewTimeout ?? { Error: "States.Timeout" });
    throw new ReviewRejectedError(
      `execution ${event.executionName}, round ${event.round}: a timeout arrived before the review window's end (sent to the gate, not the window closing)`,
      { state: "AuditExpiry" },
    );
  }
  if (event.expired) {
    await store.addAudit({ ...base, reviewer: "(none)", decision: "expired", via: "workflow", decidedAt: new Date().toISOString() });
    log("info", "review.expired", { execution: event.executionName, round: event.round });
    return { audited: true };
  }
  if (event.failure) {
    await auditFailure(event.failure);
    return { audited: true };
  }
  const reject = async (why: string, decisionId?: string): Promise<never> => {
    await store.addAudit({
      ...base,
      reviewer: "(unverified)",
      decision: "rejected",
      via: "callback",
      decidedAt: new Date().toISOString(),
      ...(decisionId ? { decisionId } : {}),
    });
    log("warn", "review.rejected", { execution: event.executionName, round: event.round, why });
    throw new ReviewRejectedError(`execution ${event.executionName}, round ${event.round}: ${why}`, { state: "CheckDecision" });
  };
  const callback = event.callback;
  const id =
    callback && typeof callback === "object" && !Array.isArray(callback) ? (callback as { decisionId?: unknown }).decisionId : undefined;
  if (typeof id !== "string" || !decisionIdPattern.test(id))
    return reject("the callback names no decision record (only the review API's decisions resume the gate)");
  const record = await store.decision(event.executionName, id);
  if (!record) return reject("the callback names no decision recorded for this execution", id);
  if (record.executionId !== event.executionName) return reject("the decision record is another execution's", id);
  if (record.round !== event.round) return reject(`the decision record answers round ${record.round}`, id);
  if (record.version !== event.version) return reject("the decision record names another draft", id);
  await store.addAudit({
    ...base,
    reviewer: record.reviewer ?? "(unattended)",
    decision: record.decision,
    via: record.via,
    notesChars: record.notesChars,
    decidedAt: record.decidedAt,
    decisionId: record.decisionId,
    ...(record.overrideReason ? { override: true } : {}),
  });
  log("info", "review.decided", { execution: event.executionName, decision: record.decision, via: record.via, round: event.round });
  const { overrideReason, ...checked } = record;
  return { ...checked, override: Boolean(overrideReason) };
}

export const handler = withTelemetry("CheckDecision", async (event: CheckDecisionEvent) => {
  const store = openReviewStore();
  try {
    return await checkDecision(event, store);
  } finally {
    // Locally a SQLite connection per invocation; DynamoDB's client has nothing to close.
    (store as { dispose?: () => void }).dispose?.();
  }
});
