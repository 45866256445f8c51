/**
 * A gate that means it: the real Score on judges' verdicts written here (scripted model
 * output: faithfulness 1 against coverage and tone 5, every sentence word for word from its
 * source), then the real Reinject marking the declaration as failing review in the report,
 * the Markdown, the DOCX and the PDF, against a clean pass that carries no such mark.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { inflateRawSync } from "node:zlib";
import { PDFParse } from "pdf-parse";
import { type BlobStore, getJson, putJson } from "../../core/blob-store.ts";
import type { PipelineState } from "../../core/pipeline-state.ts";
import { reinjectCase } from "../../functions/reinject-pii.ts";
import { gateFailures, scoreDraft } from "../../functions/score-draft.ts";
import type { ExecutionRow } from "../../workflows/engine/history-db.ts";
import { summarizeExecution } from "../../workflows/engine/summary.ts";
import { scriptedReport, stageInputOf } from "../helpers.ts";
import { redactedCase, sampleDraft } from "../reinject-fixture.ts";

/** The execution summary the API and the viewer serve, for a succeeded run with this output. */
const summaryOf = (output: unknown) =>
  summarizeExecution(
    {
      id: "gate",
      caseId: "vawa-sample-0001",
      caseDir: null,
      status: "SUCCEEDED",
      input: {},
      output,
      error: null,
      cause: null,
      startedAt: new Date(0).toISOString(),
      endedAt: new Date(1).toISOString(),
      pipelineVersion: "1",
      outputDir: null,
      ownerPid: null,
    } as ExecutionRow,
    [],
    [],
  );

/** word/document.xml out of a DOCX, found through the zip's central directory. */
function docxDocument(zip: Buffer): string {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    const nameLen = zip.readUInt16LE(p + 28);
    if (zip.toString("utf8", p + 46, p + 46 + nameLen) === "word/document.xml") {
      const local = zip.readUInt32LE(p + 42);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + zip.readUInt32LE(p + 20));
      return (zip.readUInt16LE(p + 10) === 8 ? inflateRawSync(data) : data).toString("utf8");
    }
    p += 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  throw new Error("no word/document.xml in the DOCX");
}

/** Judges answering with fixed JSON, an index whose chunks are the draft's sentences. */
async function scripted(state: PipelineState, store: BlobStore, scores: { faithfulness: number; coverage: number; tone: number }) {
  const chunks = sampleDraft.paragraphs
    .filter((p) => p.text)
    .map((p) => ({ id: p.sources[0]!, file: p.sources[0]!.split("#")[0]!, page: 1, text: p.text }));
  state.index = { indexKey: `${state.runKey}/index.json`, chunkCount: chunks.length };
  await putJson(store, state.index.indexKey, { chunks });
  state.judges = [];
  for (const [stage, score] of [
    ["JudgeFaithfulness", scores.faithfulness],
    ["JudgeCoverage", scores.coverage],
    ["JudgeTone", scores.tone],
  ] as const) {
    const key = `${state.runKey}/judges/${stage}-r0.json`;
    await putJson(store, key, { score, reasons: "scripted" });
    state.judges.push(scriptedReport(stage, key));
  }
  state.scoreThreshold = 0.5;
}

test("gate rules: faithfulness ≤ 2, one unsupported sentence or a placeholder problem fails whatever the average", () => {
  const clean = { value: 0.9, threshold: 0.5, faithfulness: 5, sentences: 4, unsupported: 0, placeholderProblems: 0 };
  assert.deepEqual(gateFailures(clean), []);
  assert.deepEqual(gateFailures({ ...clean, faithfulness: 2 }), ["faithfulness 2 of 5 (at most 2 fails)"]);
  assert.deepEqual(gateFailures({ ...clean, faithfulness: 3 }), []);
  assert.deepEqual(gateFailures({ ...clean, unsupported: 1 }), ["1 of 4 sentence(s) not supported by their sources"]);
  assert.deepEqual(gateFailures({ ...clean, placeholderProblems: 2 }), ["2 placeholder problem(s) left by the rewrites"]);
  assert.deepEqual(gateFailures({ ...clean, value: 0.4 }), ["score 0.4 below the threshold 0.5"]);
});

test("scripted judges: faithfulness 1 with coverage and tone 5 fails the gate, is rewritten while rounds are left, then ships marked failing review", async () => {
  const { store, state } = await redactedCase({ executionName: "gate-1" });
  await scripted(state, store, { faithfulness: 1, coverage: 5, tone: 5 });
  state.maxRewrites = 1;
  state.rewrites = { n: 0 };
  const first = await scoreDraft({ state }, store, { mode: "off" });
  assert.ok(first.value >= 0.5, `the average alone would pass: ${first.value}`);
  assert.equal(first.passed, false);
  assert.equal(first.rewrite, true);

  state.rewrites = { n: 1 };
  const last = await scoreDraft({ state }, store, { mode: "off" });
  assert.deepEqual({ passed: last.passed, rewrite: last.rewrite }, { passed: false, rewrite: false });
  state.score = last;
  const output = await reinjectCase({ state }, store);
  assert.equal(output.review.status, "failing-review");
  assert.deepEqual(output.review.failures, ["faithfulness 1 of 5 (at most 2 fails)"]);
  // The API's execution status (and the viewer, which reads it) carries the verdict, as `quality` (`review` is the attorney gate's).
  assert.deepEqual(summaryOf(output).quality, output.review);
  const reportJson = await getJson<{ review: { status: string } }>(store, output.reportKey);
  assert.equal(reportJson.review.status, "failing-review");
  const markdown = (await store.get(output.declarationKey)).toString("utf8");
  assert.match(markdown, /^# Declaration of Elena Fictitia Marsh\n\n> \*\*FAILING REVIEW: .*faithfulness 1 of 5/);
  // The DOCX's document part (deflated in the zip) and the PDF's text both carry the mark.
  const docx = await store.get(output.docxKey);
  const pdf = new PDFParse({ data: new Uint8Array(await store.get(output.pdfKey)) });
  try {
    const text = (await pdf.getText()).text.replace(/\s+/g, " ");
    assert.match(text, /FAILING REVIEW: this draft did not pass/);
  } finally {
    await pdf.destroy();
  }
  assert.match(docxDocument(docx), /FAILING REVIEW: this draft did not pass/);
});

test("scripted judges: all 5 and every sentence supported is a clean pass, with no failing-review mark", async () => {
  const { store, state } = await redactedCase({ executionName: "gate-2", score: undefined });
  await scripted(state, store, { faithfulness: 5, coverage: 5, tone: 5 });
  state.rewrites = { n: 0 };
  state.maxRewrites = 0;
  state.score = await scoreDraft({ state }, store, { mode: "off" });
  assert.equal(state.score.passed, true);
  const output = await reinjectCase({ state }, store);
  assert.deepEqual(output.review, { status: "passed", failures: [] });
  assert.deepEqual(summaryOf(output).quality, { status: "passed", failures: [] });
  assert.doesNotMatch((await store.get(output.declarationKey)).toString("utf8"), /FAILING REVIEW/);
});

test("scripted judges all 5 but a sentence its source does not support: the gate fails, the review rendition flags the sentence, the filing rendition is numbered paragraphs, oath and signature only", async () => {
  const { store, state } = await redactedCase({ executionName: "gate-3", score: undefined });
  await scripted(state, store, { faithfulness: 5, coverage: 5, tone: 5 });
  // The abuse paragraph's source says something else entirely.
  const index = await getJson<{ chunks: Array<{ id: string; text: string }> }>(store, state.index!.indexKey);
  index.chunks.find((c) => c.id === "personal-statement.pdf#1")!.text = "The garden has tomatoes and basil in summer.";
  await putJson(store, state.index!.indexKey, index);
  state.rewrites = { n: 0 };
  state.maxRewrites = 0;
  state.score = await scoreDraft({ state }, store, { mode: "off" });
  assert.equal(state.score.passed, false);
  const output = await reinjectCase({ state }, store);
  assert.equal(output.review.status, "failing-review");
  assert.match(output.review.failures.join(), /1 of \d+ sentence\(s\) not supported/);
  const reviewMd = (await store.get(output.declarationKey)).toString("utf8");
  assert.match(
    reviewMd,
    /## 3\. Battery or extreme cruelty\n\nHe pushed me against a wall and hurt my wrist\.\n\n_Sources: .*_\n\n_Flag: sentence 1 is not supported by its sources \(support 0\)\._/,
  );
  assert.match(reviewMd, /DRAFT generated by Affiant/);

  const filingMd = (await store.get(output.filing.markdownKey)).toString("utf8");
  assert.match(
    filingMd,
    /^# Declaration of Elena Fictitia Marsh\n\n> \*\*FAILING REVIEW: /,
    "a failing draft is marked even in the filing rendition",
  );
  assert.match(
    filingMd,
    /I, Elena Fictitia Marsh, declare as follows:\n\n1\. My name is Elena Fictitia Marsh\. I am the self-petitioner in this VAWA self-petition/,
  );
  assert.match(filingMd, /\n2\. I, Elena Fictitia Marsh, married my husband in 2016\./);
  assert.match(filingMd, /\n3\. He pushed me against a wall and hurt my wrist\.\n/);
  assert.doesNotMatch(filingMd, /\n4\./, "an element with nothing drafted leaves no empty paragraph");
  for (const absent of [/Sources:/, /Flag:/, /DRAFT generated/, /^## /m]) assert.doesNotMatch(filingMd, absent);
  assert.match(
    filingMd,
    /I declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct\.\n\nExecuted on _+ \(date\) at _+ \(city, state or country\)\.\n\nSignature of declarant: _+\n\nPrinted name: Elena Fictitia Marsh\n$/,
  );
  const filingDocx = docxDocument(await store.get(output.filing.docxKey));
  assert.match(filingDocx, /1\. My name is Elena Fictitia Marsh/);
  assert.doesNotMatch(filingDocx, /Sources:|DRAFT generated/);
  const pdf = new PDFParse({ data: new Uint8Array(await store.get(output.filing.pdfKey)) });
  try {
    const text = (await pdf.getText()).text.replace(/\s+/g, " ");
    assert.match(text, /3\. He pushed me against a wall and hurt my wrist\./);
    assert.match(text, /penalty of perjury/);
    assert.doesNotMatch(text, /Sources:|DRAFT generated/);
  } finally {
    await pdf.destroy();
  }
});

test("scripted judges: the review document names per paragraph its exhibits and unsupported sentences, the judges' notes, elements not covered, documents never cited and the exhibit list, in Markdown and DOCX; a second version becomes a column", async () => {
  const { store, state } = await redactedCase({ executionName: "gate-4", score: undefined });
  await scripted(state, store, { faithfulness: 5, coverage: 4, tone: 5 });
  // One more document in the index that no paragraph cites, and an unsupported abuse sentence.
  const index = await getJson<{ chunks: Array<{ id: string; file: string; page: number; text: string }> }>(store, state.index!.indexKey);
  index.chunks.find((c) => c.id === "personal-statement.pdf#1")!.text = "The garden has tomatoes and basil in summer.";
  // The uncited document tells the wrist injury as a fall; the intake notes, as a push: a contradiction to report.
  index.chunks.push({
    id: "[DOCUMENT_1]#p1-1",
    file: "[DOCUMENT_1]",
    page: 1,
    text: "Never cited. I told the nurse I fell and hurt my wrist.",
  });
  index.chunks.push({
    id: "intake-notes.pdf#p1-9",
    file: "intake-notes.pdf",
    page: 1,
    text: "The husband pushed her and injured her wrist.",
  });
  await putJson(store, state.index!.indexKey, index);
  state.rewrites = { n: 0 };
  state.maxRewrites = 0;
  state.score = await scoreDraft({ state }, store, { mode: "off" });
  const output = await reinjectCase({ state }, store);
  const md = (await store.get(output.reviewDocument.markdownKey)).toString("utf8");
  assert.match(md, /^# Review of the draft declaration\n\n\*\*FAILING REVIEW:\*\* 1 of \d+ sentence/);
  assert.match(
    md,
    /## 2\. Qualifying relationship\n\n_Supports: Qualifying relationship[^_]*_\n\nI, Elena Fictitia Marsh, married my husband in 2016\. My A-number is A123456789\.\n\nCites: Exhibit A, p\. 1/,
  );
  assert.match(md, /Cites: Exhibit B, p\. 1\n\n- Unsupported sentence 1 \(support 0\): “He pushed me against a wall and hurt my wrist\.”/);
  assert.match(md, /## Judges' notes\n\n- JudgeFaithfulness: 5 of 5\. scripted\n- JudgeCoverage: 4 of 5\. scripted/);
  // The sample draft has no paragraph for these elements of a VAWA spouse petition (8 CFR 204.2(c)).
  // The sample's abuser is a U.S. citizen (case.json parties): INA 204(a)(1)(A)(iii)'s provisions.
  assert.match(
    md,
    /## Elements with nothing drafted\n\n- The abuser's U\.S\. citizenship, or its loss or renunciation within the past two years related to an incident of domestic violence \(INA 204\(a\)\(1\)\(A\)\(iii\)\(II\)\(aa\)\(CC\)\(bbb\); 8 CFR 204\.2\(c\)\(1\)\(i\)\(A\), \(c\)\(2\)\(ii\)\)/,
  );
  assert.match(md, /## Evidence to gather\n\n- \[ \] Marriage certificate/);
  // [DOCUMENT_1] is re-injected: the attorney reads the real file name.
  assert.match(md, /## Documents never cited\n\n- Exhibit C: [^\n[]+\.pdf\n/);
  assert.match(
    md,
    /## Exhibit list\n\n- Exhibit A: intake-notes\.pdf \(pages 1; cited: 1\)\n- Exhibit B: personal-statement\.pdf \(pages 1; cited: 1\)\n- Exhibit C: [^\n[]+\.pdf \(pages 1; not cited\)/,
  );
  assert.match(
    md,
    /## Facts to confirm with the client\n\n- “He pushed me against a wall and hurt my wrist\.”: the sources it cites do not support it \(paragraph 3\)\n/,
  );
  assert.match(
    md,
    /## Contradictions between sources\n\n- Same event \(wrist\) told as an accident in Exhibit C, p\. 1 \([^\n[]+\.pdf\): “I told the nurse I fell and hurt my wrist\.” and as inflicted in Exhibit A, p\. 1 \(intake-notes\.pdf\): “The husband pushed her and injured her wrist\.”\n/,
  );
  const docx = docxDocument(await store.get(output.reviewDocument.docxKey));
  for (const s of [
    "FAILING REVIEW",
    "Exhibit A, p. 1",
    "Unsupported sentence 1",
    "Exhibit list",
    "Evidence to gather",
    "Documents never cited",
    "English (filing version)",
    "Who is who",
    "Facts to confirm with the client",
    "Contradictions between sources",
    "I told the nurse I fell and hurt my wrist.",
    "the sources it cites do not support it (paragraph 3)",
  ])
    assert.ok(docx.includes(s), s);

  // A second version of each paragraph (a translation) is one more column, nothing else to change.
  const { buildReviewDocument, renderReviewMarkdown } = await import("../../functions/review-document.ts");
  const two = buildReviewDocument({
    draft: sampleDraft,
    review: output.review,
    elements: [],
    chunks: [],
    score: null,
    placeholderProblems: [],
  });
  two.versions.push("Spanish");
  for (const p of two.paragraphs) p.texts.push(`(es) ${p.texts[0]}`);
  assert.match(
    renderReviewMarkdown(two),
    /\| English \(filing version\) \| Spanish \|\n\| --- \| --- \|\n\| I, \[PERSON_1\], married my husband in 2016\. My A-number is \[A_NUMBER_1\]\. \| \(es\) I, \[PERSON_1\]/,
  );
});

test("scripted draft and judges (scripted model output): each sentence is scored against the chunk it cites, a swapped role is unsupported and fails the gate, and the score lists every sentence with its index, text and sources", async () => {
  const draft = {
    caseType: "VAWA" as const,
    round: 0,
    paragraphs: [
      {
        element: "abuse",
        title: "Battery or extreme cruelty",
        text: "[PERSON_2] pushed me against the kitchen wall. I pushed [PERSON_2] against the kitchen wall.",
        sources: ["police.pdf#1", "garden.pdf#1"],
        citations: ["police.pdf p.1", "garden.pdf p.1"],
        sentences: [
          { text: "[PERSON_2] pushed me against the kitchen wall.", sources: ["police.pdf#1"] },
          { text: "I pushed [PERSON_2] against the kitchen wall.", sources: ["police.pdf#1"] },
        ],
      },
      {
        element: "residence",
        title: "Residence with the abuser",
        text: "We lived together on Elm Street.",
        sources: ["garden.pdf#1"],
        citations: ["garden.pdf p.1"],
        // Cited the garden note only: the lease chunk the paragraph's prompt also held does not count for it.
        sentences: [{ text: "We lived together on Elm Street.", sources: ["garden.pdf#1"] }],
      },
    ],
  };
  const { store, state } = await redactedCase({ executionName: "gate-5", score: undefined, draft });
  await scripted(state, store, { faithfulness: 5, coverage: 5, tone: 5 });
  await putJson(store, state.index!.indexKey, {
    chunks: [
      { id: "police.pdf#1", file: "police.pdf", page: 1, text: "[PERSON_2] pushed [PERSON_1] against the kitchen wall." },
      { id: "garden.pdf#1", file: "garden.pdf", page: 1, text: "The garden has tomatoes." },
      { id: "lease.pdf#1", file: "lease.pdf", page: 1, text: "We lived together on Elm Street." },
    ],
  });
  state.rewrites = { n: 0 };
  state.maxRewrites = 1;
  const out = await scoreDraft({ state }, store, { mode: "off" });
  assert.deepEqual({ passed: out.passed, rewrite: out.rewrite }, { passed: false, rewrite: true });
  const record = await getJson<{
    failures: string[];
    sentenceScores: Array<Record<string, unknown>>;
    unsupported: Array<Record<string, unknown>>;
  }>(store, out.scoreKey);
  assert.deepEqual(
    record.sentenceScores.map((s) => [s.i, s.paragraph, s.sentence, s.element, s.supported]),
    [
      [0, 0, 0, "abuse", true],
      [1, 0, 1, "abuse", false],
      [2, 1, 0, "residence", false],
    ],
  );
  assert.deepEqual(
    record.unsupported.map((s) => ({ i: s.i, text: s.text, sources: s.sources, support: s.support })),
    [
      { i: 1, text: "I pushed [PERSON_2] against the kitchen wall.", sources: ["police.pdf#1"], support: 0 },
      { i: 2, text: "We lived together on Elm Street.", sources: ["garden.pdf#1"], support: 0 },
    ],
  );
  assert.ok(record.failures.includes("2 of 3 sentence(s) not supported by their sources"), record.failures.join("; "));

  // The rewrite's prompt for that element names the unsupported sentence as a reason.
  const { planStage } = await import("../../core/stages/plan-stage.ts");
  const rewrite = await planStage({
    stage: "GuardrailsRewrite",
    input: stageInputOf("GuardrailsRewrite", state, {
      draftKey: state.draft!.outputKey,
      judgeKeys: state.judges!.map((j) => j.outputKey),
    }),
    store,
    countTokens: (t: string) => Math.ceil(t.length / 4),
    contextLimit: 8192,
    maxTokens: 1200,
  });
  assert.match(
    rewrite.calls.find((c) => c.id === "abuse")!.prompt,
    /Reviewers said: Placeholders: abuse: .* \/ Unsupported: sentence 2 "I pushed \[PERSON_2\] against the kitchen wall\." is not supported by the sources it cites \/ scripted/,
  );
  assert.match(rewrite.calls.find((c) => c.id === "residence")!.prompt, /Unsupported: sentence 1 "We lived together on Elm Street\."/);
});
