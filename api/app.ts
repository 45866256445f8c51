/**
 * The HTTP API: one Hono app, run by the API Gateway function in AWS and by `affiant serve`
 * locally. Responses carry ids, statuses and per-state numbers; the only case content that
 * ever leaves is the re-injected declaration, to an authenticated caller. Every client
 * mistake is a 4xx with `{error: {name, message}}`; a 500 never echoes internals.
 * This file assembles the app: the error answers, the Host/Origin guard, the request log,
 * the bearer check and body limits; each resource's routes are a sub-app in api/routes/.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AffiantError, NotFoundError, RequestTooLargeError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import type { AslDefinition } from "../workflows/definition.ts";
import { bearerAuth, iamAuth } from "./auth.ts";
import { errorResponse, errorStatus, internalErrorResponse } from "./error-response.ts";
import { documentLimits, type Executions } from "./executions.ts";
import type { LocalExecutions } from "./local-executions.ts";
import { type RequestGuardOptions, requestGuard } from "./request-guard.ts";
import { caseRoutes } from "./routes/cases.ts";
import { executionRoutes } from "./routes/executions.ts";
import { reviewRoutes } from "./routes/reviews.ts";
import { uploadRoutes } from "./routes/uploads.ts";
import { workflowRoutes } from "./routes/workflow.ts";

export interface AppOptions {
  executions: Executions;
  /**
   * `bearer`: `Authorization: Bearer <token>` on every API route (`affiant serve`), each token
   * mapped to its holder's name. `iam`: API Gateway has already authorised the caller (its
   * principal is in the request context). `none`: no caller is known (tests of routes that
   * need none; a review decision is refused).
   */
  auth: { kind: "bearer"; tokens: ReadonlyMap<string, string> } | { kind: "iam" } | { kind: "none" };
  /** The deployed or local definition, for the viewer's state graph. */
  definition?: AslDefinition;
  /** Largest request body accepted (API Gateway: 10 MB). */
  maxRequestBytes?: number;
  /** Host and Origin checks ahead of every route (`affiant serve`; API Gateway has its own domain). */
  guard?: RequestGuardOptions;
  /** Extra routes on the same app: the run viewer, the local Step Functions endpoint. */
  mount?: (app: Hono) => void;
}

/** A JSON body plans uploads: a case.json and a file list, never documents. */
export const maxJsonBytes = 1024 * 1024;

export function createApp(options: AppOptions): Hono {
  const app = new Hono();
  const { executions } = options;

  app.onError((err, c) => {
    if (err instanceof AffiantError && errorStatus(err) < 500) return errorResponse(c, err);
    log("error", "api.error", { method: c.req.method, route: c.req.routePath, error: err.name });
    return internalErrorResponse(c);
  });
  app.notFound((c) => errorResponse(c, new NotFoundError(`no route for ${c.req.method} ${c.req.path}`)));

  // First of all: a rebinding Host or a cross-site Origin never reaches a route or the body.
  if (options.guard) app.use("*", requestGuard(options.guard));

  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    log("info", "api.request", {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });

  const api = new Hono();
  if (options.auth.kind === "bearer") api.use("*", bearerAuth(options.auth.tokens));
  if (options.auth.kind === "iam") api.use("*", iamAuth());
  const maxRequestBytes = options.maxRequestBytes ?? documentLimits.maxRequestBytes;
  const multipartLimit = bodyLimit({
    maxSize: maxRequestBytes,
    onError: (c) =>
      errorResponse(
        c,
        new RequestTooLargeError(`the request body is over ${maxRequestBytes} bytes; upload through the presigned URLs instead`),
      ),
  });
  const jsonLimit = bodyLimit({
    maxSize: Math.min(maxJsonBytes, maxRequestBytes),
    onError: (c) => errorResponse(c, new RequestTooLargeError(`a JSON body is at most ${Math.min(maxJsonBytes, maxRequestBytes)} bytes`)),
  });
  // Only multipart carries documents; any other body is small.
  api.use("*", (c, next) =>
    (c.req.header("content-type") ?? "").startsWith("multipart/form-data") ? multipartLimit(c, next) : jsonLimit(c, next),
  );

  api.route("/cases", caseRoutes(executions));
  api.route("/executions", executionRoutes(executions));
  api.route("/executions", reviewRoutes(executions));
  api.route("/workflow", workflowRoutes(options.definition));

  // Local presigned uploads: outside the bearer check (the signature is the authorisation).
  if (executions.kind === "local") app.route("/uploads", uploadRoutes(executions as LocalExecutions));

  app.get("/health", (c) => c.json({ ok: true, executions: executions.kind }));
  options.mount?.(app);
  app.route("/", api);
  return app;
}
