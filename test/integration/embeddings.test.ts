/**
 * The embedders for real: llama.cpp on the committed model (in-process and in its child
 * process), and Titan through the real Bedrock runtime client against a local h2c server.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer as createH2cServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, test } from "node:test";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { getJson, LocalBlobStore, putJson } from "../../core/blob-store.ts";
import { caseKeys } from "../../core/case-file.ts";
import { loadRegistry } from "../../core/registry.ts";
import { retrievalQueries, type StoredIndex } from "../../core/retrieval.ts";
import { dot } from "../../core/vectors.ts";
import { buildIndex } from "../../functions/build-index.ts";
import { ChildEmbedder } from "../../functions/embeddings/child.ts";
import { LocalEmbedder } from "../../functions/embeddings/local.ts";
import { embeddingsMode, openEmbedder } from "../../functions/embeddings/open.ts";
import { TitanEmbedder } from "../../functions/embeddings/titan.ts";
import { readVault } from "../../functions/redaction/vault.ts";
import { isAlive, makeTestHome, preparedState, root } from "../helpers.ts";

const modelPath = path.join(root, "models/stories260K.gguf");
const local = await LocalEmbedder.open({ modelPath, modelId: "stories-260k", contextSize: 256, threads: 1 });
after(() => local.dispose());

const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

test("local embeddings are finite, unit length, deterministic, and differ between texts", async () => {
  const [a, a2, b] = await local.embed([
    "The police report says he pushed me.",
    "The police report says he pushed me.",
    "We were married in Springfield in 2019.",
  ]);
  assert.equal(a!.length, 64, "stories260K's embedding width");
  assert.ok(a!.every(Number.isFinite));
  assert.ok(Math.abs(norm(a!) - 1) < 1e-5 && Math.abs(norm(b!) - 1) < 1e-5);
  assert.deepEqual([...a!], [...a2!], "same text, same vector");
  assert.ok(dot(a!, b!) < 0.999, `different texts, different vectors (cos ${dot(a!, b!)})`);
  // A second call on the same context gives the same vector: no state leaks between texts.
  const [again] = await local.embed(["The police report says he pushed me."]);
  assert.deepEqual([...again!], [...a!]);
});

test("a text longer than the context is split by tokens, averaged, and recorded", async () => {
  const small = await LocalEmbedder.open({ modelPath, modelId: "stories-260k", contextSize: 32, threads: 1 });
  try {
    const long = "The man took my passport and said I owed him money for the trip. ".repeat(8);
    const [short, split] = await small.embed(["A short one.", long]);
    assert.ok(Math.abs(norm(split!) - 1) < 1e-5);
    assert.equal(small.truncations.length, 1, "only the long text");
    const t = small.truncations[0]!;
    assert.equal(t.action, "split");
    assert.equal(t.index, 1);
    assert.equal(t.call, 0);
    assert.ok(t.limit < 32 && t.length > t.limit, `${t.length} tokens over a ${t.limit}-token window`);
    assert.equal(t.parts, Math.ceil(t.length / t.limit));
    assert.equal(short!.length, 64);
  } finally {
    await small.dispose();
  }
});

test("dispose is idempotent and embedding afterwards is a named error; a missing model is one too", async () => {
  const e = await LocalEmbedder.open({ modelPath, modelId: "stories-260k", contextSize: 64, threads: 1 });
  await e.dispose();
  await e.dispose();
  await assert.rejects(e.embed(["x"]), { name: "Affiant.ModelUnavailable", message: /stories-260k was disposed/ });
  await assert.rejects(LocalEmbedder.open({ modelPath: path.join(root, "models/nope.gguf"), modelId: "nope" }), {
    name: "Affiant.ModelUnavailable",
    message: /embedding model nope not found at .*nope\.gguf/,
  });
});

test("the child-process embedder gives the in-process vectors and its process is gone after dispose", async () => {
  const child = await ChildEmbedder.open({ modelPath, modelId: "stories-260k", contextSize: 256, threads: 1 });
  const pid = child.pid!;
  assert.ok(isAlive(pid));
  const texts = ["The police report says he pushed me.", "We were married in Springfield in 2019."];
  const [fromChild, fromHere] = [await child.embed(texts), await local.embed(texts)];
  for (const [i, v] of fromChild.entries()) assert.ok(v instanceof Float32Array && dot(v, fromHere[i]!) > 0.99999, `text ${i}`);
  await child.dispose();
  await child.dispose();
  assert.equal(isAlive(pid), false, "the model's memory went back with the process");
  assert.ok(child.peakRssBytes! > 10 * 2 ** 20, "the child reported its peak RSS");
  await assert.rejects(child.embed(["x"]), { name: "Affiant.ModelUnavailable" });
  await assert.rejects(ChildEmbedder.open({ modelPath: path.join(root, "models/nope.gguf"), modelId: "nope" }), {
    name: "Affiant.ModelUnavailable",
    message: /nope not found/,
  });
});

test("embedding through the child process leaves this process's RSS flat: the model's memory goes with the child", async () => {
  const cycle = async () => {
    const child = await ChildEmbedder.open({ modelPath, modelId: "stories-260k", contextSize: 256, threads: 1 });
    await child.embed(Array.from({ length: 20 }, (_, i) => `Chunk ${i}: he pushed me and took my passport.`));
    await child.dispose();
    return child.peakRssBytes!;
  };
  await cycle(); // warm-up: module loading in this process is not what is measured
  global.gc?.();
  const before = process.memoryUsage().rss;
  const peaks: number[] = [];
  for (let i = 0; i < 4; i++) peaks.push(await cycle());
  const growth = process.memoryUsage().rss - before;
  const peak = Math.max(...peaks);
  assert.ok(
    growth < peak * 0.25,
    `RSS grew ${(growth / 2 ** 20).toFixed(1)} MB over 4 embedders; one child peaks at ${(peak / 2 ** 20).toFixed(1)} MB`,
  );
});

test("provider selection: AFFIANT_EMBEDDINGS, Lambda's default, and a missing local model", async () => {
  assert.equal(embeddingsMode({}), "local");
  assert.equal(embeddingsMode({ AWS_LAMBDA_FUNCTION_NAME: "affiant-build-index" }), "bedrock");
  assert.equal(embeddingsMode({ AWS_LAMBDA_FUNCTION_NAME: "f", AFFIANT_EMBEDDINGS: "local" }), "local");
  assert.throws(() => embeddingsMode({ AFFIANT_EMBEDDINGS: "gpu" }), {
    name: "Affiant.InvalidInput",
    message: /AFFIANT_EMBEDDINGS must be local, bedrock or off/,
  });

  const { registry: file } = makeTestHome();
  const registry = loadRegistry(file);
  const bedrock = await openEmbedder(registry, { mode: "bedrock" });
  assert.ok(
    !("skipped" in bedrock) && bedrock.embedder.provider === "bedrock" && bedrock.embedder.model === "amazon.titan-embed-text-v2:0",
  );
  if (!("skipped" in bedrock)) await bedrock.embedder.dispose();
  assert.deepEqual(await openEmbedder(registry, { mode: "off" }), { skipped: "AFFIANT_EMBEDDINGS=off" });

  // The shipped registry's production model is not in a fresh clone: "bm25" says so, "fail" refuses.
  const raw = JSON.parse(readFileSync(file, "utf8"));
  raw.models.embedder = { file: "absent-embedder.gguf", hostClass: "local", contextSize: 512 };
  raw.embedding.local = { model: "embedder", ifMissing: "bm25" };
  writeFileSync(file, JSON.stringify(raw));
  const skipped = await openEmbedder(loadRegistry(file), { mode: "local" });
  assert.match(
    "skipped" in skipped ? skipped.skipped : "",
    /embedding model embedder is not at .*absent-embedder\.gguf \(run `affiant models pull`\)/,
  );
  raw.embedding.local.ifMissing = "fail";
  writeFileSync(file, JSON.stringify(raw));
  await assert.rejects(openEmbedder(loadRegistry(file), { mode: "local", inProcess: true }), {
    name: "Affiant.ModelUnavailable",
    message: /embedder not found/,
  });
  raw.embedding.local.model = "no-such-model";
  writeFileSync(file, JSON.stringify(raw));
  assert.throws(() => loadRegistry(file), {
    name: "Affiant.InvalidInput",
    message: /embedding\.local\.model names unknown model no-such-model/,
  });
});

interface Recorded {
  path: string;
  contentType: string | undefined;
  body: { inputText: string; dimensions: number; normalize: boolean };
}

/** A Bedrock runtime endpoint (h2c, as the SDK speaks HTTP/2) answering InvokeModel. */
async function titanEndpoint(answer: (body: Recorded["body"]) => { status: number; json: unknown; delayMs?: number }) {
  const requests: Recorded[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createH2cServer((req: Http2ServerRequest, res: Http2ServerResponse) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d));
    req.on("end", () => {
      const body = JSON.parse(raw);
      requests.push({ path: decodeURIComponent(req.url), contentType: req.headers["content-type"], body });
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      const a = answer(body);
      setTimeout(() => {
        inFlight--;
        res.statusCode = a.status;
        res.setHeader("content-type", "application/json");
        if (a.status >= 400) res.setHeader("x-amzn-errortype", "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/");
        res.end(JSON.stringify(a.json));
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const client = new BedrockRuntimeClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
    maxAttempts: 3,
  });
  const port = (server.address() as AddressInfo).port;
  return { requests, client, port, maxInFlight: () => maxInFlight, close: () => new Promise((r) => server.close(r)) };
}

test("Titan: InvokeModel on amazon.titan-embed-text-v2:0 with {inputText, dimensions, normalize}, bounded concurrency, vectors parsed", async () => {
  // A vector whose first two entries are its index and 1, so each answer is checkable.
  const endpoint = await titanEndpoint((body) => {
    const n = Number(body.inputText.split(" ")[1]);
    return {
      status: 200,
      json: {
        embedding: Array.from({ length: body.dimensions }, (_, i) => (i === 0 ? 3 * (n + 1) : i === 1 ? 4 * (n + 1) : 0)),
        inputTextTokenCount: 3,
      },
      delayMs: 30,
    };
  });
  try {
    const titan = new TitanEmbedder({ client: endpoint.client, dimensions: 256, concurrency: 2, maxChars: 40 });
    const texts = Array.from({ length: 6 }, (_, i) => `text ${i} of six`);
    texts.push(`text 6 ${"x".repeat(60)}`);
    const vectors = await titan.embed(texts);
    assert.equal(vectors.length, 7);
    for (const v of vectors) {
      assert.equal(v.length, 256);
      assert.ok(Math.abs(v[0]! - 0.6) < 1e-6 && Math.abs(v[1]! - 0.8) < 1e-6, "normalised [3k, 4k, 0…] is [0.6, 0.8, 0…]");
    }
    assert.equal(endpoint.requests.length, 7);
    for (const r of endpoint.requests) {
      assert.equal(r.path, "/model/amazon.titan-embed-text-v2:0/invoke");
      assert.equal(r.contentType, "application/json");
      assert.equal(r.body.dimensions, 256);
      assert.equal(r.body.normalize, true);
    }
    assert.deepEqual(
      endpoint.requests.map((r) => r.body.inputText).filter((t) => t.startsWith("text 0")),
      ["text 0 of six"],
    );
    assert.ok(endpoint.maxInFlight() <= 2, `at most 2 requests in flight (saw ${endpoint.maxInFlight()})`);
    assert.ok(endpoint.maxInFlight() === 2, "and the bound is used");
    assert.equal(endpoint.requests.find((r) => r.body.inputText.startsWith("text 6"))!.body.inputText.length, 40, "cut to maxChars");
    assert.deepEqual(titan.truncations, [{ call: 0, index: 6, action: "truncate", length: 67, limit: 40, parts: 1 }]);
    await titan.dispose();
    await titan.dispose();
    await assert.rejects(titan.embed(["x"]), { name: "Affiant.ProviderError" });
  } finally {
    await endpoint.close();
  }
});

test("Titan: a validation error is Affiant.ProviderError with model and status, not retried; a malformed answer is one too", async () => {
  const endpoint = await titanEndpoint((body) =>
    body.inputText === "bad" ? { status: 400, json: { message: "Malformed input request" } } : { status: 200, json: { embedding: [1, 2] } },
  );
  try {
    const titan = new TitanEmbedder({ client: endpoint.client });
    await assert.rejects(titan.embed(["bad"]), (err: Error & { model?: string; provider?: string }) => {
      assert.equal(err.name, "Affiant.ProviderError");
      assert.match(err.message, /bedrock embeddings amazon\.titan-embed-text-v2:0 failed \(400: ValidationException\)/);
      assert.equal(err.model, "amazon.titan-embed-text-v2:0");
      assert.equal(err.provider, "bedrock");
      return true;
    });
    assert.equal(endpoint.requests.length, 1, "a validation error is not retried");
    await assert.rejects(titan.embed(["fine"]), { name: "Affiant.ProviderError", message: /the response has no 512-number embedding/ });
  } finally {
    await endpoint.close();
  }
});

test("Index with AFFIANT_EMBEDDINGS=bedrock: Titan gets redacted chunks and the queries, never a vault value", async () => {
  const endpoint = await titanEndpoint((body) => ({
    status: 200,
    json: { embedding: Array.from({ length: body.dimensions }, (_, i) => ((body.inputText.length + i) % 7) - 3) },
  }));
  const saved = { ...process.env };
  try {
    const { state, env } = await preparedState();
    Object.assign(process.env, {
      AFFIANT_BEDROCK_ENDPOINT: `http://127.0.0.1:${endpoint.port}`,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "x",
      AWS_SECRET_ACCESS_KEY: "y",
    });
    const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
    const out = await buildIndex({ state }, store, { mode: "bedrock" });
    const index = await getJson<StoredIndex>(store, out.indexKey);
    assert.equal(index.embedding!.provider, "bedrock");
    assert.equal(index.embedding!.model, "amazon.titan-embed-text-v2:0");
    assert.equal(index.embedding!.dimensions, 512);
    assert.equal(endpoint.requests.length, index.chunks.length + retrievalQueries("VAWA").length);
    assert.deepEqual(
      new Set(endpoint.requests.map((r) => r.body.inputText)),
      new Set([...index.chunks.map((c) => c.text), ...retrievalQueries("VAWA")]),
    );
    const vault = await readVault(store, caseKeys.vault(state.caseId, state.executionName));
    const leaks = endpoint.requests.flatMap((r) => [...vault.values()].filter((v) => r.body.inputText.includes(v)));
    assert.deepEqual(leaks, []);

    // A real value that slipped past redaction is refused before anything is sent.
    const redacted = await getJson<{ documents: Array<{ pages: Array<{ text: string }> }> }>(store, state.redact!.redactedKey);
    const name = [...vault.entries()].find(([k]) => k.startsWith("[PERSON"))![1];
    redacted.documents[0]!.pages[0]!.text += ` Signed by ${name}.`;
    await putJson(store, state.redact!.redactedKey, redacted);
    const sent = endpoint.requests.length;
    await assert.rejects(buildIndex({ state }, store, { mode: "bedrock" }), {
      name: "Affiant.PrivacyViolation",
      message: /^Index: the prompt contains a real PERSON value/,
    });
    assert.equal(endpoint.requests.length, sent, "nothing was sent");
  } finally {
    process.env = saved;
    await endpoint.close();
  }
});
