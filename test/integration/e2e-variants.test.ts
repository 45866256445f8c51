/**
 * The variant samples (examples/cases/vawa-parent-sample, vawa-child-sample, vawa-lpr-sample).
 * The child and LPR-abuser cases end to end: `affiant run --approve` through the exported definition in the local engine,
 * real PDFs, real redaction, real llama.cpp generation on the committed tiny model (which writes
 * children's stories, so the words are not checked: what the pipeline guarantees around them is).
 * Each run is a golden run (test/helpers.ts goldenRun), built once per run of the suite. For each:
 * the filing version (¶1 who the declarant is, the § 1746 form the signing place picks, a line
 * to sign), the review document (who is who, the variant's provisions, the filing's paragraph
 * numbers). The Spanish-speaking parent through every real part but the model (see
 * parentOutputs): the interpreter's certificate and the declarant's statement for a written
 * Spanish copy, and the Spanish reading copy numbered as the filing, with nothing to sign.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { getJson, LocalBlobStore, putJson } from "../../core/blob-store.ts";
import type { Draft } from "../../core/declaration.ts";
import { caseElements } from "../../core/legal-elements.ts";
import { type RoleLegend, rolesKey } from "../../core/roles.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import { extractDocuments } from "../../functions/extract-documents.ts";
import { redactCase } from "../../functions/redact-pii.ts";
import { reinjectCase } from "../../functions/reinject-pii.ts";
import { ingestCase, readCaseFolder } from "../../workflows/engine/case-intake.ts";
import { goldenRun, makeTestHome, samples } from "../helpers.ts";

const anyPlaceholder = /\[[A-Z]+(?:_[A-Z]+)*_\d+\]/;
const inside = "I declare under penalty of perjury that the foregoing is true and correct.";
const outside = "I declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct.";

/** The numbers of a Markdown document's numbered paragraphs ("3. …"). */
const numbered = (md: string) => [...md.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
/** The numbers of the review document's paragraph headings ("## 3. …"). */
const headings = (md: string) => [...md.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1]));

async function outputs(sample: keyof typeof samples) {
  const golden = await goldenRun(sample);
  assert.equal(golden.cli.code, 0, golden.cli.stderr);
  const summary = JSON.parse(golden.cli.stdout) as { status: string; outputDir: string };
  assert.equal(summary.status, "SUCCEEDED");
  const read = (f: string) => readFileSync(path.join(summary.outputDir, f), "utf8");
  const filing = read("declaration.filing.md");
  const review = read("review.md");
  // The review document's paragraphs are the filing's, by the filing's numbers.
  const reviewNumbers = headings(review);
  assert.deepEqual(reviewNumbers, numbered(filing), "the review document numbers its paragraphs as the filing does");
  // Placeholders appear only in the legend, beside the names they stand for.
  for (const text of [filing, review.replace(/## Who is who\n\n(?:- .*\n)*/, "")]) assert.doesNotMatch(text, anyPlaceholder);
  return { read, filing, review };
}

/**
 * The parent sample through the real Extract, Redact, TranslateDeclaration finish and Reinject,
 * with the draft and the translation written by the test (scripted model output): the shipped
 * tiny model's greedy JSON runs away in ExtractFacts on this case's prompt, locally and in its
 * greedy fallback, so `affiant run` on it ends in Affiant.FallbackFailed before any draft; a real
 * model does not. What comes after the model is what is under test here.
 */
async function parentOutputs() {
  const home = makeTestHome();
  Object.assign(process.env, home.env);
  const store = new LocalBlobStore(path.join(home.home, "blobs"));
  await ingestCase(readCaseFolder(samples.vawaParent), store);
  const state = await extractDocuments({ input: { caseId: "vawa-parent-sample-0001" }, executionName: "parent-1" }, store);
  state.redact = await redactCase({ state }, store);
  const legend = await getJson<RoleLegend>(store, rolesKey(state.runKey));
  const son = legend.parties.find((p) => p.role === "abuser")!.placeholder;
  const { elements } = await caseElements(store, state.runKey, "VAWA");
  const text: Record<string, string> = {
    relationship: `I am the mother of ${son}, a U.S. citizen born in 1990.`,
    abuse: `In December 2021 ${son} locked me in my room for two days without food.`,
    residence: `I lived with ${son} in Houston from 2018 to 2023.`,
  };
  const draft: Draft = {
    caseType: "VAWA",
    round: 0,
    paragraphs: elements.map((e) => ({ element: e.id, title: e.title, text: text[e.id] ?? "", sources: [], citations: [] })),
  };
  const outputKey = `${state.runKey}/draft-0.json`;
  await putJson(store, outputKey, draft);
  const scoreKey = `${state.runKey}/score-r0.json`;
  await putJson(store, scoreKey, { value: 0.9, passed: true, failures: [] });
  state.score = { value: 0.9, passed: true, rewrite: false, scoreKey };
  const report = {
    stage: "DraftDeclaration",
    model: "scripted",
    provider: "local" as const,
    fallbackReason: null,
    tokensIn: 1,
    tokensOut: 1,
    loadMs: 1,
    promptMs: 1,
    genMs: 1,
    costUsd: 0,
  };
  state.draft = { ...report, outputKey };
  const indexKey = `${state.runKey}/index.json`;
  await putJson(store, indexKey, { chunks: [] });
  const job = await planStage({
    stage: "TranslateDeclaration",
    input: {
      stage: "TranslateDeclaration",
      executionName: "parent-1",
      caseId: state.caseId,
      caseType: "VAWA",
      runKey: state.runKey,
      faults: {},
      indexKey,
      round: 0,
      draftKey: outputKey,
    },
    store,
    countTokens: (t) => Math.ceil(t.length / 4),
    contextLimit: 4096,
    maxTokens: 400,
  });
  const translated = await job.finish([
    `Soy la madre de ${son}, ciudadano estadounidense nacido en 1990.`,
    `En diciembre de 2021 ${son} me encerró en mi cuarto dos días sin comida.`,
    `Viví con ${son} en Houston de 2018 a 2023.`,
  ]);
  state.translation = { ...report, stage: "TranslateDeclaration", outputKey: translated };
  const output = await reinjectCase({ state }, store);
  const read = async (key: string) => (await store.get(key)).toString("utf8");
  return {
    filing: await read(output.filing.markdownKey),
    review: await read(output.reviewDocument.markdownKey),
    spanish: await read(output.spanish!.declarationKey),
    bilingual: await read(output.spanish!.reviewKey),
  };
}

test("abused parent of a U.S. citizen son, Spanish-speaking, signing in Houston (scripted model output): § 1746(2), the written-copy statement and the interpreter's certificate with the filing version, the Spanish reading copy numbered as it", async () => {
  const { filing, review, spanish, bilingual } = await parentOutputs();
  assert.match(filing, /\n1\. My name is Rosario Inventada Quiroga\. I am the self-petitioner in this VAWA self-petition \(Form I-360\)\./);
  assert.match(filing, /\n2\. I am the mother of Julián Ficticio Quiroga, a U\.S\. citizen born in 1990\./);
  assert.ok(filing.includes(inside), "signed in Houston, Texas: § 1746(2)'s form");
  const statement = filing.indexOf("I read all of it in a complete written Spanish translation");
  assert.ok(statement > filing.indexOf(inside) && statement < filing.indexOf("Signature of declarant: ___"));
  assert.match(filing, /## Interpreter's Certificate\n\nI, _+ \(interpreter\), certify that I am fluent in English and Spanish/);
  assert.match(filing, /in a complete written Spanish translation that the declarant read in my presence/);
  assert.doesNotMatch(filing, /103\.2|Certificate of Translation/);
  assert.doesNotMatch(filing, anyPlaceholder);
  assert.match(
    review,
    /## Who is who\n\n- Rosario Inventada Quiroga \(\[PERSON_1\]\): declarant \(“I”\)\n- Julián Ficticio Quiroga \(\[PERSON_\d+\]\): abuser \(U\.S\. citizen\)\n/,
  );
  assert.deepEqual(headings(review), numbered(filing), "the review document numbers its paragraphs as the filing does");
  // The parent variant's provisions (INA 204(a)(1)(A)(vii)): abuse is (vii)(V), good moral character (vii)(II).
  assert.match(review, /## 3\. [^\n]*\n\n_Supports: [^\n]*\(INA 204\(a\)\(1\)\(A\)\(vii\)\(V\)\)_/);
  assert.match(review, /## Elements with nothing drafted\n\n(?:- .*\n)*- [^\n]*INA 204\(a\)\(1\)\(A\)\(vii\)\(II\)/);

  assert.match(spanish, /^# Declaración de Rosario Inventada Quiroga: traducción de cortesía \(no se firma ni se presenta\)/);
  assert.match(spanish, /\n1\. Me llamo Rosario Inventada Quiroga\. Soy quien presenta esta autopetición VAWA \(Formulario I-360\)\./);
  assert.match(spanish, /\n3\. En diciembre de 2021 Julián Ficticio Quiroga me encerró/);
  assert.deepEqual(numbered(spanish), numbered(filing), "the reading copy has the filing's paragraphs, by its numbers");
  assert.doesNotMatch(spanish, /Firma|Declaro bajo pena|FAILING REVIEW/);
  assert.doesNotMatch(spanish, anyPlaceholder);
  assert.match(bilingual, /<th>English \(filing version\)<\/th>/);
  assert.match(
    bilingual,
    /<td lang="en">3\. In December 2021 Julián Ficticio Quiroga locked me in my room for two days without food\.<\/td><td lang="es">3\. En diciembre/,
  );
});

test("affiant run, abused child of a U.S. citizen father: the filing version outside the United States' form, the child variant's provisions and who is who in the review document", async () => {
  const { filing, review, read } = await outputs("vawaChild");
  assert.match(filing, /\n1\. My name is Daniel Ficticio Orr\. I am the self-petitioner/);
  assert.ok(filing.includes(outside), "no signing place: § 1746(1)'s form");
  assert.match(filing, /Signature of declarant: _+\n\nPrinted name: Daniel Ficticio Orr\n/);
  assert.doesNotMatch(filing, /Interpreter's Certificate|interpreter/, "an English-speaking declarant needs no interpreter");
  assert.match(review, /- Gregory Samplewood Orr \(\[PERSON_\d+\]\): abuser \(U\.S\. citizen\)/);
  assert.match(review, /INA 101\(b\)\(1\), 204\(a\)\(1\)\(D\)\(v\)/, "the child's age and marital status element");
  assert.throws(() => read("declaration.es.md"), /ENOENT/, "no Spanish reading copy for an English-speaking declarant");
});

test("affiant run, abused spouse of a lawful permanent resident: the review document cites INA 204(a)(1)(B)(ii), never the U.S.-citizen provisions, and asks for proof of permanent residence", async () => {
  const { filing, review } = await outputs("vawaLpr");
  assert.match(filing, /\n1\. My name is Mira Fictiva Castell\. I am the self-petitioner/);
  assert.match(review, /- Victor Examplar Lund \(\[PERSON_\d+\]\): abuser \(lawful permanent resident\)/);
  assert.match(review, /INA 204\(a\)\(1\)\(B\)\(ii\)/);
  assert.doesNotMatch(review, /INA 204\(a\)\(1\)\(A\)\(iii\)/);
  assert.match(review, /## Evidence to gather\n\n(?:- \[ \] .*\n)*- \[ \] [^\n]*permanent resid/i);
});
