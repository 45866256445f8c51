/**
 * A draft declaration as data (paragraphs in the order things happened, each with the legal
 * elements it supports and the chunks it drew on) and its Markdown rendering. The worker writes the data; Reinject renders it
 * after the placeholders are back to real values.
 */
import type { CaseType } from "./case-file.ts";
import { caseTypeNames } from "./legal-elements.ts";
import { oathForm, signatureBlockFor, verificationSentence } from "./oath.ts";

/** One sentence of a paragraph and the chunk ids it cites (each was in its prompt). */
export interface DraftSentence {
  text: string;
  sources: string[];
}

export interface DraftParagraph {
  /**
   * The paragraph's key, stable across rounds (locks, the attorney's notes, the translation, the
   * flags and the redline find the paragraph by it): an incident's or period's key (`story-2`,
   * core/story.ts), or the element's id for a paragraph written for one element no extracted fact
   * placed in the story (and in drafts made before the story, one paragraph per element).
   */
  element: string;
  /** Its heading in the review rendition: the incident's date or the period, or the element's title. */
  title: string;
  /** The legal elements (ids) the paragraph supports; absent in drafts made before the story: `[element]`. */
  supports?: string[];
  /** The ISO date or period it tells ("2021-03", "2018/2023"), or "undated"; absent for a paragraph written for one element. */
  period?: string;
  /** How many of its facts had no date and were placed by their source's order (the attorney checks where they fall). */
  undatedFacts?: number;
  /** The sentences' texts joined: what every reader of a paragraph reads. */
  text: string;
  /**
   * Chunk ids the paragraph cites: the union of its sentences' sources (drafts made before
   * sentences existed: every chunk placed in its prompt).
   */
  sources: string[];
  /** `file p.N` for each source, for the citation line. */
  citations: string[];
  /** The sentences as the model wrote them, each with its own sources; absent in older drafts. */
  sentences?: DraftSentence[];
}

export interface Draft {
  caseType: CaseType;
  round: number;
  paragraphs: DraftParagraph[];
}

/** The declarant is always the first person the redactor numbers. */
export const declarantPlaceholder = "[PERSON_1]";

/**
 * The declaration as structured data, the one source for every rendition (Markdown, DOCX,
 * PDF): each string may hold placeholders until Reinject maps them to real values.
 */
export interface DeclarationDocument {
  /** The language it is written in (its fixed labels follow it); absent: English. */
  language?: "en" | "es";
  /**
   * "review": a section per paragraph with its heading, sources and flags, and the draft notice;
   * "filing": the numbered first-person paragraphs alone, opening with who the declarant is,
   * then the oath and signature block (no headings, sources or notice). Both number their
   * paragraphs as the filing does ({@link filingNumbers}).
   */
  rendition: Rendition;
  title: string;
  intro: string;
  /** `number`: the paragraph's number in the filing version; absent for an element with nothing drafted (no paragraph of the filing). */
  sections: Array<{ number?: number; heading: string; text: string; drafted: boolean; citations: string[] }>;
  /**
   * The 28 U.S.C. § 1746 verification sentence: § 1746(2)'s form signed inside the United States,
   * § 1746(1)'s otherwise (core/oath.ts). Absent: a document nobody signs (the Spanish reading
   * copy), which has no oath and no signature block.
   */
  verification?: string;
  /**
   * The declarant's statement of how the declaration was made known to them in Spanish (read
   * aloud by the interpreter, or read in a written Spanish copy), above their signature
   * (core/interpreter.ts).
   */
  languageStatement?: string;
  /** Who signs: the declarant. Absent with `verification`. */
  signatory?: string;
  notice: string;
  /** Set when the draft failed the quality gate with no rewrite left: printed at the top of every rendition. */
  failingReview?: string;
  /** The interpreter's certificate, after the declarant's signature, signed by the interpreter (core/interpreter.ts). */
  certificate?: Certificate;
}

/** A statement signed by someone other than the declarant: its heading, its text and the blanks they fill in. */
export interface Certificate {
  heading: string;
  statement: string;
  /** Labels of the lines to fill in: name, signature, date, address. */
  blanks: string[];
}

/** What the gate said of the final draft: a clean pass, or failing review with each reason named. */
export interface ReviewStatus {
  status: "passed" | "failing-review";
  failures: string[];
}

export function failingReviewBanner(review: ReviewStatus | undefined): string | undefined {
  if (!review || review.status === "passed") return undefined;
  return `FAILING REVIEW: this draft did not pass Affiant's quality gate and no rewrite was left (${review.failures.join("; ")}). Not a clean draft: check every statement against the sources before use.`;
}

export type Rendition = "filing" | "review";

/**
 * Who the declarant is: the filing's first numbered paragraph. `informationAndBelief`: some
 * statements rest on documents rather than on what the declarant knows first-hand (the review
 * document lists them for the attorney): the paragraph says so rather than claiming personal
 * knowledge of everything.
 */
export function openingParagraph(caseType: CaseType, options: { informationAndBelief?: boolean } = {}): string {
  const role = caseType === "VAWA" ? "self-petitioner" : "applicant";
  const knowledge = options.informationAndBelief
    ? "I make this declaration from my own personal knowledge, except for the statements I make on information and belief, which I believe to be true"
    : "I make this declaration from my own personal knowledge";
  return `My name is ${declarantPlaceholder}. I am the ${role} in this ${caseTypeNames[caseType]}. ${knowledge}, and if called as a witness I could testify to these facts.`;
}

/** The opening paragraph's heading where the review rendition and the review document give one. */
export const openingHeading = "The declarant";

/** The legal elements a paragraph supports (a draft made before the story: the one it was written for). */
export const supportsOf = (p: Pick<DraftParagraph, "element" | "supports">): string[] => p.supports ?? [p.element];

/** A paragraph's text as every reader reads it (its sentences joined, for a draft that kept only sentences). */
export const paragraphText = (p: Pick<DraftParagraph, "text" | "sentences">): string =>
  p.text.trim() || (p.sentences ?? []).map((s) => s.text.trim()).join(" ");

/**
 * The one numbering every document uses (the filing version, the review rendition, the review
 * document, the facts to confirm, the Spanish reading copy and the rewrite prompts the
 * attorney's notes reach): ¶1 is the opening paragraph, then each drafted paragraph in the
 * draft's order. An element with nothing drafted has no number: it is no paragraph of the filing.
 */
export function filingNumbers(draft: Pick<Draft, "paragraphs">): Array<number | undefined> {
  let next = 2;
  return draft.paragraphs.map((p) => (paragraphText(p) ? next++ : undefined));
}

/** A paragraph named by its key as the attorney reads it: "paragraph 3" (its filing number), or its key when it has none. */
export function paragraphLabel(draft: Pick<Draft, "paragraphs">, key: string): string {
  const i = draft.paragraphs.findIndex((p) => p.element === key);
  const number = i < 0 ? undefined : filingNumbers(draft)[i];
  return number === undefined ? key : `paragraph ${number}`;
}

/** What else picks a document's wording besides its draft, review status and rendition. */
export interface DocumentOptions {
  /** Some statement rests on documents only: the opening paragraph says so ({@link openingParagraph}). */
  informationAndBelief?: boolean;
}

/** `signing`: case.json's signing place, which picks the oath's form (absent: § 1746(1), outside the United States). */
export function declarationDocument(
  draft: Draft,
  review?: ReviewStatus,
  rendition: Rendition = "review",
  signing?: string,
  options: DocumentOptions = {},
): DeclarationDocument {
  const failingReview = failingReviewBanner(review);
  const verification = verificationSentence.en[oathForm(signing)];
  const opening = openingParagraph(draft.caseType, options);
  if (rendition === "filing") {
    // Numbered paragraphs only; an element with nothing drafted leaves no empty paragraph
    // (the review rendition and the report say which are missing). A failing draft keeps its
    // banner even here: it is not fit to file until reviewed.
    const texts = [opening, ...draft.paragraphs.map(paragraphText).filter((t) => t.length > 0)];
    return {
      rendition,
      ...(failingReview ? { failingReview } : {}),
      title: `Declaration of ${declarantPlaceholder}`,
      intro: `I, ${declarantPlaceholder}, declare as follows:`,
      sections: texts.map((text, i) => ({ number: i + 1, heading: "", text, drafted: true, citations: [] })),
      verification,
      signatory: declarantPlaceholder,
      notice: "",
    };
  }
  const numbers = filingNumbers(draft);
  return {
    rendition,
    ...(failingReview ? { failingReview } : {}),
    title: `Declaration of ${declarantPlaceholder}`,
    intro: `I, ${declarantPlaceholder}, declare as follows in support of my ${caseTypeNames[draft.caseType]}:`,
    sections: [
      { number: 1, heading: openingHeading, text: opening, drafted: true, citations: [] },
      ...draft.paragraphs.map((p, i) => ({
        ...(numbers[i] !== undefined ? { number: numbers[i] } : {}),
        heading: p.title,
        text: paragraphText(p),
        drafted: numbers[i] !== undefined,
        citations: [...new Set(p.citations)],
      })),
    ],
    verification,
    signatory: declarantPlaceholder,
    notice: "DRAFT generated by Affiant for attorney review. Not for filing until reviewed and signed.",
  };
}

/** Every string of the document through `f` (Reinject's placeholder → value mapping). */
export function mapDeclarationText(doc: DeclarationDocument, f: (text: string) => string): DeclarationDocument {
  return {
    ...(doc.language ? { language: doc.language } : {}),
    rendition: doc.rendition,
    title: f(doc.title),
    intro: f(doc.intro),
    sections: doc.sections.map((s) => ({ ...s, heading: f(s.heading), text: f(s.text), citations: s.citations.map(f) })),
    ...(doc.verification !== undefined ? { verification: f(doc.verification) } : {}),
    ...(doc.languageStatement !== undefined ? { languageStatement: f(doc.languageStatement) } : {}),
    ...(doc.signatory !== undefined ? { signatory: f(doc.signatory) } : {}),
    notice: f(doc.notice),
    ...(doc.certificate
      ? { certificate: { heading: f(doc.certificate.heading), statement: f(doc.certificate.statement), blanks: doc.certificate.blanks } }
      : {}),
    ...(doc.failingReview ? { failingReview: f(doc.failingReview) } : {}),
  };
}

/** The fixed words of a rendition, in the document's language. */
export const documentLabels = {
  en: { notDrafted: "(no statement drafted for this element)", sources: "Sources" },
  es: { notDrafted: "(sin traducción: véase la versión en inglés)", sources: "Fuentes" },
} as const;

/**
 * Sentences the gate found unsupported, per element, 1-based within the paragraph, with their
 * support: the review rendition flags them under the paragraph.
 */
export type SentenceFlags = Record<string, Array<{ sentence: number; support: number }>>;

export function renderDeclaration(
  draft: Draft,
  review?: ReviewStatus,
  rendition: Rendition = "review",
  flags: SentenceFlags = {},
  signing?: string,
): string {
  const doc = declarationDocument(draft, review, rendition, signing);
  return renderDocumentMarkdown(doc, rendition === "review" ? reviewSectionFlags(draft, flags) : []);
}

/** The review rendition's flags by section: none under the opening paragraph, then each paragraph's. */
export const reviewSectionFlags = (draft: Draft, flags: SentenceFlags) => [[], ...draft.paragraphs.map((p) => flags[p.element] ?? [])];

/** A section's heading line: its filing number when it has one. */
export const sectionLabel = (s: { number?: number; heading: string }) => (s.number !== undefined ? `${s.number}. ${s.heading}` : s.heading);

/**
 * Markdown passes raw HTML through to whoever renders it: text from a PDF ("<svg onload=…>")
 * must stay text. Every "<" becomes "&lt;", which renders as "<" and opens no tag; applying
 * it twice changes nothing.
 */
export const escapeRawHtml = (markdown: string) => markdown.replace(/</g, "&lt;");

/**
 * Any declaration document in Markdown (either rendition of the English one, with the
 * interpreter's certificate for a Spanish-speaking declarant; the Spanish reading copy).
 * `sectionFlags[i]`: the flags under section i.
 */
export function renderDocumentMarkdown(
  doc: DeclarationDocument,
  sectionFlags: Array<Array<{ sentence: number; support: number }>> = [],
): string {
  const labels = documentLabels[doc.language ?? "en"];
  const lines = [`# ${doc.title}`, "", ...(doc.failingReview ? [`> **${doc.failingReview}**`, ""] : []), doc.intro, ""];
  for (const [i, s] of doc.sections.entries()) {
    if (!s.heading) {
      lines.push(`${s.number}. ${s.drafted ? s.text : `_${labels.notDrafted}_`}`, "");
      continue;
    }
    lines.push(`## ${sectionLabel(s)}`, "", s.drafted ? s.text : `_${labels.notDrafted}_`, "");
    if (s.citations.length) lines.push(`_${labels.sources}: ${s.citations.join("; ")}_`, "");
    for (const f of sectionFlags[i] ?? [])
      lines.push(`_Flag: sentence ${f.sentence} is not supported by its sources (support ${f.support})._`, "");
  }
  if (doc.verification) {
    lines.push(doc.verification, "");
    if (doc.languageStatement) lines.push(doc.languageStatement, "");
    // A blank line to sign on with the printed name under it: a typed name after "Signed:" would read as a conformed signature.
    const block = signatureBlockFor(doc.language);
    // (A line of underscores alone would be a Markdown rule: the caption leads it.)
    lines.push(block.executed, "", `${block.signatureCaption}: ${block.signatureLine}`, "", block.printedName(doc.signatory ?? ""), "");
  }
  if (doc.notice) lines.push(`> ${doc.notice}`, "");
  if (doc.certificate) {
    lines.push("---", "", `## ${doc.certificate.heading}`, "", doc.certificate.statement, "");
    for (const blank of doc.certificate.blanks) lines.push(`${blank}: ______________________________`, "");
  }
  return escapeRawHtml(lines.join("\n"));
}
