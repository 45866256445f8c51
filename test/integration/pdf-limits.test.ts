/**
 * PDF bombs against Extract's reader (fast tier, in-process): the page cap, the rendered
 * area cap, the heap limit and the deadline each end in Affiant.DocumentTooLarge naming the
 * file and the limit, and the magic must be at offset 0. test/integration/hostile-pdf.test.ts sends the
 * same files through `affiant serve`.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { extractPdf } from "../../functions/extract-documents.ts";
import type { OcrReader } from "../../functions/ocr.ts";
import { samples } from "../helpers.ts";
import { hugeMediaBoxPdf, manyPagesPdf } from "../pdf-bombs.ts";

const tooLarge = (file: string, limit: RegExp) => (err: Error & { file?: string }) => {
  assert.equal(err.name, "Affiant.DocumentTooLarge", err.message);
  assert.equal(err.file, file);
  assert.match(err.message, new RegExp(`^${file.replace(".", "\\.")}: `));
  assert.match(err.message, limit);
  return true;
};

// Scripted OCR (the reader never sees a page here): it would answer any page it got.
const scriptedOcr: OcrReader = {
  engine: "tesseract",
  read: async () => ({ text: "scripted", confidence: 99 }),
  dispose: async () => undefined,
};

test("a 10,000-page PDF is refused before its pages are read: Affiant.DocumentTooLarge names the file and the page limit", async () => {
  const bomb = await manyPagesPdf(10_000);
  await assert.rejects(
    extractPdf("many.pdf", bomb, { ocr: scriptedOcr }),
    tooLarge("many.pdf", /10000 pages, over the limit of 500 pages a document/),
  );
});

test("the case's page budget: a PDF within the per-document cap is refused when the case has too few pages left", async () => {
  const pdf = await manyPagesPdf(30);
  await assert.rejects(
    extractPdf("third.pdf", pdf, { ocr: scriptedOcr, casePagesLeft: 12 }),
    tooLarge("third.pdf", /30 pages, over the limit of 12 pages left of the case's 2000-page limit/),
  );
});

test("a page with a huge MediaBox is refused before it is rendered for OCR (scripted OCR, never reached)", async () => {
  let reads = 0;
  const ocr: OcrReader = {
    ...scriptedOcr,
    read: async () => {
      reads++;
      return { text: "scripted", confidence: 99 };
    },
  };
  await assert.rejects(
    extractPdf("huge.pdf", await hugeMediaBoxPdf(), { ocr }),
    tooLarge("huge.pdf", /page 1 would render at 829440000 pixels, over the limit of 40000000 pixels a page/),
  );
  assert.equal(reads, 0);
});

test("the reader's heap limit and deadline end in Affiant.DocumentTooLarge, and the process lives on", async () => {
  const pdf = await manyPagesPdf(400);
  await assert.rejects(
    extractPdf("slow.pdf", pdf, { ocr: scriptedOcr, limits: { deadlineSeconds: 0.05 } }),
    tooLarge("slow.pdf", /took longer than the limit of 0\.05 seconds a document/),
  );
  await assert.rejects(
    extractPdf("greedy.pdf", pdf, { ocr: scriptedOcr, limits: { heapMb: 8 } }),
    tooLarge("greedy.pdf", /needed more than the limit of 8 MB of heap/),
  );
  // A real case file still reads after both.
  const doc = await extractPdf("intake-notes.pdf", readFileSync(path.join(samples.vawa, "intake-notes.pdf")));
  assert.ok(doc.pages.length > 0 && doc.pages[0]!.text.length > 0);
});

test("each PDF is read in a child process that is gone afterwards; the spare keeps no process alive and leaves with it", async () => {
  const marker = `pdf-spare-${process.pid}-${Date.now()}`;
  // A process of its own that reads one PDF and then has nothing left to do: it must exit by
  // itself (the spare reader forked for the next document holds nothing open), and no reader
  // process may outlive it (the spare exits when its parent's channel closes).
  const script = `import { readFileSync } from "node:fs";
import { extractPdf } from ${JSON.stringify(path.resolve("functions/extract-documents.ts"))};
const doc = await extractPdf("intake-notes.pdf", readFileSync(${JSON.stringify(path.join(samples.vawa, "intake-notes.pdf"))}));
console.log(JSON.stringify({ pages: doc.pages.length }));`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: { ...process.env, AFFIANT_TEST_MARKER: marker },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (b) => (out += b));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const [code, signal] = (await once(child, "close")) as [number | null, string | null];
  clearTimeout(timer);
  assert.equal(signal, null, "the process ended by itself, not by the test's 60 s kill");
  assert.equal(code, 0);
  assert.ok(JSON.parse(out).pages > 0);
  const readersLeft = () =>
    readdirSync("/proc")
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/environ`, "utf8").includes(marker);
        } catch {
          return false; // gone meanwhile, or not ours to read
        }
      });
  for (let i = 0; i < 50 && readersLeft().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(readersLeft(), [], "no PDF reader process outlives the process that forked it");
});
