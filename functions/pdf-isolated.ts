/**
 * Reads a PDF under limits, so a PDF bomb costs a clear error instead of the machine: a
 * small file with ten thousand pages, a page whose MediaBox would render to gigapixels, a
 * structure that makes the parser allocate without end or loop for hours. The page count
 * and rendered area are checked before the work they would cause; the parse runs in a
 * worker thread with a heap limit and a deadline, so under `affiant serve` (where Extract
 * runs inside the server) it cannot take running executions down with it. In Lambda the
 * worker's file is not in the bundle and the read runs in-process: the invocation's own
 * memory and timeout are the isolation there.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { DocumentTooLargeError } from "../core/errors.ts";
import { readPdf, type PdfReadResult } from "./pdf-read.mjs";

export interface PdfLimits {
  /** Pages in one PDF. Default 500: case files are letters, reports, certificates. */
  maxPagesPerDocument: number;
  /** Pages over all the case's PDFs. Default 2,000. */
  maxPagesPerCase: number;
  /** Pixels of one page rendered for OCR. Default 40 M: an A0 sheet at the OCR scale is 32 M, a Letter page 1.9 M. */
  maxPagePixels: number;
  /** Scale pages are rendered at for OCR. Default 2. */
  renderScale: number;
  /** Heap of the thread that parses one PDF, in MB. Default 512. */
  heapMb: number;
  /** Time to read one PDF, OCR included, in seconds. Default 300. */
  deadlineSeconds: number;
}

export const pdfLimits: PdfLimits = {
  maxPagesPerDocument: 500,
  maxPagesPerCase: 2000,
  maxPagePixels: 40_000_000,
  renderScale: 2,
  heapMb: 512,
  deadlineSeconds: 300,
};

export type PdfRead = Extract<PdfReadResult, { kind: "ok" }>;

const workerUrl = new URL("./pdf-read-worker.mjs", import.meta.url);

/**
 * The pages' text and a PNG of each page without text; DocumentTooLarge (naming the file
 * and the limit) past any limit. `maxPages` is what is left of the case's page budget.
 */
export async function readPdfLimited(file: string, data: Uint8Array, limits: PdfLimits, maxPages: { value: number; scope: string }): Promise<PdfRead> {
  const readLimits = { maxPages: maxPages.value, maxPagePixels: limits.maxPagePixels, renderScale: limits.renderScale };
  const inWorker = workerUrl.protocol === "file:" && existsSync(fileURLToPath(workerUrl));
  const result = inWorker ? await inWorkerThread(file, data, readLimits, limits) : await readPdf(data, readLimits);
  if (result.kind === "tooLarge" && result.limit === "pages") {
    throw new DocumentTooLargeError(`${file}: ${result.value} pages, over the limit of ${maxPages.value} ${maxPages.scope}`, { file });
  }
  if (result.kind === "tooLarge") {
    throw new DocumentTooLargeError(`${file}: page ${result.page} would render at ${result.value} pixels, over the limit of ${limits.maxPagePixels} pixels a page`, { file, page: result.page });
  }
  if (result.kind === "error") throw Object.assign(new Error(result.message), { name: result.name });
  return result;
}

function inWorkerThread(file: string, data: Uint8Array, readLimits: { maxPages: number; maxPagePixels: number; renderScale: number }, limits: PdfLimits): Promise<PdfReadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, {
      workerData: { data, limits: readLimits },
      resourceLimits: { maxOldGenerationSizeMb: limits.heapMb, maxYoungGenerationSizeMb: Math.min(64, limits.heapMb) },
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new DocumentTooLargeError(`${file}: reading it took longer than the limit of ${limits.deadlineSeconds} seconds a document`, { file })));
      void worker.terminate();
    }, limits.deadlineSeconds * 1000);
    worker.once("message", (result: PdfReadResult) => settle(() => resolve(result)));
    worker.once("error", (err: Error & { code?: string }) => {
      if (err.code === "ERR_WORKER_OUT_OF_MEMORY") {
        settle(() => reject(new DocumentTooLargeError(`${file}: reading it needed more than the limit of ${limits.heapMb} MB of heap`, { file })));
      } else settle(() => reject(err));
    });
    worker.once("exit", (code) => settle(() => reject(new Error(`the PDF reader thread exited (${code}) without an answer`))));
  });
}
