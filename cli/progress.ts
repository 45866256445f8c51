/**
 * Live progress on stderr: one line per state transition, and on a terminal a status line
 * for the GPU stage in flight (model, tokens, tokens/s). Never case text.
 */
import type { EngineEvent } from "../workflows/engine/local-engine.ts";

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr) {
  const started = new Map<string, number>();
  const caught = new Set<string>();
  const t0 = Date.now();
  const tty = Boolean(stream.isTTY);
  let statusLine = false;
  const clear = () => {
    if (statusLine) stream.write("\r\x1b[2K");
    statusLine = false;
  };
  const elapsed = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  return (event: EngineEvent) => {
    if (event.type === "worker") return;
    if (event.type === "progress") {
      if (!tty) return;
      const p = event.progress;
      clear();
      const what =
        p.phase === "load"
          ? `loading ${Math.round((p.loadProgress ?? 0) * 100)}%`
          : p.phase === "prompt"
            ? `prompt ${p.promptTokens ?? 0} tok`
            : `${p.tokens} tok, ${p.tokensPerSecond.toFixed(0)} tok/s`;
      stream.write(`  … ${event.state}  ${what}  [${elapsed(Date.now() - t0)}]`);
      statusLine = true;
      return;
    }
    clear();
    const key = event.state;
    if (event.status === "ENTERED") {
      started.set(key, event.at);
      stream.write(`→ ${event.state}  [${elapsed(event.at - t0)}]\n`);
    } else {
      // The library reports a caught state as exited too; the catch line already said it.
      if (event.status === "CAUGHT") caught.add(key);
      else if (event.status === "SUCCEEDED" && caught.delete(key)) return;
      const took = started.has(key) ? elapsed(event.at - started.get(key)!) : "";
      const mark = event.status === "SUCCEEDED" ? "✓" : event.status === "RETRIED" ? "↻" : "✗";
      stream.write(
        `${mark} ${event.state}  ${took}${event.error ? `  ${event.error}` : ""}${event.status === "CAUGHT" ? "  → fallback" : ""}\n`,
      );
    }
  };
}
