/**
 * A Step Functions execution history as the per-state report the API and viewer show (the
 * local engine writes the same shape from its own events): which state ran when, how it
 * ended, and for the GPU stages what the stage report says (model, tokens, timings, cost).
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { StageReport } from "../core/stages/report.ts";
import type { StateSummary } from "../workflows/engine/summary.ts";

/** The events that end a Task state in failure: its resource's, or its activity's. */
const failureTypes = new Set(["TaskFailed", "TaskTimedOut", "ActivityFailed", "ActivityTimedOut", "ActivityScheduleFailed"]);

/**
 * Step Functions history → the per-state summary: one entry per state run, in order.
 * Task failures are tied to their state through previousEventId, which is how parallel
 * branches' events are told apart.
 */
export function statesFromHistory(events: HistoryEvent[], stages: StageReport[]): StateSummary[] {
  const byId = new Map(events.map((e) => [e.id!, e]));
  const entryOf = new Map<number, StateSummary>();
  const states: StateSummary[] = [];
  const open = new Map<string, StateSummary>();
  const owner = (e: HistoryEvent): StateSummary | undefined => {
    let cur: HistoryEvent | undefined = e;
    for (let hops = 0; cur && hops < 10; hops++) {
      const s = entryOf.get(cur.id!);
      if (s) return s;
      cur = cur.previousEventId ? byId.get(cur.previousEventId) : undefined;
    }
    return undefined;
  };
  for (const e of events) {
    const at = e.timestamp!.toISOString();
    if (e.type?.endsWith("StateEntered") && e.stateEnteredEventDetails?.name) {
      const s = emptyState(e.stateEnteredEventDetails.name, at);
      states.push(s);
      open.set(s.name, s);
      entryOf.set(e.id!, s);
    } else if (e.type?.endsWith("StateExited") && e.stateExitedEventDetails?.name) {
      const s = open.get(e.stateExitedEventDetails.name);
      if (s && s.status === "RUNNING") {
        s.status = "SUCCEEDED";
        s.endedAt = at;
      }
    } else if (failureTypes.has(e.type ?? "")) {
      // A Task state's failure, or its activity's (a GPU stage's generate state), or a timeout of either.
      const details =
        e.taskFailedEventDetails ??
        e.taskTimedOutEventDetails ??
        e.activityFailedEventDetails ??
        e.activityTimedOutEventDetails ??
        e.activityScheduleFailedEventDetails;
      const s = owner(e);
      if (s) {
        s.status = "FAILED";
        s.endedAt = at;
        if (details?.error) s.error = details.error;
        if (details?.cause) s.cause = details.cause;
      }
    } else {
      const s = owner(e);
      if (s) entryOf.set(e.id!, s);
    }
  }
  for (const report of stages) {
    const name = report.fallbackReason ? `${report.stage}Fallback` : report.stage;
    const s = [...states].reverse().find((x) => x.name === name && x.status === "SUCCEEDED");
    if (!s) continue;
    Object.assign(s, {
      model: report.model,
      provider: report.provider,
      fallbackReason: report.fallbackReason,
      tokensIn: report.tokensIn,
      tokensOut: report.tokensOut,
      loadMs: report.loadMs,
      promptMs: report.promptMs,
      genMs: report.genMs,
      costUsd: report.costUsd,
    });
  }
  return states;
}

function emptyState(name: string, startedAt: string): StateSummary {
  return {
    name,
    status: "RUNNING",
    startedAt,
    endedAt: null,
    model: null,
    provider: null,
    fallbackReason: null,
    tokensIn: null,
    tokensOut: null,
    loadMs: null,
    promptMs: null,
    genMs: null,
    costUsd: null,
  };
}
