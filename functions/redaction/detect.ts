/**
 * PII detection for immigration case files. The rules know what generic detectors
 * (Comprehend, Presidio) do not: A-numbers in their written forms and USCIS receipt
 * numbers. Legal vocabulary (8 U.S.C. § 1154, INA § 101(a)(15)(T), I-914, USCIS) is
 * never matched: every numeric rule is anchored on its own shape or a labelling word
 * (identifiers.ts). People come from case.json and from the finder (people.ts); both are
 * matched folded (names.ts), so ALL CAPS and missing accents are the same name. A place
 * attached to an agency ("Harris County Sheriff's Office") is never a name nobody listed
 * (agencies.ts).
 */
import { agencySpans } from "./agencies.ts";
import { stopWords } from "./cues.ts";
import { escapeRegExp, fold } from "./fold.ts";
import { identifierRules } from "./identifiers.ts";
import { detectKnownPeople, withDiscovered } from "./names.ts";
import { findPeople } from "./people.ts";

export type EntityType =
  | "PERSON"
  | "ORG"
  | "A_NUMBER"
  | "RECEIPT_NUMBER"
  | "SSN"
  | "ITIN"
  | "ADMISSION_NUMBER"
  | "PASSPORT"
  | "INCIDENT_NUMBER"
  | "CASE_NUMBER"
  | "BADGE_NUMBER"
  | "DRIVERS_LICENSE"
  | "LICENSE_PLATE"
  | "PHONE"
  | "EMAIL"
  | "DATE_OF_BIRTH"
  | "DATE"
  | "ADDRESS"
  | "ZIP"
  /** A document's file name (Redact gives each its own; detectors never find one). */
  | "DOCUMENT";

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
  /** Found in the text by the person finder, not listed in case.json. */
  discovered?: boolean;
}

export interface DetectOptions {
  /** Find people no list gave (compromise, cues, the gazetteer) and redact them too. Default: true. */
  discover?: boolean;
}

/** A capitalised word that is never a name here, even when a generic detector says so. */
export const isNotName = (word: string) => stopWords.has(fold(word));

export function detectPii(text: string, people: KnownPerson[] = [], options: DetectOptions = {}): Detection[] {
  const found: Detection[] = [];
  for (const rule of identifierRules) {
    rule.pattern.lastIndex = 0;
    for (const m of text.matchAll(rule.pattern)) {
      const group = rule.group ?? 0;
      const value = m[group];
      if (value === undefined || m.index === undefined || (rule.accept && !rule.accept(value))) continue;
      const start = m.index + (group === 0 ? 0 : m[0].indexOf(value));
      found.push({ type: rule.type, start, end: start + value.length, canonical: (rule.canonical ?? ((v: string) => v))(value) });
    }
  }
  const everyone = options.discover === false ? people : withDiscovered(people, findPeople(text));
  found.push(...detectKnownPeople(text, everyone, { shielded: agencySpans(text) }));
  return resolveOverlaps(found);
}

/** Types whose digits are not an identifier of their own (a date's, an address's). */
export const noDigitForm = new Set(["PERSON", "ORG", "DATE", "DATE_OF_BIRTH", "ADDRESS", "DOCUMENT", "EMAIL"]);

export interface VaultDetection extends Detection {
  placeholder: string;
}

/**
 * The vault's own values in a text, each under its placeholder: compared folded (any case,
 * no accents, any punctuation or spacing between words), numbers by their digits (spaces,
 * dots, dashes, none; an A-number with or without its "A"), a person also by each part of
 * the name in any case, even where an everyday word spells it ("santos", "cruz", "río"): the
 * vault knows these are the case's people, so free text fails closed on them (a note loses
 * a word's sense now and then; documents keep the everyday reading, detectKnownPeople).
 */
export function detectVaultValues(text: string, vault: Map<string, string>): VaultDetection[] {
  const folded = fold(text);
  const found: VaultDetection[] = [];
  const typeOf = (placeholder: string) => placeholder.replace(/^\[|_\d+\]$/g, "");
  for (const [placeholder, raw] of vault) {
    const value = raw.trim();
    if (value.length < 2) continue;
    const type = typeOf(placeholder);
    if (type === "PERSON") {
      for (const d of detectKnownPeople(text, [{ name: value }], { everyPart: true })) found.push({ ...d, placeholder });
      continue;
    }
    const words = fold(value)
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean);
    if (words.length) {
      const re = new RegExp(`(?<![\\p{L}\\p{N}])${words.map(escapeRegExp).join("[^\\p{L}\\p{N}]+")}(?![\\p{L}\\p{N}])`, "gu");
      for (const m of folded.matchAll(re))
        found.push({ type: type as EntityType, start: m.index!, end: m.index! + m[0].length, canonical: value, placeholder });
    }
    const digits = value.replace(/\D/g, "");
    if (digits.length >= 5 && !noDigitForm.has(type)) {
      const letter = type === "A_NUMBER" ? "(?:(?<![\\p{L}\\p{N}])a\\s?[#.-]?\\s?)?" : "";
      const re = new RegExp(`${letter}(?<!\\d)${[...digits].join("[\\s.()/#-]{0,2}")}(?!\\d)`, "gu");
      for (const m of folded.matchAll(re))
        found.push({ type: type as EntityType, start: m.index!, end: m.index! + m[0].length, canonical: value, placeholder });
    }
  }
  return resolveOverlaps(found) as VaultDetection[];
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
  const ordered = found.map((d, i) => ({ d, i })).sort((a, b) => b.d.end - b.d.start - (a.d.end - a.d.start) || a.i - b.i);
  const kept: Detection[] = [];
  for (const { d } of ordered) {
    if (kept.some((k) => d.start < k.end && k.start < d.end)) continue;
    kept.push(d);
  }
  return kept.sort((a, b) => a.start - b.start);
}
