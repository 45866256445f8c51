/**
 * `affiant review <execution> --approve | --changes notes.md [--lock 2,3]`: resumes it in this
 * process. A `## Paragraph N` heading in the notes aims what follows at paragraph N of the
 * filing version (core/review-paragraphs.ts).
 */
import { readFileSync } from "node:fs";
import { describeError, InvalidInputError } from "../core/errors.ts";
import { parseNotesMarkdown, parseParagraphList } from "../core/review-paragraphs.ts";
import { LocalEngine } from "../workflows/engine/local-engine.ts";
import { progressPrinter } from "./progress.ts";
import { localUser, printOutcome } from "./run-command.ts";

export async function reviewCommand(
  executionId: string,
  opts: { approve?: boolean; changes?: string; lock?: string; reviewer?: string; json?: boolean },
): Promise<number> {
  let engine: LocalEngine | undefined;
  try {
    if (Boolean(opts.approve) === Boolean(opts.changes))
      throw new InvalidInputError("give exactly one of --approve or --changes <notes.md>");
    let notes: string | undefined;
    if (opts.changes) {
      try {
        notes = readFileSync(opts.changes, "utf8");
      } catch (err) {
        throw new InvalidInputError(
          `--changes ${opts.changes}: cannot read the notes file (${(err as NodeJS.ErrnoException).code ?? "error"})`,
        );
      }
    }
    engine = new LocalEngine();
    engine.on("event", progressPrinter());
    const lock = opts.lock === undefined ? undefined : parseParagraphList("--lock", opts.lock);
    const aimed = notes === undefined ? undefined : parseNotesMarkdown(notes);
    const summary = await engine.reviews.decide(executionId, {
      decision: opts.approve ? "approve" : "changes",
      ...(aimed ? { notes: aimed.notes, paragraphNotes: aimed.paragraphNotes } : {}),
      ...(lock ? { lock } : {}),
      reviewer: opts.reviewer ?? localUser(),
      via: "cli",
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    printOutcome(summary);
    return summary.status === "SUCCEEDED" || summary.waitingFor ? 0 : 1;
  } catch (err) {
    const { name, message } = describeError(err);
    process.stderr.write(`affiant review: ${name === InvalidInputError.errorName ? "" : `${name}: `}${message}\n`);
    return 1;
  } finally {
    engine?.dispose();
  }
}
