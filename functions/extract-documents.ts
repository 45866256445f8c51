/**
 * Extract (Lambda): every PDF of the case to page-numbered text, kept for citations.
 * Also normalises the execution input into the pipeline state, so a run started from the
 * console with only `{"caseId": …}` gets the same defaults as one started by the CLI.
 */
import { z } from "zod";
import { type BlobStore, blobStore, getJson, openBlobStore, putJson } from "../core/blob-store.ts";
import {
  checkListedFiles,
  type DocumentLanguage,
  type DocumentRole,
  declaredLanguage,
  detectLanguage,
  orderCaseFiles,
  roleOf,
} from "../core/case-documents.ts";
import { type CaseFile, caseFileSchema, caseKeys, documentLabel } from "../core/case-file.ts";
import { DocumentTooLargeError, DocumentUnreadableError, InvalidInputError } from "../core/errors.ts";
import { faultsSchema } from "../core/faults.ts";
import { log } from "../core/log.ts";
import { type PipelineState, pipelineVersion } from "../core/pipeline-state.ts";
import { loadRegistry } from "../core/registry.ts";
import { promptVersion } from "../core/stages/prompts.ts";
import { withTelemetry } from "../core/telemetry.ts";
import { type OcrEngine, type OcrReader, openPageReader } from "./ocr.ts";
import { type PdfLimits, pdfLimits, readPdfLimited } from "./pdf-isolated.ts";
import { putSealedJson } from "./redaction/sealed-json.ts";

export interface ExtractedPage {
  page: number;
  text: string;
  /** Set when the page had no text layer and was read by OCR: the engine's confidence (0-100). */
  ocrConfidence?: number;
  /** Which OCR engine read the page, when one did. */
  ocrEngine?: OcrEngine;
}
export interface ExtractedDocument {
  file: string;
  pages: ExtractedPage[];
  /** What the document is for (case.json `documents`; absent there: an exhibit). Absent in runs made before roles. */
  role?: DocumentRole;
  /** The language it is written in: as case.json says, else read from its text. */
  language?: DocumentLanguage;
  /** An interview the attorney wrote in the review (facts from the client): the round it was given in. */
  round?: number;
}
export interface ExtractResult {
  documents: ExtractedDocument[];
}

const inputSchema = z.object({
  caseId: z.string().min(1),
  faults: faultsSchema.default({}),
});

export interface ExtractEvent {
  input: unknown;
  executionName: string;
}

export interface ExtractPdfOptions {
  /** Reads pages without a text layer; without one, such a page is an error. */
  ocr?: OcrReader;
  /** Below this mean confidence an OCR'd page counts as unreadable. Default: 40. */
  minOcrConfidence?: number;
  /** Page, area, heap and time limits. Default: `pdfLimits`. */
  limits?: Partial<PdfLimits>;
  /** Pages the case may still have (its per-case budget minus the pages already read). Default: the per-case limit. */
  casePagesLeft?: number;
}

/** A PDF starts with `%PDF-` at its first byte: anything else is not read as one. */
export function hasPdfMagic(data: Uint8Array): boolean {
  return data.byteLength >= 5 && Buffer.from(data.subarray(0, 5)).toString("latin1") === "%PDF-";
}

/**
 * Reads one PDF's pages; any failure names the document as `file` gives it, and the page
 * where there is one. The pipeline passes the document's label (`[DOCUMENT_2]`), never its
 * file name: the error becomes the execution's cause, in the history and the API.
 */
export async function extractPdf(file: string, data: Uint8Array, options: ExtractPdfOptions = {}): Promise<ExtractedDocument> {
  if (data.byteLength === 0) throw new DocumentUnreadableError(`${file}: the file is empty`, { file });
  if (!hasPdfMagic(data)) throw new DocumentUnreadableError(`${file}: not a PDF (it does not start with %PDF-)`, { file });
  const limits = { ...pdfLimits, ...options.limits };
  const caseLeft = options.casePagesLeft ?? limits.maxPagesPerCase;
  const maxPages =
    caseLeft < limits.maxPagesPerDocument
      ? { value: caseLeft, scope: `pages left of the case's ${limits.maxPagesPerCase}-page limit` }
      : { value: limits.maxPagesPerDocument, scope: "pages a document" };
  const started = Date.now();
  let read: Awaited<ReturnType<typeof readPdfLimited>>;
  try {
    read = await readPdfLimited(file, data, limits, maxPages);
  } catch (err) {
    if (err instanceof DocumentTooLargeError) throw err;
    throw new DocumentUnreadableError(`${file}: ${pdfFailureReason(err)}`, { file }, { cause: err });
  }
  if (read.pages.length === 0) throw new DocumentUnreadableError(`${file}: the PDF has no pages`, { file });
  const pages: ExtractedPage[] = read.pages.map((p) => ({ page: p.page, text: p.text }));
  const renders = new Map(read.renders.map((r) => [r.page, r.png]));
  for (const page of pages.filter((p) => p.text.length === 0)) {
    // A page with no text layer is a scan: read it, or say which page could not be read.
    // Dropping it silently would hide evidence from the declaration.
    if (!options.ocr)
      throw new DocumentUnreadableError(`${file}: page ${page.page} has no text layer and OCR is off`, { file, page: page.page });
    if (Date.now() - started > limits.deadlineSeconds * 1000) {
      throw new DocumentTooLargeError(
        `${file}: reading it took longer than the limit of ${limits.deadlineSeconds} seconds a document (at page ${page.page})`,
        { file, page: page.page },
      );
    }
    const png = renders.get(page.page);
    if (!png) throw new DocumentUnreadableError(`${file}: page ${page.page} could not be rendered for OCR`, { file, page: page.page });
    const read = await options.ocr.read(png, { file, page: page.page });
    const min = options.minOcrConfidence ?? 40;
    if (read.text.replace(/\W/g, "").length === 0)
      throw new DocumentUnreadableError(`${file}: page ${page.page} has no text layer and OCR found no text`, { file, page: page.page });
    if (read.confidence < min) {
      throw new DocumentUnreadableError(
        `${file}: page ${page.page} has no text layer and OCR confidence is ${read.confidence} (below ${min})`,
        { file, page: page.page },
      );
    }
    page.text = read.text;
    page.ocrConfidence = read.confidence;
    page.ocrEngine = options.ocr.engine;
  }
  return { file, pages };
}

function pdfFailureReason(err: unknown): string {
  const name = (err as { name?: string })?.name ?? "";
  const message = (err as { message?: string })?.message ?? String(err);
  if (name === "PasswordException" || /password/i.test(message)) return "the PDF is encrypted (password protected)";
  if (name === "InvalidPDFException" || /invalid pdf|bad xref|structure/i.test(message)) return `the PDF is corrupt (${message})`;
  return `the PDF cannot be read (${name || "error"}: ${message})`;
}

export async function extractDocuments(event: ExtractEvent, store: BlobStore = blobStore()): Promise<PipelineState> {
  const parsedInput = inputSchema.safeParse(event.input);
  if (!parsedInput.success) {
    const issue = parsedInput.error.issues[0]!;
    throw new InvalidInputError(`execution input: ${issue.path.join(".") || "(root)"}: ${issue.message}`, { state: "Extract" });
  }
  const { caseId, faults } = parsedInput.data;
  const caseJsonKey = caseKeys.caseJson(caseId);
  if (!(await store.exists(caseJsonKey)))
    throw new InvalidInputError(`case ${caseId} has no case.json (${caseJsonKey})`, { state: "Extract" });
  const caseParsed = caseFileSchema.safeParse(await getJson<unknown>(store, caseJsonKey));
  if (!caseParsed.success) {
    const issue = caseParsed.error.issues[0]!;
    throw new InvalidInputError(`${caseJsonKey}: ${issue.path.join(".")}: ${issue.message}`, { state: "Extract" });
  }
  const caseFile: CaseFile = caseParsed.data;

  const prefix = `${caseKeys.documents(caseId)}/`;
  const held = (await store.list(caseKeys.documents(caseId)))
    .filter((k) => k.toLowerCase().endsWith(".pdf"))
    .map((k) => k.slice(prefix.length));
  if (held.length === 0) throw new InvalidInputError(`case ${caseId} has no PDF documents`, { state: "Extract" });
  try {
    checkListedFiles(caseFile.documents, held, caseJsonKey, false);
  } catch (err) {
    throw new InvalidInputError((err as Error).message, { state: "Extract" });
  }
  // The case's order: the listed documents as listed (their exhibit letters follow it), then the rest.
  const docKeys = orderCaseFiles(caseFile.documents, held).map((f) => prefix + f);

  const documents: ExtractedDocument[] = [];
  // A Spanish-speaking declarant's file mixes both languages (their letters, US records).
  const ocr = await openPageReader(caseFile.language === "es" ? "spa+eng" : "eng");
  try {
    for (const [index, key] of docKeys.entries()) {
      const file = key.slice(caseKeys.documents(caseId).length + 1);
      const started = Date.now();
      const pagesSoFar = documents.reduce((n, d) => n + d.pages.length, 0);
      // Read under its label: a failure names [DOCUMENT_n], never the file name, which
      // carries clients' names and numbers (the names are kept beside the vault below).
      const read = await extractPdf(documentLabel(index), new Uint8Array(await store.get(key)), {
        ocr,
        casePagesLeft: pdfLimits.maxPagesPerCase - pagesSoFar,
      });
      const doc: ExtractedDocument = {
        ...read,
        file,
        role: roleOf(caseFile.documents, file),
        language: declaredLanguage(caseFile.documents, file) ?? detectLanguage(read.pages.map((p) => p.text).join("\n")),
      };
      documents.push(doc);
      const ocrPages = doc.pages.filter((p) => p.ocrConfidence !== undefined);
      log("info", "extract.document", {
        caseId,
        // The document's label, not its name: file names carry clients' names.
        document: documentLabel(index),
        pages: doc.pages.length,
        ocrPages: ocrPages.length,
        ocrEngine: ocrPages.length ? ocr.engine : null,
        role: doc.role,
        language: doc.language,
        minOcrConfidence: ocrPages.length ? Math.min(...ocrPages.map((p) => p.ocrConfidence!)) : null,
        chars: doc.pages.reduce((n, p) => n + p.text.length, 0),
        ms: Date.now() - started,
      });
    }
  } finally {
    await ocr.dispose();
  }

  const registry = loadRegistry();
  const runKey = caseKeys.run(caseId, event.executionName);
  // The pages before redaction: sealed like the vault, read only by Redact.
  const extractKey = `${runKey}/extract.sealed`;
  await putSealedJson(store, extractKey, { documents } satisfies ExtractResult, { caseId, state: "Extract" });
  // File names by document index, for the report: out of the history, and beside the vault
  // rather than under runs/, which the fallback and the embedding Lambdas can read.
  const documentsKey = caseKeys.documentNames(caseId, event.executionName);
  await putJson(store, documentsKey, { files: documents.map((d) => d.file) });
  return {
    caseId,
    caseType: caseFile.caseType,
    language: caseFile.language,
    runKey,
    executionName: event.executionName,
    pipelineVersion,
    promptVersion,
    faults,
    rewrites: { n: 0 },
    maxRewrites: registry.pipeline.maxRewrites,
    scoreThreshold: registry.pipeline.scoreThreshold,
    extract: {
      extractKey,
      documentCount: documents.length,
      pageCount: documents.reduce((n, d) => n + d.pages.length, 0),
      documentsKey,
      // Which pages were read by OCR and how sure it was: the review report shows them. By
      // document index, never file name: the state is the execution history, which anyone
      // with console access reads; Reinject names the files in the report from documentsKey.
      ocrPages: documents.flatMap((d, document) =>
        d.pages
          .filter((p) => p.ocrConfidence !== undefined)
          .map((p) => ({ document, page: p.page, confidence: p.ocrConfidence!, engine: p.ocrEngine! })),
      ),
    },
  };
}

export const handler = withTelemetry(
  "Extract",
  async (event: ExtractEvent): Promise<PipelineState> => extractDocuments(event, await openBlobStore()),
);
