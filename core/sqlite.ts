/** The one way Affiant opens its SQLite file: WAL, so the CLI, the engine and its functions can share it. */

import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { privateDir, privateModes } from "./paths.ts";

export function openSqlite(file: string): Database.Database {
  privateDir(path.dirname(file));
  // Created 0600 before SQLite opens it; its -wal and -shm files take the same mode.
  if (!existsSync(file)) closeSync(openSync(file, "a", privateModes.file));
  chmodSync(file, privateModes.file);
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
