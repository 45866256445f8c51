/**
 * What a successful local execution leaves for the user: the declaration in its three
 * renditions and the review report, copied from the blob store into the outputs folder; for a
 * declarant who reads Spanish, also the Spanish version's three and the side-by-side review.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { BlobStore } from "../../core/blob-store.ts";
import { privateDir, privateModes } from "../../core/paths.ts";

export async function writeOutputs(store: BlobStore, outputDir: string, output: unknown): Promise<void> {
  const o = output as {
    declarationKey?: string;
    docxKey?: string;
    pdfKey?: string;
    reportKey?: string;
    filing?: { markdownKey: string; docxKey: string; pdfKey: string };
    reviewDocument?: { markdownKey: string; docxKey: string };
    approval?: unknown;
    spanish?: { declarationKey: string; docxKey: string; pdfKey: string; reviewKey: string };
  };
  if (!o?.declarationKey || !o.reportKey) throw new Error("the execution output names no declaration");
  privateDir(outputDir);
  writeFileSync(path.join(outputDir, "declaration.md"), await store.get(o.declarationKey), { mode: privateModes.file });
  if (o.docxKey) writeFileSync(path.join(outputDir, "declaration.docx"), await store.get(o.docxKey), { mode: privateModes.file });
  if (o.pdfKey) writeFileSync(path.join(outputDir, "declaration.pdf"), await store.get(o.pdfKey), { mode: privateModes.file });
  if (o.filing) {
    writeFileSync(path.join(outputDir, "declaration.filing.md"), await store.get(o.filing.markdownKey), { mode: privateModes.file });
    writeFileSync(path.join(outputDir, "declaration.filing.docx"), await store.get(o.filing.docxKey), { mode: privateModes.file });
    writeFileSync(path.join(outputDir, "declaration.filing.pdf"), await store.get(o.filing.pdfKey), { mode: privateModes.file });
  }
  if (o.reviewDocument) {
    writeFileSync(path.join(outputDir, "review.md"), await store.get(o.reviewDocument.markdownKey), { mode: privateModes.file });
    writeFileSync(path.join(outputDir, "review.docx"), await store.get(o.reviewDocument.docxKey), { mode: privateModes.file });
  }
  writeFileSync(path.join(outputDir, "report.json"), await store.get(o.reportKey), { mode: privateModes.file });
  if (o.spanish) {
    const files = {
      [spanishOutputs.markdown]: o.spanish.declarationKey,
      [spanishOutputs.docx]: o.spanish.docxKey,
      [spanishOutputs.pdf]: o.spanish.pdfKey,
      [spanishOutputs.review]: o.spanish.reviewKey,
    };
    for (const [name, key] of Object.entries(files))
      writeFileSync(path.join(outputDir, name), await store.get(key), { mode: privateModes.file });
  }
  // The renditions above are the approved ones: who approved them, when, and which draft.
  if (o.approval) writeFileSync(path.join(outputDir, "approval.json"), JSON.stringify(o.approval, null, 2), { mode: privateModes.file });
}

/** The Spanish version's files in the outputs folder, and the side-by-side review. */
export const spanishOutputs = {
  markdown: "declaration.es.md",
  docx: "declaration.es.docx",
  pdf: "declaration.es.pdf",
  review: "review.bilingual.html",
} as const;
