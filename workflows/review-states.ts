/**
 * The attorney's gate after Reinject, as ASL. `AttorneyReview` waits on a task token (the
 * callback pattern: `lambda:invoke.waitForTaskToken`); the request-review function keeps the
 * token with the execution (DynamoDB) and the review API answers it with SendTaskSuccess.
 * The decision carries ids only (the notes are a blob key), because a task's output is history.
 *
 * "changes" makes the attorney one more judge: AttorneyNotes redacts the notes into a judge
 * report (and facts from the client, when given, into an interview source that IndexInterview
 * adds to a new index for the rounds after), GuardrailsRewrite rewrites with it, the judges and Score run again, Reinject writes
 * the new draft and the loop comes back here: each round is its own set of states in the
 * history. "approve" ends the execution with the reviewer and the time.
 */

import { InvalidInputError, ReviewExpiredError } from "../core/errors.ts";
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
  return {
    [stateNames.attorneyReview]: {
      ...lambda(lambdaFunctions.requestReview, {
        "taskToken.$": "$$.Task.Token",
        "executionName.$": "$$.Execution.Name",
        "caseId.$": "$.caseId",
        "runKey.$": "$.runKey",
        "version.$": "$.draft.outputKey",
        "round.$": "$.rewrites.n",
        // The local engine resumes from this state (the Lambda reads only the ids above).
        "state.$": "$",
      }),
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      Comment: "Waits for the attorney: approve, or changes with notes (a task token, kept with the execution)",
      TimeoutSeconds: expirySeconds,
      ResultPath: "$.review",
      // A review that never comes: the execution ends, every output kept.
      Catch: [{ ErrorEquals: ["States.Timeout"], ResultPath: "$.reviewTimeout", Next: stateNames.reviewExpired }],
      Next: stateNames.reviewDecision,
    },
    [stateNames.reviewDecision]: {
      Type: "Choice",
      Choices: [
        { Variable: "$.review.decision", StringEquals: "approve", Next: stateNames.approved },
        { Variable: "$.review.decision", StringEquals: "changes", Next: stateNames.reviewNotes },
      ],
      Default: stateNames.invalidDecision,
    },
    [stateNames.reviewNotes]: {
      ...lambda(lambdaFunctions.reviewNotes, { "state.$": "$" }),
      Comment:
        "Redacts the attorney's notes (they name real people) into a judge report for the rewrite, and facts from the client into an interview source",
      ResultSelector: { "reports.$": "$.Payload.reports", "redactedKey.$": "$.Payload.redactedKey", "interview.$": "$.Payload.interview" },
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
    [stateNames.approved]: {
      Type: "Pass",
      Comment: "The declaration as approved: Reinject's output, with who approved it and when",
      InputPath: "$.review",
      ResultPath: "$.reinject.output.approval",
      OutputPath: "$.reinject.output",
      Next: stateNames.done,
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
