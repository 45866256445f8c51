/** Where local log records go: the `AFFIANT_LOG_FILE`, else stderr (shared by log.ts and telemetry.ts). */
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { config } from "./config.ts";

/** A whole JSON record (a log line or an EMF metrics document) to the local log. */
export function logRecord(record: Record<string, unknown>): void {
  const line = `${JSON.stringify(record)}\n`;
  const file = config().AFFIANT_LOG_FILE;
  if (file) {
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      appendFileSync(file, line, { mode: 0o600 });
      return;
    } catch {
      // fall through to stderr: a log line is never worth failing a run for
    }
  }
  process.stderr.write(line);
}
