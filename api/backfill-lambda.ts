/**
 * Scheduled backfill (EventBridge Scheduler / sst.aws.Cron → this function): every case in
 * the bucket without a running or successful execution at the current pipeline version is
 * started, while keeping at most AFFIANT_BACKFILL_MAX_RUNNING executions in flight. Safe to
 * run on any schedule and after any crash: execution names make each start idempotent.
 * A case whose last attempt failed on its input (an encrypted PDF) is left for a person to
 * fix; one out of attempts is counted; neither stops the cases after it.
 */

import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { type BlobStore, openBlobStore } from "../core/blob-store.ts";
import { config } from "../core/config.ts";
import {
  AttemptsExhaustedError,
  CaseIncompleteError,
  DocumentTooLargeError,
  DocumentUnreadableError,
  describeError,
  InvalidInputError,
  NotFoundError,
} from "../core/errors.ts";
import { log } from "../core/log.ts";
import { withTelemetry } from "../core/telemetry.ts";
import { AwsExecutions } from "./aws-executions.ts";

export interface ScheduledBackfillResult {
  cases: number;
  started: number;
  alreadyDone: number;
  notReady: number;
  deferred: number;
  running: number;
  /** Cases whose last attempt failed on their input (an encrypted PDF…): not restarted until someone starts them. */
  failedOnInput: number;
  /** Cases that used every attempt at this pipeline version. */
  exhausted: number;
  /** Cases whose start failed for another reason (their error names are logged); the later cases still ran. */
  errors: number;
}

export interface ScheduledBackfillOptions {
  sfn: SFNClient;
  stateMachineArn: string;
  store: BlobStore;
  maxRunning: number;
}

/**
 * Errors that are the case's own: running it again unchanged fails the same way, so the
 * nightly run leaves it (a person fixes the case and starts it through the API).
 */
const inputFailures: ReadonlySet<string> = new Set([
  InvalidInputError.errorName,
  DocumentUnreadableError.errorName,
  DocumentTooLargeError.errorName,
  CaseIncompleteError.errorName,
]);

export async function scheduledBackfill(options: ScheduledBackfillOptions): Promise<ScheduledBackfillResult> {
  const { sfn, stateMachineArn, store } = options;
  const caseIds = (await store.list("cases"))
    .map((key) => /^cases\/([^/]+)\/case\.json$/.exec(key)?.[1])
    .filter((id): id is string => Boolean(id))
    .sort();
  let running = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", maxResults: 1000, nextToken }));
    running += page.executions?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken);

  const executions = new AwsExecutions({ sfn, stateMachineArn, store });
  const result: ScheduledBackfillResult = {
    cases: caseIds.length,
    started: 0,
    alreadyDone: 0,
    notReady: 0,
    deferred: 0,
    running,
    failedOnInput: 0,
    exhausted: 0,
    errors: 0,
  };
  let firstError: unknown;
  for (const caseId of caseIds) {
    if (running >= options.maxRunning) {
      result.deferred++;
      continue;
    }
    try {
      const latest = await executions.latestAttempt(caseId);
      if (latest?.status === "FAILED" && latest.error && inputFailures.has(latest.error)) {
        result.failedOnInput++;
        log("info", "backfill.case_left", { caseId, execution: latest.executionId, error: latest.error });
        continue;
      }
      const start = await executions.startExecution(caseId);
      if (start.created) {
        result.started++;
        running++;
      } else result.alreadyDone++;
    } catch (err) {
      const { name } = describeError(err);
      // An upload still in progress is for a later run; a case out of attempts is recorded; anything else is counted and the next case still runs.
      if (name === CaseIncompleteError.errorName || name === NotFoundError.errorName) result.notReady++;
      else if (name === AttemptsExhaustedError.errorName) {
        result.exhausted++;
        log("warn", "backfill.case_exhausted", { caseId });
      } else {
        result.errors++;
        firstError ??= err;
        log("error", "backfill.case_error", { caseId, error: name });
      }
    }
  }
  result.running = running;
  log("info", "backfill.scheduled", { ...result });
  // Every case had its turn; a failure no case explains still fails the invocation (its alarm), after the others.
  if (firstError) throw firstError;
  return result;
}

/** The scheduled (Cron) entry, wrapped like every other handler: ids, timings and error names only. */
const scheduled = withTelemetry("Backfill", (_event: unknown) => runScheduled());
export const handler = (event: unknown = {}, context?: unknown): Promise<ScheduledBackfillResult> => scheduled(event, context);

async function runScheduled(): Promise<ScheduledBackfillResult> {
  const env = config();
  const stateMachineArn = env.AFFIANT_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new InvalidInputError("AFFIANT_STATE_MACHINE_ARN is not set");
  const maxRunning = env.AFFIANT_BACKFILL_MAX_RUNNING ?? 4;
  const endpoint = env.AFFIANT_SFN_ENDPOINT;
  const sfn = new SFNClient(endpoint ? { endpoint } : {});
  return scheduledBackfill({ sfn, stateMachineArn, store: await openBlobStore(), maxRunning });
}
