/** DraftDeclaration: the first draft, a paragraph per legal element from the extracted facts. */

import { chronological, extractFacts } from "./extract-facts.ts";
import { paragraphOutputSchema, paragraphSample, planParagraphs } from "./paragraphs.ts";
import { readDraft } from "./plan-context.ts";
import { renderTemplate } from "./prompts.ts";
import { gpuStageModule } from "./stage.ts";

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
    const ordered = chronological(facts.facts);
    // Paragraphs in the order things happened: by each element's earliest dated fact, undated last
    // (the checklist's order among equals).
    const first = (id: string) => ordered.find((f) => f.element === id && f.date !== "unknown")?.date ?? "~";
    const elements = [...ctx.elements]
      .map((e, i) => ({ e, i }))
      .sort((a, b) => (first(a.e.id) < first(b.e.id) ? -1 : first(a.e.id) > first(b.e.id) ? 1 : a.i - b.i))
      .map((x) => x.e);
    return planParagraphs(ctx, {
      round: 0,
      elements,
      render: (element, sources) => {
        const elementFacts =
          ordered
            .filter((f) => f.element === element.id)
            .map((f) => `- ${f.date}: ${f.statement} [${f.source}]`)
            .join("\n") || "- (none extracted)";
        return renderTemplate("draft-paragraph", {
          caseTypeName: ctx.caseTypeName,
          element: element.title,
          roles: ctx.roles,
          facts: elementFacts,
          sources,
        });
      },
    });
  },
  readOutput: readDraft,
});
