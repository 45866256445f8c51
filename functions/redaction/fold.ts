/**
 * Text folding that keeps offsets: each character becomes its lower-case, accent-free form
 * (Á → a, Ñ → n) in exactly one character, so a match found in the folded text is the same
 * span in the original. Names are compared folded: ALL-CAPS police reports and Álvaro /
 * ALVARO / Alvaro are one name.
 */

export function fold(text: string): string {
  let out = "";
  for (const ch of text) {
    const lower = ch.toLowerCase();
    const base = lower.length === 1 ? lower.normalize("NFD").replace(/\p{M}+/gu, "") : "";
    // A character whose folded form is not exactly one UTF-16 unit stays as it is.
    out += base.length === ch.length ? base : ch.length === 1 && lower.length === 1 ? lower : ch;
  }
  return out;
}

/** Name particles: part of a full name, never a name on their own ("de la Cruz", "del Río"). */
export const particles = new Set([
  "de",
  "del",
  "la",
  "las",
  "los",
  "da",
  "das",
  "do",
  "dos",
  "di",
  "van",
  "von",
  "der",
  "den",
  "du",
  "le",
  "st",
  "san",
  "santa",
  "mc",
  "bin",
  "ibn",
  "al",
  "el",
  "y",
]);

/** A word a person's name may hold: a capital first ("Ana", "ANA", "O'Neil", "García-López"). */
export const nameWord = "\\p{Lu}[\\p{L}\\p{M}'’-]*";

/** Starts with a capital letter. */
export const isCapitalised = (word: string) => /^\p{Lu}/u.test(word);

/** No lower-case letter in it (and at least two letters): the ALL-CAPS of a police report. */
export const isAllCaps = (word: string) => /\p{L}.*\p{L}/u.test(word) && !/\p{Ll}/u.test(word);

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
