/**
 * Matching the people a case names (case.json's parties and the names the finder found)
 * wherever they appear: the full name, then each part on its own ("Elena", "Marsh"),
 * compared folded (GÓMEZ = Gomez, Alvaro = Álvaro) and in any case: a full name of two
 * or more words always, a single part in lower case unless it is an everyday word or legal
 * vocabulary (common-words.ts), so "elena" is Elena but "will" is not "Will". Particles (de, del, la, los) are never a match on their own. A
 * part two people share (a spouse who took the abuser's surname) is neither person: it gets
 * its own placeholder, which re-injection fills with the part itself. A name the finder
 * found is not matched inside an agency's name ("Houston" in "Houston Police Department").
 */

import { insideAny } from "./agencies.ts";
import { isCommonWord, isLegalVocabulary } from "./common-words.ts";
import type { Detection, KnownPerson } from "./detect.ts";
import { escapeRegExp, fold, isAllCaps, isCapitalised, particles } from "./fold.ts";

const words = (name: string) => name.trim().split(/\s+/).filter(Boolean);
/** The parts of a name that may be matched alone. */
const partsOf = (name: string) => words(name).filter((w) => fold(w).replace(/['’-]/g, "").length >= 3 && !particles.has(fold(w)));

/**
 * Adds the finder's names to the listed people: a found name made only of a listed
 * person's parts ("Elena", "ELENA MARSH") is that person already, and a single word that is
 * part of a longer found name is that name. Longest first, so a full name wins over a part.
 */
export function withDiscovered(people: KnownPerson[], found: string[]): KnownPerson[] {
  const listed = people.filter((p) => !p.discovered);
  // The found names so far, then the new ones; one entry per folded name, the best spelling kept.
  const byKey = new Map<string, string>();
  for (const name of [...people.filter((p) => p.discovered).map((p) => p.name), ...found]) {
    const key = fold(name);
    const had = byKey.get(key);
    // Re-injection writes "Juan Pérez", not "JUAN PÉREZ", where both were seen.
    if (had === undefined || (isAllCaps(had) && !isAllCaps(name))) byKey.set(key, name);
  }
  const listedParts = listed.map((p) => new Set(partsOf(p.name).map(fold)));
  const foundParts = [...byKey.values()].filter((n) => partsOf(n).length > 1).map((n) => new Set(partsOf(n).map(fold)));
  const added: KnownPerson[] = [];
  for (const name of byKey.values()) {
    const parts = partsOf(name).map(fold);
    if (parts.length === 0) continue;
    if (listedParts.some((set) => parts.every((p) => set.has(p)))) continue;
    if (parts.length === 1 && foundParts.some((set) => set.has(parts[0]!))) continue;
    added.push({ name, discovered: true });
  }
  return [...listed, ...added].sort((a, b) => b.name.length - a.name.length);
}

export interface KnownPeopleOptions {
  /**
   * Every part of a name in any case, everyday word or not ("santos", "cruz", "will"): for
   * free text bound for a model, where the parts are values the vault already holds.
   */
  everyPart?: boolean;
  /** Spans where names nobody listed are not matched (an agency's place: agencies.ts). */
  shielded?: Array<[number, number]>;
}

export function detectKnownPeople(text: string, people: KnownPerson[], options: KnownPeopleOptions = {}): Detection[] {
  if (people.length === 0) return [];
  const shielded = options.shielded ?? [];
  const folded = fold(text);
  // Parts that belong to more than one person are nobody's in particular.
  const owners = new Map<string, Set<string>>();
  for (const p of people) {
    if (p.type === "ORG") continue;
    for (const part of partsOf(p.name)) owners.set(fold(part), (owners.get(fold(part)) ?? new Set()).add(fold(p.name)));
  }
  const out: Detection[] = [];
  const find = (variant: string, discovered: boolean | undefined, push: (start: number, end: number) => void) => {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${words(fold(variant)).map(escapeRegExp).join("\\s+")}(?![\\p{L}\\p{N}])`, "gu");
    for (const m of folded.matchAll(re)) {
      const start = m.index!;
      const end = start + m[0].length;
      // Written with capitals (every word of it that is not a particle), or a full name, or a
      // part no everyday word spells (the word lists are read only when it comes to that).
      if (discovered && insideAny(shielded, start, end)) continue;
      const written = words(text.slice(start, end));
      if (
        !options.everyPart &&
        !written.every((w) => isCapitalised(w) || particles.has(fold(w))) &&
        partsOf(variant).length < 2 &&
        written.some((w) => !particles.has(fold(w)) && (isLegalVocabulary(w) || isCommonWord(w)))
      )
        continue;
      push(start, end);
    }
  };
  for (const person of people) {
    const type = person.type ?? "PERSON";
    const canonical = `${type.toLowerCase()}:${words(fold(person.name)).join(" ")}`;
    find(person.name, person.discovered, (start, end) => out.push({ type, start, end, canonical, display: person.name }));
    if (type === "ORG") continue;
    for (const part of partsOf(person.name)) {
      if (words(part).length === words(person.name).length) continue;
      const shared = owners.get(fold(part))!.size > 1;
      find(part, person.discovered, (start, end) =>
        out.push({ type, start, end, canonical: shared ? `person-part:${fold(part)}` : canonical, display: shared ? part : person.name }),
      );
    }
  }
  return out;
}
