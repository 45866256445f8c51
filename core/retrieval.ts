/**
 * Chunks of the redacted case and retrieval over them: BM25 (minisearch) and, when the
 * index has vectors, exact cosine over every chunk, fused by reciprocal rank. A case's
 * index is small, so it is stored whole and searched exactly. Every chunk keeps its
 * document and page, so a fact or a paragraph can cite where it came from.
 */
import MiniSearch from "minisearch";
import type { BlobStore } from "./blob-store.ts";
import type { DocumentRole, SourceDocument } from "./case-documents.ts";
import type { CaseType } from "./case-file.ts";
import { type LegalElement, legalElements } from "./legal-elements.ts";
import type { CaseLanguage } from "./translation.ts";
import { decodeVectors, dot } from "./vectors.ts";

export interface Chunk {
  id: string;
  file: string;
  page: number;
  text: string;
  /** Set for a source that is not an exhibit: work product, or an interview (the declarant's own account). */
  role?: Exclude<DocumentRole, "exhibit">;
  /** Set for facts from the client the attorney wrote in a review: the round they were given in (ranked first). */
  round?: number;
}

export interface ChunkOptions {
  /** Target characters per chunk. Default: 700. */
  size?: number;
  /** Characters repeated from the previous chunk of the same page. Default: 120. */
  overlap?: number;
}

/** Splits each page on paragraph and sentence bounds; a chunk never spans two pages. */
export function chunkPages(
  documents: Array<{ file: string; role?: DocumentRole; round?: number; pages: Array<{ page: number; text: string }> }>,
  options: ChunkOptions = {},
): Chunk[] {
  const size = options.size ?? 700;
  const overlap = options.overlap ?? 120;
  const chunks: Chunk[] = [];
  for (const doc of documents) {
    for (const page of doc.pages) {
      const sentences = page.text
        .split(/(?<=[.!?])\s+|\n{2,}|\n/)
        .map((s) => s.trim())
        .filter(Boolean);
      let current = "";
      // Whether `current` holds a sentence not yet in any chunk (not only the overlap tail).
      let fresh = false;
      let n = 0;
      const flush = () => {
        chunks.push({
          id: `${doc.file}#p${page.page}-${++n}`,
          file: doc.file,
          page: page.page,
          text: current,
          ...(doc.role && doc.role !== "exhibit" ? { role: doc.role } : {}),
          ...(doc.round !== undefined ? { round: doc.round } : {}),
        });
        current = current.length > overlap ? current.slice(current.length - overlap).replace(/^\S*\s/, "") : current;
        fresh = false;
      };
      for (const s of sentences) {
        if (fresh && current.length + s.length + 1 > size) flush();
        current = current ? `${current} ${s}` : s;
        fresh = true;
      }
      if (fresh) flush();
    }
  }
  return chunks;
}

const searchOptions = { fields: ["text"], storeFields: ["file", "page", "text"] };

export function buildSearchIndex(chunks: Chunk[]): MiniSearch<Chunk> {
  const index = new MiniSearch<Chunk>(searchOptions);
  index.addAll(chunks);
  return index;
}

/** What Index stored about the chunks' vectors (the vectors are a blob of their own). */
export interface IndexEmbedding {
  provider: "local" | "bedrock";
  model: string;
  dimensions: number;
  /** float32 rows (core/vectors.ts): one per chunk in `chunks` order, then one per query. */
  vectorsKey: string;
  /**
   * The retrieval queries of the case type (query text → row after the chunks), embedded
   * at index time so the GPU worker never loads a second model to embed them.
   */
  queries: Record<string, number>;
  /** Reciprocal-rank fusion constant. */
  rrfK: number;
  /** Chunks longer than the model's window: embedded in parts and averaged (ids and counts). */
  split: Array<{ chunk: string; tokens: number; parts: number }>;
}

export interface StoredIndex {
  chunks: Chunk[];
  /** The case's language, which chose the retrieval queries (absent: English). */
  language?: CaseLanguage;
  embedding?: IndexEmbedding;
  /** Why the index has no vectors, when it has none. */
  embeddingSkipped?: string;
  /** The case's sources in the case's order, each with its role and language (absent in indexes made before roles). */
  documents?: SourceDocument[];
}

/** An element's retrieval query: its English words, and its Spanish ones for a case in Spanish. */
export function elementQuery(element: LegalElement, language: CaseLanguage = "en"): string {
  return language === "es" ? `${element.query} ${element.queryEs}` : element.query;
}

/** The query that gathers sources for fact extraction: every element's words (the case's variant's elements). */
export function factsQuery(caseType: CaseType, language: CaseLanguage = "en", elements: LegalElement[] = legalElements[caseType]): string {
  return elements.map((e) => elementQuery(e, language)).join(" ");
}

/**
 * Every query the worker ranks chunks by for a case type and language (its variant's elements;
 * the case type's default variant's when not given), known before any model runs.
 */
export function retrievalQueries(
  caseType: CaseType,
  language: CaseLanguage = "en",
  elements: LegalElement[] = legalElements[caseType],
): string[] {
  return [...new Set([factsQuery(caseType, language, elements), ...elements.map((e) => elementQuery(e, language))])];
}

export interface IndexVectors {
  /** One unit vector per chunk, in `chunks` order. */
  chunks: Float32Array[];
  queries: Map<string, Float32Array>;
}

export async function loadIndexVectors(store: BlobStore, stored: StoredIndex): Promise<IndexVectors | undefined> {
  const e = stored.embedding;
  if (!e) return undefined;
  const queryRows = Object.entries(e.queries);
  const rows = decodeVectors(await store.get(e.vectorsKey), e.dimensions, stored.chunks.length + queryRows.length);
  return { chunks: rows.slice(0, stored.chunks.length), queries: new Map(queryRows.map(([q, r]) => [q, rows[stored.chunks.length + r]!])) };
}

/**
 * Reciprocal-rank fusion (Cormack et al.): score(d) = Σ over lists of 1 / (k + rank),
 * rank 1-based. Ranks, not scores, because BM25 scores are unbounded and scale with the
 * query while cosines sit in a model-specific band; ranks need no calibration. Ties keep
 * the order of `tieOrder` (document order), so the result is deterministic.
 */
export function fuseReciprocalRanks(lists: string[][], k: number, tieOrder: string[]): Array<{ id: string; score: number }> {
  const scores = new Map<string, number>();
  for (const list of lists) for (const [i, id] of list.entries()) scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1));
  const position = new Map(tieOrder.map((id, i) => [id, i]));
  return [...scores]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || (position.get(a.id) ?? Infinity) - (position.get(b.id) ?? Infinity));
}

export interface HybridOptions {
  /** One unit vector per chunk, in `chunks` order. */
  chunkVectors: Float32Array[];
  /** The query's unit vector; without it the ranking is BM25 alone. */
  queryVector?: Float32Array;
  /** Default: 60. */
  k?: number;
}

function bm25Ids(chunks: Chunk[], query: string): string[] {
  return buildSearchIndex(chunks)
    .search(query, { prefix: true, fuzzy: 0.1, combineWith: "OR" })
    .map((h) => String(h.id));
}

/** Every chunk by cosine to the query, best first; equal cosines in document order. */
export function vectorIds(chunks: Chunk[], chunkVectors: Float32Array[], queryVector: Float32Array): string[] {
  return chunks
    .map((c, i) => ({ id: c.id, i, sim: dot(chunkVectors[i]!, queryVector) }))
    .sort((a, b) => b.sim - a.sim || a.i - b.i)
    .map((x) => x.id);
}

/**
 * The chunks ranked for a query: with vectors, BM25 and cosine fused by reciprocal rank;
 * without, BM25 hits first. Chunks neither list ranks follow in document order. The facts from
 * the client the attorney wrote in a review come first whatever the query, the latest round's
 * first: they are short, chosen by the attorney for the next draft, and must be citable in every
 * paragraph (an interview that is a file of the case ranks by the query like any source).
 */
export function rankChunks(stored: StoredIndex, query: string, vectors?: HybridOptions): Chunk[] {
  const byId = new Map(stored.chunks.map((c) => [c.id, c]));
  const bm25 = bm25Ids(stored.chunks, query);
  const order = stored.chunks.map((c) => c.id);
  const ids =
    vectors?.queryVector !== undefined
      ? fuseReciprocalRanks([bm25, vectorIds(stored.chunks, vectors.chunkVectors, vectors.queryVector)], vectors.k ?? 60, order).map(
          (x) => x.id,
        )
      : bm25;
  const ranked = ids.map((id) => byId.get(id)).filter((c): c is Chunk => c !== undefined);
  const seen = new Set(ranked.map((c) => c.id));
  const all = [...ranked, ...stored.chunks.filter((c) => !seen.has(c.id))];
  const given = all.filter((c) => c.round !== undefined).sort((a, b) => b.round! - a.round!);
  return [...given, ...all.filter((c) => c.round === undefined)];
}
