/**
 * Backfill: every case folder under a directory that has no successful execution at the
 * current pipeline version is run, at most N at a time. Idempotent and resumable: the
 * execution name is the case id + pipeline version (+ attempt), a case already SUCCEEDED
 * is skipped, and an execution a crashed backfill left RUNNING is marked ABORTED by the
 * engine and retried as the next attempt.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import pLimit from "p-limit";
import { describeError, InvalidInputError } from "../core/errors.ts";
import { attemptOf, executionNameFor } from "../core/execution-name.ts";
import { log } from "../core/log.ts";
import { pipelineVersion } from "../core/pipeline-state.ts";
import { type CaseFolder, ingestCase, readCaseFolder } from "./engine/case-intake.ts";
import type { LocalEngine } from "./engine/local-engine.ts";

export type BackfillOutcome = "succeeded" | "failed" | "skipped-done" | "skipped-running" | "invalid";

export interface BackfillCaseResult {
  folder: string;
  caseId: string | null;
  outcome: BackfillOutcome;
  executionId?: string;
  error?: string;
  ms?: number;
}

export interface BackfillSummary {
  cases: number;
  started: number;
  succeeded: number;
  failed: number;
  skippedDone: number;
  skippedRunning: number;
  invalid: number;
  concurrency: number;
  wallMs: number;
  results: BackfillCaseResult[];
}

export interface BackfillOptions {
  dir: string;
  engine: LocalEngine;
  concurrency?: number;
  /** Called when a case starts and when it ends. */
  onCase?: (event: { phase: "start" | "end"; result?: BackfillCaseResult; folder: string; done: number; total: number }) => void;
}

/** Case folders directly under `dir` (a folder with a case.json), sorted by name. */
export function findCaseFolders(dir: string): string[] {
  const root = path.resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new InvalidInputError(`backfill: not a folder: ${root}`);
  return readdirSync(root)
    .map((name) => path.join(root, name))
    .filter((p) => statSync(p).isDirectory() && existsSync(path.join(p, "case.json")))
    .sort();
}

export async function backfill(options: BackfillOptions): Promise<BackfillSummary> {
  const started = Date.now();
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16)
    throw new InvalidInputError(`--concurrency ${concurrency}: an integer from 1 to 16`);
  const folders = findCaseFolders(options.dir);
  if (folders.length === 0) throw new InvalidInputError(`backfill: no case folders (with a case.json) under ${path.resolve(options.dir)}`);
  const { engine } = options;
  const results: BackfillCaseResult[] = [];
  const pending: Array<{ folder: CaseFolder; name: string }> = [];
  const seen = new Map<string, string>();

  for (const dir of folders) {
    let folder: CaseFolder;
    try {
      folder = readCaseFolder(dir);
    } catch (err) {
      results.push({ folder: dir, caseId: null, outcome: "invalid", error: describeError(err).message });
      continue;
    }
    const { caseId } = folder.caseFile;
    if (seen.has(caseId)) {
      results.push({ folder: dir, caseId, outcome: "invalid", error: `case id ${caseId} is also used by ${seen.get(caseId)}` });
      continue;
    }
    seen.set(caseId, dir);
    const previous = engine.db.executionsOf(caseId, pipelineVersion);
    const last = previous.at(-1);
    if (last?.status === "SUCCEEDED") {
      results.push({ folder: dir, caseId, outcome: "skipped-done", executionId: last.id });
      continue;
    }
    if (last?.status === "RUNNING") {
      // Owned by another live process (the engine reaped dead owners when it opened).
      results.push({ folder: dir, caseId, outcome: "skipped-running", executionId: last.id });
      continue;
    }
    const attempt = previous.length ? Math.max(...previous.map((e) => attemptOf(e.id))) + 1 : 1;
    pending.push({ folder, name: executionNameFor(caseId, pipelineVersion, attempt) });
  }
  log("info", "backfill.planned", { cases: folders.length, pending: pending.length, concurrency });

  const limit = pLimit(concurrency);
  let done = 0;
  await Promise.all(
    pending.map(({ folder, name }) =>
      limit(async () => {
        options.onCase?.({ phase: "start", folder: folder.dir, done, total: pending.length });
        const t0 = Date.now();
        let result: BackfillCaseResult;
        try {
          await ingestCase(folder, engine.store);
          const summary = await engine.run({
            caseId: folder.caseFile.caseId,
            caseDir: folder.dir,
            executionName: name,
            approve: { via: "backfill" },
          });
          result = {
            folder: folder.dir,
            caseId: folder.caseFile.caseId,
            outcome: summary.status === "SUCCEEDED" ? "succeeded" : "failed",
            executionId: name,
            ...(summary.status === "SUCCEEDED" ? {} : { error: `${summary.status}: ${summary.error ?? "unknown"}` }),
            ms: Date.now() - t0,
          };
        } catch (err) {
          const { name: errName, message } = describeError(err);
          result = {
            folder: folder.dir,
            caseId: folder.caseFile.caseId,
            outcome: "failed",
            executionId: name,
            error: `${errName}: ${message}`,
            ms: Date.now() - t0,
          };
        }
        results.push(result);
        done++;
        log(result.outcome === "succeeded" ? "info" : "warn", "backfill.case", {
          caseId: result.caseId,
          execution: name,
          outcome: result.outcome,
          ms: result.ms,
        });
        options.onCase?.({ phase: "end", result, folder: folder.dir, done, total: pending.length });
      }),
    ),
  );

  const count = (o: BackfillOutcome) => results.filter((r) => r.outcome === o).length;
  results.sort((a, b) => a.folder.localeCompare(b.folder));
  return {
    cases: folders.length,
    started: pending.length,
    succeeded: count("succeeded"),
    failed: count("failed"),
    skippedDone: count("skipped-done"),
    skippedRunning: count("skipped-running"),
    invalid: count("invalid"),
    concurrency,
    wallMs: Date.now() - started,
    results,
  };
}
