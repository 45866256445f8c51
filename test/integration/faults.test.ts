/**
 * Real worker faults, real process kills: each GPU stage's Catch → fallback path, one
 * named test per path. The faults are injected into the worker itself (--fault), so the
 * engine's timeout, heartbeat and Catch handling is what is being tested.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { runsShowCommand } from "../../cli/runs-command.ts";
import { ingestCase, readCaseFolder } from "../../workflows/engine/case-intake.ts";
import { LocalEngine } from "../../workflows/engine/local-engine.ts";
import { type CliResult, copyCase, inProcess, isAlive, makeTestHome, patientStages, runCli, samples, waitFor } from "../helpers.ts";

interface StateRow {
  name: string;
  status: string;
  error?: string;
  cause?: string;
  fallbackReason: string | null;
  provider: string | null;
  model: string | null;
  startedAt: string;
  endedAt?: string | null;
}

function stateOf(states: StateRow[], name: string): StateRow {
  const s = states.find((x) => x.name === name);
  assert.ok(s, `${name} did not run`);
  return s;
}

test("crash, stall, runaway loop and oom: each stage falls back and the case still succeeds", async () => {
  const { home, env } = makeTestHome();
  const cli = await runCli(
    [
      "run",
      samples.vawa,
      "--approve",
      "--json",
      "--fault",
      "ExtractFacts=crash",
      "--fault",
      "DraftDeclaration=stall",
      "--fault",
      "JudgeTone=loop",
      "--fault",
      "JudgeCoverage=oom",
    ],
    env,
  );
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as { executionId: string; status: string; states: StateRow[] };
  assert.equal(summary.status, "SUCCEEDED");

  const expected: Record<string, string> = {
    ExtractFacts: "Affiant.WorkerCrashed", // killed mid-generation (SIGKILL)
    DraftDeclaration: "Affiant.GenerationStalled", // the worker's watchdog
    JudgeTone: "Affiant.GenerationRunaway", // the loop detector
    JudgeCoverage: "Affiant.ContextTooLarge", // refused before any load
  };
  for (const [stage, error] of Object.entries(expected)) {
    const primary = stateOf(summary.states, stage);
    assert.equal(primary.status, "FAILED", stage);
    assert.equal(primary.error, error, `${stage}: ${primary.cause}`);
    const fallback = stateOf(summary.states, `${stage}Fallback`);
    assert.equal(fallback.status, "SUCCEEDED", `${stage}Fallback`);
    assert.equal(fallback.fallbackReason, error);
    assert.equal(fallback.provider, "local");
    assert.equal(fallback.model, "stories-260k-greedy");
  }
  assert.equal(stateOf(summary.states, "JudgeFaithfulness").status, "SUCCEEDED", "an unfaulted judge is untouched");
  assert.match(cli.stderr, /ExtractFactsFallback: fallback after Affiant\.WorkerCrashed/);

  // The crashed worker really died by signal mid-generation, and the history says so.
  const crash = JSON.parse(stateOf(summary.states, "ExtractFacts").cause!) as { signal: string; pid: number };
  assert.equal(crash.signal, "SIGKILL");
  assert.equal(isAlive(crash.pid), false);
  const db = new Database(path.join(home, "affiant.db"), { readonly: true });
  const caught = db
    .prepare("SELECT state_name FROM events WHERE execution_id = ? AND type = 'StateCaught' ORDER BY seq")
    .all(summary.executionId) as Array<{ state_name: string }>;
  assert.deepEqual(caught.map((c) => c.state_name).sort(), Object.keys(expected).sort());
  // The injected faults were drills: none of them counts against the model for the breaker,
  // while the stages that ran for real (and the fallbacks) are recorded.
  const outcomes = db.prepare("SELECT model, stage, ok FROM model_outcomes").all() as Array<{ model: string; stage: string; ok: number }>;
  assert.deepEqual(
    outcomes.filter((o) => !o.ok),
    [],
    "a drill was recorded as the model's failure",
  );
  assert.ok(
    outcomes.some((o) => o.model === "stories-260k" && o.stage === "JudgeFaithfulness" && o.ok),
    JSON.stringify(outcomes),
  );
  assert.equal(outcomes.filter((o) => o.model === "stories-260k-greedy" && o.ok).length, 4);
  const failed = db
    .prepare("SELECT state_name, detail FROM events WHERE execution_id = ? AND type = 'StateFailed'")
    .all(summary.executionId) as Array<{ state_name: string; detail: string }>;
  assert.equal(JSON.parse(failed.find((f) => f.state_name === "ExtractFacts")!.detail).error, "Affiant.WorkerCrashed");
  db.close();

  const shown = inProcess(env, () => runsShowCommand(summary.executionId, {}));
  assert.equal(shown.code, 0);
  assert.match(shown.stdout, /ExtractFactsFallback\s+SUCCEEDED.*stories-260k-greedy.*Affiant\.WorkerCrashed/);
});

/**
 * One run for three tests on different stages: ExtractFacts runs past its TimeoutSeconds,
 * DraftDeclaration stalls where only the engine's heartbeat can notice, and JudgeTone's worker
 * hangs in native code.
 */
let timeoutAndStall: Promise<CliResult> | undefined;
function timeoutAndStallRun(): Promise<CliResult> {
  // The worker's own watchdog is set past DraftDeclaration's heartbeat, so only the engine can
  // notice its stall. `slow` keeps ExtractFacts' tokens (and heartbeats) flowing, so only the
  // overall timeout can end it: 240 tokens at 50 ms each need 12 s, against 4 s. The default
  // context on purpose: with 2048 the greedy fallback's longer prompt makes stories260K repeat
  // a paragraph, which the loop detector rightly ends as a runaway. For the same reason the case
  // lists no document roles: the sample's interview document would lead every prompt, and on
  // this prompt the greedy fallback repeats itself too. What is tested is the deadline, not the prose.
  // JudgeTone's watchdog too is past its heartbeat: a worker stuck in native code sends nothing.
  if (timeoutAndStall) return timeoutAndStall;
  const home = makeTestHome({
    stages: {
      DraftDeclaration: { heartbeatSeconds: 6, watchdogSeconds: 120 },
      ExtractFacts: { timeoutSeconds: 4, heartbeatSeconds: 3, maxTokens: 240, fallbackTimeoutSeconds: 120 },
      JudgeTone: { heartbeatSeconds: 6, watchdogSeconds: 120 },
    },
  });
  const dir = copyCase(samples.vawa, path.join(home.home, "case"));
  const { documents: _, ...caseJson } = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8"));
  writeFileSync(path.join(dir, "case.json"), JSON.stringify(caseJson));
  timeoutAndStall ??= runCli(
    [
      "run",
      dir,
      "--approve",
      "--json",
      "--fault",
      "ExtractFacts=slow",
      "--fault",
      "DraftDeclaration=stall",
      "--fault",
      "JudgeTone=hang-native",
    ],
    home.env,
  );
  return timeoutAndStall;
}

test("a stall the worker cannot report is ended by the engine's heartbeat timeout (process killed)", async () => {
  const cli = await timeoutAndStallRun();
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as { states: StateRow[] };
  const draft = stateOf(summary.states, "DraftDeclaration");
  assert.equal(draft.error, "States.HeartbeatTimeout");
  const cause = JSON.parse(draft.cause!) as { reason: string; pid: number };
  assert.match(cause.reason, /no heartbeat for HeartbeatSeconds \(6 s\)/);
  assert.equal(isAlive(cause.pid), false, "the stalled worker was killed");
  const fallback = stateOf(summary.states, "DraftDeclarationFallback");
  assert.equal(fallback.fallbackReason, "States.HeartbeatTimeout");
  assert.equal(fallback.status, "SUCCEEDED");
});

test("hang-native: a worker stuck in native code (main thread and a pool thread) is gone by HeartbeatSeconds, and the stage falls back", async () => {
  // Nothing in the stuck worker's main thread runs again: the engine's SIGKILL ends it
  // locally (its own lifeline thread would, 2 s later, as it does in ECS).
  const cli = await timeoutAndStallRun();
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as { states: StateRow[] };
  const tone = stateOf(summary.states, "JudgeTone");
  assert.equal(tone.error, "States.HeartbeatTimeout", tone.cause);
  const cause = JSON.parse(tone.cause!) as { reason: string; pid: number };
  assert.match(cause.reason, /no heartbeat for HeartbeatSeconds \(6 s\)/);
  assert.equal(isAlive(cause.pid), false, "the stuck worker is gone");
  assert.ok(Date.parse(tone.endedAt!) - Date.parse(tone.startedAt) < (6 + 5) * 1000 + 30_000, "ended by its heartbeat, not its timeout");
  const fallback = stateOf(summary.states, "JudgeToneFallback");
  assert.equal(fallback.fallbackReason, "States.HeartbeatTimeout");
  assert.equal(fallback.status, "SUCCEEDED");
});

test("a stage that runs past TimeoutSeconds is killed with States.Timeout and falls back", async () => {
  const cli = await timeoutAndStallRun();
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as { states: StateRow[] };
  const facts = stateOf(summary.states, "ExtractFacts");
  assert.equal(facts.error, "States.Timeout", facts.cause);
  assert.equal(stateOf(summary.states, "ExtractFactsFallback").fallbackReason, "States.Timeout");
});

test("a stopped execution stops the fallback's own worker too: the state reads ABORTED, the model is not blamed, nothing starts after", async () => {
  const { env } = makeTestHome({ stages: patientStages });
  Object.assign(process.env, env);
  const engine = new LocalEngine();
  try {
    const folder = readCaseFolder(samples.vawa);
    await ingestCase(folder, engine.store);
    const fallbackWorkers: number[] = [];
    const { executionId, done } = engine.start({
      caseId: folder.caseFile.caseId,
      caseDir: folder.dir,
      faults: { JudgeTone: "oom" },
      approve: { via: "test" },
    });
    engine.on("event", (event) => {
      if (event.type !== "worker" || event.state !== "JudgeToneFallback") return;
      fallbackWorkers.push(event.pid);
      // StopExecution while the fallback Lambda's local model is running.
      engine.abort(executionId, { error: "Test.Stopped", cause: "stopped while JudgeToneFallback ran" });
    });
    const summary = await done;
    assert.equal(summary.status, "ABORTED");
    assert.equal(fallbackWorkers.length, 1, "the fallback started one worker");
    await waitFor("the fallback's worker to die", async () => (isAlive(fallbackWorkers[0]!) ? undefined : true), 10_000, 100);
    const fallback = stateOf(summary.states as StateRow[], "JudgeToneFallback");
    assert.equal(fallback.status, "ABORTED");
    assert.ok(
      summary.states.every((s) => s.status !== "RUNNING"),
      "no state is left RUNNING once the execution ended",
    );
    // The next model in the chain is not tried for an execution that is over, and being
    // killed with it is not the fallback model's failure.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(fallbackWorkers.length, 1, "no worker started after the stop");
    const health = await engine.routing.health("stories-260k-greedy");
    assert.equal(health.failures, 0, JSON.stringify(health));
  } finally {
    engine.dispose();
  }
});
