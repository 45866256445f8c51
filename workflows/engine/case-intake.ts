/**
 * A case folder on disk → the case's blobs. Every problem names the path: a missing
 * folder, no PDFs, a missing or invalid case.json, a document role for a file the folder does
 * not hold. Nothing is copied unless all is valid.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { BlobStore } from "../../core/blob-store.ts";
import { checkListedFiles } from "../../core/case-documents.ts";
import { type CaseFile, caseFileSchema, caseKeys } from "../../core/case-file.ts";
import { InvalidInputError } from "../../core/errors.ts";

export interface CaseFolder {
  dir: string;
  caseFile: CaseFile;
  pdfs: string[];
}

export function readCaseFolder(dirArg: string): CaseFolder {
  const dir = path.resolve(dirArg);
  if (!existsSync(dir)) throw new InvalidInputError(`case folder not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new InvalidInputError(`not a folder: ${dir}`);
  const caseJsonPath = path.join(dir, "case.json");
  if (!existsSync(caseJsonPath)) throw new InvalidInputError(`missing case.json in ${dir}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(caseJsonPath, "utf8"));
  } catch (err) {
    throw new InvalidInputError(`${caseJsonPath}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = caseFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(root)";
    throw new InvalidInputError(`${caseJsonPath}: ${field}: ${issue.message}`);
  }
  const pdfs = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith(".pdf") && statSync(path.join(dir, f)).isFile())
    .sort();
  if (pdfs.length === 0) throw new InvalidInputError(`no PDF documents in ${dir}`);
  for (const f of pdfs) {
    if (!/^[A-Za-z0-9._ -]+$/.test(f))
      throw new InvalidInputError(`${path.join(dir, f)}: file names may use letters, digits, space, . _ - only`);
  }
  // A role for a file the folder does not hold: refused before anything is copied.
  checkListedFiles(parsed.data.documents, pdfs, caseJsonPath);
  return { dir, caseFile: parsed.data, pdfs };
}

/** Replaces the case's blobs with the folder's contents (a removed PDF does not linger). */
export async function ingestCase(folder: CaseFolder, store: BlobStore): Promise<void> {
  const { caseId } = folder.caseFile;
  for (const stale of await store.list(caseKeys.documents(caseId))) await store.delete(stale);
  for (const f of folder.pdfs) await store.put(`${caseKeys.documents(caseId)}/${f}`, readFileSync(path.join(folder.dir, f)));
  await store.put(caseKeys.caseJson(caseId), readFileSync(path.join(folder.dir, "case.json")));
}
