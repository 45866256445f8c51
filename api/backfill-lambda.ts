/**
 * Scheduled backfill (EventBridge Scheduler / sst.aws.Cron → this function): every case in
 * the bucket without a running or successful execution at the current pipeline version is
 * started, while keeping at most AFFIANT_BACKFILL_MAX_RUNNING executions in flight. Safe to
 * run on any schedule and after any crash: execution names make each start idempotent.
 */

import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { type BlobStore, openBlobStore } from "../core/blob-store.ts";
import { config } from "../core/config.ts";
import { CaseIncompleteError, describeError, InvalidInputError, NotFoundError } from "../core/errors.ts";
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
}

export interface ScheduledBackfillOptions {
  sfn: SFNClient;
  stateMachineArn: string;
  store: BlobStore;
  maxRunning: number;
}

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
  const result: ScheduledBackfillResult = { cases: caseIds.length, started: 0, alreadyDone: 0, notReady: 0, deferred: 0, running };
  for (const caseId of caseIds) {
    if (running >= options.maxRunning) {
      result.deferred++;
      continue;
    }
    try {
      const start = await executions.startExecution(caseId);
      if (start.created) {
        result.started++;
        running++;
      } else result.alreadyDone++;
    } catch (err) {
      const { name } = describeError(err);
      // An upload still in progress is for a later run; anything else is a real failure.
      if (name === CaseIncompleteError.errorName || name === NotFoundError.errorName) result.notReady++;
      else throw err;
    }
  }
  result.running = running;
  log("info", "backfill.scheduled", { ...result });
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
