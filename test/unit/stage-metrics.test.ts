/**
 * One StageMetrics builder (core/stages/metrics.ts) for the llama worker and the fallback's
 * hosted runs: the same rounding, rates, chunk counts, cost and ledger line whoever ran the stage.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { getJson, LocalBlobStore } from "../../core/blob-store.ts";
import { loadRegistry } from "../../core/registry.ts";
import { recordStageCost, stageMetrics } from "../../core/stages/metrics.ts";
import { type CostEntry, costLedgerPrefix } from "../../core/stages/report.ts";
import { root } from "../helpers.ts";

const registry = loadRegistry();
const calls = [
  { chunksUsed: 3, chunksOmitted: 1 },
  { chunksUsed: 2, chunksOmitted: 4 },
];

test("a local run: milliseconds rounded, tokens per second from the exact time, the GPU charged for the task's wall time", () => {
  const m = stageMetrics(registry, {
    outputKey: "runs/x/facts.json",
    stage: "ExtractFacts",
    model: "stories-260k",
    provider: "local",
    fallbackReason: null,
    tokensIn: 500,
    tokensOut: 123,
    loadMs: 10.4,
    promptMs: 20.6,
    genMs: 1000.4,
    wallMs: 3_600_000,
    queueMs: 7,
    warmStart: true,
    contextSize: 768,
    placement: { gpuLayers: 0 },
    thoughtTokens: 0,
    calls,
  });
  assert.deepEqual([m.loadMs, m.promptMs, m.genMs], [10, 21, 1000]);
  assert.equal(m.tokensPerSecond, Math.round((123 / 1000.4) * 10000) / 10);
  assert.deepEqual([m.chunksUsed, m.chunksOmitted], [5, 5]);
  assert.equal(m.warmStart, true);
  assert.equal(m.gpuLayers, 0);
  assert.equal(m.thoughtTokens, 0);
  const hostClass = registry.models["stories-260k"]!.hostClass;
  assert.equal(m.costUsd, Math.round((registry.pricing.gpuHourUsd[hostClass] ?? 0) * 1e6) / 1e6, "one hour of the host class");
  assert.ok(m.peakRssMb > 0);
});

test("a warm model worker's idle time, model loaded, is charged to the task that takes it: in costUsd and gpuSeconds", () => {
  const run = {
    outputKey: "runs/x/facts.json",
    stage: "ExtractFacts",
    model: "stories-260k",
    provider: "local" as const,
    fallbackReason: null,
    tokensIn: 5,
    tokensOut: 5,
    loadMs: 0,
    promptMs: 1,
    genMs: 1,
    wallMs: 1_800_000,
    queueMs: 0,
    contextSize: 256,
    calls,
  };
  const busy = stageMetrics(registry, run);
  const afterIdle = stageMetrics(registry, { ...run, warmIdleMs: 1_800_000, modelReused: true });
  assert.equal(busy.gpuSeconds, 1800);
  assert.equal(busy.warmIdleMs, 0);
  assert.equal(afterIdle.gpuSeconds, 3600, "half an hour busy plus half an hour idle");
  assert.equal(afterIdle.warmIdleMs, 1_800_000);
  assert.equal(afterIdle.modelReused, true);
  const hourUsd = registry.pricing.gpuHourUsd[registry.models["stories-260k"]!.hostClass] ?? 0;
  assert.equal(afterIdle.costUsd, Math.round(hourUsd * 1e6) / 1e6, "one hour of the host class, idle half included");
});

test("a hosted run: no warm start, placement or thought fields, no rate without time, and its ledger line", async () => {
  const m = stageMetrics(registry, {
    outputKey: "runs/x/judges/JudgeTone-r0.json",
    stage: "JudgeTone",
    model: "some-model",
    provider: "openrouter",
    fallbackReason: "States.HeartbeatTimeout",
    tokensIn: 10,
    tokensOut: 0,
    loadMs: 0,
    promptMs: 0,
    genMs: 0,
    wallMs: 0,
    queueMs: 0,
    contextSize: 0,
    calls: [],
  });
  assert.equal(m.tokensPerSecond, 0);
  assert.deepEqual([m.chunksUsed, m.chunksOmitted], [0, 0]);
  for (const field of ["warmStart", "gpuLayers", "thoughtTokens", "warmIdleMs", "gpuSeconds"])
    assert.ok(!(field in m), `${field} is absent`);
  const store = new LocalBlobStore(mkdtempSync(path.join(os.tmpdir(), "affiant-metrics-")));
  await recordStageCost(store, { runKey: "runs/x", round: 0 }, m);
  const [key] = await store.list(costLedgerPrefix("runs/x"));
  assert.deepEqual(await getJson<CostEntry>(store, key!), {
    stage: "JudgeTone",
    provider: "openrouter",
    model: "some-model",
    costUsd: m.costUsd,
    tokensIn: 10,
    tokensOut: 0,
  });
});

test("the worker and the fallback both build their metrics with it", () => {
  for (const file of ["containers/llama-worker/run-stage.ts", "functions/generate-fallback.ts"]) {
    const text = readFileSync(path.join(root, file), "utf8");
    assert.match(text, /from "(\.\.\/)+(core\/stages\/|)metrics\.ts"/, `${file} imports core/stages/metrics.ts`);
    assert.match(text, /stageMetrics\(registry, \{/, `${file} builds its metrics with stageMetrics`);
  }
});
