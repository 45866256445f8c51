/**
 * Contradictions between sources, found without a model: the same event (an injury to the
 * same part of the body, or the same month) told as an accident in one document ("I told the
 * nurse I fell", "me caí") and as something done to the declarant in another ("he pushed me
 * against a wall", "me empujó"). An attorney must explain such a gap before USCIS finds it, so
 * the review document quotes both sides with document and page. The same detector reports the
 * same injury dated differently by two documents (a date to confirm with the client).
 *
 * It reads the redacted chunks (placeholders in place of names); a date the redactor replaced
 * ([DATE_3]) is compared through `dateOf`, which Reinject gives from the vault, so only the
 * comparison sees the value, never the text that is quoted. Pure: no I/O, no logging.
 */
import { sentencesOf } from "../scoring/support.ts";

export interface SourceChunk {
  id: string;
  file: string;
  page: number;
  text: string;
}

export interface Quote {
  file: string;
  page: number;
  chunk: string;
  quote: string;
}

export interface Contradiction {
  /** "cause": accident against inflicted harm; "date": the same injury on dates that cannot both hold. */
  kind: "cause" | "date";
  /** What ties the two quotes to one event: body parts and dates, as found. */
  event: string;
  /** For "cause": the accidental account first; for "date": the earlier document first. */
  first: Quote;
  second: Quote;
}

export type Cause = "accidental" | "inflicted";

/** A date at the precision it was written: a year, a month or a day. */
export interface EventDate {
  year: number;
  month?: number;
  day?: number;
}

export interface Statement extends Quote {
  cause: Cause | null;
  bodyParts: string[];
  dates: EventDate[];
}

// Word bounds that know letters outside ASCII (\b does not: "caí" would never end a word).
const words = (alternatives: string) => new RegExp(`(?<!\\p{L})(?:${alternatives})(?!\\p{L})`, "iu");
// Accidental causes, English and Spanish. "me golpeé" (I hit myself) is accidental; "me golpeó" (he hit me) is not.
const accidental = [
  words("fell|falling|fallen|slipped|tripped|stumbled"),
  words("(?:walked|ran|bumped|banged|crashed) into"),
  words("accident|accidental|accidentally|clumsy|by mistake"),
  words(
    "me ca[ií]|se cay[oó]|ca[ií]da|me resbal[eé]|se resbal[oó]|resbal[oó]n|tropec[eé]|se tropez[oó]|tropez[oó]|accidente|accidentalmente|torpe|me golpe[eé] con|me pegu[eé] con|choqu[eé] con",
  ),
];
// Causes where someone did the harm.
const inflicted = [
  words(
    "pushed|pushes|pushing|shoved|hit|hits|hitting|punched|punches|slapped|slaps|kicked|kicks|choked|chokes|strangled|beat|beats|beaten|struck|assaulted|attacked|grabbed|twisted|threw|thrown|stabbed|burned|bit",
  ),
  words(
    "empuj[oó]|empujaba|golpe[oó]|golpeaba|hab[ií]a golpeado|me peg[oó]|le peg[oó]|pegaba|pate[oó]|pateaba|abofete[oó]|cachete[oó]|ahorc[oó]|estrangul[oó]|asfixi[oó]|agredi[oó]|atac[oó]|me tir[oó]|la tir[oó]|jal[oó]|torci[oó]|quem[oó]|mordi[oó]",
  ),
];
// A negation just before the cause word turns it around ("it was not an accident", "no me caí").
const negated = /(?<!\p{L})(?:not|never|no|didn'?t|did not|wasn'?t|was not|nunca|tampoco)(?:\s+\S+){0,2}\s*$/iu;

// Body parts, English and Spanish, each to one English name so the two languages meet.
const bodyParts: Record<string, string> = {
  wrist: "wrist",
  wrists: "wrist",
  muñeca: "wrist",
  muñecas: "wrist",
  arm: "arm",
  arms: "arm",
  brazo: "arm",
  brazos: "arm",
  hand: "hand",
  hands: "hand",
  mano: "hand",
  manos: "hand",
  finger: "finger",
  fingers: "finger",
  dedo: "finger",
  dedos: "finger",
  shoulder: "shoulder",
  hombro: "shoulder",
  face: "face",
  cara: "face",
  rostro: "face",
  eye: "eye",
  eyes: "eye",
  ojo: "eye",
  ojos: "eye",
  nose: "nose",
  nariz: "nose",
  jaw: "jaw",
  mandíbula: "jaw",
  lip: "lip",
  lips: "lip",
  labio: "lip",
  labios: "lip",
  mouth: "mouth",
  boca: "mouth",
  head: "head",
  cabeza: "head",
  neck: "neck",
  throat: "neck",
  cuello: "neck",
  garganta: "neck",
  rib: "rib",
  ribs: "rib",
  costilla: "rib",
  costillas: "rib",
  // "back" alone is too often not the body ("came back"): only the Spanish word.
  espalda: "back",
  leg: "leg",
  legs: "leg",
  pierna: "leg",
  piernas: "leg",
  knee: "knee",
  rodilla: "knee",
  ankle: "ankle",
  tobillo: "ankle",
  stomach: "stomach",
  abdomen: "stomach",
  estómago: "stomach",
  vientre: "stomach",
  chest: "chest",
  pecho: "chest",
};
const months: Record<string, number> = {
  january: 1,
  february: 2,
  march: 3,
  april: 4,
  may: 5,
  june: 6,
  july: 7,
  august: 8,
  september: 9,
  october: 10,
  november: 11,
  december: 12,
  enero: 1,
  febrero: 2,
  marzo: 3,
  abril: 4,
  mayo: 5,
  junio: 6,
  julio: 7,
  agosto: 8,
  septiembre: 9,
  setiembre: 9,
  octubre: 10,
  noviembre: 11,
  diciembre: 12,
};
const monthNames = Object.keys(months).join("|");
const datePatterns: Array<{ re: RegExp; read: (m: RegExpExecArray) => EventDate }> = [
  { re: /\b(\d{4})-(\d{2})-(\d{2})\b/g, read: (m) => ({ year: +m[1]!, month: +m[2]!, day: +m[3]! }) },
  { re: /\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/g, read: (m) => ({ year: +m[3]!, month: +m[1]!, day: +m[2]! }) },
  {
    re: new RegExp(`\\b(${monthNames})\\.?\\s+(\\d{1,2}),?\\s+(\\d{4})\\b`, "gi"),
    read: (m) => ({ year: +m[3]!, month: months[m[1]!.toLowerCase()]!, day: +m[2]! }),
  },
  {
    re: new RegExp(`\\b(\\d{1,2})\\s+de\\s+(${monthNames})\\s+(?:de|del)\\s+(\\d{4})\\b`, "gi"),
    read: (m) => ({ year: +m[3]!, month: months[m[2]!.toLowerCase()]!, day: +m[1]! }),
  },
  {
    re: new RegExp(`\\b(${monthNames})\\s+(?:of\\s+|de\\s+|del\\s+)?(\\d{4})\\b`, "gi"),
    read: (m) => ({ year: +m[2]!, month: months[m[1]!.toLowerCase()]! }),
  },
  { re: /\b((?:19|20)\d{2})\b/g, read: (m) => ({ year: +m[1]! }) },
];

/** Every date in a text, most precise first; a date inside a longer one is not counted again. */
export function datesIn(text: string, dateOf: (placeholder: string) => string | undefined = () => undefined): EventDate[] {
  const resolved = text.replace(/\[DATE(?:_OF_BIRTH)?_\d+\]/g, (p) => dateOf(p) ?? p);
  const taken: Array<[number, number]> = [];
  const out: EventDate[] = [];
  for (const { re, read } of datePatterns) {
    for (const m of resolved.matchAll(re)) {
      const start = m.index!;
      const end = start + m[0].length;
      if (taken.some(([s, e]) => start < e && end > s)) continue;
      taken.push([start, end]);
      const d = read(m as RegExpExecArray);
      if (d.month !== undefined && (d.month < 1 || d.month > 12)) continue;
      out.push(d);
    }
  }
  return out;
}

/** Two dates can be the same day: equal wherever both say something. */
export function compatible(a: EventDate, b: EventDate): boolean {
  return (
    a.year === b.year &&
    (a.month === undefined || b.month === undefined || a.month === b.month) &&
    (a.day === undefined || b.day === undefined || a.day === b.day)
  );
}

const formatDate = (d: EventDate) =>
  [d.year, d.month && String(d.month).padStart(2, "0"), d.day && String(d.day).padStart(2, "0")].filter(Boolean).join("-");

function causeOf(sentence: string): Cause | null {
  const hit = (patterns: RegExp[]) =>
    patterns.some((p) => {
      const m = p.exec(sentence);
      return m !== null && !negated.test(sentence.slice(0, m.index));
    });
  const a = hit(accidental);
  const i = hit(inflicted);
  // Both in one sentence ("I said I fell, but he pushed me") explains itself: no side to take.
  if (a === i) return null;
  return a ? "accidental" : "inflicted";
}

function partsIn(sentence: string): string[] {
  const words = sentence.toLowerCase().match(/\p{L}+/gu) ?? [];
  return [...new Set(words.map((w) => bodyParts[w]).filter((p): p is string => p !== undefined))];
}

/**
 * Each sentence of each chunk with its cause, body parts and dates. A sentence with no date or
 * body part of its own takes those of the sentence before it on the same page ("One night in
 * March 2019 he broke my wrist. I told the nurse I fell.": the fall is that night's).
 * Overlapping chunks repeat sentences; each is kept once per document and page.
 */
export function statementsOf(chunks: SourceChunk[], dateOf?: (placeholder: string) => string | undefined): Statement[] {
  const seen = new Set<string>();
  const out: Statement[] = [];
  for (const c of chunks) {
    let before: { parts: string[]; dates: EventDate[] } = { parts: [], dates: [] };
    for (const raw of sentencesOf(c.text.replace(/\s+/g, " "))) {
      const quote = raw.trim();
      const own = { parts: partsIn(quote), dates: datesIn(quote, dateOf) };
      const context = { parts: own.parts.length ? own.parts : before.parts, dates: own.dates.length ? own.dates : before.dates };
      before = context;
      const key = `${c.file}\0${c.page}\0${quote}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ file: c.file, page: c.page, chunk: c.id, quote, cause: causeOf(quote), bodyParts: context.parts, dates: context.dates });
    }
  }
  return out;
}

/** Whether two statements tell one event, and how: a shared body part with dates that allow it, or the same month. */
function sameEvent(a: Statement, b: Statement): string | undefined {
  const parts = a.bodyParts.filter((p) => b.bodyParts.includes(p));
  const datesAgree = a.dates.length === 0 || b.dates.length === 0 || a.dates.some((x) => b.dates.some((y) => compatible(x, y)));
  const sharedMonth = a.dates.find((x) => x.month !== undefined && b.dates.some((y) => y.month !== undefined && compatible(x, y)));
  if (parts.length && datesAgree) return [parts.join(", "), sharedMonth && formatDate(sharedMonth)].filter(Boolean).join(", ");
  if (sharedMonth) return formatDate(sharedMonth);
  return undefined;
}

const quoteOf = (s: Statement): Quote => ({ file: s.file, page: s.page, chunk: s.chunk, quote: s.quote });

/**
 * Every pair of documents that tell one event with an accidental cause in one and an inflicted
 * cause in the other, and every injury both call inflicted but date differently.
 */
export function findContradictions(
  chunks: SourceChunk[],
  options: { dateOf?: (placeholder: string) => string | undefined; max?: number } = {},
): Contradiction[] {
  const statements = statementsOf(chunks, options.dateOf);
  const out: Contradiction[] = [];
  const seen = new Set<string>();
  const add = (c: Contradiction) => {
    const key = `${c.kind}\0${c.first.file}\0${c.first.quote}\0${c.second.file}\0${c.second.quote}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(c);
    }
  };
  for (const a of statements.filter((s) => s.cause === "accidental")) {
    for (const b of statements.filter((s) => s.cause === "inflicted" && s.file !== a.file)) {
      const event = sameEvent(a, b);
      if (event) add({ kind: "cause", event, first: quoteOf(a), second: quoteOf(b) });
    }
  }
  const hurt = statements.filter((s) => s.cause === "inflicted" && s.bodyParts.length && s.dates.length);
  for (const [i, a] of hurt.entries()) {
    for (const b of hurt.slice(i + 1)) {
      if (a.file === b.file) continue;
      const parts = a.bodyParts.filter((p) => b.bodyParts.includes(p));
      if (!parts.length || a.dates.some((x) => b.dates.some((y) => compatible(x, y)))) continue;
      add({
        kind: "date",
        event: `${parts.join(", ")}: ${a.dates.map(formatDate).join(", ")} against ${b.dates.map(formatDate).join(", ")}`,
        first: quoteOf(a),
        second: quoteOf(b),
      });
    }
  }
  return out.slice(0, options.max ?? 50);
}
