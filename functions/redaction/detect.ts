/**
 * PII detection for immigration case files. The rules know what generic detectors
 * (Comprehend, Presidio) do not: A-numbers in their written forms and USCIS receipt
 * numbers. Legal vocabulary (8 U.S.C. § 1154, INA § 101(a)(15)(T), I-914, USCIS) is
 * never matched: every numeric rule is anchored on its own shape or a labelling word.
 */

export type EntityType =
  | "PERSON"
  | "ORG"
  | "A_NUMBER"
  | "RECEIPT_NUMBER"
  | "SSN"
  | "PASSPORT"
  | "PHONE"
  | "EMAIL"
  | "DATE_OF_BIRTH"
  | "ADDRESS"
  | "ZIP";

export interface Detection {
  type: EntityType;
  start: number;
  end: number;
  /** Canonical value: two spellings of one A-number or one person share a placeholder. */
  canonical: string;
  /** What re-injection writes back, when it is not the matched text (a known full name). */
  display?: string;
}

export interface KnownPerson {
  name: string;
  /** ORG for employers and companies named as parties. */
  type?: "PERSON" | "ORG";
}

interface Rule {
  type: EntityType;
  pattern: RegExp;
  /** Capture group holding the value; 0 for the whole match. */
  group?: number;
  canonical?: (value: string) => string;
}

const digits = (v: string) => v.replace(/\D/g, "");
const month = "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)";
const datePattern = `(?:\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{2,4}|\\d{4}-\\d{2}-\\d{2}|${month}\\.?\\s+\\d{1,2},?\\s+\\d{4}|\\d{1,2}\\s+(?:de\\s+)?${month}\\s+(?:de\\s+)?\\d{4})`;
const streetSuffix = "(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|Terrace|Circle|Highway|Hwy|Parkway|Pkwy|Calle|Avenida|Camino)";

// Order matters: earlier rules win overlaps (an SSN is not also a phone number).
const rules: Rule[] = [
  { type: "EMAIL", pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, canonical: (v) => v.toLowerCase() },
  {
    type: "RECEIPT_NUMBER",
    pattern: /\b(?:EAC|WAC|LIN|SRC|IOE|MSC|NBC|YSC)(?:[\s-]?\d){10}\b/g,
    canonical: (v) => v.slice(0, 3).toUpperCase() + digits(v),
  },
  {
    // A123456789, A-123-456-789, A# 123 456 789, A 12345678: the letter is part of the number.
    // A group may wrap onto the next line in extracted text ("A-123-456-\n789").
    type: "A_NUMBER",
    pattern: /\bA\s?(?:#|No\.?|-)?\s?(?:\d(?:[\s-]|-\n)?){7,8}\d\b/g,
    canonical: (v) => digits(v).padStart(9, "0"),
  },
  {
    // "A-Number: 123-456-789", "número A: 123456789": the label stays, the digits go.
    type: "A_NUMBER",
    pattern: /\b(?:A-?Number:?\s*|A-?Nr\.?:?\s*|n[úu]mero\s+A:?\s*)((?:\d(?:[\s-]|-\n)?){7,8}\d)\b/gi,
    group: 1,
    canonical: (v) => digits(v).padStart(9, "0"),
  },
  { type: "SSN", pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g, canonical: digits },
  { type: "SSN", pattern: /\b(?:SSN|Social Security(?: No\.?| Number)?|Seguro Social):?\s*(\d{9}|\d{3}\s\d{2}\s\d{4})\b/gi, group: 1, canonical: digits },
  {
    type: "PASSPORT",
    pattern: /\b(?:passport|pasaporte)(?:\s+(?:no\.?|number|n[úu]mero|#))?\s*:?\s*((?=[A-Z0-9]*\d)[A-Z0-9]{6,9})\b/gi,
    group: 1,
    canonical: (v) => v.toUpperCase(),
  },
  {
    type: "DATE_OF_BIRTH",
    pattern: new RegExp(`\\b(?:DOB|D\\.O\\.B\\.|date of birth|birth ?date|born(?: on)?|fecha de nacimiento|naci[óo](?: el)?)\\s*:?\\s*(${datePattern})`, "gi"),
    group: 1,
  },
  {
    type: "PHONE",
    pattern: /(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b/g,
    canonical: (v) => digits(v).slice(-10),
  },
  {
    type: "ADDRESS",
    pattern: new RegExp(
      `\\b\\d{1,6}\\s+(?:[A-Z][A-Za-z]+\\s+){0,3}${streetSuffix}\\b\\.?(?:\\s+[A-Z][a-z]+){0,2}(?:,?\\s*(?:Apt|Apartment|Unit|Suite|#)\\.?\\s*[A-Za-z0-9-]+)?`,
      "g",
    ),
    canonical: (v) => v.toLowerCase().replace(/\s+/g, " "),
  },
  // A ZIP only counts after a state abbreviation ("IL 62704"): a bare five-digit number is
  // as likely a statute section or a dollar amount.
  { type: "ZIP", pattern: /\b(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[TA]|W[AVIY]|PR)\s+(\d{5}(?:-\d{4})?)\b/g, group: 1 },
];

/** Words that introduce a person's name in case files, English and Spanish. */
const personCue = /\b(?:Mr\.|Mrs\.|Ms\.|Dr\.|Ofc\.|Officer|Detective|Sgt\.|Agent|advocate|Advocate|Signed,|named|Sr\.|Sra\.|señor|señora|abogad[oa]|Client:)\s+((?:[A-Z][a-zà-ÿ'’-]+)(?:\s+[A-Z][a-zà-ÿ'’-]+){0,2})/g;

/** Capitalised words that are never names here, even after a cue (or when a generic detector says so). */
export const notNames = new Set(
  ["The", "This", "That", "Senior", "Homeland", "Security", "Investigations", "Department", "County", "Court", "Police", "Shelter", "Center", "Services", "USCIS", "DHS", "ICE", "HSI", "Form", "Supplement"],
);

export function detectPii(text: string, people: KnownPerson[] = []): Detection[] {
  const found: Detection[] = [];
  for (const rule of rules) {
    rule.pattern.lastIndex = 0;
    for (const m of text.matchAll(rule.pattern)) {
      const group = rule.group ?? 0;
      const value = m[group];
      if (value === undefined || m.index === undefined) continue;
      const start = m.index + (group === 0 ? 0 : m[0].indexOf(value));
      found.push({ type: rule.type, start, end: start + value.length, canonical: (rule.canonical ?? ((v: string) => v))(value) });
    }
  }
  found.push(...detectKnownPeople(text, people));
  for (const m of text.matchAll(personCue)) {
    const words = m[1]!.split(/\s+/).filter((w) => !notNames.has(w));
    if (words.length === 0 || m.index === undefined) continue;
    const name = words.join(" ");
    const start = m.index + m[0].indexOf(name);
    if (start < m.index) continue;
    found.push({ type: "PERSON", start, end: start + name.length, canonical: `person:${name.toLowerCase()}` });
  }
  return resolveOverlaps(found);
}

/** Full names from case.json, then each part of a name on its own ("Elena", "Marsh"). */
function detectKnownPeople(text: string, people: KnownPerson[]): Detection[] {
  const out: Detection[] = [];
  for (const person of people) {
    const canonical = `${(person.type ?? "PERSON").toLowerCase()}:${person.name.toLowerCase()}`;
    const parts = person.type === "ORG" ? [] : person.name.split(/\s+/).filter((p) => p.length >= 3);
    for (const variant of [person.name, ...parts]) {
      const re = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(variant)}(?:'s|’s)?(?![\\p{L}\\p{N}])`, "gu");
      for (const m of text.matchAll(re)) {
        if (m.index === undefined) continue;
        out.push({ type: person.type ?? "PERSON", start: m.index, end: m.index + variant.length, canonical, display: person.name });
      }
    }
  }
  return out;
}

/**
 * Adds a secondary detector's spans (Amazon Comprehend) to the rules' own: the rules always
 * win where spans overlap, so a secondary span can only add redaction, never shorten,
 * retype or renumber what the rules found.
 */
export function mergeDetections(local: Detection[], extra: Detection[]): Detection[] {
  const added = resolveOverlaps(extra).filter((d) => !local.some((k) => d.start < k.end && k.start < d.end));
  return [...local, ...added].sort((a, b) => a.start - b.start);
}

/** Keeps the longest detection where spans overlap; rule order breaks ties. */
function resolveOverlaps(found: Detection[]): Detection[] {
  const ordered = found
    .map((d, i) => ({ d, i }))
    .sort((a, b) => b.d.end - b.d.start - (a.d.end - a.d.start) || a.i - b.i);
  const kept: Detection[] = [];
  for (const { d } of ordered) {
    if (kept.some((k) => d.start < k.end && k.start < d.end)) continue;
    kept.push(d);
  }
  return kept.sort((a, b) => a.start - b.start);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
