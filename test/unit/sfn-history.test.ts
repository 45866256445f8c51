/**
 * A GPU stage's generate state is a Step Functions activity, so its history is Activity* events,
 * as AWS writes them. The local /sfn history writes them for the real definition, and the
 * AWS history reader (the API's and viewer's per-state report in AWS) reads an activity's
 * failure or timeout as its state's, as it reads a Lambda task's.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { statesFromHistory } from "../../api/history-states.ts";
import { collectResources, collectStateTypes, historyEvents } from "../../api/local-history-events.ts";
import { loadRegistry } from "../../core/registry.ts";
import { buildDefinition } from "../../workflows/definition.ts";
import type { EventRow, ExecutionRow } from "../../workflows/engine/history-db.ts";
import { makeTestHome } from "../helpers.ts";

test("a generate state's history is ActivityScheduled/Started then ActivityTimedOut; read back, the state FAILED with its error, the Lambda states beside it as they ran", () => {
  const { env } = makeTestHome();
  const definition = buildDefinition({ registry: loadRegistry(env.AFFIANT_REGISTRY) });
  const types = collectStateTypes(definition.States);
  const resources = new Map(collectResources(definition.States));
  const t = (s: number) => new Date(Date.UTC(2026, 11, 2, 12, 0, s)).toISOString();
  let seq = 0;
  const ev = (type: string, stateName: string | null, s: number, detail: Record<string, unknown> = {}): EventRow => ({
    seq: ++seq,
    type,
    stateName,
    timestamp: t(s),
    detail,
  });
  const events: EventRow[] = [
    ev("ExecutionStarted", null, 0),
    ev("StateEntered", "ExtractFactsAcquire", 1),
    ev("StateExited", "ExtractFactsAcquire", 2),
    ev("StateEntered", "ExtractFacts", 3),
    ev("StateFailed", "ExtractFacts", 30, { error: "States.HeartbeatTimeout", cause: "no heartbeat" }),
    ev("StateEntered", "ExtractFactsFallback", 31),
    ev("StateExited", "ExtractFactsFallback", 35),
  ];
  const row = {
    id: "exec-1",
    status: "RUNNING",
    input: {},
    output: null,
    error: null,
    cause: null,
    startedAt: t(0),
    endedAt: null,
  } as unknown as ExecutionRow;
  const out = asSdk(historyEvents(row, events, types, resources, false));

  const ofState = (name: string) => {
    const entered = out.find((e) => e.stateEnteredEventDetails?.name === name)!;
    return out.filter((e) => e.previousEventId !== undefined && chainsTo(out, e, entered.id!)).map((e) => e.type);
  };
  assert.deepEqual(ofState("ExtractFacts"), ["ActivityScheduled", "ActivityStarted", "ActivityTimedOut"]);
  const scheduled = out.find((e) => e.type === "ActivityScheduled")!;
  assert.match(scheduled.activityScheduledEventDetails!.resource!, /^arn:aws:states:[^:]+:\d+:activity:/);
  assert.equal(scheduled.activityScheduledEventDetails!.resource, resources.get("ExtractFacts"));
  assert.deepEqual(ofState("ExtractFactsAcquire"), ["TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited"]);
  assert.equal(out.find((e) => e.type === "TaskScheduled")!.taskScheduledEventDetails!.resourceType, "lambda");

  const states = statesFromHistory(out, []);
  const generate = states.find((s) => s.name === "ExtractFacts")!;
  assert.equal(generate.status, "FAILED");
  assert.equal(generate.error, "States.HeartbeatTimeout");
  assert.equal(generate.cause, "no heartbeat");
  assert.equal(states.find((s) => s.name === "ExtractFactsAcquire")!.status, "SUCCEEDED");
  assert.equal(states.find((s) => s.name === "ExtractFactsFallback")!.status, "SUCCEEDED");

  // An activity that failed (not timed out) is ActivityFailed, read back the same way.
  const failed = asSdk(
    historyEvents(
      row,
      [...events.slice(0, 4), ev("StateFailed", "ExtractFacts", 9, { error: "Affiant.WorkerCrashed", cause: "{}" })],
      types,
      resources,
      false,
    ),
  );
  assert.ok(failed.some((e) => e.type === "ActivityFailed" && e.activityFailedEventDetails?.error === "Affiant.WorkerCrashed"));
  assert.equal(statesFromHistory(failed, []).find((s) => s.name === "ExtractFacts")!.status, "FAILED");
});

/** True when the first *StateEntered event `e` leads back to (through previousEventId) is the event `id`. */
function chainsTo(events: HistoryEvent[], e: HistoryEvent, id: number): boolean {
  const byId = new Map(events.map((x) => [x.id!, x]));
  if (e.type?.endsWith("StateEntered")) return false;
  for (let cur = byId.get(e.previousEventId!), hops = 0; cur && hops < 10; hops++) {
    if (cur.type?.endsWith("StateEntered")) return cur.id === id;
    cur = cur.previousEventId ? byId.get(cur.previousEventId) : undefined;
  }
  return false;
}

/** The wire events as the SDK hands them to a reader: timestamps (epoch seconds) as Dates. */
function asSdk(events: Array<Record<string, unknown>>): HistoryEvent[] {
  return events.map((e) => ({ ...e, timestamp: new Date(Number(e.timestamp) * 1000) })) as HistoryEvent[];
}
