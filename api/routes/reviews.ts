/**
 * `/executions/:id/review`: the attorney's decision on an execution waiting in AttorneyReview.
 * The reviewer is the authenticated caller (a named token's holder locally, the IAM principal
 * in AWS); a `reviewer` in the body is ignored, never recorded. The decision names the round
 * it answers (another round: 409 Affiant.ReviewRoundMismatch).
 */
import { Hono } from "hono";
import { z } from "zod";
import { InvalidInputError, UnsupportedMediaTypeError } from "../../core/errors.ts";
import { log } from "../../core/log.ts";
import { maxOverrideReasonChars } from "../../core/review.ts";
import { requireCaller } from "../auth.ts";
import type { Executions } from "../executions.ts";
import { executionId } from "./executions.ts";

/**
 * The attorney's decision. Notes are text, or per paragraph ({element: note}); their size
 * (maxReviewNotesBytes), the round and the override rule are checked where every caller's are
 * (core/review.ts), so the API, the viewer and the CLI refuse the same things alike.
 */
const reviewBodySchema = z.object({
  decision: z.string().max(40),
  round: z.number().int().min(0).max(1000).optional(),
  notes: z.union([z.string(), z.record(z.string().max(80), z.string())]).optional(),
  /** Facts from the client ("changes" only): an interview source the next round may cite. */
  facts: z.string({ error: "facts: the facts from the client, as text" }).optional(),
  overrideReason: z
    .string()
    .max(maxOverrideReasonChars * 2)
    .optional(),
  // Accepted and ignored (older clients send it): who decides is who is authenticated.
  reviewer: z.unknown().optional(),
  via: z.enum(["api", "viewer"]).optional(),
});

/** Mounted at `/executions`. */
export function reviewRoutes(executions: Executions): Hono {
  const reviews = new Hono();

  reviews.post("/:id/review", async (c) => {
    const id = executionId(c);
    const reviewer = requireCaller(c, "a review decision");
    if (!(c.req.header("content-type") ?? "").startsWith("application/json"))
      throw new UnsupportedMediaTypeError("a review decision is application/json");
    const raw = await c.req.json().catch(() => {
      throw new InvalidInputError("the body is not valid JSON");
    });
    const parsed = reviewBodySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidInputError(`${issue.path.join(".") || "(body)"}: ${issue.message}`);
    }
    const { decision, round, notes, facts, overrideReason, via } = parsed.data;
    // Per-paragraph notes ({element: note}) become one note per line, named by element.
    const text =
      typeof notes === "string" || notes === undefined
        ? notes
        : Object.entries(notes)
            .map(([element, note]) => `${element}: ${note}`)
            .join("\n");
    const recorded = await executions.review(id, {
      decision,
      round,
      notes: text,
      ...(facts !== undefined ? { facts } : {}),
      overrideReason,
      reviewer,
      via: via ?? "api",
    });
    log("info", "api.review", { execution: id, decision, round: recorded.round });
    return c.json({ executionId: id, decision, round: recorded.round, decisionId: recorded.decisionId, reviewer, status: "RUNNING" }, 202);
  });

  return reviews;
}
