/**
 * The lines under a declaration's text that a lawyer fills in at signing: 28 U.S.C. § 1746
 * lets an unsworn declaration stand in for an affidavit when it is dated and signed under
 * the verification sentence, so the renditions leave blanks for the date, the place and the
 * signature, and print the declarant's name under the signature line.
 */
export const signatureBlock = {
  executed: "Executed on ____________________ (date) at ______________________________ (city, state or country).",
  signatureLine: "______________________________________",
  signatureCaption: "Signature of declarant",
  printedName: (name: string) => `Printed name: ${name}`,
};

/** The same block in Spanish, for the Spanish version a declarant reads (not the one filed). */
export const signatureBlockEs: typeof signatureBlock = {
  executed: "Firmado el ____________________ (fecha) en ______________________________ (ciudad, estado o país).",
  signatureLine: "______________________________________",
  signatureCaption: "Firma del declarante",
  printedName: (name: string) => `Nombre: ${name}`,
};

/** The signature block for a document's language. */
export const signatureBlockFor = (language: "en" | "es" | undefined) => (language === "es" ? signatureBlockEs : signatureBlock);

/** A line for the translator to fill in on the certificate of translation. */
export const blankLine = (label: string) => `${label}: ______________________________________`;
