/**
 * A draft declaration as data (paragraphs per legal element, each with the chunks it
 * drew on) and its Markdown rendering. The worker writes the data; Reinject renders it
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
  element: string;
  title: string;
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
   * "review": a section per element with its heading, sources and flags, and the draft notice;
   * "filing": the numbered first-person paragraphs alone, opening with who the declarant is,
   * then the oath and signature block (no headings, sources or notice).
   */
  rendition: Rendition;
  title: string;
  intro: string;
  sections: Array<{ number: number; heading: string; text: string; drafted: boolean; citations: string[] }>;
  /** The 28 U.S.C. § 1746 verification sentence: § 1746(2)'s form signed inside the United States, § 1746(1)'s otherwise (core/oath.ts). */
  verification: string;
  /**
   * The interpreter's read-back statement, above the declarant's signature (a declarant who
   * reads Spanish signs the English filing version after hearing it in Spanish).
   */
  readBack?: string;
  /** Who signs: the declarant. */
  signatory: string;
  notice: string;
  /** Set when the draft failed the quality gate with no rewrite left: printed at the top of every rendition. */
  failingReview?: string;
  /** The translator's certificate, after the signature (8 C.F.R. § 103.2(b)(3)). */
  certificate?: TranslationCertificate;
}

/** A certificate of translation: its heading, its statement and the blanks the translator fills in. */
export interface TranslationCertificate {
  heading: string;
  statement: string;
  /** Labels of the lines to fill in: name, signature, date, address. */
  blanks: string[];
}

/**
 * The filing (English) version of a declarant who reads Spanish: the interpreter's read-back
 * statement above the signature and the certificate of translation after it. 8 C.F.R.
 * § 103.2(b)(3) asks the translator to certify competence in both languages and that the
 * translation is complete and accurate; the blanks are for the translator to fill in.
 */
export function withSpanishTranslation(doc: DeclarationDocument): DeclarationDocument {
  return {
    ...doc,
    readBack: `I, ${declarantPlaceholder}, state that this declaration was read back to me in Spanish, a language I understand, by ______________________________ (interpreter), before I signed it, and that I understood all of its contents.`,
    certificate: {
      heading: "Certificate of Translation",
      statement: `I, ______________________________ (translator), certify that I am competent to translate from English into Spanish and from Spanish into English, and that the attached Spanish translation of the foregoing declaration of ${declarantPlaceholder} is complete and accurate to the best of my knowledge and ability. This certificate is given under 8 C.F.R. § 103.2(b)(3).`,
      blanks: ["Name", "Signature", "Date", "Address"],
    },
  };
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

/** Who the declarant is: the filing's first numbered paragraph. */
export function openingParagraph(caseType: CaseType): string {
  const role = caseType === "VAWA" ? "self-petitioner" : "applicant";
  return `My name is ${declarantPlaceholder}. I am the ${role} in this ${caseTypeNames[caseType]}. I make this declaration from my own personal knowledge, and if called as a witness I could testify to these facts.`;
}

/** `signing`: case.json's signing place, which picks the oath's form (absent: § 1746(1), outside the United States). */
export function declarationDocument(
  draft: Draft,
  review?: ReviewStatus,
  rendition: Rendition = "review",
  signing?: string,
): DeclarationDocument {
  const failingReview = failingReviewBanner(review);
  const verification = verificationSentence.en[oathForm(signing)];
  if (rendition === "filing") {
    // Numbered paragraphs only; an element with nothing drafted leaves no empty paragraph
    // (the review rendition and the report say which are missing). A failing draft keeps its
    // banner even here: it is not fit to file until reviewed.
    const texts = [openingParagraph(draft.caseType), ...draft.paragraphs.map((p) => p.text.trim()).filter((t) => t.length > 0)];
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
  return {
    rendition,
    ...(failingReview ? { failingReview } : {}),
    title: `Declaration of ${declarantPlaceholder}`,
    intro: `I, ${declarantPlaceholder}, declare as follows in support of my ${caseTypeNames[draft.caseType]}:`,
    sections: draft.paragraphs.map((p, i) => ({
      number: i + 1,
      heading: p.title,
      text: p.text.trim(),
      drafted: p.text.trim().length > 0,
      citations: [...new Set(p.citations)],
    })),
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
    verification: f(doc.verification),
    ...(doc.readBack !== undefined ? { readBack: f(doc.readBack) } : {}),
    signatory: f(doc.signatory),
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
  es: { notDrafted: "(no se redactó ninguna declaración para este elemento)", sources: "Fuentes" },
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
  return renderDocumentMarkdown(doc, rendition === "review" ? draft.paragraphs.map((p) => flags[p.element] ?? []) : []);
}

/**
 * Markdown passes raw HTML through to whoever renders it: text from a PDF ("<svg onload=…>")
 * must stay text. Every "<" becomes "&lt;", which renders as "<" and opens no tag; applying
 * it twice changes nothing.
 */
export const escapeRawHtml = (markdown: string) => markdown.replace(/</g, "&lt;");

/**
 * Any declaration document in Markdown (either rendition of the English one, with a certificate
 * for a Spanish declarant, the Spanish one). `sectionFlags[i]`: the flags under section i.
 */
export function renderDocumentMarkdown(
  doc: DeclarationDocument,
  sectionFlags: Array<Array<{ sentence: number; support: number }>> = [],
): string {
  const labels = documentLabels[doc.language ?? "en"];
  const lines = [`# ${doc.title}`, "", ...(doc.failingReview ? [`> **${doc.failingReview}**`, ""] : []), doc.intro, ""];
  for (const [i, s] of doc.sections.entries()) {
    if (!s.heading) {
      lines.push(`${s.number}. ${s.text}`, "");
      continue;
    }
    lines.push(`## ${s.number}. ${s.heading}`, "", s.drafted ? s.text : `_${labels.notDrafted}_`, "");
    if (s.citations.length) lines.push(`_${labels.sources}: ${s.citations.join("; ")}_`, "");
    for (const f of sectionFlags[i] ?? [])
      lines.push(`_Flag: sentence ${f.sentence} is not supported by its sources (support ${f.support})._`, "");
  }
  lines.push(doc.verification, "");
  if (doc.readBack) lines.push(doc.readBack, "");
  // A blank line to sign on with the printed name under it: a typed name after "Signed:" would read as a conformed signature.
  const block = signatureBlockFor(doc.language);
  // (A line of underscores alone would be a Markdown rule: the caption leads it.)
  lines.push(block.executed, "", `${block.signatureCaption}: ${block.signatureLine}`, "", block.printedName(doc.signatory), "");
  if (doc.notice) lines.push(`> ${doc.notice}`, "");
  if (doc.certificate) {
    lines.push("---", "", `## ${doc.certificate.heading}`, "", doc.certificate.statement, "");
    for (const blank of doc.certificate.blanks) lines.push(`${blank}: ______________________________`, "");
  }
  return escapeRawHtml(lines.join("\n"));
}
