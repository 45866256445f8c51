/**
 * The PII vault: placeholder → real value, encrypted at rest. Locally the key is a
 * 256-bit file under AFFIANT_HOME (created 0600 on first use); in AWS the same envelope is
 * sealed with the project's KMS key (issue #8). Only Reinject opens it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { BlobStore } from "../../core/blob-store.ts";
import { homePaths } from "../../core/paths.ts";
import { AffiantError } from "../../core/errors.ts";

const magic = "AFV1";

function localKey(file = homePaths.vaultKey()): Buffer {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
  }
  const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== 32) throw new AffiantError(`vault key ${file} is not a 256-bit base64 key`);
  return key;
}

export function sealVault(mapping: Map<string, string>, key: Buffer = localKey()): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(Object.fromEntries(mapping)), "utf8"), cipher.final()]);
  return Buffer.concat([Buffer.from(magic), iv, cipher.getAuthTag(), body]);
}

export function openVault(sealed: Buffer, key: Buffer = localKey()): Map<string, string> {
  if (sealed.subarray(0, 4).toString() !== magic) throw new AffiantError("vault blob has an unknown format");
  const iv = sealed.subarray(4, 16);
  const tag = sealed.subarray(16, 32);
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAuthTag(tag);
  const json = Buffer.concat([decipher.update(sealed.subarray(32)), decipher.final()]).toString("utf8");
  return new Map(Object.entries(JSON.parse(json) as Record<string, string>));
}

export async function writeVault(store: BlobStore, key: string, mapping: Map<string, string>): Promise<void> {
  await store.put(key, sealVault(mapping));
}

export async function readVault(store: BlobStore, key: string): Promise<Map<string, string>> {
  return openVault(await store.get(key));
}
