/**
 * The declaration, one model call per legal element: DraftDeclaration writes each paragraph
 * from the extracted facts, GuardrailsRewrite rewrites each with the judges' reasons. Both
 * store a Draft (draft-<round>.json and its redacted Markdown).
 */
import { putJson } from "../blob-store.ts";
import { renderDeclaration, type Draft } from "../declaration.ts";
import type { LegalElement } from "../legal-elements.ts";
import type { Chunk } from "../retrieval.ts";
import { paragraphOf, type PlanContext, type StageJob } from "./planning.ts";

export interface ParagraphPlan {
  /** The paragraph's prompt, given the sources that fit. */
  render(element: LegalElement, sources: string): string;
  /** The draft's round: 0 for the first draft, one more per rewrite. */
  round: number;
}

export async function planParagraphs(ctx: PlanContext, how: ParagraphPlan): Promise<StageJob> {
  const { elements, input } = ctx;
  const perCall = Math.max(16, Math.floor(ctx.maxTokens / elements.length));
  const plans: Array<{ element: LegalElement; prompt: string; picked: Chunk[]; omitted: number }> = [];
  for (const element of elements) {
    plans.push({ element, ...(await ctx.fit((sources) => how.render(element, sources), ctx.rank(ctx.queryFor(element)), ctx.budgetFor(perCall))) });
  }
  return {
    calls: plans.map((p) => ({ id: p.element.id, prompt: p.prompt, maxTokens: perCall, chunksUsed: p.picked.length, chunksOmitted: p.omitted })),
    finish: async (outputs) => {
      const draft: Draft = {
        caseType: input.caseType,
        round: how.round,
        paragraphs: plans.map((p, i) => paragraphOf(p.element, outputs[i] ?? "", p.picked)),
      };
      const key = `${input.runKey}/draft-${how.round}.json`;
      await putJson(ctx.store, key, draft);
      await ctx.store.put(`${input.runKey}/draft-${how.round}.redacted.md`, renderDeclaration(draft));
      return key;
    },
  };
}
