/**
 * Reads a PDF under limits, so a PDF bomb costs a clear error instead of the machine: a
 * small file with ten thousand pages, a page whose MediaBox would render to gigapixels, a
 * structure that makes the parser allocate without end or loop for hours. The page count
 * and rendered area are checked before the work they would cause; the parse runs in a
 * child process with a heap limit and a deadline, so under `affiant serve` (where Extract
 * runs inside the server) it cannot take running executions down with it, not even by a
 * native crash or a loop in native code. A process, not a worker thread: the engine's RSS
 * crept over a backfill while its JS heap stayed flat, because each terminated thread left
 * native memory behind (bench: engine RSS after/before 20 cases); a process gives it all
 * back. In Lambda the child's file is not in the bundle and the read runs in-process: the
 * invocation's own memory and timeout are the isolation there.
 */
import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { childEnv } from "../core/config.ts";
import { DocumentTooLargeError, DocumentUnreadableError } from "../core/errors.ts";
import { type PdfReadResult, readPdf } from "./pdf-read.mjs";

export interface PdfLimits {
  /** Pages in one PDF. Default 500: case files are letters, reports, certificates. */
  maxPagesPerDocument: number;
  /** Pages over all the case's PDFs. Default 2,000. */
  maxPagesPerCase: number;
  /** Pixels of one page rendered for OCR. Default 40 M: an A0 sheet at the OCR scale is 32 M, a Letter page 1.9 M. */
  maxPagePixels: number;
  /** Scale pages are rendered at for OCR. Default 2. */
  renderScale: number;
  /** Heap of the process that parses one PDF, in MB. Default 512. */
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

const childUrl = new URL("./pdf-read-child.mjs", import.meta.url);

/**
 * The pages' text and a PNG of each page without text; DocumentTooLarge (naming the file
 * and the limit) past any limit. `maxPages` is what is left of the case's page budget.
 */
export async function readPdfLimited(
  file: string,
  data: Uint8Array,
  limits: PdfLimits,
  maxPages: { value: number; scope: string },
): Promise<PdfRead> {
  const readLimits = { maxPages: maxPages.value, maxPagePixels: limits.maxPagePixels, renderScale: limits.renderScale };
  const isolated = childUrl.protocol === "file:" && existsSync(fileURLToPath(childUrl));
  const result = isolated ? await inChildProcess(file, data, readLimits, limits) : await readPdf(data, readLimits);
  if (result.kind === "tooLarge" && result.limit === "pages") {
    throw new DocumentTooLargeError(`${file}: ${result.value} pages, over the limit of ${maxPages.value} ${maxPages.scope}`, { file });
  }
  if (result.kind === "tooLarge") {
    throw new DocumentTooLargeError(
      `${file}: page ${result.page} would render at ${result.value} pixels, over the limit of ${limits.maxPagePixels} pixels a page`,
      { file, page: result.page },
    );
  }
  if (result.kind === "error") throw Object.assign(new Error(result.message), { name: result.name });
  return result;
}

/**
 * A child forked ahead of need, so a document does not wait for Node and the PDF library to
 * start (about 0.3 s). Only one, for the heap limit it was started with; it keeps nothing
 * alive (its handles are unref'd) and exits when this process goes.
 */
let spare: { heapMb: number; child: ChildProcess; ready: Promise<boolean> } | undefined;

function forkReader(heapMb: number): { heapMb: number; child: ChildProcess; ready: Promise<boolean> } {
  const child = fork(fileURLToPath(childUrl), [], {
    // Plain JavaScript: no TypeScript loader, no flags of this process (--expose-gc, --import).
    execArgv: [`--max-old-space-size=${heapMb}`],
    // It parses untrusted files: no token, key or credential of this process goes with it.
    env: childEnv({}, { untrusted: true }),
    serialization: "advanced",
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  const ready = new Promise<boolean>((resolve) => {
    child.once("message", (m: { kind?: string }) => resolve(m?.kind === "ready"));
    child.once("exit", () => resolve(false));
    child.once("error", () => resolve(false));
  });
  release(child);
  return { heapMb, child, ready };
}

/** A spare must not keep the process alive; a child at work must. */
function release(child: ChildProcess): void {
  child.unref();
  child.channel?.unref();
  (child.stderr as Socket | null)?.unref();
}
function hold(child: ChildProcess): void {
  child.ref();
  child.channel?.ref();
  (child.stderr as Socket | null)?.ref();
}

function takeReader(heapMb: number): { child: ChildProcess; ready: Promise<boolean> } {
  const taken = spare && spare.heapMb === heapMb && spare.child.exitCode === null && spare.child.signalCode === null ? spare : undefined;
  if (spare && !taken) spare.child.kill("SIGKILL");
  spare = forkReader(heapMb);
  const reader = taken ?? forkReader(heapMb);
  hold(reader.child);
  return reader;
}

function inChildProcess(
  file: string,
  data: Uint8Array,
  readLimits: { maxPages: number; maxPagePixels: number; renderScale: number },
  limits: PdfLimits,
): Promise<PdfReadResult> {
  const { child, ready } = takeReader(limits.heapMb);
  return new Promise((resolve, reject) => {
    // V8 says on stderr that the heap ran out (then a long native stack): only that is kept.
    let heapExhausted = false;
    let carry = "";
    child.stderr?.on("data", (b: Buffer) => {
      const text = carry + b.toString("utf8");
      heapExhausted ||= /heap out of memory|Reached heap limit/i.test(text);
      carry = text.slice(-64);
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      fn();
    };
    // SIGKILL, not a request: a parser stuck in native code does not read messages.
    const timer = setTimeout(() => {
      settle(() =>
        reject(
          new DocumentTooLargeError(`${file}: reading it took longer than the limit of ${limits.deadlineSeconds} seconds a document`, {
            file,
          }),
        ),
      );
    }, limits.deadlineSeconds * 1000);
    child.on("message", (m: PdfReadResult | { kind: "ready" }) => {
      if (m.kind !== "ready") settle(() => resolve(m));
    });
    // "close", not "exit": V8's last words on stderr may still be on their way at exit.
    child.once("close", (code, signal) => {
      settle(() => {
        if (heapExhausted) {
          reject(new DocumentTooLargeError(`${file}: reading it needed more than the limit of ${limits.heapMb} MB of heap`, { file }));
        } else {
          reject(
            new DocumentUnreadableError(`${file}: the PDF reader process ended (${signal ?? `exit ${code}`}) without an answer`, { file }),
          );
        }
      });
    });
    void ready.then((ok) => {
      if (ok && !settled) child.send({ data, limits: readLimits });
    });
  });
}
