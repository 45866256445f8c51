/**
 * A stage and a provider are each one module plus its registry entries. In a copy of the
 * tracked tree this test adds a throwaway judge stage (its module, a line in
 * core/stages/index.ts, its entry in each models/registry*.json; it shares the judges' prompt,
 * so no prompt file) and a throwaway hosted provider (its module, a line in
 * core/providers/index.ts, a fallback ref and a price in models/registry.json), asks git which
 * files changed, and then has the copy's own code build what must know every stage and
 * provider: the state names, the definition, the stage environment, the fault check, the
 * longest path, the viewer's layout, the registry check, the fallback's client, IAM
 * statements, linked secrets, prices and stand-in (workflows/recording-providers.ts). Each
 * shows the newcomer with no other file edited.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { root, testTmp } from "../helpers.ts";

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd, encoding: "utf8" });

/** `text` with `from` replaced by `to`, failing when `from` is absent (the edit must happen). */
function replaceOnce(text: string, from: string, to: string, file: string): string {
  assert.ok(text.includes(from), `${file}: expected ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

function editFile(dir: string, file: string, edit: (text: string) => string): void {
  const at = path.join(dir, file);
  writeFileSync(at, edit(readFileSync(at, "utf8")));
}

function editJson(dir: string, file: string, edit: (json: any) => void): void {
  editFile(dir, file, (text) => {
    const json = JSON.parse(text);
    edit(json);
    return `${JSON.stringify(json, null, 2)}\n`;
  });
}

/** What the probe (run on the copy, with the copy's own modules) reports. */
interface Probe {
  gpuStages: string[];
  stateName: string | undefined;
  judgeBranches: string[];
  taskStates: string[];
  stageEnv: string[];
  fault: Record<string, string>;
  pathStates: string[];
  viewerStates: string[];
  providerNames: string[];
  chain: string[];
  client: { name: string; model: string } | null;
  secrets: string[];
  fallbackLinks: string[];
  statements: Array<{ actions: string[]; resources: unknown[] }>;
  standIn: { reply: { text: string } | null; recorded: string[]; envPointsAtIt: boolean };
  costUsd: number;
}

const probe = (copy: string) => `
import { createRequire } from "node:module";
import path from "node:path";
const at = (f) => import(path.join(${JSON.stringify(copy)}, f));
const { gpuStages, stateNames } = await at("core/state-names.ts");
const { loadRegistry, stageCostUsd } = await at("core/registry.ts");
const { buildDefinition, collectTaskStates, longestPathSeconds } = await at("workflows/definition.ts");
const { stageEnvParameters } = await at("core/stages/task-env.ts");
const { parseFaultFlags } = await at("core/faults.ts");
const { layoutMachine } = await at("api/viewer/browser/graph-layout.ts");
const { providerNames, providerSecrets } = await at("core/providers/index.ts");
const { hostedProvider } = await at("functions/generate-fallback.ts");
const { fallbackProviderPermissions } = await at("infra/permissions.ts");
const { functionTable } = await at("infra/functions.ts");
const { startRecordingProviders } = await at("workflows/recording-providers.ts");
const registryFile = path.join(${JSON.stringify(copy)}, "models/registry.json");
const registry = loadRegistry(registryFile);
const definition = buildDefinition({ registry });
const pathStates = [];
longestPathSeconds(1, (state) => (pathStates.push(state), 1));
const platformRequire = createRequire(path.join(${JSON.stringify(copy)}, ".sst/platform/package.json"));
const cloud = { pulumi: platformRequire("@pulumi/pulumi") };
const client = await hostedProvider("throwaway", "m-1");
const standIns = await startRecordingProviders();
const origin = standIns.origins.throwaway;
const reply = origin ? await (await fetch(origin + "/complete", { method: "POST", body: JSON.stringify({ prompt: "Write the paragraph." }) })).json() : null;
await standIns.close();
const table = functionTable(registry, { bucketName: "b", routingTableName: "t", reviewTableName: "r", dataKeyArn: "d", vaultKeyArn: "v", registryFile, gpuClusterArn: "c", workerPools: "{}" });
console.log(JSON.stringify({
  gpuStages,
  stateName: stateNames.judgeThrowaway,
  judgeBranches: definition.States.Judges.Branches.map((b) => b.StartAt),
  taskStates: collectTaskStates(definition).map(([name]) => name),
  stageEnv: stageEnvParameters("JudgeThrowaway").map((e) => e.Name),
  fault: parseFaultFlags(["JudgeThrowaway=stall"]),
  pathStates,
  // The viewer lays out the top level, and each Parallel branch as a machine of its own.
  viewerStates: [definition, ...Object.values(definition.States).flatMap((s) => s.Branches ?? [])].flatMap((m) => layoutMachine(m).order),
  providerNames: providerNames(),
  chain: registry.stages.JudgeTone.fallback,
  client: client ? { name: client.name, model: client.model } : null,
  secrets: providerSecrets().map((s) => s.name),
  fallbackLinks: table["generate-fallback"].link ?? [],
  statements: fallbackProviderPermissions(cloud, { registry, region: "us-east-1", accountId: "123456789012" }),
  standIn: { reply, recorded: standIns.requests.map((r) => r.provider), envPointsAtIt: origin !== undefined && standIns.env.THROWAWAY_URL === origin },
  costUsd: stageCostUsd(registry, { provider: "throwaway", model: "m-1", wallMs: 0, tokensIn: 1e6, tokensOut: 0 }),
}));
`;

// The probe reads the fallback's IAM statements through @pulumi/pulumi, which `sst install`
// puts in .sst/platform: absent, the test is skipped (CI installs it, and fails without it).
const platformPresent = existsSync(path.join(root, ".sst", "platform", "node_modules", "@pulumi", "pulumi"));
const platformMissing = platformPresent
  ? undefined
  : ".sst/platform is absent, so the fallback's IAM statements cannot be read here (run: npm run sst:install)";
if (platformMissing && process.env.CI)
  test("the throwaway stage and provider test needs .sst/platform (run: npm run sst:install)", () => assert.fail(platformMissing));

test("a throwaway stage and a throwaway provider are each their module and its registry entries, and appear everywhere", {
  timeout: 180_000,
  skip: platformMissing,
}, () => {
  mkdirSync(testTmp, { recursive: true });
  const work = mkdtempSync(path.join(testTmp, "extension-"));
  const copy = path.join(work, "tree");
  // Prepare: the tracked tree, as a git repository of its own; the dependencies linked.
  for (const file of git(root, "ls-files", "-z").split("\0").filter(Boolean)) {
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    cpSync(path.join(root, file), path.join(copy, file));
  }
  symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"));
  mkdirSync(path.join(copy, ".sst"));
  symlinkSync(path.join(root, ".sst", "platform"), path.join(copy, ".sst", "platform"));
  git(copy, "init", "-q");
  writeFileSync(path.join(copy, ".git", "info", "exclude"), "node_modules\n.sst\n");
  git(copy, "add", "-A");
  git(copy, "commit", "-qm", "base");

  // Act: the stage.
  writeFileSync(
    path.join(copy, "core/stages/judge-throwaway.ts"),
    `import { judgeStage } from "./judge.ts";\n\nexport const judgeThrowaway = judgeStage("JudgeThrowaway", "a throwaway criterion");\n`,
  );
  editFile(copy, "core/stages/index.ts", (text) => {
    const imported = replaceOnce(
      text,
      `import { judgeTone } from "./judge-tone.ts";\n`,
      `import { judgeTone } from "./judge-tone.ts";\nimport { judgeThrowaway } from "./judge-throwaway.ts";\n`,
      "core/stages/index.ts",
    );
    // The list is one module per line (the formatter's layout).
    return replaceOnce(imported, "  judgeTone,\n", "  judgeTone,\n  judgeThrowaway,\n", "core/stages/index.ts");
  });
  const registryFiles = git(copy, "ls-files", "models")
    .split("\n")
    .filter((f) => /^models\/registry.*\.json$/.test(f));
  for (const file of registryFiles) editJson(copy, file, (r) => (r.stages.JudgeThrowaway = { ...r.stages.JudgeTone }));
  // The provider.
  writeFileSync(
    path.join(copy, "core/providers/throwaway-provider.ts"),
    `import { defineProvider } from "./types.ts";

export const throwaway = defineProvider({
  name: "throwaway",
  async client(model) {
    return { name: "throwaway", model, complete: async () => ({ text: "{}", tokensIn: 1, tokensOut: 1, ms: 1 }) };
  },
  secrets: [{ name: "ThrowawayKey", placeholder: "unset" }],
  statements: (ids) => [{ actions: ["throwaway:Invoke"], resources: ids.map((id) => \`arn:throwaway:::model/\${id}\`) }],
  standIn: {
    protocol: "http1",
    respond: (url, body, answer) => (url === "/complete" ? { text: answer(String(body.prompt)) } : undefined),
    env: (origin) => ({ THROWAWAY_URL: origin }),
  },
});
`,
  );
  editFile(copy, "core/providers/index.ts", (text) => {
    const imported = replaceOnce(
      text,
      `import { openrouter } from "./openrouter.ts";\n`,
      `import { openrouter } from "./openrouter.ts";\nimport { throwaway } from "./throwaway-provider.ts";\n`,
      "core/providers/index.ts",
    );
    return replaceOnce(imported, "[bedrock, openrouter]", "[bedrock, openrouter, throwaway]", "core/providers/index.ts");
  });
  editJson(copy, "models/registry.json", (r) => {
    r.stages.JudgeTone.fallback = ["throwaway:m-1", ...r.stages.JudgeTone.fallback];
    r.pricing.hosted["throwaway:m-1"] = { inputPerMTokUsd: 1.5, outputPerMTokUsd: 0 };
  });

  // Assess: the files touched are the modules and their entries, nothing else.
  const touched = git(copy, "status", "--porcelain", "--untracked-files=all")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.slice(3))
    .sort();
  assert.deepEqual(
    touched,
    [
      "core/providers/index.ts",
      "core/providers/throwaway-provider.ts",
      "core/stages/index.ts",
      "core/stages/judge-throwaway.ts",
      ...registryFiles,
    ].sort(),
  );
  assert.ok(registryFiles.length >= 2, registryFiles.join(", "));

  const probeFile = path.join(work, "probe.mjs");
  writeFileSync(probeFile, probe(copy));
  const out = execFileSync(process.execPath, ["--import", "tsx", probeFile], {
    cwd: copy,
    encoding: "utf8",
    env: { ...process.env, AFFIANT_REGISTRY: path.join(copy, "models/registry.json") },
  });
  const p = JSON.parse(out.trim().split("\n").pop()!) as Probe;

  // The stage: a state name, a judge branch with its Admit, Acquire and fallback, its stage
  // environment, a fault target, a step of the longest path, a node of the viewer's graph.
  assert.ok(p.gpuStages.includes("JudgeThrowaway"), p.gpuStages.join(", "));
  assert.equal(p.stateName, "JudgeThrowaway");
  assert.ok(p.judgeBranches.includes("JudgeThrowawayAdmit"), p.judgeBranches.join(", "));
  for (const state of ["JudgeThrowawayAdmit", "JudgeThrowawayAcquire", "JudgeThrowaway", "JudgeThrowawayFallback"]) {
    assert.ok(p.taskStates.includes(state), `${state} is a Task state of the definition`);
    assert.ok(p.pathStates.includes(state), `${state} is on the longest path`);
    assert.ok(p.viewerStates.includes(state), `${state} is in the viewer's graph`);
  }
  assert.ok(p.stageEnv.includes("AFFIANT_STAGE") && p.stageEnv.includes("AFFIANT_DRAFT_KEY"), p.stageEnv.join(", "));
  assert.deepEqual(p.fault, { JudgeThrowaway: "stall" });
  // The provider: a valid fallback ref, a client, a linked secret, its IAM statement, its price.
  assert.ok(p.providerNames.includes("throwaway"), p.providerNames.join(", "));
  assert.equal(p.chain[0], "throwaway:m-1");
  assert.deepEqual(p.client, { name: "throwaway", model: "m-1" });
  assert.ok(p.secrets.includes("ThrowawayKey"));
  assert.ok(p.fallbackLinks.includes("ThrowawayKey"), `the fallback links ${p.fallbackLinks.join(", ")}`);
  assert.deepEqual(
    p.statements.filter((s) => s.actions.includes("throwaway:Invoke")),
    [{ actions: ["throwaway:Invoke"], resources: ["arn:throwaway:::model/m-1"] }],
  );
  assert.equal(p.costUsd, 1.5);
  assert.match(p.standIn.reply?.text ?? "", /^I, \[PERSON_1\]/, "its stand-in serves the canned answer");
  assert.deepEqual(p.standIn.recorded, ["throwaway"], "and records the request");
  assert.ok(p.standIn.envPointsAtIt, "the stand-ins' environment points the provider at it");
});
