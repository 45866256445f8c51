/**
 * The Step Functions wire protocol at `/sfn`: AWS JSON 1.0 (`X-Amz-Target:
 * AWSStepFunctions.<Operation>`), a bounded body, a SigV4 signature that binds host, target
 * and body and is used once, errors as `{__type, message}`. What each operation does is in
 * sfn-operations.ts; this file only carries requests to them and answers back.
 */
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AwsProtocolError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { ReplayCache, ReplayCacheFullError, SigV4Error, verifySigV4 } from "./sigv4.ts";

/**
 * Step Functions caps a task's output at 256 KB and a request at about as much; JSON
 * escaping can grow a string, so 1 MiB leaves room and still bounds what one request holds.
 */
export const sfnMaxBodyBytes = 1024 * 1024;
/** The only operations the workers' own key may call. */
export const workerOperations: ReadonlySet<string> = new Set(["SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"]);

/** An error as the service returns it: HTTP 400 (by default) with `{__type, message}`. */
export const ServiceError = AwsProtocolError;
export type ServiceError = AwsProtocolError;

export type Body = Record<string, unknown>;
export type Operation = (body: Body) => Promise<Body> | Body;

export interface SfnProtocolOptions {
  /** Access key id → secret. Every request must be SigV4-signed with one of them. */
  keys: ReadonlyMap<string, string>;
  /** A key that may only call {@link workerOperations}: the GPU workers'. */
  workerAccessKeyId?: string;
  operations: Record<string, Operation>;
}

export function mountSfnProtocol(app: Hono, options: SfnProtocolOptions): void {
  const { operations } = options;
  const replays = new ReplayCache();
  const limit = bodyLimit({
    maxSize: sfnMaxBodyBytes,
    onError: (c) =>
      c.body(JSON.stringify({ __type: "ValidationException", message: `the request body is over ${sfnMaxBodyBytes} bytes` }), 413, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-errortype": "ValidationException",
        // The rest of the body is not buffered: @hono/node-server discards up to 64 MB or
        // half a second of it, so the client can read this answer, then closes the connection.
      }),
  });
  // The limit runs first, before the signature is checked: it reads at most sfnMaxBodyBytes.
  app.on("POST", ["/sfn", "/sfn/"], limit, async (c) => {
    const bodyBytes = new Uint8Array(await c.req.arrayBuffer());
    const bodyText = new TextDecoder().decode(bodyBytes);
    const reply = (status: number, payload: Body, type?: string) =>
      c.body(JSON.stringify(payload), status as 200, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": crypto.randomUUID(),
        ...(type ? { "x-amzn-errortype": type } : {}),
      });
    const fail = (err: ServiceError) => reply(err.status, { __type: err.name, message: err.message }, err.name);
    let keyId: string;
    try {
      keyId = await verifySigV4(
        { method: c.req.method, url: new URL(c.req.url), headers: c.req.raw.headers, body: bodyBytes },
        { keys: options.keys, replays },
      );
    } catch (err) {
      if (err instanceof SigV4Error) return fail(new ServiceError(err.name, err.message, 403));
      if (err instanceof ReplayCacheFullError) return fail(new ServiceError(err.name, err.message, 400));
      throw err;
    }
    const target = c.req.header("x-amz-target") ?? "";
    const op = target.startsWith("AWSStepFunctions.") ? target.slice("AWSStepFunctions.".length) : "";
    if (keyId === options.workerAccessKeyId && !workerOperations.has(op)) {
      return fail(new ServiceError("AccessDeniedException", `the worker key may only answer tasks, not call ${JSON.stringify(op)}`));
    }
    const handler = Object.hasOwn(operations, op) ? operations[op] : undefined;
    if (!handler) return fail(new ServiceError("UnknownOperationException", `unknown or unsupported operation ${JSON.stringify(target)}`));
    let body: Body;
    try {
      body = bodyText ? (JSON.parse(bodyText) as Body) : {};
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Error("not an object");
    } catch {
      return fail(new ServiceError("SerializationException", "the request body is not a JSON object"));
    }
    try {
      const result = await handler(body);
      log("info", "sfn.request", { operation: op, status: 200 });
      return reply(200, result);
    } catch (err) {
      if (err instanceof ServiceError) {
        log("info", "sfn.request", { operation: op, status: err.status, error: err.name });
        return fail(err);
      }
      throw err;
    }
  });
}
