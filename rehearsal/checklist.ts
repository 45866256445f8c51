/** The rehearsal's checklist: one row per check, pass or fail, with a detail. */

export interface Row {
  area: string;
  check: string;
  ok: boolean;
  detail: string;
}

export const rows: Row[] = [];

export const record = (area: string, check: string, ok: boolean, detail = "") => rows.push({ area, check, ok, detail });

/** Runs one check: its return value is the detail; a throw fails it with the message. */
// biome-ignore lint/suspicious/noConfusingVoidType: a check may return a note or nothing
export async function attempt(area: string, check: string, fn: () => Promise<string | void> | string | void) {
  try {
    record(area, check, true, (await fn()) ?? "");
  } catch (err) {
    record(area, check, false, (err as Error).message.split("\n").slice(0, 3).join(" | "));
  }
}

export function must(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
