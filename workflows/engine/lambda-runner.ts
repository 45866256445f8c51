/**
 * Runs a `lambda:invoke` Task state in-process: the handler module from functions/ is
 * called with the Payload, and the result comes back in the shape the Step Functions
 * Lambda integration returns ({Payload, StatusCode}). A thrown error becomes the state's
 * Error (its `name`, as Lambda reports errorType) with Lambda's JSON Cause.
 */

import { AffiantError, StatesError } from "../../core/errors.ts";
import { type LambdaFunction, lambdaFunctions } from "../../core/state-names.ts";
import { spawnWorker } from "./worker-supervisor.ts";

type Handler = (event: unknown, context: LambdaContextLike) => Promise<unknown>;

export interface LambdaContextLike {
  functionName: string;
  awsRequestId: string;
  getRemainingTimeInMillis: () => number;
  /** The engine's worker supervisor, for a fallback's `local:` entries (see generate-fallback.ts). */
  localWorker: typeof spawnWorker;
}

const modules: Record<LambdaFunction, () => Promise<{ handler: Handler }>> = {
  "extract-documents": () => import("../../functions/extract-documents.ts") as Promise<{ handler: Handler }>,
  "redact-pii": () => import("../../functions/redact-pii.ts") as Promise<{ handler: Handler }>,
  "build-index": () => import("../../functions/build-index.ts") as Promise<{ handler: Handler }>,
  "score-draft": () => import("../../functions/score-draft.ts") as Promise<{ handler: Handler }>,
  "reinject-pii": () => import("../../functions/reinject-pii.ts") as Promise<{ handler: Handler }>,
  "generate-fallback": () => import("../../functions/generate-fallback.ts") as Promise<{ handler: Handler }>,
  "acquire-worker": () => import("../../functions/acquire-worker.ts") as Promise<{ handler: Handler }>,
  "admit-gpu": () => import("../../functions/admit-gpu.ts") as Promise<{ handler: Handler }>,
  "request-review": () => import("../../functions/request-review.ts") as Promise<{ handler: Handler }>,
  "review-notes": () => import("../../functions/review-notes.ts") as Promise<{ handler: Handler }>,
  "check-decision": () => import("../../functions/check-decision.ts") as Promise<{ handler: Handler }>,
  "record-approval": () => import("../../functions/record-approval.ts") as Promise<{ handler: Handler }>,
};

/** Which of our functions an ARN (or name) from the definition refers to. */
export function functionForArn(arn: string): LambdaFunction | undefined {
  const name = arn.split(":").pop() ?? arn;
  return Object.values(lambdaFunctions).find((fn) => name === fn || name.endsWith(`-${fn}`));
}

export async function invokeLambda(
  fn: LambdaFunction,
  payload: unknown,
  timeoutSeconds: number,
): Promise<{ Payload: unknown; StatusCode: number }> {
  const { handler } = await modules[fn]();
  const deadline = Date.now() + timeoutSeconds * 1000;
  const context: LambdaContextLike = {
    functionName: `affiant-${fn}`,
    awsRequestId: crypto.randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    localWorker: spawnWorker,
  };
  try {
    return { Payload: await handler(payload, context), StatusCode: 200 };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const cause = e instanceof AffiantError ? e.toCause() : JSON.stringify({ errorType: e.name, errorMessage: e.message });
    throw new StatesError(e.name, cause);
  }
}
