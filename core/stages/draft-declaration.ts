/**
 * DraftDeclaration: the first draft, the story told in the order things happened: a paragraph
 * per incident or period of the extracted facts (core/story.ts), each carrying the legal
 * elements its facts support; then a paragraph for each element no fact placed in the story,
 * written from the sources its own query finds (its place in time unknown, so after the story).
 */

import type { LegalElement } from "../legal-elements.ts";
import { periodLabel, planStory, type StoryParagraph } from "../story.ts";
import { chronological, extractFacts } from "./extract-facts.ts";
import { elementParagraph, type ParagraphSpec, paragraphOutputSchema, paragraphSample, planParagraphs } from "./paragraphs.ts";
import { readDraft } from "./plan-context.ts";
import { renderTemplate } from "./prompts.ts";
import { gpuStageModule } from "./stage.ts";

/** A story paragraph as the paragraph planner writes it: keyed `story-<n>`, headed by its date or period, its facts' sources first. */
export const storySpec = (p: StoryParagraph): ParagraphSpec => ({
  key: p.key,
  title: periodLabel(p.period),
  supports: p.supports,
  period: p.period,
  undatedFacts: p.undatedFacts,
  cites: p.facts.map((f) => f.source),
});

/**
 * The draft's paragraphs: the story, then one paragraph per element it leaves out. The story
 * tells only facts that cite a chunk of the case (`sourceOrder` gives its place; undefined: not
 * in the index, as a model's "none" when no source fit its prompt): a fact that cites nothing
 * is no evidence to tell, and the review lists it among the facts to confirm. The story takes at
 * most as many paragraphs as the elements it supports (one model call each: the stage's budget
 * never holds more calls than a paragraph per element).
 */
export function draftParagraphs(
  facts: Array<{ element: string; statement: string; source: string; date: string }>,
  elements: LegalElement[],
  sourceOrder: (chunkId: string) => number | undefined,
): { story: StoryParagraph[]; paragraphs: ParagraphSpec[] } {
  const ids = elements.map((e) => e.id);
  const sourced = facts.filter((f) => sourceOrder(f.source) !== undefined);
  const withFacts = ids.filter((id) => sourced.some((f) => f.element === id));
  const story = withFacts.length
    ? planStory(sourced, { elements: ids, sourceOrder: (id) => sourceOrder(id)!, maxParagraphs: withFacts.length })
    : [];
  const supported = new Set(story.flatMap((p) => p.supports));
  return {
    story,
    paragraphs: [...story.map(storySpec), ...elements.filter((e) => !supported.has(e.id)).map(elementParagraph)],
  };
}

export const draftDeclaration = gpuStageModule({
  name: "DraftDeclaration",
  templates: ["draft-paragraph"],
  reads: ["facts"],
  slot: "draft",
  outputSchema: paragraphOutputSchema,
  sample: paragraphSample,
  phase: "prepare",
  async plan(ctx) {
    const facts = ctx.input.factsKey ? await extractFacts.readOutput(ctx.store, ctx.input.factsKey) : { facts: [] };
    const position = new Map(ctx.index.chunks.map((c, i) => [c.id, i]));
    const { story, paragraphs } = draftParagraphs(facts.facts, ctx.elements, (id) => position.get(id));
    const titles = new Map(ctx.elements.map((e) => [e.id, e.title]));
    const factLine = (f: { date: string; statement: string; source: string; element: string }) =>
      `- ${f.date}: ${f.statement} (${f.element}) [${f.source}]`;
    return planParagraphs(ctx, {
      round: 0,
      paragraphs,
      render: (spec, sources) => {
        const told = story.find((p) => p.key === spec.key);
        // A story paragraph's facts in its own order; an element's paragraph gets that element's facts by date (none, or it would be in the story).
        const lines = told ? told.facts.map(factLine) : chronological(facts.facts.filter((f) => f.element === spec.key)).map(factLine);
        return renderTemplate("draft-paragraph", {
          caseTypeName: ctx.caseTypeName,
          when: told ? periodLabel(told.period) : "(date not known)",
          elements: spec.supports.map((id) => titles.get(id) ?? id).join("; "),
          roles: ctx.roles,
          facts: lines.join("\n") || "- (none extracted)",
          sources,
        });
      },
    });
  },
  readOutput: readDraft,
});
