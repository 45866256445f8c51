/**
 * Where review gates (the task token kept with the execution) and the review audit log live:
 * the history database file locally, a DynamoDB table in AWS (`AFFIANT_REVIEW_TABLE`).
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { awsClientTimeouts } from "./aws-timeouts.ts";
import { config } from "./config.ts";
import { homePaths } from "./paths.ts";
import type { ReviewAuditEntry, ReviewGate, ReviewStore } from "./review.ts";
import { SqliteTables } from "./sqlite.ts";

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
    CREATE TABLE IF NOT EXISTS review_audit (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      execution_id TEXT NOT NULL,
      reviewer TEXT NOT NULL,
      decision TEXT NOT NULL,
      version TEXT NOT NULL,
      round INTEGER NOT NULL,
      via TEXT NOT NULL,
      notes_chars INTEGER NOT NULL,
      decided_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS review_audit_exec ON review_audit(execution_id, id);`,
    );
  }

  /** A new round replaces the last (used) gate. */
  async openGate(g: ReviewGate): Promise<void> {
    this.openGateSync(g);
  }

  openGateSync(g: ReviewGate): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO review_gates (execution_id, token, version, round, run_key, opened_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(g.executionId, g.token, g.version, g.round, g.runKey, g.openedAt, g.expiresAt);
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

  gateByToken(token: string): ReviewGate | undefined {
    const r = this.db.prepare(`SELECT * FROM review_gates WHERE token = ?`).get(token) as
      | Record<string, string | number | null>
      | undefined;
    return r ? rowToGate(r) : undefined;
  }

  openGates(): ReviewGate[] {
    return (this.db.prepare(`SELECT * FROM review_gates`).all() as Array<Record<string, string | number | null>>).map(rowToGate);
  }

  async closeGate(executionId: string, token: string): Promise<boolean> {
    return this.closeGateSync(executionId, token);
  }

  closeGateSync(executionId: string, token: string): boolean {
    return this.db.prepare(`DELETE FROM review_gates WHERE execution_id = ? AND token = ?`).run(executionId, token).changes === 1;
  }

  async addAudit(e: ReviewAuditEntry): Promise<void> {
    this.addAuditSync(e);
  }

  addAuditSync(e: ReviewAuditEntry): void {
    this.db
      .prepare(
        `INSERT INTO review_audit (execution_id, reviewer, decision, version, round, via, notes_chars, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(e.executionId, e.reviewer, e.decision, e.version, e.round, e.via, e.notesChars, e.decidedAt);
  }

  async audit(executionId: string): Promise<ReviewAuditEntry[]> {
    return this.auditSync(executionId);
  }

  auditSync(executionId: string): ReviewAuditEntry[] {
    return (
      this.db.prepare(`SELECT * FROM review_audit WHERE execution_id = ? ORDER BY id`).all(executionId) as Array<
        Record<string, string | number>
      >
    ).map((r) => ({
      executionId: String(r.execution_id),
      reviewer: String(r.reviewer),
      decision: r.decision as ReviewAuditEntry["decision"],
      version: String(r.version),
      round: Number(r.round),
      via: String(r.via),
      notesChars: Number(r.notes_chars),
      decidedAt: String(r.decided_at),
    }));
  }
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
  };
}

/**
 * In AWS: one DynamoDB table, partition key `executionId`, sort key `sk`: `gate` (the open
 * gate, deleted when decided) and `audit#<time>#<n>` (every decision).
 */
export class DynamoReviewStore implements ReviewStore {
  private readonly client: DynamoDBClient;
  constructor(
    private readonly table: string,
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

  async addAudit(e: ReviewAuditEntry): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          executionId: { S: e.executionId },
          sk: { S: `audit#${e.decidedAt}#${Math.random().toString(36).slice(2, 8)}` },
          reviewer: { S: e.reviewer },
          decision: { S: e.decision },
          version: { S: e.version },
          round: { N: String(e.round) },
          via: { S: e.via },
          notesChars: { N: String(e.notesChars) },
          decidedAt: { S: e.decidedAt },
        },
      }),
    );
  }

  async audit(executionId: string): Promise<ReviewAuditEntry[]> {
    const res = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "executionId = :e AND begins_with(sk, :a)",
        ExpressionAttributeValues: { ":e": { S: executionId }, ":a": { S: "audit#" } },
        ConsistentRead: true,
      }),
    );
    return (res.Items ?? []).map((i) => ({
      executionId,
      reviewer: i.reviewer!.S!,
      decision: i.decision!.S! as ReviewAuditEntry["decision"],
      version: i.version!.S!,
      round: Number(i.round!.N),
      via: i.via!.S!,
      notesChars: Number(i.notesChars!.N),
      decidedAt: i.decidedAt!.S!,
    }));
  }
}

/** DynamoDB where `AFFIANT_REVIEW_TABLE` is set (AWS), else the local history database file. */
export function openReviewStore(): ReviewStore {
  const table = config().AFFIANT_REVIEW_TABLE;
  return table ? new DynamoReviewStore(table) : new SqliteReviewStore();
}
