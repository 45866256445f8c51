/**
 * Index (Lambda): chunks the redacted text for retrieval. Embeddings join the BM25 index
 * when an embedding model is configured (issue #5); the chunks are the same either way.
 */
import { blobStore, getJson, openBlobStore, putJson, type BlobStore } from "../core/blob-store.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { chunkPages, type StoredIndex } from "../core/retrieval.ts";
import type { ExtractResult } from "./extract-documents.ts";
import { withTelemetry } from "../core/telemetry.ts";

export interface IndexEvent {
  state: PipelineState;
}

export async function buildIndex(event: IndexEvent, store: BlobStore = blobStore()): Promise<{ indexKey: string; chunkCount: number }> {
  const { state } = event;
  if (!state.redact) throw new Error("Index needs the Redact state's output ($.redact)");
  const redacted = await getJson<ExtractResult>(store, state.redact.redactedKey);
  const chunks = chunkPages(redacted.documents);
  const indexKey = `${state.runKey}/index.json`;
  await putJson(store, indexKey, { chunks } satisfies StoredIndex);
  log("info", "index.done", { caseId: state.caseId, execution: state.executionName, chunks: chunks.length });
  return { indexKey, chunkCount: chunks.length };
}

export const handler = withTelemetry("Index", async (event: IndexEvent) => buildIndex(event, await openBlobStore()));
