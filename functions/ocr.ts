/**
 * OCR for pages without a text layer (scans of police reports, certificates, letters).
 * pdf-parse renders the page; a reader turns the PNG into text. Locally that is tesseract.js
 * with the English and Spanish data that ship as npm packages, so nothing is downloaded at
 * run time; in AWS it is Amazon Textract (`textract-reader.ts`). `openPageReader` picks.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { createWorker, type Worker } from "tesseract.js";
import { config, type Env } from "../core/config.ts";

const require = createRequire(import.meta.url);

export type OcrLanguage = "eng" | "spa";
export type OcrEngine = "tesseract" | "textract";

function langPath(lang: OcrLanguage): string {
  return path.join(path.dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`)), "4.0.0_best_int");
}

export interface OcrResult {
  text: string;
  /** Mean word confidence, 0-100, whichever engine read the page. */
  confidence: number;
}

/** Where a page came from, so a reader's errors can name it. */
export interface OcrPageRef {
  file: string;
  page: number;
}

export interface OcrReader {
  readonly engine: OcrEngine;
  read(png: Uint8Array, where?: OcrPageRef): Promise<OcrResult>;
  /** Safe to call twice. */
  dispose(): Promise<void>;
}

/** Tesseract: one worker per reader, started on the first page; `dispose()` is safe twice. */
export class PageReader implements OcrReader {
  readonly engine = "tesseract" as const;
  private worker: Promise<Worker> | undefined;
  private disposed = false;

  /** The case's language: each language's data ships in its own package (one langPath). */
  constructor(readonly language: OcrLanguage = "eng") {}

  private open(): Promise<Worker> {
    this.worker ??= createWorker(this.language, 1, { langPath: langPath(this.language), gzip: true, cacheMethod: "none" });
    return this.worker;
  }

  async read(png: Uint8Array): Promise<OcrResult> {
    const worker = await this.open();
    const { data } = await worker.recognize(Buffer.from(png));
    return { text: data.text.trim(), confidence: Math.round(data.confidence) };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.worker) await (await this.worker).terminate();
  }
}

/**
 * The engine for this process: `AFFIANT_OCR` when set; otherwise Textract inside Lambda
 * (`AWS_LAMBDA_FUNCTION_NAME` is set there) and tesseract everywhere else.
 */
export function ocrEngine(env?: Env): OcrEngine {
  const c = config(env);
  return c.AFFIANT_OCR ?? (c.AWS_LAMBDA_FUNCTION_NAME ? "textract" : "tesseract");
}

/**
 * Tesseract readers shared by every execution while someone holds them (the local engine,
 * for its lifetime). Starting a tesseract worker per execution costs about 0.7 s, and each
 * started-then-terminated worker thread leaves native memory behind: over a backfill the
 * engine's RSS crept while its JS heap stayed flat. One worker per language, kept, does not.
 */
const shared = { holds: new Set<symbol>(), readers: new Map<OcrLanguage, PageReader>() };

/** Shares tesseract readers until the returned function is called (safe to call twice). */
export function holdSharedPageReaders(): () => Promise<void> {
  const key = Symbol("ocr");
  shared.holds.add(key);
  return async () => {
    if (!shared.holds.delete(key) || shared.holds.size > 0) return;
    const readers = [...shared.readers.values()];
    shared.readers.clear();
    await Promise.all(readers.map((r) => r.dispose()));
  };
}

/** A lease on a shared reader: reads go to it (tesseract.js queues concurrent jobs); dispose lets go of nothing. */
function sharedPageReader(language: OcrLanguage): OcrReader {
  let reader = shared.readers.get(language);
  if (!reader) shared.readers.set(language, (reader = new PageReader(language)));
  const held = reader;
  return { engine: "tesseract", read: (png) => held.read(png), dispose: async () => undefined };
}

export async function openPageReader(language: OcrLanguage, env?: Env): Promise<OcrReader> {
  if (ocrEngine(env) === "tesseract") return shared.holds.size > 0 ? sharedPageReader(language) : new PageReader(language);
  // Loaded only when chosen: local runs never pay for the SDK.
  const { TextractReader } = await import("./textract-reader.ts");
  return new TextractReader();
}
