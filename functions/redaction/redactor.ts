/**
 * Typed, numbered placeholders that stay stable across every document of a case: the
 * same A-number is `[A_NUMBER_1]` in the intake notes and in the police report.
 */
import { detectPii, mergeDetections, type Detection, type EntityType, type KnownPerson } from "./detect.ts";

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

  constructor(private readonly people: KnownPerson[] = []) {}

  /** `extra`: a secondary detector's spans in `text`; they only add where the rules found nothing. */
  redact(text: string, extra: Detection[] = []): RedactionResult {
    const local = detectPii(text, this.people);
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

  /** Counts per type, for logs and reports (never values). */
  entityCounts(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }
}
