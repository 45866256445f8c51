/**
 * The declaration as a PDF (pdfkit): the same structure as the DOCX, with "Page n of N" on
 * every page. The font is Liberation Sans (SIL OFL, metric-compatible with Arial), embedded
 * from the pdfjs-dist package that pdf-parse already brings, so names with letters outside
 * Latin-1 (Łukasz, Őrsi, Đorđe) print as written; where it is absent, pdfkit's built-in
 * Helvetica. Letters the font has no glyph for (Vietnamese stacked accents, non-Latin
 * scripts) are counted and logged, never silently: the DOCX, which the lawyer's word
 * processor renders with its own fonts, carries them intact.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import PDFDocument from "pdfkit";
import { type DeclarationDocument, documentLabels, sectionLabel } from "../../core/declaration.ts";
import { log } from "../../core/log.ts";
import { blankLine, signatureBlockFor } from "./signature-block.ts";

interface Fonts {
  regular: string;
  bold: string;
  italic: string;
  embedded: boolean;
}

let fonts: Fonts | undefined;

/** Liberation Sans files when present, else the standard-14 names pdfkit knows. */
export function pdfFonts(): Fonts {
  if (fonts) return fonts;
  try {
    const dir = path.join(path.dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json")), "standard_fonts");
    const file = (style: string) => path.join(dir, `LiberationSans-${style}.ttf`);
    if (["Regular", "Bold", "Italic"].every((s) => existsSync(file(s))))
      fonts = { regular: file("Regular"), bold: file("Bold"), italic: file("Italic"), embedded: true };
  } catch {
    // not installed: fall through to the built-in fonts
  }
  fonts ??= { regular: "Helvetica", bold: "Helvetica-Bold", italic: "Helvetica-Oblique", embedded: false };
  return fonts;
}

/** Characters beyond Latin-1 that the built-in fonts' WinAnsi encoding still has. */
const winAnsiExtras = new Set("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ");

/** Distinct characters of the document the body font cannot draw. */
function unprintable(pdf: PDFKit.PDFDocument, doc: DeclarationDocument): number {
  // pdfkit keeps the fontkit font of an embedded font at `_font.font`; the built-in fonts have
  // none and draw WinAnsi only.
  const font = (pdf.font("body") as unknown as { _font?: { font?: { hasGlyphForCodePoint?(cp: number): boolean } } })._font?.font;
  const drawable = font?.hasGlyphForCodePoint
    ? (c: string) => font.hasGlyphForCodePoint!(c.codePointAt(0)!)
    : (c: string) => c.codePointAt(0)! <= 0xff || winAnsiExtras.has(c);
  const all = [
    doc.title,
    doc.intro,
    doc.verification ?? "",
    doc.languageStatement ?? "",
    doc.signatory ?? "",
    doc.notice,
    doc.failingReview ?? "",
    doc.certificate?.statement ?? "",
    ...doc.sections.flatMap((s) => [s.heading, s.text, ...s.citations]),
  ].join("");
  return [...new Set(all)].filter((c) => !/\s/.test(c) && !drawable(c)).length;
}

export function renderPdf(doc: DeclarationDocument): Promise<Buffer> {
  const f = pdfFonts();
  const margin = 72;
  const pdf = new PDFDocument({
    size: "LETTER",
    margins: { top: margin, bottom: margin, left: margin, right: margin },
    bufferPages: true,
    info: { Title: doc.title, Creator: "Affiant", Subject: doc.notice },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on("data", (c: Buffer) => chunks.push(c));
    pdf.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.on("error", reject);
  });
  pdf.registerFont("body", f.regular);
  pdf.registerFont("bold", f.bold);
  pdf.registerFont("italic", f.italic);
  const missing = unprintable(pdf, doc);
  if (missing > 0) log("warn", "renditions.pdf.unprintable", { characters: missing, embeddedFont: f.embedded });

  const labels = documentLabels[doc.language ?? "en"];
  const signatureBlock = signatureBlockFor(doc.language);
  const text = (font: string, size: number, s: string, options: PDFKit.Mixins.TextOptions = {}) =>
    pdf
      .font(font)
      .fontSize(size)
      .text(s, { lineGap: 3, ...options });
  text("bold", 16, doc.title, { align: "center" });
  pdf.moveDown();
  if (doc.failingReview) {
    pdf.fillColor("#b00020");
    text("bold", 11, doc.failingReview);
    pdf.fillColor("black");
    pdf.moveDown();
  }
  text("body", 11, doc.intro, { align: "justify" });
  for (const s of doc.sections) {
    pdf.moveDown();
    // The filing rendition: numbered paragraphs with no heading.
    if (!s.heading) {
      text("body", 11, `${s.number}. ${s.drafted ? s.text : labels.notDrafted}`, { align: "justify" });
      continue;
    }
    text("bold", 12, sectionLabel(s));
    pdf.moveDown(0.3);
    text(s.drafted ? "body" : "italic", 11, s.drafted ? s.text : labels.notDrafted, { align: "justify" });
    if (s.citations.length) text("italic", 9, `${labels.sources}: ${s.citations.join("; ")}`);
  }
  // A reading copy nobody signs has no oath and no signature block.
  if (doc.verification) {
    pdf.moveDown(1.5);
    text("body", 11, doc.verification, { align: "justify" });
    pdf.moveDown();
    if (doc.languageStatement) {
      text("body", 11, doc.languageStatement, { align: "justify" });
      pdf.moveDown();
    }
    text("body", 11, signatureBlock.executed);
    pdf.moveDown(2);
    text("body", 11, signatureBlock.signatureLine);
    text("body", 9, signatureBlock.signatureCaption);
    pdf.moveDown(0.5);
    text("body", 11, signatureBlock.printedName(doc.signatory ?? ""));
  }
  if (doc.notice) {
    pdf.moveDown(1.5);
    text("italic", 9, doc.notice);
  }
  if (doc.certificate) {
    pdf.addPage();
    text("bold", 14, doc.certificate.heading, { align: "center" });
    pdf.moveDown();
    text("body", 11, doc.certificate.statement, { align: "justify" });
    for (const label of doc.certificate.blanks) {
      pdf.moveDown(1.5);
      text("body", 11, blankLine(label));
    }
  }

  // Page numbers last, when the page count is known; written inside the bottom margin with
  // the margin lifted, or pdfkit would start a new page for them.
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    const bottom = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    pdf
      .font("body")
      .fontSize(9)
      .text(`Page ${i + 1 - range.start} of ${range.count}`, margin, pdf.page.height - margin / 2, {
        width: pdf.page.width - 2 * margin,
        align: "center",
        lineBreak: false,
      });
    pdf.page.margins.bottom = bottom;
  }
  pdf.end();
  return done;
}
