/**
 * The PII vault: placeholder → real value, encrypted at rest with AES-256-GCM. Two seals:
 * - local (default): a 256-bit key file under AFFIANT_HOME (created 0600 on first use);
 * - KMS (when `AFFIANT_KMS_KEY_ID` is set): an envelope, a fresh data key per vault from
 *   KMS bound to the case (`kms-envelope.ts`), stored encrypted beside the ciphertext.
 * The blob's first four bytes say which, so a reader needs no setting to open either.
 * Only Reinject opens the vault; the same seal, under its own encryption-context purpose,
 * holds the extracted text (sealed-json.ts) and the privacy guard's keyed hashes.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { BlobStore } from "../../core/blob-store.ts";
import { config } from "../../core/config.ts";
import { AffiantError, VaultUnreadableError } from "../../core/errors.ts";
import { homePaths } from "../../core/paths.ts";
import {
  encryptionContext,
  type KmsEnvelopeOptions,
  type SealedPurpose,
  vaultPurpose,
  withNewDataKey,
  withStoredDataKey,
} from "./kms-envelope.ts";

const localMagic = "AFV1";
const kmsMagic = "AFK1";

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

/** iv | tag | ciphertext of the mapping's JSON; `aad` binds whatever must not be swapped. */
function encrypt(mapping: Map<string, string>, key: Buffer, aad?: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(JSON.stringify(Object.fromEntries(mapping)), "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function decrypt(sealed: Buffer, key: Buffer, state: string, aad?: Buffer): Map<string, string> {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    if (aad) decipher.setAAD(aad);
    const json = Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString("utf8");
    return new Map(Object.entries(JSON.parse(json) as Record<string, string>));
  } catch (err) {
    throw new VaultUnreadableError(
      `${state}: the vault does not authenticate (tampered, or sealed with another key)`,
      { state },
      { cause: err },
    );
  }
}

export function sealVault(mapping: Map<string, string>, key: Buffer = localKey()): Buffer {
  return Buffer.concat([Buffer.from(localMagic), encrypt(mapping, key)]);
}

export function openVault(sealed: Buffer, key: Buffer = localKey(), state = "Reinject"): Map<string, string> {
  if (sealed.subarray(0, 4).toString() !== localMagic)
    throw new VaultUnreadableError(`${state}: the vault blob is not a locally sealed vault`, { state });
  return decrypt(sealed.subarray(4), key, state);
}

export interface VaultOptions {
  /** The case the vault belongs to: KMS's encryption context. Default: from the key (`vault/<caseId>/…`). */
  caseId?: string;
  /** KMS settings. Default: KMS when `AFFIANT_KMS_KEY_ID` is set, else the local key file. */
  kms?: KmsEnvelopeOptions;
  /** State named in errors. Default: Redact when writing, Reinject when reading. */
  state?: string;
  /** What the blob is (KMS's encryption-context purpose). Default: the vault. */
  purpose?: SealedPurpose;
}

function caseIdOf(blobKey: string, options: VaultOptions): string {
  const caseId = options.caseId ?? /^vault\/([^/]+)\//.exec(blobKey)?.[1];
  if (!caseId) throw new VaultUnreadableError(`vault ${blobKey}: no case id for the encryption context`, { state: options.state });
  return caseId;
}

/** The KMS envelope's AAD: the data key and the context, so neither can be swapped under the body. */
function envelopeAad(encryptedKey: Buffer, caseId: string, purpose: SealedPurpose): Buffer {
  return Buffer.concat([Buffer.from(kmsMagic), encryptedKey, Buffer.from(JSON.stringify(encryptionContext(caseId, purpose)))]);
}

/** AFK1 | u16 length of the encrypted data key | encrypted data key | iv | tag | ciphertext. */
export async function sealVaultWithKms(mapping: Map<string, string>, caseId: string, kms: KmsEnvelopeOptions = {}): Promise<Buffer> {
  const purpose = kms.purpose ?? vaultPurpose;
  return withNewDataKey(caseId, kms, (dataKey, encryptedKey) => {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(encryptedKey.length);
    return Buffer.concat([
      Buffer.from(kmsMagic),
      length,
      encryptedKey,
      encrypt(mapping, dataKey, envelopeAad(encryptedKey, caseId, purpose)),
    ]);
  });
}

export async function openVaultWithKms(
  sealed: Buffer,
  caseId: string,
  kms: KmsEnvelopeOptions = {},
  state = "Reinject",
): Promise<Map<string, string>> {
  if (sealed.subarray(0, 4).toString() !== kmsMagic || sealed.length < 6)
    throw new VaultUnreadableError(`${state}: the vault blob is not a KMS-sealed vault`, { state });
  const length = sealed.readUInt16BE(4);
  const encryptedKey = sealed.subarray(6, 6 + length);
  if (encryptedKey.length !== length || sealed.length < 6 + length + 28)
    throw new VaultUnreadableError(`${state}: the KMS-sealed vault is truncated`, { state });
  const purpose = kms.purpose ?? vaultPurpose;
  return withStoredDataKey(caseId, encryptedKey, { ...kms, state }, (dataKey) =>
    decrypt(sealed.subarray(6 + length), dataKey, state, envelopeAad(encryptedKey, caseId, purpose)),
  );
}

const useKms = (options: VaultOptions) => Boolean(options.kms?.keyId ?? config().AFFIANT_KMS_KEY_ID);

export async function writeVault(store: BlobStore, key: string, mapping: Map<string, string>, options: VaultOptions = {}): Promise<void> {
  const sealed = useKms(options)
    ? await sealVaultWithKms(mapping, caseIdOf(key, { state: "Redact", ...options }), { ...options.kms, purpose: options.purpose })
    : sealVault(mapping);
  await store.put(key, sealed);
}

/** Opens either seal; the blob's magic says which. */
export async function readVault(store: BlobStore, key: string, options: VaultOptions = {}): Promise<Map<string, string>> {
  const state = options.state ?? "Reinject";
  const sealed = await store.get(key);
  const magic = sealed.subarray(0, 4).toString();
  if (magic === kmsMagic)
    return openVaultWithKms(sealed, caseIdOf(key, { ...options, state }), { ...options.kms, purpose: options.purpose }, state);
  if (magic === localMagic) return openVault(sealed, localKey(), state);
  throw new VaultUnreadableError(`${state}: vault ${key} has an unknown format`, { state });
}
