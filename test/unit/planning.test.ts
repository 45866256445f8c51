/**
 * Planning a 200-page case (generated text, chunked and indexed as Index does) with the
 * real tokenizer of the committed tiny model: each chunk is tokenized once per element, the
 * budget stops the search, the event loop keeps turning, and progress is reported.
 */

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { openLlama } from "../../containers/llama-worker/model-session.ts";
import { loadTokenizer } from "../../containers/llama-worker/prompt-format.ts";
import { LocalBlobStore, putJson } from "../../core/blob-store.ts";
import { legalElements } from "../../core/legal-elements.ts";
import { loadRegistry, modelFilePath } from "../../core/registry.ts";
import { chunkPages, type StoredIndex } from "../../core/retrieval.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import type { StageInput } from "../../core/stages/task-env.ts";

const words =
  "I we he she they married husband wife citizen abuse pushed hit threatened police home lived together address volunteer work taxes wedding love family account cruelty injury shouted control met joint residence moral character the a and then after before because".split(
    " ",
  );

/** 200 pages of deterministic prose, four paragraphs each, spread over ten documents. */
function generatedCase() {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const sentence = () => `${Array.from({ length: 12 + (next() % 10) }, () => words[next() % words.length]).join(" ")}.`;
  const documents = Array.from({ length: 10 }, (_, d) => ({
    file: `doc-${d + 1}.pdf`,
    pages: Array.from({ length: 20 }, (_, p) => ({
      page: p + 1,
      text: Array.from({ length: 4 }, () => Array.from({ length: 5 }, sentence).join(" ")).join("\n\n"),
    })),
  }));
  return documents;
}

test("planning a 200-page case tokenizes each chunk once, stops when the budget is full, yields and reports progress", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "affiant-plan-"));
  const store = new LocalBlobStore(root);
  const documents = generatedCase();
  assert.equal(
    documents.reduce((n, d) => n + d.pages.length, 0),
    200,
  );
  const index: StoredIndex = { chunks: chunkPages(documents) };
  await putJson(store, "runs/plan/index.json", index);
  const input: StageInput = {
    stage: "DraftDeclaration",
    executionName: "plan-test",
    caseId: "plan-case",
    caseType: "VAWA",
    runKey: "runs/plan",
    faults: {},
    indexKey: "runs/plan/index.json",
    round: 0,
  };

  const registry = loadRegistry();
  const llama = await openLlama();
  const tokenizer = await loadTokenizer(llama, modelFilePath(registry, "stories-260k"));
  try {
    const chunkTexts = new Set(index.chunks.map((c) => `[${c.id}] (${c.file} p.${c.page}) ${c.text}`));
    const seen = new Map<string, number>();
    let counts = 0;
    let wholePrompts = 0;
    const countTokens = (text: string) => {
      counts++;
      if (chunkTexts.has(text)) seen.set(text, (seen.get(text) ?? 0) + 1);
      else if (text.length > 0) wholePrompts++;
      return tokenizer.count(text);
    };
    let progress = 0;
    let ticks = 0;
    let planning = true;
    const tick = () => {
      ticks++;
      if (planning) setImmediate(tick);
    };
    setImmediate(tick);
    const contextLimit = 1500;
    const maxTokens = 400;
    const elements = legalElements.VAWA.length;
    const job = await planStage({
      stage: "DraftDeclaration",
      input,
      store,
      countTokens,
      contextLimit,
      maxTokens,
      onProgress: () => progress++,
    });
    planning = false;

    assert.equal(job.calls.length, elements);
    // Each chunk at most once per element, never the growing prompt once per chunk.
    for (const [, n] of seen) assert.ok(n <= elements, `a chunk was tokenized ${n} times for ${elements} elements`);
    assert.ok(wholePrompts <= elements * 4, `${wholePrompts} whole prompts tokenized for ${elements} elements`);
    // The budget fills long before 200 pages of chunks: the search stops.
    assert.ok(
      counts < (elements * index.chunks.length) / 2,
      `${counts} token counts for ${index.chunks.length} chunks × ${elements} elements`,
    );
    const perCall = Math.max(16, Math.floor(maxTokens / elements));
    for (const call of job.calls) {
      assert.ok(call.chunksUsed > 0, "some sources fit");
      assert.equal(call.chunksUsed + call.chunksOmitted, index.chunks.length);
      assert.ok(tokenizer.count(call.prompt) <= contextLimit - perCall, `prompt of ${tokenizer.count(call.prompt)} tokens over its budget`);
    }
    assert.ok(progress >= elements, `progress reported ${progress} times`);
    assert.ok(ticks >= elements, `the event loop turned ${ticks} times while planning ${elements} elements`);
  } finally {
    await tokenizer.dispose();
    await llama.dispose();
  }
});
