/** The S3 blob store through the real SDK client, its responses mocked (aws-sdk-client-mock). */

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { LocalBlobStore, openBlobStore } from "../../core/blob-store.ts";
import { S3BlobStore } from "../../core/s3-blob-store.ts";

const s3 = mockClient(S3Client);
const store = new S3BlobStore({ bucket: "affiant-cases", kmsKeyId: "alias/affiant", client: new S3Client({ region: "us-east-1" }) });
beforeEach(() => s3.reset());

test("writes are SSE-KMS with the project's key, under the same keys as locally", async () => {
  s3.on(PutObjectCommand).resolves({});
  await store.put("runs/case-1/exec-1/draft-0.json", "{}");
  const call = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
  assert.equal(call.Bucket, "affiant-cases");
  assert.equal(call.Key, "runs/case-1/exec-1/draft-0.json");
  assert.equal(call.ServerSideEncryption, "aws:kms");
  assert.equal(call.SSEKMSKeyId, "alias/affiant");
  await assert.rejects(store.put("../escape", "x"), /invalid blob key/);
});

test("get returns the bytes; a missing key is a named error", async () => {
  // The SDK's streaming body, reduced to the one method the store uses.
  const body = { transformToByteArray: async () => new Uint8Array(Buffer.from('{"ok":true}')) };
  s3.on(GetObjectCommand, { Key: "a/b.json" }).resolves({ Body: body as never });
  s3.on(GetObjectCommand, { Key: "a/missing.json" }).rejects(new NoSuchKey({ message: "nope", $metadata: { httpStatusCode: 404 } }));
  assert.equal((await store.get("a/b.json")).toString(), '{"ok":true}');
  await assert.rejects(
    store.get("a/missing.json"),
    (e: Error) => e.name === "Affiant.InvalidInput" && /s3:\/\/affiant-cases\/a\/missing\.json/.test(e.message),
  );
});

test("exists, list across pages, delete", async () => {
  s3.on(HeadObjectCommand, { Key: "x/y" }).resolves({});
  s3.on(HeadObjectCommand, { Key: "x/z" }).rejects(new NotFound({ message: "no", $metadata: { httpStatusCode: 404 } }));
  assert.equal(await store.exists("x/y"), true);
  assert.equal(await store.exists("x/z"), false);
  s3.on(ListObjectsV2Command, { Prefix: "cases/c1/documents/" })
    .resolvesOnce({ Contents: [{ Key: "cases/c1/documents/b.pdf" }], IsTruncated: true, NextContinuationToken: "t1" })
    .resolvesOnce({ Contents: [{ Key: "cases/c1/documents/a.pdf" }], IsTruncated: false });
  assert.deepEqual(await store.list("cases/c1/documents"), ["cases/c1/documents/a.pdf", "cases/c1/documents/b.pdf"]);
  assert.equal(s3.commandCalls(ListObjectsV2Command)[1]!.args[0].input.ContinuationToken, "t1");
  s3.on(DeleteObjectCommand).resolves({});
  await store.delete("cases/c1/documents/a.pdf");
  assert.equal(s3.commandCalls(DeleteObjectCommand).length, 1);
});

test("AFFIANT_BUCKET selects S3; without it the folder store", async () => {
  const saved = process.env.AFFIANT_BUCKET;
  try {
    delete process.env.AFFIANT_BUCKET;
    assert.ok((await openBlobStore()) instanceof LocalBlobStore);
    process.env.AFFIANT_BUCKET = "affiant-cases";
    assert.ok((await openBlobStore()) instanceof S3BlobStore);
  } finally {
    if (saved === undefined) delete process.env.AFFIANT_BUCKET;
    else process.env.AFFIANT_BUCKET = saved;
  }
});
