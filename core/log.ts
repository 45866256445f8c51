/**
 * Structured JSON log lines: ids, sizes, timings and counts only, never case text. Each
 * line carries the execution id, state and case id of the async context it was written in
 * (core/telemetry.ts). In Lambda and ECS, Powertools Logger writes them for CloudWatch;
 * locally, where `AFFIANT_LOG_FILE` is set (the CLI sets it), lines go to that file so the
 * terminal keeps the human progress display; otherwise to stderr.
 */
import { logRecord } from "./log-sink.ts";
import { currentContext, powertools } from "./telemetry.ts";

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export function log(level: "info" | "warn" | "error", event: string, fields: LogFields = {}): void {
  const ctx = currentContext();
  const { logger } = powertools();
  if (logger) {
    logger[level]({ message: event, event, ...ctx, ...fields });
    return;
  }
  logRecord({ time: new Date().toISOString(), level, event, ...ctx, ...fields });
}

export { logRecord } from "./log-sink.ts";
