/**
 * A declarant who reads Spanish (case.json "language": "es"): the real Extract and Redact on
 * the VAWA sample, the real TranslateDeclaration finish on outputs the test writes (scripted:
 * the stage's checks and storage are under test here, not a model), then the real Reinject.
 * The filing (English) version gains the declarant's statement of how it was made known to
 * them in Spanish above the signature and the interpreter's certificate after it; the Spanish
 * reading copy (unsigned, not filed, numbered as the filing) is written in three renditions;
 * the side-by-side review shows both and flags what the Spanish left out.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { inflateRawSync } from "node:zlib";
import { PDFParse } from "pdf-parse";
import { putJson } from "../../core/blob-store.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import { reinjectCase } from "../../functions/reinject-pii.ts";
import { stageInputOf } from "../helpers.ts";
import { redactedCase } from "../reinject-fixture.ts";

const anyPlaceholder = /\[[A-Z]+(?:_[A-Z]+)*_\d+\]/;

/** word/document.xml's visible text (the zip read with zlib alone). */
function docxText(buf: Buffer): string {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < buf.readUInt16LE(eocd + 10); i++) {
    const nameLen = buf.readUInt16LE(p + 28);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    if (name === "word/document.xml") {
      const local = buf.readUInt32LE(p + 42);
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + buf.readUInt32LE(p + 20));
      const xml = (buf.readUInt16LE(p + 10) === 8 ? inflateRawSync(data) : data).toString("utf8");
      return [...xml.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)]
        .map((m) => m[1])
        .join(" ")
        .replace(/&amp;/g, "&")
        .replace(/&apos;/g, "'")
        .replace(/&quot;/g, '"');
    }
    p += 46 + nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  throw new Error("no word/document.xml");
}

async function pdfText(data: Buffer): Promise<string[]> {
  const parser = new PDFParse({ data: new Uint8Array(data) });
  try {
    return (await parser.getText()).pages.map((p) => p.text.replace(/\s+/g, " "));
  } finally {
    await parser.destroy();
  }
}

/** The fixture case in Spanish, with a translation stored by the real stage's finish. */
async function translatedCase(executionName: string, outputs: string[]) {
  const fixture = await redactedCase({ executionName, language: "es" });
  const { store, state } = fixture;
  assert.equal(state.language, "es", "Extract carries case.json's language into the state");
  const indexKey = `${state.runKey}/index.json`;
  await putJson(store, indexKey, { chunks: [] });
  const input = stageInputOf("TranslateDeclaration", state, { executionName, indexKey, draftKey: state.draft!.outputKey });
  const job = await planStage({
    stage: "TranslateDeclaration",
    input,
    store,
    countTokens: (t) => Math.ceil(t.length / 4),
    contextLimit: 4096,
    maxTokens: 400,
  });
  const outputKey = await job.finish(outputs);
  state.translation = { ...state.draft!, outputKey, stage: "TranslateDeclaration" };
  return fixture;
}

test("scripted translation: the filing version has the declarant's statement above the signature and the interpreter's certificate after it; the Spanish reading copy and the side-by-side review are written", async () => {
  const { store, state } = await translatedCase("spanish-1", [
    "Yo, [PERSON_1], me casé con mi esposo en 2016. Mi número A es [A_NUMBER_1].",
    "Me empujó contra una pared y me lastimó la muñeca.",
  ]);
  const output = await reinjectCase({ state }, store);
  assert.ok(output.spanish, "the output names the Spanish reading copy");
  assert.deepEqual(
    output.stages.map((s) => s.stage),
    ["DraftDeclaration", "TranslateDeclaration"],
  );

  for (const key of [output.declarationKey, output.filing.markdownKey]) {
    const md = (await store.get(key)).toString("utf8");
    // case.json names no interpretation: the default, read aloud.
    const statement = md.indexOf("(interpreter) read all of it to me in Spanish, a language I understand");
    assert.ok(
      statement > md.indexOf("true and correct") && statement < md.indexOf("Signature of declarant: ___"),
      "the declarant's statement sits between the verification and the declarant's signature",
    );
    assert.match(
      md,
      /## Interpreter's Certificate\n\nI, _+ \(interpreter\), certify that I am fluent in English and Spanish and competent to translate from English into Spanish and from Spanish into English; that I translated the entire foregoing declaration of Elena Fictitia Marsh from English into Spanish for the declarant, by reading all of it aloud to the declarant in Spanish, before the declarant signed it; and that the declarant told me that they understood all of its contents\./,
    );
    // 8 C.F.R. § 103.2(b)(3) governs English translations of foreign documents: no part of an English declaration.
    assert.doesNotMatch(md, /103\.2|Certificate of Translation|translator/);
    for (const blank of ["Printed name of interpreter", "Signature of interpreter", "Date", "Address", "Telephone"])
      assert.match(md, new RegExp(`\\n${blank}: _{10,}\\n`), `certificate blank: ${blank}`);
    assert.ok(md.indexOf("Interpreter's Certificate") > md.indexOf("Signature of declarant: ___"));
  }

  const docx = docxText(await store.get(output.filing.docxKey));
  const pdf = await pdfText(await store.get(output.filing.pdfKey));
  for (const [name, text] of [
    ["DOCX", docx],
    ["PDF", pdf.join(" ")],
  ] as const) {
    assert.ok(
      text.includes("Interpreter's Certificate") && text.includes("competent to translate from English into Spanish"),
      `${name}: certificate`,
    );
    assert.ok(
      text.indexOf("read all of it to me in Spanish") < text.indexOf("Signature of declarant"),
      `${name}: the declarant's statement above the signature`,
    );
    for (const blank of ["Printed name of interpreter:", "Signature of interpreter:", "Date:", "Address:", "Telephone:"])
      assert.ok(text.includes(blank), `${name}: ${blank}`);
  }
  assert.ok(pdf.at(-1)!.includes("Interpreter's Certificate"), "the PDF's certificate starts a page of its own");

  // The reading copy: the filing's opening and numbered paragraphs in Spanish, nothing to sign, marked as not filed.
  const es = (await store.get(output.spanish.declarationKey)).toString("utf8");
  assert.match(
    es,
    /^# Declaración de Elena Fictitia Marsh: traducción de cortesía \(no se firma ni se presenta\)\n\nYo, Elena Fictitia Marsh, declaro lo siguiente:\n\n1\. Me llamo Elena Fictitia Marsh\. Soy quien presenta esta autopetición VAWA \(Formulario I-360\)\./,
  );
  assert.match(
    es,
    /\n2\. Yo, Elena Fictitia Marsh, me casé con mi esposo en 2016\. Mi número A es A123456789\.\n\n3\. Me empujó contra una pared/,
  );
  assert.doesNotMatch(es, /\n4\./, "the element with nothing drafted is no paragraph here either");
  assert.doesNotMatch(es, /Firma|Declaro bajo pena|Firmado el|___/);
  assert.match(es, /TRADUCCIÓN DE CORTESÍA .*Esta traducción no se firma ni se presenta/);
  const filing = (await store.get(output.filing.markdownKey)).toString("utf8");
  assert.match(filing, /\n2\. I, Elena Fictitia Marsh, married my husband in 2016\./);
  assert.match(filing, /\n3\. He pushed me against a wall/);
  const esDocx = docxText(await store.get(output.spanish.docxKey));
  const esPdf = (await pdfText(await store.get(output.spanish.pdfKey))).join(" ");
  for (const [name, text] of [
    ["Spanish DOCX", esDocx],
    ["Spanish PDF", esPdf],
  ] as const) {
    assert.ok(
      text.includes("Declaración de Elena Fictitia Marsh") &&
        text.includes("no se firma ni se presenta") &&
        !text.includes("Firma del declarante"),
      `${name}: ${text.slice(0, 300)} … ${text.slice(-400)}`,
    );
    assert.doesNotMatch(text, anyPlaceholder, name);
  }

  const review = (await store.get(output.spanish.reviewKey)).toString("utf8");
  assert.match(review, /<th>English \(filing version\)<\/th><th lang="es">Español \(copia de lectura, no se firma ni se presenta\)<\/th>/);
  assert.match(
    review,
    /<tr><td lang="en">2\. I, Elena Fictitia Marsh, married my husband in 2016\. My A-number is A123456789\.<\/td><td lang="es">2\. Yo, Elena Fictitia Marsh, me casé con mi esposo en 2016\. Mi número A es A123456789\.<\/td><\/tr>/,
  );
  assert.match(review, /Paragraphs whose Spanish leaves out a placeholder's value \(a name, a date, a number\): 0/);
  assert.match(review, /Paragraphs with no Spanish translation: 0/);
  assert.doesNotMatch(review, anyPlaceholder);
  const report = JSON.parse((await store.get(output.reportKey)).toString("utf8"));
  assert.equal(report.language, "es");
});

test("scripted translation: a dropped name is flagged by its real value under the filing's paragraph number; a written copy changes both statements; a failing gate's banner is Spanish on the reading copy; an English case gets no certificate", async () => {
  const { store, state } = await translatedCase("spanish-2", ["Me casé con mi esposo en 2016.", "Me empujó contra una pared."]);
  const caseKey = `cases/${state.caseId}/case.json`;
  const caseJson = JSON.parse((await store.get(caseKey)).toString("utf8"));
  await putJson(store, caseKey, { ...caseJson, interpretation: "written-copy" });
  const scoreKey = `${state.runKey}/score-r0.json`;
  await putJson(store, scoreKey, { value: 0.2, passed: false, failures: ["scripted failure"] });
  const output = await reinjectCase({ state: { ...state, score: { ...state.score!, passed: false, scoreKey } } }, store);
  const review = (await store.get(output.spanish!.reviewKey)).toString("utf8");
  assert.match(review, /The Spanish of paragraph 2 leaves out: Elena Fictitia Marsh, A123456789/);
  assert.match(review, /Paragraphs whose Spanish leaves out a placeholder's value \(a name, a date, a number\): 1/);
  const filing = (await store.get(output.filing.markdownKey)).toString("utf8");
  assert.match(filing, /I read all of it in a complete written Spanish translation, Spanish being a language I read and understand/);
  assert.match(filing, /in a complete written Spanish translation that the declarant read in my presence/);
  assert.match(filing, /FAILING REVIEW: .*scripted failure/);
  const es = (await store.get(output.spanish!.declarationKey)).toString("utf8");
  assert.match(es, /> \*\*REVISIÓN NO SUPERADA: este borrador no pasó el control de calidad/);
  assert.doesNotMatch(es, /FAILING REVIEW|scripted failure/);

  const english = await redactedCase({ executionName: "spanish-3" });
  const plain = await reinjectCase({ state: english.state }, english.store);
  assert.equal(plain.spanish, undefined);
  const md = (await english.store.get(plain.declarationKey)).toString("utf8");
  assert.doesNotMatch(md, /Interpreter's Certificate|interpreter|Certificate of Translation/);
});

test("Reinject refuses a Spanish version of another draft than the final one", async () => {
  const { store, state } = await translatedCase("spanish-4", ["Yo, [PERSON_1], me casé.", "Me empujó."]);
  const stale = { ...state, draft: { ...state.draft!, outputKey: `${state.runKey}/draft-1.json` } };
  await putJson(store, stale.draft.outputKey, await store.get(state.draft!.outputKey).then((b) => JSON.parse(b.toString("utf8"))));
  await assert.rejects(
    reinjectCase({ state: stale }, store),
    (e: Error) => e.name === "Affiant.InvalidInput" && /translates .*draft-0\.json, not the final draft .*draft-1\.json/.test(e.message),
  );
});
