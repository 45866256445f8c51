/**
 * Names of agencies that carry a place: "Harris County Sheriff's Office", "Houston Police
 * Department", "Policía Municipal de San Pedro Sula", "Fiscalía de Distrito de Tegucigalpa".
 * The agency words are legal vocabulary already (cues.ts); the place is not, and a place is
 * often spelt like a person ("San Pedro", "Harris", "Houston"). A capitalised run attached
 * to an agency head is the place of that agency, never a person: in English the run comes
 * before the head, in Spanish after it, introduced by "de", "del" or "en". These spans are
 * kept by the finder, by the detector (for names nobody listed) and by the fail-closed pass
 * over notes; the case's own people (case.json, the vault) are still redacted inside them.
 */
import { stopWords } from "./cues.ts";
import { fold, isCapitalised, particles } from "./fold.ts";

interface Word {
  start: number;
  end: number;
  text: string;
  folded: string;
}

/** English heads, folded, as word sequences; an optional county, city or parish word may precede each. */
const englishHeads = [
  "sheriff's office",
  "sheriff's department",
  "sheriff's dept",
  "sheriff department",
  "sheriff office",
  "police department",
  "police dept",
  "police service",
  "police",
  "state police",
  "highway patrol",
  "district attorney's office",
  "district attorney",
  "state's attorney's office",
  "state's attorney",
  "attorney's office",
  "prosecutor's office",
  "public defender's office",
  "public defender",
  "superior court",
  "district court",
  "circuit court",
  "municipal court",
  "family court",
  "criminal court",
  "justice court",
  "probate court",
  "juvenile court",
  "immigration court",
  "court",
  "detention center",
  "processing center",
  "jail",
  "correctional facility",
  "clerk's office",
  "field office",
  "marshal's office",
  "constable's office",
  "fire department",
].map((h) => h.split(" "));

/** The heads by their first word, longest first: each word of a text is looked up once. */
const headsByFirst = new Map<string, string[][]>();
for (const head of [...englishHeads].sort((a, b) => b.length - a.length)) {
  headsByFirst.set(head[0]!, [...(headsByFirst.get(head[0]!) ?? []), head]);
}

/** Words that make a place of the run before them on their own ("Harris County"). */
const placeHeads = new Set(["county", "parish", "township", "borough"]);

/** Spanish heads: the agency's first word; its qualifiers and the place follow. */
const spanishHeads = new Set([
  "policia",
  "fiscalia",
  "juzgado",
  "tribunal",
  "procuraduria",
  "subprocuraduria",
  "secretaria",
  "ministerio",
  "alcaldia",
  "municipio",
  "ayuntamiento",
  "corte",
  "departamento",
  "comisaria",
  "estacion",
  "consulado",
  "embajada",
  "gobierno",
  "defensoria",
  "delegacion",
  "direccion",
  "comision",
  "sala",
  "oficina",
  "unidad",
  "agencia",
]);

/** Lower-case words inside a Spanish agency's name ("Juzgado Segundo de lo Familiar"). */
const connectors = new Set(["de", "del", "la", "lo", "los", "las", "en", "y"]);
/** The connectors after which a place may start ("… de San Pedro Sula", "… en Tegucigalpa"). */
const placeIntroducers = new Set(["de", "del", "en", "la", "los", "las"]);

/** The most words a Spanish agency's name holds, head and places included. */
const maxAgencyWords = 14;

/** An adjective that qualifies the head ("Fiscalía Regional", "Policía Preventiva"), folded. */
const adjective = /^\p{L}{3,}(?:al|ar|iva|ivo|ana|ano|ense)$/u;

/** The most words a place run holds ("Ciudad de Guatemala", "San Pedro Sula"). */
const maxPlaceWords = 4;

function wordsOf(text: string): Word[] {
  const folded = fold(text);
  return [...text.matchAll(/\p{L}[\p{L}\p{M}]*(?:['’]\p{L}[\p{L}\p{M}]*)*/gu)].map((m) => ({
    start: m.index!,
    end: m.index! + m[0].length,
    text: m[0],
    folded: folded.slice(m.index!, m.index! + m[0].length).replace(/’/g, "'"),
  }));
}

/** Only spaces or tabs between two words: a comma, a full stop or a line break ends a name. */
const joined = (text: string, a: Word, b: Word) => /^[ \t]+$/.test(text.slice(a.end, b.start));

/** A word a place may hold: capitalised and not legal vocabulary (particles are, inside a place). */
const placeWord = (w: Word) => isCapitalised(w.text) && (!stopWords.has(w.folded) || particles.has(w.folded));

/** [start, end) of every agency name in `text` that carries a place: sorted, overlaps merged. */
export function agencySpans(text: string): Array<[number, number]> {
  const words = wordsOf(text);
  const spans: Array<[number, number]> = [];
  for (let i = 0; i < words.length; i++) {
    const english = englishHeadAt(text, words, i);
    if (english) spans.push(english);
    const spanish = spanishAgencyAt(text, words, i);
    if (spanish) spans.push(spanish);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  return merged;
}

/** The English agency whose head starts at words[i], with the place run before it. */
function englishHeadAt(text: string, words: Word[], i: number): [number, number] | undefined {
  if (!isCapitalised(words[i]!.text)) return undefined;
  const at = (k: number, folded: string) => {
    const w = words[k];
    return w !== undefined && w.folded === folded && isCapitalised(w.text) && (k === i || joined(text, words[k - 1]!, w));
  };
  let head = 0;
  if (placeHeads.has(words[i]!.folded) || words[i]!.folded === "city") head = 1;
  const longest = (headsByFirst.get(words[i + head]?.folded ?? "") ?? []).find((h) => h.every((w, k) => at(i + head + k, w)));
  if (!longest && !(head === 1 && placeHeads.has(words[i]!.folded))) return undefined;
  const end = words[i + head + (longest?.length ?? 0) - 1]!.end;
  // The place: capitalised words right before the head, particles inside it ("Los Angeles").
  let first = i;
  let count = 0;
  for (let k = i - 1; k >= 0 && count < maxPlaceWords; k--) {
    if (!joined(text, words[k]!, words[k + 1]!) || !placeWord(words[k]!)) break;
    first = k;
    count++;
  }
  return count > 0 ? [words[first]!.start, end] : undefined;
}

/**
 * The Spanish agency that starts at words[i]: its head, its qualifiers (legal vocabulary,
 * or adjectives right after the head: "Regional", "Departamental"), and each place that a
 * "de", "del" or "en" introduces ("Juzgado de Letras de Familia de Tegucigalpa").
 */
function spanishAgencyAt(text: string, words: Word[], i: number): [number, number] | undefined {
  const head = words[i]!;
  if (!isCapitalised(head.text) || !spanishHeads.has(head.folded)) return undefined;
  let lastPlace = -1;
  // Consecutive words of the place being read ("San Pedro Sula").
  let run = 0;
  for (let k = i + 1; k < words.length && k - i <= maxAgencyWords; k++) {
    const w = words[k]!;
    const before = words[k - 1]!;
    if (!joined(text, before, w)) break;
    if (!isCapitalised(w.text)) {
      if (!connectors.has(w.folded)) break;
      run = 0;
      continue;
    }
    const legal = stopWords.has(w.folded) && !particles.has(w.folded);
    if (legal || (run === 0 && isCapitalised(before.text) && adjective.test(w.folded))) {
      run = 0;
      continue;
    }
    // A place starts only after "de", "del", "en" ("Policía Municipal de San Pedro Sula");
    // a name right after the agency's words is someone of the agency ("Policía Nacional Juan Pérez").
    const introduced = placeIntroducers.has(before.folded) && !isCapitalised(before.text);
    if (!(introduced || run > 0) || run >= maxPlaceWords) break;
    run++;
    if (!particles.has(w.folded)) lastPlace = k;
  }
  return lastPlace >= 0 ? [head.start, words[lastPlace]!.end] : undefined;
}

/** Is [start, end) wholly inside one of `spans` (sorted and disjoint, as agencySpans returns them)? */
export function insideAny(spans: Array<[number, number]>, start: number, end: number): boolean {
  let lo = 0;
  let hi = spans.length - 1;
  // The last span that starts at or before `start`.
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]![0] <= start) lo = mid + 1;
    else hi = mid - 1;
  }
  const span = spans[hi];
  return span !== undefined && end <= span[1];
}
