/**
 * `/executions`: list and describe executions, and hand out an execution's declaration and
 * review document (client data: no-store, a download, to an authenticated caller only).
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { DeclarationNotReadyError, InvalidInputError, NotFoundError } from "../../core/errors.ts";
import type { ExecutionStatus, Executions } from "../executions.ts";

const statuses = ["RUNNING", "SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"] as const;

const listQuerySchema = z.object({
  status: z.enum(statuses).optional(),
  caseId: z.string().max(80).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  nextToken: z.string().max(400).optional(),
});

const executionIdPattern = /^[A-Za-z0-9._-]{1,120}$/;

/** The `:id` of an `/executions/:id…` route, checked. */
export function executionId(c: Context): string {
  const id = c.req.param("id") ?? "";
  if (!executionIdPattern.test(id))
    throw new InvalidInputError(`execution id ${JSON.stringify(id.slice(0, 130))}: letters, digits, . _ - only`);
  return id;
}

export function executionRoutes(executions: Executions): Hono {
  const routes = new Hono();

  routes.get("/", async (c) => {
    const parsed = listQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidInputError(`query ${issue.path.join(".")}: ${issue.message}`);
    }
    return c.json(await executions.listExecutions(parsed.data as { limit: number; status?: ExecutionStatus }));
  });

  routes.get("/:id", async (c) => {
    const id = executionId(c);
    const summary = await executions.describeExecution(id);
    if (!summary) throw new NotFoundError(`execution ${id} does not exist`);
    return c.json(summary);
  });

  routes.get("/:id/declaration", async (c) => {
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
  routes.get("/:id/review-document", async (c) => {
    const id = executionId(c);
    const result = await executions.reviewDocument(id);
    if (!result) throw new NotFoundError(`execution ${id} does not exist`);
    if (!result.json)
      throw new DeclarationNotReadyError(
        `execution ${id} is ${result.status}; the review document exists once Reinject has run (waiting in AttorneyReview or SUCCEEDED)`,
      );
    c.header("cache-control", "no-store");
    c.header("x-content-type-options", "nosniff");
    return c.body(new Uint8Array(result.json), 200, { "content-type": "application/json; charset=utf-8" });
  });

  return routes;
}
