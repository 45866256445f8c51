// `affiant models check`: GGUF metadata, the memory a model needs at its context, and refusals for models that do not fit or do not match.

import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { makeTestHome, runCli } from "../helpers.ts";

function editRegistry(file: string, edit: (r: Record<string, any>) => void) {
  const r = JSON.parse(readFileSync(file, "utf8"));
  edit(r);
  writeFileSync(file, JSON.stringify(r));
}

test("models check reads the GGUF and says each model fits its host", async () => {
  const { env } = makeTestHome();
  const r = await runCli(["models", "check", "--json", "--verify"], env);
  assert.equal(r.code, 0, r.stderr);
  const { models } = JSON.parse(r.stdout) as { models: Array<Record<string, unknown>> };
  const m = models.find((x) => x.id === "stories-260k")!;
  assert.equal(m.architecture, "llama");
  assert.equal(m.trainContextSize, 2048);
  assert.ok(Number(m.parameters) > 200_000 && Number(m.parameters) < 400_000, String(m.parameters));
  assert.equal(typeof m.quantization, "string");
  assert.ok(Number(m.memoryBytes) > 1_000_000);
  assert.equal(m.fits, "one-gpu");
  assert.equal(m.sha256, "ok");
});

test("a model too big for one GPU is refused unless splitting is allowed", async () => {
  const { registry, env } = makeTestHome();
  // 2 MiB per GPU, four GPUs: the fixture (~4 MiB at this context) fits only when split.
  editRegistry(registry, (r) => {
    r.hostClasses.tiny = { instanceType: "tiny.4x", gpu: "toy GPU", gpuMemoryGiB: 2 / 1024, gpusPerHost: 4 };
    for (const m of Object.values<any>(r.models)) m.hostClass = "tiny";
  });
  let out = await runCli(["models", "check"], env);
  assert.equal(out.code, 1);
  assert.match(out.stdout, /stories-260k: .* NO: needs .* GiB: more than one toy GPU .*splitting over GPUs is not allowed/);
  assert.match(out.stderr, /cannot run as configured: stories-260k/);

  editRegistry(registry, (r) => {
    for (const m of Object.values<any>(r.models)) m.allowSplit = true;
  });
  out = await runCli(["models", "check"], env);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  assert.match(out.stdout, /fits \(split over GPUs, allowed\)/);
});

test("a missing model file or a checksum mismatch is named", async () => {
  const { home, registry, env } = makeTestHome();
  editRegistry(registry, (r) => (r.models["stories-260k-greedy"].sha256 = "0".repeat(64)));
  let out = await runCli(["models", "check", "--verify"], env);
  assert.equal(out.code, 1);
  assert.match(out.stdout, /stories-260k-greedy: .*sha256 of .* does not match the registry/);
  rmSync(path.join(home, "stories260K.gguf"));
  out = await runCli(["models", "check"], env);
  assert.equal(out.code, 1);
  assert.match(out.stdout, new RegExp(`model file not found: ${path.join(home, "stories260K.gguf")}`));
});
