/**
 * Structured JSON log lines: ids, sizes, timings and counts only, never case text. Where
 * `AFFIANT_LOG_FILE` is set (the CLI sets it) lines go there, so the terminal keeps the
 * human progress display; otherwise to stderr, as Lambda and ECS collect it.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export function log(level: "info" | "warn" | "error", event: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }) + "\n";
  const file = process.env.AFFIANT_LOG_FILE;
  if (file) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, line);
      return;
    } catch {
      // fall through to stderr: a log line is never worth failing a run for
    }
  }
  process.stderr.write(line);
}
