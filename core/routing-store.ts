/**
 * What routing learns: every GPU stage's outcome per model (success, or the error name:
 * stall, crash, timeout…). A model whose recent failure rate is over its threshold has an
 * open circuit and is skipped ahead of time, straight to the stage's fallback, instead of
 * costing a heartbeat interval per case (the seed deployment's Qwen3 hung in a third of
 * runs). Locally the outcomes live in the SQLite history database; DynamoDB in AWS.
 */
import type Database from "better-sqlite3";
import { openSqlite } from "./sqlite.ts";
import { homePaths } from "./paths.ts";

export interface BreakerPolicy {
  /** Open the circuit above this share of failures among the recent outcomes. */
  failureRate: number;
  /** Never open on fewer outcomes than this. */
  minSamples: number;
  /** How many recent outcomes count. */
  window: number;
  /** After this long with no outcome, one run is let through to probe (half-open). */
  cooldownSeconds: number;
}

export const defaultBreaker: BreakerPolicy = { failureRate: 0.5, minSamples: 5, window: 20, cooldownSeconds: 300 };

export interface ModelHealth {
  model: string;
  samples: number;
  failures: number;
  stalls: number;
  open: boolean;
}

const stallErrors = new Set(["Affiant.GenerationStalled", "States.HeartbeatTimeout", "States.Timeout"]);

export class RoutingStore {
  private readonly db: Database.Database;
  private disposed = false;

  constructor(file: string = homePaths.database()) {
    this.db = openSqlite(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS model_outcomes (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      model TEXT NOT NULL,
      stage TEXT NOT NULL,
      ok INTEGER NOT NULL,
      error TEXT,
      at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS model_outcomes_model ON model_outcomes(model, id);`);
  }

  record(model: string, stage: string, error: string | null): void {
    this.db.prepare(`INSERT INTO model_outcomes (model, stage, ok, error, at) VALUES (?, ?, ?, ?, ?)`).run(model, stage, error ? 0 : 1, error, new Date().toISOString());
  }

  health(model: string, policy: BreakerPolicy = defaultBreaker): ModelHealth {
    const rows = this.db.prepare(`SELECT ok, error, at FROM model_outcomes WHERE model = ? ORDER BY id DESC LIMIT ?`).all(model, policy.window) as Array<{ ok: number; error: string | null; at: string }>;
    const failures = rows.filter((r) => !r.ok).length;
    const stalls = rows.filter((r) => r.error && stallErrors.has(r.error)).length;
    const tripped = rows.length >= policy.minSamples && failures / rows.length > policy.failureRate;
    const quietMs = rows[0] ? Date.now() - Date.parse(rows[0].at) : Number.POSITIVE_INFINITY;
    const open = tripped && quietMs < policy.cooldownSeconds * 1000;
    return { model, samples: rows.length, failures, stalls, open };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.db.close();
  }
}
