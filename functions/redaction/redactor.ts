/**
 * Typed, numbered placeholders that stay stable across every document of a case: the
 * same A-number is `[A_NUMBER_1]` in the intake notes and in the police report.
 */
import { type Detection, detectPii, type EntityType, type KnownPerson, mergeDetections } from "./detect.ts";
import { withDiscovered } from "./names.ts";
import { findPeople } from "./people.ts";

export interface RedactedEntity {
  type: EntityType;
  placeholder: string;
  start: number;
  end: number;
}

export interface RedactionResult {
  text: string;
  entities: RedactedEntity[];
}

/** Any placeholder Affiant could have written: `[PERSON_3]`, `[A_NUMBER_1]`. */
export const placeholderPattern = /\[([A-Z]+(?:_[A-Z]+)*)_(\d+)\]/g;

export class Redactor {
  private readonly byCanonical = new Map<string, string>();
  private readonly counters = new Map<EntityType, number>();
  /** placeholder → the first real spelling seen, which re-injection puts back. */
  readonly mapping = new Map<string, string>();
  /** Spans redacted because a secondary detector (Comprehend) found them and the rules did not. */
  secondaryDetections = 0;

  private people: KnownPerson[];
  /** Names the finder found in texts `learn` read, so `redact` need not read them again. */
  private readonly learned = new Map<string, string[]>();

  constructor(people: KnownPerson[] = []) {
    this.people = [...people].sort((a, b) => b.name.length - a.name.length);
  }

  /**
   * Reads every text of a case for people nobody listed before any is redacted, so a name
   * first met on page 9 is redacted on page 1 too, under one placeholder.
   */
  learn(texts: Iterable<string>): void {
    for (const text of texts) {
      if (this.learned.has(text)) continue;
      const found = findPeople(text);
      this.learned.set(text, found);
      this.people = withDiscovered(this.people, found);
    }
  }

  /** People known now: the listed ones, then those found; counts for reports. */
  peopleFound(): number {
    return this.people.filter((p) => p.discovered).length;
  }

  /** `extra`: a secondary detector's spans in `text`; they only add where the rules found nothing. */
  redact(text: string, extra: Detection[] = []): RedactionResult {
    this.learn([text]);
    const local = detectPii(text, this.people, { discover: false });
    const detections = extra.length ? mergeDetections(local, extra) : local;
    this.secondaryDetections += detections.length - local.length;
    const entities: RedactedEntity[] = [];
    let out = "";
    let cursor = 0;
    for (const d of detections) {
      const placeholder = this.placeholderFor(d, text.slice(d.start, d.end));
      out += text.slice(cursor, d.start);
      const start = out.length;
      out += placeholder;
      entities.push({ type: d.type, placeholder, start, end: out.length });
      cursor = d.end;
    }
    out += text.slice(cursor);
    return { text: out, entities };
  }

  /**
   * A document's file name, as the prompts and chunk ids will carry it: `[DOCUMENT_1]`.
   * File names hold clients' names ("maria-vela-police-report.pdf"); re-injection puts the
   * real one back in the declaration's citations.
   */
  document(file: string): string {
    return this.placeholderFor({ type: "DOCUMENT", start: 0, end: file.length, canonical: file }, file);
  }

  private placeholderFor(d: Detection, original: string): string {
    const key = `${d.type}|${d.canonical}`;
    let placeholder = this.byCanonical.get(key);
    if (!placeholder) {
      const n = (this.counters.get(d.type) ?? 0) + 1;
      this.counters.set(d.type, n);
      placeholder = `[${d.type}_${n}]`;
      this.byCanonical.set(key, placeholder);
      this.mapping.set(placeholder, d.display ?? original);
    }
    return placeholder;
  }

  /**
   * Numbers new placeholders after the ones a vault already holds, so text redacted later in a
   * run (the attorney's facts from the client) adds to the vault without reusing a placeholder.
   */
  continueFrom(placeholders: Iterable<string>): this {
    for (const p of placeholders) {
      const m = /^\[([A-Z]+(?:_[A-Z]+)*)_(\d+)\]$/.exec(p);
      if (!m) continue;
      const type = m[1] as EntityType;
      this.counters.set(type, Math.max(this.counters.get(type) ?? 0, Number(m[2])));
    }
    return this;
  }

  /** Counts per type, for logs and reports (never values). */
  entityCounts(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }
}
