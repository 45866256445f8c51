/**
 * The declaration, one model call per paragraph: DraftDeclaration writes each paragraph of the
 * story (an incident or period, core/story.ts) from its facts, GuardrailsRewrite rewrites each
 * with the judges' reasons. A paragraph's prompt ranks first the chunks its facts cite, then the
 * chunks the queries of the elements it supports find (fused by reciprocal rank). Each
 * answer is JSON, a list of sentences each citing the chunk ids it rests on (llama.cpp
 * decodes under a grammar whose `sources` enum is exactly the ids in that call's prompt;
 * hosted fallbacks get the schema and are checked after). Both store a Draft
 * (draft-<round>.json and its redacted Markdown).
 */
import { z } from "zod";
import { putJson } from "../blob-store.ts";
import { type Draft, type DraftParagraph, renderDeclaration } from "../declaration.ts";
import { CitationOutsidePromptError } from "../errors.ts";
import { type Chunk, fuseReciprocalRanks } from "../retrieval.ts";
import { type PlanContext, parseJson, type StageJob } from "./plan-context.ts";

/** One paragraph to write: its key, heading and the elements it supports, and the chunks its prompt puts first. */
export interface ParagraphSpec {
  /** The draft paragraph's key ({@link DraftParagraph.element}). */
  key: string;
  title: string;
  /** Element ids, the checklist's order. */
  supports: string[];
  period?: string;
  undatedFacts?: number;
  /** Chunk ids placed first in the prompt, in this order (the sources its facts cite); the ranked rest follow. */
  cites: string[];
}

export interface ParagraphPlan {
  /** The paragraph's prompt, given the sources that fit. */
  render(paragraph: ParagraphSpec, sources: string): string;
  /** The draft's round: 0 for the first draft, one more per rewrite. */
  round: number;
  /** The paragraphs, in the draft's order. */
  paragraphs: ParagraphSpec[];
  /** A paragraph to keep as it is (no model call; copied byte for byte), or undefined to write it. */
  keep?(paragraph: ParagraphSpec): DraftParagraph | undefined;
}

/** A paragraph written for one element alone (no fact placed it in the story; drafts made before the story). */
export const elementParagraph = (e: { id: string; title: string }): ParagraphSpec => ({
  key: e.id,
  title: e.title,
  supports: [e.id],
  cites: [],
});

/** Reciprocal-rank constant for fusing the rankings of a paragraph's elements (the usual 60). */
const fusionK = 60;

/**
 * The chunks for a paragraph's prompt, best first: the ones it cites, then those its elements'
 * queries rank (one element: that ranking as it is; several: fused by reciprocal rank).
 */
export function rankForParagraph(ctx: Pick<PlanContext, "index" | "elements" | "rank" | "queryFor">, spec: ParagraphSpec): Chunk[] {
  const byId = new Map(ctx.index.chunks.map((c) => [c.id, c]));
  const elements = ctx.elements.filter((e) => spec.supports.includes(e.id));
  const lists = elements.map((e) => ctx.rank(ctx.queryFor(e)));
  const ranked =
    lists.length === 0
      ? ctx.index.chunks
      : lists.length === 1
        ? lists[0]!
        : fuseReciprocalRanks(
            lists.map((l) => l.map((c) => c.id)),
            fusionK,
            ctx.index.chunks.map((c) => c.id),
          ).map((x) => byId.get(x.id)!);
  const first = [...new Set(spec.cites)].flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
  const firstIds = new Set(first.map((c) => c.id));
  return [...first, ...ranked.filter((c) => !firstIds.has(c.id))];
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
export function paragraphFromOutput(stage: string, spec: ParagraphSpec, raw: string, picked: Chunk[]): DraftParagraph {
  const head = {
    element: spec.key,
    title: spec.title,
    supports: spec.supports,
    ...(spec.period !== undefined ? { period: spec.period } : {}),
    ...(spec.undatedFacts ? { undatedFacts: spec.undatedFacts } : {}),
  };
  const empty = { ...head, text: "", sources: [], citations: [], sentences: [] };
  // Nothing fit in the prompt: nothing can be cited, so nothing is said.
  if (picked.length === 0) return empty;
  const output = parseJson(stage, raw, paragraphOutputSchema);
  const byId = new Map(picked.map((c) => [c.id, c]));
  for (const [i, s] of output.sentences.entries()) {
    const outside = s.sources.filter((id) => !byId.has(id));
    // Ids only (redacted chunk ids), never the sentence's text.
    if (outside.length) {
      throw new CitationOutsidePromptError(
        `${stage}: ${spec.key} sentence ${i + 1} cites ${outside.join(", ")}, not among the ${picked.length} source(s) in its prompt`,
        { state: stage },
      );
    }
  }
  const sentences = output.sentences.map((s) => ({ text: s.text.replace(/\s+/g, " ").trim(), sources: [...new Set(s.sources)] }));
  const cited = picked.filter((c) => sentences.some((s) => s.sources.includes(c.id)));
  return {
    ...head,
    text: sentences.map((s) => s.text).join(" "),
    sources: cited.map((c) => c.id),
    citations: cited.map((c) => `${c.file} p.${c.page}`),
    sentences,
  };
}

export async function planParagraphs(ctx: PlanContext, how: ParagraphPlan): Promise<StageJob> {
  const { input } = ctx;
  const specs = how.paragraphs;
  const kept = new Map<string, DraftParagraph>();
  for (const spec of specs) {
    const paragraph = how.keep?.(spec);
    if (paragraph) kept.set(spec.key, paragraph);
  }
  const written = specs.filter((spec) => !kept.has(spec.key));
  // The stage's output budget shared by its paragraphs, but never less than one sentence's JSON.
  const perCall = Math.min(ctx.maxTokens, Math.max(minCallTokens, Math.floor(ctx.maxTokens / Math.max(1, written.length))));
  const plans: Array<{ spec: ParagraphSpec; prompt: string; picked: Chunk[]; omitted: number }> = [];
  for (const spec of written) {
    plans.push({
      spec,
      ...(await ctx.fit((sources) => how.render(spec, sources), rankForParagraph(ctx, spec), ctx.budgetFor(perCall))),
    });
  }
  return {
    calls: plans.map((p) => ({
      id: p.spec.key,
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
      const fresh = new Map(plans.map((p, i) => [p.spec.key, paragraphFromOutput(ctx.stage, p.spec, outputs[i] ?? "", p.picked)]));
      const draft: Draft = {
        caseType: input.caseType,
        round: how.round,
        paragraphs: specs.map((spec) => kept.get(spec.key) ?? fresh.get(spec.key)!),
      };
      const key = `${input.runKey}/draft-${how.round}.json`;
      await putJson(ctx.store, key, draft);
      await ctx.store.put(`${input.runKey}/draft-${how.round}.redacted.md`, renderDeclaration(draft));
      return key;
    },
  };
}
