/**
 * The Spanish reading copy of a declaration, for a Spanish-speaking declarant (case.json
 * `"language": "es"`): what TranslateDeclaration stores, how its placeholders are checked
 * against the English paragraph's, and the fixed Spanish text around the translated
 * paragraphs. The fixed legal wording is written here, reviewed like code, never left to a model.
 */

import type { CaseType } from "./case-file.ts";
import { type DeclarationDocument, type DocumentOptions, type Draft, declarantPlaceholder, filingNumbers } from "./declaration.ts";
import { PlaceholderMismatchError } from "./errors.ts";

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

/** The opening paragraph in Spanish: the same facts, and the same exception for information and belief, as the English ¶1 (core/declaration.ts). */
export function openingParagraphEs(caseType: CaseType, options: DocumentOptions = {}): string {
  const knowledge = options.informationAndBelief
    ? "Hago esta declaración con base en mi propio conocimiento personal, salvo las afirmaciones que hago según mi información y creencia, que creo verdaderas"
    : "Hago esta declaración con base en mi propio conocimiento personal";
  return `Me llamo ${declarantPlaceholder}. Soy quien presenta esta ${caseTypeNamesEs[caseType]}. ${knowledge}, y si me llamaran como testigo podría declarar sobre estos hechos.`;
}

/** The failing gate's banner for the declarant's reading copy, in Spanish (the reasons stay in the English the attorney reads). */
export const failingReviewBannerEs =
  "REVISIÓN NO SUPERADA: este borrador no pasó el control de calidad de Affiant y no quedaba ninguna reescritura (los motivos constan en la versión en inglés). No es un borrador limpio: su abogado debe revisar cada afirmación con usted antes de que firme.";

/** The reading copy's banner after an unattended approval (`run --approve`), as the filing copy's says it in English. */
export const unattendedBannerEs =
  "NO REVISADO POR UN ABOGADO: aprobado sin revisión (affiant run --approve / serve --approve, para demostraciones y pruebas). No firme a partir de esta copia.";

/** What the reading copy is, at its head and its foot. */
export const readingCopyNotice =
  "TRADUCCIÓN DE CORTESÍA de la declaración en inglés, para que el declarante lea lo que va a firmar. Esta traducción no se firma ni se presenta: se firma y se presenta solo la versión en inglés. Borrador generado por Affiant para revisión del abogado.";

/**
 * The Spanish reading copy: the filing version in Spanish, for the declarant to read what
 * they will sign. Built as the filing version is (the same opening paragraph, the same numbered
 * paragraphs: ¶n here is ¶n there, core/declaration.ts filingNumbers), with no headings or
 * sources, and no oath or signature line: it is a courtesy translation that nobody signs and
 * that is not filed, and says so. A paragraph the English has and the translation left empty
 * keeps its number and says it is untranslated. `failing`: the gate failed, so the copy carries
 * the banner in Spanish.
 */
export function spanishReadingCopy(
  translation: Translation,
  draft: Pick<Draft, "paragraphs">,
  options: DocumentOptions & { failing?: boolean } = {},
): DeclarationDocument {
  const numbers = filingNumbers(draft);
  const spanish = new Map(translation.paragraphs.map((p) => [p.element, p.text.trim()]));
  const paragraphs = draft.paragraphs.flatMap((p, i) => {
    const number = numbers[i];
    if (number === undefined) return [];
    const text = spanish.get(p.element) ?? "";
    return [{ number, heading: "", text, drafted: text.length > 0, citations: [] }];
  });
  return {
    language: "es",
    rendition: "filing",
    ...(options.failing ? { failingReview: failingReviewBannerEs } : {}),
    title: `Declaración de ${declarantPlaceholder}: traducción de cortesía (no se firma ni se presenta)`,
    intro: `Yo, ${declarantPlaceholder}, declaro lo siguiente:`,
    sections: [
      { number: 1, heading: "", text: openingParagraphEs(translation.caseType, options), drafted: true, citations: [] },
      ...paragraphs,
    ],
    notice: readingCopyNotice,
  };
}

/** The paragraphs a translation is made of: the draft's, with their English text. */
export const paragraphsToTranslate = (draft: Draft) => draft.paragraphs.map((p) => ({ element: p.element, english: p.text.trim() }));
