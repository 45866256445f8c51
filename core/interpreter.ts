/**
 * A Spanish-speaking declarant signs the English declaration that is filed, after it has been
 * made known to them in Spanish. What goes with the filing version then: the declarant's own
 * statement of how that was done (the interpreter read it aloud in Spanish, or the declarant
 * read a written Spanish copy), above their signature, and the interpreter's certificate after
 * it, signed by the interpreter: competent in English and Spanish, translated the whole
 * declaration to the declarant, who said they understood it.
 *
 * Not the certificate of 8 C.F.R. § 103.2(b)(3): that provision ("Any document containing
 * foreign language submitted to USCIS shall be accompanied by a full English language
 * translation which the translator has certified as complete and accurate, and by the
 * translator's certification that he or she is competent to translate from the foreign
 * language into English"; text as quoted at
 * https://cshtranslation.com/new-blog-1/2025/4/21/requirements-for-uscis-translations) governs
 * English translations of foreign-language documents filed with USCIS. The declaration is
 * written and filed in English; its Spanish copy is not filed. The certificate here follows the
 * interpreter's certification of USCIS's own forms instead: the interpreter's fluency in both
 * languages, that they conveyed everything to the declarant, and that the declarant said they
 * understood it.
 */
import type { interpretationMethods } from "./case-file.ts";
import { type Certificate, type DeclarationDocument, declarantPlaceholder } from "./declaration.ts";

/** How the declaration was made known to the declarant (case.json `interpretation`, core/case-file.ts). */
export type Interpretation = (typeof interpretationMethods)[number];
export const defaultInterpretation: Interpretation = "read-aloud";

const blank = "______________________________";

/** The declarant's statement above their signature, matching how it was done. */
export function declarantLanguageStatement(how: Interpretation): string {
  return how === "read-aloud"
    ? `I, ${declarantPlaceholder}, state that before I signed this declaration, ${blank} (interpreter) read all of it to me in Spanish, a language I understand, and that I understood all of its contents.`
    : `I, ${declarantPlaceholder}, state that before I signed this declaration, I read all of it in a complete written Spanish translation, Spanish being a language I read and understand, in the presence of ${blank} (interpreter), and that I understood all of its contents.`;
}

/** The interpreter's certificate: competence, the whole declaration translated to the declarant, who said they understood it. */
export function interpreterCertificate(how: Interpretation): Certificate {
  const conveyed =
    how === "read-aloud"
      ? `I translated the entire foregoing declaration of ${declarantPlaceholder} from English into Spanish for the declarant, by reading all of it aloud to the declarant in Spanish`
      : `I translated the entire foregoing declaration of ${declarantPlaceholder} from English into Spanish for the declarant, in a complete written Spanish translation that the declarant read in my presence`;
  return {
    heading: "Interpreter's Certificate",
    statement: `I, ${blank} (interpreter), certify that I am fluent in English and Spanish and competent to translate from English into Spanish and from Spanish into English; that ${conveyed}, before the declarant signed it; and that the declarant told me that they understood all of its contents.`,
    blanks: ["Printed name of interpreter", "Signature of interpreter", "Date", "Address", "Telephone"],
  };
}

/** The English declaration of a Spanish-speaking declarant: the declarant's statement above the signature, the interpreter's certificate after it. */
export function withInterpreter(doc: DeclarationDocument, how: Interpretation = defaultInterpretation): DeclarationDocument {
  return { ...doc, languageStatement: declarantLanguageStatement(how), certificate: interpreterCertificate(how) };
}
