import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import aslValidator from "asl-validator";
import { buildDefinition, collectTaskStates, type AslState } from "../workflows/definition.ts";
import { loadRegistry } from "../workflows/registry.ts";
import { fallbackStateName, gpuStages } from "../workflows/state-names.ts";
import { LocalEngine } from "../workflows/engine/local-engine.ts";
import { HistoryDb } from "../workflows/engine/history-db.ts";
import { makeTestHome, runCli } from "./helpers.ts";

const definition = buildDefinition({ registry: loadRegistry() });
const tasks = collectTaskStates(definition);
const gpuTasks = tasks.filter(([, s]) => String(s.Resource).includes("ecs:runTask"));

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

test("every GPU stage is an ECS task with a heartbeat, transient-only Retry and a Catch to its fallback", () => {
  assert.deepEqual(gpuTasks.map(([n]) => n).sort(), [...gpuStages].sort());
  for (const [name, state] of gpuTasks) {
    assert.equal(state.Resource, "arn:aws:states:::ecs:runTask.waitForTaskToken", name);
    assert.ok(Number(state.HeartbeatSeconds) > 0 && Number(state.HeartbeatSeconds) < Number(state.TimeoutSeconds), `${name}: heartbeat below timeout`);
    const retried = (state.Retry as Array<{ ErrorEquals: string[] }>).flatMap((r) => r.ErrorEquals);
    for (const e of retried) assert.match(e, /^ECS\./, `${name} retries ${e}, which is not transient`);
    const catchers = state.Catch as Array<{ ErrorEquals: string[]; Next: string; ResultPath: string }>;
    assert.ok(catchers[0]!.ErrorEquals.includes("States.Timeout") && catchers[0]!.ErrorEquals.includes("States.HeartbeatTimeout"), `${name}: Catch lists both timeout names`);
    assert.ok(catchers.some((c) => c.ErrorEquals.includes("States.ALL")), `${name}: Catch ends with States.ALL`);
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
    const env = (state.Parameters as { Overrides: { ContainerOverrides: Array<{ Environment: Array<Record<string, string>> }> } }).Overrides.ContainerOverrides[0]!.Environment;
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
  assert.equal(engine.definition.StartAt, "Extract");
  engine.dispose();
  engine.dispose(); // idempotent
  db.dispose();
});

test("a registry naming an unknown model is refused with the file and the stage", () => {
  const { registry } = makeTestHome({ stages: { JudgeTone: { model: "no-such-model" } } });
  assert.throws(() => loadRegistry(registry), (err: Error) => err.name === "Affiant.InvalidInput" && err.message.includes(registry) && err.message.includes("JudgeTone"));
  writeFileSync(registry, "{ not json");
  assert.throws(() => loadRegistry(registry), /not valid JSON/);
});
