/**
 * AttorneyReview's task (Lambda, `.waitForTaskToken`): keeps the task token with the
 * execution (the review table, DynamoDB), so the review API can answer it with
 * SendTaskSuccess. The token is written there only, never to a log; the local engine runs
 * this state itself and keeps the token in the history database (workflows/engine/review-gates.ts).
 */
import { log } from "../core/log.ts";
import { type GateStatus, type ReviewStore, reviewExpirySeconds } from "../core/review.ts";
import { openReviewStore } from "../core/review-store.ts";
import { withTelemetry } from "../core/telemetry.ts";

export interface RequestReviewEvent {
  taskToken: string;
  executionName: string;
  caseId: string;
  runKey: string;
  version: string;
  round: number;
  /** Reinject's verdict on the draft under review: approving a failing one needs an override reason. */
  gateStatus: string;
}

export async function requestReview(event: RequestReviewEvent, store: ReviewStore): Promise<{ stored: true }> {
  const openedAt = new Date();
  await store.openGate({
    executionId: event.executionName,
    token: event.taskToken,
    version: event.version,
    round: event.round,
    runKey: event.runKey,
    gateStatus: (event.gateStatus === "passed" ? "passed" : "failing-review") as GateStatus,
    openedAt: openedAt.toISOString(),
    expiresAt: new Date(openedAt.getTime() + reviewExpirySeconds() * 1000).toISOString(),
  });
  log("info", "review.requested", { execution: event.executionName, round: event.round });
  return { stored: true };
}

export const handler = withTelemetry("AttorneyReview", async (event: RequestReviewEvent) => requestReview(event, openReviewStore()));
