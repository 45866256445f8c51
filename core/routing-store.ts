/**
 * What routing learns: every GPU stage's outcome per model (success, or the error name:
 * stall, crash, timeout…). A model whose recent failure rate is over its threshold has an
 * open circuit and is skipped ahead of time, straight to the stage's fallback, instead of
 * costing a heartbeat interval per case (the seed deployment's Qwen3 hung in a third of
 * runs). Locally the outcomes live in the SQLite history database; DynamoDB in AWS.
 */
import { randomBytes } from "node:crypto";
import { DynamoDBClient, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { awsClientTimeouts } from "./aws-timeouts.ts";
import { config } from "./config.ts";
import { DeadlineReachedError, GenerationStalledError, WorkerStalledError } from "./errors.ts";
import { homePaths } from "./paths.ts";
import { SqliteTables } from "./sqlite.ts";

export interface BreakerPolicy {
  /** Open the circuit above this share of failures among the recent outcomes. */
  failureRate: number;
  /** Never open on fewer outcomes than this. */
  minSamples: number;
  /** How many recent outcomes count. */
  window: number;
  /** After this long with no outcome, exactly one run is let through to probe (half-open). */
  cooldownSeconds: number;
}

export const defaultBreaker: BreakerPolicy = { failureRate: 0.5, minSamples: 5, window: 20, cooldownSeconds: 300 };

export interface ModelHealth {
  model: string;
  samples: number;
  failures: number;
  stalls: number;
  /** Tripped, and the latest failure is within the cooldown: refuse. */
  open: boolean;
  /** Tripped, the cooldown is over: one run may probe, if it wins the claim (core/breaker.ts). */
  probeDue: boolean;
}

const stallErrors = new Set([
  GenerationStalledError.errorName,
  WorkerStalledError.errorName,
  DeadlineReachedError.errorName,
  "States.HeartbeatTimeout",
  "States.Timeout",
]);

interface Outcome {
  ok: boolean;
  error: string | null;
  at: string;
}

/** The breaker's verdict from the most recent outcomes (newest first). */
function evaluate(model: string, rows: Outcome[], policy: BreakerPolicy): ModelHealth {
  const failures = rows.filter((r) => !r.ok).length;
  const stalls = rows.filter((r) => r.error && stallErrors.has(r.error)).length;
  // A success since the last failure (a probe that went well) closes the circuit.
  const tripped = rows.length >= policy.minSamples && failures / rows.length > policy.failureRate && !rows[0]!.ok;
  const quietMs = rows[0] ? Date.now() - Date.parse(rows[0].at) : Number.POSITIVE_INFINITY;
  const cooling = quietMs < policy.cooldownSeconds * 1000;
  return { model, samples: rows.length, failures, stalls, open: tripped && cooling, probeDue: tripped && !cooling };
}

export interface RoutingStore {
  record(model: string, stage: string, error: string | null): Promise<void>;
  health(model: string, policy?: BreakerPolicy): Promise<ModelHealth>;
  /**
   * Claims the one probe of a half-open circuit with a conditional write: true for exactly
   * one caller until `staleMs` passes (a probe that never reported frees its claim then).
   */
  claimProbe(model: string, staleMs: number): Promise<boolean>;
  /** Safe to call twice. */
  dispose(): void;
}

/** Locally: a table in the SQLite history database. */
export class SqliteRoutingStore extends SqliteTables implements RoutingStore {
  constructor(file: string = homePaths.database()) {
    super(
      file,
      `CREATE TABLE IF NOT EXISTS model_outcomes (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      model TEXT NOT NULL,
      stage TEXT NOT NULL,
      ok INTEGER NOT NULL,
      error TEXT,
      at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS model_outcomes_model ON model_outcomes(model, id);
    CREATE TABLE IF NOT EXISTS breaker_probes (model TEXT PRIMARY KEY, claimed_at INTEGER NOT NULL);`,
    );
  }

  async record(model: string, stage: string, error: string | null): Promise<void> {
    this.db
      .prepare(`INSERT INTO model_outcomes (model, stage, ok, error, at) VALUES (?, ?, ?, ?, ?)`)
      .run(model, stage, error ? 0 : 1, error, new Date().toISOString());
  }

  async health(model: string, policy: BreakerPolicy = defaultBreaker): Promise<ModelHealth> {
    const rows = this.db
      .prepare(`SELECT ok, error, at FROM model_outcomes WHERE model = ? ORDER BY id DESC LIMIT ?`)
      .all(model, policy.window) as Array<{ ok: number; error: string | null; at: string }>;
    return evaluate(
      model,
      rows.map((r) => ({ ok: r.ok === 1, error: r.error, at: r.at })),
      policy,
    );
  }

  async claimProbe(model: string, staleMs: number): Promise<boolean> {
    const now = Date.now();
    const r = this.db
      .prepare(
        `INSERT INTO breaker_probes (model, claimed_at) VALUES (?, ?) ON CONFLICT(model) DO UPDATE SET claimed_at = excluded.claimed_at WHERE breaker_probes.claimed_at <= ?`,
      )
      .run(model, now, now - staleMs);
    return r.changes === 1;
  }
}

/**
 * In AWS: a DynamoDB table (partition key `model`, sort key `seq`, TTL on `expiresAt`), shared
 * by every worker task and fallback function.
 */
export class DynamoRoutingStore implements RoutingStore {
  private readonly client: DynamoDBClient;

  constructor(
    private readonly table: string,
    client?: DynamoDBClient,
  ) {
    this.client = client ?? new DynamoDBClient({ ...awsClientTimeouts() });
  }

  async record(model: string, stage: string, error: string | null): Promise<void> {
    const at = new Date().toISOString();
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          model: { S: model },
          seq: { S: `${at}#${randomBytes(4).toString("hex")}` },
          stage: { S: stage },
          ok: { BOOL: !error },
          ...(error ? { error: { S: error } } : {}),
          at: { S: at },
          expiresAt: { N: String(Math.floor(Date.now() / 1000) + 7 * 24 * 3600) },
        },
      }),
    );
  }

  async health(model: string, policy: BreakerPolicy = defaultBreaker): Promise<ModelHealth> {
    const res = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "#m = :m",
        ExpressionAttributeNames: { "#m": "model" },
        ExpressionAttributeValues: { ":m": { S: model } },
        ScanIndexForward: false,
        Limit: policy.window,
      }),
    );
    const rows = (res.Items ?? []).map((i) => ({
      ok: i.ok?.BOOL ?? false,
      error: i.error?.S ?? null,
      at: i.at?.S ?? new Date(0).toISOString(),
    }));
    return evaluate(model, rows, policy);
  }

  async claimProbe(model: string, staleMs: number): Promise<boolean> {
    const now = Date.now();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          // Its own partition, so the outcome queries never see it.
          Item: {
            model: { S: `probe#${model}` },
            seq: { S: "probe" },
            claimedAt: { N: String(now) },
            expiresAt: { N: String(Math.floor(now / 1000) + 7 * 24 * 3600) },
          },
          ConditionExpression: "attribute_not_exists(seq) OR claimedAt <= :stale",
          ExpressionAttributeValues: { ":stale": { N: String(now - staleMs) } },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  dispose(): void {
    this.client.destroy();
  }
}

/** DynamoDB where `AFFIANT_ROUTING_TABLE` is set (AWS), else the local SQLite file. */
export function openRoutingStore(): RoutingStore {
  const table = config().AFFIANT_ROUTING_TABLE;
  return table ? new DynamoRoutingStore(table) : new SqliteRoutingStore();
}
