/** `affiant review <execution> --approve | --changes notes.md [--facts facts.md]`: resumes it in this process. */
import { readFileSync } from "node:fs";
import { describeError, InvalidInputError } from "../core/errors.ts";
import { LocalEngine } from "../workflows/engine/local-engine.ts";
import { progressPrinter } from "./progress.ts";
import { localUser, printOutcome } from "./run-command.ts";

export async function reviewCommand(
  executionId: string,
  opts: { approve?: boolean; changes?: string; facts?: string; reviewer?: string; json?: boolean },
): Promise<number> {
  let engine: LocalEngine | undefined;
  try {
    if (Boolean(opts.approve) === Boolean(opts.changes))
      throw new InvalidInputError("give exactly one of --approve or --changes <notes.md>");
    const read = (flag: string, file: string, what: string) => {
      try {
        return readFileSync(file, "utf8");
      } catch (err) {
        throw new InvalidInputError(`${flag} ${file}: cannot read the ${what} file (${(err as NodeJS.ErrnoException).code ?? "error"})`);
      }
    };
    const notes = opts.changes ? read("--changes", opts.changes, "notes") : undefined;
    const facts = opts.facts ? read("--facts", opts.facts, "facts") : undefined;
    engine = new LocalEngine();
    engine.on("event", progressPrinter());
    const summary = await engine.reviews.decide(executionId, {
      decision: opts.approve ? "approve" : "changes",
      notes,
      ...(facts !== undefined ? { facts } : {}),
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
