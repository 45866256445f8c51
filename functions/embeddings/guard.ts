/**
 * Texts sent to Bedrock for embedding pass the same privacy guard as hosted prompts: the
 * chunks and sentences are redacted, and the guard makes sure no vault value slipped by.
 */
import type { BlobStore } from "../../core/blob-store.ts";
import { caseKeys } from "../../core/case-file.ts";
import type { PipelineState } from "../../core/pipeline-state.ts";
import { privacyGuard } from "../providers/privacy-guard.ts";
import { readVault } from "../redaction/vault.ts";

export async function embeddingGuard(store: BlobStore, state: PipelineState, stateName: string): Promise<(text: string) => void> {
  const guard = privacyGuard(await readVault(store, caseKeys.vault(state.caseId, state.executionName)));
  return (text) => guard.check(stateName, text);
}
