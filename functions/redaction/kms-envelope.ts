/**
 * KMS envelope for the PII vault: a fresh AES-256 data key per vault from GenerateDataKey,
 * bound to the case by an encryption context (`{caseId, purpose}`), so a vault copied onto
 * another case, or a tampered data key, is refused by KMS itself. Only the encrypted data key
 * is stored; the plaintext key is zeroed as soon as the vault is sealed or opened.
 */
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { VaultUnreadableError } from "../../core/errors.ts";
import { awsFailureDetails, awsServiceError } from "../aws-failure.ts";

export const vaultPurpose = "affiant-pii-vault";

export interface KmsEnvelopeOptions {
  /** Key id, ARN or alias. Default: `AFFIANT_KMS_KEY_ID`. */
  keyId?: string;
  /** Default: a client from the standard AWS environment (`AWS_ENDPOINT_URL_KMS` overrides the endpoint). */
  client?: KMSClient;
}

export function encryptionContext(caseId: string): Record<string, string> {
  return { caseId, purpose: vaultPurpose };
}

/** KMS's answers that mean "this blob does not open with this key and context". */
const refusals = new Set(["InvalidCiphertextException", "IncorrectKeyException"]);

function kmsClient(options: KmsEnvelopeOptions): KMSClient {
  return options.client ?? new KMSClient({ maxAttempts: 4, retryMode: "standard" });
}

/** Runs `use` with a fresh data key and its encrypted form (the one to store). */
export async function withNewDataKey<T>(caseId: string, options: KmsEnvelopeOptions, use: (key: Buffer, encryptedKey: Buffer) => T): Promise<T> {
  const keyId = options.keyId ?? process.env.AFFIANT_KMS_KEY_ID;
  if (!keyId) throw new VaultUnreadableError("the KMS vault needs a key id (AFFIANT_KMS_KEY_ID)", { state: "Redact" });
  const client = kmsClient(options);
  let res;
  try {
    res = await client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256", EncryptionContext: encryptionContext(caseId) }));
  } catch (err) {
    throw awsServiceError("kms", "GenerateDataKey", err, { state: "Redact" });
  } finally {
    if (!options.client) client.destroy();
  }
  const plaintext = res.Plaintext;
  try {
    if (!plaintext || plaintext.length !== 32 || !res.CiphertextBlob?.length) throw new VaultUnreadableError("KMS GenerateDataKey returned no 256-bit data key", { state: "Redact", provider: "kms" });
    // A view over the SDK's buffer, not a copy, so zeroing below really clears the key.
    return use(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength), Buffer.from(res.CiphertextBlob));
  } finally {
    plaintext?.fill(0);
  }
}

/** Decrypts a stored data key under the case's context and runs `use` with it. */
export async function withStoredDataKey<T>(caseId: string, encryptedKey: Buffer, options: KmsEnvelopeOptions & { state?: string }, use: (key: Buffer) => T): Promise<T> {
  const state = options.state ?? "Reinject";
  const keyId = options.keyId ?? process.env.AFFIANT_KMS_KEY_ID;
  const client = kmsClient(options);
  let res;
  try {
    res = await client.send(new DecryptCommand({ CiphertextBlob: encryptedKey, EncryptionContext: encryptionContext(caseId), ...(keyId ? { KeyId: keyId } : {}) }));
  } catch (err) {
    const { code } = awsFailureDetails(err);
    if (refusals.has(code)) {
      throw new VaultUnreadableError(`${state}: KMS refused the vault's data key for case ${caseId} (${code}): the vault was tampered with or sealed for another case`, { state, provider: "kms" }, { cause: err });
    }
    throw awsServiceError("kms", "Decrypt", err, { state });
  } finally {
    if (!options.client) client.destroy();
  }
  const plaintext = res.Plaintext;
  try {
    if (!plaintext || plaintext.length !== 32) throw new VaultUnreadableError(`${state}: KMS Decrypt returned no 256-bit data key`, { state, provider: "kms" });
    return use(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength));
  } finally {
    plaintext?.fill(0);
  }
}
