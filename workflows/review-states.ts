/**
 * The attorney's gate after Reinject, as ASL. `AttorneyReview` waits on a task token (the
 * callback pattern: `lambda:invoke.waitForTaskToken`); the request-review function keeps the
 * token with the execution (DynamoDB) and the review API answers it with SendTaskSuccess,
 * carrying the id of the decision record it wrote, nothing else.
 *
 * The workflow trusts no callback payload: CheckDecision reads the record by id and holds it
 * to this execution, this round and this draft (anything else fails with ReviewRejected), and
 * appends every outcome, expiry included, to the hash-chained audit log. A SendTaskFailure sent
 * with the token (or any other error ending the wait) is audited too, by AuditReviewFailure
 * (the error's name and sizes, never its cause, which is the sender's text), and ends the
 * execution as ReviewRejected. So a leaked task token can end a review only with a decision
 * the review API recorded, or with a failure that is in the audit log. OpenReview notes when each
 * round's window opens, so a SendTaskFailure that names its error States.Timeout before the
 * window's end is told from the real expiry (AuditExpiry audits it as a task failure and fails
 * ReviewRejected).
 *
 * "changes" makes the attorney one more judge: AttorneyNotes redacts the notes into a judge
 * report and the round's scope (the paragraphs the notes name, never a locked one), and facts
 * from the client, when given, into an interview source that IndexInterview adds to a new index
 * for the rounds after; GuardrailsRewrite rewrites the scoped paragraphs, the judges and Score
 * run again, Reinject writes the new draft and the loop comes back here: each round is its own set of states in the
 * history. "approve" runs RecordApproval (the filing copy without review banners, and
 * approval.json with the hash of each filing rendition) and ends the execution.
 */

import { InvalidInputError, ReviewExpiredError, ReviewRejectedError } from "../core/errors.ts";
import { type LambdaFunction, lambdaFunctions, stateNames } from "../core/state-names.ts";
import type { AslState } from "./asl.ts";

/** Review rounds the execution's TimeoutSeconds leaves room for ("changes" decisions, then approve). */
export const maxReviewRounds = 5;

/** `rewriteEntry`: the state a "changes" round starts the rewrite at (the rewrite's Admit). */
export function reviewStates(
  lambda: (fn: LambdaFunction, payload: Record<string, unknown>) => AslState,
  expirySeconds: number,
  rewriteEntry: string,
): Record<string, AslState> {
  // What the gate was opened for: the decision must answer exactly this.
  const gateOf = {
    "executionName.$": "$$.Execution.Name",
    "round.$": "$.rewrites.n",
    "version.$": "$.draft.outputKey",
  };
  return {
    [stateNames.openReview]: {
      Type: "Pass",
      Comment: "When this round's review window opens: AuditExpiry tells the window's end from a States.Timeout sent to the gate",
      Parameters: { "at.$": "$$.State.EnteredTime" },
      ResultPath: "$.reviewOpened",
      Next: stateNames.attorneyReview,
    },
    [stateNames.attorneyReview]: {
      ...lambda(lambdaFunctions.requestReview, {
        "taskToken.$": "$$.Task.Token",
        "executionName.$": "$$.Execution.Name",
        "caseId.$": "$.caseId",
        "runKey.$": "$.runKey",
        "version.$": "$.draft.outputKey",
        "round.$": "$.rewrites.n",
        "gateStatus.$": "$.reinject.output.review.status",
        // The local engine resumes from this state (the Lambda reads only the ids above).
        "state.$": "$",
      }),
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      Comment:
        "Waits for the attorney: the callback names the decision record the review API wrote (a task token, kept with the execution)",
      TimeoutSeconds: expirySeconds,
      ResultPath: "$.review",
      Catch: [
        // A review that never comes: audited, then the execution ends, every output kept.
        { ErrorEquals: ["States.Timeout"], ResultPath: "$.reviewTimeout", Next: stateNames.auditExpiry },
        // Any other end of the wait (a SendTaskFailure with a leaked token, the gate failing to
        // open): audited, then ReviewRejected, never the sender's error as the execution's.
        { ErrorEquals: ["States.ALL"], ResultPath: "$.reviewFailure", Next: stateNames.auditReviewFailure },
      ],
      Next: stateNames.checkDecision,
    },
    [stateNames.checkDecision]: {
      ...lambda(lambdaFunctions.checkDecision, { ...gateOf, "callback.$": "$.review" }),
      Comment:
        "Reads the decision record the callback names and holds it to this execution, round and draft; audits it (ReviewRejected otherwise)",
      // The callback's payload is replaced by the verified record: nothing of it goes further.
      ResultSelector: { "record.$": "$.Payload" },
      ResultPath: "$.review",
      Next: stateNames.reviewChecked,
    },
    [stateNames.reviewChecked]: {
      Type: "Pass",
      Comment: "The verified decision record is the review from here on",
      InputPath: "$.review.record",
      ResultPath: "$.review",
      Next: stateNames.reviewDecision,
    },
    [stateNames.reviewDecision]: {
      Type: "Choice",
      Choices: [
        { Variable: "$.review.decision", StringEquals: "approve", Next: stateNames.recordApproval },
        { Variable: "$.review.decision", StringEquals: "changes", Next: stateNames.reviewNotes },
      ],
      Default: stateNames.invalidDecision,
    },
    [stateNames.reviewNotes]: {
      ...lambda(lambdaFunctions.reviewNotes, { "state.$": "$" }),
      Comment:
        "Redacts the attorney's notes (they name real people) into a judge report for the rewrite, scopes the round (the paragraphs the notes name, less those locked), and redacts facts from the client into an interview source",
      // The paragraphs this round rewrites and those locked, by filing number: in the history, as numbers only.
      ResultSelector: {
        "reports.$": "$.Payload.reports",
        "paragraphs.$": "$.Payload.paragraphs",
        "redactedKey.$": "$.Payload.redactedKey",
        "interview.$": "$.Payload.interview",
      },
      ResultPath: "$.attorney",
      Next: stateNames.interviewFacts,
    },
    [stateNames.interviewFacts]: {
      Type: "Choice",
      Comment: "Facts from the client this round: index them before the rewrite, so it may cite them",
      Choices: [{ Variable: "$.attorney.interview", BooleanEquals: true, Next: stateNames.indexInterview }],
      Default: stateNames.attorneyAsJudge,
    },
    [stateNames.indexInterview]: {
      ...lambda(lambdaFunctions.index, { "state.$": "$", "redactedKey.$": "$.attorney.redactedKey" }),
      Comment: "Indexes the case's documents with the client's facts (an interview source, not filed) for this round and the next",
      ResultSelector: { "indexKey.$": "$.Payload.indexKey", "chunkCount.$": "$.Payload.chunkCount" },
      ResultPath: "$.index",
      Next: stateNames.attorneyAsJudge,
    },
    [stateNames.attorneyAsJudge]: {
      Type: "Pass",
      Comment: "The rewrite reads its reasons from $.judges: this round, the attorney's",
      InputPath: "$.attorney.reports",
      ResultPath: "$.judges",
      Next: rewriteEntry,
    },
    [stateNames.recordApproval]: {
      ...lambda(lambdaFunctions.recordApproval, { "state.$": "$" }),
      Comment:
        "The filing copy without review banners, and approval.json: who, when, which round and draft, the gate's verdict, each rendition's SHA-256",
      ResultSelector: { "approval.$": "$.Payload" },
      ResultPath: "$.approved",
      Next: stateNames.approved,
    },
    [stateNames.approved]: {
      Type: "Pass",
      Comment: "The declaration as approved: Reinject's output, with the approval record",
      InputPath: "$.approved.approval",
      ResultPath: "$.reinject.output.approval",
      OutputPath: "$.reinject.output",
      Next: stateNames.done,
    },
    [stateNames.auditExpiry]: {
      ...lambda(lambdaFunctions.checkDecision, {
        ...gateOf,
        expired: true,
        expirySeconds,
        // The whole state, not $.reviewOpened.at: a local execution waiting from before OpenReview has none.
        "state.$": "$",
      }),
      Comment:
        "The review window closed: the expiry goes into the audit log like any decision (a States.Timeout sent before the window's end: audited, ReviewRejected)",
      ResultPath: null,
      Next: stateNames.reviewExpired,
    },
    [stateNames.auditReviewFailure]: {
      ...lambda(lambdaFunctions.checkDecision, { ...gateOf, "failure.$": "$.reviewFailure" }),
      Comment: "The wait ended with an error, not a decision: audited (the error's name and sizes, never its cause), then ReviewRejected",
      ResultPath: null,
      Next: stateNames.reviewRejected,
    },
    [stateNames.reviewRejected]: {
      Type: "Fail",
      Comment: "The review ended with a failure sent to the gate instead of a decision the review API recorded; outputs kept",
      Error: ReviewRejectedError.errorName,
      Cause: "the review gate ended with a task failure instead of a decision the review API recorded (audited)",
    },
    [stateNames.reviewExpired]: {
      Type: "Fail",
      Comment: "No decision within the review window; the drafts and renditions stay where Reinject wrote them",
      Error: ReviewExpiredError.errorName,
      Cause: "no attorney decision arrived within the review window",
    },
    [stateNames.invalidDecision]: {
      Type: "Fail",
      Error: InvalidInputError.errorName,
      Cause: "the review decision is neither approve nor changes",
    },
  };
}
