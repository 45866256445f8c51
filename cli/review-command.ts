/**
 * `affiant review <execution> --approve | --changes notes.md [--facts facts.md] [--lock 2,3]
 * [--round n] [--override-reason …]`: resumes it in this process. A `## Paragraph N` heading in
 * the notes aims what follows at paragraph N of the filing version (core/review-paragraphs.ts).
 * The decision is recorded under the local user running the command (said on stderr); a
 * reviewer name cannot be given.
 */
import { readFileSync } from "node:fs";
import { describeError, InvalidInputError } from "../core/errors.ts";
import { parseNotesMarkdown, parseParagraphList } from "../core/review-paragraphs.ts";
import { LocalEngine } from "../workflows/engine/local-engine.ts";
import { progressPrinter } from "./progress.ts";
import { localUser, printOutcome } from "./run-command.ts";

export interface ReviewOptions {
  approve?: boolean;
  changes?: string;
  lock?: string;
  facts?: string;
  round?: string;
  overrideReason?: string;
  reviewer?: string;
  json?: boolean;
}

export async function reviewCommand(executionId: string, opts: ReviewOptions): Promise<number> {
  let engine: LocalEngine | undefined;
  try {
    if (Boolean(opts.approve) === Boolean(opts.changes))
      throw new InvalidInputError("give exactly one of --approve or --changes <notes.md>");
    const user = localUser();
    if (opts.reviewer !== undefined)
      throw new InvalidInputError(
        `--reviewer: a decision is recorded under who makes it; this command runs as the local user "${user}" (to decide under another name, use that user's account or a named API token)`,
      );
    let round: number | undefined;
    if (opts.round !== undefined) {
      round = Number(opts.round);
      if (!/^\d+$/.test(opts.round)) throw new InvalidInputError(`--round ${opts.round}: a whole number (the review round answered)`);
    }
    const read = (flag: string, file: string, what: string) => {
      try {
        return readFileSync(file, "utf8");
      } catch (err) {
        throw new InvalidInputError(`${flag} ${file}: cannot read the ${what} file (${(err as NodeJS.ErrnoException).code ?? "error"})`);
      }
    };
    const notes = opts.changes ? read("--changes", opts.changes, "notes") : undefined;
    const facts = opts.facts ? read("--facts", opts.facts, "facts") : undefined;
    const lock = opts.lock === undefined ? undefined : parseParagraphList("--lock", opts.lock);
    const aimed = notes === undefined ? undefined : parseNotesMarkdown(notes);
    engine = new LocalEngine();
    // Without --round, the round open now: said, so the attorney sees which draft is decided.
    const open = engine.reviews.task(executionId)?.round;
    round ??= open;
    process.stderr.write(
      `affiant review: deciding as the local user "${user}"${round === undefined ? "" : ` on round ${round}`} of ${executionId}\n`,
    );
    engine.on("event", progressPrinter());
    const summary = await engine.reviews.decide(executionId, {
      decision: opts.approve ? "approve" : "changes",
      round,
      ...(aimed ? { notes: aimed.notes, paragraphNotes: aimed.paragraphNotes } : {}),
      ...(lock ? { lock } : {}),
      ...(facts !== undefined ? { facts } : {}),
      overrideReason: opts.overrideReason,
      reviewer: user,
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
