/**
 * The review document the attorney reads beside the declaration: who is who (the declarant,
 * the abuser or trafficker, each witness, with their placeholders); per paragraph, numbered as
 * the filing version numbers it, its text, the elements it supports, the exhibits it cites
 * (document and page) and the sentences Score found unsupported; the judges' notes, facts to
 * confirm with the client (statements resting only on documents among them), contradictions
 * between sources, placeholder problems left, elements with nothing drafted and those the
 * coverage judge found not covered, documents never cited, the evidence to gather for the
 * case's variant, the exhibit list (Exhibit A, B… in the case's order, the documents filed
 * only; each one not in English flagged, with its certificate of translation), the sources not
 * filed (work product, interviews) and the sentences resting on an interview.
 * Built from blobs the run already wrote, with placeholders; Reinject maps every string to
 * real values (mapReviewText) before rendering.
 *
 * Each paragraph's text is a list of versions (`versions` names them): the English today; a
 * translation is one more entry, rendered as another column. A draft whose paragraphs carry
 * `sentences` (each with the chunk ids it cites) is reviewed sentence by sentence, each with
 * its own exhibits; one without them, by paragraph.
 */
import type { SourceDocument } from "../core/case-documents.ts";
import { privateKeyOf } from "../core/case-file.ts";
import { type Draft, filingNumbers, openingHeading, paragraphText, type ReviewStatus, supportsOf } from "../core/declaration.ts";
import type { LegalElement } from "../core/legal-elements.ts";
import type { RoleLegend } from "../core/roles.ts";
import { periodLabel, undatedPeriod } from "../core/story.ts";
import { type Contradiction, findContradictions } from "./review/contradictions.ts";
import { type ExtractedFact, type FactToConfirm, factsToConfirm } from "./review/facts-to-confirm.ts";
import { documentOnlySentences } from "./review/personal-knowledge.ts";
import { mapRoundChanges, type RoundChanges } from "./review/redline.ts";
import {
  type CaseSources,
  caseSources,
  type Exhibit,
  type ExhibitTranslationCertificate,
  exhibitTranslationCertificate,
  type UnfiledSource,
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
  /** The paragraph's number in the filing version (¶1: the opening paragraph, who the declarant is). */
  number: number;
  /** The draft paragraph's key (an incident or period, or the element it is written for); "" for the opening paragraph. */
  element: string;
  heading: string;
  /** The provisions of the elements it supports, "; "-joined ("" for the opening paragraph). */
  citation: string;
  /** The elements the paragraph supports, each with its provision ("Battery or extreme cruelty (INA …)"); none for the opening paragraph. */
  supports: string[];
  /**
   * When it happened, as the story placed it: "March 2021", "2018 to 2023", with how many facts
   * were undated and placed by their source's order; or that its place in time is not known (a
   * paragraph written for one element no dated fact supports). Absent for the opening paragraph
   * and drafts made before the story.
   */
  when?: string;
  /** The paragraph in each version, in `versions` order. */
  texts: string[];
  /** "Exhibit A, p. 2" for each page it cites. */
  exhibits: string[];
  unsupported: Array<{ sentence: number; text: string; support: number }>;
  /** Present when the draft cites per sentence: each sentence with its own exhibits. */
  sentences?: Array<{ text: string; exhibits: string[] }>;
}

/** One person of the case as the review document's legend names them: the role, the name (after Reinject) and the placeholder the drafts use. */
export interface RoleLine {
  /** "declarant", "abuser (U.S. citizen)", "witness" … as case.json words it. */
  role: string;
  /** The placeholder until Reinject; then the person's name. */
  name: string;
  /** The placeholder itself, kept as the drafts and the judges write it. */
  placeholder: string;
}

export interface ReviewDocument {
  title: string;
  review: ReviewStatus;
  /** Who is who: the declarant, the abuser or trafficker, each witness, with their placeholders. */
  roles: RoleLine[];
  versions: string[];
  /** The filing version's paragraphs, numbered as it numbers them. */
  paragraphs: ReviewParagraph[];
  judges: Array<{ stage: string; score: number; reasons: string }>;
  placeholderProblems: string[];
  /** Elements with no paragraph at all (nothing drafted for them), each with its provision. */
  elementsNotDrafted: string[];
  /** Elements that have a paragraph the coverage judge found does not cover them, with its reason. */
  elementsJudgedNotCovered: string[];
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
  /** After a "changes" round: the redline against the draft reviewed last round, and what the round could touch. */
  changes?: RoundChanges;
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
  /** The filing's opening paragraph (¶1), as the filing words it; absent: the paragraphs start at ¶2 with no ¶1 shown. */
  opening?: string;
  /**
   * Whether a document (as the index names it) is the declarant's own account
   * (functions/review/personal-knowledge.ts): a sentence resting only on other documents is
   * listed to confirm with the declarant. Absent: no such check.
   */
  ownAccount?: (file: string) => boolean;
  /** After a "changes" round: its redline (functions/review/redline.ts). */
  changes?: RoundChanges;
  /** The case's sources in order with their roles and languages (the index's); absent: every file an exhibit. */
  documents?: SourceDocument[];
}

/**
 * Where Reinject writes the re-injected review document as JSON (the viewer's, through the
 * API): known from the run key alone, so an execution waiting in AttorneyReview has it too;
 * under the run's real-value prefix, like every output that holds real values.
 */
export const reviewDocumentJsonKey = (runKey: string) => `${privateKeyOf(runKey)}/review.json`;

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
  opening,
  ownAccount,
  changes,
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
  const titleOf = new Map(elements.map((e) => [e.id, e.title]));
  const numbers = filingNumbers(draft);
  const interviewSentences: ReviewDocument["interviewSentences"] = [];
  let first = 0;
  const drafted = (draft.paragraphs as ParagraphWithSentences[]).flatMap((p, n): ReviewParagraph[] => {
    // Score numbers the sentences across the draft, from the same list this reads.
    const sentences = paragraphSentences(p).map((s) => s.text);
    const flagged = unsupported
      .filter((u) => u.i >= first && u.i < first + sentences.length)
      .map((u) => ({ sentence: u.i - first + 1, text: sentences[u.i - first]!, support: u.support }));
    first += sentences.length;
    const number = numbers[n];
    // Nothing drafted: no paragraph of the filing (listed under the elements with nothing drafted).
    if (number === undefined) return [];
    const cited = p.sentences ? p.sentences.map((s) => ({ text: s.text.trim(), exhibits: exhibitsOf(s.sources) })) : undefined;
    for (const [i, s] of (p.sentences ?? []).entries()) {
      const onInterview = s.sources.filter((id) => {
        const chunk = pageOf.get(id);
        return chunk !== undefined && sources.isInterview(chunk.file);
      });
      if (onInterview.length)
        interviewSentences.push({ paragraph: number, sentence: i + 1, text: s.text.trim(), sources: exhibitsOf(onInterview) });
    }
    const exhibits = cited ? [...new Set(cited.flatMap((s) => s.exhibits))] : exhibitsOf(p.sources);
    const supported = supportsOf(p);
    const when = whenLine(p);
    return [
      {
        number,
        element: p.element,
        heading: p.title,
        citation: [...new Set(supported.flatMap((id) => (citationOf.get(id) ? [citationOf.get(id)!] : [])))].join("; "),
        supports: supported.map((id) => {
          const citation = citationOf.get(id);
          return `${titleOf.get(id) ?? (supported.length === 1 ? p.title : id)}${citation ? ` (${citation})` : ""}`;
        }),
        ...(when ? { when } : {}),
        texts: [paragraphText(p)],
        exhibits,
        unsupported: flagged,
        ...(cited ? { sentences: cited } : {}),
      },
    ];
  });
  const paragraphs: ReviewParagraph[] = [
    ...(opening
      ? [{ number: 1, element: "", heading: openingHeading, citation: "", supports: [], texts: [opening], exhibits: [], unsupported: [] }]
      : []),
    ...drafted,
  ];
  const exhibitOf = (file: string, page: number) => sources.label(file, page);
  const withText = chunks.filter((c): c is typeof c & { text: string } => typeof c.text === "string");
  const found = findContradictions(withText, { dateOf });
  const side = (q: { file: string; page: number; quote: string }): ReviewQuote => ({
    exhibit: exhibitOf(q.file, q.page),
    document: q.file,
    quote: q.quote,
  });
  // Sentences the declarant may know only from a document: theirs to confirm, or to state on information and belief.
  const fromDocuments = ownAccount
    ? documentOnlySentences(draft, chunks, ownAccount).map((s) => ({
        item: s.text,
        why: [
          "it rests only on documents other than the declarant's own account: confirm the declarant knows it first-hand, or keep it as a statement on information and belief (¶1 allows for them)",
        ],
        where: [`paragraph ${s.paragraph}`, ...s.files.map((f) => sources.name(f))],
      }))
    : [];
  const toConfirm = factsToConfirm({
    facts,
    chunks: withText,
    unsupported: paragraphs.flatMap((p) => p.unsupported.map((u) => ({ paragraph: p.number, text: u.text }))),
    paragraphs: paragraphs.map((p) => ({ number: p.number, text: p.texts[0] ?? "" })),
    legend,
    contradictions: found,
    exhibitOf,
  });
  // An element is drafted when a paragraph with text supports it.
  const written = new Set(draft.paragraphs.filter((p) => paragraphText(p)).flatMap(supportsOf));
  const judgedNotCovered = Array.isArray(score?.uncovered)
    ? (score.uncovered as Array<{ element: string; title?: string; reason: string }>).filter((u) => written.has(u.element))
    : [];
  const supportingNumbers = (element: string) =>
    draft.paragraphs.flatMap((p, i) => (numbers[i] !== undefined && supportsOf(p).includes(element) ? [numbers[i]!] : []));
  return {
    title: "Review of the draft declaration",
    review,
    roles: roleLines(legend),
    versions: ["English (filing version)"],
    paragraphs,
    judges: Array.isArray(score?.judges) ? (score.judges as ReviewDocument["judges"]) : [],
    placeholderProblems,
    elementsNotDrafted: elements.filter((e) => !written.has(e.id)).map((e) => `${e.title} (${e.citation})`),
    elementsJudgedNotCovered: judgedNotCovered.map((u) => {
      const at = supportingNumbers(u.element);
      const where = at.length ? ` (${at.length === 1 ? "paragraph" : "paragraphs"} ${at.join(", ")})` : "";
      return `${u.title ?? titleOf.get(u.element) ?? u.element}${where}: ${u.reason}`;
    }),
    documentsNeverCited: sources.neverCited(),
    factsToConfirm: [...toConfirm, ...fromDocuments],
    contradictions: found.map((c) => ({ kind: c.kind, event: c.event, first: side(c.first), second: side(c.second) })),
    exhibits: sources.exhibits,
    unfiledSources: sources.unfiled,
    interviewSentences,
    translationCertificates: sources.exhibits.filter((e) => e.needsTranslation).map(exhibitTranslationCertificate),
    evidenceChecklist: evidence,
    // Said rather than left to be assumed: the detector reads causes and dates, not every kind of disagreement.
    notChecked: ["contradictions other than an accidental against an inflicted cause of the same injury or a differently dated injury"],
    ...(changes ? { changes } : {}),
  };
}

/**
 * When a paragraph happened, as the review document says it: its date or period and how many of
 * its facts were placed by their source's order (the attorney checks those); for a paragraph
 * written for one element outside the story, that its place in time is not known.
 */
export function whenLine(p: Draft["paragraphs"][number]): string | undefined {
  if (p.period === undefined) return p.supports ? "Place in time not known: no extracted fact supports this element" : undefined;
  if (p.period === undatedPeriod)
    return `Undated: ${p.undatedFacts ?? 0} fact${p.undatedFacts === 1 ? "" : "s"} no source dates, told last in ${p.undatedFacts === 1 ? "its source's" : "their sources'"} order: check where ${p.undatedFacts === 1 ? "it falls" : "they fall"}`;
  const placed = p.undatedFacts
    ? `; ${p.undatedFacts} undated fact${p.undatedFacts === 1 ? "" : "s"} placed by ${p.undatedFacts === 1 ? "its" : "their"} source's order: check where ${p.undatedFacts === 1 ? "it falls" : "they fall"}`
    : "";
  return `${periodLabel(p.period)}${placed}`;
}

/** The legend's people: the declarant first, then each party as case.json gives them. */
function roleLines(legend: RoleLegend | undefined): RoleLine[] {
  if (!legend) return [];
  return [
    { role: "declarant (“I”)", name: legend.declarant, placeholder: legend.declarant },
    ...legend.parties.map((p) => ({
      role: `${p.role}${p.status ? ` (${p.status})` : ""}`,
      name: p.placeholder,
      placeholder: p.placeholder,
    })),
  ];
}

/** Every string through `f` (Reinject's placeholder → value mapping); each role's placeholder is kept beside the name it maps to. */
export function mapReviewText(doc: ReviewDocument, f: (text: string) => string): ReviewDocument {
  return {
    ...doc,
    review: { ...doc.review, failures: doc.review.failures.map(f) },
    roles: doc.roles.map((r) => ({ ...r, name: f(r.name) })),
    paragraphs: doc.paragraphs.map((p) => ({
      ...p,
      heading: f(p.heading),
      supports: p.supports.map(f),
      texts: p.texts.map(f),
      unsupported: p.unsupported.map((u) => ({ ...u, text: f(u.text) })),
      ...(p.sentences ? { sentences: p.sentences.map((s) => ({ ...s, text: f(s.text) })) } : {}),
    })),
    judges: doc.judges.map((j) => ({ ...j, reasons: f(j.reasons) })),
    placeholderProblems: doc.placeholderProblems.map(f),
    elementsJudgedNotCovered: doc.elementsJudgedNotCovered.map(f),
    documentsNeverCited: doc.documentsNeverCited.map(f),
    factsToConfirm: doc.factsToConfirm.map((x) => ({ item: f(x.item), why: x.why.map(f), where: x.where.map(f) })),
    contradictions: doc.contradictions.map((c) => ({ ...c, first: mapQuote(c.first, f), second: mapQuote(c.second, f) })),
    exhibits: doc.exhibits.map((e) => ({ ...e, title: f(e.title) })),
    ...(doc.changes ? { changes: mapRoundChanges(doc.changes, f) } : {}),
    unfiledSources: doc.unfiledSources.map((u) => ({ ...u, title: f(u.title) })),
    interviewSentences: doc.interviewSentences.map((x) => ({ ...x, text: f(x.text) })),
    translationCertificates: doc.translationCertificates.map((c) => ({ ...c, title: f(c.title), statement: f(c.statement) })),
  };
}

const mapQuote = (q: ReviewQuote, f: (text: string) => string): ReviewQuote => ({ ...q, document: f(q.document), quote: f(q.quote) });

// The lines and the Markdown rendering, shared by every rendition of the review document.
export {
  contradictionLine,
  factLine,
  interviewLine,
  renderReviewMarkdown,
  roleLine,
  supportsLine,
} from "./review/review-markdown.ts";
