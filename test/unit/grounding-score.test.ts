/**
 * The BERTScore-style grounding score: exact numbers on constructed vectors, then Score
 * for real (Index and Score embedding with the committed model) on a case built so one
 * paragraph repeats its source word for word and another invents everything.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { getJson, LocalBlobStore, putJson } from "../../core/blob-store.ts";
import type { Draft } from "../../core/declaration.ts";
import type { PipelineState } from "../../core/pipeline-state.ts";
import { loadRegistry } from "../../core/registry.ts";
import { normalize } from "../../core/vectors.ts";
import { buildIndex } from "../../functions/build-index.ts";
import { scoreDraft } from "../../functions/score-draft.ts";
import { groundingScore } from "../../functions/scoring/grounding.ts";
import { makeTestHome } from "../helpers.ts";

const v = (...xs: number[]) => normalize(xs);
const e1 = v(1, 0, 0);
const e2 = v(0, 1, 0);
const e3 = v(0, 0, 1);
const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} ≠ ${expected}`);

test("greedy matching: precision per sentence, recall per cited chunk, F1, per element and overall", () => {
  const r = groundingScore([
    // One sentence is its source, one matches nothing: P = (1 + 0) / 2, R = 1, F1 = 2/3.
    { element: "abuse", sentences: [e1, e2], sources: [e1] },
    // cos 0.8 to the first source, 0 to the second: P = 0.8, R = (0.8 + 0) / 2, F1 = 8/15.
    { element: "residence", sentences: [v(0.6, 0.8, 0)], sources: [e2, e3] },
  ]);
  close(r.elements[0]!.precision, 0.5, "abuse P");
  close(r.elements[0]!.recall, 1, "abuse R");
  close(r.elements[0]!.f1, 2 / 3, "abuse F1");
  close(r.elements[1]!.precision, 0.8, "residence P");
  close(r.elements[1]!.recall, 0.4, "residence R");
  close(r.elements[1]!.f1, 8 / 15, "residence F1");
  // Overall pools the three sentences (1, 0, 0.8) and the three cited chunks (1, 0.8, 0).
  close(r.precision, 0.6, "P");
  close(r.recall, 0.6, "R");
  close(r.f1, 0.6, "F1");
  assert.equal(r.min!.element, "residence");
  close(r.min!.f1, 8 / 15, "min F1");
  assert.deepEqual(
    r.elements.map((x) => [x.sentences, x.sources]),
    [
      [2, 1],
      [1, 2],
    ],
  );
});

test("an empty paragraph that cites chunks lowers recall; one citing nothing scores 0; the baseline rescales", () => {
  const r = groundingScore([
    { element: "abuse", sentences: [e1, e2], sources: [e1] },
    { element: "residence", sentences: [v(0.6, 0.8, 0)], sources: [e2, e3] },
    { element: "moral-character", sentences: [], sources: [e1] },
    { element: "relationship", sentences: [e3], sources: [] },
  ]);
  assert.deepEqual(
    r.elements.slice(2).map((x) => [x.precision, x.recall, x.f1]),
    [
      [0, 0, 0],
      [0, 0, 0],
    ],
  );
  close(r.precision, (1 + 0 + 0.8 + 0) / 4, "P");
  close(r.recall, (1 + 0.8 + 0 + 0) / 4, "R");
  close(r.f1, 0.45, "F1");
  assert.equal(r.min!.element, "moral-character", "the first of the weakest");

  // Baseline 0.5: cos 1 → 1, 0.8 → 0.6, 0 → 0 (floored, never negative).
  const b = groundingScore([{ element: "residence", sentences: [v(0.6, 0.8, 0)], sources: [e2, e3] }], { baseline: 0.5 });
  close(b.precision, 0.6, "rescaled P");
  close(b.recall, 0.3, "rescaled R");
  close(b.f1, 0.4, "rescaled F1");
  assert.deepEqual(groundingScore([]), { precision: 0, recall: 0, f1: 0, elements: [], min: null });
});

async function scoredCase(options: { maxRewrites: number; mode?: "off" }) {
  const home = makeTestHome();
  const registry = loadRegistry(home.registry);
  const store = new LocalBlobStore(path.join(home.home, "blobs"));
  const runKey = "runs/ground-1/exec-1";
  const state = {
    caseId: "ground-1",
    caseType: "VAWA",
    runKey,
    executionName: "exec-1",
    faults: {},
    rewrites: { n: 0 },
    maxRewrites: options.maxRewrites,
    scoreThreshold: 0.99,
    redact: { redactedKey: `${runKey}/redacted.json`, entityCount: 0 },
  } as unknown as PipelineState;
  await putJson(store, state.redact!.redactedKey, {
    documents: [
      {
        file: "declaration-notes.pdf",
        pages: [
          { page: 1, text: "He pushed me against the kitchen wall." },
          { page: 2, text: "We lived together at the apartment on Main Street." },
        ],
      },
    ],
  });
  state.index = await buildIndex({ state }, store, { registry, mode: "local" });
  const draft: Draft = {
    caseType: "VAWA",
    round: 0,
    paragraphs: [
      {
        element: "abuse",
        title: "Battery or extreme cruelty",
        text: "He pushed me against the kitchen wall.",
        sources: ["declaration-notes.pdf#p1-1"],
        citations: ["declaration-notes.pdf p.1"],
      },
      {
        element: "residence",
        title: "Shared residence",
        text: "The moon is made of green cheese. Birds sing at dawn.",
        sources: ["declaration-notes.pdf#p2-1"],
        citations: ["declaration-notes.pdf p.2"],
      },
    ],
  };
  await putJson(store, `${runKey}/draft-0.json`, draft);
  state.draft = { outputKey: `${runKey}/draft-0.json` } as PipelineState["draft"];
  state.judges = [];
  for (const [stage, score] of [
    ["JudgeFaithfulness", 5],
    ["JudgeCoverage", 3],
    ["JudgeTone", 4],
  ] as const) {
    await putJson(store, `${runKey}/judges/${stage}.json`, { score, reasons: "r" });
    state.judges.push({ stage, outputKey: `${runKey}/judges/${stage}.json` } as NonNullable<PipelineState["judges"]>[number]);
  }
  const out = await scoreDraft({ state }, store, { registry, mode: options.mode });
  return { out, report: await getJson<Record<string, any>>(store, out.scoreKey) };
}

test("Score for real: a paragraph that is its source scores F1 1, an invented one less; the final score combines them as documented", async () => {
  const { out, report } = await scoredCase({ maxRewrites: 1 });
  const g = report.grounding;
  assert.equal(g.provider, "local");
  assert.equal(g.model, "stories-260k");
  assert.equal(g.weight, 0.3);
  assert.deepEqual(
    g.elements.map((x: any) => [x.element, x.sentences, x.sources]),
    [
      ["abuse", 1, 1],
      ["residence", 2, 1],
    ],
  );
  assert.equal(g.elements[0].f1, 1, "the same text embeds to the same vector");
  assert.ok(g.elements[1].f1 < 1 && g.elements[1].f1 >= 0, `invented text: F1 ${g.elements[1].f1}`);
  assert.deepEqual(g.min, { element: "residence", f1: g.elements[1].f1 });
  assert.ok(g.f1 > g.min.f1 && g.f1 <= 1);

  assert.equal(report.judgeScore, 0.75, "(5, 3, 4) → (1 + 0.5 + 0.75) / 3");
  assert.equal(report.supportScore, 1 / 3, "one of three sentences is in its source");
  const base = 0.5 * 0.75 + 0.5 / 3;
  assert.ok(Math.abs(out.value - (0.7 * base + 0.3 * g.f1)) <= 0.0006, `value ${out.value} = 0.7 · ${base} + 0.3 · ${g.f1}`);
  assert.equal(report.value, out.value);
  assert.equal(out.rewrite, true, "below the threshold with a rewrite left: the Choice goes to GuardrailsRewrite");
  // What goes into the execution's state (and so its history) is numbers and keys only; the
  // record in the run's folder names the unsupported sentences for the rewrite and the review
  // document, in the redacted text the draft beside it already holds, and nothing else.
  assert.doesNotMatch(JSON.stringify(out), /green cheese|kitchen wall|Birds sing/, "the state: numbers and ids only");
  assert.deepEqual(
    report.sentenceScores.map((x: { text: string }) => x.text),
    ["He pushed me against the kitchen wall.", "The moon is made of green cheese.", "Birds sing at dawn."],
    "the record's text is the draft's sentences",
  );
  assert.deepEqual(
    report.unsupported.map((x: { i: number }) => x.i),
    [1, 2],
  );
});

test("Score without vectors keeps the judge/support score and says why; no rewrite is due once rewrites are spent", async () => {
  const { out, report } = await scoredCase({ maxRewrites: 0, mode: "off" });
  assert.deepEqual(report.grounding, { skipped: "AFFIANT_EMBEDDINGS=off" });
  assert.equal(out.value, Math.round((0.5 * 0.75 + 0.5 / 3) * 1000) / 1000);
  assert.equal(out.rewrite, false);
});
