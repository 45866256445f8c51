/**
 * Cases written through the API, into the same blob layout `affiant run` ingests a folder
 * into (`cases/<caseId>/case.json`, `cases/<caseId>/documents/<name>.pdf`), plus a manifest
 * of the documents the case should have, so a start on an incomplete upload fails clearly.
 */
import type { BlobStore } from "../core/blob-store.ts";
import { type CaseFile, caseFileSchema, caseKeys } from "../core/case-file.ts";
import { CaseIncompleteError, InvalidInputError, NotFoundError } from "../core/errors.ts";
import { type CaseDocument, type CaseManifest, documentLimits, type PlannedDocument } from "./executions.ts";

export const manifestKey = (caseId: string) => `cases/${caseId}/manifest.json`;
export const documentKey = (caseId: string, name: string) => `${caseKeys.documents(caseId)}/${name}`;

const documentName = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,119}\.pdf$/i;

/** Parses and validates `case.json` text; errors name the field. */
export function parseCaseJson(text: string, where = "case"): CaseFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`${where}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = caseFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`${where}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data;
}

export function checkDocumentList(documents: PlannedDocument[]): void {
  if (documents.length === 0) throw new InvalidInputError("files: a case needs at least one PDF");
  if (documents.length > documentLimits.maxDocuments)
    throw new InvalidInputError(`files: at most ${documentLimits.maxDocuments} documents per case (got ${documents.length})`);
  const seen = new Set<string>();
  for (const d of documents) {
    if (!documentName.test(d.name))
      throw new InvalidInputError(`files: ${JSON.stringify(d.name)}: a PDF name of letters, digits, space, . _ - ending in .pdf`);
    if (seen.has(d.name.toLowerCase())) throw new InvalidInputError(`files: ${d.name} appears twice`);
    seen.add(d.name.toLowerCase());
    if (!Number.isInteger(d.size) || d.size <= 0) throw new InvalidInputError(`files: ${d.name}: empty`);
    if (d.size > documentLimits.maxDocumentBytes)
      throw new InvalidInputError(`files: ${d.name}: ${d.size} bytes is over the ${documentLimits.maxDocumentBytes}-byte limit`);
  }
}

/**
 * A PDF starts with `%PDF-` at its first byte. Readers tolerate junk before it (up to 1 KB),
 * which is how polyglot files (an HTML page that is also a PDF) get through; none of ours
 * need it.
 */
export function checkPdfBytes(name: string, bytes: Uint8Array): void {
  if (Buffer.from(bytes.subarray(0, 5)).toString("latin1") !== "%PDF-")
    throw new InvalidInputError(`files: ${name}: not a PDF (it does not start with %PDF-)`);
}

export async function writeCase(store: BlobStore, caseFile: CaseFile, caseJson: string, documents: CaseDocument[]): Promise<void> {
  checkDocumentList(documents.map((d) => ({ name: d.name, size: d.bytes.byteLength })));
  for (const d of documents) checkPdfBytes(d.name, d.bytes);
  const { caseId } = caseFile;
  // A re-submitted case replaces its documents: a removed PDF must not linger.
  for (const stale of await store.list(caseKeys.documents(caseId))) await store.delete(stale);
  for (const d of documents) await store.put(documentKey(caseId, d.name), d.bytes);
  await writeManifest(
    store,
    caseFile,
    caseJson,
    documents.map((d) => ({ name: d.name, size: d.bytes.byteLength })),
  );
}

export async function writeManifest(store: BlobStore, caseFile: CaseFile, caseJson: string, documents: PlannedDocument[]): Promise<void> {
  const manifest: CaseManifest = { caseId: caseFile.caseId, caseType: caseFile.caseType, documents, createdAt: new Date().toISOString() };
  await store.put(caseKeys.caseJson(caseFile.caseId), caseJson);
  await store.put(manifestKey(caseFile.caseId), JSON.stringify(manifest));
}

/**
 * Throws NotFound for an unknown case and CaseIncomplete while documents the manifest
 * lists are still missing. Cases ingested by `affiant run` have no manifest: their folder
 * was checked then.
 */
export async function assertCaseReady(store: BlobStore, caseId: string): Promise<void> {
  if (!(await store.exists(caseKeys.caseJson(caseId)))) throw new NotFoundError(`case ${caseId} does not exist`);
  if (!(await store.exists(manifestKey(caseId)))) {
    if ((await store.list(caseKeys.documents(caseId))).length === 0) throw new CaseIncompleteError(`case ${caseId} has no documents`);
    return;
  }
  const manifest = JSON.parse((await store.get(manifestKey(caseId))).toString("utf8")) as CaseManifest;
  const present = new Set(await store.list(caseKeys.documents(caseId)));
  const missing = manifest.documents.filter((d) => !present.has(documentKey(caseId, d.name))).map((d) => d.name);
  if (missing.length) throw new CaseIncompleteError(`case ${caseId} is waiting for ${missing.length} document(s): ${missing.join(", ")}`);
}
