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
import { maxOverrideReasonChars } from "../../core/review-limits.ts";
import { requireCaller } from "../auth.ts";
import type { Executions } from "../executions.ts";
import { executionId } from "./executions.ts";

/** A paragraph's number in the filing version (1 is the declarant's introduction). */
const paragraphNumber = z.number().int().min(1).max(10_000);

/**
 * One note of a list (checked on its own, so an error names the note and its field): aimed at
 * a paragraph, or without `paragraph`, on the whole draft.
 */
const paragraphNoteSchema = z.object({ paragraph: paragraphNumber.optional(), text: z.string().trim().min(1) }).strict();

/**
 * The attorney's decision: `{decision, round, notes?, facts?, lock?, overrideReason?}`. `notes` is text
 * on the whole draft, or a list of notes, each aimed at a paragraph by its number in the filing
 * version (`[{paragraph: 3, text: "…"}]`) or, without `paragraph`, on the whole draft: a
 * "changes" round whose notes name paragraphs rewrites only those. `lock` marks paragraphs
 * verified: never rewritten from this round on. `facts` ("changes" only) are facts from the
 * client, redacted into an interview source the next draft may cite. Sizes, the decision, the round, the override
 * rule and the paragraph numbers are checked where every caller's are (core/review.ts,
 * core/review-paragraphs.ts), so the API, the viewer and the CLI refuse the same things alike.
 */
const reviewBodySchema = z.object({
  decision: z.string().max(40),
  round: z.number().int().min(0).max(1000).optional(),
  notes: z.string().or(z.array(z.unknown()).max(500)).optional(),
  lock: z.array(paragraphNumber).max(500).optional(),
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
    const { decision, round, lock, facts, overrideReason, via } = parsed.data;
    const given = parsed.data.notes;
    const list =
      given === undefined || typeof given === "string"
        ? undefined
        : given.map((note, i) => {
            const checked = paragraphNoteSchema.safeParse(note);
            if (checked.success) return checked.data;
            const issue = checked.error.issues[0]!;
            throw new InvalidInputError(`notes[${i}]${issue.path.map((p) => `.${String(p)}`).join("")}: ${issue.message}`);
          });
    // The list's notes without a paragraph are notes on the whole draft; the others are aimed at their paragraph.
    const notes = typeof given === "string" ? given : list?.flatMap((n) => (n.paragraph === undefined ? [n.text] : [])).join("\n");
    const paragraphNotes = list?.flatMap((n) => (n.paragraph === undefined ? [] : [{ paragraph: n.paragraph, text: n.text }]));
    const recorded = await executions.review(id, {
      decision,
      round,
      ...(notes ? { notes } : {}),
      ...(paragraphNotes?.length ? { paragraphNotes } : {}),
      ...(lock ? { lock } : {}),
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
