/**
 * Writes text PDFs with pdfkit: one array of lines per page. Used for the sample cases
 * and by tests that need real PDFs (including encrypted ones, which pdfkit can make).
 */
import { createWriteStream } from "node:fs";
import PDFDocument from "pdfkit";

export interface WritePdfOptions {
  title?: string;
  /** When set, the PDF is encrypted and needs this password to open. */
  userPassword?: string;
  /** Deterministic output: fixed creation date so regenerated samples do not churn. */
  creationDate?: Date;
}

export function writePdf(file: string, pages: string[][], options: WritePdfOptions = {}): Promise<void> {
  const doc = new PDFDocument({
    autoFirstPage: false,
    info: { Title: options.title ?? "", CreationDate: options.creationDate ?? new Date("2026-01-01T00:00:00Z") },
    ...(options.userPassword
      ? { userPassword: options.userPassword, ownerPassword: `${options.userPassword}-owner`, pdfVersion: "1.7" as const }
      : {}),
  });
  const out = createWriteStream(file);
  doc.pipe(out);
  for (const lines of pages) {
    doc.addPage({ size: "LETTER", margin: 72 });
    doc.fontSize(11);
    for (const line of lines) doc.text(line, { width: 468 });
  }
  doc.end();
  return new Promise((resolve, reject) => {
    out.on("finish", () => resolve());
    out.on("error", reject);
  });
}

/** A scan-like PDF: each page is one image (PNG) and there is no text layer at all. */
export function writeImagePdf(file: string, pngs: Uint8Array[]): Promise<void> {
  const doc = new PDFDocument({ autoFirstPage: false, info: { CreationDate: new Date("2026-01-01T00:00:00Z") } });
  const out = createWriteStream(file);
  doc.pipe(out);
  for (const png of pngs) {
    doc.addPage({ size: "LETTER", margin: 0 });
    doc.image(Buffer.from(png), 0, 0, { fit: [612, 792] });
  }
  doc.end();
  return new Promise((resolve, reject) => {
    out.on("finish", () => resolve());
    out.on("error", reject);
  });
}
