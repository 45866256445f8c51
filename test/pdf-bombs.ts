/**
 * PDF bombs for the hostile-input tests and the bench, generated with pdfkit: real PDFs a
 * reader accepts, small on disk, ruinous to read without limits.
 */
import PDFDocument from "pdfkit";

function pdf(build: (d: PDFKit.PDFDocument) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const d = new PDFDocument({ autoFirstPage: false, compress: true });
    const chunks: Buffer[] = [];
    d.on("data", (c: Buffer) => chunks.push(c));
    d.on("end", () => resolve(Buffer.concat(chunks)));
    d.on("error", reject);
    build(d);
    d.end();
  });
}

/** Blank Letter pages: about 3.8 MB for 10,000, each of which Extract would try to OCR. */
export const manyPagesPdf = (pages = 10_000) =>
  pdf((d) => {
    for (let i = 0; i < pages; i++) d.addPage({ size: "LETTER" });
  });

/**
 * Blank pages of 200 × 200 inches (the largest MediaBox the spec allows): a few hundred
 * bytes, each a 0.8-gigapixel canvas when rendered for OCR.
 */
export const hugeMediaBoxPdf = (pages = 3) =>
  pdf((d) => {
    for (let i = 0; i < pages; i++) d.addPage({ size: [14400, 14400] });
  });
