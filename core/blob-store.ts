/**
 * Blobs: everything too big or too private for the execution state. Keys look like S3
 * keys (`cases/<caseId>/documents/x.pdf`, `runs/<caseId>/<execution>/draft.md`); locally they
 * are files under `<AFFIANT_HOME>/blobs`, written atomically so a crash never leaves a
 * half-written blob that a later state would read as complete.
 */

import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { assertKey } from "./blob-key.ts";
import { config } from "./config.ts";
import { InvalidInputError } from "./errors.ts";
import { homePaths, privateDir, privateModes } from "./paths.ts";

export interface BlobStore {
  put(key: string, data: Uint8Array | string): Promise<void>;
  get(key: string): Promise<Buffer>;
  exists(key: string): Promise<boolean>;
  /** Keys directly or indirectly under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}

export { assertKey };

export class LocalBlobStore implements BlobStore {
  constructor(readonly root: string = homePaths.blobs()) {}

  private file(key: string): string {
    assertKey(key);
    return path.join(this.root, ...key.split("/"));
  }

  async put(key: string, data: Uint8Array | string): Promise<void> {
    const file = this.file(key);
    privateDir(path.dirname(file));
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, data, { mode: privateModes.file });
    renameSync(tmp, file);
  }

  async get(key: string): Promise<Buffer> {
    const file = this.file(key);
    if (!existsSync(file)) throw new InvalidInputError(`blob not found: ${key}`);
    return readFileSync(file);
  }

  async exists(key: string): Promise<boolean> {
    return existsSync(this.file(key));
  }

  async delete(key: string): Promise<void> {
    rmSync(this.file(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.file(prefix.replace(/\/+$/, ""));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
    const out: string[] = [];
    const walk = (d: string, rel: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.name.endsWith(".tmp")) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(path.join(d, e.name), r);
        else out.push(`${prefix.replace(/\/+$/, "")}/${r}`);
      }
    };
    walk(dir, "");
    return out.sort();
  }
}

/** The store for this process: S3 where `AFFIANT_BUCKET` is set (Lambda, ECS), else the folder. */
export async function openBlobStore(): Promise<BlobStore> {
  const { AFFIANT_BUCKET: bucket, AFFIANT_BUCKET_KMS_KEY_ID: kmsKeyId } = config();
  if (!bucket) return new LocalBlobStore();
  const { S3BlobStore } = await import("./s3-blob-store.ts");
  // The bucket's key, not the vault's (AFFIANT_KMS_KEY_ID): every reader of a blob needs
  // Decrypt on the key that wrote it, and only Reinject may decrypt the vault.
  return new S3BlobStore({ bucket, kmsKeyId });
}

/** The local folder store (the local engine and CLI always use it). */
export function blobStore(): BlobStore {
  return new LocalBlobStore();
}

export async function getJson<T>(store: BlobStore, key: string): Promise<T> {
  return JSON.parse((await store.get(key)).toString("utf8")) as T;
}

export async function putJson(store: BlobStore, key: string, value: unknown): Promise<void> {
  await store.put(key, JSON.stringify(value));
}
