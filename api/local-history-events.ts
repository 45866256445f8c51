/**
 * The local engine's event log as Step Functions' GetExecutionHistory events (TaskStateEntered,
 * TaskScheduled, TaskSucceeded, ActivityScheduled for a GPU stage's generate state,
 * ExecutionFailed…), for `/sfn`.
 */

import { localRegion, localRoleArn } from "../core/local-aws.ts";
import { type AslState, allStates, collectTaskStates } from "../workflows/asl.ts";
import type { EventRow, ExecutionRow } from "../workflows/engine/history-db.ts";

type Body = Record<string, unknown>;

/** Each state's Type by name, nested states included. */
export function collectStateTypes(states: Record<string, AslState>): Map<string, string> {
  return new Map(allStates({ States: states }).map(([name, state]) => [name, state.Type]));
}

/** Each Task state's Resource by name, nested states included. */
export function collectResources(states: Record<string, AslState>): Array<[string, string]> {
  return collectTaskStates({ States: states }).map(([name, state]) => [name, String(state.Resource)]);
}

/**
 * The engine's event log in Step Functions' own event types (TaskStateEntered,
 * TaskScheduled, TaskSucceeded, ExecutionFailed…), so tools written against AWS read it.
 */
export function historyEvents(
  row: ExecutionRow,
  events: EventRow[],
  types: Map<string, string>,
  resources: Map<string, string>,
  includeData: boolean,
): Body[] {
  const out: Body[] = [];
  // Like AWS, a state's own events chain back to its *StateEntered through previousEventId,
  // which is how events of parallel branches are told apart.
  const lastOf = new Map<string, number>();
  const push = (type: string, timestamp: string, details: Body = {}, state?: string) => {
    const id = out.length + 1;
    const previous = state && lastOf.has(state) && !type.endsWith("StateEntered") ? lastOf.get(state)! : id - 1;
    out.push({ timestamp: Date.parse(timestamp) / 1000, type, id, previousEventId: previous, ...details });
    if (state) lastOf.set(state, id);
  };
  // A GPU stage's generate state is a Step Functions activity: AWS logs Activity* events for it
  // (ActivityScheduled, ActivityStarted, ActivitySucceeded/Failed/TimedOut), not Task* ones.
  const activityOf = (state: string) => {
    const arn = resources.get(state) ?? "";
    return /^arn:aws:states:[^:]*:[^:]*:activity:/.test(arn) ? arn : undefined;
  };
  const resourceOf = (state: string) => {
    const arn = resources.get(state) ?? "";
    // arn:aws:states:::lambda:invoke → resourceType "lambda", resource "invoke"
    const m = /^arn:aws:states:::([a-z]+):(.+)$/.exec(arn);
    return { resourceType: m?.[1] ?? "unknown", resource: m?.[2] ?? arn };
  };
  for (const e of events) {
    const state = e.stateName ?? "";
    const stateType = types.get(state) ?? String(e.detail.stateType ?? "Pass");
    const error = typeof e.detail.error === "string" ? e.detail.error : undefined;
    const cause = typeof e.detail.cause === "string" ? e.detail.cause : undefined;
    switch (e.type) {
      case "ExecutionStarted":
        push("ExecutionStarted", e.timestamp, {
          executionStartedEventDetails: {
            ...(includeData ? { input: JSON.stringify(row.input) } : {}),
            inputDetails: { truncated: false },
            roleArn: localRoleArn,
          },
        });
        break;
      case "ExecutionSucceeded":
        push("ExecutionSucceeded", e.timestamp, {
          executionSucceededEventDetails: {
            ...(includeData && row.output !== null ? { output: JSON.stringify(row.output) } : {}),
            outputDetails: { truncated: false },
          },
        });
        break;
      case "ExecutionFailed":
        push("ExecutionFailed", e.timestamp, {
          executionFailedEventDetails: { error: error ?? row.error ?? "", cause: cause ?? row.cause ?? "" },
        });
        break;
      case "ExecutionAborted":
        push("ExecutionAborted", e.timestamp, { executionAbortedEventDetails: { error: row.error ?? "", cause: row.cause ?? "" } });
        break;
      case "ExecutionTimeout":
        push("ExecutionTimedOut", e.timestamp, { executionTimedOutEventDetails: { error: "States.Timeout", cause: cause ?? "" } });
        break;
      case "StateEntered":
        push(`${stateType}StateEntered`, e.timestamp, { stateEnteredEventDetails: { name: state } }, state);
        if (stateType === "Task" && activityOf(state)) {
          push(
            "ActivityScheduled",
            e.timestamp,
            { activityScheduledEventDetails: { resource: activityOf(state), inputDetails: { truncated: false } } },
            state,
          );
          push("ActivityStarted", e.timestamp, { activityStartedEventDetails: { workerName: "affiant-local-engine" } }, state);
        } else if (stateType === "Task") {
          const r = resourceOf(state);
          push("TaskScheduled", e.timestamp, { taskScheduledEventDetails: { ...r, region: localRegion, parameters: "{}" } }, state);
          push("TaskStarted", e.timestamp, { taskStartedEventDetails: r }, state);
        }
        break;
      case "StateExited":
        if (stateType === "Task" && activityOf(state))
          push("ActivitySucceeded", e.timestamp, { activitySucceededEventDetails: { outputDetails: { truncated: false } } }, state);
        else if (stateType === "Task")
          push(
            "TaskSucceeded",
            e.timestamp,
            { taskSucceededEventDetails: { ...resourceOf(state), outputDetails: { truncated: false } } },
            state,
          );
        push(`${stateType}StateExited`, e.timestamp, { stateExitedEventDetails: { name: state } }, state);
        break;
      case "StateFailed":
        if (stateType === "Task") {
          const timedOut = error === "States.Timeout" || error === "States.HeartbeatTimeout";
          if (activityOf(state))
            push(
              timedOut ? "ActivityTimedOut" : "ActivityFailed",
              e.timestamp,
              { [timedOut ? "activityTimedOutEventDetails" : "activityFailedEventDetails"]: { error: error ?? "", cause: cause ?? "" } },
              state,
            );
          else
            push(
              timedOut ? "TaskTimedOut" : "TaskFailed",
              e.timestamp,
              {
                [timedOut ? "taskTimedOutEventDetails" : "taskFailedEventDetails"]: {
                  ...resourceOf(state),
                  error: error ?? "",
                  cause: cause ?? "",
                },
              },
              state,
            );
        }
        break;
      default:
        // Retry/catch bookkeeping and branch events have no event of their own in AWS.
        break;
    }
  }
  // A run stopped by StopExecution or an interrupted engine has no terminal event of its own.
  if (row.status === "ABORTED" && !events.some((e) => e.type === "ExecutionAborted")) {
    push("ExecutionAborted", row.endedAt ?? new Date().toISOString(), {
      executionAbortedEventDetails: { error: row.error ?? "", cause: row.cause ?? "" },
    });
  }
  return out;
}
