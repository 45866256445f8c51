/** Number, time and status formatting shared by the views. */
import { h } from "./dom.ts";

type Maybe<T> = T | null | undefined;

export function fmtMs(ms: Maybe<number>): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60000);
  return `${m} min ${Math.round((ms - m * 60000) / 1000)} s`;
}

export function fmtDuration(startedAt: string, endedAt: Maybe<string>): string {
  const start = Date.parse(startedAt);
  const end = endedAt ? Date.parse(endedAt) : Date.now();
  if (Number.isNaN(start) || Number.isNaN(end)) return "–";
  return fmtMs(end - start);
}

export function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "–";
  return d.toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });
}

export function fmtCost(usd: Maybe<number>): string {
  if (usd === null || usd === undefined || Number.isNaN(usd)) return "–";
  if (usd === 0) return "$0";
  if (usd < 0.0001) return "<$0.0001";
  return `$${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(3)}`;
}

export function fmtNum(n: Maybe<number>, digits?: number): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits || 0 });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** A cause is often a JSON error object: show its message, not the wrapping. */
export function causeMessage(cause: unknown): string {
  if (typeof cause !== "string" || !cause) return "";
  const text = cause.trim();
  if (text.charAt(0) === "{") {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isRecord(parsed)) {
        const msg = parsed.errorMessage || parsed.message || parsed.Message || parsed.reason || parsed.cause;
        if (typeof msg === "string") return causeMessage(msg) || msg;
        return Object.keys(parsed)
          .filter((k) => typeof parsed[k] !== "object")
          .map((k) => `${k}: ${String(parsed[k])}`)
          .join(" · ");
      }
    } catch {
      /* not JSON after all */
    }
  }
  return text;
}

export function statusBadge(status: Maybe<string>): HTMLSpanElement {
  const st = String(status || "UNKNOWN");
  return h("span", { class: `badge badge-${st.toLowerCase().replace(/_/g, "-")}` }, st.replace(/_/g, " "));
}

/** An error's name and message, whatever was thrown (an ApiError, a fetch TypeError, …). */
export function errorText(err: unknown): { name: string; message: string } {
  const e = isRecord(err) ? err : {};
  return { name: typeof e.name === "string" ? e.name : "", message: typeof e.message === "string" ? e.message : "" };
}
