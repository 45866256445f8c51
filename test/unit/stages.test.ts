/**
 * A GPU stage is one module under core/stages/, listed in core/stages/index.ts, with its
 * prompt file and its entry in each shipped registry; everything else derives from the
 * modules. These tests hold that: each module file is listed and each listed module has its
 * prompt and registry entries; the state names, the stage environment and the definition's
 * GPU states follow the modules; and docs/architecture.md's list of files a new stage needs is the one
 * these checks imply.
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { loadRegistry } from "../../core/registry.ts";
import { stageModules } from "../../core/stages/index.ts";
import { promptVersion } from "../../core/stages/prompts.ts";
import type { GpuStageModule } from "../../core/stages/stage.ts";
import { stageEnvParameters } from "../../core/stages/task-env.ts";
import { acquireStateName, gpuStages, isGpuStage, stateNames } from "../../core/state-names.ts";
import { allStates } from "../../workflows/asl.ts";
import { activityName, buildDefinition, collectTaskStates } from "../../workflows/definition.ts";
import { isGpuStateResource } from "../../workflows/engine/gpu-task.ts";
import { cannedAnswer } from "../../workflows/recording-providers.ts";
import { root } from "../helpers.ts";

const stagesDir = path.join(root, "core", "stages");
/** Modules in core/stages/ that are shared by the stages, not stages themselves. */
const shared = new Set([
  "index.ts",
  "stage.ts",
  "plan-context.ts",
  "plan-stage.ts",
  "task-env.ts",
  "report.ts",
  "metrics.ts",
  "prompts.ts",
  "paragraphs.ts",
  "judge.ts",
]);
const registryFiles = readdirSync(path.join(root, "models"))
  .filter((f) => /^registry.*\.json$/.test(f))
  .sort();
const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
const isStageModule = (value: unknown): value is GpuStageModule =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as GpuStageModule).name === "string" &&
  typeof (value as GpuStageModule).plan === "function";

/** The files a new GPU stage `name` with prompt template `template` needs, as this test checks them. */
function filesForNewStage(name: string, template: string): string[] {
  return [
    `core/stages/${kebab(name)}.ts`,
    "core/stages/index.ts",
    `prompts/${promptVersion}/${template}.txt`,
    ...registryFiles.map((f) => `models/${f}`),
  ];
}

test("every stage file in core/stages/ is its module, named after its stage, and listed in index.ts", async () => {
  const files = readdirSync(stagesDir).filter((f) => f.endsWith(".ts") && !shared.has(f));
  assert.ok(files.length >= 6, `found ${files.length} stage files`);
  const listed = new Set<unknown>(stageModules);
  for (const file of files) {
    const exported = Object.values(await import(path.join(stagesDir, file))).filter(isStageModule);
    assert.equal(exported.length, 1, `${file} exports one stage module (a helper shared by stages belongs in this test's \`shared\` list)`);
    const module = exported[0]!;
    assert.ok(listed.has(module), `${file}: ${module.name} is not listed in core/stages/index.ts`);
    assert.equal(file, `${kebab(module.name)}.ts`, `${module.name} lives in its own file`);
  }
  assert.equal(files.length, stageModules.length, "every listed module has a file of its own");
});

test("each stage module has its prompt files and an entry in every shipped registry (and no entry lacks a module)", () => {
  assert.deepEqual(registryFiles, ["registry.g5.json", "registry.json"]);
  for (const module of stageModules) {
    assert.ok(module.templates.length > 0, `${module.name} names its prompt`);
    for (const t of module.templates)
      assert.ok(
        existsSync(path.join(root, "prompts", promptVersion, `${t}.txt`)),
        `${module.name}: prompts/${promptVersion}/${t}.txt is missing`,
      );
  }
  for (const file of registryFiles) {
    const raw = JSON.parse(readFileSync(path.join(root, "models", file), "utf8")) as { stages: Record<string, unknown> };
    assert.deepEqual(Object.keys(raw.stages).sort(), stageModules.map((m) => m.name).sort(), `models/${file}: one stage entry per module`);
    // And the registry loads: its own check asks each module's stage for an entry.
    loadRegistry(path.join(root, "models", file));
  }
});

test("the state names, the stage environment and the definition's GPU states follow the modules", () => {
  assert.deepEqual(
    [...gpuStages],
    stageModules.map((m) => m.name),
  );
  assert.ok(isGpuStage("JudgeTone") && !isGpuStage("Score"));
  for (const module of stageModules) {
    const key = module.name.charAt(0).toLowerCase() + module.name.slice(1);
    assert.equal((stateNames as Record<string, string>)[key], module.name, `stateNames.${key} is derived from the ${module.name} module`);
  }
  const slotEnv = { facts: "AFFIANT_FACTS_KEY", draft: "AFFIANT_DRAFT_KEY", judges: "AFFIANT_JUDGE_KEYS" } as const;
  const definition = buildDefinition({ registry: loadRegistry() });
  const registry = loadRegistry();
  const tasks = new Map(collectTaskStates(definition));
  const gpuTasks = new Map([...tasks].filter(([, s]) => isGpuStateResource(s.Resource)));
  for (const module of stageModules) {
    const env = new Set(stageEnvParameters(module.name).map((e) => e.Name));
    for (const [slot, name] of Object.entries(slotEnv)) {
      assert.equal(env.has(name), (module.reads as readonly string[]).includes(slot), `${module.name}: ${name} iff it reads ${slot}`);
    }
    const task = gpuTasks.get(module.name);
    assert.ok(task, `${module.name} is a GPU task of the definition`);
    assert.equal(task.ResultPath, module.slot === "judges" ? "$.judge" : `$.${module.slot}`, `${module.name}: its report goes to its slot`);
    // Acquire, then generate: the wait for a worker has the acquire budget and no heartbeat;
    // generating keeps the stage's own HeartbeatSeconds and TimeoutSeconds.
    const entry = registry.stages[module.name]!;
    assert.equal(
      task.Resource,
      `arn:aws:states:us-east-1:000000000000:activity:${activityName(entry.model)}`,
      `${module.name}: its model's activity`,
    );
    assert.equal(task.HeartbeatSeconds, entry.heartbeatSeconds, `${module.name}: the stage's own HeartbeatSeconds`);
    assert.equal(task.TimeoutSeconds, entry.timeoutSeconds);
    const acquire = tasks.get(acquireStateName(module.name));
    assert.ok(acquire, `${module.name}: an Acquire state`);
    assert.equal(acquire.Resource, "arn:aws:states:::lambda:invoke.waitForTaskToken");
    assert.equal(acquire.TimeoutSeconds, registry.workers.acquireSeconds, `${module.name}Acquire: the registry's acquire budget`);
    assert.equal(acquire.HeartbeatSeconds, undefined, `${module.name}Acquire: no short heartbeat while capacity arrives`);
    assert.equal(acquire.Next, module.name);
    assert.deepEqual(
      (acquire.Catch as Array<{ Next: string }>).map((c) => c.Next),
      [`${module.name}Fallback`, `${module.name}Fallback`],
    );
    assert.equal(allStates(definition).find(([n]) => n === `${module.name}Admit`)?.[1].Next, acquireStateName(module.name));
  }
  const judges = definition.States.Judges as unknown as { Branches: Array<{ StartAt: string }>; ResultPath: string };
  assert.deepEqual(
    judges.Branches.map((b) => b.StartAt),
    stageModules.filter((m) => m.phase === "judge").map((m) => `${m.name}Admit`),
  );
  assert.equal(judges.ResultPath, "$.judges");
});

test("the stand-in hosted models answer each structured stage with JSON its module's schema accepts", () => {
  for (const module of stageModules) {
    if (!module.outputSchema) continue;
    assert.ok(module.sample, `${module.name}: a structured stage has a sample answer for the stand-ins`);
    const answer = cannedAnswer(`... ${module.sample.promptMarker}`);
    const json = answer.replace(/^```json\n|\n```$/g, "");
    assert.ok(module.outputSchema.safeParse(JSON.parse(json)).success, `${module.name}: the sample matches its schema`);
  }
  assert.match(cannedAnswer("Write the paragraph."), /^I, \[PERSON_1\]/);
});

test("docs/architecture.md lists the files a new GPU stage needs, as these checks see them", () => {
  const doc = readFileSync(path.join(root, "docs", "architecture.md"), "utf8");
  const section = /### Adding a GPU stage\n([\s\S]*?)\n###? /.exec(doc)?.[1];
  assert.ok(section, "docs/architecture.md has an 'Adding a GPU stage' section");
  for (const file of filesForNewStage("JudgeTimeline", "judge-timeline")) {
    const generic = file.replace("judge-timeline", "<stage>");
    assert.ok(section.includes(`\`${generic}\``), `docs/architecture.md's 'Adding a GPU stage' names ${generic}`);
  }
});
