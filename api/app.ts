/**
 * The HTTP API: one Hono app, run by the API Gateway function in AWS and by `affiant serve`
 * locally. Responses carry ids, statuses and per-state numbers; the only case content that
 * ever leaves is the re-injected declaration, to an authenticated caller. Every client
 * mistake is a 4xx with `{error: {name, message}}`; a 500 never echoes internals.
 */
import { timingSafeEqual } from "node:crypto";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { AffiantError, RequestTooLargeError, DeclarationNotReadyError, InvalidInputError, NotFoundError, UnauthorizedError, UnsupportedMediaTypeError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import type { AslDefinition } from "../workflows/definition.ts";
import { checkPdfBytes, documentKey, parseCaseJson } from "./case-store.ts";
import { documentLimits, type CaseDocument, type Executions, type ExecutionStatus } from "./executions.ts";
import type { LocalExecutions } from "./local-executions.ts";
import { requestGuard, type RequestGuardOptions } from "./request-guard.ts";
import { errorResponse, errorStatus, internalErrorResponse } from "./error-response.ts";

export interface AppOptions {
  executions: Executions;
  /**
   * `bearer`: `Authorization: Bearer <token>` on every API route (`affiant serve` with
   * AFFIANT_API_TOKEN). `iam`: API Gateway has already authorised the caller. `none`: a
   * loopback-only local server without a token.
   */
  auth: { kind: "bearer"; token: string } | { kind: "iam" } | { kind: "none" };
  /** The deployed or local definition, for the viewer's state graph. */
  definition?: AslDefinition;
  /** Largest request body accepted (API Gateway: 10 MB). */
  maxRequestBytes?: number;
  /** Host and Origin checks ahead of every route (`affiant serve`; API Gateway has its own domain). */
  guard?: RequestGuardOptions;
  /** Extra routes on the same app: the run viewer, the local Step Functions endpoint. */
  mount?: (app: Hono) => void;
}

const statuses = ["RUNNING", "SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"] as const;

const plannedCaseSchema = z.object({
  case: z.unknown(),
  files: z.array(z.object({ name: z.string().min(1), size: z.number().int() })).min(1),
});

const listQuerySchema = z.object({
  status: z.enum(statuses).optional(),
  caseId: z.string().max(80).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  nextToken: z.string().max(400).optional(),
});

/**
 * The attorney's decision. Notes are text, or per paragraph ({element: note}); their size
 * (maxReviewNotesBytes) and the decision itself are checked where every caller's are
 * (core/review.ts), so the API, the viewer and the CLI refuse the same things alike.
 */
const reviewBodySchema = z.object({
  decision: z.string().max(40),
  notes: z.union([z.string(), z.record(z.string().max(80), z.string())]).optional(),
  reviewer: z.string().min(1).max(200).optional(),
  via: z.enum(["api", "viewer"]).optional(),
});

const executionIdPattern = /^[A-Za-z0-9._-]{1,120}$/;
/** As case.json's caseId. */
const caseIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;
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
    log("info", "api.request", { method: c.req.method, route: c.req.routePath, status: c.res.status, ms: Math.round(performance.now() - started) });
  });

  const api = new Hono();
  if (options.auth.kind === "bearer") api.use("*", bearer(options.auth.token));
  const maxRequestBytes = options.maxRequestBytes ?? documentLimits.maxRequestBytes;
  const multipartLimit = bodyLimit({
    maxSize: maxRequestBytes,
    onError: (c) => errorResponse(c, new RequestTooLargeError(`the request body is over ${maxRequestBytes} bytes; upload through the presigned URLs instead`)),
  });
  const jsonLimit = bodyLimit({
    maxSize: Math.min(maxJsonBytes, maxRequestBytes),
    onError: (c) => errorResponse(c, new RequestTooLargeError(`a JSON body is at most ${Math.min(maxJsonBytes, maxRequestBytes)} bytes`)),
  });
  // Only multipart carries documents; any other body is small.
  api.use("*", (c, next) => ((c.req.header("content-type") ?? "").startsWith("multipart/form-data") ? multipartLimit(c, next) : jsonLimit(c, next)));

  api.post("/cases", async (c) => {
    const type = c.req.header("content-type") ?? "";
    if (type.startsWith("multipart/form-data")) {
      const body = await c.req.parseBody({ all: true }).catch(() => {
        throw new InvalidInputError("the multipart body could not be parsed");
      });
      const rawCase = body.case;
      if (rawCase === undefined || Array.isArray(rawCase)) throw new InvalidInputError("case: one case.json part is required");
      const caseJson = typeof rawCase === "string" ? rawCase : await rawCase.text();
      const caseFile = parseCaseJson(caseJson);
      const parts = body.files === undefined ? [] : Array.isArray(body.files) ? body.files : [body.files];
      const documents: CaseDocument[] = [];
      for (const part of parts) {
        if (typeof part === "string") throw new InvalidInputError("files: each part must be a file, not a text field");
        if (part.type && part.type !== "application/pdf" && part.type !== "application/octet-stream") {
          throw new UnsupportedMediaTypeError(`files: ${part.name}: ${part.type} is not a PDF`);
        }
        const bytes = new Uint8Array(await part.arrayBuffer());
        documents.push({ name: part.name, bytes });
      }
      await executions.putCase(caseFile, caseJson, documents);
      log("info", "api.case_stored", { caseId: caseFile.caseId, documents: documents.length, bytes: documents.reduce((n, d) => n + d.bytes.byteLength, 0) });
      return c.json({ caseId: caseFile.caseId }, 201);
    }
    if (type.startsWith("application/json")) {
      const raw = await c.req.json().catch(() => {
        throw new InvalidInputError("the body is not valid JSON");
      });
      const parsed = plannedCaseSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new InvalidInputError(`${issue.path.join(".") || "(body)"}: ${issue.message}`);
      }
      const caseJson = JSON.stringify(parsed.data.case);
      const caseFile = parseCaseJson(caseJson);
      const uploads = await executions.planUploads(caseFile, caseJson, parsed.data.files, new URL(c.req.url).origin);
      log("info", "api.case_planned", { caseId: caseFile.caseId, documents: uploads.length });
      return c.json({ caseId: caseFile.caseId, uploads }, 201);
    }
    throw new UnsupportedMediaTypeError("POST /cases takes multipart/form-data (files + case) or application/json (case + file list for presigned uploads)");
  });

  api.post("/cases/:caseId/executions", async (c) => {
    const caseId = c.req.param("caseId") ?? "";
    if (!caseIdPattern.test(caseId)) throw new InvalidInputError(`case id ${JSON.stringify(caseId.slice(0, 90))}: letters, digits, . _ - (max 80), starting with a letter or digit`);
    const result = await executions.startExecution(caseId);
    log("info", "api.execution_start", { caseId, execution: result.executionId, created: result.created });
    return c.json(result, result.created ? 202 : 200);
  });

  api.get("/executions", async (c) => {
    const parsed = listQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidInputError(`query ${issue.path.join(".")}: ${issue.message}`);
    }
    return c.json(await executions.listExecutions(parsed.data as { limit: number; status?: ExecutionStatus }));
  });

  api.get("/executions/:id", async (c) => {
    const id = executionId(c);
    const summary = await executions.describeExecution(id);
    if (!summary) throw new NotFoundError(`execution ${id} does not exist`);
    return c.json(summary);
  });

  api.post("/executions/:id/review", async (c) => {
    const id = executionId(c);
    if (!(c.req.header("content-type") ?? "").startsWith("application/json")) throw new UnsupportedMediaTypeError("a review decision is application/json");
    const raw = await c.req.json().catch(() => {
      throw new InvalidInputError("the body is not valid JSON");
    });
    const parsed = reviewBodySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidInputError(`${issue.path.join(".") || "(body)"}: ${issue.message}`);
    }
    const { decision, notes, reviewer, via } = parsed.data;
    // Per-paragraph notes ({element: note}) become one note per line, named by element.
    const text = typeof notes === "string" || notes === undefined ? notes : Object.entries(notes).map(([element, note]) => `${element}: ${note}`).join("\n");
    await executions.review(id, { decision, notes: text, reviewer: reviewer ?? "api", via: via ?? "api" });
    log("info", "api.review", { execution: id, decision });
    return c.json({ executionId: id, decision, status: "RUNNING" }, 202);
  });

  api.get("/executions/:id/declaration", async (c) => {
    const id = executionId(c);
    const result = await executions.declaration(id);
    if (!result) throw new NotFoundError(`execution ${id} does not exist`);
    if (!result.markdown) {
      throw new DeclarationNotReadyError(`execution ${id} is ${result.status}; the declaration exists once it has SUCCEEDED`);
    }
    c.header("cache-control", "no-store");
    // A download, never a page: a browser must not render a declaration in this origin.
    c.header("content-disposition", `attachment; filename="${id}-declaration.md"`);
    c.header("x-content-type-options", "nosniff");
    return c.body(new Uint8Array(result.markdown), 200, { "content-type": "text/markdown; charset=utf-8" });
  });

  // The review document the attorney reads (JSON, real values: it is client data, like the declaration).
  api.get("/executions/:id/review-document", async (c) => {
    const id = executionId(c);
    const result = await executions.reviewDocument(id);
    if (!result) throw new NotFoundError(`execution ${id} does not exist`);
    if (!result.json) throw new DeclarationNotReadyError(`execution ${id} is ${result.status}; the review document exists once Reinject has run (waiting in AttorneyReview or SUCCEEDED)`);
    c.header("cache-control", "no-store");
    c.header("x-content-type-options", "nosniff");
    return c.body(new Uint8Array(result.json), 200, { "content-type": "application/json; charset=utf-8" });
  });

  api.get("/workflow", (c) => {
    if (!options.definition) throw new NotFoundError("no definition is attached to this API");
    return c.json(options.definition);
  });

  // Local presigned uploads: the signature is the authorisation, as with S3.
  if (executions.kind === "local") {
    const local = executions as LocalExecutions;
    app.put(
      "/uploads/:caseId/:name",
      // The signature first: an unsigned body is never read, and a signed one is read up to
      // the size the signature names.
      async (c, next) => {
        const grant = { caseId: c.req.param("caseId") ?? "", name: c.req.param("name") ?? "", size: Number(c.req.query("size")), expiresAt: Number(c.req.query("expires")) };
        const refused = local.signer.check(grant, c.req.query("signature") ?? "");
        if (refused) throw new UnauthorizedError(refused);
        local.assertUploadOpen(grant.caseId, grant.expiresAt);
        // Spent from here: a second upload through this URL is refused even while this one runs.
        const signature = c.req.query("signature") ?? "";
        local.signer.consume(signature, grant.expiresAt);
        const limit = bodyLimit({
          maxSize: Math.min(grant.size, documentLimits.maxDocumentBytes),
          onError: (c2) => errorResponse(c2, new RequestTooLargeError(`${grant.name}: more than the ${grant.size} bytes announced`)),
        });
        // Hono turns the handler's throw into a response here; any failure gives the URL back.
        const res = await limit(c, next).catch((err: unknown) => {
          local.signer.release(signature);
          throw err;
        });
        // bodyLimit answers its own 413 as a Response; otherwise the handler's answer is c.res.
        const status = res instanceof Response ? res.status : c.res.status;
        if (status !== 200 || c.error) local.signer.release(signature);
        return res instanceof Response ? res : undefined;
      },
      async (c) => {
        const caseId = c.req.param("caseId");
        const name = c.req.param("name");
        const size = Number(c.req.query("size"));
        const bytes = new Uint8Array(await c.req.arrayBuffer());
        if (bytes.byteLength !== size) throw new InvalidInputError(`${name}: ${bytes.byteLength} bytes uploaded, ${size} announced`);
        checkPdfBytes(name, bytes);
        await local.engine.store.put(documentKey(caseId, name), bytes);
        log("info", "api.document_uploaded", { caseId, bytes: bytes.byteLength });
        return c.body(null, 200);
      },
    );
  }

  app.get("/health", (c) => c.json({ ok: true, executions: executions.kind }));
  options.mount?.(app);
  app.route("/", api);
  return app;
}

function executionId(c: Context): string {
  const id = c.req.param("id") ?? "";
  if (!executionIdPattern.test(id)) throw new InvalidInputError(`execution id ${JSON.stringify(id.slice(0, 130))}: letters, digits, . _ - only`);
  return id;
}

function bearer(token: string) {
  const expected = Buffer.from(token);
  return async (c: Context, next: () => Promise<void>) => {
    const header = c.req.header("authorization") ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      c.header("www-authenticate", 'Bearer realm="affiant"');
      throw new UnauthorizedError("missing or wrong bearer token (Authorization: Bearer <AFFIANT_API_TOKEN>)");
    }
    await next();
  };
}
