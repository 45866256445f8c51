/**
 * What each GPU stage asks of its model: the prompts (built to fit the context budget by
 * choosing whole chunks, never cutting one), the JSON schema for structured stages, and
 * where the output goes. The model plumbing is in model-session.ts.
 */
import { z } from "zod";
import { getJson, putJson, type BlobStore } from "../blob-store.ts";
import type { Draft, DraftParagraph } from "../declaration.ts";
import { renderDeclaration } from "../declaration.ts";
import { InvalidModelOutputError } from "../errors.ts";
import { caseTypeNames, legalElements, type LegalElement } from "../legal-elements.ts";
import type { StageInput } from "../stage-input.ts";
import { factsQuery, loadIndexVectors, rankChunks, type Chunk, type StoredIndex } from "../retrieval.ts";
import { centroid } from "../vectors.ts";
import type { GpuStage } from "../state-names.ts";
import { renderTemplate } from "./prompts.ts";

export interface ModelCall {
  id: string;
  prompt: string;
  maxTokens: number;
  schema?: object;
  chunksUsed: number;
  chunksOmitted: number;
}

export interface StageJob {
  calls: ModelCall[];
  /** Validates and stores the outputs (in call order); returns the output blob key. */
  finish(outputs: string[]): Promise<string>;
}

export interface PlanOptions {
  stage: GpuStage;
  input: StageInput;
  store: BlobStore;
  countTokens: (text: string) => number;
  /** Largest prompt + output the model may be given (its trained context, less margin). */
  contextLimit: number;
  maxTokens: number;
  /**
   * Called as planning advances (every few chunks, and per legal element): planning a large
   * case is progress, not a stall, and the heartbeat and the lifeline must hear of it.
   */
  onProgress?: () => void;
}

/** Chunks counted between yields to the event loop (so heartbeats and timers run). */
const chunksPerYield = 32;
/** Chunks in a row that did not fit, after which the rest are not tried (the budget is full). */
const missesBeforeFull = 16;

export const judgeCriteria: Partial<Record<GpuStage, string>> = {
  JudgeFaithfulness: "faithfulness to the sources (no invented facts)",
  JudgeCoverage: "coverage of the legal elements the case type requires",
  JudgeTone: "consistency and a first-person, sober, credible tone",
};

export const judgeOutputSchema = z.object({ score: z.number().int().min(1).max(5), reasons: z.string() });
export type JudgeOutput = z.infer<typeof judgeOutputSchema>;

const factSchema = z.object({ facts: z.array(z.object({ element: z.string(), statement: z.string(), source: z.string() })) });
export type FactsOutput = z.infer<typeof factSchema>;

/**
 * Adds whole chunks, best first, while the prompt still fits; reports how many were left
 * out. Each chunk is tokenized once and the counts summed (re-tokenizing the whole prompt
 * per chunk made a 200-page case look like a stall); the sum is checked against the real
 * prompt once at the end. Stops when the budget is full, and yields to the event loop as it
 * goes. A prompt that cannot fit even with no chunks is left for the context check to refuse.
 */
async function fitSources(render: (sources: string) => string, ranked: Chunk[], budgetTokens: number, count: (t: string) => number, onProgress?: () => void) {
  const empty = render("(none)");
  // The template's own tokens (BOS, chat markers) come once per prompt, not once per chunk.
  const overhead = count("");
  let used = count(render(""));
  const picked: Chunk[] = [];
  let misses = 0;
  for (let i = 0; i < ranked.length && misses < missesBeforeFull && used < budgetTokens; i++) {
    if (i % chunksPerYield === 0) {
      await new Promise((r) => setImmediate(r));
      onProgress?.();
    }
    const chunk = ranked[i]!;
    // +1: the newline that joins it to the previous chunk.
    const cost = Math.max(1, count(formatChunks([chunk])) - overhead) + 1;
    if (used + cost > budgetTokens) {
      misses++;
      continue;
    }
    misses = 0;
    picked.push(chunk);
    used += cost;
  }
  // Token counts are not quite additive across chunk bounds: drop from the end until the real prompt fits.
  let prompt = picked.length ? render(formatChunks(picked)) : empty;
  while (picked.length && count(prompt) > budgetTokens) {
    picked.pop();
    prompt = picked.length ? render(formatChunks(picked)) : empty;
  }
  onProgress?.();
  return { prompt, picked, omitted: ranked.length - picked.length };
}

function formatChunks(chunks: Chunk[]): string {
  return chunks.map((c) => `[${c.id}] (${c.file} p.${c.page}) ${c.text}`).join("\n");
}

export async function planStage(opts: PlanOptions): Promise<StageJob> {
  const { stage, input, store } = opts;
  const index = await getJson<StoredIndex>(store, input.indexKey);
  const elements = legalElements[input.caseType];
  const caseTypeName = caseTypeNames[input.caseType];
  const budgetFor = (maxTokens: number) => opts.contextLimit - maxTokens;
  // Hybrid when Index stored vectors. Query vectors come from the index too (embedded
  // there), so this process loads only its own LLM, never an embedding model.
  const vectors = await loadIndexVectors(store, index);
  const rank = (query: string, queryVector?: Float32Array) =>
    rankChunks(index, query, vectors && { chunkVectors: vectors.chunks, queryVector: queryVector ?? vectors.queries.get(query), k: index.embedding!.rrfK });

  switch (stage) {
    case "ExtractFacts": {
      const query = factsQuery(input.caseType);
      const { prompt, picked, omitted } = await fitSources(
        (sources) => renderTemplate("extract-facts", { caseTypeName, elements: elements.map((e) => e.id).join(", "), sources }),
        rank(query),
        budgetFor(opts.maxTokens),
        opts.countTokens,
        opts.onProgress,
      );
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
        calls: [{ id: "facts", prompt, maxTokens: opts.maxTokens, schema, chunksUsed: picked.length, chunksOmitted: omitted }],
        finish: async ([raw]) => {
          const facts = parseJson(stage, raw!, factSchema);
          const key = `${input.runKey}/facts.json`;
          await putJson(store, key, facts);
          return key;
        },
      };
    }
    case "DraftDeclaration":
    case "GuardrailsRewrite": {
      const rewriting = stage === "GuardrailsRewrite";
      const facts = input.factsKey ? await getJson<FactsOutput>(store, input.factsKey) : { facts: [] };
      const previous = rewriting && input.draftKey ? await getJson<Draft>(store, input.draftKey) : undefined;
      const reasons = rewriting ? await judgeReasons(store, input.judgeKeys ?? []) : "";
      const perCall = Math.max(16, Math.floor(opts.maxTokens / elements.length));
      const plans: Array<{ element: LegalElement; prompt: string; picked: Chunk[]; omitted: number }> = [];
      for (const element of elements) {
        const paragraph = previous?.paragraphs.find((p) => p.element === element.id)?.text ?? "";
        const elementFacts = facts.facts.filter((f) => f.element === element.id).map((f) => `- ${f.statement} [${f.source}]`).join("\n") || "- (none extracted)";
        const render = (sources: string) =>
          rewriting
            ? renderTemplate("rewrite-paragraph", { element: element.title, reasons: reasons || "(none)", paragraph: paragraph || "(empty)", sources })
            : renderTemplate("draft-paragraph", { caseTypeName, element: element.title, facts: elementFacts, sources });
        plans.push({ element, ...(await fitSources(render, rank(element.query), budgetFor(perCall), opts.countTokens, opts.onProgress)) });
      }
      return {
        calls: plans.map((p) => ({ id: p.element.id, prompt: p.prompt, maxTokens: perCall, chunksUsed: p.picked.length, chunksOmitted: p.omitted })),
        finish: async (outputs) => {
          const round = rewriting ? input.round + 1 : 0;
          const draft: Draft = {
            caseType: input.caseType,
            round,
            paragraphs: plans.map((p, i) => paragraphOf(p.element, outputs[i] ?? "", p.picked)),
          };
          const key = `${input.runKey}/draft-${round}.json`;
          await putJson(store, key, draft);
          await store.put(`${input.runKey}/draft-${round}.redacted.md`, renderDeclaration(draft));
          return key;
        },
      };
    }
    case "JudgeFaithfulness":
    case "JudgeCoverage":
    case "JudgeTone": {
      if (!input.draftKey) throw new Error(`${stage} needs the draft (AFFIANT_DRAFT_KEY)`);
      const draft = await getJson<Draft>(store, input.draftKey);
      const draftText = draft.paragraphs.map((p) => `${p.title}: ${p.text}`).join("\n");
      // The draft itself was never embedded (that would need a second model here): the
      // vector side ranks by the centroid of the chunks the draft drew on.
      const position = new Map(index.chunks.map((c, i) => [c.id, i]));
      const cited = vectors && centroid([...new Set(draft.paragraphs.flatMap((p) => p.sources))].flatMap((id) => (position.has(id) ? [vectors.chunks[position.get(id)!]!] : [])));
      const { prompt, picked, omitted } = await fitSources(
        (sources) => renderTemplate("judge", { criterion: judgeCriteria[stage]!, draft: draftText, sources }),
        rank(draftText.slice(0, 2000), cited),
        budgetFor(opts.maxTokens),
        opts.countTokens,
        opts.onProgress,
      );
      const schema = {
        type: "object",
        properties: { score: { enum: [1, 2, 3, 4, 5] }, reasons: { type: "string", maxLength: 120 } },
      };
      return {
        calls: [{ id: "judge", prompt, maxTokens: opts.maxTokens, schema, chunksUsed: picked.length, chunksOmitted: omitted }],
        finish: async ([raw]) => {
          const verdict = parseJson(stage, raw!, judgeOutputSchema);
          const key = `${input.runKey}/judges/${stage}-r${input.round}.json`;
          await putJson(store, key, { criterion: judgeCriteria[stage], ...verdict });
          return key;
        },
      };
    }
  }
}

function paragraphOf(element: LegalElement, raw: string, sources: Chunk[]): DraftParagraph {
  return {
    element: element.id,
    title: element.title,
    text: tidyParagraph(raw),
    sources: sources.map((c) => c.id),
    citations: sources.map((c) => `${c.file} p.${c.page}`),
  };
}

/** Ends the paragraph on its last full sentence when the output budget cut it short. */
export function tidyParagraph(raw: string): string {
  const text = raw.replace(/\s+/g, " ").trim();
  const lastStop = Math.max(text.lastIndexOf(". "), text.lastIndexOf("! "), text.lastIndexOf("? "), /[.!?]$/.test(text) ? text.length - 1 : -1);
  return lastStop > 0 ? text.slice(0, lastStop + 1) : text;
}

async function judgeReasons(store: BlobStore, keys: string[]): Promise<string> {
  const reasons: string[] = [];
  for (const key of keys) reasons.push((await getJson<JudgeOutput>(store, key)).reasons);
  return reasons.join(" / ");
}

function parseJson<T>(stage: string, raw: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidModelOutputError(`${stage}: the model's output is not complete JSON (${raw.length} chars)`, { state: stage });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidModelOutputError(`${stage}: output does not match its schema at ${issue.path.join(".") || "(root)"}: ${issue.message}`, { state: stage });
  }
  return parsed.data;
}
