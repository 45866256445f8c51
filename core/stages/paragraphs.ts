/**
 * The declaration, one model call per legal element: DraftDeclaration writes each paragraph
 * from the extracted facts, GuardrailsRewrite rewrites each with the judges' reasons. Each
 * answer is JSON, a list of sentences each citing the chunk ids it rests on (llama.cpp
 * decodes under a grammar whose `sources` enum is exactly the ids in that call's prompt;
 * hosted fallbacks get the schema and are checked after). Both store a Draft
 * (draft-<round>.json and its redacted Markdown).
 */
import { z } from "zod";
import { putJson } from "../blob-store.ts";
import { type Draft, type DraftParagraph, renderDeclaration } from "../declaration.ts";
import { CitationOutsidePromptError } from "../errors.ts";
import type { LegalElement } from "../legal-elements.ts";
import type { Chunk } from "../retrieval.ts";
import { type PlanContext, parseJson, type StageJob } from "./plan-context.ts";

export interface ParagraphPlan {
  /** The paragraph's prompt, given the sources that fit. */
  render(element: LegalElement, sources: string): string;
  /** The draft's round: 0 for the first draft, one more per rewrite. */
  round: number;
  /** The paragraphs' order (the case's elements, in the order they happened); default: the checklist's. */
  elements?: LegalElement[];
  /** A paragraph to keep as it is (no model call; copied byte for byte), or undefined to write it. */
  keep?(element: LegalElement): DraftParagraph | undefined;
}

/** A paragraph as the model answers it: sentences, each citing one or more chunk ids. */
export const paragraphOutputSchema = z.object({
  sentences: z.array(z.object({ text: z.string().trim().min(1), sources: z.array(z.string()).min(1) })).min(1),
});
export type ParagraphOutput = z.infer<typeof paragraphOutputSchema>;

/** The prompts' closing phrase (the stand-in hosted models recognise it). */
export const paragraphPromptMarker = "Paragraph as JSON";

/**
 * The stand-in hosted models' answer (not a model): two sentences citing the first source in
 * the prompt, or "none" when it holds none.
 */
export const paragraphSample = {
  promptMarker: paragraphPromptMarker,
  answer: (prompt: string): string => {
    const id = /^\[(.+?)\] \(/m.exec(prompt.slice(prompt.lastIndexOf("Sources:")))?.[1] ?? "none";
    return JSON.stringify({
      sentences: [
        { text: "I, [PERSON_1], remember this clearly.", sources: [id] },
        { text: "It happened as the records say.", sources: [id] },
      ],
    });
  },
};

/**
 * Longest sentence the grammar lets a model write, in characters: 160, less for a call whose
 * output budget is small (a small model's whole draft must still fit in its judges' prompts).
 */
const sentenceChars = (maxTokens: number) => Math.max(24, Math.min(160, maxTokens - 96));
/** Output tokens a paragraph call needs at least (one short grammar-bound sentence and its ids). */
const minCallTokens = 120;
/** Output tokens one sentence may take, JSON and ids included: the sentence cap follows the budget. */
const tokensPerSentence = 130;

/** The grammar's schema for one call: `sources` may only name the chunks that call's prompt holds. */
export function paragraphSchema(ids: string[], maxTokens: number): object {
  return {
    type: "object",
    properties: {
      sentences: {
        type: "array",
        minItems: 1,
        maxItems: Math.max(1, Math.min(8, Math.floor(maxTokens / tokensPerSentence))),
        items: {
          type: "object",
          properties: {
            text: { type: "string", maxLength: sentenceChars(maxTokens) },
            // No chunk fits: "none" keeps the grammar valid, and the paragraph is left empty.
            sources: {
              type: "array",
              minItems: 1,
              maxItems: Math.max(1, Math.min(3, ids.length)),
              items: { enum: ids.length ? ids : ["none"] },
            },
          },
        },
      },
    },
  };
}

/**
 * A paragraph from the model's JSON: each sentence keeps the ids it cites, and a chunk id
 * that was not in the prompt is an error naming the sentence (never silently accepted). The
 * citation line lists only the chunks the sentences cite.
 */
export function paragraphFromOutput(stage: string, element: LegalElement, raw: string, picked: Chunk[]): DraftParagraph {
  const empty = { element: element.id, title: element.title, text: "", sources: [], citations: [], sentences: [] };
  // Nothing fit in the prompt: nothing can be cited, so nothing is said.
  if (picked.length === 0) return empty;
  const output = parseJson(stage, raw, paragraphOutputSchema);
  const byId = new Map(picked.map((c) => [c.id, c]));
  for (const [i, s] of output.sentences.entries()) {
    const outside = s.sources.filter((id) => !byId.has(id));
    // Ids only (redacted chunk ids), never the sentence's text.
    if (outside.length) {
      throw new CitationOutsidePromptError(
        `${stage}: ${element.id} sentence ${i + 1} cites ${outside.join(", ")}, not among the ${picked.length} source(s) in its prompt`,
        { state: stage },
      );
    }
  }
  const sentences = output.sentences.map((s) => ({ text: s.text.replace(/\s+/g, " ").trim(), sources: [...new Set(s.sources)] }));
  const cited = picked.filter((c) => sentences.some((s) => s.sources.includes(c.id)));
  return {
    element: element.id,
    title: element.title,
    text: sentences.map((s) => s.text).join(" "),
    sources: cited.map((c) => c.id),
    citations: cited.map((c) => `${c.file} p.${c.page}`),
    sentences,
  };
}

export async function planParagraphs(ctx: PlanContext, how: ParagraphPlan): Promise<StageJob> {
  const { input } = ctx;
  const elements = how.elements ?? ctx.elements;
  const kept = new Map<string, DraftParagraph>();
  for (const e of elements) {
    const paragraph = how.keep?.(e);
    if (paragraph) kept.set(e.id, paragraph);
  }
  const written = elements.filter((e) => !kept.has(e.id));
  // The stage's output budget shared by its paragraphs, but never less than one sentence's JSON.
  const perCall = Math.min(ctx.maxTokens, Math.max(minCallTokens, Math.floor(ctx.maxTokens / Math.max(1, written.length))));
  const plans: Array<{ element: LegalElement; prompt: string; picked: Chunk[]; omitted: number }> = [];
  for (const element of written) {
    plans.push({
      element,
      ...(await ctx.fit((sources) => how.render(element, sources), ctx.rank(ctx.queryFor(element)), ctx.budgetFor(perCall))),
    });
  }
  return {
    calls: plans.map((p) => ({
      id: p.element.id,
      prompt: p.prompt,
      maxTokens: perCall,
      schema: paragraphSchema(
        p.picked.map((c) => c.id),
        perCall,
      ),
      chunksUsed: p.picked.length,
      chunksOmitted: p.omitted,
    })),
    finish: async (outputs) => {
      const fresh = new Map(plans.map((p, i) => [p.element.id, paragraphFromOutput(ctx.stage, p.element, outputs[i] ?? "", p.picked)]));
      const draft: Draft = {
        caseType: input.caseType,
        round: how.round,
        paragraphs: elements.map((e) => kept.get(e.id) ?? fresh.get(e.id)!),
      };
      const key = `${input.runKey}/draft-${how.round}.json`;
      await putJson(ctx.store, key, draft);
      await ctx.store.put(`${input.runKey}/draft-${how.round}.redacted.md`, renderDeclaration(draft));
      return key;
    },
  };
}
