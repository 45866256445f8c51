/**
 * A declaration document as a Word document (the `docx` package): title, an intro, numbered
 * paragraphs (with their headings and sources in the review rendition), the § 1746
 * verification and a signature block with blanks (none on the Spanish reading copy, which
 * nobody signs), the interpreter's certificate where there is one, page numbers in the footer. Built from the re-injected
 * `DeclarationDocument`, never from Markdown, so nothing depends on parsing our own output.
 */
import { AlignmentType, Document, Footer, HeadingLevel, Packer, PageNumber, Paragraph, TextRun } from "docx";
import { type DeclarationDocument, documentLabels, sectionLabel } from "../../core/declaration.ts";
import { blankLine, signatureBlockFor } from "./signature-block.ts";

const font = "Times New Roman";
const body = (text: string, options: { italics?: boolean; size?: number } = {}) =>
  new Paragraph({
    spacing: { after: 160, line: 360 },
    children: [new TextRun({ text, font, size: options.size ?? 24, italics: options.italics })],
  });

export async function renderDocx(doc: DeclarationDocument): Promise<Buffer> {
  const labels = documentLabels[doc.language ?? "en"];
  const signatureBlock = signatureBlockFor(doc.language);
  const children: Paragraph[] = [
    new Paragraph({
      heading: HeadingLevel.TITLE,
      alignment: AlignmentType.CENTER,
      spacing: { after: 240 },
      children: [new TextRun({ text: doc.title, font, bold: true, size: 32 })],
    }),
    ...(doc.failingReview
      ? [
          new Paragraph({
            spacing: { after: 240 },
            children: [new TextRun({ text: doc.failingReview, font, bold: true, color: "B00020", size: 24 })],
          }),
        ]
      : []),
    body(doc.intro),
  ];
  for (const s of doc.sections) {
    // The filing rendition: numbered paragraphs with no heading.
    if (!s.heading) {
      children.push(body(`${s.number}. ${s.drafted ? s.text : labels.notDrafted}`));
      continue;
    }
    children.push(
      new Paragraph({
        heading: HeadingLevel.HEADING_2,
        spacing: { before: 240, after: 120 },
        children: [new TextRun({ text: sectionLabel(s), font, bold: true, size: 26 })],
      }),
    );
    children.push(body(s.drafted ? s.text : labels.notDrafted, { italics: !s.drafted }));
    if (s.citations.length) children.push(body(`${labels.sources}: ${s.citations.join("; ")}`, { italics: true, size: 20 }));
  }
  // A reading copy nobody signs has no oath and no signature block.
  if (doc.verification)
    children.push(
      new Paragraph({
        spacing: { before: 360, after: 160, line: 360 },
        children: [new TextRun({ text: doc.verification, font, size: 24 })],
      }),
      ...(doc.languageStatement ? [body(doc.languageStatement)] : []),
      body(signatureBlock.executed),
      new Paragraph({ spacing: { before: 480 }, children: [new TextRun({ text: signatureBlock.signatureLine, font, size: 24 })] }),
      body(signatureBlock.signatureCaption, { size: 20 }),
      body(signatureBlock.printedName(doc.signatory ?? "")),
    );
  if (doc.notice)
    children.push(
      new Paragraph({ spacing: { before: 360 }, children: [new TextRun({ text: doc.notice, font, italics: true, size: 18 })] }),
    );
  if (doc.certificate) {
    children.push(
      new Paragraph({
        pageBreakBefore: true,
        heading: HeadingLevel.HEADING_1,
        alignment: AlignmentType.CENTER,
        spacing: { after: 240 },
        children: [new TextRun({ text: doc.certificate.heading, font, bold: true, size: 28 })],
      }),
      body(doc.certificate.statement),
      ...doc.certificate.blanks.map(
        (label) => new Paragraph({ spacing: { before: 360 }, children: [new TextRun({ text: blankLine(label), font, size: 24 })] }),
      ),
    );
  }
  const footer = new Footer({
    children: [
      new Paragraph({
        alignment: AlignmentType.CENTER,
        children: [new TextRun({ font, size: 18, children: ["Page ", PageNumber.CURRENT, " of ", PageNumber.TOTAL_PAGES] })],
      }),
    ],
  });
  const document = new Document({
    title: doc.title,
    creator: "Affiant",
    description: doc.notice,
    sections: [
      { properties: { page: { margin: { top: 1440, bottom: 1440, left: 1440, right: 1440 } } }, footers: { default: footer }, children },
    ],
  });
  return Packer.toBuffer(document);
}
