/**
 * Hybrid retrieval: the fusion math on a hand-built corpus where BM25 and vectors
 * disagree (vectors injected: this tests the ranking, not a model), then the real Index
 * on the VAWA sample with the committed model's embeddings, and the worker's prompts
 * drawing their sources in the hybrid order.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { getJson, LocalBlobStore } from "../../core/blob-store.ts";
import { legalElements } from "../../core/legal-elements.ts";
import { defaultRegistryPath, loadRegistry, modelFilePath } from "../../core/registry.ts";
import { type Chunk, fuseReciprocalRanks, loadIndexVectors, rankChunks, retrievalQueries, type StoredIndex } from "../../core/retrieval.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import { dot, normalize } from "../../core/vectors.ts";
import { buildIndex } from "../../functions/build-index.ts";
import { LocalEmbedder } from "../../functions/embeddings/local.ts";
import { preparedState, root, stageInputOf } from "../helpers.ts";

const chunk = (id: string, text: string, page = 1): Chunk => ({ id, file: "notes.pdf", page, text });
const corpus: StoredIndex = {
  chunks: [
    chunk("c1", "He pushed me against the kitchen wall and I fell.", 1),
    chunk("c2", "The police report describes the bruise on my arm.", 2),
    chunk("c3", "We bought groceries together on Sunday.", 3),
    chunk("c4", "Abuse, abuse and cruelty: the counsellor's summary.", 4),
  ],
};
// Hand-set directions: the query points at c1, then c3; BM25 knows nothing of that.
const vec = (x: number, y: number) => normalize([x, y]);
const chunkVectors = [vec(1, 0), vec(0, 1), vec(0.8, 0.6), vec(-1, 0)];
const queryVector = vec(1, 0);
const ids = (cs: Chunk[]) => cs.map((c) => c.id);

test("reciprocal-rank fusion: exact scores with k = 60, ties in document order", () => {
  const fused = fuseReciprocalRanks(
    [
      ["c4", "c2"],
      ["c1", "c3", "c2", "c4"],
    ],
    60,
    ["c1", "c2", "c3", "c4"],
  );
  assert.deepEqual(
    fused.map((f) => f.id),
    ["c4", "c2", "c1", "c3"],
  );
  const expected = { c4: 1 / 61 + 1 / 64, c2: 1 / 62 + 1 / 63, c1: 1 / 61, c3: 1 / 62 };
  for (const f of fused) assert.equal(f.score, expected[f.id as keyof typeof expected]);
  // Mirror-image lists give equal scores: document order decides, every time.
  assert.deepEqual(
    fuseReciprocalRanks(
      [
        ["b", "a"],
        ["a", "b"],
      ],
      60,
      ["a", "b"],
    ).map((f) => f.id),
    ["a", "b"],
  );
  assert.deepEqual(
    fuseReciprocalRanks(
      [
        ["b", "a"],
        ["a", "b"],
      ],
      60,
      ["b", "a"],
    ).map((f) => f.id),
    ["b", "a"],
  );
  // k is the one knob: with k = 1 the same lists score 1/2 + 1/5, 1/3 + 1/4, 1/2, 1/3.
  assert.deepEqual(
    fuseReciprocalRanks(
      [
        ["c4", "c2"],
        ["c1", "c3", "c2", "c4"],
      ],
      1,
      ["c1", "c2", "c3", "c4"],
    ).map((f) => [f.id, f.score]),
    [
      ["c4", 1 / 2 + 1 / 5],
      ["c2", 1 / 3 + 1 / 4],
      ["c1", 1 / 2],
      ["c3", 1 / 3],
    ],
  );
});

test("BM25 alone, vectors alone and the fused ranking disagree as the math says, and hits keep document and page", () => {
  const query = "abuse police";
  const bm25 = ids(rankChunks(corpus, query));
  assert.deepEqual(bm25.slice(0, 2), ["c4", "c2"], "BM25: the chunks that contain the words");
  const vectorOnly = ids(rankChunks(corpus, "zzz-no-such-word", { chunkVectors, queryVector }));
  assert.deepEqual(vectorOnly, ["c1", "c3", "c2", "c4"], "no BM25 hit: the cosine order");
  const hybrid = rankChunks(corpus, query, { chunkVectors, queryVector, k: 60 });
  assert.deepEqual(ids(hybrid), ["c4", "c2", "c1", "c3"]);
  assert.deepEqual(
    hybrid.map((c) => `${c.file} p.${c.page}`),
    ["notes.pdf p.4", "notes.pdf p.2", "notes.pdf p.1", "notes.pdf p.3"],
  );
  // No query vector: BM25 only, the rest in document order.
  assert.deepEqual(ids(rankChunks(corpus, query, { chunkVectors })), bm25);
  assert.deepEqual(bm25, ["c4", "c2", "c1", "c3"]);
});

test("Index embeds every chunk and the case type's queries with the real model; the worker's prompts use the hybrid order", async () => {
  const { state, env } = await preparedState();
  const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
  const index = await getJson<StoredIndex>(store, state.index!.indexKey);
  const e = index.embedding!;
  assert.ok(e, `the index has vectors (${index.embeddingSkipped ?? ""})`);
  assert.equal(e.provider, "local");
  assert.equal(e.model, "stories-260k");
  assert.equal(e.dimensions, 64);
  assert.equal(e.rrfK, 60);
  assert.deepEqual(Object.keys(e.queries), retrievalQueries("VAWA"));
  assert.equal((await store.get(e.vectorsKey)).byteLength, (index.chunks.length + retrievalQueries("VAWA").length) * 64 * 4);
  const vectors = (await loadIndexVectors(store, index))!;
  assert.equal(vectors.chunks.length, index.chunks.length);
  for (const v of vectors.chunks) assert.ok(Math.abs(dot(v, v) - 1) < 1e-5);

  // The stored rows are that model's vectors for those very texts.
  const embedder = await LocalEmbedder.open({
    modelPath: path.join(root, "models/stories260K.gguf"),
    modelId: "stories-260k",
    contextSize: 768,
    threads: 1,
  });
  try {
    const [c0, q0] = await embedder.embed([index.chunks[0]!.text, legalElements.VAWA[1]!.query]);
    assert.ok(dot(c0!, vectors.chunks[0]!) > 0.9999);
    assert.ok(dot(q0!, vectors.queries.get(legalElements.VAWA[1]!.query)!) > 0.9999);
  } finally {
    await embedder.dispose();
  }

  // With room for every chunk, a paragraph prompt lists the sources in the hybrid order.
  const job = await planStage({
    stage: "DraftDeclaration",
    input: stageInputOf("DraftDeclaration", state),
    store,
    countTokens: () => 1,
    contextLimit: 100_000,
    maxTokens: 200,
  });
  let differs = 0;
  for (const [i, element] of legalElements.VAWA.entries()) {
    const listed = [...job.calls[i]!.prompt.matchAll(/^\[(\S+)\] \(/gm)].map((m) => m[1]);
    const hybrid = ids(
      rankChunks(index, element.query, { chunkVectors: vectors.chunks, queryVector: vectors.queries.get(element.query), k: 60 }),
    );
    assert.deepEqual(listed, hybrid, element.id);
    if (hybrid.join() !== ids(rankChunks(index, element.query)).join()) differs++;
  }
  assert.ok(differs > 0, "the vectors changed at least one ranking (else this test would not tell hybrid from BM25)");
});

test("AFFIANT_EMBEDDINGS=off: a BM25-only index that says why, and the worker ranks by BM25", async () => {
  const { state, env } = await preparedState();
  const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
  const out = await buildIndex({ state }, store, { mode: "off" });
  const index = await getJson<StoredIndex>(store, out.indexKey);
  assert.equal(index.embedding, undefined);
  assert.equal(index.embeddingSkipped, "AFFIANT_EMBEDDINGS=off");
  assert.equal(await loadIndexVectors(store, index), undefined);
  const job = await planStage({
    stage: "DraftDeclaration",
    input: stageInputOf("DraftDeclaration", state, { indexKey: out.indexKey }),
    store,
    countTokens: () => 1,
    contextLimit: 100_000,
    maxTokens: 200,
  });
  const listed = [...job.calls[0]!.prompt.matchAll(/^\[(\S+)\] \(/gm)].map((m) => m[1]);
  assert.deepEqual(listed, ids(rankChunks(index, legalElements.VAWA[0]!.query)));
});

test("the shipped registry before `affiant models pull`: Index is BM25 only and names the missing model", async (t) => {
  const shipped = loadRegistry(defaultRegistryPath);
  const file = modelFilePath(shipped, shipped.embedding!.local.model);
  if (existsSync(file)) return t.skip(`${file} is present (pulled): nothing to check`);
  const { state, env } = await preparedState();
  const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
  const index = await getJson<StoredIndex>(store, (await buildIndex({ state }, store, { registry: shipped, mode: "local" })).indexKey);
  assert.equal(index.embedding, undefined);
  assert.match(
    index.embeddingSkipped!,
    /^embedding model nomic-embed-text-v1\.5 is not at .*nomic-embed-text-v1\.5\.Q8_0\.gguf \(run `affiant models pull`\)$/,
  );
});
