/**
 * The Spanish sample end to end (examples/cases/vawa-es-sample, case.json "language": "es"):
 * `affiant run` through the exported definition in the local engine, real PDFs (one a scan
 * read with Spanish and English), real redaction, real llama.cpp generation on the committed
 * tiny model, which writes children's stories, so the Spanish version's words are not checked,
 * only what the pipeline guarantees around them. It produces the English filing version with
 * the declarant's statement (read aloud: case.json names no interpretation) and the
 * interpreter's certificate, the Spanish reading copy (md, docx, pdf: unsigned, not filed,
 * numbered as the filing) and the side-by-side review, and no value of the case reaches a
 * placeholder-free output unredacted. Both English renditions (the filing one,
 * declaration.filing.*, and the review one, declaration.*) carry the statement and the
 * certificate; `--approve` answers AttorneyReview.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { makeTestHome, patientStages, runCli, samples } from "../helpers.ts";

const anyPlaceholder = /\[[A-Z]+(?:_[A-Z]+)*_\d+\]/;

test("affiant run: the Spanish sample writes the English filing version with the interpreter's certificate, the Spanish reading copy and the side-by-side review", async () => {
  const { env } = makeTestHome({ stages: patientStages });
  const cli = await runCli(["run", samples.vawaEs, "--approve", "--json"], env);
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as {
    status: string;
    outputDir: string;
    output: { spanish?: { declarationKey: string; docxKey: string; pdfKey: string; reviewKey: string }; stages: Array<{ stage: string }> };
    states: Array<{ name: string; status: string; provider: string | null; tokensOut: number | null }>;
  };
  assert.equal(summary.status, "SUCCEEDED");
  assert.ok(existsSync(path.join(summary.outputDir, "approval.json")), "approved by --approve");
  const names = summary.states.map((s) => s.name);
  // After the quality gate, before Reinject, through its Choice and its breaker.
  const order = ["QualityGate", "TranslateDeclarationNeeded", "TranslateDeclarationAdmit", "Reinject"].map((n) => names.lastIndexOf(n));
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    order,
    `states in order: ${names.join(", ")}`,
  );
  const translated = summary.states.filter((s) => s.name === "TranslateDeclaration" || s.name === "TranslateDeclarationFallback").at(-1)!;
  assert.equal(translated.status, "SUCCEEDED");
  assert.ok(translated.tokensOut! > 0, "the translation really generated");
  assert.ok(
    summary.output.stages.some((s) => s.stage === "TranslateDeclaration"),
    "the output reports the stage",
  );
  assert.ok(summary.output.spanish, "the output names the Spanish version");

  const out = (f: string) => path.join(summary.outputDir, f);
  const english = readFileSync(out("declaration.md"), "utf8");
  const filing = readFileSync(out("declaration.filing.md"), "utf8");
  assert.match(filing, /\n1\. My name is Lucía Inventada Robles\. I am the self-petitioner/, "the filing rendition: numbered paragraphs");
  for (const doc of [filing, english]) {
    assert.match(doc, /^# Declaration of Lucía Inventada Robles/);
    const statement = doc.indexOf("(interpreter) read all of it to me in Spanish");
    assert.ok(
      statement > doc.indexOf("true and correct") && statement < doc.indexOf("Signature of declarant: ___"),
      "the declarant's statement above the signature",
    );
    assert.match(
      doc,
      /## Interpreter's Certificate\n\nI, _+ \(interpreter\), certify that I am fluent in English and Spanish and competent to translate from English into Spanish and from Spanish into English/,
    );
    assert.doesNotMatch(doc, /103\.2|Certificate of Translation/);
    for (const blank of ["Printed name of interpreter", "Signature of interpreter", "Date", "Address"])
      assert.match(doc, new RegExp(`\\n${blank}: _+\\n`));
  }

  // The review document: the parish letter (Spanish, read by OCR) is the one exhibit, flagged for a
  // certified English translation with its certificate; the declarant's notes and the intake notes are not filed.
  const reviewDoc = readFileSync(out("review.md"), "utf8");
  assert.match(
    reviewDoc,
    /## Exhibit list\n\n- Exhibit A: carta-iglesia-escaneada\.pdf \([^\n]*\)\. In Spanish: file it with a certified English translation \(8 CFR 103\.2\(b\)\(3\)\); certificate below\n\n/,
  );
  assert.match(reviewDoc, /## Sources not filed\n\n- Interview 1: declaracion-personal\.pdf [^\n]*\n- Work product 1: intake-notes\.pdf /);
  assert.match(
    reviewDoc,
    /## Certificate of Translation: Exhibit A\n\nI, _+ \(translator\), certify that I am competent to translate from Spanish into English, and that the attached English translation of Exhibit A \(carta-iglesia-escaneada\.pdf\) is a full translation/,
  );

  // The round's reading copy: the tiny model never passes the gate, so its failing-review mark,
  // when there, is in Spanish.
  const approval = JSON.parse(readFileSync(out("approval.json"), "utf8"));
  const roundSpanish = readFileSync(out(path.join(`round-${approval.round}`, "declaration.es.md")), "utf8");
  assert.match(
    roundSpanish,
    /^# Declaración de Lucía Inventada Robles: traducción de cortesía \(no se firma ni se presenta\)\n\n(?:> \*\*REVISIÓN NO SUPERADA: .*\*\*\n\n)?Yo, Lucía Inventada Robles, declaro lo siguiente:\n\n1\. Me llamo Lucía Inventada Robles\./,
  );
  // The approved draft's reading copy, what the declarant reads before signing: the approval
  // answered the gate's banner; an unattended approval says, in Spanish, that no attorney reviewed it.
  const spanish = readFileSync(out("declaration.es.md"), "utf8");
  assert.match(
    spanish,
    /^# Declaración de Lucía Inventada Robles: traducción de cortesía \(no se firma ni se presenta\)\n\n> \*\*NO REVISADO POR UN ABOGADO: .*\*\*\n\nYo, Lucía Inventada Robles, declaro lo siguiente:\n\n1\. Me llamo Lucía Inventada Robles\./,
  );
  assert.doesNotMatch(spanish, /REVISIÓN NO SUPERADA|FAILING REVIEW|Firma del declarante|Declaro bajo pena/);
  // approval.json hashes the reading copy as written, beside the filing renditions.
  assert.deepEqual(
    approval.readingCopy.map((r: { file: string; sha256: string }) => [r.file, r.sha256]),
    ["declaration.es.md", "declaration.es.docx", "declaration.es.pdf"].map((f) => [
      f,
      createHash("sha256")
        .update(readFileSync(out(f)))
        .digest("hex"),
    ]),
  );
  // The same numbered paragraphs as the filing version.
  const numbers = (md: string) => [...md.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
  assert.deepEqual(numbers(spanish), numbers(filing));
  for (const file of [
    "declaration.es.docx",
    "declaration.es.pdf",
    "declaration.docx",
    "declaration.pdf",
    "declaration.filing.docx",
    "declaration.filing.pdf",
  ])
    assert.ok(statSync(out(file)).size > 1000, `${file} written`);
  assert.equal(readFileSync(out("declaration.es.pdf")).subarray(0, 5).toString(), "%PDF-");
  assert.equal(readFileSync(out("declaration.es.docx")).subarray(0, 2).toString(), "PK");

  const review = readFileSync(out("review.bilingual.html"), "utf8");
  assert.match(review, /<th>English \(filing version\)<\/th><th lang="es">Español \(copia de lectura, no se firma ni se presenta\)<\/th>/);
  assert.match(
    review,
    /<td lang="en">Declaration of Lucía Inventada Robles<\/td><td lang="es">Declaración de Lucía Inventada Robles: traducción de cortesía/,
  );
  assert.match(review, /Paragraphs whose Spanish leaves out a placeholder's value \(a name, a date, a number\): \d/);
  for (const text of [english, filing, spanish, review]) assert.doesNotMatch(text, anyPlaceholder);

  // The scanned Spanish letter was read with Spanish and English.
  const report = JSON.parse(readFileSync(out("report.json"), "utf8"));
  assert.equal(report.language, "es");
  assert.deepEqual(
    report.documents.ocrPages.map((p: { file: string; engine: string }) => [p.file, p.engine]),
    [["carta-iglesia-escaneada.pdf", "tesseract"]],
  );
  assert.match(cli.stderr, /spanish: .*declaration\.es\.md/);
  assert.match(cli.stderr, /review: .*review\.bilingual\.html/);
});
