/**
 * Execution names that make starting a case idempotent: one name per case, pipeline
 * version and attempt. Step Functions refuses a second execution of the same name, so a
 * double-clicked API call or a backfill restarted after a crash cannot run a case twice.
 * A new attempt is started only after the previous one ended without success.
 */
import { randomBytes } from "node:crypto";

const maxName = 80;

export function executionNameFor(caseId: string, pipelineVersion: string, attempt = 1): string {
  const suffix = `-p${pipelineVersion}${attempt > 1 ? `-a${attempt}` : ""}`;
  // Step Functions allows 80 characters; case ids are ≤ 80, so a long one is shortened
  // with a stable hash to stay unique.
  if (caseId.length + suffix.length <= maxName) return `${caseId}${suffix}`;
  const hash = fnv1a(caseId).toString(36);
  return `${caseId.slice(0, maxName - suffix.length - hash.length - 1)}_${hash}${suffix}`;
}

export function attemptOf(name: string): number {
  const m = /-a(\d+)$/.exec(name);
  return m ? Number(m[1]) : 1;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A fresh name for a local run: `<caseId>-<UTC timestamp>-<random>`. */
export function newExecutionName(caseId: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  return `${caseId}-${stamp}-${randomBytes(3).toString("hex")}`;
}
