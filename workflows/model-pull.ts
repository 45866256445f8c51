/**
 * `affiant models pull`: fetches the registry's models (URLs or `hf:` URIs) with
 * node-llama-cpp's downloader, which resumes an interrupted download from its partial file,
 * then checks each file's sha256 against the registry. A file that fails the check is
 * removed, never left for a worker to load.
 */
import { existsSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { createModelDownloader } from "node-llama-cpp";
import { ModelUnavailableError } from "../core/errors.ts";
import { sha256File } from "./model-check.ts";
import { modelFilePath, type Registry } from "./registry.ts";

export interface PullProgress {
  id: string;
  downloadedBytes: number;
  totalBytes: number;
}

export interface PullResult {
  id: string;
  file: string;
  status: "present" | "downloaded" | "failed";
  error?: string;
}

export interface PullOptions {
  /** Only these registry model ids. Default: all. */
  only?: string[];
  onProgress?: (p: PullProgress) => void;
  /** Let node-llama-cpp draw its own progress bar (a terminal). Default: false. */
  showCliProgress?: boolean;
}

export async function pullModels(registry: Registry, options: PullOptions = {}): Promise<PullResult[]> {
  const results: PullResult[] = [];
  const done = new Map<string, PullResult>();
  for (const [id, entry] of Object.entries(registry.models)) {
    if (options.only && !options.only.includes(id)) continue;
    const file = modelFilePath(registry, id);
    const previous = done.get(file);
    if (previous) {
      // Two registry entries may share one file (a model and its greedy fallback).
      results.push({ ...previous, id, status: previous.status === "failed" ? "failed" : "present" });
      continue;
    }
    const result: PullResult = { id, file, status: "failed" };
    try {
      if (existsSync(file) && (!entry.sha256 || (await sha256File(file)) === entry.sha256)) {
        result.status = "present";
      } else {
        if (!entry.url) throw new ModelUnavailableError(`model ${id} has no url in the registry and ${file} is missing or does not match its sha256`, { model: id });
        if (existsSync(file)) renameSync(file, `${file}.mismatch`);
        const downloader = await createModelDownloader({
          modelUri: entry.url,
          dirPath: path.dirname(file),
          fileName: path.basename(file),
          skipExisting: false,
          deleteTempFileOnCancel: false,
          showCliProgress: options.showCliProgress ?? false,
          onProgress: (s) => options.onProgress?.({ id, downloadedBytes: s.downloadedSize, totalBytes: s.totalSize }),
        });
        await downloader.download();
        if (entry.sha256) {
          const actual = await sha256File(file);
          if (actual !== entry.sha256) {
            rmSync(file, { force: true });
            throw new ModelUnavailableError(`model ${id}: downloaded file's sha256 ${actual} does not match the registry's ${entry.sha256}; removed`, { model: id });
          }
        }
        rmSync(`${file}.mismatch`, { force: true });
        result.status = "downloaded";
      }
    } catch (err) {
      result.error = (err as Error).message;
    }
    done.set(file, result);
    results.push(result);
  }
  return results;
}
