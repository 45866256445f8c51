/**
 * What a local execution leaves for the user, copied byte for byte from the blob store into
 * the outputs folder. Each review round's renditions go under `round-<n>/` (the review
 * rendition, the filing draft, the review document, the report, the Spanish version), kept
 * when a "changes" round follows. The folder's top level holds the draft under review (or the
 * one approved) and, only after approval, the filing copy without review banners, the approved
 * draft's Spanish reading copy (for a Spanish-speaking declarant) and approval.json, whose SHA-256
 * of each rendition matches these files.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { BlobStore } from "../../core/blob-store.ts";
import { privateDir, privateModes } from "../../core/paths.ts";

interface Keys {
  markdownKey: string;
  docxKey: string;
  pdfKey: string;
}

interface PipelineOutputKeys {
  declarationKey?: string;
  docxKey?: string;
  pdfKey?: string;
  reportKey?: string;
  rewrites?: number;
  filing?: Keys;
  reviewDocument?: { markdownKey: string; docxKey: string };
  approval?: { round?: number; approvalKey?: string; final?: Keys & { readingCopy?: Keys } };
  spanish?: { declarationKey: string; docxKey: string; pdfKey: string; reviewKey: string };
}

export async function writeOutputs(store: BlobStore, outputDir: string, output: unknown): Promise<void> {
  const o = output as PipelineOutputKeys;
  if (!o?.declarationKey || !o.reportKey) throw new Error("the execution output names no declaration");
  const copy = async (dir: string, name: string, key: string) =>
    writeFileSync(path.join(dir, name), await store.get(key), { mode: privateModes.file });
  const filingFiles = (dir: string, keys: Keys) =>
    Promise.all([
      copy(dir, "declaration.filing.md", keys.markdownKey),
      copy(dir, "declaration.filing.docx", keys.docxKey),
      copy(dir, "declaration.filing.pdf", keys.pdfKey),
    ]);
  // The round's renditions, as the round left them.
  const round = o.approval?.round ?? o.rewrites ?? 0;
  const roundDir = path.join(outputDir, `round-${round}`);
  privateDir(outputDir);
  privateDir(roundDir);
  for (const dir of [roundDir, outputDir]) {
    await copy(dir, "declaration.md", o.declarationKey);
    if (o.docxKey) await copy(dir, "declaration.docx", o.docxKey);
    if (o.pdfKey) await copy(dir, "declaration.pdf", o.pdfKey);
    if (o.reviewDocument) {
      await copy(dir, "review.md", o.reviewDocument.markdownKey);
      await copy(dir, "review.docx", o.reviewDocument.docxKey);
    }
    await copy(dir, "report.json", o.reportKey);
    if (o.spanish) {
      await copy(dir, spanishOutputs.markdown, o.spanish.declarationKey);
      await copy(dir, spanishOutputs.docx, o.spanish.docxKey);
      await copy(dir, spanishOutputs.pdf, o.spanish.pdfKey);
      await copy(dir, spanishOutputs.review, o.spanish.reviewKey);
    }
  }
  // The round's filing draft carries the round's banners; it is never the filing copy.
  if (o.filing) await filingFiles(roundDir, o.filing);
  // Approved: the filing copy RecordApproval wrote, and approval.json as it wrote it.
  if (o.approval) {
    if (o.approval.final) await filingFiles(outputDir, o.approval.final);
    // The approved draft's Spanish reading copy replaces the round's, whose banner the approval answered.
    const reading = o.approval.final?.readingCopy;
    if (reading) {
      await copy(outputDir, spanishOutputs.markdown, reading.markdownKey);
      await copy(outputDir, spanishOutputs.docx, reading.docxKey);
      await copy(outputDir, spanishOutputs.pdf, reading.pdfKey);
    }
    if (o.approval.approvalKey) await copy(outputDir, "approval.json", o.approval.approvalKey);
    else writeFileSync(path.join(outputDir, "approval.json"), JSON.stringify(o.approval, null, 2), { mode: privateModes.file });
  }
}

/** The Spanish version's files in the outputs folder, and the side-by-side review. */
export const spanishOutputs = {
  markdown: "declaration.es.md",
  docx: "declaration.es.docx",
  pdf: "declaration.es.pdf",
  review: "review.bilingual.html",
} as const;
