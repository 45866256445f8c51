/**
 * Document roles (case.json `documents`) without a model: parsed and validated (an unknown role,
 * a file listed twice, a role for a file the case does not hold, each refused before anything is
 * stored), the case's order, the exhibit list lettering only exhibits, a Spanish exhibit flagged
 * with its certificate of translation, sentences resting on an interview, and the rules for
 * facts from the client in a review decision and their redaction.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Hono } from "hono";
import { errorResponse } from "../../api/error-response.ts";
import type { Executions } from "../../api/executions.ts";
import { caseRoutes } from "../../api/routes/cases.ts";
import { detectLanguage, orderCaseFiles, roleOf, sourceLabels } from "../../core/case-documents.ts";
import { caseFileSchema } from "../../core/case-file.ts";
import type { Draft } from "../../core/declaration.ts";
import { AffiantError, InvalidInputError } from "../../core/errors.ts";
import { chunkPages, rankChunks } from "../../core/retrieval.ts";
import { checkReviewDecision } from "../../core/review.ts";
import { redactFacts } from "../../functions/review/interview-facts.ts";
import { buildReviewDocument, mapReviewText, renderReviewMarkdown } from "../../functions/review-document.ts";
import { readCaseFolder } from "../../workflows/engine/case-intake.ts";
import { vawa } from "../../workflows/samples/sample-cases.ts";
import { vawaSpanish } from "../../workflows/samples/spanish-sample.ts";
import { copyCase, makeTestHome, samples } from "../helpers.ts";

const base = {
  caseId: "roles-1",
  caseType: "VAWA",
  declarant: { name: "Elena Fictitia Marsh" },
  parties: [{ role: "abuser", name: "Derek Samplefield", status: "U.S. citizen" }],
};

test("case.json documents: roles parsed (absent: exhibit), an unknown role and a file listed twice refused with the field named", () => {
  const parsed = caseFileSchema.parse({
    ...base,
    documents: [{ file: "b.pdf", role: "exhibit", language: "es" }, { file: "notes.pdf", role: "work-product" }, { file: "a.pdf" }],
  });
  assert.deepEqual(
    parsed.documents!.map((d) => [d.file, d.role, d.language]),
    [
      ["b.pdf", "exhibit", "es"],
      ["notes.pdf", "work-product", undefined],
      ["a.pdf", "exhibit", undefined],
    ],
  );
  assert.equal(roleOf(parsed.documents, "unlisted.pdf"), "exhibit");
  assert.equal(roleOf(undefined, "any.pdf"), "exhibit");

  const unknown = caseFileSchema.safeParse({ ...base, documents: [{ file: "a.pdf", role: "evidence" }] });
  assert.equal(unknown.success, false);
  assert.deepEqual(unknown.error!.issues[0]!.path, ["documents", 0, "role"]);
  assert.match(unknown.error!.issues[0]!.message, /not a document role: use one of exhibit, work-product, interview/);
  const twice = caseFileSchema.safeParse({ ...base, documents: [{ file: "a.pdf" }, { file: "A.pdf", role: "interview" }] });
  assert.equal(twice.success, false);
  assert.match(twice.error!.issues[0]!.message, /A\.pdf is listed twice \(first at documents\.0\)/);
  const notList = caseFileSchema.safeParse({ ...base, documents: { file: "a.pdf" } });
  assert.match(notList.error!.issues[0]!.message, /must be a list of \{file, role, language\?\}/);
});

test("the case's order: listed files as listed, then the rest by name; exhibits lettered skipping work product and interviews", () => {
  const entries = caseFileSchema.parse({
    ...base,
    documents: [
      { file: "police.pdf" },
      { file: "intake.pdf", role: "work-product" },
      { file: "statement.pdf", role: "interview" },
      { file: "letter.pdf" },
    ],
  }).documents;
  assert.deepEqual(orderCaseFiles(entries, ["zeta.pdf", "letter.pdf", "alpha.pdf", "statement.pdf", "intake.pdf", "police.pdf"]), [
    "police.pdf",
    "intake.pdf",
    "statement.pdf",
    "letter.pdf",
    "alpha.pdf",
    "zeta.pdf",
  ]);
  const labels = sourceLabels(
    [
      { file: "[DOCUMENT_1]", role: "exhibit", language: "en" },
      { file: "[DOCUMENT_2]", role: "work-product", language: "en" },
      { file: "[DOCUMENT_3]", role: "interview", language: "en" },
      { file: "[DOCUMENT_4]", role: "exhibit", language: "es" },
    ],
    ["[DOCUMENT_9]"],
  );
  assert.deepEqual(Object.fromEntries(labels), {
    "[DOCUMENT_1]": "Exhibit A",
    "[DOCUMENT_2]": "Work product 1",
    "[DOCUMENT_3]": "Interview 1",
    "[DOCUMENT_4]": "Exhibit B",
    "[DOCUMENT_9]": "Exhibit C",
  });
});

test("a role for a file the case folder does not hold: a clear error naming case.json and the file, before anything is read", () => {
  const { home } = makeTestHome();
  const dir = copyCase(samples.vawa, path.join(home, "case"));
  const caseJson = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8"));
  // The sample lists its documents: the shelter letter is an exhibit, the intake notes are work product.
  assert.equal(readCaseFolder(dir).caseFile.documents!.find((d) => d.file === "intake-notes.pdf")!.role, "work-product");
  writeFileSync(
    path.join(dir, "case.json"),
    JSON.stringify({ ...caseJson, documents: [...caseJson.documents, { file: "missing-letter.pdf", role: "exhibit" }] }),
  );
  assert.throws(
    () => readCaseFolder(dir),
    (err: Error) =>
      err instanceof InvalidInputError &&
      err.message === `${path.join(dir, "case.json")}: documents.4.file: the case holds no file named "missing-letter.pdf"`,
  );
  writeFileSync(path.join(dir, "case.json"), JSON.stringify({ ...caseJson, documents: [{ file: "intake-notes.pdf", role: "notes" }] }));
  assert.throws(
    () => readCaseFolder(dir),
    /case\.json: documents\.0\.role: not a document role: use one of exhibit, work-product, interview/,
  );
});

test("POST /cases refuses a role for a file not among the upload, multipart or planned, before anything is stored", async () => {
  const stored: string[] = [];
  // The route under test is real; the store behind it records whether it was reached.
  const executions = {
    putCase: async () => void stored.push("putCase"),
    planUploads: async () => {
      stored.push("planUploads");
      return [];
    },
  } as unknown as Executions;
  // Mounted as the app mounts it, with its error handler: an Affiant error is its status and message.
  const app = new Hono();
  app.onError((err, c) => (err instanceof AffiantError ? errorResponse(c, err) : c.text("internal", 500)));
  app.route("/", caseRoutes(executions));
  const caseJson = JSON.stringify({ ...base, documents: [{ file: "letter.pdf" }, { file: "notes.pdf", role: "work-product" }] });
  const form = new FormData();
  form.set("case", caseJson);
  form.append("files", new File([Buffer.from("%PDF-1.4\n")], "letter.pdf", { type: "application/pdf" }));
  const multipart = await app.request("/", { method: "POST", body: form });
  assert.equal(multipart.status, 400);
  assert.match(await multipart.text(), /case: documents\.1\.file: the case holds no file named \\"notes\.pdf\\"/);
  const planned = await app.request("/", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ case: JSON.parse(caseJson), files: [{ name: "notes.pdf", size: 10 }] }),
  });
  assert.equal(planned.status, 400);
  assert.match(await planned.text(), /documents\.0\.file: the case holds no file named \\"letter\.pdf\\"/);
  assert.deepEqual(stored, [], "nothing was stored");
});

test("a document's language read from its text: the Spanish sample's letter and statement are Spanish, the English documents English", () => {
  const text = (d: { pages: string[][] }) => d.pages.map((p) => p.join("\n")).join("\n");
  const all = [...vawaSpanish.documents, ...(vawaSpanish.scans ?? [])];
  assert.equal(detectLanguage(text(all.find((d) => d.file === "carta-iglesia-escaneada.pdf")!)), "es");
  assert.equal(detectLanguage(text(all.find((d) => d.file === "declaracion-personal.pdf")!)), "es");
  for (const d of [...vawa.documents, ...(vawa.scans ?? [])]) assert.equal(detectLanguage(text(d)), "en", d.file);
});

/** A draft whose second paragraph rests on an interview sentence and an exhibit. */
const draft: Draft = {
  caseType: "VAWA",
  round: 1,
  paragraphs: [
    {
      element: "relationship",
      title: "Qualifying relationship",
      text: "I married [PERSON_2] in March 2019.",
      sources: ["[DOCUMENT_3]#p1-1"],
      citations: ["[DOCUMENT_3] p.1"],
      sentences: [{ text: "I married [PERSON_2] in March 2019.", sources: ["[DOCUMENT_3]#p1-1"] }],
    },
    {
      element: "abuse",
      title: "Battery or extreme cruelty",
      text: "He pushed me. The pastor saw my bruises.",
      sources: ["[DOCUMENT_1]#p1-1", "[DOCUMENT_4]#p1-1"],
      citations: [],
      sentences: [
        { text: "He pushed me.", sources: ["[DOCUMENT_1]#p1-1"] },
        { text: "The pastor saw my bruises.", sources: ["[DOCUMENT_4]#p1-1"] },
      ],
    },
  ],
};

test("the review document: the exhibit list letters only exhibits, the Spanish exhibit is flagged with its certificate of translation, work product and interviews are sources not filed, interview sentences listed", () => {
  const chunks = chunkPages([
    { file: "[DOCUMENT_1]", pages: [{ page: 1, text: "Police report. The suspect pushed her." }] },
    { file: "[DOCUMENT_2]", role: "work-product", pages: [{ page: 1, text: "Intake notes." }] },
    { file: "[DOCUMENT_3]", role: "interview", pages: [{ page: 1, text: "We married in March 2019." }] },
    { file: "[DOCUMENT_4]", pages: [{ page: 1, text: "El pastor vio los moretones." }] },
  ]);
  const doc = buildReviewDocument({
    draft,
    review: { status: "passed", failures: [] },
    elements: [],
    chunks,
    score: null,
    placeholderProblems: [],
    documents: [
      { file: "[DOCUMENT_1]", role: "exhibit", language: "en" },
      { file: "[DOCUMENT_2]", role: "work-product", language: "en" },
      { file: "[DOCUMENT_3]", role: "interview", language: "en", round: 0 },
      { file: "[DOCUMENT_4]", role: "exhibit", language: "es" },
    ],
  });
  const names: Record<string, string> = {
    "[DOCUMENT_1]": "police.pdf",
    "[DOCUMENT_2]": "intake.pdf",
    "[DOCUMENT_3]": "facts from the client (review round 0)",
    "[DOCUMENT_4]": "carta.pdf",
    "[PERSON_2]": "Derek Samplefield",
  };
  const md = renderReviewMarkdown(mapReviewText(doc, (t) => t.replace(/\[[A-Z_]+_\d+\]/g, (p) => names[p] ?? p)));
  assert.deepEqual(
    doc.exhibits.map((e) => [e.letter, e.title, e.needsTranslation ?? false]),
    [
      ["A", "[DOCUMENT_1]", false],
      ["B", "[DOCUMENT_4]", true],
    ],
  );
  assert.deepEqual(doc.paragraphs[0]!.exhibits, ["Interview 1, p. 1"]);
  assert.deepEqual(doc.paragraphs[1]!.exhibits, ["Exhibit A, p. 1", "Exhibit B, p. 1"]);
  assert.match(
    md,
    /## Exhibit list\n\n- Exhibit A: police\.pdf \(pages 1; cited: 1\)\n- Exhibit B: carta\.pdf \(pages 1; cited: 1\)\. In Spanish: file it with a certified English translation \(8 CFR 103\.2\(b\)\(3\)\); certificate below\n/,
  );
  assert.match(
    md,
    /## Sources not filed\n\n- Work product 1: intake\.pdf \(pages 1; not cited\)\. Not filed: the attorney's work product, a source for facts and checks, never an exhibit\n- Interview 1: facts from the client \(review round 0\) \(pages 1; cited: 1\)\. Not filed: the declarant's own account taken by the attorney/,
  );
  assert.match(
    md,
    /## Sentences resting on the client interview\n\n- Paragraph 2, sentence 1: “I married Derek Samplefield in March 2019\.” \(Interview 1, p\. 1\): confirm it with the declarant\n/,
  );
  assert.match(
    md,
    /## Certificate of Translation: Exhibit B\n\nI, _+ \(translator\), certify that I am competent to translate from Spanish into English, and that the attached English translation of Exhibit B \(carta\.pdf\) is a full translation, complete and accurate to the best of my knowledge and ability\. This certificate is given under 8 C\.F\.R\. § 103\.2\(b\)\(3\)\.\n\nName: _+\n\nSignature: _+\n\nDate: _+\n\nAddress: _+\n/,
  );
  assert.match(md, /## Documents never cited\n\n- Work product 1: intake\.pdf\n\n/);
  // Without roles (an index made before them) every file is an exhibit, in the chunks' order.
  const old = buildReviewDocument({
    draft,
    review: { status: "passed", failures: [] },
    elements: [],
    chunks,
    score: null,
    placeholderProblems: [],
  });
  assert.deepEqual(
    old.exhibits.map((e) => e.letter),
    ["A", "B", "C", "D"],
  );
  assert.deepEqual(old.unfiledSources, []);
});

test("facts from the client given in a review rank first whatever the query, the latest round first; an interview file ranks like any source", () => {
  const chunks = chunkPages([
    { file: "[DOCUMENT_1]", pages: [{ page: 1, text: "He pushed me against the wall in the kitchen." }] },
    { file: "[DOCUMENT_2]", role: "interview", pages: [{ page: 1, text: "He pushed me again in the garden." }] },
    { file: "[DOCUMENT_3]", role: "interview", round: 0, pages: [{ page: 1, text: "We married in Reno." }] },
    { file: "[DOCUMENT_4]", role: "interview", round: 1, pages: [{ page: 1, text: "The wedding was small." }] },
  ]);
  assert.deepEqual(
    rankChunks({ chunks }, "pushed wall kitchen").map((c) => c.file),
    ["[DOCUMENT_4]", "[DOCUMENT_3]", "[DOCUMENT_1]", "[DOCUMENT_2]"],
  );
});

test("facts from the client go with a changes decision only, within the notes' limit; changes with facts alone is enough", () => {
  const reviewer = "A. Attorney";
  const open = { executionId: "vawa-sample-0001-p1", round: 0, gateStatus: "passed" as const };
  assert.deepEqual(checkReviewDecision({ decision: "changes", round: 0, facts: "We married in 2019.", reviewer, via: "api" }, open), {
    decision: "changes",
    notes: "",
    facts: "We married in 2019.",
  });
  assert.throws(
    () => checkReviewDecision({ decision: "approve", round: 0, facts: "We married in 2019.", reviewer, via: "api" }, open),
    /facts: facts from the client go with a "changes" decision/,
  );
  assert.throws(
    () => checkReviewDecision({ decision: "changes", round: 0, facts: "x".repeat(70 * 1024), reviewer, via: "api" }, open),
    /facts: 71680 bytes, over the 65536-byte limit/,
  );
  assert.throws(
    () => checkReviewDecision({ decision: "changes", round: 0, reviewer, via: "api" }, open),
    /notes: a "changes" decision needs notes/,
  );
});

test("facts from the client redacted like a document: vault values become their placeholders, a new name a new placeholder after the vault's", () => {
  const vault = new Map([
    ["[PERSON_1]", "Elena Fictitia Marsh"],
    ["[PERSON_2]", "Derek Samplefield"],
    ["[DOCUMENT_1]", "intake-notes.pdf"],
  ]);
  const caseFile = caseFileSchema.parse({ ...base, declarant: { name: "Elena Fictitia Marsh" } });
  const { text, added } = redactFacts(
    "Elena said she married Derek Samplefield in March 2019. Her sister Carla Nowhere saw the bruises.",
    vault,
    caseFile,
  );
  assert.equal(text, "[PERSON_1] said she married [PERSON_2] in March 2019. Her sister [PERSON_3] saw the bruises.");
  assert.deepEqual([...added], [["[PERSON_3]", "Carla Nowhere"]]);
});
