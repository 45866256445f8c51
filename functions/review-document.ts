/**
 * The review document the attorney reads beside the declaration: per paragraph its text, the
 * exhibits it cites (document and page), the sentences Score found unsupported with their
 * text, the judges' notes, placeholder problems left, elements with nothing drafted, documents
 * never cited, and the exhibit list (Exhibit A, B… in the order the case's documents come)
 * that the citations refer to. Built from blobs the run already wrote, with placeholders;
 * Reinject maps every string to real values (mapReviewText) before rendering.
 *
 * Each paragraph's text is a list of versions (`versions` names them): the English draft
 * today; a translation (issue 18) is one more entry, rendered as another column.
 */
import type { Draft, ReviewStatus } from "../core/declaration.ts";
import type { LegalElement } from "../core/legal-elements.ts";
import { sentencesOf } from "./score-draft.ts";

export interface Exhibit {
  letter: string;
  /** The document's name (a placeholder until Reinject). */
  title: string;
  pages: number[];
  /** Pages some paragraph cites. */
  citedPages: number[];
}

export interface ReviewParagraph {
  number: number;
  element: string;
  heading: string;
  /** The provision the element rests on. */
  citation: string;
  /** The paragraph in each version, in `versions` order. */
  texts: string[];
  /** "Exhibit A, p. 2" for each page it cites. */
  exhibits: string[];
  unsupported: Array<{ sentence: number; text: string; support: number }>;
}

export interface ReviewDocument {
  title: string;
  review: ReviewStatus;
  versions: string[];
  paragraphs: ReviewParagraph[];
  judges: Array<{ stage: string; score: number; reasons: string }>;
  placeholderProblems: string[];
  elementsNotCovered: string[];
  documentsNeverCited: string[];
  exhibits: Exhibit[];
  /** What this document does not check yet, said rather than left to be assumed. */
  notChecked: string[];
}

export interface ReviewInputs {
  draft: Draft;
  review: ReviewStatus;
  elements: LegalElement[];
  /** The index's chunks (document and page of every chunk). */
  chunks: Array<{ id: string; file: string; page: number }>;
  /** Score's record of the final draft, if it was scored. */
  score: Record<string, unknown> | null;
  placeholderProblems: string[];
}

const letterOf = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : letterOf(Math.floor(i / 26) - 1) + String.fromCharCode(65 + (i % 26)));

export function buildReviewDocument({ draft, review, elements, chunks, score, placeholderProblems }: ReviewInputs): ReviewDocument {
  // Exhibits in the order the case's documents come in the index.
  const byFile = new Map<string, Exhibit>();
  for (const c of chunks) {
    let e = byFile.get(c.file);
    if (!e) byFile.set(c.file, (e = { letter: letterOf(byFile.size), title: c.file, pages: [], citedPages: [] }));
    if (!e.pages.includes(c.page)) e.pages.push(c.page);
  }
  const pageOf = new Map(chunks.map((c) => [c.id, c]));
  const unsupported = Array.isArray(score?.unsupported) ? (score.unsupported as Array<{ i: number; support: number }>) : [];
  const citationOf = new Map(elements.map((e) => [e.id, e.citation]));
  let first = 0;
  const paragraphs = draft.paragraphs.map((p, n): ReviewParagraph => {
    const sentences = sentencesOf(p.text);
    const flagged = unsupported.filter((u) => u.i >= first && u.i < first + sentences.length).map((u) => ({ sentence: u.i - first + 1, text: sentences[u.i - first]!, support: u.support }));
    first += sentences.length;
    const exhibits: string[] = [];
    for (const id of p.sources) {
      const chunk = pageOf.get(id);
      const exhibit = chunk && byFile.get(chunk.file);
      if (!chunk || !exhibit) continue;
      if (!exhibit.citedPages.includes(chunk.page)) exhibit.citedPages.push(chunk.page);
      const label = `Exhibit ${exhibit.letter}, p. ${chunk.page}`;
      if (!exhibits.includes(label)) exhibits.push(label);
    }
    return { number: n + 1, element: p.element, heading: p.title, citation: citationOf.get(p.element) ?? "", texts: [p.text.trim()], exhibits, unsupported: flagged };
  });
  const drafted = new Set(draft.paragraphs.filter((p) => p.text.trim()).map((p) => p.element));
  return {
    title: "Review of the draft declaration",
    review,
    versions: ["English (draft)"],
    paragraphs,
    judges: Array.isArray(score?.judges) ? (score.judges as ReviewDocument["judges"]) : [],
    placeholderProblems,
    elementsNotCovered: elements.filter((e) => !drafted.has(e.id)).map((e) => `${e.title} (${e.citation})`),
    documentsNeverCited: [...byFile.values()].filter((e) => e.citedPages.length === 0).map((e) => `Exhibit ${e.letter}: ${e.title}`),
    exhibits: [...byFile.values()],
    notChecked: ["contradictions between sources", "facts to confirm with the client"],
  };
}

/** Every string through `f` (Reinject's placeholder → value mapping). */
export function mapReviewText(doc: ReviewDocument, f: (text: string) => string): ReviewDocument {
  return {
    ...doc,
    review: { ...doc.review, failures: doc.review.failures.map(f) },
    paragraphs: doc.paragraphs.map((p) => ({ ...p, heading: f(p.heading), texts: p.texts.map(f), unsupported: p.unsupported.map((u) => ({ ...u, text: f(u.text) })) })),
    judges: doc.judges.map((j) => ({ ...j, reasons: f(j.reasons) })),
    placeholderProblems: doc.placeholderProblems.map(f),
    documentsNeverCited: doc.documentsNeverCited.map(f),
    exhibits: doc.exhibits.map((e) => ({ ...e, title: f(e.title) })),
  };
}

const list = (items: string[], none: string) => (items.length ? items.map((i) => `- ${i}`) : [`- ${none}`]);

export function renderReviewMarkdown(doc: ReviewDocument): string {
  const lines = [`# ${doc.title}`, ""];
  lines.push(doc.review.status === "passed" ? "**Quality gate: passed.**" : `**FAILING REVIEW:** ${doc.review.failures.join("; ")}`, "");
  for (const p of doc.paragraphs) {
    lines.push(`## ${p.number}. ${p.heading}`, "", `_${p.citation}_`, "");
    if (doc.versions.length === 1) lines.push(p.texts[0] || "_(nothing drafted)_", "");
    // More than one version (a translation): side by side, a column each.
    else lines.push(`| ${doc.versions.join(" | ")} |`, `|${doc.versions.map(() => " --- ").join("|")}|`, `| ${p.texts.map((t) => t.replace(/\|/g, "\\|") || "—").join(" | ")} |`, "");
    lines.push(`Cites: ${p.exhibits.join("; ") || "no exhibit"}`, "");
    for (const u of p.unsupported) lines.push(`- Unsupported sentence ${u.sentence} (support ${u.support}): “${u.text}”`);
    if (p.unsupported.length) lines.push("");
  }
  lines.push("## Judges' notes", "", ...list(doc.judges.map((j) => `${j.stage}: ${j.score} of 5. ${j.reasons}`), "none recorded"), "");
  lines.push("## Placeholder problems left", "", ...list(doc.placeholderProblems, "none"), "");
  lines.push("## Elements not covered", "", ...list(doc.elementsNotCovered, "none"), "");
  lines.push("## Documents never cited", "", ...list(doc.documentsNeverCited, "none"), "");
  lines.push("## Exhibit list", "", ...list(doc.exhibits.map((e) => `Exhibit ${e.letter}: ${e.title} (pages ${e.pages.join(", ")}${e.citedPages.length ? `; cited: ${e.citedPages.join(", ")}` : "; not cited"})`), "none"), "");
  lines.push(`_Not checked by Affiant yet: ${doc.notChecked.join("; ")}._`, "");
  return lines.join("\n");
}
