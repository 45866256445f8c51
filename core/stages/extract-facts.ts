/**
 * ExtractFacts: the facts the sources state for each legal element of the case type, each
 * citing its chunk, as JSON (llama.cpp decodes under a grammar built from the schema).
 */
import { z } from "zod";
import { getJson, putJson } from "../blob-store.ts";
import { factsQuery } from "../retrieval.ts";
import { renderTemplate } from "./prompts.ts";
import { parseJson } from "./planning.ts";
import { gpuStageModule } from "./stage.ts";

export const factsOutputSchema = z.object({ facts: z.array(z.object({ element: z.string(), statement: z.string(), source: z.string() })) });
export type FactsOutput = z.infer<typeof factsOutputSchema>;

export const extractFacts = gpuStageModule({
  name: "ExtractFacts",
  templates: ["extract-facts"],
  reads: [],
  slot: "facts",
  phase: "prepare",
  outputSchema: factsOutputSchema,
  sample: {
    promptMarker: "Facts as JSON",
    answer: '```json\n{"facts":[{"element":"abuse","statement":"[PERSON_2] pushed [PERSON_1] against a wall","source":"[DOCUMENT_1]#p2-1"}]}\n```',
  },
  async plan(ctx) {
    const { input, elements } = ctx;
    const render = (roles: string) => (sources: string) => renderTemplate("extract-facts", { caseTypeName: ctx.caseTypeName, roles, elements: elements.map((e) => e.id).join(", "), sources });
    const roles = ctx.rolesFor((r) => render(r)(""), ctx.budgetFor(ctx.maxTokens));
    const { prompt, picked, omitted } = await ctx.fit(
      render(roles),
      ctx.rank(factsQuery(input.caseType, ctx.language, elements)),
      ctx.budgetFor(ctx.maxTokens),
    );
    // The grammar's schema is this case's: its elements, and only the chunks the prompt holds.
    const schema = {
      type: "object",
      properties: {
        facts: {
          type: "array",
          minItems: 1,
          maxItems: 3,
          items: {
            type: "object",
            properties: {
              element: { enum: elements.map((e) => e.id) },
              statement: { type: "string", maxLength: 60 },
              source: { enum: picked.length ? picked.map((c) => c.id) : ["none"] },
            },
          },
        },
      },
    };
    return {
      calls: [{ id: "facts", prompt, maxTokens: ctx.maxTokens, schema, chunksUsed: picked.length, chunksOmitted: omitted }],
      finish: async ([raw]) => {
        const facts = parseJson(ctx.stage, raw!, factsOutputSchema);
        const key = `${input.runKey}/facts.json`;
        await putJson(ctx.store, key, facts);
        return key;
      },
    };
  },
  readOutput: (store, key) => getJson<FactsOutput>(store, key),
});
