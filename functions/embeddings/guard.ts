/**
 * Texts sent to Bedrock for embedding pass the same privacy guard as hosted prompts: the
 * chunks and sentences are redacted, and the guard makes sure no vault value slipped by.
 */
import type { BlobStore } from "../../core/blob-store.ts";
import type { PipelineState } from "../../core/pipeline-state.ts";
import { readGuard } from "../redaction/privacy-guard.ts";

export async function embeddingGuard(store: BlobStore, state: PipelineState, stateName: string): Promise<(text: string) => void> {
  const guard = await readGuard(store, state.caseId, state.executionName, stateName);
  return (text) => guard.check(stateName, text);
}
