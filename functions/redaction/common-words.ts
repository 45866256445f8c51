/**
 * Everyday words of English and Spanish, from two maintained word lists
 * (an-array-of-english-words, an-array-of-spanish-words, MIT), and the fail-closed pass
 * over free text bound for a model: every word that is neither an everyday word nor legal
 * vocabulary nor a placeholder becomes [REDACTED], so a name nobody listed, written in any
 * case, never reaches a hosted provider. The lists are large (about 900,000 words); they are
 * read on first use, by the code paths that need them, never at import.
 */
import { createRequire } from "node:module";
import { stopWords } from "./cues.ts";
import { fold } from "./fold.ts";
import { familyNames, givenNames } from "./gazetteer.ts";

let words: Set<string> | undefined;

function commonWords(): Set<string> {
  if (!words) {
    const require = createRequire(import.meta.url);
    const english = require("an-array-of-english-words") as string[];
    const spanish = require("an-array-of-spanish-words") as string[];
    words = new Set(english);
    for (const w of spanish) words.add(w);
  }
  return words;
}

/**
 * An everyday word in either language, compared lower-case and folded (the Spanish list
 * writes most words without their accents). The lists also hold common given names and
 * surnames (maria, juan, garcia): a word the gazetteer knows as a name is never everyday.
 */
export function isCommonWord(word: string): boolean {
  const folded = fold(word);
  if (givenNames.has(folded) || familyNames.has(folded)) return false;
  const list = commonWords();
  return list.has(word.toLowerCase()) || list.has(folded);
}

/** Abbreviations of immigration practice the word lists do not hold. */
const practiceWords = new Set(
  "ssn itin dob aka fka nta ice uscis eoir bia ij ina cfr usc vawa tvpa ead rfe noid noia nvc lpr usc pdf docx md ok".split(" "),
);

/** Legal and procedural words (agencies, forms, titles, roles) the detector never takes for a name. */
export const isLegalVocabulary = (word: string) => stopWords.has(fold(word)) || practiceWords.has(fold(word));

/** A word the fail-closed pass keeps: its whole, its parts around apostrophes, or without them. */
function vouchedFor(word: string): boolean {
  // A single letter names nobody ("Supplement B", "Exhibit C").
  if (word.length === 1 || isLegalVocabulary(word) || isCommonWord(word)) return true;
  const bare = word.replace(/['’]/g, "");
  if (bare !== word && isCommonWord(bare)) return true;
  const [head, tail] = word.split(/['’]/);
  return bare !== word && head !== undefined && isCommonWord(head) && (tail === undefined || tail.length <= 2 || isCommonWord(tail));
}

export interface UnvouchedResult {
  text: string;
  /** Words (and long numbers) replaced; a count, never the words. */
  redacted: number;
}

/**
 * The fail-closed pass: placeholders and [REDACTED] stay; any other word nobody can vouch
 * for, and any run of five or more digits, becomes [REDACTED]. Adjacent replacements merge
 * into one, so "[REDACTED] [REDACTED]" does not count a name's words.
 */
export function redactUnvouched(text: string): UnvouchedResult {
  const kept: Array<[number, number]> = [];
  // Any placeholder Affiant could have written ([PERSON_3], [A_NUMBER_1]), and [REDACTED].
  for (const m of text.matchAll(/\[[A-Z]+(?:_[A-Z]+)*_\d+\]|\[REDACTED\]/g)) kept.push([m.index!, m.index! + m[0].length]);
  const inside = (i: number) => kept.some(([s, e]) => i >= s && i < e);
  let redacted = 0;
  const out = text.replace(/\d(?:[\s().#/-]{0,2}\d){4,}|\p{L}[\p{L}\p{M}]*(?:['’]\p{L}[\p{L}\p{M}]*)*/gu, (match, offset: number) => {
    if (inside(offset)) return match;
    if (/^\p{L}/u.test(match) && vouchedFor(match)) return match;
    redacted++;
    return "[REDACTED]";
  });
  return { text: out.replace(/\[REDACTED\](?:[\s,.-]+\[REDACTED\])+/g, "[REDACTED]"), redacted };
}
