/**
 * KMS envelope for sealed blobs: a fresh AES-256 data key per blob from GenerateDataKey,
 * bound by an encryption context (`{caseId, purpose}`) to the case and to what the blob is,
 * so a blob copied onto another case, or a tampered data key, is refused by KMS itself, and
 * IAM can let a role open one kind and not another (`kms:EncryptionContext:purpose`): the
 * fallback, which talks to the internet, opens the privacy guard's keyed hashes and nothing
 * else. Only the encrypted data key is stored; the plaintext key is zeroed as soon as the blob
 * is sealed or opened.
 */
import {
  DecryptCommand,
  type DecryptCommandOutput,
  GenerateDataKeyCommand,
  type GenerateDataKeyCommandOutput,
  KMSClient,
} from "@aws-sdk/client-kms";
import { config } from "../../core/config.ts";
import { VaultUnreadableError } from "../../core/errors.ts";
import { awsFailureDetails, awsServiceError } from "../aws-failure.ts";
import { type SealedPurpose, sealedPurposes } from "./sealed-purposes.ts";

export { type SealedPurpose, sealedPurposes };
export const vaultPurpose = sealedPurposes.vault;

export interface KmsEnvelopeOptions {
  /** Key id, ARN or alias. Default: `AFFIANT_KMS_KEY_ID`. */
  keyId?: string;
  /** Default: a client from the standard AWS environment (`AWS_ENDPOINT_URL_KMS` overrides the endpoint). */
  client?: KMSClient;
  /** What the sealed blob is: the encryption context's purpose. Default: the vault. */
  purpose?: SealedPurpose;
}

export function encryptionContext(caseId: string, purpose: SealedPurpose = vaultPurpose): Record<string, string> {
  return { caseId, purpose };
}

/** KMS's answers that mean "this blob does not open with this key and context". */
const refusals = new Set(["InvalidCiphertextException", "IncorrectKeyException"]);

function kmsClient(options: KmsEnvelopeOptions): KMSClient {
  return options.client ?? new KMSClient({ maxAttempts: 4, retryMode: "standard" });
}

/** Runs `use` with a fresh data key and its encrypted form (the one to store). */
export async function withNewDataKey<T>(
  caseId: string,
  options: KmsEnvelopeOptions,
  use: (key: Buffer, encryptedKey: Buffer) => T,
): Promise<T> {
  const keyId = options.keyId ?? config().AFFIANT_KMS_KEY_ID;
  if (!keyId) throw new VaultUnreadableError("the KMS vault needs a key id (AFFIANT_KMS_KEY_ID)", { state: "Redact" });
  const client = kmsClient(options);
  let res: GenerateDataKeyCommandOutput;
  try {
    res = await client.send(
      new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256", EncryptionContext: encryptionContext(caseId, options.purpose) }),
    );
  } catch (err) {
    throw awsServiceError("kms", "GenerateDataKey", err, { state: "Redact" });
  } finally {
    if (!options.client) client.destroy();
  }
  const plaintext = res.Plaintext;
  try {
    if (plaintext?.length !== 32 || !res.CiphertextBlob?.length)
      throw new VaultUnreadableError("KMS GenerateDataKey returned no 256-bit data key", { state: "Redact", provider: "kms" });
    // A view over the SDK's buffer, not a copy, so zeroing below really clears the key.
    return use(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength), Buffer.from(res.CiphertextBlob));
  } finally {
    plaintext?.fill(0);
  }
}

/** Decrypts a stored data key under the case's context and runs `use` with it. */
export async function withStoredDataKey<T>(
  caseId: string,
  encryptedKey: Buffer,
  options: KmsEnvelopeOptions & { state?: string },
  use: (key: Buffer) => T,
): Promise<T> {
  const state = options.state ?? "Reinject";
  const keyId = options.keyId ?? config().AFFIANT_KMS_KEY_ID;
  const client = kmsClient(options);
  let res: DecryptCommandOutput;
  try {
    res = await client.send(
      new DecryptCommand({
        CiphertextBlob: encryptedKey,
        EncryptionContext: encryptionContext(caseId, options.purpose),
        ...(keyId ? { KeyId: keyId } : {}),
      }),
    );
  } catch (err) {
    const { code } = awsFailureDetails(err);
    if (refusals.has(code)) {
      throw new VaultUnreadableError(
        `${state}: KMS refused the data key of a sealed ${options.purpose ?? vaultPurpose} blob for case ${caseId} (${code}): it was tampered with, sealed for another case, or is another kind of blob`,
        { state, provider: "kms" },
        { cause: err },
      );
    }
    throw awsServiceError("kms", "Decrypt", err, { state });
  } finally {
    if (!options.client) client.destroy();
  }
  const plaintext = res.Plaintext;
  try {
    if (plaintext?.length !== 32)
      throw new VaultUnreadableError(`${state}: KMS Decrypt returned no 256-bit data key`, { state, provider: "kms" });
    return use(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength));
  } finally {
    plaintext?.fill(0);
  }
}
