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
