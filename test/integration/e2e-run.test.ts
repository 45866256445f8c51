/**
 * The real thing, end to end: the CLI runs a sample case through the exported definition
 * in the local engine, with real PDFs, real redaction and real llama.cpp generation.
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { stageModule } from "../../core/stages/index.ts";
import { gpuStages, stateNames } from "../../core/state-names.ts";
import { valueMatcher } from "../../workflows/gameday.ts";
import { goldenRun, makeTestHome, patientStages, runCli, samples } from "../helpers.ts";

/** The GPU stages an English case with a draft good enough on the first try runs (no rewrite; no stage only for some cases). */
const alwaysRun = gpuStages.filter((s) => s !== "GuardrailsRewrite" && !stageModule(s).when);

interface Summary {
  executionId: string;
  status: string;
  output: { declarationKey: string; reportKey: string; stages: Array<{ stage: string; model: string; provider: string }> };
  outputDir: string;
  states: Array<{
    name: string;
    status: string;
    model: string | null;
    provider: string | null;
    tokensIn: number | null;
    tokensOut: number | null;
    loadMs: number | null;
    promptMs: number | null;
    genMs: number | null;
    fallbackReason: string | null;
  }>;
}

/** Values from the VAWA sample's PDFs that must never leave the vault or the declaration. */
const vawaSecrets = ["A123456789", "elena.marsh@example.com", "4417 Placeholder Avenue", "(555) 010-4477", "Derek Samplefield", "62704"];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

test("affiant run: the VAWA sample succeeds end to end and writes a declaration", async () => {
  // The suite's one golden run of the sample (test/helpers.ts): this test only reads it.
  const { home, env, cli } = await goldenRun("vawa");
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as Summary;
  assert.equal(summary.status, "SUCCEEDED");

  // Every pipeline state ran, in the local engine, under its own name.
  const ran = new Set(summary.states.map((s) => s.name));
  for (const name of [stateNames.extract, stateNames.redact, stateNames.index, ...alwaysRun, stateNames.score, stateNames.reinject]) {
    assert.ok(ran.has(name), `${name} did not run`);
  }
  // GPU stages really generated, and said with what.
  assert.ok(!ran.has("TranslateDeclaration") && ran.has("TranslateDeclarationNeeded"), "an English case skips the translation");
  for (const stage of alwaysRun) {
    const s = summary.states.find((x) => x.name === stage)!;
    assert.equal(s.status, "SUCCEEDED", stage);
    assert.equal(s.provider, "local");
    assert.equal(s.model, "stories-260k");
    assert.ok(s.tokensIn! > 0 && s.tokensOut! > 0, `${stage} generated no tokens`);
    assert.ok(s.loadMs! >= 0 && s.promptMs! >= 0 && s.genMs! >= 0);
    assert.equal(s.fallbackReason, null);
    // WarmUp starts workers ahead of the first GPU stages and the pool holds as many as the judges' Parallel is wide: no GPU state starts cold.
    assert.equal((s as { warmStart?: boolean }).warmStart, true, `${stage} started a cold worker`);
  }

  // The declaration is written, re-injected, and carries no placeholder.
  const declaration = readFileSync(path.join(summary.outputDir, "declaration.md"), "utf8");
  assert.match(declaration, /^# Declaration of Elena Fictitia Marsh/m);
  assert.match(declaration, /I, Elena Fictitia Marsh, declare/);
  const filing = readFileSync(path.join(summary.outputDir, "declaration.filing.md"), "utf8");
  assert.match(filing, /\n1\. My name is Elena Fictitia Marsh\. I am the self-petitioner in this VAWA self-petition/);
  assert.doesNotMatch(filing, /Sources:|DRAFT generated/);
  assert.match(readFileSync(path.join(summary.outputDir, "review.md"), "utf8"), /## Exhibit list\n\n- Exhibit A: .*\.pdf/);
  assert.doesNotMatch(declaration, /\[[A-Z_]+_\d+\]/);
  assert.match(declaration, /_Sources: .*\.pdf p\.\d/);
  const report = JSON.parse(readFileSync(path.join(summary.outputDir, "report.json"), "utf8"));
  assert.equal(report.caseId, "vawa-sample-0001");
  assert.ok(report.entities > 5, "the redactor found the sample's PII");
  // The scanned police report had no text layer: it was read by OCR, and the report says so.
  assert.equal(report.documents.ocrPages.length, 1);
  assert.equal(report.documents.ocrPages[0].file, "police-report-scan.pdf");
  assert.ok(report.documents.ocrPages[0].confidence >= 60);
  assert.match(cli.stderr, /declaration: .*declaration\.md/);
  assert.match(cli.stderr, /^\s+\S*declaration\.docx$/m, "the DOCX rendition is named too");
  const perState = JSON.parse(readFileSync(path.join(summary.outputDir, "execution.json"), "utf8")) as Summary;
  assert.deepEqual(
    perState.states.map((s) => s.name),
    summary.states.map((s) => s.name),
  );

  // History: the database knows the execution, its events and its reports.
  const db = new Database(path.join(home, "affiant.db"), { readonly: true });
  const row = db.prepare("SELECT status FROM executions WHERE id = ?").get(summary.executionId) as { status: string };
  assert.equal(row.status, "SUCCEEDED");
  const types = (
    db.prepare("SELECT DISTINCT type FROM events WHERE execution_id = ?").all(summary.executionId) as Array<{ type: string }>
  ).map((r) => r.type);
  for (const t of ["ExecutionStarted", "StateEntered", "StateExited", "ExecutionSucceeded"]) assert.ok(types.includes(t), `no ${t} event`);
  db.close();

  const shown = await runCli(["runs", "show", summary.executionId, "--json"], env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).executionId, summary.executionId);
  const listed = await runCli(["runs", "list", "--json"], env);
  assert.ok((JSON.parse(listed.stdout) as Array<{ executionId: string }>).some((r) => r.executionId === summary.executionId));

  // No client identity outside the vault and the final declaration: not in the history
  // database, the logs, the execution output or any other blob.
  const declarationFile = path.join(summary.outputDir, "declaration.md");
  const caseInputs = path.join(home, "blobs", "cases");
  const leaks: string[] = [];
  for (const file of filesUnder(home)) {
    // The final declaration (review and filing renditions, three formats each) and the review
    // document are where real names belong.
    if (
      file === declarationFile ||
      file.startsWith(caseInputs) ||
      file.endsWith(".enc") ||
      /(declaration(\.filing)?\.(md|docx|pdf)|review\.(md|docx|json))$/.test(file)
    )
      continue;
    if (file.endsWith(".gguf") || file.endsWith("registry.json") || file.endsWith("vault.key")) continue;
    const bytes = readFileSync(file, "latin1");
    // As a value: the ZIP code inside a millisecond timestamp is a coincidence, not a leak.
    for (const secret of vawaSecrets) if (valueMatcher(secret)(bytes)) leaks.push(`${path.relative(home, file)}: ${secret}`);
  }
  assert.deepEqual(leaks, []);
  assert.ok(existsSync(path.join(home, "logs", "affiant.jsonl")), "structured logs were written");

  // Observability: every log line is JSON; lines written inside a state carry the
  // execution and state; Powertools EMF documents carry the stage metrics.
  const records = readFileSync(path.join(home, "logs", "affiant.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, any>);
  const redactLine = records.find((r) => r.event === "redact.done");
  assert.equal(redactLine?.execution, summary.executionId);
  assert.equal(redactLine?.state, "Redact");
  const metrics = records.filter((r) => r.event === "metrics" && r.execution === summary.executionId);
  const named = (name: string) =>
    metrics.filter((m) => m._aws?.CloudWatchMetrics?.[0]?.Metrics?.some((x: { Name: string }) => x.Name === name));
  assert.equal(metrics[0]?._aws.CloudWatchMetrics[0].Namespace, "Affiant");
  assert.ok(
    named("StateDuration").some((m) => m.State === "Extract" && m.StateDuration > 0),
    "a duration metric per Lambda state",
  );
  assert.ok(
    named("TokensPerSecond").some((m) => m.Stage === "ExtractFacts" && m.TokensPerSecond > 0),
    "tokens/s from the worker",
  );
  assert.equal(named("CaseCostUsd").length, 1, "cost per case, once");
});

test("affiant run: the T visa sample succeeds end to end", async () => {
  const { env } = makeTestHome({ stages: patientStages });
  const cli = await runCli(["run", samples.tvisa, "--approve", "--json"], env);
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as Summary;
  assert.equal(summary.status, "SUCCEEDED");
  const declaration = readFileSync(path.join(summary.outputDir, "declaration.md"), "utf8");
  assert.match(declaration, /Tomas Imaginario Vela/);
  assert.match(declaration, /T visa application/);
  assert.match(declaration, /Force, fraud or coercion/);
  // The filing rendition beside the review one: numbered, first person, oath; no sources or notice.
  const filing = readFileSync(path.join(summary.outputDir, "declaration.filing.md"), "utf8");
  assert.match(filing, /\n1\. My name is Tomas Imaginario Vela\. I am the applicant in this T visa application/);
  assert.match(filing, /under penalty of perjury under the laws of the United States of America/);
  assert.doesNotMatch(filing, /Sources:|DRAFT generated/);
  for (const f of ["declaration.filing.docx", "declaration.filing.pdf", "review.docx"])
    assert.ok(readFileSync(path.join(summary.outputDir, f)).length > 1000, f);
  // The review document: the T visa elements (8 CFR 214.200-216) and the exhibit list.
  const reviewDoc = readFileSync(path.join(summary.outputDir, "review.md"), "utf8");
  assert.match(reviewDoc, /8 CFR 214\.20\d/);
  assert.match(reviewDoc, /## Exhibit list\n\n- Exhibit A: /);
});

test("a draft that fails the gate is rewritten (placeholder check or judges), checked and judged again, and ships marked failing review", async () => {
  const { env } = makeTestHome({ stages: patientStages, maxRewrites: 1, scoreThreshold: 1 });
  const cli = await runCli(["run", samples.vawa, "--approve", "--json"], env);
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as Summary;
  const names = summary.states.map((s) => s.name);
  assert.equal(names.filter((n) => n === "GuardrailsRewrite").length, 1, "exactly one rewrite round (bounded)");
  // The story model never writes the abuser's placeholder, so the placeholder check sends the
  // draft back before any judge; a model that did would fail the threshold of 1 at Score instead.
  assert.equal(names.filter((n) => n === "CheckPlaceholders").length, 2, "the draft and the rewrite are both checked");
  assert.ok(names.indexOf("GuardrailsRewrite") < names.lastIndexOf("CheckPlaceholders"));
  assert.ok(names.indexOf("GuardrailsRewrite") < names.lastIndexOf("Judges"), "the rewrite is judged");
  const output = summary.output as unknown as { rewrites: number; review: { status: string; failures: string[] } };
  assert.equal(output.rewrites, 1);
  assert.equal(output.review.status, "failing-review", "a threshold of 1 cannot pass: never shown as clean");
  assert.ok(output.review.failures.length > 0);
  assert.match(readFileSync(path.join(summary.outputDir, "declaration.md"), "utf8"), /^> \*\*FAILING REVIEW: /m);
});

test("a case that needs more context than the models allow fails with a clear ContextTooLarge, never truncation", async () => {
  // 200 tokens: less than any stage's prompt template plus its output budget.
  const { env } = makeTestHome({ contextSize: 200 });
  const cli = await runCli(["run", samples.vawa, "--approve", "--json"], env);
  assert.equal(cli.code, 1);
  const summary = JSON.parse(cli.stdout) as Summary & { error: string; cause: string };
  assert.equal(summary.status, "FAILED");
  const facts = summary.states.find((s) => s.name === "ExtractFacts") as unknown as { error: string; cause: string };
  assert.equal(facts.error, "Affiant.ContextTooLarge");
  assert.match(
    facts.cause,
    /ExtractFacts: stories-260k needs \d+ tokens of context \(prompt \d+ \+ output 400 \+ 16\); its configured maximum is 200/,
  );
  // The fallback's Catch ends the execution with a named error; its cause names every attempt.
  assert.equal(summary.error, "Affiant.FallbackFailed", "the planned fallback was tried and could not fit either");
  assert.match(summary.cause, /Affiant\.NoProviderAvailable/);
  assert.match(summary.cause, /local:stories-260k-greedy: Affiant\.ContextTooLarge/);
  assert.match(cli.stderr, /failed state: ExtractFactsFallback/);
  // What the failed run leaves behind is named, and its blobs are kept.
  assert.deepEqual((summary as unknown as { completedStages: string[] }).completedStages, ["Extract", "Redact", "Index"]);
  assert.match(cli.stderr, /completed stages \(their outputs are kept\): Extract, Redact, Index/);
});
