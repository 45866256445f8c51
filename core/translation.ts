/**
 * The Spanish version of a declaration, for a declarant who reads Spanish (case.json
 * `"language": "es"`): what TranslateDeclaration stores, how its placeholders are checked
 * against the English paragraph's, and the fixed Spanish text around the translated
 * paragraphs. The fixed legal wording is written here, reviewed like code, never left to a model.
 */

import type { CaseType } from "./case-file.ts";
import { type DeclarationDocument, type Draft, declarantPlaceholder } from "./declaration.ts";
import { PlaceholderMismatchError } from "./errors.ts";
import { oathForm, verificationSentence } from "./oath.ts";

export type CaseLanguage = "en" | "es";

/**
 * A placeholder as the redactor writes them (`[PERSON_3]`, `[A_NUMBER_1]`): the same
 * pattern as functions/redaction/redactor.ts (core cannot import it; a unit test holds them equal).
 */
export const placeholderShape = /\[([A-Z]+(?:_[A-Z]+)*)_(\d+)\]/g;
/**
 * What a model makes of a placeholder when it mangles one: a lost bracket, a space for the
 * underscore, lower case, padding (`[PERSON 1]`, `PERSON_1]`, `[person_1]`, `[ PERSON_1 ]`).
 * Looked for only in what is left once the well-formed placeholders are taken out.
 */
const mangledShape = /\[\s*[A-Za-zÁÉÍÓÚÑáéíóúñ]+(?:[_ ][A-Za-zÁÉÍÓÚÑáéíóúñ]+)*[_ ]\d+\s*\]?|\b[A-Z]+(?:_[A-Z]+)*_\d+\]?/g;

export interface PlaceholderCheck {
  /** Well-formed placeholders the English paragraph does not have. */
  unknown: string[];
  /** Placeholder-like text that is not a well-formed placeholder. */
  malformed: string[];
  /** The English paragraph's placeholders the translation dropped. */
  missing: string[];
}

export function placeholdersIn(text: string): string[] {
  return [...new Set(text.match(placeholderShape) ?? [])];
}

/** Compares a translated paragraph's placeholders with its English source's. */
export function checkTranslatedPlaceholders(english: string, translated: string): PlaceholderCheck {
  const source = new Set(placeholdersIn(english));
  const found = placeholdersIn(translated);
  const rest = translated.replace(placeholderShape, " ");
  return {
    unknown: found.filter((p) => !source.has(p)),
    malformed: [...new Set((rest.match(mangledShape) ?? []).map((m) => m.trim()))],
    missing: [...source].filter((p) => !found.includes(p)),
  };
}

/**
 * Refuses a translation holding a placeholder the English does not (it would re-inject a
 * value the declarant never stated, or fail at Reinject) or a mangled one (a name that would
 * stay redacted, or half-redacted). Names each, with the paragraph's element, and no text.
 */
export function assertTranslatedPlaceholders(stage: string, checks: Array<{ element: string; check: PlaceholderCheck }>): void {
  const bad = checks.filter((c) => c.check.unknown.length || c.check.malformed.length);
  if (!bad.length) return;
  const parts = bad.map(
    (c) =>
      `${c.element}: ${[...c.check.unknown.map((p) => `unknown ${p}`), ...c.check.malformed.map((p) => `malformed ${JSON.stringify(p)}`)].join(", ")}`,
  );
  throw new PlaceholderMismatchError(
    `${stage}: the Spanish version's placeholders do not match the English declaration's (${parts.join("; ")})`,
    { state: stage },
  );
}

/** What TranslateDeclaration stores: the final English draft's paragraphs in Spanish. */
export interface Translation {
  language: "es";
  caseType: CaseType;
  /** The English draft it translates (its blob key) and that draft's round. */
  draftKey: string;
  round: number;
  paragraphs: Array<{
    element: string;
    /** The element's heading in Spanish (the element's `titleEs`, core/legal-elements.ts). */
    title: string;
    text: string;
    /** The English paragraph's placeholders the translation dropped: the review document shows them. */
    missingPlaceholders: string[];
  }>;
}

const caseTypeNamesEs: Record<CaseType, string> = {
  VAWA: "autopetición VAWA (Formulario I-360)",
  T: "solicitud de visa T (Formulario I-914)",
};

/**
 * The Spanish version as a declaration document of its own (rendered like the English one:
 * Markdown, DOCX, PDF), its fixed wording in Spanish. No source lines: it is for the declarant
 * to read; the attorney's English version cites the sources.
 */
export function spanishDeclaration(translation: Translation, signing?: string): DeclarationDocument {
  return {
    language: "es",
    rendition: "review",
    title: `Declaración de ${declarantPlaceholder}`,
    intro: `Yo, ${declarantPlaceholder}, declaro lo siguiente en apoyo de mi ${caseTypeNamesEs[translation.caseType]}:`,
    sections: translation.paragraphs.map((p, i) => ({
      number: i + 1,
      heading: p.title,
      text: p.text.trim(),
      drafted: p.text.trim().length > 0,
      citations: [],
    })),
    // The same § 1746 form as the English the declarant signs (core/oath.ts).
    verification: verificationSentence.es[oathForm(signing)],
    signatory: declarantPlaceholder,
    notice:
      "TRADUCCIÓN al español de la declaración en inglés, para que el declarante lea lo que firma; se presenta la versión en inglés. BORRADOR generado por Affiant para revisión del abogado.",
  };
}

/** The paragraphs a translation is made of: the draft's, with their English text. */
export const paragraphsToTranslate = (draft: Draft) => draft.paragraphs.map((p) => ({ element: p.element, english: p.text.trim() }));
