/**
 * `affiant`: the command line (README, "Try it" and "More of the command line"). Every command that fails prints one line
 * naming what and where, and exits non-zero.
 */
import { Command, CommanderError, Option } from "commander";
import { config, setEnv } from "../core/config.ts";
import { describeError } from "../core/errors.ts";
import { homePaths, privateUmask } from "../core/paths.ts";
import type { ReviewOptions } from "./review-command.ts";

// Each command's module is imported when the command runs: `affiant --help` loads none of
// the engine, the model runtime or the AWS SDK.

// The CLI logs to a file under its home unless told otherwise (a write: children inherit it).
privateUmask();
if (config().AFFIANT_LOG_FILE === undefined) setEnv({ AFFIANT_LOG_FILE: homePaths.logFile() });

const program = new Command()
  .name("affiant")
  .description("Case file (PDFs) to a draft sworn declaration, through a pipeline that cannot hang and never leaks a client's identity")
  .showHelpAfterError()
  .exitOverride();

const collect = (value: string, previous: string[]) => [...previous, value];

program
  .command("run")
  .description("run one case locally, end to end")
  .argument("<case-dir>", "folder with case.json and the case's PDFs")
  .option("--json", "print the execution summary as JSON on stdout")
  .addOption(
    new Option("--fault <State=kind>", "inject a worker fault: stall|crash|oom|slow|loop (repeatable)").argParser(collect).default([]),
  )
  .option(
    "--approve",
    "approve at the AttorneyReview gate unattended (demos, tests: recorded with no reviewer, the filing copy says not reviewed by an attorney)",
  )
  .action(async (caseDir: string, opts: { json?: boolean; fault: string[]; approve?: boolean }) => {
    const { runCommand } = await import("./run-command.ts");
    process.exitCode = await runCommand(caseDir, opts);
  });

program
  .command("review")
  .description("decide on an execution waiting in AttorneyReview: approve, or changes with notes (runs it on in this process)")
  .argument("<execution>", "execution id (affiant runs list)")
  .option("--approve", "approve the declaration under review")
  .option(
    "--changes <notes.md>",
    "ask for changes; the notes are redacted before any model sees them; a '## Paragraph N' heading aims the notes under it at paragraph N of the filing version",
  )
  .option("--lock <numbers>", "lock paragraphs of the filing version as verified (e.g. 2,3): never rewritten from now on")
  .option("--facts <facts.md>", "with --changes: facts from the client, a source the next draft may cite (redacted, not filed)")
  .option("--round <n>", "the review round this decision answers (default: the round open now, printed)")
  .option("--override-reason <text>", "why a draft that failed the quality gate is approved anyway (required to approve one)")
  .option("--reviewer <name>", "refused: the decision is recorded under the local user running this command")
  .option("--json", "print the execution summary as JSON on stdout")
  .action(async (executionId: string, opts: ReviewOptions) => {
    const { reviewCommand } = await import("./review-command.ts");
    process.exitCode = await reviewCommand(executionId, opts);
  });

const runs = program.command("runs").description("run history from the local database");
runs
  .command("list")
  .option("--json", "JSON on stdout")
  .action(async (opts: { json?: boolean }) => {
    const { runsListCommand } = await import("./runs-command.ts");
    process.exitCode = runsListCommand(opts);
  });
runs
  .command("audit")
  .description("the execution's review audit log (hash-chained); --verify checks the chain")
  .argument("<id>", "execution id")
  .option("--verify", "recompute every hash; exit 1 when an entry was changed, removed or inserted")
  .option("--json", "JSON on stdout")
  .action(async (id: string, opts: { verify?: boolean; json?: boolean }) => {
    const { runsAuditCommand } = await import("./runs-audit-command.ts");
    process.exitCode = runsAuditCommand(id, opts);
  });
runs
  .command("show")
  .argument("<id>", "execution id")
  .option("--json", "JSON on stdout")
  .action(async (id: string, opts: { json?: boolean }) => {
    const { runsShowCommand } = await import("./runs-command.ts");
    process.exitCode = runsShowCommand(id, opts);
  });

program
  .command("workflow")
  .description("the state-machine definition")
  .command("export")
  .description("print the Amazon States Language definition (JSON)")
  .action(async () => {
    const [{ buildDefinition }, { loadRegistry }] = await Promise.all([
      import("../workflows/definition.ts"),
      import("../core/registry.ts"),
    ]);
    process.stdout.write(`${JSON.stringify(buildDefinition({ registry: loadRegistry() }), null, 2)}\n`);
  });

const models = program.command("models").description("the model registry");
models
  .command("check")
  .description("GGUF metadata, memory at the configured context, and whether each model fits its host")
  .option("--json", "JSON on stdout")
  .option("--verify", "also check each file's sha256 against the registry")
  .option("--bedrock", "instead, ask Bedrock (GetFoundationModel) whether each Bedrock model the registry calls is Active")
  .action(async (opts: { json?: boolean; verify?: boolean; bedrock?: boolean }) => {
    const { modelsCheckCommand, bedrockCheckCommand } = await import("./models-command.ts");
    process.exitCode = opts.bedrock ? await bedrockCheckCommand(opts) : await modelsCheckCommand(opts);
  });

models
  .command("pull")
  .description("download the registry's models (progress, resume, sha256 check)")
  .addOption(new Option("--only <id>", "only this registry model (repeatable)").argParser(collect).default([]))
  .action(async (opts: { only: string[] }) => {
    const { modelsPullCommand } = await import("./models-command.ts");
    process.exitCode = await modelsPullCommand(opts);
  });

program
  .command("gameday")
  .description("run many cases with injected worker faults; fails on any failed case or leak")
  .option("--cases <n>", "number of cases", "20")
  .option("--fault-rate <r>", "share of GPU stages given a fault", "0.4")
  .option("--seed <s>", "seed for which stages get which fault", "1")
  .option("--concurrency <n>", "cases running at once", "1")
  .option("--json", "one JSON summary on stdout")
  .option("--no-hosted", "keep fallbacks local (no stand-in Bedrock/OpenRouter endpoints)")
  .action(async (opts: { cases: string; faultRate: string; seed: string; concurrency: string; json?: boolean; hosted?: boolean }) => {
    const { gamedayCommand } = await import("./gameday-command.ts");
    process.exitCode = await gamedayCommand(opts);
  });

program
  .command("backfill")
  .description("run every case folder under <dir> that has no successful execution at this pipeline version")
  .argument("<dir>", "folder of case folders")
  .option("--concurrency <n>", "cases at a time", "1")
  .option("--json", "the summary as JSON on stdout")
  .action(async (dir: string, opts: { concurrency: string; json?: boolean }) => {
    const { backfillCommand } = await import("./backfill-command.ts");
    process.exitCode = await backfillCommand(dir, opts);
  });

program
  .command("serve")
  .description("the HTTP API, the run viewer and a Step Functions endpoint (/sfn) for local runs")
  .option("--port <n>", "port (0: any free port)", "8787")
  .option("--host <address>", "address to bind; beyond loopback only with --tls-cert and --tls-key", "127.0.0.1")
  .option("--tls-cert <file>", "PEM certificate: serve HTTPS")
  .option("--tls-key <file>", "PEM private key for --tls-cert")
  .option("--public-origin <url>", "the https origin a TLS proxy in front serves this at (its Host and Origin are accepted)")
  .option("--max-running <n>", "executions run at once; more starts are refused (429)", "4")
  .option("--approve", "approve every execution at the AttorneyReview gate (demos, tests; audited as approved from the command line)")
  .action(
    async (opts: {
      port: string;
      host: string;
      tlsCert?: string;
      tlsKey?: string;
      publicOrigin?: string;
      maxRunning: string;
      approve?: boolean;
    }) => {
      const { serveCommand } = await import("./serve-command.ts");
      process.exitCode = await serveCommand(opts);
    },
  );

program
  .command("redact")
  .description("redact PII from text on stdin")
  .option("--json", "print {text, entities} as JSON")
  .option("--case <case.json>", "the case's parties, known as the pipeline knows them (the declarant is [PERSON_1])")
  .action(async (opts: { json?: boolean; case?: string }) => {
    const { redactCommand } = await import("./redact-command.ts");
    process.exitCode = await redactCommand(opts);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 1;
  } else {
    const { name, message } = describeError(err);
    process.stderr.write(`affiant: ${name}: ${message}\n`);
    process.exitCode = 1;
  }
}
