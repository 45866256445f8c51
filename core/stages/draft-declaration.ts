/** DraftDeclaration: the first draft, a paragraph per legal element from the extracted facts. */
import { renderTemplate } from "./prompts.ts";
import { paragraphOutputSchema, paragraphSample, planParagraphs } from "./paragraphs.ts";
import { readDraft } from "./planning.ts";
import { gpuStageModule } from "./stage.ts";
import { extractFacts } from "./extract-facts.ts";

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
    return planParagraphs(ctx, {
      round: 0,
      render: (element, sources) => {
        const elementFacts = facts.facts.filter((f) => f.element === element.id).map((f) => `- ${f.statement} [${f.source}]`).join("\n") || "- (none extracted)";
        return renderTemplate("draft-paragraph", { caseTypeName: ctx.caseTypeName, element: element.title, roles: ctx.roles, facts: elementFacts, sources });
      },
    });
  },
  readOutput: readDraft,
});
