/**
 * The review document as a Word document: who is who; per paragraph (numbered as the filing
 * version) the elements it supports, a table with a column per version of its text (the
 * English today; a translation adds a column), the exhibits it cites and its
 * unsupported sentences (and each sentence with its own exhibits when the draft cites per
 * sentence); then the judges' notes, facts to confirm with the client, contradictions between
 * sources, placeholder problems, elements with nothing drafted or judged not covered, documents
 * never cited, the evidence to gather, the exhibit list (each foreign-language exhibit flagged),
 * the sources not filed, the sentences resting on the client interview and a certificate of
 * translation per foreign-language exhibit; after a "changes" round, first the redline against
 * the draft reviewed last round. Built from the re-injected ReviewDocument.
 */
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun, WidthType } from "docx";
import { type RoundChanges, roundChangesSummary, roundChangesTitle } from "../review/redline.ts";
import { exhibitLine, unfiledLine } from "../review/sources.ts";
import { contradictionLine, factLine, interviewLine, type ReviewDocument, roleLine, supportsLine } from "../review-document.ts";

const font = "Times New Roman";
const text = (s: string, options: { bold?: boolean; italics?: boolean; color?: string; size?: number } = {}) =>
  new Paragraph({
    spacing: { after: 120 },
    children: [
      new TextRun({ text: s, font, size: options.size ?? 22, bold: options.bold, italics: options.italics, color: options.color }),
    ],
  });
const heading = (s: string, level: (typeof HeadingLevel)[keyof typeof HeadingLevel] = HeadingLevel.HEADING_2) =>
  new Paragraph({ heading: level, spacing: { before: 240, after: 120 }, children: [new TextRun({ text: s, font, bold: true, size: 26 })] });
const bullets = (items: string[], none: string) => (items.length ? items : [none]).map((i) => text(`• ${i}`));

/** One row of headers and one of texts, a column per version. */
function versionsTable(versions: string[], texts: string[]): Table {
  const cell = (s: string, bold = false) =>
    new TableCell({
      width: { size: Math.floor(100 / versions.length), type: WidthType.PERCENTAGE },
      children: [text(s || "(nothing drafted)", { bold, italics: !s })],
    });
  return new Table({
    width: { size: 100, type: WidthType.PERCENTAGE },
    rows: [
      new TableRow({ tableHeader: true, children: versions.map((v) => cell(v, true)) }),
      new TableRow({ children: texts.map((t) => cell(t)) }),
    ],
  });
}

/** The round's redline: deletions struck through in red, insertions underlined in green. */
function roundChanges(changes: RoundChanges): Paragraph[] {
  const summary = roundChangesSummary(changes);
  const out = [heading(roundChangesTitle), text(summary.lead), ...bullets(summary.items, "none")];
  for (const p of changes.paragraphs.filter((x) => x.status === "rewritten")) {
    out.push(heading(`${p.after ?? p.before ?? "–"}. ${p.heading}`, HeadingLevel.HEADING_3));
    if (p.note) out.push(text(`Attorney's note: ${p.note}`, { italics: true, size: 20 }));
    out.push(
      new Paragraph({
        spacing: { after: 120 },
        children: p.redline.map(
          (r) =>
            new TextRun({
              text: r.text,
              font,
              size: 22,
              ...(r.op === "delete" ? { strike: true, color: "B00020" } : r.op === "insert" ? { underline: {}, color: "1B6E3A" } : {}),
            }),
        ),
      }),
    );
  }
  return out;
}

export async function renderReviewDocx(doc: ReviewDocument): Promise<Buffer> {
  const children: Array<Paragraph | Table> = [heading(doc.title, HeadingLevel.TITLE)];
  children.push(
    doc.review.status === "passed"
      ? text("Quality gate: passed.", { bold: true })
      : text(`FAILING REVIEW: ${doc.review.failures.join("; ")}`, { bold: true, color: "B00020" }),
  );
  if (doc.changes) children.push(...roundChanges(doc.changes));
  children.push(heading("Who is who"), ...bullets(doc.roles.map(roleLine), "no roles recorded"));
  children.push(text("Paragraph numbers are the filing version's.", { italics: true, size: 20 }));
  for (const p of doc.paragraphs) {
    children.push(
      heading(`${p.number}. ${p.heading}`),
      text(supportsLine(p), { italics: true, size: 20 }),
      ...(p.when ? [text(`When: ${p.when}`, { italics: true, size: 20 })] : []),
      versionsTable(doc.versions, p.texts),
    );
    children.push(text(`Cites: ${p.exhibits.join("; ") || "no exhibit"}`, { size: 20 }));
    if (p.sentences)
      for (const [i, s] of p.sentences.entries())
        children.push(text(`${i + 1}. ${s.text} (${s.exhibits.join("; ") || "no exhibit"})`, { size: 20 }));
    for (const u of p.unsupported)
      children.push(text(`Unsupported sentence ${u.sentence} (support ${u.support}): “${u.text}”`, { color: "B00020", size: 20 }));
  }
  children.push(
    heading("Judges' notes"),
    ...bullets(
      doc.judges.map((j) => `${j.stage}: ${j.score} of 5. ${j.reasons}`),
      "none recorded",
    ),
  );
  children.push(heading("Facts to confirm with the client"), ...bullets(doc.factsToConfirm.map(factLine), "none"));
  children.push(heading("Contradictions between sources"), ...bullets(doc.contradictions.map(contradictionLine), "none found"));
  children.push(heading("Placeholder problems left"), ...bullets(doc.placeholderProblems, "none"));
  children.push(heading("Elements with nothing drafted"), ...bullets(doc.elementsNotDrafted, "none: every element has a paragraph"));
  children.push(
    heading("Elements the coverage judge found not covered"),
    ...bullets(doc.elementsJudgedNotCovered, "none: the judge found every drafted element covered, or did not run"),
  );
  children.push(heading("Documents never cited"), ...bullets(doc.documentsNeverCited, "none"));
  children.push(
    heading("Evidence to gather"),
    ...bullets(
      doc.evidenceChecklist.map((i) => `☐ ${i}`),
      "none listed",
    ),
  );
  children.push(heading("Exhibit list"), ...bullets(doc.exhibits.map(exhibitLine), "none"));
  children.push(heading("Sources not filed"), ...bullets(doc.unfiledSources.map(unfiledLine), "none"));
  children.push(heading("Sentences resting on the client interview"), ...bullets(doc.interviewSentences.map(interviewLine), "none"));
  for (const c of doc.translationCertificates)
    children.push(heading(c.heading), text(c.statement), ...c.blanks.map((b) => text(`${b}: ______________________________`)));
  children.push(text(`Not checked by Affiant yet: ${doc.notChecked.join("; ")}.`, { italics: true, size: 18 }));
  return Packer.toBuffer(new Document({ title: doc.title, creator: "Affiant", sections: [{ children }] }));
}
