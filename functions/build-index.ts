/**
 * Index (Lambda): chunks the redacted text, embeds every chunk and the case type's
 * retrieval queries, and stores the BM25 chunks (index.json) next to their vectors
 * (index.vectors.f32). Without an embedder (AFFIANT_EMBEDDINGS=off, or a local model not
 * yet pulled where the registry allows it) the index is BM25 only and says why.
 */
import { type BlobStore, blobStore, getJson, openBlobStore, putJson } from "../core/blob-store.ts";
import type { SourceDocument } from "../core/case-documents.ts";
import { InvalidInputError } from "../core/errors.ts";
import { caseElements } from "../core/legal-elements.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { loadRegistry, type Registry } from "../core/registry.ts";
import { type Chunk, chunkPages, type IndexEmbedding, retrievalQueries, type StoredIndex } from "../core/retrieval.ts";
import { withTelemetry } from "../core/telemetry.ts";
import { encodeVectors } from "../core/vectors.ts";
import { embeddingGuard } from "./embeddings/guard.ts";
import { type EmbeddingsMode, embeddingsMode, type OpenedEmbedder, openEmbedder } from "./embeddings/open.ts";
import type { ExtractResult } from "./extract-documents.ts";

export interface IndexEvent {
  state: PipelineState;
  /**
   * The redacted documents to index, when not Redact's: IndexInterview passes the set
   * AttorneyNotes wrote with the client's facts added as an interview, and gets an index of its
   * own (the earlier rounds' index stays as their review documents cite it).
   */
  redactedKey?: string;
}

export interface IndexOptions {
  /** Default: the registry in force. */
  registry?: Registry;
  /** Default: AFFIANT_EMBEDDINGS (see embeddings/open.ts). */
  mode?: EmbeddingsMode;
}

export async function buildIndex(
  event: IndexEvent,
  store: BlobStore = blobStore(),
  options: IndexOptions = {},
): Promise<{ indexKey: string; chunkCount: number }> {
  const { state } = event;
  if (!state.redact) throw new InvalidInputError("Index needs the Redact state's output ($.redact)", { state: "Index" });
  const redacted = await getJson<ExtractResult>(store, event.redactedKey ?? state.redact.redactedKey);
  const chunks = chunkPages(redacted.documents);
  const indexKey = event.redactedKey ? `${state.runKey}/index-r${state.rewrites.n}.json` : `${state.runKey}/index.json`;
  const stored: StoredIndex = {
    chunks,
    ...(state.language === "es" ? { language: state.language } : {}),
    documents: sourceDocuments(redacted),
  };
  const ids = { caseId: state.caseId, execution: state.executionName };

  const mode = options.mode ?? embeddingsMode();
  const guard = mode === "bedrock" ? await embeddingGuard(store, state, "Index") : undefined;
  const choice = chunks.length ? await openEmbedder(options.registry ?? loadRegistry(), { mode, guard }) : { skipped: "no chunks" };
  if ("skipped" in choice) {
    stored.embeddingSkipped = choice.skipped;
    log("warn", "index.embeddings_skipped", { ...ids, reason: choice.skipped });
  } else {
    stored.embedding = await embedIndex(choice, chunks, state, store, indexKey);
  }
  await putJson(store, indexKey, stored);
  log("info", "index.done", {
    ...ids,
    chunks: chunks.length,
    embedded: Boolean(stored.embedding),
    dimensions: stored.embedding?.dimensions,
    split: stored.embedding?.split.length,
  });
  return { indexKey, chunkCount: chunks.length };
}

/** The redacted documents as sources: placeholder names, roles (absent: exhibit) and languages (absent: English). */
export function sourceDocuments(redacted: ExtractResult): SourceDocument[] {
  return redacted.documents.map((d) => ({
    file: d.file,
    role: d.role ?? "exhibit",
    language: d.language ?? "en",
    ...(d.round !== undefined ? { round: d.round } : {}),
  }));
}

async function embedIndex(
  opened: OpenedEmbedder,
  chunks: Chunk[],
  state: PipelineState,
  store: BlobStore,
  indexKey: string,
): Promise<IndexEmbedding> {
  const { embedder, documentPrefix, queryPrefix, config } = opened;
  // The case's variant's elements (Redact wrote them): their queries, in the case's language, are the ones ranked by.
  const queries = retrievalQueries(state.caseType, state.language, (await caseElements(store, state.runKey, state.caseType)).elements);
  const started = performance.now();
  try {
    const chunkVectors = await embedder.embed(chunks.map((c) => documentPrefix + c.text));
    const queryVectors = await embedder.embed(queries.map((q) => queryPrefix + q));
    const dimensions = chunkVectors[0]!.length;
    // Beside its index: an interview round's index has vectors of its own.
    const vectorsKey = indexKey.replace(/\.json$/, ".vectors.f32");
    await store.put(vectorsKey, encodeVectors([...chunkVectors, ...queryVectors], dimensions));
    const split = embedder.truncations.map((t) => ({
      chunk: t.call === 0 ? chunks[t.index]!.id : `query:${t.index}`,
      tokens: t.length,
      parts: t.parts,
    }));
    log("info", "index.embedded", {
      caseId: state.caseId,
      execution: state.executionName,
      provider: embedder.provider,
      model: embedder.model,
      texts: chunks.length + queries.length,
      dimensions,
      split: split.length,
      ms: Math.round(performance.now() - started),
    });
    return {
      provider: embedder.provider,
      model: embedder.model,
      dimensions,
      vectorsKey,
      queries: Object.fromEntries(queries.map((q, i) => [q, i])),
      rrfK: config.rrfK,
      split,
    };
  } finally {
    await embedder.dispose();
  }
}

export const handler = withTelemetry("Index", async (event: IndexEvent) => buildIndex(event, await openBlobStore()));
