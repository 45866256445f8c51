/**
 * Run history in an embedded SQLite database (`<AFFIANT_HOME>/affiant.db`): executions,
 * their event history (the Step Functions console's "events" tab) and per-state reports
 * (what the console lacks: model, provider, tokens, phase timings). Only ids, keys and
 * numbers are stored; the state machine never carries case text.
 */

import { InterruptedError } from "../../core/errors.ts";
import { homePaths } from "../../core/paths.ts";
import { SqliteTables } from "../../core/sqlite.ts";
import type { StageMetrics } from "../../core/stages/report.ts";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";

export interface ExecutionRow {
  id: string;
  caseId: string;
  caseDir: string | null;
  status: ExecutionStatus;
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
  startedAt: string;
  endedAt: string | null;
  pipelineVersion: string;
  outputDir: string | null;
  /** The process that runs it; a RUNNING row whose process is gone was orphaned by a crash. */
  ownerPid: number | null;
}

export interface EventRow {
  seq: number;
  type: string;
  stateName: string | null;
  timestamp: string;
  detail: Record<string, unknown>;
}

export interface ReportRow {
  stateName: string;
  status: "SUCCEEDED" | "FAILED";
  metrics: Partial<StageMetrics> & { error?: string; cause?: string };
  createdAt: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS executions (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL,
  case_dir TEXT,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  cause TEXT,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  pipeline_version TEXT NOT NULL,
  output_dir TEXT
);
CREATE INDEX IF NOT EXISTS executions_case ON executions(case_id, started_at);
CREATE TABLE IF NOT EXISTS events (
  execution_id TEXT NOT NULL REFERENCES executions(id),
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  state_name TEXT,
  timestamp TEXT NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (execution_id, seq)
);
CREATE TABLE IF NOT EXISTS state_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id TEXT NOT NULL REFERENCES executions(id),
  state_name TEXT NOT NULL,
  status TEXT NOT NULL,
  metrics TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS state_reports_exec ON state_reports(execution_id, id);
CREATE TABLE IF NOT EXISTS review_tasks (
  token TEXT PRIMARY KEY,
  execution_id TEXT NOT NULL UNIQUE REFERENCES executions(id),
  state TEXT NOT NULL,
  version TEXT NOT NULL,
  round INTEGER NOT NULL,
  opened_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
`;

/**
 * AttorneyReview's task as the engine keeps it (what Step Functions keeps for a waiting
 * `.waitForTaskToken` state): its token and the execution state to resume from. The review
 * API's view of the gate is the review store's (core/review-store.ts), as in AWS.
 */
export interface ReviewTask {
  token: string;
  executionId: string;
  state: unknown;
  version: string;
  round: number;
  openedAt: string;
  expiresAt: string;
}

export class HistoryDb extends SqliteTables {
  constructor(readonly file: string = homePaths.database()) {
    super(file, schema);
    // Databases written before executions had an owner process.
    const columns = this.db.prepare(`PRAGMA table_info(executions)`).all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === "owner_pid")) this.db.exec(`ALTER TABLE executions ADD COLUMN owner_pid INTEGER`);
  }

  createExecution(e: {
    id: string;
    caseId: string;
    caseDir: string | null;
    input: unknown;
    pipelineVersion: string;
    outputDir: string | null;
  }): void {
    this.db
      .prepare(
        `INSERT INTO executions (id, case_id, case_dir, status, input, started_at, pipeline_version, output_dir, owner_pid)
         VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?)`,
      )
      .run(e.id, e.caseId, e.caseDir, JSON.stringify(e.input), new Date().toISOString(), e.pipelineVersion, e.outputDir, process.pid);
  }

  finishExecution(id: string, result: { status: ExecutionStatus; output?: unknown; error?: string; cause?: string }): void {
    this.db
      .prepare(`UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, ended_at = ? WHERE id = ? AND status = 'RUNNING'`)
      .run(
        result.status,
        result.output === undefined ? null : JSON.stringify(result.output),
        result.error ?? null,
        result.cause ?? null,
        new Date().toISOString(),
        id,
      );
  }

  addEvent(
    executionId: string,
    event: { type: string; stateName?: string | null; timestamp: number; detail: Record<string, unknown> },
  ): void {
    const next = this.db.prepare(`SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM events WHERE execution_id = ?`).get(executionId) as {
      seq: number;
    };
    this.db
      .prepare(`INSERT INTO events (execution_id, seq, type, state_name, timestamp, detail) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(
        executionId,
        next.seq,
        event.type,
        event.stateName ?? null,
        new Date(event.timestamp).toISOString(),
        JSON.stringify(event.detail),
      );
  }

  addReport(executionId: string, stateName: string, status: ReportRow["status"], metrics: ReportRow["metrics"]): void {
    this.db
      .prepare(`INSERT INTO state_reports (execution_id, state_name, status, metrics, created_at) VALUES (?, ?, ?, ?, ?)`)
      .run(executionId, stateName, status, JSON.stringify(metrics), new Date().toISOString());
  }

  getExecution(id: string): ExecutionRow | undefined {
    const row = this.db.prepare(`SELECT * FROM executions WHERE id = ?`).get(id) as Record<string, string | null> | undefined;
    return row ? toExecution(row) : undefined;
  }

  listExecutions(limit = 50, filter: { status?: ExecutionStatus; caseId?: string; before?: string } = {}): ExecutionRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.status) {
      where.push("status = ?");
      args.push(filter.status);
    }
    if (filter.caseId) {
      where.push("case_id = ?");
      args.push(filter.caseId);
    }
    if (filter.before) {
      where.push("(started_at || id) < ?");
      args.push(filter.before);
    }
    const sql = `SELECT * FROM executions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, limit) as Array<Record<string, string | null>>).map(toExecution);
  }

  /** Every execution of one case at one pipeline version, oldest first. */
  executionsOf(caseId: string, pipelineVersion: string): ExecutionRow[] {
    return (
      this.db
        .prepare(`SELECT * FROM executions WHERE case_id = ? AND pipeline_version = ? ORDER BY started_at, id`)
        .all(caseId, pipelineVersion) as Array<Record<string, string | null>>
    ).map(toExecution);
  }

  /**
   * RUNNING executions whose process has died (a crash, a kill -9, a closed laptop) are
   * marked ABORTED, so they neither block a re-run nor show as running forever.
   * Returns the ids it marked.
   */
  reapOrphans(isAlive: (pid: number) => boolean = processAlive): string[] {
    const rows = this.db.prepare(`SELECT id, owner_pid FROM executions WHERE status = 'RUNNING'`).all() as Array<{
      id: string;
      owner_pid: number | null;
    }>;
    const reaped: string[] = [];
    const waiting = new Set(this.openReviewTasks().map((t) => t.executionId));
    for (const r of rows) {
      if (r.owner_pid === process.pid) continue;
      // Waiting for the attorney needs no process: any engine resumes it from its task.
      if (waiting.has(r.id)) continue;
      if (r.owner_pid !== null && isAlive(r.owner_pid)) continue;
      this.finishExecution(r.id, {
        status: "ABORTED",
        error: InterruptedError.errorName,
        cause: `the process that ran it (pid ${r.owner_pid ?? "unknown"}) ended before the execution did`,
      });
      reaped.push(r.id);
    }
    return reaped;
  }

  /** A new round's task replaces the last (used) one of the execution. */
  openReviewTask(t: ReviewTask): void {
    this.db.prepare(`DELETE FROM review_tasks WHERE execution_id = ?`).run(t.executionId);
    this.db
      .prepare(`INSERT INTO review_tasks (token, execution_id, state, version, round, opened_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(t.token, t.executionId, JSON.stringify(t.state), t.version, t.round, t.openedAt, t.expiresAt);
  }

  reviewTask(by: { executionId: string } | { token: string }): ReviewTask | undefined {
    const r = (
      "token" in by
        ? this.db.prepare(`SELECT * FROM review_tasks WHERE token = ?`).get(by.token)
        : this.db.prepare(`SELECT * FROM review_tasks WHERE execution_id = ?`).get(by.executionId)
    ) as Record<string, string | number> | undefined;
    return r ? toReviewTask(r) : undefined;
  }

  openReviewTasks(): ReviewTask[] {
    return (this.db.prepare(`SELECT * FROM review_tasks`).all() as Array<Record<string, string | number>>).map(toReviewTask);
  }

  /** Uses the token: true for the one caller that closed it, false when it was already used. */
  closeReviewTask(token: string): boolean {
    return this.db.prepare(`DELETE FROM review_tasks WHERE token = ?`).run(token).changes === 1;
  }

  /** A resumed execution belongs to the process that resumed it. */
  adoptExecution(id: string): void {
    this.db.prepare(`UPDATE executions SET owner_pid = ? WHERE id = ?`).run(process.pid, id);
  }

  events(executionId: string): EventRow[] {
    return (
      this.db.prepare(`SELECT * FROM events WHERE execution_id = ? ORDER BY seq`).all(executionId) as Array<
        Record<string, string | number | null>
      >
    ).map((r) => ({
      seq: Number(r.seq),
      type: String(r.type),
      stateName: (r.state_name as string | null) ?? null,
      timestamp: String(r.timestamp),
      detail: JSON.parse(String(r.detail)) as Record<string, unknown>,
    }));
  }

  reports(executionId: string): ReportRow[] {
    return (
      this.db.prepare(`SELECT * FROM state_reports WHERE execution_id = ? ORDER BY id`).all(executionId) as Array<Record<string, string>>
    ).map((r) => ({
      stateName: r.state_name!,
      status: r.status as ReportRow["status"],
      metrics: JSON.parse(r.metrics!) as ReportRow["metrics"],
      createdAt: r.created_at!,
    }));
  }
}

function toExecution(r: Record<string, string | null>): ExecutionRow {
  return {
    id: r.id!,
    caseId: r.case_id!,
    caseDir: r.case_dir ?? null,
    status: r.status as ExecutionStatus,
    input: JSON.parse(r.input!),
    output: r.output ? JSON.parse(r.output) : null,
    error: r.error ?? null,
    cause: r.cause ?? null,
    startedAt: r.started_at!,
    endedAt: r.ended_at ?? null,
    pipelineVersion: r.pipeline_version!,
    outputDir: r.output_dir ?? null,
    ownerPid: r.owner_pid === null || r.owner_pid === undefined ? null : Number(r.owner_pid),
  };
}

function toReviewTask(r: Record<string, string | number>): ReviewTask {
  return {
    token: String(r.token),
    executionId: String(r.execution_id),
    state: JSON.parse(String(r.state)) as unknown,
    version: String(r.version),
    round: Number(r.round),
    openedAt: String(r.opened_at),
    expiresAt: String(r.expires_at),
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, owned by someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
