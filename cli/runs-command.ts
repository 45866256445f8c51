/** `affiant runs list|show` — the local run history. */

import { config } from "../core/config.ts";
import { SqliteReviewStore } from "../core/review-store.ts";
import { HistoryDb } from "../workflows/engine/history-db.ts";
import { summarizeExecution } from "../workflows/engine/summary.ts";

export function runsListCommand(opts: { json?: boolean }): number {
  const db = new HistoryDb();
  try {
    const rows = db.listExecutions(100);
    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify(
          rows.map(({ id, caseId, status, startedAt, endedAt, error }) => ({ executionId: id, caseId, status, startedAt, endedAt, error })),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    if (rows.length === 0) {
      process.stdout.write("no executions yet\n");
      return 0;
    }
    for (const r of rows) {
      const secs = r.endedAt ? `${((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)}s` : "-";
      process.stdout.write(
        `${r.id.padEnd(48)} ${r.status.padEnd(10)} ${r.startedAt}  ${secs.padStart(7)}${r.error ? `  ${r.error}` : ""}\n`,
      );
    }
    return 0;
  } finally {
    db.dispose();
  }
}

export function runsShowCommand(id: string, opts: { json?: boolean }): number {
  const db = new HistoryDb();
  try {
    const row = db.getExecution(id);
    if (!row) {
      process.stderr.write(`affiant runs show: no execution ${id} in ${config().AFFIANT_HOME ?? ".affiant"}\n`);
      return 1;
    }
    const task = row.status === "RUNNING" ? db.reviewTask({ executionId: id }) : undefined;
    const store = new SqliteReviewStore(db.file);
    const audit = store.auditSync(id).map(({ executionId: _, prevHash: __, ...a }) => a);
    store.dispose();
    const summary = {
      ...summarizeExecution(row, db.events(id), db.reports(id)),
      ...(task
        ? {
            waitingFor: "AttorneyReview" as const,
            review: { round: task.round, version: task.version, openedAt: task.openedAt, expiresAt: task.expiresAt },
          }
        : {}),
      ...(audit.length ? { reviewAudit: audit } : {}),
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ ...summary, events: db.events(id) }, null, 2)}\n`);
      return 0;
    }
    const w = (s: string) => process.stdout.write(`${s}\n`);
    w(`execution ${summary.executionId}  case ${summary.caseId}  ${summary.status}`);
    if (summary.error) w(`error: ${summary.error}  cause: ${summary.cause ?? ""}`);
    if (summary.waitingFor)
      w(`waiting in ${summary.waitingFor} until ${summary.review?.expiresAt}: affiant review ${id} --approve | --changes notes.md`);
    for (const a of audit) w(`review: ${a.decision} by ${a.reviewer} at ${a.decidedAt} (${a.via}, round ${a.round}, ${a.version})`);
    if (summary.outputDir) w(`output: ${summary.outputDir}`);
    // A failed run keeps what its completed stages stored; say which.
    if (summary.status !== "SUCCEEDED") w(`completed stages: ${summary.completedStages?.join(", ") || "(none)"}`);
    w("");
    w(
      `${"state".padEnd(28)} ${"status".padEnd(9)} ${"ms".padStart(7)}  ${"model".padEnd(20)} ${"provider".padEnd(8)} ${"in".padStart(5)} ${"out".padStart(5)} ${"load".padStart(6)} ${"prompt".padStart(6)} ${"gen".padStart(6)} ${"tok/s".padStart(7)} ${"queue".padStart(6)} ${"rssMB".padStart(6)}  fallback/error`,
    );
    for (const s of summary.states) {
      const ms = s.endedAt ? String(Date.parse(s.endedAt) - Date.parse(s.startedAt)) : "-";
      const n = (v: number | null | undefined) => (v === null || v === undefined ? "" : String(v));
      w(
        `${s.name.padEnd(28)} ${s.status.padEnd(9)} ${ms.padStart(7)}  ${(s.model ?? "").padEnd(20)} ${(s.provider ?? "").padEnd(8)} ${n(s.tokensIn).padStart(5)} ${n(s.tokensOut).padStart(5)} ${n(s.loadMs).padStart(6)} ${n(s.promptMs).padStart(6)} ${n(s.genMs).padStart(6)} ${n(s.tokensPerSecond).padStart(7)} ${n(s.queueMs).padStart(6)} ${n(s.peakRssMb).padStart(6)}  ${s.fallbackReason ?? s.error ?? ""}`,
      );
    }
    return 0;
  } finally {
    db.dispose();
  }
}
