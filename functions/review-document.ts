/**
 * The review document the attorney reads beside the declaration: per paragraph its text, the
 * exhibits it cites (document and page), the sentences Score found unsupported with their
 * text, the judges' notes, placeholder problems left, elements with nothing drafted, documents
 * never cited, facts to confirm with the client, contradictions between sources, and the
 * exhibit list (Exhibit A, B… in the case's order, the documents filed only; each one not in
 * English flagged, with its certificate of translation) that the citations refer to, the sources
 * not filed (work product, interviews) and the sentences resting on an interview, and the
 * evidence to gather for the case's variant (a checklist with the provision asking for each).
 * Built from blobs the run already wrote, with placeholders;
 * Reinject maps every string to real values (mapReviewText) before rendering.
 *
 * Each paragraph's text is a list of versions (`versions` names them): the English draft
 * today; a translation is one more entry, rendered as another column. A draft whose
 * paragraphs carry `sentences` (each with the chunk ids it cites) is reviewed sentence by
 * sentence, each with its own exhibits; one without them, by paragraph.
 */

import type { SourceDocument } from "../core/case-documents.ts";
import { type Draft, escapeRawHtml, type ReviewStatus } from "../core/declaration.ts";
import type { LegalElement } from "../core/legal-elements.ts";
import type { RoleLegend } from "../core/roles.ts";
import { type Contradiction, findContradictions } from "./review/contradictions.ts";
import { type ExtractedFact, type FactToConfirm, factsToConfirm } from "./review/facts-to-confirm.ts";
import {
  type CaseSources,
  caseSources,
  type Exhibit,
  type ExhibitTranslationCertificate,
  exhibitLine,
  exhibitTranslationCertificate,
  type UnfiledSource,
  unfiledLine,
} from "./review/sources.ts";
import { paragraphSentences } from "./scoring/support.ts";

export type { FactToConfirm } from "./review/facts-to-confirm.ts";
export type { Exhibit, ExhibitTranslationCertificate, UnfiledSource } from "./review/sources.ts";

/** A paragraph as the draft stage writes it, with per-sentence sources when the stage gives them. */
type ParagraphWithSentences = Draft["paragraphs"][number] & { sentences?: Array<{ text: string; sources: string[] }> };

/** One side of a contradiction: the quote and where it is. */
export interface ReviewQuote {
  /** "Exhibit D, p. 1". */
  exhibit: string;
  /** The document's name (a placeholder until Reinject). */
  document: string;
  quote: string;
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
  /** Present when the draft cites per sentence: each sentence with its own exhibits. */
  sentences?: Array<{ text: string; exhibits: string[] }>;
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
  factsToConfirm: FactToConfirm[];
  /** The same event told as an accident in one document and as inflicted harm in another ("cause"), or dated differently ("date"). */
  contradictions: Array<{ kind: Contradiction["kind"]; event: string; first: ReviewQuote; second: ReviewQuote }>;
  exhibits: Exhibit[];
  /** Sources the draft may cite that are never filed: the attorney's work product, the client's interviews. */
  unfiledSources: UnfiledSource[];
  /** The sentences that rest on an interview (the client's account, not filed): the attorney confirms them with the declarant. */
  interviewSentences: Array<{ paragraph: number; sentence: number; text: string; sources: string[] }>;
  /** A certificate of translation for each exhibit not in English (8 CFR 103.2(b)(3)). */
  translationCertificates: ExhibitTranslationCertificate[];
  /** The evidence to gather beside the declaration, for the case's variant (core/evidence-checklist.ts). */
  evidenceChecklist: string[];
  /** What this document does not check yet, said rather than left to be assumed. */
  notChecked: string[];
}

export interface ReviewInputs {
  draft: Draft;
  review: ReviewStatus;
  elements: LegalElement[];
  /** The index's chunks (document and page of every chunk; their redacted text for the checks on sources). */
  chunks: Array<{ id: string; file: string; page: number; text?: string }>;
  /** Score's record of the final draft, if it was scored. */
  score: Record<string, unknown> | null;
  placeholderProblems: string[];
  /** ExtractFacts' facts, for the facts to confirm. */
  facts?: ExtractedFact[];
  /** roles.json: who the placeholders are. */
  legend?: RoleLegend;
  /** A redacted date's value ([DATE_3] → "22 de marzo de 2019"), so dates can be compared; never quoted. */
  dateOf?: (placeholder: string) => string | undefined;
  /** The evidence to gather for the case's variant (core/evidence-checklist.ts); absent: none listed. */
  evidence?: string[];
  /** The case's sources in order with their roles and languages (the index's); absent: every file an exhibit. */
  documents?: SourceDocument[];
}

/**
 * Where Reinject writes the re-injected review document as JSON (the viewer's, through the
 * API): known from the run key alone, so an execution waiting in AttorneyReview has it too.
 */
export const reviewDocumentJsonKey = (runKey: string) => `${runKey}/review.json`;

export function buildReviewDocument({
  draft,
  review,
  elements,
  chunks,
  score,
  placeholderProblems,
  facts = [],
  legend,
  dateOf,
  evidence = [],
  documents = [],
}: ReviewInputs): ReviewDocument {
  // Exhibits lettered in the case's order, skipping the sources that are not filed.
  const sources: CaseSources = caseSources(documents, chunks);
  const pageOf = new Map(chunks.map((c) => [c.id, c]));
  const unsupported = Array.isArray(score?.unsupported) ? (score.unsupported as Array<{ i: number; support: number }>) : [];
  const citationOf = new Map(elements.map((e) => [e.id, e.citation]));
  const exhibitsOf = (ids: string[]) => {
    const labels: string[] = [];
    for (const id of ids) {
      const chunk = pageOf.get(id);
      if (!chunk) continue;
      const label = sources.label(chunk.file, chunk.page, true);
      if (!labels.includes(label)) labels.push(label);
    }
    return labels;
  };
  const interviewSentences: ReviewDocument["interviewSentences"] = [];
  let first = 0;
  const paragraphs = (draft.paragraphs as ParagraphWithSentences[]).map((p, n): ReviewParagraph => {
    // Score numbers the sentences across the draft, from the same list this reads.
    const sentences = paragraphSentences(p).map((s) => s.text);
    const flagged = unsupported
      .filter((u) => u.i >= first && u.i < first + sentences.length)
      .map((u) => ({ sentence: u.i - first + 1, text: sentences[u.i - first]!, support: u.support }));
    first += sentences.length;
    const cited = p.sentences ? p.sentences.map((s) => ({ text: s.text.trim(), exhibits: exhibitsOf(s.sources) })) : undefined;
    for (const [i, s] of (p.sentences ?? []).entries()) {
      const onInterview = s.sources.filter((id) => {
        const chunk = pageOf.get(id);
        return chunk !== undefined && sources.isInterview(chunk.file);
      });
      if (onInterview.length)
        interviewSentences.push({ paragraph: n + 1, sentence: i + 1, text: s.text.trim(), sources: exhibitsOf(onInterview) });
    }
    const exhibits = cited ? [...new Set(cited.flatMap((s) => s.exhibits))] : exhibitsOf(p.sources);
    const text = p.text.trim() || (p.sentences ?? []).map((s) => s.text.trim()).join(" ");
    return {
      number: n + 1,
      element: p.element,
      heading: p.title,
      citation: citationOf.get(p.element) ?? "",
      texts: [text],
      exhibits,
      unsupported: flagged,
      ...(cited ? { sentences: cited } : {}),
    };
  });
  const exhibitOf = (file: string, page: number) => sources.label(file, page);
  const withText = chunks.filter((c): c is typeof c & { text: string } => typeof c.text === "string");
  const found = findContradictions(withText, { dateOf });
  const side = (q: { file: string; page: number; quote: string }): ReviewQuote => ({
    exhibit: exhibitOf(q.file, q.page),
    document: q.file,
    quote: q.quote,
  });
  const toConfirm = factsToConfirm({
    facts,
    chunks: withText,
    unsupported: paragraphs.flatMap((p) => p.unsupported.map((u) => ({ paragraph: p.number, text: u.text }))),
    paragraphs: paragraphs.map((p) => ({ number: p.number, text: p.texts[0] ?? "" })),
    legend,
    contradictions: found,
    exhibitOf,
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
    documentsNeverCited: sources.neverCited(),
    factsToConfirm: toConfirm,
    contradictions: found.map((c) => ({ kind: c.kind, event: c.event, first: side(c.first), second: side(c.second) })),
    exhibits: sources.exhibits,
    unfiledSources: sources.unfiled,
    interviewSentences,
    translationCertificates: sources.exhibits.filter((e) => e.needsTranslation).map(exhibitTranslationCertificate),
    evidenceChecklist: evidence,
    // Said rather than left to be assumed: the detector reads causes and dates, not every kind of disagreement.
    notChecked: ["contradictions other than an accidental against an inflicted cause of the same injury or a differently dated injury"],
  };
}

/** Every string through `f` (Reinject's placeholder → value mapping). */
export function mapReviewText(doc: ReviewDocument, f: (text: string) => string): ReviewDocument {
  return {
    ...doc,
    review: { ...doc.review, failures: doc.review.failures.map(f) },
    paragraphs: doc.paragraphs.map((p) => ({
      ...p,
      heading: f(p.heading),
      texts: p.texts.map(f),
      unsupported: p.unsupported.map((u) => ({ ...u, text: f(u.text) })),
      ...(p.sentences ? { sentences: p.sentences.map((s) => ({ ...s, text: f(s.text) })) } : {}),
    })),
    judges: doc.judges.map((j) => ({ ...j, reasons: f(j.reasons) })),
    placeholderProblems: doc.placeholderProblems.map(f),
    documentsNeverCited: doc.documentsNeverCited.map(f),
    factsToConfirm: doc.factsToConfirm.map((x) => ({ item: f(x.item), why: x.why.map(f), where: x.where.map(f) })),
    contradictions: doc.contradictions.map((c) => ({ ...c, first: mapQuote(c.first, f), second: mapQuote(c.second, f) })),
    exhibits: doc.exhibits.map((e) => ({ ...e, title: f(e.title) })),
    unfiledSources: doc.unfiledSources.map((u) => ({ ...u, title: f(u.title) })),
    interviewSentences: doc.interviewSentences.map((x) => ({ ...x, text: f(x.text) })),
    translationCertificates: doc.translationCertificates.map((c) => ({ ...c, title: f(c.title), statement: f(c.statement) })),
  };
}

const mapQuote = (q: ReviewQuote, f: (text: string) => string): ReviewQuote => ({ ...q, document: f(q.document), quote: f(q.quote) });

/** One line per contradiction, the same in Markdown, DOCX and the viewer. */
export const contradictionLine = (c: ReviewDocument["contradictions"][number]) =>
  c.kind === "cause"
    ? `Same event (${c.event}) told as an accident in ${c.first.exhibit} (${c.first.document}): “${c.first.quote}” and as inflicted in ${c.second.exhibit} (${c.second.document}): “${c.second.quote}”`
    : `Same injury dated differently (${c.event}): ${c.first.exhibit} (${c.first.document}): “${c.first.quote}” against ${c.second.exhibit} (${c.second.document}): “${c.second.quote}”`;
export const interviewLine = (x: ReviewDocument["interviewSentences"][number]) =>
  `Paragraph ${x.paragraph}, sentence ${x.sentence}: “${x.text}” (${x.sources.join("; ")}): confirm it with the declarant`;
export const factLine = (x: FactToConfirm) => `“${x.item}”: ${x.why.join("; ")} (${x.where.join("; ")})`;

const list = (items: string[], none: string) => (items.length ? items.map((i) => `- ${i}`) : [`- ${none}`]);

export function renderReviewMarkdown(doc: ReviewDocument): string {
  const lines = [`# ${doc.title}`, ""];
  lines.push(doc.review.status === "passed" ? "**Quality gate: passed.**" : `**FAILING REVIEW:** ${doc.review.failures.join("; ")}`, "");
  for (const p of doc.paragraphs) {
    lines.push(`## ${p.number}. ${p.heading}`, "", `_${p.citation}_`, "");
    if (doc.versions.length === 1) lines.push(p.texts[0] || "_(nothing drafted)_", "");
    // More than one version (a translation): side by side, a column each.
    else
      lines.push(
        `| ${doc.versions.join(" | ")} |`,
        `|${doc.versions.map(() => " --- ").join("|")}|`,
        `| ${p.texts.map((t) => t.replace(/\|/g, "\\|") || "—").join(" | ")} |`,
        "",
      );
    lines.push(`Cites: ${p.exhibits.join("; ") || "no exhibit"}`, "");
    if (p.sentences) lines.push(...p.sentences.map((s, i) => `${i + 1}. ${s.text} _(${s.exhibits.join("; ") || "no exhibit"})_`), "");
    for (const u of p.unsupported) lines.push(`- Unsupported sentence ${u.sentence} (support ${u.support}): “${u.text}”`);
    if (p.unsupported.length) lines.push("");
  }
  lines.push(
    "## Judges' notes",
    "",
    ...list(
      doc.judges.map((j) => `${j.stage}: ${j.score} of 5. ${j.reasons}`),
      "none recorded",
    ),
    "",
  );
  lines.push("## Facts to confirm with the client", "", ...list(doc.factsToConfirm.map(factLine), "none"), "");
  lines.push("## Contradictions between sources", "", ...list(doc.contradictions.map(contradictionLine), "none found"), "");
  lines.push("## Placeholder problems left", "", ...list(doc.placeholderProblems, "none"), "");
  lines.push("## Elements not covered", "", ...list(doc.elementsNotCovered, "none"), "");
  lines.push("## Documents never cited", "", ...list(doc.documentsNeverCited, "none"), "");
  lines.push(
    "## Evidence to gather",
    "",
    ...doc.evidenceChecklist.map((i) => `- [ ] ${i}`),
    ...(doc.evidenceChecklist.length ? [] : ["- none listed"]),
    "",
  );
  lines.push("## Exhibit list", "", ...list(doc.exhibits.map(exhibitLine), "none"), "");
  lines.push("## Sources not filed", "", ...list(doc.unfiledSources.map(unfiledLine), "none"), "");
  lines.push("## Sentences resting on the client interview", "", ...list(doc.interviewSentences.map(interviewLine), "none"), "");
  for (const c of doc.translationCertificates) {
    lines.push(`## ${c.heading}`, "", c.statement, "");
    for (const blank of c.blanks) lines.push(`${blank}: ______________________________`, "");
  }
  lines.push(`_Not checked by Affiant yet: ${doc.notChecked.join("; ")}._`, "");
  return escapeRawHtml(lines.join("\n"));
}
