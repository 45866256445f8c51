/**
 * What every stage's planning shares: the calls a stage asks of its model, the context its
 * planner gets (the case's index, ranked chunks, the token budget), fitting whole chunks into
 * a prompt (never cutting one), and checking a model's JSON against its schema. The stages
 * themselves are the modules beside this one (listed in index.ts).
 */
import type { z } from "zod";
import { type BlobStore, getJson } from "../blob-store.ts";
import type { Draft } from "../declaration.ts";
import { InvalidModelOutputError } from "../errors.ts";
import { caseElements, caseTypeNames, type LegalElement } from "../legal-elements.ts";
import { type Chunk, elementQuery, loadIndexVectors, rankChunks, type StoredIndex } from "../retrieval.ts";
import { legendText, type RoleLegend, rolesKey } from "../roles.ts";
import type { CaseLanguage } from "../translation.ts";
import type { StageInput } from "./task-env.ts";

export interface ModelCall {
  id: string;
  prompt: string;
  maxTokens: number;
  schema?: object;
  chunksUsed: number;
  chunksOmitted: number;
  /**
   * The answer is a list whose complete items each stand alone (facts): a model that repeats
   * itself, or reaches the token cap mid-item, keeps the items it completed before that
   * instead of failing the stage (containers/llama-worker/json-cut.ts). Default: false.
   */
  cutAtLastItem?: boolean;
}

export interface StageJob {
  calls: ModelCall[];
  /** Validates and stores the outputs (in call order); returns the output blob key. */
  finish(outputs: string[]): Promise<string>;
}

export interface PlanOptions {
  stage: string;
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

/** What a stage module's planner is given: the options, and the case's index read once. */
export interface PlanContext extends PlanOptions {
  index: StoredIndex;
  /** The chunk vectors and query vectors Index stored, when it embedded the case. */
  vectors: Awaited<ReturnType<typeof loadIndexVectors>>;
  elements: LegalElement[];
  caseTypeName: string;
  /** The case's language, as Index recorded it (it chose the embedded queries). */
  language: CaseLanguage;
  /** An element's retrieval query in this case's language (English, plus Spanish for "es"). */
  queryFor(element: LegalElement): string;
  /** Prompt tokens left when `maxTokens` are kept for the answer. */
  budgetFor(maxTokens: number): number;
  /** The index's chunks, best first for the query (hybrid when Index stored vectors). */
  rank(query: string, queryVector?: Float32Array): Chunk[];
  /** Who is who (Redact's role legend); absent for runs made before it existed. */
  legend: RoleLegend | undefined;
  /** The legend as every prompt carries it. */
  roles: string;
  /**
   * The legend for a prompt, unless it would leave no room for a single source (a tiny
   * model's context): then the prompt says it was left out rather than failing the stage.
   */
  rolesFor(render: (roles: string) => string, budgetTokens: number): string;
  /** Whole chunks into a prompt, best first, while it fits `budgetTokens` (see fitSources). */
  fit(render: (sources: string) => string, ranked: Chunk[], budgetTokens: number): ReturnType<typeof fitSources>;
}

export async function planContext(opts: PlanOptions): Promise<PlanContext> {
  const { input, store } = opts;
  const index = await getJson<StoredIndex>(store, input.indexKey);
  // Hybrid when Index stored vectors. Query vectors come from the index too (embedded
  // there), so this process loads only its own LLM, never an embedding model.
  const vectors = await loadIndexVectors(store, index);
  const legend = await loadLegend(store, input.runKey);
  const roles = legendText(legend);
  return {
    ...opts,
    index,
    vectors,
    legend,
    roles,
    rolesFor: (render, budgetTokens) =>
      opts.countTokens(render(roles)) + minSourceTokens <= budgetTokens ? roles : "(left out: no room in this model's context)",
    elements: (await caseElements(store, input.runKey, input.caseType)).elements,
    caseTypeName: caseTypeNames[input.caseType],
    language: index.language ?? "en",
    queryFor: (element) => elementQuery(element, index.language),
    budgetFor: (maxTokens) => opts.contextLimit - maxTokens,
    rank: (query, queryVector) =>
      rankChunks(
        index,
        query,
        vectors && { chunkVectors: vectors.chunks, queryVector: queryVector ?? vectors.queries.get(query), k: index.embedding!.rrfK },
      ),
    fit: (render, ranked, budgetTokens) => fitSources(render, ranked, budgetTokens, opts.countTokens, opts.onProgress),
  };
}

/** The role legend Redact wrote; absent for runs made before it existed. */
export async function loadLegend(store: BlobStore, runKey: string): Promise<RoleLegend | undefined> {
  return (await store.exists(rolesKey(runKey))) ? getJson<RoleLegend>(store, rolesKey(runKey)) : undefined;
}

/** Room a prompt must keep for sources before the role legend is added to it. */
const minSourceTokens = 48;
/** Chunks counted between yields to the event loop (so heartbeats and timers run). */
const chunksPerYield = 32;
/** Chunks in a row that did not fit, after which the rest are not tried (the budget is full). */
const missesBeforeFull = 16;

/**
 * Adds whole chunks, best first, while the prompt still fits; reports how many were left
 * out. Each chunk is tokenized once and the counts summed (re-tokenizing the whole prompt
 * per chunk made a 200-page case look like a stall); the sum is checked against the real
 * prompt once at the end. Stops when the budget is full, and yields to the event loop as it
 * goes. A prompt that cannot fit even with no chunks is left for the context check to refuse.
 */
export async function fitSources(
  render: (sources: string) => string,
  ranked: Chunk[],
  budgetTokens: number,
  count: (t: string) => number,
  onProgress?: () => void,
) {
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

/** What a prompt says of a source that is not an exhibit. */
const sourceKind = {
  interview: "interview: the declarant's own account",
  "work-product": "attorney's notes",
} as const;

function formatChunks(chunks: Chunk[]): string {
  return chunks.map((c) => `[${c.id}] (${c.file} p.${c.page}${c.role ? `, ${sourceKind[c.role]}` : ""}) ${c.text}`).join("\n");
}

/** Ends the paragraph on its last full sentence when the output budget cut it short. */
export function tidyParagraph(raw: string): string {
  const text = raw.replace(/\s+/g, " ").trim();
  const lastStop = Math.max(
    text.lastIndexOf(". "),
    text.lastIndexOf("! "),
    text.lastIndexOf("? "),
    /[.!?]$/.test(text) ? text.length - 1 : -1,
  );
  return lastStop > 0 ? text.slice(0, lastStop + 1) : text;
}

/** The draft a stage reads (DraftDeclaration's or GuardrailsRewrite's output). */
export const readDraft = (store: BlobStore, key: string): Promise<Draft> => getJson<Draft>(store, key);

/** Parses a structured stage's output and checks it against the stage's schema. */
export function parseJson<T>(stage: string, raw: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidModelOutputError(`${stage}: the model's output is not complete JSON (${raw.length} chars)`, { state: stage });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidModelOutputError(
      `${stage}: output does not match its schema at ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      { state: stage },
    );
  }
  return parsed.data;
}
