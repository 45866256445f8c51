/**
 * The PII vault sealed with KMS: the real Redact and Reinject handlers and the real
 * @aws-sdk/client-kms against a local AWS JSON 1.1 server that plays KMS with its own key
 * and checks the encryption context the way KMS does (as authenticated data).
 */

import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { caseKeys } from "../../core/case-file.ts";
import { readGuard } from "../../functions/redaction/privacy-guard.ts";
import { openVaultWithKms, readVault, sealVaultWithKms } from "../../functions/redaction/vault.ts";
import { reinjectCase } from "../../functions/reinject-pii.ts";
import { AwsErrorReply, fakeAwsEnv, startAwsJsonServer, withEnv } from "../aws-json-server.ts";
import { redactedCase } from "../reinject-fixture.ts";

const keyArn = "arn:aws:kms:us-east-1:111122223333:key/affiant-test";
const secrets = ["Elena Fictitia Marsh", "A123456789", "elena.marsh@example.com", "Derek Samplefield", "(555) 010-4477"];

/** KMS in miniature: one master key; the context is authenticated data, as in KMS. */
async function startFakeKms() {
  const master = randomBytes(32);
  const aad = (ctx: unknown) => Buffer.from(JSON.stringify(Object.entries((ctx ?? {}) as Record<string, string>).sort()));
  return startAwsJsonServer({
    GenerateDataKey: (body) => {
      if (body.KeyId !== keyArn) throw new AwsErrorReply("NotFoundException", 400, `key ${String(body.KeyId)} not found`);
      if (body.KeySpec !== "AES_256") throw new AwsErrorReply("ValidationException");
      const dataKey = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", master, iv).setAAD(aad(body.EncryptionContext));
      const blob = Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
      return { KeyId: keyArn, CiphertextBlob: blob.toString("base64"), Plaintext: dataKey.toString("base64") };
    },
    Decrypt: (body) => {
      const blob = Buffer.from(String(body.CiphertextBlob), "base64");
      try {
        const decipher = createDecipheriv("aes-256-gcm", master, blob.subarray(0, 12)).setAAD(aad(body.EncryptionContext));
        decipher.setAuthTag(blob.subarray(-16));
        const dataKey = Buffer.concat([decipher.update(blob.subarray(12, -16)), decipher.final()]);
        return { KeyId: keyArn, Plaintext: dataKey.toString("base64"), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
      } catch {
        throw new AwsErrorReply("InvalidCiphertextException");
      }
    },
  });
}

const kmsEnv = (url: string) => ({ ...fakeAwsEnv, AFFIANT_KMS_KEY_ID: keyArn, AWS_ENDPOINT_URL_KMS: url });

test("Redact seals the vault with a KMS data key bound to the case; Reinject opens it with the same context", async () => {
  const kms = await startFakeKms();
  try {
    await withEnv(kmsEnv(kms.url), async () => {
      const { home, store, state } = await redactedCase({ executionName: "kms-1" });
      // Three seals, each its own purpose: Extract's pre-redaction text, then Redact's vault and
      // the privacy guard's keyed hashes; Redact opened the first under its own purpose.
      const generate = kms.requests.filter((r) => r.target === "TrentService.GenerateDataKey");
      assert.deepEqual(
        generate.map((g) => g.body),
        ["affiant-extracted-text", "affiant-pii-vault", "affiant-privacy-guard"].map((purpose) => ({
          KeyId: keyArn,
          KeySpec: "AES_256",
          EncryptionContext: { caseId: "vawa-sample-0001", purpose },
        })),
      );
      const decrypts = kms.requests.filter((r) => r.target === "TrentService.Decrypt");
      assert.deepEqual(
        decrypts.map((d) => d.body.EncryptionContext),
        [{ caseId: "vawa-sample-0001", purpose: "affiant-extracted-text" }],
        "Redact opened the sealed extracted text",
      );
      const decryptsBeforeReinject = decrypts.length;

      // The extracted text does not open as a vault: KMS refuses the vault's purpose on its key.
      await assert.rejects(
        readVault(store, state.extract.extractKey, { caseId: state.caseId, state: "Reinject" }),
        (e: Error) => e.name === "Affiant.VaultUnreadable" && /KMS refused/.test(e.message),
      );
      kms.requests.pop();
      // The guard opens under its own purpose and refuses a prompt holding a value; its blob holds none.
      const guard = await readGuard(store, state.caseId, state.executionName, "DraftDeclarationFallback");
      assert.deepEqual(kms.requests.pop()!.body.EncryptionContext, { caseId: "vawa-sample-0001", purpose: "affiant-privacy-guard" });
      assert.throws(
        () => guard.check("DraftDeclarationFallback", "ELENA MARSH lives here"),
        (e: Error) => e.name === "Affiant.PrivacyViolation",
      );
      const guardBlob = await store.get(caseKeys.guard(state.caseId, state.executionName));
      for (const s of secrets) assert.ok(!guardBlob.includes(Buffer.from(s)), `the guard blob contains ${s}`);

      // The stored blob is the envelope: no value in it, in any encoding a reader might try.
      const vaultKey = caseKeys.vault(state.caseId, state.executionName);
      const blob = await store.get(vaultKey);
      assert.equal(blob.subarray(0, 4).toString(), "AFK1");
      for (const s of secrets) {
        for (const form of [Buffer.from(s), Buffer.from(Buffer.from(s).toString("base64"))])
          assert.ok(!blob.includes(form), `the vault blob contains ${s}`);
      }
      assert.equal(existsSync(path.join(home.home, "vault.key")), false, "no local key file when KMS seals the vault");

      const output = await reinjectCase({ state }, store);
      const decrypt = kms.requests.filter((r) => r.target === "TrentService.Decrypt").slice(decryptsBeforeReinject);
      assert.equal(decrypt.length, 1);
      assert.deepEqual(decrypt[0]!.body.EncryptionContext, { caseId: "vawa-sample-0001", purpose: "affiant-pii-vault" });
      assert.equal(decrypt[0]!.body.KeyId, keyArn);
      const stored = blob.subarray(6, 6 + blob.readUInt16BE(4));
      assert.deepEqual(Buffer.from(String(decrypt[0]!.body.CiphertextBlob), "base64"), stored, "Reinject decrypts the stored data key");

      const declaration = (await store.get(output.declarationKey)).toString("utf8");
      assert.match(declaration, /^# Declaration of Elena Fictitia Marsh$/m);
      assert.match(declaration, /My A-number is A123456789\./);
      assert.doesNotMatch(declaration, /\[[A-Z_]+_\d+\]/);
      const logs = readFileSync(home.env.AFFIANT_LOG_FILE!, "utf8");
      for (const s of secrets) assert.ok(!logs.includes(s), `logs mention ${s}`);
    });
  } finally {
    await kms.close();
  }
});

test("a vault moved to another case, or tampered with, is Affiant.VaultUnreadable in Reinject", async () => {
  const kms = await startFakeKms();
  try {
    await withEnv(kmsEnv(kms.url), async () => {
      const { store, state } = await redactedCase({ executionName: "kms-2" });
      const vaultKey = caseKeys.vault(state.caseId, state.executionName);
      const blob = await store.get(vaultKey);
      const unreadable = (reason: RegExp) => (e: Error & { state?: string }) =>
        e.name === "Affiant.VaultUnreadable" && e.state === "Reinject" && reason.test(e.message);

      // Same bytes under another case: KMS refuses the context.
      const other = { ...state, caseId: "another-case-0002" };
      await store.put(caseKeys.vault(other.caseId, state.executionName), blob);
      await assert.rejects(
        reinjectCase({ state: other }, store),
        unreadable(/KMS refused .*another-case-0002.*InvalidCiphertextException/),
      );
      assert.deepEqual(kms.requests.at(-1)!.body.EncryptionContext, { caseId: "another-case-0002", purpose: "affiant-pii-vault" });

      // A flipped bit in the stored data key: KMS refuses it.
      const badKey = Buffer.from(blob);
      badKey[8] = badKey[8]! ^ 1;
      await store.put(vaultKey, badKey);
      await assert.rejects(reinjectCase({ state }, store), unreadable(/KMS refused/));

      // A flipped bit in the ciphertext: KMS answers, AES-GCM refuses.
      const badBody = Buffer.from(blob);
      badBody[badBody.length - 1] = badBody[badBody.length - 1]! ^ 1;
      await store.put(vaultKey, badBody);
      await assert.rejects(reinjectCase({ state }, store), unreadable(/does not authenticate/));

      // Truncated: refused before KMS is asked.
      const asked = kms.requests.length;
      await store.put(vaultKey, blob.subarray(0, 20));
      await assert.rejects(reinjectCase({ state }, store), unreadable(/truncated/));
      assert.equal(kms.requests.length, asked);

      // The untouched blob still opens: the refusals above were about the damage.
      await store.put(vaultKey, blob);
      assert.equal((await readVault(store, vaultKey)).get("[PERSON_1]"), "Elena Fictitia Marsh");
    });
  } finally {
    await kms.close();
  }
});

test("KMS unavailable or refusing fails Redact by name, and no vault is written", async () => {
  const kms = await startFakeKms();
  kms.on("GenerateDataKey", () => {
    throw new AwsErrorReply("AccessDeniedException", 400, "not authorized to perform kms:GenerateDataKey");
  });
  try {
    await withEnv(kmsEnv(kms.url), async () => {
      await assert.rejects(
        redactedCase({ executionName: "kms-3" }),
        (e: Error & { state?: string; provider?: string }) =>
          e.name === "Affiant.AwsServiceError" &&
          e.state === "Redact" &&
          e.provider === "kms" &&
          /GenerateDataKey failed \(400: AccessDeniedException\)/.test(e.message),
      );
    });
    assert.equal(existsSync(path.join(process.env.AFFIANT_HOME!, "blobs", caseKeys.vault("vawa-sample-0001", "kms-3"))), false);
    // Without AFFIANT_KMS_KEY_ID the local key file seals it.
    await withEnv({ AFFIANT_KMS_KEY_ID: undefined }, async () => {
      const { store, state } = await redactedCase({ executionName: "local-1" });
      const blob = await store.get(caseKeys.vault(state.caseId, state.executionName));
      assert.equal(blob.subarray(0, 4).toString(), "AFV1");
      assert.equal(existsSync(path.join(process.env.AFFIANT_HOME!, "vault.key")), true);
    });
  } finally {
    await kms.close();
  }
});

test("the plaintext data key is zeroed once the vault is sealed or opened", async () => {
  const kms = mockClient(KMSClient);
  const original = randomBytes(32);
  const generated = new Uint8Array(original);
  const encrypted = new Uint8Array(randomBytes(48));
  kms.on(GenerateDataKeyCommand).resolves({ Plaintext: generated, CiphertextBlob: encrypted, KeyId: keyArn });
  const client = new KMSClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
  const mapping = new Map([["[PERSON_1]", "Elena Fictitia Marsh"]]);
  const sealed = await sealVaultWithKms(mapping, "case-z", { keyId: keyArn, client });
  assert.ok(
    generated.every((b) => b === 0),
    "the generated data key was zeroed",
  );

  const decrypted = new Uint8Array(original);
  kms.on(DecryptCommand).resolves({ Plaintext: decrypted, KeyId: keyArn });
  assert.deepEqual(await openVaultWithKms(sealed, "case-z", { keyId: keyArn, client }), mapping);
  assert.ok(
    decrypted.every((b) => b === 0),
    "the decrypted data key was zeroed",
  );
  assert.deepEqual(kms.commandCalls(DecryptCommand)[0]!.args[0].input.EncryptionContext, {
    caseId: "case-z",
    purpose: "affiant-pii-vault",
  });
  // The envelope's AAD binds the case: the same bytes opened as another case fail even if KMS were fooled.
  kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(original), KeyId: keyArn });
  await assert.rejects(openVaultWithKms(sealed, "case-y", { keyId: keyArn, client }), (e: Error) => e.name === "Affiant.VaultUnreadable");
  kms.restore();
});
