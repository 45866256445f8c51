/**
 * Amazon Comprehend's DetectPiiEntities as a second opinion in Redact (AWS). It may ADD
 * spans, never replace the rules: it knows no A-numbers or USCIS receipt numbers, and it
 * would label incident dates and agency names that a declaration must keep. So only the
 * types it is good at and that we have placeholders for are taken, above a score:
 *   NAME → PERSON, ADDRESS → ADDRESS, PHONE → PHONE, EMAIL → EMAIL, SSN → SSN,
 *   PASSPORT_NUMBER → PASSPORT.
 * DATE_TIME is not taken: dates of events are evidence; dates of birth are found by the
 * rules' cue words. Where the rules found anything overlapping, the rules win.
 * DetectPiiEntities supports English and Spanish only, which are the case languages.
 * Text is sent in chunks under the API's 100 KB UTF-8 limit; offsets come back in Unicode
 * code points and are mapped to JavaScript string indexes.
 */
import { ComprehendClient, DetectPiiEntitiesCommand, type PiiEntity } from "@aws-sdk/client-comprehend";
import { config, type Env } from "../../core/config.ts";
import { InvalidInputError } from "../../core/errors.ts";
import { awsServiceError } from "../aws-failure.ts";
import { agencySpans, insideAny } from "./agencies.ts";
import { type Detection, type EntityType, isNotName } from "./detect.ts";

/** Comprehend's PII types we take, and the placeholder type each becomes. */
export const comprehendTypes: Readonly<Record<string, EntityType>> = {
  NAME: "PERSON",
  ADDRESS: "ADDRESS",
  PHONE: "PHONE",
  EMAIL: "EMAIL",
  SSN: "SSN",
  PASSPORT_NUMBER: "PASSPORT",
};

const canonical: Partial<Record<EntityType, (v: string) => string>> = {
  PERSON: (v) => `person:${v.toLowerCase().replace(/\s+/g, " ")}`,
  ADDRESS: (v) => v.toLowerCase().replace(/\s+/g, " "),
  PHONE: (v) => v.replace(/\D/g, "").slice(-10),
  EMAIL: (v) => v.toLowerCase(),
  SSN: (v) => v.replace(/\D/g, ""),
  PASSPORT: (v) => v.toUpperCase(),
};

export interface ComprehendDetectorOptions {
  /** Default: a client from the standard AWS environment (`AWS_ENDPOINT_URL_COMPREHEND` overrides the endpoint). */
  client?: ComprehendClient;
  /** Spans scored below this are ignored. Default: `AFFIANT_COMPREHEND_MIN_SCORE`, else 0.8. */
  minScore?: number;
  /** Most UTF-8 bytes per request. Default: 99,000 (the API's limit is 100 KB). */
  maxBytes?: number;
  /** Per-request deadline. Default: 30 s. */
  timeoutMs?: number;
}

export interface PageRef {
  file: string;
  page: number;
}

/** Whether Redact asks Comprehend: `AFFIANT_COMPREHEND=1|0`; by default only inside Lambda. */
export function comprehendEnabled(env?: Env): boolean {
  const c = config(env);
  return c.AFFIANT_COMPREHEND ?? Boolean(c.AWS_LAMBDA_FUNCTION_NAME);
}

/** Splits text into chunks of at most `maxBytes` UTF-8 bytes, at whitespace where it can. */
export function chunkText(text: string, maxBytes: number): Array<{ offset: number; text: string }> {
  const chunks: Array<{ offset: number; text: string }> = [];
  let start = 0;
  while (start < text.length) {
    let bytes = 0;
    let end = start;
    let lastSpace = -1;
    while (end < text.length) {
      const cp = text.codePointAt(end)!;
      const width = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + width > maxBytes) break;
      bytes += width;
      end += cp > 0xffff ? 2 : 1;
      if (/\s/.test(String.fromCodePoint(cp))) lastSpace = end;
    }
    // Cutting at whitespace keeps a name or an address whole in one request.
    if (end < text.length && lastSpace > start) end = lastSpace;
    chunks.push({ offset: start, text: text.slice(start, end) });
    start = end;
  }
  return chunks;
}

/** Code-point offset → string index, for text that may hold characters outside the BMP. */
function indexOfCodePoint(text: string): (cp: number) => number {
  if (!/[\uD800-\uDBFF]/.test(text)) return (cp) => cp;
  const table: number[] = [];
  for (let i = 0; i < text.length; i += text.codePointAt(i)! > 0xffff ? 2 : 1) table.push(i);
  table.push(text.length);
  return (cp) => table[Math.min(cp, table.length - 1)]!;
}

export class ComprehendDetector {
  private readonly client: ComprehendClient;
  private readonly ownsClient: boolean;
  readonly minScore: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  /** Requests sent so far (for the log line). */
  calls = 0;

  constructor(options: ComprehendDetectorOptions = {}) {
    this.ownsClient = !options.client;
    this.client = options.client ?? new ComprehendClient({ maxAttempts: 4, retryMode: "standard" });
    this.minScore = options.minScore ?? config().AFFIANT_COMPREHEND_MIN_SCORE ?? 0.8;
    if (!(this.minScore >= 0 && this.minScore <= 1))
      throw new InvalidInputError(`AFFIANT_COMPREHEND_MIN_SCORE must be between 0 and 1`, { state: "Redact" });
    this.maxBytes = options.maxBytes ?? 99_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Comprehend's spans in `text` of the types we take; any failure is Affiant.AwsServiceError (fail closed). */
  async detect(text: string, language: "en" | "es", where: PageRef): Promise<Detection[]> {
    const out: Detection[] = [];
    for (const chunk of chunkText(text, this.maxBytes)) {
      if (chunk.text.trim().length === 0) continue;
      let entities: PiiEntity[];
      try {
        this.calls++;
        const res = await this.client.send(new DetectPiiEntitiesCommand({ Text: chunk.text, LanguageCode: language }), {
          abortSignal: AbortSignal.timeout(this.timeoutMs),
        });
        entities = res.Entities ?? [];
      } catch (err) {
        // Fail closed: a Redact told to use Comprehend must not pass on less-redacted text.
        throw awsServiceError("comprehend", "DetectPiiEntities", err, { state: "Redact", ...where });
      }
      const toIndex = indexOfCodePoint(chunk.text);
      const agencies = agencySpans(chunk.text);
      for (const e of entities) {
        const type = e.Type ? comprehendTypes[e.Type] : undefined;
        if (!type || (e.Score ?? 0) < this.minScore || e.BeginOffset === undefined || e.EndOffset === undefined) continue;
        const start = toIndex(e.BeginOffset);
        const end = toIndex(e.EndOffset);
        const value = chunk.text.slice(start, end);
        if (end <= start || value.trim().length === 0) continue;
        if (type === "PERSON" && value.split(/\s+/).every((w) => isNotName(w))) continue;
        // A place in an agency's name ("Houston" in "Houston Police Department") is not a person.
        if (type === "PERSON" && insideAny(agencies, start, end)) continue;
        out.push({ type, start: chunk.offset + start, end: chunk.offset + end, canonical: (canonical[type] ?? ((v: string) => v))(value) });
      }
    }
    return out;
  }

  private disposed = false;

  /** Safe to call twice; a client passed in is left to its owner. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.ownsClient) this.client.destroy();
  }
}
