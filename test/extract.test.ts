import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { extractPdf } from "../functions/extract-documents.ts";
import { writePdf } from "../examples/pdf-writer.ts";
import { makeTestHome, samples } from "./helpers.ts";

const unreadable = (file: string, reason: RegExp, page?: number) => (err: Error & { file?: string; page?: number }) =>
  err.name === "Affiant.DocumentUnreadable" && err.file === file && reason.test(err.message) && (page === undefined || err.page === page);

test("a text PDF comes out page by page with page numbers", async () => {
  const doc = await extractPdf("intake-notes.pdf", readFileSync(path.join(samples.vawa, "intake-notes.pdf")));
  assert.deepEqual(doc.pages.map((p) => p.page), [1, 2]);
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
  await assert.rejects(extractPdf("junk.pdf", Buffer.from("this is not a pdf at all")), unreadable("junk.pdf", /corrupt|cannot be read/));
});

test("an empty file is unreadable, by name", async () => {
  await assert.rejects(extractPdf("empty.pdf", new Uint8Array()), unreadable("empty.pdf", /empty/));
});

test("a page without a text layer is named, never silently skipped", async () => {
  const { home } = makeTestHome();
  const file = path.join(home, "scan.pdf");
  await writePdf(file, [["Page one has text."], []]);
  await assert.rejects(extractPdf("scan.pdf", readFileSync(file)), unreadable("scan.pdf", /page 2 has no text layer/, 2));
});
