/** The one way Affiant opens its SQLite file: WAL, so the CLI, the engine and its functions can share it. */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import path from "node:path";

export function openSqlite(file: string): Database.Database {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  return db;
}

/**
 * A store kept in tables of the SQLite file: opens it, creates its tables (`schema`, idempotent
 * SQL) and closes it once however often `dispose()` is called.
 */
export class SqliteTables {
  protected readonly db: Database.Database;
  private disposed = false;

  constructor(file: string, schema: string) {
    this.db = openSqlite(file);
    this.db.exec(schema);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.db.close();
  }
}
