/**
 * The oath and signature block of a declaration, by where the declarant signs. 28 U.S.C. § 1746
 * (text as published at http://uscode.elaws.us/law/28usc1746):
 *
 *   "… such matter may, with like force and effect, be supported, evidenced, established, or
 *   proved by the unsworn declaration, certificate, verification, or statement, in writing of
 *   such person which is subscribed by him, as true under penalty of perjury, and dated, in
 *   substantially the following form:
 *   (1) If executed without the United States: "I declare (or certify, verify, or state) under
 *   penalty of perjury under the laws of the United States of America that the foregoing is
 *   true and correct. Executed on (date). (Signature)".
 *   (2) If executed within the United States, its territories, possessions, or commonwealths:
 *   "I declare (or certify, verify, or state) under penalty of perjury that the foregoing is
 *   true and correct. Executed on (date). (Signature)"."
 *
 * case.json's `signing` names the place (city, state or country). Whether it is inside the
 * United States is decided by its last comma-separated part alone, and explicitly: inside when
 * that part is "United States", "United States of America", "USA", "US" (dots ignored), the name
 * of a state, the District of Columbia or a territory or commonwealth ({@link usPlaces}), or the
 * two-letter postal abbreviation of one written in capitals ("Houston, TX"); anything else is
 * outside. So "Houston, Texas", "San Juan, PR" and "Chicago, IL, USA" are inside; "Monterrey,
 * Mexico" and a bare "Houston" are outside (name the state). "Georgia" reads as the state: write
 * "Tbilisi, Republic of Georgia" for the country. Absent: outside, whose form (§ 1746(1)) is the
 * one that holds wherever it is signed.
 */

/** States, D.C., territories and commonwealths, by name and postal abbreviation. */
export const usPlaces: ReadonlyArray<readonly [string, string]> = [
  ["Alabama", "AL"],
  ["Alaska", "AK"],
  ["Arizona", "AZ"],
  ["Arkansas", "AR"],
  ["California", "CA"],
  ["Colorado", "CO"],
  ["Connecticut", "CT"],
  ["Delaware", "DE"],
  ["Florida", "FL"],
  ["Georgia", "GA"],
  ["Hawaii", "HI"],
  ["Idaho", "ID"],
  ["Illinois", "IL"],
  ["Indiana", "IN"],
  ["Iowa", "IA"],
  ["Kansas", "KS"],
  ["Kentucky", "KY"],
  ["Louisiana", "LA"],
  ["Maine", "ME"],
  ["Maryland", "MD"],
  ["Massachusetts", "MA"],
  ["Michigan", "MI"],
  ["Minnesota", "MN"],
  ["Mississippi", "MS"],
  ["Missouri", "MO"],
  ["Montana", "MT"],
  ["Nebraska", "NE"],
  ["Nevada", "NV"],
  ["New Hampshire", "NH"],
  ["New Jersey", "NJ"],
  ["New Mexico", "NM"],
  ["New York", "NY"],
  ["North Carolina", "NC"],
  ["North Dakota", "ND"],
  ["Ohio", "OH"],
  ["Oklahoma", "OK"],
  ["Oregon", "OR"],
  ["Pennsylvania", "PA"],
  ["Rhode Island", "RI"],
  ["South Carolina", "SC"],
  ["South Dakota", "SD"],
  ["Tennessee", "TN"],
  ["Texas", "TX"],
  ["Utah", "UT"],
  ["Vermont", "VT"],
  ["Virginia", "VA"],
  ["Washington", "WA"],
  ["West Virginia", "WV"],
  ["Wisconsin", "WI"],
  ["Wyoming", "WY"],
  ["District of Columbia", "DC"],
  ["Puerto Rico", "PR"],
  ["Guam", "GU"],
  ["U.S. Virgin Islands", "VI"],
  ["American Samoa", "AS"],
  ["Northern Mariana Islands", "MP"],
];

const countryNames = ["united states", "united states of america", "usa", "us"];
const fold = (s: string) => s.replace(/\./g, "").replace(/\s+/g, " ").trim().toLowerCase();
const usNames = new Set([
  ...countryNames,
  ...usPlaces.map(([name]) => fold(name)),
  "virgin islands",
  "washington dc",
  "commonwealth of puerto rico",
  "commonwealth of the northern mariana islands",
]);
const usAbbreviations = new Set(usPlaces.map(([, abbr]) => abbr));

/** Whether a signing place is inside the United States, its territories or commonwealths (see above). */
export function signedInsideUnitedStates(place: string | undefined): boolean {
  if (!place?.trim()) return false;
  const last =
    place
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)
      .at(-1) ?? "";
  const bare = last.replace(/\./g, "");
  if (/^[A-Z]{2}$/.test(bare) && (usAbbreviations.has(bare) || bare === "US")) return true;
  return usNames.has(fold(last));
}

/** The § 1746 subsection whose form the oath takes. */
export type OathForm = "1746(1)" | "1746(2)";
export const oathForm = (place: string | undefined): OathForm => (signedInsideUnitedStates(place) ? "1746(2)" : "1746(1)");

/** The verification sentence of each form, in the document's language. */
export const verificationSentence: Record<"en" | "es", Record<OathForm, string>> = {
  en: {
    "1746(1)": "I declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct.",
    "1746(2)": "I declare under penalty of perjury that the foregoing is true and correct.",
  },
  es: {
    "1746(1)":
      "Declaro bajo pena de perjurio, conforme a las leyes de los Estados Unidos de América, que lo anterior es verdadero y correcto.",
    "1746(2)": "Declaro bajo pena de perjurio que lo anterior es verdadero y correcto.",
  },
};

/**
 * The lines under the verification that are filled in at signing: "Executed on (date)" with
 * the place left blank too (the case's `signing` only picks the form: the declarant writes where
 * they actually sign), a line to sign on, and the printed name under it.
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
