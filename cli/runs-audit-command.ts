/**
 * `affiant runs audit <id> [--verify] [--json]`: an execution's review audit log from the
 * local database, entry by entry with its hash; `--verify` recomputes the chain and exits 1,
 * naming the first entry that does not hold, when any entry was changed, removed or inserted.
 */
import { verifyAuditChain } from "../core/audit-chain.ts";
import { config } from "../core/config.ts";
import { AuditChainBrokenError } from "../core/errors.ts";
import { SqliteReviewStore } from "../core/review-store.ts";
import { HistoryDb } from "../workflows/engine/history-db.ts";

export function runsAuditCommand(id: string, opts: { verify?: boolean; json?: boolean }): number {
  const db = new HistoryDb();
  const store = new SqliteReviewStore(db.file);
  try {
    if (!db.getExecution(id)) {
      process.stderr.write(`affiant runs audit: no execution ${id} in ${config().AFFIANT_HOME ?? ".affiant"}\n`);
      return 1;
    }
    const entries = store.auditSync(id);
    const report = opts.verify ? verifyAuditChain(entries) : undefined;
    if (opts.json)
      process.stdout.write(`${JSON.stringify({ executionId: id, entries, ...(report ? { verify: report } : {}) }, null, 2)}\n`);
    else {
      for (const e of entries)
        process.stdout.write(
          `${String(e.seq).padStart(3)}  ${e.decidedAt}  ${e.decision.padEnd(8)} round ${e.round}  by ${e.reviewer} (${e.via})${e.override ? "  override" : ""}${e.failure ? `  error ${e.failure.error ?? "(unnamed)"}` : ""}  ${e.hash.slice(0, 16)}…\n`,
        );
      if (!entries.length) process.stdout.write("(no review decisions yet)\n");
    }
    if (!report) return 0;
    if (report.ok) {
      process.stderr.write(`affiant runs audit: the chain of ${report.entries} entries holds\n`);
      return 0;
    }
    const broken = new AuditChainBrokenError(`execution ${id}: ${report.reason}`);
    process.stderr.write(`affiant runs audit: ${broken.name}: ${broken.message}\n`);
    return 1;
  } finally {
    store.dispose();
    db.dispose();
  }
}
