/**
 * Extract (Lambda): every PDF of the case to page-numbered text, kept for citations.
 * Also normalises the execution input into the pipeline state, so a run started from the
 * console with only `{"caseId": …}` gets the same defaults as one started by the CLI.
 */
import { PDFParse } from "pdf-parse";
import { z } from "zod";
import { blobStore, getJson, openBlobStore, putJson, type BlobStore } from "../core/blob-store.ts";
import { caseFileSchema, caseKeys, type CaseFile } from "../core/case-file.ts";
import { DocumentUnreadableError, InvalidInputError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { faultKinds, pipelineVersion, type PipelineState } from "../core/pipeline-state.ts";
import { promptVersion } from "../containers/llama-worker/prompts.ts";
import { loadRegistry } from "../workflows/registry.ts";
import { isGpuStage } from "../workflows/state-names.ts";

export interface ExtractedPage {
  page: number;
  text: string;
}
export interface ExtractedDocument {
  file: string;
  pages: ExtractedPage[];
}
export interface ExtractResult {
  documents: ExtractedDocument[];
}

const inputSchema = z.object({
  caseId: z.string().min(1),
  faults: z.record(z.string(), z.enum(faultKinds as [string, ...string[]])).default({}),
});

export interface ExtractEvent {
  input: unknown;
  executionName: string;
}

/** Reads one PDF's pages; any failure names the file, and the page where there is one. */
export async function extractPdf(file: string, data: Uint8Array): Promise<ExtractedDocument> {
  if (data.byteLength === 0) throw new DocumentUnreadableError(`${file}: the file is empty`, { file });
  const parser = new PDFParse({ data });
  try {
    let result;
    try {
      result = await parser.getText();
    } catch (err) {
      throw new DocumentUnreadableError(`${file}: ${pdfFailureReason(err)}`, { file }, { cause: err });
    }
    if (result.pages.length === 0) throw new DocumentUnreadableError(`${file}: the PDF has no pages`, { file });
    const pages = result.pages.map((p) => ({ page: p.num, text: p.text.replace(/\r\n?/g, "\n").trim() }));
    const blank = pages.find((p) => p.text.length === 0);
    if (blank) {
      // A page with no text layer is a scan: OCR (issue #5) is not wired in yet, and silently
      // dropping the page would hide evidence from the declaration.
      throw new DocumentUnreadableError(`${file}: page ${blank.page} has no text layer (scanned page; OCR is not available)`, {
        file,
        page: blank.page,
      });
    }
    return { file, pages };
  } finally {
    await parser.destroy().catch(() => undefined);
  }
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
  for (const stage of Object.keys(faults)) {
    if (!isGpuStage(stage)) throw new InvalidInputError(`execution input: faults names ${stage}, which is not a GPU stage`, { state: "Extract" });
  }
  const caseJsonKey = caseKeys.caseJson(caseId);
  if (!(await store.exists(caseJsonKey))) throw new InvalidInputError(`case ${caseId} has no case.json (${caseJsonKey})`, { state: "Extract" });
  const caseParsed = caseFileSchema.safeParse(await getJson<unknown>(store, caseJsonKey));
  if (!caseParsed.success) {
    const issue = caseParsed.error.issues[0]!;
    throw new InvalidInputError(`${caseJsonKey}: ${issue.path.join(".")}: ${issue.message}`, { state: "Extract" });
  }
  const caseFile: CaseFile = caseParsed.data;

  const docKeys = (await store.list(caseKeys.documents(caseId))).filter((k) => k.toLowerCase().endsWith(".pdf"));
  if (docKeys.length === 0) throw new InvalidInputError(`case ${caseId} has no PDF documents`, { state: "Extract" });

  const documents: ExtractedDocument[] = [];
  for (const key of docKeys) {
    const file = key.slice(caseKeys.documents(caseId).length + 1);
    const started = Date.now();
    const doc = await extractPdf(file, new Uint8Array(await store.get(key)));
    documents.push(doc);
    log("info", "extract.document", { caseId, file, pages: doc.pages.length, chars: doc.pages.reduce((n, p) => n + p.text.length, 0), ms: Date.now() - started });
  }

  const registry = loadRegistry();
  const runKey = caseKeys.run(caseId, event.executionName);
  const extractKey = `${runKey}/extract.json`;
  await putJson(store, extractKey, { documents } satisfies ExtractResult);
  return {
    caseId,
    caseType: caseFile.caseType,
    runKey,
    executionName: event.executionName,
    pipelineVersion,
    promptVersion,
    faults: faults as PipelineState["faults"],
    rewrites: { n: 0 },
    maxRewrites: registry.pipeline.maxRewrites,
    scoreThreshold: registry.pipeline.scoreThreshold,
    extract: { extractKey, documentCount: documents.length, pageCount: documents.reduce((n, d) => n + d.pages.length, 0) },
  };
}

export const handler = async (event: ExtractEvent): Promise<PipelineState> => extractDocuments(event, await openBlobStore());
