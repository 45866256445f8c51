/**
 * The declaration's DOCX and PDF renditions: the real Reinject handler on a redacted case,
 * the files read back by an independent zip reader and by pdf-parse; and a full `affiant run`
 * that copies both into the outputs folder.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { inflateRawSync } from "node:zlib";
import { PDFParse } from "pdf-parse";
import { caseKeys } from "../../core/case-file.ts";
import { type Draft, declarationDocument, mapDeclarationText, renderDeclaration, sectionLabel } from "../../core/declaration.ts";
import { caseElements, elementsFor } from "../../core/legal-elements.ts";
import { reinjectCase } from "../../functions/reinject-pii.ts";
import { renderDocx } from "../../functions/renditions/docx.ts";
import { renderPdf } from "../../functions/renditions/pdf.ts";
import { readCaseFolder } from "../../workflows/engine/case-intake.ts";
import { copyCase, goldenRun, makeTestHome, samples } from "../helpers.ts";
import { redactedCase, sampleDraft } from "../reinject-fixture.ts";

const anyPlaceholder = /\[[A-Z]+(?:_[A-Z]+)*_\d+\]/;

/** A zip's entries, read from its central directory with zlib alone (not the library that wrote it). */
function unzip(buf: Buffer): Map<string, Buffer> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, "no end-of-central-directory record: not a zip");
  const entries = new Map<string, Buffer>();
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < buf.readUInt16LE(eocd + 10); i++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, "central directory entry");
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    const local = buf.readUInt32LE(p + 42);
    assert.equal(buf.readUInt32LE(local), 0x04034b50, `local header of ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    entries.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    p += 46 + nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return entries;
}

/** The visible text of a Word document body: its `w:t` runs, paragraph by paragraph. */
function docxText(xml: string): string {
  return xml
    .split(/<\/w:p>/)
    .map((p) => [...p.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]).join(""))
    .join("\n")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'");
}

async function pdfPages(data: Buffer): Promise<{ pages: string[]; title: unknown }> {
  const parser = new PDFParse({ data: new Uint8Array(data) });
  try {
    const text = await parser.getText();
    const info = await parser.getInfo();
    return { pages: text.pages.map((p) => p.text), title: (info.info as Record<string, unknown> | undefined)?.Title };
  } finally {
    await parser.destroy();
  }
}

function assertDocx(buf: Buffer): string {
  const zip = unzip(buf);
  for (const part of ["[Content_Types].xml", "word/document.xml", "word/_rels/document.xml.rels"])
    assert.ok(zip.has(part), `the DOCX has ${part}`);
  const footers = [...zip.keys()].filter((k) => /^word\/footer\d*\.xml$/.test(k));
  assert.ok(
    footers.some((k) => /PAGE/.test(zip.get(k)!.toString("utf8"))),
    "the footer numbers pages",
  );
  return docxText(zip.get("word/document.xml")!.toString("utf8"));
}

test("Reinject writes DOCX and PDF renditions with real values, headings, sources and a § 1746 signature block, all under the run's real-value prefix", async () => {
  const { store, state } = await redactedCase({ executionName: "renditions-1" });
  const underRuns = await store.list(state.runKey);
  const output = await reinjectCase({ state }, store);
  // Real values never under runs/ (which the fallback, Index and Score read): private/<case>/<execution>/,
  // and each review round's renditions under a prefix of their own (round 0: no rewrite yet).
  const real = `${caseKeys.private(state.caseId, state.executionName)}/round-0`;
  assert.equal(output.docxKey, `${real}/declaration.docx`);
  assert.equal(output.pdfKey, `${real}/declaration.pdf`);
  const written = [
    output.declarationKey,
    output.reportKey,
    ...Object.values(output.filing),
    ...Object.values(output.reviewDocument),
    ...Object.values(output.spanish ?? {}),
  ];
  for (const key of written) assert.ok(key.startsWith(`${real}/`), `${key} is not under ${real}/`);
  assert.deepEqual(await store.list(state.runKey), underRuns, "Reinject wrote under runs/");

  const markdown = (await store.get(output.declarationKey)).toString("utf8");
  assert.match(
    markdown,
    /^# Declaration of Elena Fictitia Marsh\n\nI, Elena Fictitia Marsh, declare as follows in support of my VAWA self-petition \(Form I-360\):\n/,
  );
  // "Executed on … at …", a blank line to sign on, the printed name under it (no typed name after "Signed:").
  for (const md of [markdown, (await store.get(output.filing.markdownKey)).toString("utf8")]) {
    assert.match(
      md,
      /\nI declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct\.\n\nExecuted on _+ \(date\) at _+ \(city, state or country\)\.\n\nSignature of declarant: _{20,}\n\nPrinted name: Elena Fictitia Marsh\n/,
    );
    assert.doesNotMatch(md, /Signed:/);
  }

  const docx = assertDocx(await store.get(output.docxKey));
  const pdfBytes = await store.get(output.pdfKey);
  assert.ok(pdfBytes.includes("/FontFile2") && pdfBytes.includes("LiberationSans"), "the PDF embeds its TrueType font");
  const pdf = await pdfPages(pdfBytes);
  const pdfText = pdf.pages.join("\n");
  assert.equal(pdf.title, "Declaration of Elena Fictitia Marsh");
  for (const [name, text] of [
    ["DOCX", docx],
    ["PDF", pdfText.replace(/\s+/g, " ")],
  ] as const) {
    const flat = text.replace(/\s+/g, " ");
    assert.ok(flat.includes("Declaration of Elena Fictitia Marsh"), `${name}: title`);
    assert.ok(
      flat.includes("I, Elena Fictitia Marsh, married my husband in 2016. My A-number is A123456789."),
      `${name}: re-injected paragraph`,
    );
    assert.ok(
      flat.includes("1. The declarant") &&
        flat.includes("2. Qualifying relationship") &&
        flat.includes("3. Battery or extreme cruelty") &&
        flat.includes("Good moral character") &&
        !flat.includes("4. Good moral character"),
      `${name}: headings numbered as the filing numbers its paragraphs (an element with nothing drafted has no number)`,
    );
    assert.ok(flat.includes("(no statement drafted for this element)"), `${name}: an empty element is marked, not dropped`);
    assert.ok(flat.includes("Sources: personal-statement.pdf p.1; shelter-letter.pdf p.1"), `${name}: citations`);
    assert.ok(
      flat.includes(
        "I declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct.",
      ),
      `${name}: § 1746 verification`,
    );
    assert.ok(/Executed on _+ \(date\) at _+ \(city, state or country\)\./.test(flat), `${name}: date and place blanks`);
    assert.ok(flat.includes("Signature of declarant") && flat.includes("Printed name: Elena Fictitia Marsh"), `${name}: signature block`);
    assert.doesNotMatch(text, anyPlaceholder, `${name}: no placeholder survived`);
    assert.ok(!text.includes("[PERSON_"), name);
  }
  assert.match(pdf.pages.at(-1)!, new RegExp(`Page ${pdf.pages.length} of ${pdf.pages.length}`));
});

test("a long declaration numbers every PDF page; letters outside Latin-1 survive in both renditions", async () => {
  const long: Draft = {
    caseType: "T",
    round: 0,
    paragraphs: Array.from({ length: 12 }, (_, i) => ({
      element: `e${i}`,
      title: `Element ${i + 1}`,
      text: `[PERSON_1] recounts event ${i + 1}. `.repeat(40),
      sources: [],
      citations: [`statement.pdf p.${i + 1}`],
    })),
  };
  const { env } = makeTestHome();
  process.env.AFFIANT_LOG_FILE = env.AFFIANT_LOG_FILE;
  const vault = new Map([["[PERSON_1]", "Łucja Őrsi-Ñúñez"]]);
  const doc = mapDeclarationText(declarationDocument(long), (t) => t.replaceAll("[PERSON_1]", vault.get("[PERSON_1]")!));
  const pdf = await pdfPages(await renderPdf(doc));
  assert.ok(pdf.pages.length >= 3, `${pdf.pages.length} pages`);
  for (const [i, text] of pdf.pages.entries())
    assert.match(text, new RegExp(`Page ${i + 1} of ${pdf.pages.length}`), `page ${i + 1} is numbered`);
  assert.ok(pdf.pages[0]!.includes("Declaration of Łucja Őrsi-Ñúñez"), pdf.pages[0]!.slice(0, 200));
  assert.ok(pdf.pages.join(" ").includes("Printed name: Łucja Őrsi-Ñúñez"));
  const docx = assertDocx(await renderDocx(doc));
  assert.ok(docx.includes("Printed name: Łucja Őrsi-Ñúñez"));
  const logText = () => (existsSync(env.AFFIANT_LOG_FILE!) ? readFileSync(env.AFFIANT_LOG_FILE!, "utf8") : "");
  assert.doesNotMatch(logText(), /renditions\.pdf\.unprintable/);

  // A letter the embedded font lacks (ặ) is reported by count, never by text; the DOCX keeps it.
  const vietnamese = mapDeclarationText(declarationDocument(long), (t) => t.replaceAll("[PERSON_1]", "Đặng Văn Minh"));
  await renderPdf(vietnamese);
  const warned = logText()
    .split("\n")
    .filter((l) => l.includes("renditions.pdf.unprintable"));
  assert.equal(warned.length, 1);
  assert.equal(JSON.parse(warned[0]!).characters, 1);
  assert.doesNotMatch(warned[0]!, /Đặng|Minh/);
  assert.ok(assertDocx(await renderDocx(vietnamese)).includes("Printed name: Đặng Văn Minh"));
  assert.ok(docx.includes("T visa application (Form I-914)"));
  // The structure is the Markdown's: same headings, same order.
  const headings = [...renderDeclaration(long).matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  assert.deepEqual(
    headings,
    doc.sections.map((s) => sectionLabel(s)),
  );
});

test("Reinject refuses a draft with an unknown placeholder before writing any rendition", async () => {
  const bad: Draft = { ...sampleDraft, paragraphs: [{ ...sampleDraft.paragraphs[0]!, text: "[PERSON_99] was there." }] };
  const { store, state } = await redactedCase({ executionName: "renditions-bad", draft: bad });
  await assert.rejects(
    reinjectCase({ state }, store),
    (e: Error) => e.name === "Affiant.PlaceholderMismatch" && /\[PERSON_99\]/.test(e.message),
  );
  assert.deepEqual(await store.list(caseKeys.private(state.caseId, state.executionName)), [], "a rendition was written");
});

test("case.json's signing place inside the United States gives § 1746(2)'s oath in every rendition (md, DOCX, PDF; filing and review), with the Executed line and the signature line", async () => {
  const { store, state } = await redactedCase({ executionName: "renditions-inside", caseJson: { signing: "Houston, Texas" } });
  const output = await reinjectCase({ state }, store);
  for (const keys of [
    { md: output.declarationKey, docx: output.docxKey, pdf: output.pdfKey },
    { md: output.filing.markdownKey, docx: output.filing.docxKey, pdf: output.filing.pdfKey },
  ]) {
    const md = (await store.get(keys.md)).toString("utf8");
    const docx = assertDocx(await store.get(keys.docx)).replace(/\s+/g, " ");
    const pdf = (await pdfPages(await store.get(keys.pdf))).pages.join(" ").replace(/\s+/g, " ");
    for (const [name, text] of [
      ["md", md.replace(/\s+/g, " ")],
      ["DOCX", docx],
      ["PDF", pdf],
    ] as const) {
      assert.ok(
        text.includes("I declare under penalty of perjury that the foregoing is true and correct."),
        `${keys.md} ${name}: § 1746(2)`,
      );
      assert.ok(!text.includes("under the laws of the United States of America"), `${keys.md} ${name}: not § 1746(1)`);
      assert.ok(/Executed on _+ \(date\) at _+ \(city, state or country\)\./.test(text), `${keys.md} ${name}: Executed line`);
      assert.ok(
        /_{20,}/.test(text.slice(text.indexOf("Executed on") + 80)) &&
          text.indexOf("Printed name: Elena Fictitia Marsh") > text.indexOf("Signature of declarant"),
        `${keys.md} ${name}: a line to sign, the printed name under it`,
      );
    }
  }
});

test("a signing place that is not a string is refused naming case.json and the field, before anything is written", async () => {
  const home = makeTestHome();
  const caseDir = copyCase(samples.vawa, path.join(home.home, "bad-signing"));
  const caseJson = JSON.parse(readFileSync(path.join(caseDir, "case.json"), "utf8"));
  writeFileSync(path.join(caseDir, "case.json"), JSON.stringify({ ...caseJson, signing: { city: "Houston" } }));
  assert.throws(
    () => readCaseFolder(caseDir),
    (e: Error) => e.name === "Affiant.InvalidInput" && e.message.includes("case.json: signing: must be a string"),
  );
  assert.ok(!existsSync(path.join(home.home, "blobs")), "nothing written");
});

test("an LPR abuser (case.json parties status): the elements cite INA 204(a)(1)(B)(ii), and the review document's checklist asks for proof of permanent residence", async () => {
  const caseJson = JSON.parse(readFileSync(path.join(samples.vawa, "case.json"), "utf8"));
  const parties = caseJson.parties.map((p: { role: string }) => (p.role === "abuser" ? { ...p, status: "lawful permanent resident" } : p));
  const { store, state } = await redactedCase({ executionName: "renditions-lpr", caseJson: { parties } });
  const written = await caseElements(store, state.runKey, "VAWA");
  assert.equal(written.abuserStatus, "lpr");
  assert.deepEqual(written.elements, elementsFor("VAWA", "spouse", "lpr"));
  assert.match(written.elements.find((e) => e.id === "relationship")!.citation, /^INA 204\(a\)\(1\)\(B\)\(ii\);/);
  const output = await reinjectCase({ state }, store);
  const review = (await store.get(output.reviewDocument.markdownKey)).toString("utf8");
  assert.match(review, /## Evidence to gather\n\n- \[ \] Marriage certificate/);
  assert.match(review, /- \[ \] Proof of the abuser's lawful permanent residence \(permanent resident card/);
  assert.match(review, /8 CFR 204\.2\(c\)\(2\)\(v\)/);
});

test("affiant run copies the DOCX and PDF beside declaration.md in the outputs folder", async () => {
  // The suite's one golden run of the sample (test/helpers.ts): this test only reads its outputs.
  const { cli } = await goldenRun("vawa");
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as { outputDir: string; output: { docxKey: string; pdfKey: string } };
  assert.match(summary.output.docxKey, /declaration\.docx$/);
  assert.match(summary.output.pdfKey, /declaration\.pdf$/);
  const docx = assertDocx(readFileSync(path.join(summary.outputDir, "declaration.docx")));
  assert.ok(docx.includes("Declaration of Elena Fictitia Marsh"));
  assert.doesNotMatch(docx, anyPlaceholder);
  const pdf = (await pdfPages(readFileSync(path.join(summary.outputDir, "declaration.pdf")))).pages.join("\n");
  assert.ok(pdf.includes("Declaration of Elena Fictitia Marsh"));
  assert.ok(pdf.includes("Printed name: Elena Fictitia Marsh"));
  assert.doesNotMatch(pdf, anyPlaceholder);
  assert.match(readFileSync(path.join(summary.outputDir, "declaration.md"), "utf8"), /^# Declaration of Elena Fictitia Marsh/);
  // Locally the scanned page is read by tesseract, and the report says so.
  const report = JSON.parse(readFileSync(path.join(summary.outputDir, "report.json"), "utf8"));
  assert.deepEqual(
    report.documents.ocrPages.map((p: { file: string; engine: string }) => [p.file, p.engine]),
    [["police-report-scan.pdf", "tesseract"]],
  );
});

test("affiant run --approve is an unattended approval: approval.json has no reviewer and says not reviewed by an attorney, as does every filing rendition; its hashes are the files'; the round's renditions are kept under round-<n>/", async () => {
  // The suite's golden run again (read only).
  const { cli } = await goldenRun("vawa");
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as { outputDir: string; output: { rewrites: number; approval: Record<string, unknown> } };
  const out = (f: string) => path.join(summary.outputDir, f);
  const approval = JSON.parse(readFileSync(out("approval.json"), "utf8")) as {
    reviewer: string | null;
    unattended: boolean;
    attorneyReview: string;
    via: string;
    round: number;
    draftVersion: string;
    gate: { status: string; failures: string[] };
    overrideReason: string | null;
    filing: Array<{ file: string; bytes: number; sha256: string }>;
  };
  assert.deepEqual(
    [approval.reviewer, approval.unattended, approval.attorneyReview, approval.via, approval.overrideReason],
    [null, true, "not reviewed by an attorney", "run --approve", null],
  );
  assert.equal(approval.round, summary.output.rewrites);
  assert.match(approval.draftVersion, /^runs\/vawa-sample-0001\/.+\.json$/);
  assert.ok(["passed", "failing-review"].includes(approval.gate.status));
  // The execution's output keeps the approval without the reason's words (history), the same otherwise.
  assert.deepEqual([summary.output.approval.reviewer, summary.output.approval.unattended], [null, true]);
  assert.match(cli.stderr, /approved: +unattended \(run --approve\): NOT reviewed by an attorney/);
  // Each filing rendition's SHA-256, as written, is the file's in the outputs folder.
  assert.deepEqual(
    approval.filing.map((f) => f.file),
    ["declaration.filing.md", "declaration.filing.docx", "declaration.filing.pdf"],
  );
  for (const f of approval.filing) {
    const bytes = readFileSync(out(f.file));
    assert.equal(createHash("sha256").update(bytes).digest("hex"), f.sha256, f.file);
    assert.equal(bytes.length, f.bytes, f.file);
  }
  // The filing copy says so at the top of each rendition, and carries no review banner.
  const filing = readFileSync(out("declaration.filing.md"), "utf8");
  assert.match(filing, /^# Declaration of Elena Fictitia Marsh\n\n> \*\*NOT REVIEWED BY AN ATTORNEY/);
  assert.doesNotMatch(filing, /FAILING REVIEW/);
  assert.ok(assertDocx(readFileSync(out("declaration.filing.docx"))).includes("NOT REVIEWED BY AN ATTORNEY"));
  assert.ok((await pdfPages(readFileSync(out("declaration.filing.pdf")))).pages.join("\n").includes("NOT REVIEWED BY AN ATTORNEY"));
  // The round reviewed is kept as it was: its own filing draft beside the review rendition.
  const round = path.join(summary.outputDir, `round-${approval.round}`);
  for (const f of ["declaration.md", "declaration.docx", "declaration.pdf", "declaration.filing.md", "review.md", "report.json"])
    assert.ok(existsSync(path.join(round, f)), `round-${approval.round}/${f}`);
  assert.doesNotMatch(readFileSync(path.join(round, "declaration.filing.md"), "utf8"), /NOT REVIEWED BY AN ATTORNEY/);
});
