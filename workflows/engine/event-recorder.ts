/**
 * The execution's history: aws-local-stepfunctions' event log, mirrored into SQLite (what
 * `affiant runs`, the viewer and the `/sfn` endpoint read) and onto the engine's listeners
 * (the CLI's progress lines).
 */
import type { HistoryDb } from "./history-db.ts";

export type EventLog = { type: string; timestamp: number };

export type StateEventStatus = "ENTERED" | "SUCCEEDED" | "FAILED" | "CAUGHT" | "RETRIED";

export interface StateEvent {
  state: string;
  status: StateEventStatus;
  error?: string;
  at: number;
}

/** Records every event; resolves with the execution's failure, if it failed. */
/** `skip`: events that are no part of the execution's history (the engine stopping at, or resuming from, a review gate). */
export async function recordEvents(
  db: HistoryDb,
  executionId: string,
  events: AsyncGenerator<EventLog>,
  onState: (event: StateEvent) => void,
  skip: (event: EventLog & { state?: { name: string } }) => boolean = () => false,
): Promise<{ Error: string; Cause: string } | undefined> {
  let failure: { Error: string; Cause: string } | undefined;
  for await (const event of events) {
    const e = event as EventLog & {
      state?: { name: string };
      Error?: string;
      Cause?: unknown;
      retry?: { attempt: number };
      catch?: unknown;
    };
    if (skip(e)) continue;
    const stateName = e.state?.name ?? null;
    const detail: Record<string, unknown> = {};
    if (e.Error) detail.error = e.Error;
    if (e.Cause !== undefined) detail.cause = typeof e.Cause === "string" ? e.Cause : JSON.stringify(e.Cause);
    if (e.retry) detail.attempt = e.retry.attempt;
    if (e.catch) detail.catcher = (e.catch as { catcher?: unknown }).catcher;
    if (e.type === "StateEntered" || e.type === "StateExited") detail.stateType = (e.state as { type?: string } | undefined)?.type;
    db.addEvent(executionId, { type: e.type, stateName, timestamp: e.timestamp, detail });
    if (e.type === "ExecutionFailed") failure = { Error: String(e.Error), Cause: String(detail.cause ?? "") };
    const status = (
      { StateEntered: "ENTERED", StateExited: "SUCCEEDED", StateFailed: "FAILED", StateCaught: "CAUGHT", StateRetried: "RETRIED" } as const
    )[e.type as string];
    if (stateName && status) onState({ state: stateName, status, error: e.Error, at: e.timestamp });
  }
  return failure;
}
