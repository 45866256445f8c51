// The exported state-machine definition: valid ASL, and the rules every state keeps (timeouts, heartbeats, Catch to the fallback).

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import aslValidator from "asl-validator";
import { loadRegistry } from "../../core/registry.ts";
import { acquireStateName, admitStateName, fallbackStateName, gpuStages } from "../../core/state-names.ts";
import { allStates } from "../../workflows/asl.ts";
import { type AslState, buildDefinition, collectTaskStates } from "../../workflows/definition.ts";
import { isGpuStateResource } from "../../workflows/engine/gpu-task.ts";
import { HistoryDb } from "../../workflows/engine/history-db.ts";
import { LocalEngine } from "../../workflows/engine/local-engine.ts";
import { makeTestHome, runCli } from "../helpers.ts";

const definition = buildDefinition({ registry: loadRegistry() });
const tasks = collectTaskStates(definition);
const gpuTasks = tasks.filter(([, s]) => isGpuStateResource(s.Resource));

test("the exported definition is valid Amazon States Language (asl-validator)", async () => {
  const { env } = makeTestHome();
  const cli = await runCli(["workflow", "export"], env);
  assert.equal(cli.code, 0, cli.stderr);
  const exported = JSON.parse(cli.stdout);
  const result = aslValidator(exported, { checkPaths: true, checkArn: true });
  assert.equal(result.isValid, true, result.errorsText("\n"));
});

test("every Task state has TimeoutSeconds", () => {
  assert.ok(tasks.length >= 12, `expected the whole pipeline, found ${tasks.length} tasks`);
  for (const [name, state] of tasks) assert.ok(Number(state.TimeoutSeconds) > 0, `${name} has no TimeoutSeconds`);
});

test("every GPU stage is its model's activity with a heartbeat, no Retry and a Catch to its fallback", () => {
  assert.deepEqual(gpuTasks.map(([n]) => n).sort(), [...gpuStages].sort());
  for (const [name, state] of gpuTasks) {
    assert.match(String(state.Resource), /^arn:aws:states:[^:]+:\d+:activity:affiant-/, name);
    assert.ok(
      Number(state.HeartbeatSeconds) > 0 && Number(state.HeartbeatSeconds) < Number(state.TimeoutSeconds),
      `${name}: heartbeat below timeout`,
    );
    // A retried generation would run the model again on the same input: the fallback decides instead.
    assert.equal(state.Retry, undefined, `${name}: no Retry`);
    const catchers = state.Catch as Array<{ ErrorEquals: string[]; Next: string; ResultPath: string }>;
    assert.ok(
      catchers[0]!.ErrorEquals.includes("States.Timeout") && catchers[0]!.ErrorEquals.includes("States.HeartbeatTimeout"),
      `${name}: Catch lists both timeout names`,
    );
    assert.ok(
      catchers.some((c) => c.ErrorEquals.includes("States.ALL")),
      `${name}: Catch ends with States.ALL`,
    );
    for (const c of catchers) assert.equal(c.Next, fallbackStateName(name as never));
  }
});

test("a fallback state writes where its GPU stage writes and goes where it goes", () => {
  const all = new Map<string, AslState>(tasks);
  for (const [name, state] of gpuTasks) {
    const fallback = all.get(fallbackStateName(name as never));
    assert.ok(fallback, `${name} has no fallback state`);
    assert.equal(fallback.ResultPath, state.ResultPath, name);
    assert.equal(fallback.Next ?? fallback.End, state.Next ?? state.End, name);
  }
});

test("GPU tasks hand the worker ids and blob keys only, never text", () => {
  for (const [name, state] of gpuTasks) {
    const env = (state.Parameters as { Environment: Array<Record<string, string>> }).Environment;
    for (const e of env) {
      const source = e["Value.$"] ?? e.Value!;
      assert.doesNotMatch(source, /\btext\b|Input|\$\)$/, `${name}: ${e.Name} = ${source} would carry more than ids`);
      assert.ok(/^(AFFIANT_[A-Z_]+)$/.test(e.Name!), e.Name);
    }
  }
});

test("the definition takes its timing contract from the model registry", () => {
  const { registry } = makeTestHome({ stages: { DraftDeclaration: { heartbeatSeconds: 7, timeoutSeconds: 77 } } });
  const def = buildDefinition({ registry: loadRegistry(registry) });
  const draft = def.States.DraftDeclaration!;
  assert.equal(draft.HeartbeatSeconds, 7);
  assert.equal(draft.TimeoutSeconds, 77);
});

test("the local engine accepts the definition with ARN and path validation on", () => {
  const { home } = makeTestHome();
  const db = new HistoryDb(path.join(home, "affiant.db"));
  const engine = new LocalEngine({ db });
  // Extract first: a case whose documents cannot be read fails before any GPU worker is asked for.
  assert.equal(engine.definition.StartAt, "Extract");
  assert.equal(engine.definition.States.Extract!.Next, "WarmUp");
  const warmUp = engine.definition.States.WarmUp!;
  assert.equal(warmUp.Next, "Redact");
  assert.equal((warmUp.Parameters as { InvocationType: string }).InvocationType, "Event", "WarmUp waits for no worker");
  assert.deepEqual(
    warmUp.Catch,
    [{ ErrorEquals: ["States.ALL"], ResultPath: null, Next: "Redact" }],
    "a failed warm-up never fails the case",
  );
  engine.dispose();
  engine.dispose(); // idempotent
  db.dispose();
});

test("a registry naming an unknown model is refused with the file and the stage", () => {
  const { registry } = makeTestHome({ stages: { JudgeTone: { model: "no-such-model" } } });
  assert.throws(
    () => loadRegistry(registry),
    (err: Error) => err.name === "Affiant.InvalidInput" && err.message.includes(registry) && err.message.includes("JudgeTone"),
  );
  writeFileSync(registry, "{ not json");
  assert.throws(() => loadRegistry(registry), /not valid JSON/);
});

/** Every state, Parallel branches included, by name. */
const allStatesByName = (states: Record<string, AslState>): Record<string, AslState> => Object.fromEntries(allStates({ States: states }));

test("the breaker is asked before a GPU task is placed: every way into a GPU stage goes through its Admit state", () => {
  const states = allStatesByName(definition.States);
  const entries = [
    ...Object.values(states).flatMap((s) => [
      s.Next,
      ...((s.Choices ?? []) as Array<{ Next: string }>).map((c) => c.Next),
      ...((s.Catch ?? []) as Array<{ Next: string }>).map((c) => c.Next),
    ]),
    ...Object.values(states).flatMap((s) => ((s.Branches ?? []) as Array<{ StartAt: string }>).map((b) => b.StartAt)),
  ];
  for (const stage of gpuStages) {
    const admitState = states[admitStateName(stage)]!;
    assert.ok(admitState, `${stage} has no Admit state`);
    assert.equal(admitState.Next, acquireStateName(stage));
    assert.equal(admitState.ResultPath, null, "the admission leaves the state as it was");
    assert.equal(states[acquireStateName(stage)]!.Next, stage, "Admit, then Acquire, then the stage");
    const catchers = admitState.Catch as Array<{ ErrorEquals: string[]; Next: string }>;
    assert.deepEqual(catchers[0], { ErrorEquals: ["Affiant.CircuitOpen"], ResultPath: "$.lastFailure", Next: fallbackStateName(stage) });
    // Only the Admit state (and its own fail-open Catch) leads to the Acquire, and only the Acquire to the stage.
    const into = (target: string) =>
      Object.entries(states)
        .filter(([, s]) => s.Next === target || ((s.Catch ?? []) as Array<{ Next: string }>).some((c) => c.Next === target))
        .map(([n]) => n);
    assert.deepEqual(
      into(acquireStateName(stage)),
      [admitStateName(stage)],
      `${stage}Acquire is entered from ${into(acquireStateName(stage))}`,
    );
    assert.deepEqual(into(stage), [acquireStateName(stage)], `${stage} is entered from ${into(stage)}`);
    assert.ok(entries.includes(admitStateName(stage)), `nothing leads to ${admitStateName(stage)}`);
  }
});

test("a fallback that fails ends the execution in a Fail state with a named error, the fallback's cause kept", () => {
  const states = allStatesByName(definition.States);
  for (const stage of gpuStages) {
    const fallback = states[fallbackStateName(stage)]!;
    const [catcher] = fallback.Catch as Array<{ ErrorEquals: string[]; ResultPath: string; Next: string }>;
    assert.deepEqual(catcher!.ErrorEquals, ["States.ALL"]);
    const fail = states[catcher!.Next]!;
    assert.equal(fail.Type, "Fail");
    assert.equal(fail.Error, "Affiant.FallbackFailed");
    assert.equal(fail.CausePath, `${catcher!.ResultPath}.Cause`);
  }
});

test("a GPU task hands its worker the state's entry time and limits, for the worker's own deadline", () => {
  for (const [name, state] of gpuTasks) {
    const env = (state.Parameters as { Environment: Array<Record<string, string>> }).Environment;
    const by = new Map(env.map((e) => [e.Name, e]));
    assert.equal(by.get("AFFIANT_STATE_ENTERED_AT")?.["Value.$"], "$$.State.EnteredTime", name);
    assert.equal(by.get("AFFIANT_TIMEOUT_SECONDS")?.Value, String(state.TimeoutSeconds), name);
    assert.equal(by.get("AFFIANT_HEARTBEAT_SECONDS")?.Value, String(state.HeartbeatSeconds), name);
  }
});

test("one ASL walker: every state, nested ones included, and the Task states among them", () => {
  const names = allStates(definition).map(([name]) => name);
  assert.equal(new Set(names).size, names.length, "state names are unique across branches");
  for (const stage of gpuStages) assert.ok(names.includes(stage), `${stage} is nested in a branch or at the top`);
  assert.ok(names.includes("JudgeTone") && !Object.keys(definition.States).includes("JudgeTone"), "the judges sit in a Parallel branch");
  const tasks = collectTaskStates(definition).map(([name]) => name);
  assert.deepEqual(
    tasks,
    allStates(definition)
      .filter(([, s]) => s.Type === "Task")
      .map(([n]) => n),
  );
  assert.ok(tasks.includes("JudgeTone") && tasks.includes("Extract"));
  // A Map's iterator is walked too (the definition has none today; Step Functions has both spellings).
  const withMap = {
    States: {
      M: { Type: "Map", ItemProcessor: { States: { Inner: { Type: "Task" } } } },
      N: { Type: "Map", Iterator: { States: { Old: { Type: "Pass" } } } },
    },
  };
  assert.deepEqual(
    allStates(withMap).map(([n]) => n),
    ["M", "Inner", "N", "Old"],
  );
  assert.deepEqual(
    collectTaskStates(withMap).map(([n]) => n),
    ["Inner"],
  );
});
