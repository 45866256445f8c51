/**
 * Lexical support of one draft sentence by the chunks it cites, keeping the placeholders in
 * the comparison: who did what is the point of a declaration, so a sentence naming someone
 * its source never names is not supported by it, and a sentence whose placeholders stand in
 * other places than the source's around the same words (a swapped role: "[PERSON_2] pushed
 * me" where the source says "[PERSON_1] pushed [PERSON_2]") is not supported either.
 */
import type { Draft, DraftParagraph } from "../../core/declaration.ts";

const stopwords = new Set(
  "a an the and or but of to in on at for with by from as is was were be been are it its this that he she they we our you your his her their them not no so if then than".split(
    " ",
  ),
);

/** The declarant, whom a first-person sentence names as "I", "me" or "my". */
const declarant = "[person_1]";
const firstPerson = new Set(["i", "me", "my", "myself", "mine"]);

interface Units {
  /** Content words and placeholders. */
  units: Set<string>;
  /** Placeholders named, the declarant included when the text says "I". */
  placeholders: Set<string>;
  /** Neighbouring pairs (in order, stopwords skipped) with a placeholder on either side. */
  pairs: Set<string>;
}

const isPlaceholder = (t: string) => t.startsWith("[");

function unitsOf(text: string): Units {
  const tokens = (text.match(/\[[A-Za-z_]+_\d+\]|[a-z0-9áéíóúñü]+/gi) ?? [])
    .map((t) => t.toLowerCase())
    .map((t) => (firstPerson.has(t) ? declarant : t))
    .filter((t) => isPlaceholder(t) || (t.length > 2 && !stopwords.has(t)));
  const pairs = new Set<string>();
  for (let i = 0; i + 1 < tokens.length; i++)
    if (isPlaceholder(tokens[i]!) || isPlaceholder(tokens[i + 1]!)) pairs.add(`${tokens[i]}>${tokens[i + 1]}`);
  return { units: new Set(tokens), placeholders: new Set(tokens.filter(isPlaceholder)), pairs };
}

/** Support of a sentence by one source, 0 to 1. */
function supportBy(s: Units, src: Units): number {
  if (s.units.size === 0) return 0;
  // Someone other than the declarant whom the source never names: the source cannot support it.
  for (const p of s.placeholders) if (p !== declarant && !src.placeholders.has(p)) return 0;
  let hit = 0;
  for (const x of s.units) if (src.units.has(x)) hit++;
  let share = hit / s.units.size;
  // Pairs whose people the source names must stand as the source has them.
  const checkable = [...s.pairs].filter((pair) => pair.split(">").every((t) => !isPlaceholder(t) || src.placeholders.has(t)));
  if (checkable.length) share = Math.min(share, checkable.filter((pair) => src.pairs.has(pair)).length / checkable.length);
  return share;
}

/** Share of a sentence's content words and people found, as the sentence places them, in its best-matching source. */
export function support(sentence: string, sources: string[]): number {
  const s = unitsOf(sentence);
  return sources.reduce((best, src) => Math.max(best, supportBy(s, unitsOf(src))), 0);
}

/** Below this a sentence is unsupported (and fails the gate). */
export const supportThreshold = 0.35;

/** A paragraph's text cut into sentences (drafts made before sentences were stored). */
export function sentencesOf(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).filter((s) => s.trim().length > 0);
}

/** A paragraph's sentences with the sources each cites (an older draft's: each sentence cites the whole paragraph's). */
export function paragraphSentences(p: DraftParagraph): Array<{ text: string; sources: string[] }> {
  return p.sentences ?? sentencesOf(p.text).map((text) => ({ text, sources: p.sources }));
}

/** Every sentence of the draft in order: `i` across the draft, `sentence` within its paragraph (both 0-based). */
export function draftSentences(
  draft: Draft,
): Array<{ i: number; paragraph: number; element: string; sentence: number; text: string; sources: string[] }> {
  const out: Array<{ i: number; paragraph: number; element: string; sentence: number; text: string; sources: string[] }> = [];
  for (const [paragraph, p] of draft.paragraphs.entries()) {
    for (const [sentence, s] of paragraphSentences(p).entries())
      out.push({ i: out.length, paragraph, element: p.element, sentence, text: s.text, sources: s.sources });
  }
  return out;
}
