/**
 * ExtractFacts: the facts the sources state for each legal element of the case type, each
 * citing its chunk and dated as the sources date it (a day, a month, a year, or a period
 * start/end), as JSON (llama.cpp decodes under a grammar built from the schema). The dates
 * order the declaration's story (core/story.ts).
 */
import { z } from "zod";
import { getJson, putJson } from "../blob-store.ts";
import { factsQuery } from "../retrieval.ts";
import { comparePeriods, isoDateOrPeriod } from "../story.ts";
import { parseJson } from "./plan-context.ts";
import { renderTemplate } from "./prompts.ts";
import { gpuStageModule } from "./stage.ts";

export const factsOutputSchema = z.object({
  facts: z.array(
    z.object({
      element: z.string(),
      statement: z.string(),
      source: z.string(),
      // Absent in facts stored before dates existed; a malformed date is kept as unknown, not trusted.
      date: z.string().default("unknown").transform(isoDateOrPeriod),
    }),
  ),
});

/** Output tokens one fact may take (element, statement, date, source id and the JSON around them). */
const tokensPerFact = 110;
/** Longest date the grammar lets a model write: a period of two full dates ("2018-01-05/2023-11-30"). */
const dateChars = 21;

/** Facts in the order things happened: by date (a period by its start), undated last, otherwise as extracted. */
export function chronological<T extends { date?: string }>(facts: T[]): T[] {
  const dated = (f: T) => f.date !== undefined && f.date !== "unknown";
  return facts
    .map((f, i) => ({ f, i }))
    .sort((a, b) => {
      if (dated(a.f) !== dated(b.f)) return dated(a.f) ? -1 : 1;
      return (dated(a.f) ? comparePeriods(a.f.date!, b.f.date!) : 0) || a.i - b.i;
    })
    .map((x) => x.f);
}
export type FactsOutput = z.infer<typeof factsOutputSchema>;

/** The facts without repeats (the same element, statement, date and source said again): a repeated fact is one fact. */
export function distinctFacts(output: FactsOutput): FactsOutput {
  const seen = new Set<string>();
  return {
    facts: output.facts.filter((f) => {
      const key = JSON.stringify([f.element, f.statement.trim(), f.date, f.source]);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
  };
}

export const extractFacts = gpuStageModule({
  name: "ExtractFacts",
  templates: ["extract-facts"],
  reads: [],
  slot: "facts",
  phase: "prepare",
  outputSchema: factsOutputSchema,
  sample: {
    promptMarker: "Facts as JSON",
    answer:
      '```json\n{"facts":[{"element":"abuse","statement":"[PERSON_2] pushed [PERSON_1] against a wall","source":"[DOCUMENT_1]#p2-1","date":"2021-03-14"}]}\n```',
  },
  async plan(ctx) {
    const { input, elements } = ctx;
    const render = (roles: string) => (sources: string) =>
      renderTemplate("extract-facts", { caseTypeName: ctx.caseTypeName, roles, elements: elements.map((e) => e.id).join(", "), sources });
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
          // As many as the output budget holds, at most a few per element.
          maxItems: Math.max(1, Math.min(elements.length * 4, Math.floor(ctx.maxTokens / tokensPerFact))),
          items: {
            type: "object",
            properties: {
              element: { enum: elements.map((e) => e.id) },
              statement: { type: "string", maxLength: 60 },
              date: { type: "string", maxLength: dateChars },
              source: { enum: picked.length ? picked.map((c) => c.id) : ["none"] },
            },
          },
        },
      },
    };
    return {
      // Each fact stands alone: a model that starts repeating its facts keeps those it completed.
      calls: [
        { id: "facts", prompt, maxTokens: ctx.maxTokens, schema, chunksUsed: picked.length, chunksOmitted: omitted, cutAtLastItem: true },
      ],
      finish: async ([raw]) => {
        const facts = distinctFacts(parseJson(ctx.stage, raw!, factsOutputSchema));
        const key = `${input.runKey}/facts.json`;
        await putJson(ctx.store, key, facts);
        return key;
      },
    };
  },
  readOutput: (store, key) => getJson<FactsOutput>(store, key),
});
