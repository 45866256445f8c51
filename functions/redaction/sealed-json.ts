/**
 * JSON blobs that hold case text before redaction (the extracted pages), sealed the way
 * the PII vault is (a KMS envelope in AWS, the local key file locally): outside the
 * uploaded documents themselves, nothing in the store holds a client's identity in clear.
 */
import type { BlobStore } from "../../core/blob-store.ts";
import { readVault, writeVault } from "./vault.ts";

const entry = "json";

export async function putSealedJson(store: BlobStore, key: string, value: unknown, options: { caseId: string; state: string }): Promise<void> {
  await writeVault(store, key, new Map([[entry, JSON.stringify(value)]]), options);
}

export async function getSealedJson<T>(store: BlobStore, key: string, options: { caseId: string; state: string }): Promise<T> {
  const opened = await readVault(store, key, options);
  return JSON.parse(opened.get(entry) ?? "null") as T;
}
