/**
 * Everyday words of English and Spanish, from two maintained word lists
 * (an-array-of-english-words, an-array-of-spanish-words, MIT), and legal vocabulary: what
 * the fail-closed pass (fail-closed.ts) keeps and what a lower-case name part is not. The
 * lists are large (about 900,000 words); they are read on first use, by the code paths that
 * need them, never at import.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { stopWords } from "./cues.ts";
import { fold } from "./fold.ts";
import { familyNames, givenNames } from "./gazetteer.ts";

/**
 * One of the lists, searched where it lies: each package's index.json is a sorted array of
 * plain strings (no escapes), so a word is found by binary search over the file's text and
 * the offsets of its words. Parsing the ~900,000 words and hashing them into a Set took 2–3 s
 * of CPU in every process that redacts; this takes tens of milliseconds. That both lists are
 * sorted as JavaScript compares strings is checked by test/unit/redaction-notes.test.ts.
 */
export class SortedWordList {
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;

  constructor(
    private readonly text: string,
    where: string,
  ) {
    if (text.includes("\\")) throw new Error(`${where}: the word list holds escapes; it cannot be searched as plain text`);
    // Every word is the text between a pair of quotes; indexOf scans natively.
    const offsets: number[] = [];
    for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) offsets.push(i);
    this.starts = new Int32Array(offsets.length >> 1);
    this.ends = new Int32Array(offsets.length >> 1);
    for (let k = 0; k < this.starts.length; k++) {
      this.starts[k] = offsets[2 * k]! + 1;
      this.ends[k] = offsets[2 * k + 1]!;
    }
  }

  get size(): number {
    return this.starts.length;
  }

  word(i: number): string {
    return this.text.slice(this.starts[i], this.ends[i]);
  }

  has(word: string): boolean {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const w = this.word(mid);
      if (w === word) return true;
      if (w < word) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

let lists: SortedWordList[] | undefined;

function commonWords(): SortedWordList[] {
  if (!lists) {
    const require = createRequire(import.meta.url);
    lists = ["an-array-of-english-words", "an-array-of-spanish-words"].map((name) => {
      const file = require.resolve(name);
      return new SortedWordList(readFileSync(file, "utf8"), file);
    });
  }
  return lists;
}

/**
 * An everyday word in either language, compared lower-case and folded (the Spanish list
 * writes most words without their accents). The lists also hold common given names and
 * surnames (maria, juan, garcia): a word the gazetteer knows as a name is never everyday.
 */
export function isCommonWord(word: string): boolean {
  const folded = fold(word);
  if (givenNames.has(folded) || familyNames.has(folded)) return false;
  const lower = word.toLowerCase();
  return commonWords().some((list) => list.has(lower) || list.has(folded));
}

/** Abbreviations of immigration practice the word lists do not hold. */
const practiceWords = new Set(
  "ssn itin dob aka fka nta ice uscis eoir bia ij ina cfr usc vawa tvpa ead rfe noid noia nvc lpr usc pdf docx md ok".split(" "),
);

/** Legal and procedural words (agencies, forms, titles, roles) the detector never takes for a name. */
export const isLegalVocabulary = (word: string) => stopWords.has(fold(word)) || practiceWords.has(fold(word));
