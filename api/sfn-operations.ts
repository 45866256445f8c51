/**
 * The Step Functions operations the local engine answers: state machines, executions,
 * history, and the task-token calls (SendTask*) the workers make, as in ECS. Each validates
 * its input as the service does and fails with the service's error names.
 */

import { CaseBusyError, TooManyExecutionsError } from "../core/errors.ts";
import { type Faults, faultsErrorMessage, faultsSchema } from "../core/faults.ts";
import { executionArn, localRoleArn, stateMachineArn, stateMachineName } from "../core/local-aws.ts";
import type { ExecutionRow, ExecutionStatus } from "../workflows/engine/history-db.ts";
import { SfnServiceError } from "../workflows/engine/task-tokens.ts";
import { assertCaseReady } from "./case-store.ts";
import { collectResources, collectStateTypes, historyEvents } from "./local-history-events.ts";
import type { SfnEndpointOptions } from "./sfn-endpoint.ts";
import { type Body, type Operation, ServiceError } from "./sfn-protocol.ts";

export function sfnOperations(options: SfnEndpointOptions): Record<string, Operation> {
  const { executions, broker, definition } = options;
  const { engine } = executions;
  const createdAt = (options.createdAt ?? new Date()).getTime() / 1000;
  const stateTypes = collectStateTypes(definition.States);
  const resources = new Map(collectResources(definition.States));

  const requireString = (body: Body, field: string, max = 2048): string => {
    const v = body[field];
    if (typeof v !== "string" || v.length === 0)
      throw new ServiceError("ValidationException", `1 validation error detected: '${field}' must not be null`);
    if (v.length > max) throw new ServiceError("ValidationException", `'${field}' is longer than ${max}`);
    return v;
  };
  const machine = (body: Body): void => {
    const arn = requireString(body, "stateMachineArn");
    if (!arn.startsWith("arn:aws:states:")) throw new ServiceError("InvalidArn", `Invalid Arn: '${arn}'`);
    if (arn !== stateMachineArn) throw new ServiceError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
  };
  const execution = (body: Body): ExecutionRow => {
    const arn = requireString(body, "executionArn");
    const prefix = executionArn("");
    if (!arn.startsWith("arn:aws:states:")) throw new ServiceError("InvalidArn", `Invalid Arn: '${arn}'`);
    const row = arn.startsWith(prefix) ? engine.db.getExecution(arn.slice(prefix.length)) : undefined;
    if (!row) throw new ServiceError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
    return row;
  };
  const token = (body: Body) => requireString(body, "taskToken", 2048);
  const brokerCall = (fn: () => void): Body => {
    try {
      fn();
      return {};
    } catch (err) {
      if (err instanceof SfnServiceError) throw new ServiceError(err.name, err.message);
      throw err;
    }
  };

  return {
    ListStateMachines: () => ({ stateMachines: [{ stateMachineArn, name: stateMachineName, type: "STANDARD", creationDate: createdAt }] }),

    DescribeStateMachine: (body) => {
      machine(body);
      return {
        stateMachineArn,
        name: stateMachineName,
        status: "ACTIVE",
        definition: JSON.stringify(definition),
        roleArn: localRoleArn,
        type: "STANDARD",
        creationDate: createdAt,
        loggingConfiguration: { level: "ERROR", includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    },

    StartExecution: async (body) => {
      machine(body);
      const rawInput = body.input === undefined ? "{}" : body.input;
      if (typeof rawInput !== "string") throw new ServiceError("InvalidExecutionInput", "input must be a JSON string");
      let input: { caseId?: unknown; faults?: unknown };
      try {
        input = JSON.parse(rawInput) as typeof input;
      } catch {
        throw new ServiceError("InvalidExecutionInput", "Invalid State Machine Execution Input: input is not valid JSON");
      }
      if (typeof input?.caseId !== "string")
        throw new ServiceError("InvalidExecutionInput", 'Invalid State Machine Execution Input: expected {"caseId": "<id>"}');
      const caseId = input.caseId;
      const faults = checkFaults(input.faults);
      const name = body.name === undefined ? undefined : requireString(body, "name", 80);
      if (name !== undefined && !/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new ServiceError("InvalidName", `Invalid Name: '${name}'`);
      if (name) {
        const existing = engine.db.getExecution(name);
        if (existing) {
          // As AWS: the same name and input while running is the same execution.
          if (
            existing.status === "RUNNING" &&
            JSON.stringify(existing.input) === JSON.stringify({ caseId, ...(faults ? { faults } : {}) })
          ) {
            return { executionArn: executionArn(name), startDate: Date.parse(existing.startedAt) / 1000 };
          }
          throw new ServiceError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn(name)}'`);
        }
      }
      try {
        await assertCaseReady(engine.store, caseId);
      } catch (err) {
        throw new ServiceError("InvalidExecutionInput", `Invalid State Machine Execution Input: ${(err as Error).message}`);
      }
      let executionId: string;
      try {
        executionId = executions.startNamed({ caseId, executionName: name ?? crypto.randomUUID(), faults });
      } catch (err) {
        // The service's own error for too many open executions.
        if (err instanceof TooManyExecutionsError || err instanceof CaseBusyError)
          throw new ServiceError("ExecutionLimitExceeded", (err as Error).message);
        throw err;
      }
      const row = engine.db.getExecution(executionId)!;
      return { executionArn: executionArn(executionId), startDate: Date.parse(row.startedAt) / 1000 };
    },

    DescribeExecution: (body) => {
      const row = execution(body);
      return {
        executionArn: executionArn(row.id),
        stateMachineArn,
        name: row.id,
        status: row.status,
        startDate: Date.parse(row.startedAt) / 1000,
        ...(row.endedAt ? { stopDate: Date.parse(row.endedAt) / 1000 } : {}),
        input: JSON.stringify(row.input),
        inputDetails: { included: true },
        ...(row.output !== null ? { output: JSON.stringify(row.output), outputDetails: { included: true } } : {}),
        ...(row.error ? { error: row.error } : {}),
        ...(row.cause ? { cause: row.cause } : {}),
      };
    },

    ListExecutions: (body) => {
      machine(body);
      const max = clampMax(body.maxResults, 100, 1000);
      const statusFilter = body.statusFilter as ExecutionStatus | undefined;
      if (
        statusFilter !== undefined &&
        !["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"].includes(statusFilter)
      ) {
        throw new ServiceError("ValidationException", `statusFilter ${String(statusFilter)} is not a valid status`);
      }
      const before = typeof body.nextToken === "string" ? decodeToken(body.nextToken) : undefined;
      const rows = engine.db.listExecutions(max + 1, { status: statusFilter, before });
      const page = rows.slice(0, max);
      const last = page.at(-1);
      return {
        executions: page.map((r) => ({
          executionArn: executionArn(r.id),
          stateMachineArn,
          name: r.id,
          status: r.status,
          startDate: Date.parse(r.startedAt) / 1000,
          ...(r.endedAt ? { stopDate: Date.parse(r.endedAt) / 1000 } : {}),
        })),
        ...(rows.length > max && last ? { nextToken: encodeToken(last.startedAt + last.id) } : {}),
      };
    },

    GetExecutionHistory: (body) => {
      const row = execution(body);
      const includeData = body.includeExecutionData !== false;
      let events = historyEvents(row, engine.db.events(row.id), stateTypes, resources, includeData);
      if (body.reverseOrder === true) events = events.reverse();
      const max = clampMax(body.maxResults, 100, 1000);
      const offset = typeof body.nextToken === "string" ? Number(decodeToken(body.nextToken)) || 0 : 0;
      const page = events.slice(offset, offset + max);
      return { events: page, ...(offset + max < events.length ? { nextToken: encodeToken(String(offset + max)) } : {}) };
    },

    StopExecution: async (body) => {
      const row = execution(body);
      const error = typeof body.error === "string" ? body.error.slice(0, 256) : undefined;
      const cause = typeof body.cause === "string" ? body.cause.slice(0, 32768) : undefined;
      if (row.status === "RUNNING") await executions.stop(row.id, { error, cause });
      const after = engine.db.getExecution(row.id)!;
      return { stopDate: Date.parse(after.endedAt ?? new Date().toISOString()) / 1000 };
    },

    SendTaskHeartbeat: (body) => brokerCall(() => broker.heartbeat(token(body))),
    // A token is a GPU task's (the broker) or AttorneyReview's (kept in the history database,
    // answered by the review API as in AWS): the execution runs on from the gate.
    SendTaskSuccess: (body) => {
      const output = requireString(body, "output", 256 * 1024);
      const t = token(body);
      if (!broker.has(t)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(output);
        } catch {
          throw new ServiceError("InvalidOutput", "output is not valid JSON");
        }
        if (executions.answerReview(t, { output: parsed })) return {};
      }
      return brokerCall(() => broker.succeed(t, output));
    },
    // The service's own limits: error 256 characters, cause 32,768.
    SendTaskFailure: (body) => {
      const t = token(body);
      const error = typeof body.error === "string" ? body.error.slice(0, 256) : "";
      const cause = typeof body.cause === "string" ? body.cause.slice(0, 32768) : "";
      if (!broker.has(t) && executions.answerReview(t, { error, cause })) return {};
      return brokerCall(() => broker.fail(t, error, cause));
    },
  };
}

function checkFaults(raw: unknown): Faults | undefined {
  if (raw === undefined) return undefined;
  const parsed = faultsSchema.safeParse(raw);
  if (!parsed.success) throw new ServiceError("InvalidExecutionInput", faultsErrorMessage(parsed.error));
  return parsed.data;
}

function clampMax(raw: unknown, fallback: number, max: number): number {
  if (raw === undefined || raw === 0) return fallback;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 0 || raw > max)
    throw new ServiceError("ValidationException", `maxResults must be an integer from 0 to ${max}`);
  return raw;
}

const encodeToken = (s: string) => Buffer.from(s, "utf8").toString("base64url");
function decodeToken(s: string): string {
  const decoded = Buffer.from(s, "base64url").toString("utf8");
  if (!decoded) throw new ServiceError("InvalidToken", "invalid nextToken");
  return decoded;
}
