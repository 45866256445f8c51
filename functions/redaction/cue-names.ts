/**
 * Names right after a name cue in free text bound for a model, in any case and whatever
 * they spell: "her cousin tyler portillo", "su prima chicas", "a man named santos",
 * "officer cruz". The document finder (people.ts) takes only capitalised words, and the
 * fail-closed pass keeps everyday words, so a lower-case name that is also an everyday word
 * would pass both; here the cue decides. After a relative or a naming verb the next words
 * are a name unless they read as grammar (a verb, an adverb, a pronoun: "her cousin saw
 * it"); after a title or a role ("attorney notes", "victim advocate") the first word must
 * also look like a name (capitalised, read as a person or place, in the gazetteer, or no
 * everyday word). A capitalised word joined to a name already removed is the rest of that
 * name ("[REDACTED] Chicas"). Precision is traded for recall: only notes pay it, never
 * documents.
 */
import nlp from "compromise";
import { isCommonWord } from "./common-words.ts";
import { cuePattern, relativeCuePattern, stopWords } from "./cues.ts";
import { fold, isCapitalised, particles } from "./fold.ts";
import { gazetteerKind } from "./gazetteer.ts";

interface Token {
  start: number;
  end: number;
  text: string;
  folded: string;
  /** A placeholder Affiant wrote, or [REDACTED]. */
  placeholder: boolean;
}

/** The longest run taken after one cue, in words. */
const maxWords = 6;

/** compromise tags that say a word is grammar, not a name ("her cousin saw it", "my son alone"). */
const grammarTags = ["Verb", "Adverb", "Preposition", "Conjunction", "Determiner", "Pronoun", "Adjective", "Value", "Date", "Expression"];
const nameTags = ["Person", "FirstName", "LastName", "Place"];

/** Particles that may open a name after a cue ("de la cruz"); "la", "le", "el", "y" are grammar there. */
const openers = new Set(["de", "del", "da", "das", "do", "dos", "di", "du", "van", "von", "mc", "st", "san", "santa", "bin", "ibn"]);

/**
 * Spanish words a relative is often followed by that are not names and that compromise (an
 * English tagger) does not know: clitics, frequent verbs, words that describe the relative.
 * The cue words (cues.ts) hold others already ("dijo", "vive", "fue").
 */
const spanishGrammar = new Set(
  `se me te le les lo nos es son esta estan estaba estaban estuvo tiene tienen tuvo hizo hace hacia vio ve veia sabe sabia
puede podia pudo quiere queria quiso trabaja trabajaba vino viene venia iba va van quedo dejo hablo grito empujo pego llego
mayor menor mayores menores mismo misma anterior actual difunto difunta fallecido fallecida`
    .split(/\s+/)
    .filter(Boolean),
);

function tokenize(text: string): Token[] {
  const folded = fold(text);
  return [...text.matchAll(/\[[A-Z]+(?:_[A-Z]+)*_\d+\]|\[REDACTED\]|\p{L}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*/gu)].map((m) => ({
    start: m.index!,
    end: m.index! + m[0].length,
    text: m[0],
    folded: folded.slice(m.index!, m.index! + m[0].length),
    placeholder: m[0].startsWith("["),
  }));
}

/** compromise's tags for each word, by offset; read only when the text has a cue. */
function tagsByOffset(text: string): Map<number, string[]> {
  const byStart = new Map<number, string[]>();
  const sentences = nlp(text).json({ offset: true, terms: { offset: true } }) as Array<{
    terms: Array<{ tags: string[]; offset: { start: number } }>;
  }>;
  for (const s of sentences) for (const t of s.terms) byStart.set(t.offset.start, t.tags);
  return byStart;
}

/**
 * [start, end) of each word (placeholders left out) that names someone right after a cue,
 * particles inside the name included.
 * Words are joined by spaces only: punctuation ends the name ("her cousin tyler (555…)").
 */
export function namesAfterCues(text: string): Array<[number, number]> {
  const folded = fold(text);
  const cues: Array<{ end: number; relative: boolean }> = [];
  for (const m of folded.matchAll(relativeCuePattern)) cues.push({ end: m.index! + m[0].length, relative: true });
  for (const m of folded.matchAll(cuePattern)) cues.push({ end: m.index! + m[0].length, relative: false });
  if (cues.length === 0) return [];
  const tokens = tokenize(text);
  const tags = tagsByOffset(text);
  const has = (t: Token, names: string[]) => (tags.get(t.start) ?? []).some((tag) => names.includes(tag));
  const grammar = (t: Token) =>
    (stopWords.has(t.folded) && !particles.has(t.folded)) ||
    spanishGrammar.has(t.folded) ||
    // A Spanish verb in the past as typed with its accent ("llegó", "pegó").
    (/ó$/.test(t.text) && t.text.length > 3 && !has(t, nameTags)) ||
    (has(t, grammarTags) && !has(t, nameTags) && gazetteerKind(t.folded) === undefined);
  const looksLikeName = (t: Token) =>
    isCapitalised(t.text) || has(t, nameTags) || gazetteerKind(t.folded) !== undefined || !isCommonWord(t.text);
  const spans: Array<[number, number]> = [];
  for (const cue of cues) {
    let i = tokens.findIndex((t) => t.start >= cue.end);
    if (i < 0 || tokens[i]!.start !== cue.end) continue;
    const run: Token[] = [];
    let pending: Token[] = [];
    for (; i < tokens.length && run.length < maxWords; i++) {
      const t = tokens[i]!;
      const prev = tokens[i - 1];
      if ((run.length || pending.length) && prev && !/^[ \t]+$/.test(text.slice(prev.end, t.start))) break;
      if (t.placeholder) {
        if (!/^\[(?:PERSON_\d+|REDACTED)\]$/.test(t.text)) break;
        run.push(...pending, t);
        pending = [];
        continue;
      }
      // Particles belong to the name only when a name word follows ("de la cruz").
      if (particles.has(t.folded)) {
        if (run.length === 0 && pending.length === 0 && !openers.has(t.folded)) break;
        pending.push(t);
        continue;
      }
      if (grammar(t)) break;
      // After a title or a role, or a particle opening the run ("la madre del niño"), the
      // first word must look like a name too.
      if (run.length === 0 && (pending.length > 0 || !cue.relative) && !looksLikeName(t)) break;
      run.push(...pending, t);
      pending = [];
    }
    for (const t of run) if (!t.placeholder) spans.push([t.start, t.end]);
  }
  return spans;
}

/**
 * [start, end) of each capitalised word joined by spaces to a name already removed ("[REDACTED]
 * Chicas", "Portillo [PERSON_2]"): the rest of that name, whatever it spells. Legal vocabulary
 * stays ("[PERSON_1] County"); a word opening a sentence is not taken from the name after it
 * ("Ask [PERSON_1]"); ALL-CAPS words are left to the finder, which reads them by the gazetteer.
 */
export function namesBesideNames(text: string): Array<[number, number]> {
  const tokens = tokenize(text);
  const isName = (t: Token) => t.placeholder && /^\[(?:PERSON_\d+|REDACTED)\]$/.test(t.text);
  const candidate = (t: Token) => !t.placeholder && /^\p{Lu}\p{Ll}/u.test(t.text) && !stopWords.has(t.folded) && !particles.has(t.folded);
  const joined = (a: Token, b: Token) => /^[ \t]+$/.test(text.slice(a.end, b.start));
  const taken = new Set<number>();
  for (let i = 1; i < tokens.length; i++) {
    const prev = tokens[i - 1]!;
    if (candidate(tokens[i]!) && joined(prev, tokens[i]!) && (isName(prev) || taken.has(i - 1))) taken.add(i);
  }
  for (let i = tokens.length - 2; i >= 0; i--) {
    const next = tokens[i + 1]!;
    const t = tokens[i]!;
    const opensSentence = /(?:^|[.!?:;\n]\s*)$/.test(text.slice(0, t.start));
    if (candidate(t) && !opensSentence && joined(t, next) && (isName(next) || taken.has(i + 1))) taken.add(i);
  }
  return [...taken].sort((a, b) => a - b).map((i) => [tokens[i]!.start, tokens[i]!.end]);
}
