/**
 * Finding people nobody listed: compromise's person finder (a well-kept English NLP
 * library), cue words (titles, roles, kinship in English and Spanish: "the suspect,",
 * "mi hermana"), and a gazetteer of given names and surnames each seed a name; a seed grows
 * over the capitalised words and particles around it ("José Luis García del Río"). In an
 * ALL-CAPS report every word is capitalised, so there a name grows only over words the
 * gazetteer or compromise knows as names. A place attached to an agency ("Harris County
 * Sheriff's Office") is never a person (agencies.ts).
 */
import nlp from "compromise";
import { agencySpans, insideAny } from "./agencies.ts";
import { cuePattern, placeAfter, stopWords } from "./cues.ts";
import { fold, isAllCaps, isCapitalised, particles } from "./fold.ts";
import { gazetteerKind } from "./gazetteer.ts";

interface Token {
  start: number;
  end: number;
  text: string;
  folded: string;
  /** compromise's reading of the word: a person's name, a grammar word, another kind of entity, or no opinion. */
  nlp?: "person" | "grammar" | "entity";
}

/** compromise tags that say a capitalised word is not (part of) a name: grammar, or another kind of entity. */
const grammarTags = ["Verb", "Adverb", "Preposition", "Conjunction", "Determiner", "Pronoun", "Adjective", "Value", "Date"];
const entityTags = ["Place", "Organization", "Acronym"];
const personTags = ["Person", "FirstName", "LastName", "MaleName", "FemaleName"];

/** The longest name the finder builds, in words (particles included). */
const maxWords = 6;

function tokenize(text: string, folded: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(/\p{L}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*/gu)) {
    const start = m.index!;
    // A possessive is not part of the name ("Derek's").
    const word = m[0].replace(/['’][sS]$/, "");
    tokens.push({ start, end: start + word.length, text: word, folded: folded.slice(start, start + word.length) });
  }
  return tokens;
}

/** compromise's person spans and per-word tags, in `text`'s offsets. */
function readWithCompromise(text: string, tokens: Token[]): Array<[number, number]> {
  const byStart = new Map(tokens.map((t) => [t.start, t]));
  const doc = nlp(text);
  const sentences = doc.json({ offset: true, terms: { offset: true } }) as Array<{
    terms: Array<{ text: string; tags: string[]; offset: { start: number; length: number } }>;
  }>;
  for (const s of sentences) {
    for (const term of s.terms) {
      const token = byStart.get(term.offset.start);
      // compromise normalises some text; a term whose offsets disagree with ours is ignored.
      if (!token || !term.text.startsWith(token.text.slice(0, 1))) continue;
      if (term.tags.some((t) => personTags.includes(t))) token.nlp = "person";
      else if (term.tags.some((t) => grammarTags.includes(t))) token.nlp = "grammar";
      else if (term.tags.some((t) => entityTags.includes(t))) token.nlp = "entity";
    }
  }
  const people = doc.people().json({ offset: true }) as Array<{ offset: { start: number; length: number } }>;
  return people.map((p) => [p.offset.start, p.offset.start + p.offset.length]);
}

/** Particles that may open a run of particles inside a name. */
const runStarters = new Set([
  "de",
  "del",
  "da",
  "das",
  "do",
  "dos",
  "di",
  "du",
  "van",
  "von",
  "der",
  "den",
  "le",
  "st",
  "san",
  "santa",
  "mc",
  "bin",
  "ibn",
  "al",
]);
const isParticle = (t: Token) =>
  particles.has(t.folded) && (!isCapitalised(t.text) || isAllCaps(t.text) || ["de", "del", "van", "von", "da", "dos"].includes(t.folded));
const gazetteer = (t: Token) => gazetteerKind(t.folded);

/**
 * Could this word be part of a name at all? Short ALL-CAPS words are acronyms (IL, DV, HPD)
 * unless the gazetteer knows them (ANA, EVA) or, `inName`, they continue a name and have a
 * vowel (COC, AJÚ, RÍO).
 */
function nameLike(t: Token, inName = false): boolean {
  if (!isCapitalised(t.text) || t.text.length < 2 || stopWords.has(t.folded) || particles.has(t.folded)) return false;
  if (isAllCaps(t.text) && t.text.length <= 3 && !gazetteer(t) && !(inName && t.text.length === 3 && /[aeiou]/.test(t.folded)))
    return false;
  return true;
}

/** A word that can carry a name on its own strength (not only beside one). */
function knownName(t: Token): boolean {
  return nameLike(t) && (gazetteer(t) === "name" || t.nlp === "person");
}

/** Only spaces (one line break at most) between two words: no punctuation breaks a name. */
function joined(text: string, a: Token, b: Token): boolean {
  return /^[ \t]*\n?[ \t]*$/.test(text.slice(a.end, b.start)) && b.start > a.end;
}

/** Grows a name from tokens[seed] to the right (and left, unless after a cue); returns [first, last] token indexes. */
function grow(text: string, tokens: Token[], seed: number, afterCue: boolean): [number, number] {
  const caps = isAllCaps(tokens[seed]!.text);
  // Title case: any name-like word compromise does not read as grammar (unknown surnames
  // often read as places), or as another entity unless a cue announced a person;
  // ALL CAPS: words known as names, or after a cue any word that is not grammar.
  const known = (t: Token) => knownName(t) || gazetteer(t) !== undefined;
  const accepts = (t: Token) =>
    nameLike(t, true) && (known(t) || (caps ? afterCue && t.nlp !== "grammar" : afterCue || (t.nlp !== "grammar" && t.nlp !== "entity")));
  let last = seed;
  let words = 1;
  for (let i = seed + 1; i < tokens.length && words < maxWords; i++) {
    const prev = tokens[i - 1]!;
    if (!joined(text, prev, tokens[i]!)) break;
    if (isParticle(tokens[i]!)) {
      // A particle run starts with "de", "van"…; a bare article after a name is a sentence
      // going on ("ÁNGELA LA AMENAZÓ"), not "de la Cruz".
      if (i - 1 === last && !runStarters.has(tokens[i]!.folded)) break;
      continue;
    }
    // After a particle any name-like word continues the name ("del Río": compromise reads a city).
    const afterParticle = i - 1 > last;
    if (!(afterParticle ? nameLike(tokens[i]!, true) : accepts(tokens[i]!))) break;
    // Particles between two name words belong to the name ("de la Cruz").
    words += i - last;
    last = i;
  }
  let first = seed;
  if (!afterCue) {
    for (let i = seed - 1; i >= 0 && words < maxWords; i--) {
      if (!joined(text, tokens[i]!, tokens[i + 1]!)) break;
      if (isParticle(tokens[i]!)) continue;
      if (!accepts(tokens[i]!)) break;
      words += first - i;
      first = i;
    }
  }
  return [first, last];
}

/**
 * Names of people in `text` that no list gave: each as written, in order of appearance,
 * one entry per distinct (folded) name.
 */
export function findPeople(text: string): string[] {
  const folded = fold(text);
  const tokens = tokenize(text, folded);
  if (tokens.length === 0) return [];
  const compromiseSpans = readWithCompromise(text, tokens);
  const spans: Array<[number, number]> = [];
  const indexAt = (offset: number) => tokens.findIndex((t) => t.start >= offset);

  // Cues: the first name-like word after one starts a name, whatever compromise thinks of it.
  for (const m of folded.matchAll(cuePattern)) {
    const i = indexAt(m.index! + m[0].length);
    if (i < 0 || tokens[i]!.start !== m.index! + m[0].length) continue;
    // A name may open with its particles ("el oficial del Río Argueta").
    let j = i;
    while (
      j < tokens.length - 1 &&
      runStarters.has(tokens[i]!.folded) &&
      isParticle(tokens[j]!) &&
      joined(text, tokens[j]!, tokens[j + 1]!)
    )
      j++;
    if (!nameLike(tokens[j]!)) continue;
    const [, last] = grow(text, tokens, j, true);
    spans.push([i, last]);
  }
  // compromise's people: every name-like word in one of its spans seeds a name.
  for (const [start, end] of compromiseSpans) {
    for (let i = indexAt(start); i >= 0 && i < tokens.length && tokens[i]!.start < end; i++) {
      if (nameLike(tokens[i]!) && tokens[i]!.nlp !== "grammar") spans.push(grow(text, tokens, i, false));
    }
  }
  // The gazetteer: a known given name or surname seeds a name; an everyday word only with company.
  tokens.forEach((t, i) => {
    const kind = gazetteer(t);
    if (!kind || !nameLike(t)) return;
    const [first, last] = grow(text, tokens, i, false);
    if (kind === "name" || last > first) spans.push([first, last]);
  });

  const names = new Map<string, string>();
  const agencies = agencySpans(text);
  for (const [first, last] of spans.sort((a, b) => tokens[a[0]]!.start - tokens[b[0]]!.start)) {
    // "San Pedro Sula" in "Policía Municipal de San Pedro Sula" is the agency's place.
    if (insideAny(agencies, tokens[first]!.start, tokens[last]!.end)) continue;
    const next = tokens[last + 1];
    if (next && joined(text, tokens[last]!, next) && placeAfter.has(next.folded)) continue;
    const name = text.slice(tokens[first]!.start, tokens[last]!.end).replace(/\s+/g, " ");
    const key = fold(name);
    // The spelling re-injection writes back: the first one not in ALL CAPS, where there is one.
    if (!names.has(key) || (isAllCaps(names.get(key)!) && !isAllCaps(name))) names.set(key, name);
  }
  return [...names.values()];
}
