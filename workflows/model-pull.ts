/**
 * `affiant models pull`: fetches the registry's models (http(s) URLs or `hf:` URIs) into
 * `<file>.partial`, resuming with a Range request after an interruption (node-llama-cpp's
 * downloader restarts from zero when a connection drops mid-file, which for a 20 GB model
 * is the difference between a retry and a lost hour), then checks each file's sha256
 * against the registry. A file that fails the check is removed, never left for a worker.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { ModelUnavailableError } from "../core/errors.ts";
import { modelFilePath, type Registry } from "../core/registry.ts";
import { sha256File } from "./model-check.ts";

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
}

/** `hf:<user>/<repo>/<path>[#<branch>]` → the file's download URL; other URLs unchanged. */
export function resolveModelUrl(uri: string): string {
  const hf = /^hf:([^/]+)\/([^/]+)\/([^#]+)(?:#(.+))?$/.exec(uri);
  if (!hf) return uri;
  const [, user, repo, file, branch] = hf;
  return `https://huggingface.co/${user}/${repo}/resolve/${encodeURIComponent(branch ?? "main")}/${file}`;
}

const attempts = 4;

/** Downloads to `<file>.partial`, resuming from its size; renames into place when complete. */
export async function downloadResumable(url: string, file: string, onProgress?: (done: number, total: number) => void): Promise<void> {
  const partial = `${file}.partial`;
  mkdirSync(path.dirname(file), { recursive: true });
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let have = existsSync(partial) ? statSync(partial).size : 0;
    try {
      const res = await fetch(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal: AbortSignal.timeout(30 * 60_000) });
      if (res.status === 416) {
        rmSync(partial, { force: true });
        throw new Error(`${url}: the server refused the resume range; starting over`);
      }
      if (!res.ok || !res.body) throw new ModelUnavailableError(`${url}: HTTP ${res.status}`);
      if (res.status === 200 && have > 0) {
        have = 0; // the server ignored the Range header: start over
        rmSync(partial, { force: true });
      }
      const total = have + Number(res.headers.get("content-length") ?? NaN);
      const out = createWriteStream(partial, { flags: have > 0 ? "a" : "w" });
      let done = have;
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
          done += chunk.byteLength;
          onProgress?.(done, total);
        }
      } finally {
        await new Promise<void>((r) => out.end(() => r()));
      }
      if (Number.isFinite(total) && done !== total) throw new Error(`${url}: connection closed at ${done} of ${total} bytes`);
      renameSync(partial, file);
      return;
    } catch (err) {
      lastError = err;
      if (err instanceof ModelUnavailableError) throw err;
      await new Promise((r) => setTimeout(r, Math.min(8000, 250 * 2 ** attempt)));
    }
  }
  throw new ModelUnavailableError(
    `${url}: download failed after ${attempts} attempts (${(lastError as Error).message}); the partial file is kept for the next pull`,
  );
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
        if (!entry.url)
          throw new ModelUnavailableError(`model ${id} has no url in the registry and ${file} is missing or does not match its sha256`, {
            model: id,
          });
        if (existsSync(file)) renameSync(file, `${file}.mismatch`);
        await downloadResumable(resolveModelUrl(entry.url), file, (downloadedBytes, totalBytes) =>
          options.onProgress?.({ id, downloadedBytes, totalBytes }),
        );
        if (entry.sha256) {
          const actual = await sha256File(file);
          if (actual !== entry.sha256) {
            rmSync(file, { force: true });
            throw new ModelUnavailableError(
              `model ${id}: downloaded file's sha256 ${actual} does not match the registry's ${entry.sha256}; removed`,
              { model: id },
            );
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
