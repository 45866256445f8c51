/**
 * The review document's sources: the exhibit list (only the documents filed, lettered A, B…
 * in the case's order), the sources that are not filed (the attorney's work product, the
 * client's interviews), how each is cited ("Exhibit B, p. 2", "Interview 1, p. 1"), and the
 * translator's certificate each foreign-language exhibit must be filed with.
 */
import { type DocumentLanguage, type DocumentRole, type SourceDocument, sourceLabels } from "../../core/case-documents.ts";

export interface Exhibit {
  letter: string;
  /** The document's name (a placeholder until Reinject). */
  title: string;
  pages: number[];
  /** Pages some paragraph cites. */
  citedPages: number[];
  /** The language it is written in; absent: English. */
  language?: DocumentLanguage;
  /** Set for an exhibit not in English: it is filed with a certified English translation (8 CFR 103.2(b)(3)). */
  needsTranslation?: boolean;
}

/** A source the declaration may rest on that is never filed. */
export interface UnfiledSource {
  /** "Work product 1", "Interview 2". */
  label: string;
  role: Exclude<DocumentRole, "exhibit">;
  /** The document's name (a placeholder until Reinject; for facts the attorney wrote in a review, it names the round). */
  title: string;
  pages: number[];
  citedPages: number[];
}

/** A certificate of translation to fill in and file with one exhibit. */
export interface ExhibitTranslationCertificate {
  exhibit: string;
  /** The exhibit's name (a placeholder until Reinject). */
  title: string;
  heading: string;
  statement: string;
  /** Labels of the lines the translator fills in. */
  blanks: string[];
}

const languageNames: Record<DocumentLanguage, string> = { en: "English", es: "Spanish" };

/**
 * 8 CFR 103.2(b)(3), as quoted from the regulation at https://arutlaw.com/translating-your-documents-for-uscis-is-english-a-must/
 * (the same words at https://cshtranslation.com/new-blog-1/2025/4/21/requirements-for-uscis-translations):
 * "Translations. Any document containing foreign language submitted to USCIS shall be accompanied
 * by a full English language translation which the translator has certified as complete and
 * accurate, and by the translator's certification that he or she is competent to translate from
 * the foreign language into English." Each exhibit is certified on its own: the statement names
 * the exhibit, the two things the rule asks the translator to certify, and leaves the
 * translator's name, signature, date and address to fill in.
 */
export function exhibitTranslationCertificate(exhibit: Exhibit): ExhibitTranslationCertificate {
  const from = languageNames[exhibit.language ?? "en"];
  return {
    exhibit: `Exhibit ${exhibit.letter}`,
    title: exhibit.title,
    heading: `Certificate of Translation: Exhibit ${exhibit.letter}`,
    statement: `I, ______________________________ (translator), certify that I am competent to translate from ${from} into English, and that the attached English translation of Exhibit ${exhibit.letter} (${exhibit.title}) is a full translation, complete and accurate to the best of my knowledge and ability. This certificate is given under 8 C.F.R. § 103.2(b)(3).`,
    blanks: ["Name", "Signature", "Date", "Address"],
  };
}

export interface CaseSources {
  exhibits: Exhibit[];
  unfiled: UnfiledSource[];
  /** "Exhibit A, p. 2" / "Interview 1, p. 1" for a chunk's file and page (and marks the page cited when `cite`). */
  label(file: string, page: number, cite?: boolean): string;
  /** "Exhibit A" / "Interview 1" / "Work product 1" for a file, no page. */
  name(file: string): string;
  /** Whether the file is an interview (the client's own account). */
  isInterview(file: string): boolean;
  /** "Exhibit C: name" or "Work product 1: name" for each source no paragraph cites. */
  neverCited(): string[];
}

/**
 * The sources in the case's order (`documents`, from the index) with the pages the chunks hold.
 * A file only the chunks name (indexes made before roles) is an exhibit after the listed ones.
 */
export function caseSources(documents: SourceDocument[], chunks: Array<{ file: string; page: number }>): CaseSources {
  const labels = sourceLabels(
    documents,
    chunks.map((c) => c.file),
  );
  const docOf = new Map(documents.map((d) => [d.file, d]));
  const entries = new Map<string, Exhibit | UnfiledSource>();
  for (const [file, label] of labels) {
    const doc = docOf.get(file);
    const role = doc?.role ?? "exhibit";
    if (role === "exhibit") {
      const language = doc?.language ?? "en";
      entries.set(file, {
        letter: label.slice("Exhibit ".length),
        title: file,
        pages: [],
        citedPages: [],
        ...(language !== "en" ? { language, needsTranslation: true } : {}),
      });
    } else
      entries.set(file, {
        label,
        role,
        title: file,
        pages: [],
        citedPages: [],
      });
  }
  for (const c of chunks) {
    const e = entries.get(c.file)!;
    if (!e.pages.includes(c.page)) e.pages.push(c.page);
  }
  const all = [...entries.values()];
  return {
    exhibits: all.filter((e): e is Exhibit => "letter" in e),
    unfiled: all.filter((e): e is UnfiledSource => "role" in e),
    label: (file, page, cite = false) => {
      const e = entries.get(file);
      if (e && cite && !e.citedPages.includes(page)) e.citedPages.push(page);
      return `${labels.get(file) ?? "Exhibit ?"}, p. ${page}`;
    },
    name: (file) => labels.get(file) ?? "Exhibit ?",
    isInterview: (file) => docOf.get(file)?.role === "interview",
    neverCited: () =>
      all.filter((e) => e.citedPages.length === 0).map((e) => `${"letter" in e ? `Exhibit ${e.letter}` : e.label}: ${e.title}`),
  };
}

/** The exhibit list's line for one exhibit, the same in Markdown, DOCX and the viewer. */
export const exhibitLine = (e: Exhibit) =>
  `Exhibit ${e.letter}: ${e.title} (pages ${e.pages.join(", ")}${e.citedPages.length ? `; cited: ${e.citedPages.join(", ")}` : "; not cited"})${
    e.needsTranslation
      ? `. In ${languageNames[e.language ?? "en"]}: file it with a certified English translation (8 CFR 103.2(b)(3)); certificate below`
      : ""
  }`;

const roleNote: Record<UnfiledSource["role"], string> = {
  "work-product": "the attorney's work product, a source for facts and checks, never an exhibit",
  interview: "the declarant's own account taken by the attorney, a source of first-person facts",
};

/** The line for one source that is not filed. */
export const unfiledLine = (s: UnfiledSource) =>
  `${s.label}: ${s.title} (pages ${s.pages.join(", ")}${s.citedPages.length ? `; cited: ${s.citedPages.join(", ")}` : "; not cited"}). Not filed: ${roleNote[s.role]}`;
