/**
 * The Step Functions API (AWS JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Operation>`)
 * over the local engine, at `/sfn` of `affiant serve`. The real `@aws-sdk/client-sfn` and
 * the AWS CLI (`--endpoint-url`) drive local runs as they drive AWS, and the worker's
 * task-token path (SendTask*) runs the same code as in ECS. Every request must carry a valid
 * SigV4 signature that binds its host, target and body, used once: access key id `affiant`
 * with the API token as secret, or the workers' own key, which may only answer tasks.
 */
import type { Hono } from "hono";
import type { AslDefinition } from "../workflows/definition.ts";
import type { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";
import type { LocalExecutions } from "./local-executions.ts";
import { sfnOperations } from "./sfn-operations.ts";
import { mountSfnProtocol } from "./sfn-protocol.ts";

export interface SfnEndpointOptions {
  executions: LocalExecutions;
  broker: TaskTokenBroker;
  definition: AslDefinition;
  /** Access key id → secret. Every request must be SigV4-signed with one of them. */
  keys: ReadonlyMap<string, string>;
  /** A key that may only call SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat: the GPU workers'. */
  workerAccessKeyId?: string;
  createdAt?: Date;
}

/** The protocol (sfn-protocol.ts) carrying the operations (sfn-operations.ts); history events in local-history-events.ts. */
export function mountSfnEndpoint(app: Hono, options: SfnEndpointOptions): void {
  mountSfnProtocol(app, { keys: options.keys, workerAccessKeyId: options.workerAccessKeyId, operations: sfnOperations(options) });
}
