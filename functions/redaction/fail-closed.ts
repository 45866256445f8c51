/**
 * The fail-closed pass over free text bound for a model (attorney notes): every word that
 * is neither an everyday word of English or Spanish nor legal vocabulary nor a placeholder
 * becomes [REDACTED], so a name nobody listed, written in any case, never reaches a hosted
 * provider. Two things override the word lists: a name right after a name cue, or joined to
 * a name already removed, goes even when it spells an everyday word ("her cousin santos",
 * "[REDACTED] Chicas": cue-names.ts), and the place in an agency's name stays ("Harris
 * County Sheriff's Office": agencies.ts).
 */
import { agencySpans } from "./agencies.ts";
import { isCommonWord, isLegalVocabulary } from "./common-words.ts";
import { namesAfterCues, namesBesideNames } from "./cue-names.ts";

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
 * The fail-closed pass: placeholders and [REDACTED] stay; a name after a cue goes; the place
 * in an agency's name stays; any other word nobody can vouch for, and any run of five or
 * more digits, becomes [REDACTED]. Adjacent replacements merge into one, so
 * "[REDACTED] [REDACTED]" does not count a name's words.
 */
export function redactUnvouched(text: string): UnvouchedResult {
  const named = namesAfterCues(text);
  const agencies = agencySpans(text);
  let redacted = 0;
  const first = replaceWords(text, (match, offset) => {
    if (!/^\p{L}/u.test(match)) return false;
    return !inside(offset, named) && (inside(offset, agencies) || vouchedFor(match));
  });
  redacted += first.redacted;
  // Then the rest of each name removed: "[REDACTED] Chicas" once "Itzel Ostrowski" is gone.
  const beside = namesBesideNames(first.text);
  const second = replaceWords(first.text, (_match, offset) => !inside(offset, beside));
  redacted += second.redacted;
  return { text: second.text.replace(/\[REDACTED\](?:[\s,.-]+\[REDACTED\])+/g, "[REDACTED]"), redacted };
}

const inside = (i: number, spans: Array<[number, number]>) => spans.some(([s, e]) => i >= s && i < e);

/** Every word and long number of `text` that `keep` refuses becomes [REDACTED]; placeholders stay. */
function replaceWords(text: string, keep: (match: string, offset: number) => boolean): UnvouchedResult {
  const kept: Array<[number, number]> = [];
  // Any placeholder Affiant could have written ([PERSON_3], [A_NUMBER_1]), and [REDACTED].
  for (const m of text.matchAll(/\[[A-Z]+(?:_[A-Z]+)*_\d+\]|\[REDACTED\]/g)) kept.push([m.index!, m.index! + m[0].length]);
  let redacted = 0;
  const out = text.replace(/\d(?:[\s().#/-]{0,2}\d){4,}|\p{L}[\p{L}\p{M}]*(?:['’]\p{L}[\p{L}\p{M}]*)*/gu, (match, offset: number) => {
    if (inside(offset, kept) || keep(match, offset)) return match;
    redacted++;
    return "[REDACTED]";
  });
  return { text: out, redacted };
}
