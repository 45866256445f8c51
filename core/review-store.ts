/**
 * Where review gates (the task token kept with the execution), decision records and the
 * review audit log live: the history database file locally, a DynamoDB table in AWS
 * (`AFFIANT_REVIEW_TABLE`). The audit log is append-only in both: locally, triggers refuse
 * any UPDATE or DELETE of it; in AWS every entry is a conditional put (`attribute_not_exists`)
 * and no role may update or delete items (infra/permissions.ts). Each entry is a link of a
 * per-execution hash chain (core/audit-chain.ts). A decision record is never overwritten.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { chainAuditEntry } from "./audit-chain.ts";
import { awsClientTimeouts } from "./aws-timeouts.ts";
import { config } from "./config.ts";
import { InvalidInputError, ReviewRejectedError } from "./errors.ts";
import { homePaths } from "./paths.ts";
import type { ChainedAuditEntry, DecisionRecord, GateStatus, ReviewAuditEntry, ReviewGate, ReviewStore } from "./review.ts";
import { SqliteTables } from "./sqlite.ts";

/** Concurrent appends to one chain: the loser of a race reads the new end and tries again. */
const maxAppendAttempts = 8;

export class SqliteReviewStore extends SqliteTables implements ReviewStore {
  constructor(file: string = homePaths.database()) {
    super(
      file,
      `CREATE TABLE IF NOT EXISTS review_gates (
      execution_id TEXT PRIMARY KEY,
      token TEXT NOT NULL,
      version TEXT NOT NULL,
      round INTEGER NOT NULL,
      run_key TEXT NOT NULL,
      opened_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS review_decisions (
      decision_id TEXT PRIMARY KEY,
      execution_id TEXT NOT NULL,
      record TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS review_audit_log (
      execution_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      entry TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL,
      PRIMARY KEY (execution_id, seq)
    );
    CREATE TRIGGER IF NOT EXISTS review_audit_log_no_update BEFORE UPDATE ON review_audit_log
      BEGIN SELECT RAISE(ABORT, 'review_audit_log is append-only: entries cannot be changed'); END;
    CREATE TRIGGER IF NOT EXISTS review_audit_log_no_delete BEFORE DELETE ON review_audit_log
      BEGIN SELECT RAISE(ABORT, 'review_audit_log is append-only: entries cannot be deleted'); END;
    CREATE TRIGGER IF NOT EXISTS review_decisions_no_update BEFORE UPDATE ON review_decisions
      BEGIN SELECT RAISE(ABORT, 'review_decisions are never changed'); END;`,
    );
    // A database from before gates kept the quality gate's verdict.
    const columns = this.db.prepare(`PRAGMA table_info(review_gates)`).all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === "gate_status"))
      this.db.exec(`ALTER TABLE review_gates ADD COLUMN gate_status TEXT NOT NULL DEFAULT 'failing-review'`);
  }

  /** A new round replaces the last (used) gate. */
  async openGate(g: ReviewGate): Promise<void> {
    this.openGateSync(g);
  }

  openGateSync(g: ReviewGate): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO review_gates (execution_id, token, version, round, run_key, opened_at, expires_at, gate_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(g.executionId, g.token, g.version, g.round, g.runKey, g.openedAt, g.expiresAt, g.gateStatus);
  }

  async gate(executionId: string): Promise<ReviewGate | undefined> {
    return this.gateSync(executionId);
  }

  gateSync(executionId: string): ReviewGate | undefined {
    const r = this.db.prepare(`SELECT * FROM review_gates WHERE execution_id = ?`).get(executionId) as
      | Record<string, string | number | null>
      | undefined;
    return r ? rowToGate(r) : undefined;
  }

  async closeGate(executionId: string, token: string): Promise<boolean> {
    return this.closeGateSync(executionId, token);
  }

  closeGateSync(executionId: string, token: string): boolean {
    return this.db.prepare(`DELETE FROM review_gates WHERE execution_id = ? AND token = ?`).run(executionId, token).changes === 1;
  }

  async putDecision(record: DecisionRecord): Promise<void> {
    this.putDecisionSync(record);
  }

  putDecisionSync(record: DecisionRecord): void {
    // A plain INSERT: an id already used is an error, never a replacement.
    this.db
      .prepare(`INSERT INTO review_decisions (decision_id, execution_id, record) VALUES (?, ?, ?)`)
      .run(record.decisionId, record.executionId, JSON.stringify(record));
  }

  async decision(executionId: string, decisionId: string): Promise<DecisionRecord | undefined> {
    const r = this.db
      .prepare(`SELECT record FROM review_decisions WHERE decision_id = ? AND execution_id = ?`)
      .get(decisionId, executionId) as { record: string } | undefined;
    return r ? (JSON.parse(r.record) as DecisionRecord) : undefined;
  }

  async addAudit(e: ReviewAuditEntry): Promise<ChainedAuditEntry> {
    return this.addAuditSync(e);
  }

  addAuditSync(e: ReviewAuditEntry): ChainedAuditEntry {
    // One transaction: the chain's end read and the next link written together (the primary
    // key refuses a second link at the same place from another process).
    const append = this.db.transaction(() => {
      const last = this.db
        .prepare(`SELECT seq, hash FROM review_audit_log WHERE execution_id = ? ORDER BY seq DESC LIMIT 1`)
        .get(e.executionId) as { seq: number; hash: string } | undefined;
      const link = chainAuditEntry(e, last);
      this.db
        .prepare(`INSERT INTO review_audit_log (execution_id, seq, entry, prev_hash, hash) VALUES (?, ?, ?, ?, ?)`)
        .run(e.executionId, link.seq, JSON.stringify(auditFields(e)), link.prevHash, link.hash);
      return link;
    });
    return append.immediate();
  }

  async audit(executionId: string): Promise<ChainedAuditEntry[]> {
    return this.auditSync(executionId);
  }

  auditSync(executionId: string): ChainedAuditEntry[] {
    return (
      this.db
        .prepare(`SELECT seq, entry, prev_hash, hash FROM review_audit_log WHERE execution_id = ? ORDER BY seq`)
        .all(executionId) as Array<{ seq: number; entry: string; prev_hash: string; hash: string }>
    ).map((r) => ({ ...(JSON.parse(r.entry) as ReviewAuditEntry), executionId, seq: r.seq, prevHash: r.prev_hash, hash: r.hash }));
  }
}

/** The fields an audit entry stores (the chain's own fields are columns of their own). */
function auditFields(e: ReviewAuditEntry): ReviewAuditEntry {
  return {
    executionId: e.executionId,
    reviewer: e.reviewer,
    decision: e.decision,
    version: e.version,
    round: e.round,
    via: e.via,
    notesChars: e.notesChars,
    decidedAt: e.decidedAt,
    ...(e.decisionId ? { decisionId: e.decisionId } : {}),
    ...(e.override ? { override: true } : {}),
    ...(e.failure ? { failure: { error: e.failure.error, errorChars: e.failure.errorChars, causeChars: e.failure.causeChars } } : {}),
  };
}

function rowToGate(r: Record<string, string | number | null>): ReviewGate {
  return {
    executionId: String(r.execution_id),
    token: String(r.token),
    version: String(r.version),
    round: Number(r.round),
    runKey: String(r.run_key),
    openedAt: String(r.opened_at),
    expiresAt: String(r.expires_at),
    gateStatus: (r.gate_status === "passed" ? "passed" : "failing-review") as GateStatus,
  };
}

/** `log#00000001`: sort keys that order the chain. */
const auditSk = (seq: number) => `log#${String(seq).padStart(8, "0")}`;

/**
 * In AWS: two DynamoDB tables, partition key `executionId`, sort key `sk`. The review table
 * holds `gate` (the open gate, deleted when decided); the log table `decision#<id>` (each
 * decision record) and `log#<seq>` (the audit chain), written by conditional puts only.
 */
export class DynamoReviewStore implements ReviewStore {
  private readonly client: DynamoDBClient;
  /** `table`: the open gates; `logTable`: decision records and the audit chain (append-only). */
  constructor(
    private readonly table: string,
    private readonly logTable: string,
    client?: DynamoDBClient,
  ) {
    this.client = client ?? new DynamoDBClient({ ...awsClientTimeouts() });
  }

  async openGate(g: ReviewGate): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          executionId: { S: g.executionId },
          sk: { S: "gate" },
          token: { S: g.token },
          version: { S: g.version },
          round: { N: String(g.round) },
          openedAt: { S: g.openedAt },
          expiresAt: { S: g.expiresAt },
          runKey: { S: g.runKey },
          gateStatus: { S: g.gateStatus },
        },
      }),
    );
  }

  async gate(executionId: string): Promise<ReviewGate | undefined> {
    const res = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { executionId: { S: executionId }, sk: { S: "gate" } }, ConsistentRead: true }),
    );
    const i = res.Item;
    if (!i) return undefined;
    return {
      executionId,
      token: i.token!.S!,
      version: i.version!.S!,
      round: Number(i.round!.N),
      openedAt: i.openedAt!.S!,
      expiresAt: i.expiresAt!.S!,
      runKey: i.runKey!.S!,
      gateStatus: i.gateStatus?.S === "passed" ? "passed" : "failing-review",
    };
  }

  async closeGate(executionId: string, token: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { executionId: { S: executionId }, sk: { S: "gate" } },
          ConditionExpression: "#t = :t",
          ExpressionAttributeNames: { "#t": "token" },
          ExpressionAttributeValues: { ":t": { S: token } },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async putDecision(record: DecisionRecord): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.logTable,
          Item: {
            executionId: { S: record.executionId },
            sk: { S: `decision#${record.decisionId}` },
            record: { S: JSON.stringify(record) },
          },
          ConditionExpression: "attribute_not_exists(sk)",
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException)
        throw new ReviewRejectedError(`decision ${record.decisionId} of execution ${record.executionId} is already recorded`);
      throw err;
    }
  }

  async decision(executionId: string, decisionId: string): Promise<DecisionRecord | undefined> {
    const res = await this.client.send(
      new GetItemCommand({
        TableName: this.logTable,
        Key: { executionId: { S: executionId }, sk: { S: `decision#${decisionId}` } },
        ConsistentRead: true,
      }),
    );
    const text = res.Item?.record?.S;
    return text ? (JSON.parse(text) as DecisionRecord) : undefined;
  }

  async addAudit(e: ReviewAuditEntry): Promise<ChainedAuditEntry> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.logTable,
          KeyConditionExpression: "executionId = :e AND begins_with(sk, :l)",
          ExpressionAttributeValues: { ":e": { S: e.executionId }, ":l": { S: "log#" } },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      const lastItem = res.Items?.[0];
      const last = lastItem ? { seq: Number(lastItem.seq!.N), hash: lastItem.hash!.S! } : undefined;
      const link = chainAuditEntry(e, last);
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.logTable,
            Item: {
              executionId: { S: e.executionId },
              sk: { S: auditSk(link.seq) },
              seq: { N: String(link.seq) },
              entry: { S: JSON.stringify(auditFields(e)) },
              prevHash: { S: link.prevHash },
              hash: { S: link.hash },
            },
            // The place in the chain is taken once: a racing writer retries at the new end.
            ConditionExpression: "attribute_not_exists(sk)",
          }),
        );
        return link;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException) || attempt >= maxAppendAttempts) throw err;
      }
    }
  }

  async audit(executionId: string): Promise<ChainedAuditEntry[]> {
    const items: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.logTable,
          KeyConditionExpression: "executionId = :e AND begins_with(sk, :l)",
          ExpressionAttributeValues: { ":e": { S: executionId }, ":l": { S: "log#" } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items.map((i) => ({
      ...(JSON.parse(i.entry!.S!) as ReviewAuditEntry),
      executionId,
      seq: Number(i.seq!.N),
      prevHash: i.prevHash!.S!,
      hash: i.hash!.S!,
    }));
  }
}

/** DynamoDB where `AFFIANT_REVIEW_TABLE` is set (AWS), else the local history database file. */
export function openReviewStore(): ReviewStore {
  const { AFFIANT_REVIEW_TABLE: table, AFFIANT_REVIEW_LOG_TABLE: logTable } = config();
  if (table && logTable) return new DynamoReviewStore(table, logTable);
  if (table || logTable) throw new InvalidInputError("AFFIANT_REVIEW_TABLE and AFFIANT_REVIEW_LOG_TABLE go together");
  return new SqliteReviewStore();
}
