/**
 * A GPU worker fetches its own model from S3 (containers/llama-worker/model-fetch.ts): the real
 * SDK client against s3rver, a real S3 emulator. Ranged GETs into a .part file, a fetch cut
 * short and resumed where it stopped, the host's verified copy reused, a part from an older
 * version of the object thrown away, and a file whose sha256 is not the registry's refused.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { fetchModel, parseModelSource } from "../../containers/llama-worker/model-fetch.ts";
import { testTmp } from "../helpers.ts";

const bucket = "affiant-models-test";
const key = "models/tiny.gguf";
const bytes = randomBytes(3 * 2 ** 20 + 12345);
const sha256 = createHash("sha256").update(bytes).digest("hex");
const partBytes = 512 * 1024;
let server: S3rver;
let client: S3Client;
let dir: string;

before(async () => {
  mkdirSync(testTmp, { recursive: true });
  dir = mkdtempSync(path.join(testTmp, "model-fetch-"));
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: path.join(dir, "s3"),
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
});
after(async () => {
  client?.destroy();
  await server?.close();
});

const options = (dest: string) => ({ client, bucket, key, dest, modelId: "tiny", sha256, partBytes });

test("fetches in ranged parts, verifies size and sha256, then reuses the verified file without a byte more", async () => {
  const dest = path.join(dir, "a", "tiny.gguf");
  const progress: number[] = [];
  const first = await fetchModel({ ...options(dest), onProgress: (d) => progress.push(d) });
  assert.equal(first.status, "fetched");
  assert.equal(first.fetchedBytes, bytes.length);
  assert.equal(progress.length, Math.ceil(bytes.length / partBytes), "one GET per part");
  assert.ok(readFileSync(dest).equals(bytes));
  assert.ok(!existsSync(`${dest}.part`) && !existsSync(`${dest}.part.json`));
  const again = await fetchModel(options(dest));
  assert.equal(again.status, "cached");
  assert.equal(again.fetchedBytes, 0);
});

test("a fetch cut short resumes at the byte it stopped at", async () => {
  const dest = path.join(dir, "b", "tiny.gguf");
  const stop = new AbortController();
  await assert.rejects(
    fetchModel({ ...options(dest), signal: stop.signal, onProgress: (d) => d >= 2 * partBytes && stop.abort() }),
    (e: Error) => e.name === "Affiant.ModelUnavailable" && /ranged GET at byte/.test(e.message),
  );
  const partial = statSync(`${dest}.part`).size;
  assert.equal(partial, 2 * partBytes, "the parts already written stay");
  assert.ok(!existsSync(dest));
  const resumed = await fetchModel(options(dest));
  assert.equal(resumed.status, "resumed");
  assert.equal(resumed.fetchedBytes, bytes.length - partial);
  assert.ok(readFileSync(dest).equals(bytes));
});

test("a part left from another version of the object is thrown away, not spliced", async () => {
  const dest = path.join(dir, "c", "tiny.gguf");
  mkdirSync(path.dirname(dest), { recursive: true });
  writeFileSync(`${dest}.part`, Buffer.alloc(partBytes, 7));
  writeFileSync(`${dest}.part.json`, JSON.stringify({ bucket, key, etag: '"older"', size: bytes.length }));
  const result = await fetchModel(options(dest));
  assert.equal(result.status, "fetched");
  assert.ok(readFileSync(dest).equals(bytes));
});

test("a file whose sha256 is not the registry's is refused and removed; a missing object is named", async () => {
  const dest = path.join(dir, "d", "tiny.gguf");
  await assert.rejects(
    fetchModel({ ...options(dest), sha256: "0".repeat(64) }),
    (e: Error) => e.name === "Affiant.ModelUnavailable" && /model tiny: .*sha256 .* is not the registry's/.test(e.message),
  );
  assert.ok(!existsSync(dest) && !existsSync(`${dest}.part`));
  await assert.rejects(fetchModel({ ...options(dest), key: "models/missing.gguf" }), (e: Error) =>
    /s3:\/\/affiant-models-test\/models\/missing\.gguf: cannot be read/.test(e.message),
  );
  assert.deepEqual(parseModelSource("s3://b/models"), { bucket: "b", prefix: "models/" });
  assert.throws(() => parseModelSource("https://b/models/"), /AFFIANT_MODEL_SOURCE must be s3:/);
});
