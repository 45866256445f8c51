// Extract on real PDFs: text pages, OCR of scanned pages (English and Spanish), and named errors for unreadable files.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { PDFParse } from "pdf-parse";
import { extractPdf } from "../../functions/extract-documents.ts";
import { holdSharedPageReaders, langPath, openPageReader, PageReader } from "../../functions/ocr.ts";
import { writeImagePdf, writePdf } from "../../workflows/samples/pdf-writer.ts";
import { makeTestHome, samples } from "../helpers.ts";

const unreadable = (file: string, reason: RegExp, page?: number) => (err: Error & { file?: string; page?: number }) =>
  err.name === "Affiant.DocumentUnreadable" && err.file === file && reason.test(err.message) && (page === undefined || err.page === page);

test("a text PDF comes out page by page with page numbers", async () => {
  const doc = await extractPdf("intake-notes.pdf", readFileSync(path.join(samples.vawa, "intake-notes.pdf")));
  assert.deepEqual(
    doc.pages.map((p) => p.page),
    [1, 2],
  );
  assert.match(doc.pages[0]!.text, /A-Number: A123456789/);
  assert.match(doc.pages[1]!.text, /broke her wrist/);
});

test("an encrypted PDF is unreadable, by name", async () => {
  const { home } = makeTestHome();
  const file = path.join(home, "locked.pdf");
  await writePdf(file, [["secret"]], { userPassword: "pw" });
  await assert.rejects(extractPdf("locked.pdf", readFileSync(file)), unreadable("locked.pdf", /encrypted/));
});

test("a corrupt PDF is unreadable, by name", async () => {
  const bytes = readFileSync(path.join(samples.vawa, "intake-notes.pdf"));
  const corrupt = Buffer.concat([bytes.subarray(0, 200), Buffer.from("garbage".repeat(50))]);
  await assert.rejects(extractPdf("broken.pdf", corrupt), unreadable("broken.pdf", /corrupt|cannot be read/));
  await assert.rejects(
    extractPdf("junk.pdf", Buffer.from("this is not a pdf at all")),
    unreadable("junk.pdf", /not a PDF \(it does not start with %PDF-\)/),
  );
  // Readers accept %PDF- anywhere in the first KB; a polyglot (HTML first, PDF after) is refused.
  await assert.rejects(
    extractPdf("polyglot.pdf", Buffer.concat([Buffer.from("<html>hi</html>\n"), bytes])),
    unreadable("polyglot.pdf", /does not start with %PDF-/),
  );
});

test("an empty file is unreadable, by name", async () => {
  await assert.rejects(extractPdf("empty.pdf", new Uint8Array()), unreadable("empty.pdf", /empty/));
});

test("a page without a text layer is named, never silently skipped, when OCR is off", async () => {
  const { home } = makeTestHome();
  const file = path.join(home, "scan.pdf");
  await writePdf(file, [["Page one has text."], []]);
  await assert.rejects(extractPdf("scan.pdf", readFileSync(file)), unreadable("scan.pdf", /page 2 has no text layer and OCR is off/, 2));
});

/** Renders a text PDF's page to PNG, the way a scanner would have captured it. */
async function scanOf(file: string, page: number): Promise<Uint8Array> {
  const parser = new PDFParse({ data: readFileSync(file) });
  try {
    const shot = await parser.getScreenshot({ partial: [page], scale: 2, imageBuffer: true, imageDataUrl: false });
    return shot.pages[0]!.data;
  } finally {
    await parser.destroy();
  }
}

test("a scanned page is read by OCR, with its confidence reported", async () => {
  const { home } = makeTestHome();
  const file = path.join(home, "scanned-letter.pdf");
  await writeImagePdf(file, [await scanOf(path.join(samples.vawa, "shelter-letter.pdf"), 1)]);
  const ocr = new PageReader("eng");
  try {
    const doc = await extractPdf("scanned-letter.pdf", readFileSync(file), { ocr });
    assert.equal(doc.pages.length, 1);
    assert.ok(doc.pages[0]!.ocrConfidence! >= 60, `confidence ${doc.pages[0]!.ocrConfidence}`);
    assert.match(doc.pages[0]!.text, /shelter/i);
    assert.match(doc.pages[0]!.text, /Derek Samplefield/);
  } finally {
    await ocr.dispose();
    await ocr.dispose();
  }
});

test("a scanned page where OCR finds no text is unreadable, by file and page", async () => {
  const { home } = makeTestHome();
  const blank = path.join(home, "blank.pdf");
  await writePdf(blank, [[" "]]);
  const scan = path.join(home, "blank-scan.pdf");
  await writeImagePdf(scan, [await scanOf(path.join(samples.vawa, "intake-notes.pdf"), 1), await scanOf(blank, 1)]);
  const ocr = new PageReader("eng");
  try {
    await assert.rejects(
      extractPdf("blank-scan.pdf", readFileSync(scan), { ocr }),
      unreadable("blank-scan.pdf", /page 2 has no text layer and OCR (found no text|confidence is)/, 2),
    );
  } finally {
    await ocr.dispose();
  }
});

test("while the engine holds them, executions share one tesseract worker per language; released, each opens its own", async () => {
  const png = await scanOf(path.join(samples.vawa, "shelter-letter.pdf"), 1);
  const env = { AFFIANT_OCR: "tesseract" };
  const release = holdSharedPageReaders();
  const first = await openPageReader("eng", env);
  const t0 = performance.now();
  assert.match((await first.read(png)).text, /Derek Samplefield/);
  const coldMs = performance.now() - t0;
  await first.dispose(); // one execution's lease ends; the worker stays for the next
  const second = await openPageReader("eng", env);
  const t1 = performance.now();
  assert.match((await second.read(png)).text, /Derek Samplefield/);
  const warmMs = performance.now() - t1;
  // The second execution's first page skips the worker's start (loading the language data).
  assert.ok(warmMs < coldMs, `shared reader: first page ${warmMs.toFixed(0)} ms vs ${coldMs.toFixed(0)} ms when it started the worker`);
  assert.ok(!(second instanceof PageReader), "a lease, not a reader of its own");
  await second.dispose();
  await release();
  await release();
  const own = await openPageReader("eng", env);
  assert.ok(own instanceof PageReader, "nothing held: a reader of its own, disposed by its execution");
  await own.dispose();
});

test("a case in Spanish reads its scans with Spanish and English together (spa+eng, the packaged 4.0.0_best_int data)", async () => {
  const { home } = makeTestHome();
  const text = path.join(home, "carta.pdf");
  await writePdf(text, [
    ["Señora jueza: el año pasado mi esposo me empujó contra la pared.", "The shelter staff called the police that night."],
  ]);
  const file = path.join(home, "carta-escaneada.pdf");
  await writeImagePdf(file, [await scanOf(text, 1)]);
  const dir = langPath("spa+eng");
  assert.deepEqual(
    readdirSync(dir)
      .filter((f) => f.endsWith(".traineddata.gz"))
      .sort(),
    ["eng.traineddata.gz", "spa.traineddata.gz"],
  );
  const ocr = new PageReader("spa+eng");
  try {
    const page = (await extractPdf("carta-escaneada.pdf", readFileSync(file), { ocr })).pages[0]!;
    assert.ok(page.ocrConfidence! >= 60, `confidence ${page.ocrConfidence}`);
    for (const word of ["Señora", "año", "empujó", "shelter", "police"])
      assert.ok(page.text.includes(word), `${word} in ${JSON.stringify(page.text)}`);
    // English alone misreads the Spanish letters ("Sefiora", "aflo").
    const english = new PageReader("eng");
    try {
      const misread = (await extractPdf("carta-escaneada.pdf", readFileSync(file), { ocr: english })).pages[0]!.text;
      assert.ok(!misread.includes("año") && misread.includes("police"), JSON.stringify(misread));
    } finally {
      await english.dispose();
    }
  } finally {
    await ocr.dispose();
  }
});
