/**
 * The variant samples (examples/cases/vawa-parent-sample, vawa-child-sample, vawa-lpr-sample),
 * each end to end: `affiant run --approve` through the exported definition in the local engine,
 * real PDFs, real redaction, real llama.cpp generation on the committed tiny model (which writes
 * children's stories, so the words are not checked: what the pipeline guarantees around them is).
 * Each run is a golden run (test/helpers.ts goldenRun), built once per run of the suite. For each:
 * the filing version (¶1 who the declarant is, the § 1746 form the signing place picks, a line
 * to sign), the review document (who is who, the variant's provisions, the filing's paragraph
 * numbers, the elements each paragraph supports). The Spanish-speaking parent too: the
 * interpreter's certificate and the declarant's statement for a written Spanish copy, and the
 * Spanish reading copy numbered as the filing, with nothing to sign.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { goldenRun, type samples } from "../helpers.ts";

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

test("affiant run, abused parent of a U.S. citizen son, Spanish-speaking, signing in Houston: § 1746(2), the written-copy statement and the interpreter's certificate with the filing version, the story's paragraphs with the elements they support, the Spanish reading copy numbered as the filing", async () => {
  const { filing, review, read } = await outputs("vawaParent");
  const spanish = read("declaration.es.md");
  const bilingual = read("review.bilingual.html");
  assert.match(filing, /\n1\. My name is Rosario Inventada Quiroga\. I am the self-petitioner in this VAWA self-petition \(Form I-360\)\./);
  assert.ok(numbered(filing).length >= 3, `drafted paragraphs after ¶1: ${numbered(filing)}`);
  assert.ok(filing.includes(inside), "signed in Houston, Texas: § 1746(2)'s form");
  const statement = filing.indexOf("I read all of it in a complete written Spanish translation");
  assert.ok(statement > filing.indexOf(inside) && statement < filing.indexOf("Signature of declarant: ___"));
  assert.match(filing, /## Interpreter's Certificate\n\nI, _+ \(interpreter\), certify that I am fluent in English and Spanish/);
  assert.match(filing, /in a complete written Spanish translation that the declarant read in my presence/);
  assert.doesNotMatch(filing, /103\.2|Certificate of Translation/);
  assert.match(
    review,
    /## Who is who\n\n- Rosario Inventada Quiroga \(\[PERSON_1\]\): declarant \(“I”\)\n- Julián Ficticio Quiroga \(\[PERSON_\d+\]\): abuser \(U\.S\. citizen\)\n/,
  );
  // Each paragraph says the elements it supports, with the parent variant's provisions (INA
  // 204(a)(1)(A)(vii)): abuse is (vii)(V), good moral character (vii)(II); and when it happened.
  const supports = [...review.matchAll(/^_Supports: (.*)_$/gm)].map((m) => m[1]!).join("\n");
  assert.match(supports, /\(INA 204\(a\)\(1\)\(A\)\(vii\)\(V\)\)/);
  assert.match(supports, /\(INA 204\(a\)\(1\)\(A\)\(vii\)\(II\)\)/);
  assert.equal([...review.matchAll(/^_When: /gm)].length, numbered(filing).length - 1, "every drafted paragraph says when it happened");

  assert.match(spanish, /^# Declaración de Rosario Inventada Quiroga: traducción de cortesía \(no se firma ni se presenta\)/);
  assert.match(spanish, /\n1\. Me llamo Rosario Inventada Quiroga\. Soy quien presenta esta autopetición VAWA \(Formulario I-360\)\./);
  assert.deepEqual(numbered(spanish), numbered(filing), "the reading copy has the filing's paragraphs, by its numbers");
  assert.doesNotMatch(spanish, /Firma|Declaro bajo pena|FAILING REVIEW/);
  assert.doesNotMatch(spanish, anyPlaceholder);
  assert.match(bilingual, /<th>English \(filing version\)<\/th>/);
  for (const n of numbered(filing))
    assert.match(bilingual, new RegExp(`<td lang="en">${n}\\. [^<]*</td><td lang="es">${n}\\. `), `¶${n} beside ¶${n}`);
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
