/**
 * The definition, byte for byte, for the shipped registries: the stage modules
 * (core/stages/) build parts of it, and a refactor of them must not change what is deployed.
 * A deliberate change to the definition regenerates the snapshots:
 * `AFFIANT_UPDATE_SNAPSHOTS=1 node scripts/run-tests.js definition-snapshot`.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import type { PipelineState } from "../../core/pipeline-state.ts";
import { loadRegistry } from "../../core/registry.ts";
import { stageEnvFromState } from "../../core/stages/task-env.ts";
import { gpuStages } from "../../core/state-names.ts";
import { buildDefinition } from "../../workflows/definition.ts";
import { root } from "../helpers.ts";

function matchesSnapshot(name: string, value: unknown): void {
  const file = path.join(root, "test", "snapshots", name);
  const text = `${JSON.stringify(value, null, 1)}\n`;
  if (process.env.AFFIANT_UPDATE_SNAPSHOTS === "1") writeFileSync(file, text);
  assert.equal(text, readFileSync(file, "utf8"), `${name} differs from the committed snapshot`);
}

for (const registryFile of ["registry.json", "registry.g5.json"]) {
  test(`the definition for models/${registryFile} is unchanged`, () => {
    const definition = buildDefinition({ registry: loadRegistry(path.join(root, "models", registryFile)) });
    matchesSnapshot(`definition.${path.basename(registryFile, ".json")}.json`, definition);
  });
}

test("the environment the fallback builds for each stage is unchanged", () => {
  const state = {
    caseId: "case-1",
    caseType: "VAWA",
    runKey: "runs/case-1/exec-1",
    executionName: "exec-1",
    faults: { JudgeTone: "slow" },
    rewrites: { n: 1 },
    index: { indexKey: "runs/case-1/exec-1/index.json", chunkCount: 3 },
    facts: { outputKey: "runs/case-1/exec-1/facts.json" },
    draft: { outputKey: "runs/case-1/exec-1/draft-1.json" },
    judges: [{ outputKey: "runs/case-1/exec-1/judges/JudgeTone-r1.json" }],
  } as unknown as PipelineState;
  matchesSnapshot("stage-env.json", Object.fromEntries(gpuStages.map((stage) => [stage, stageEnvFromState(stage, state)])));
});
