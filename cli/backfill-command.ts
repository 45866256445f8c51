/** `affiant backfill <dir> [--concurrency N] [--json]`: a progress bar, then a summary. */
import path from "node:path";
import cliProgress from "cli-progress";
import { describeError, InvalidInputError } from "../core/errors.ts";
import { backfill } from "../workflows/backfill.ts";
import { LocalEngine } from "../workflows/engine/local-engine.ts";

export async function backfillCommand(dir: string, opts: { concurrency: string; json?: boolean }): Promise<number> {
  let engine: LocalEngine | undefined;
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: "backfill [{bar}] {value}/{total} cases | {eta_formatted} left | {last}", stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  try {
    engine = new LocalEngine();
    const onSignal = () => {
      bar?.stop();
      process.stderr.write("\ninterrupted: running cases are recorded ABORTED; run the same command again to resume\n");
      engine?.dispose();
      process.exit(130);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let barStarted = false;
    const summary = await backfill({
      dir,
      engine,
      concurrency: Number(opts.concurrency),
      onCase: ({ phase, result, done, total }) => {
        if (bar) {
          if (!barStarted) {
            bar.start(total, 0, { last: "" });
            barStarted = true;
          }
          if (phase === "end") bar.update(done, { last: `${result!.caseId}: ${result!.outcome}` });
        } else if (phase === "end") {
          process.stderr.write(
            `[${done}/${total}] ${result!.caseId}: ${result!.outcome}${result!.ms ? ` in ${(result!.ms / 1000).toFixed(1)}s` : ""}${result!.error ? ` (${result!.error.split("\n")[0]})` : ""}\n`,
          );
        }
      },
    });
    bar?.stop();
    if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    const out = process.stderr;
    out.write(
      `\nbackfill: ${summary.cases} case(s): ${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.skippedDone} already done, ${summary.skippedRunning} running elsewhere, ${summary.invalid} invalid — ${(summary.wallMs / 1000).toFixed(1)}s at concurrency ${summary.concurrency}\n`,
    );
    for (const r of summary.results.filter((r) => r.outcome === "failed" || r.outcome === "invalid")) {
      out.write(
        `  ${r.outcome}: ${path.relative(process.cwd(), r.folder) || r.folder}${r.executionId ? ` (${r.executionId})` : ""}: ${r.error}\n`,
      );
    }
    return summary.failed === 0 && summary.invalid === 0 ? 0 : 1;
  } catch (err) {
    bar?.stop();
    const { name, message } = describeError(err);
    process.stderr.write(`affiant backfill: ${name === InvalidInputError.errorName ? "" : `${name}: `}${message}\n`);
    return 1;
  } finally {
    engine?.dispose();
  }
}
