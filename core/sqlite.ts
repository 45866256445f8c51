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
