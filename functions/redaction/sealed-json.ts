/**
 * JSON blobs that hold case text before redaction (the extracted pages), sealed the way
 * the PII vault is (a KMS envelope in AWS, the local key file locally): outside the
 * uploaded documents themselves, nothing in the store holds a client's identity in clear.
 */
import type { BlobStore } from "../../core/blob-store.ts";
import { type SealedPurpose, sealedPurposes } from "./kms-envelope.ts";
import { readVault, writeVault } from "./vault.ts";

const entry = "json";

export interface SealedJsonOptions {
  caseId: string;
  state: string;
  /** What the blob is; KMS binds it, IAM names it. Default: the extracted (pre-redaction) text. */
  purpose?: SealedPurpose;
}

export async function putSealedJson(store: BlobStore, key: string, value: unknown, options: SealedJsonOptions): Promise<void> {
  await writeVault(store, key, new Map([[entry, JSON.stringify(value)]]), { purpose: sealedPurposes.extractedText, ...options });
}

export async function getSealedJson<T>(store: BlobStore, key: string, options: SealedJsonOptions): Promise<T> {
  const opened = await readVault(store, key, { purpose: sealedPurposes.extractedText, ...options });
  return JSON.parse(opened.get(entry) ?? "null") as T;
}
