/**
 * OCR for pages without a text layer (scans of police reports, certificates, letters).
 * pdf-parse renders the page; a reader turns the PNG into text. Locally that is tesseract.js
 * with the English and Spanish data that ship as npm packages, so nothing is downloaded at
 * run time; in AWS it is Amazon Textract (`textract-reader.ts`). `openPageReader` picks.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { createWorker, type Worker } from "tesseract.js";
import { config, type Env } from "../core/config.ts";

const require = createRequire(import.meta.url);

/** Tesseract's language codes; `spa+eng` reads a page with both models at once. */
export type OcrLanguage = "eng" | "spa" | "spa+eng";
export type OcrEngine = "tesseract" | "textract";

const dataVariant = "4.0.0_best_int";
const dataDir = (code: string) => path.join(path.dirname(require.resolve(`@tesseract.js-data/${code}/package.json`)), dataVariant);

/**
 * The folder tesseract.js reads `<code>.traineddata.gz` from. It takes one folder for all of a
 * worker's languages and each language ships in its own package, so a combination gets a
 * folder of its own (links to the packages' files, made once per process under the temp dir,
 * which Lambda allows). tesseract.js's other route, data handed over as bytes, names the
 * languages wrongly when it initialises (7.0.0 joins the bytes, not the codes).
 */
export function langPath(language: OcrLanguage): string {
  const codes = language.split("+");
  if (codes.length === 1) return dataDir(codes[0]!);
  const dir = path.join(tmpdir(), `affiant-tessdata-${dataVariant}-${codes.join("+")}`);
  for (const code of codes) {
    const file = path.join(dir, `${code}.traineddata.gz`);
    if (existsSync(file)) continue;
    mkdirSync(dir, { recursive: true });
    // Linked (or copied where links are refused) under a temporary name, then renamed: two
    // processes making the folder at once never see half a file.
    const temp = `${file}.${process.pid}.tmp`;
    try {
      symlinkSync(path.join(dataDir(code), `${code}.traineddata.gz`), temp);
    } catch {
      copyFileSync(path.join(dataDir(code), `${code}.traineddata.gz`), temp);
    }
    renameSync(temp, file);
  }
  return dir;
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

  /** The case's languages: each language's data ships in its own package (see langPath). */
  constructor(readonly language: OcrLanguage = "eng") {}

  private open(): Promise<Worker> {
    this.worker ??= createWorker(this.language.split("+"), 1, { langPath: langPath(this.language), gzip: true, cacheMethod: "none" });
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
