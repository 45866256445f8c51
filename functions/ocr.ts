/**
 * OCR for pages without a text layer (scans of police reports, certificates, letters):
 * pdf-parse renders the page, tesseract.js reads it with the English and Spanish data that
 * ship as npm packages, so nothing is downloaded at run time. In AWS, Amazon Textract is the
 * intended reader (not wired in yet); this path runs wherever the function runs.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { createWorker, type Worker } from "tesseract.js";

const require = createRequire(import.meta.url);

export type OcrLanguage = "eng" | "spa";

function langPath(lang: OcrLanguage): string {
  return path.join(path.dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`)), "4.0.0_best_int");
}

export interface OcrResult {
  text: string;
  /** Tesseract's mean word confidence, 0-100. */
  confidence: number;
}

/** One tesseract worker per document; `dispose()` is safe twice. */
export class PageReader {
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
