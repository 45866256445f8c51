/**
 * Warm model workers: a worker keeps its one model loaded for the next task of that model,
 * is recycled after maxTasks tasks or idleSeconds without one, and a fault kills it (the
 * next task gets a fresh process that loads the model again). Real worker processes, real
 * node-llama-cpp on the committed tiny model; the pool is the engine's own.
 */

import assert from "node:assert/strict";
import { fork, spawn } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { LocalBlobStore } from "../../core/blob-store.ts";
import type { PipelineState } from "../../core/pipeline-state.ts";
import { loadRegistry } from "../../core/registry.ts";
import { stageEnvFromState } from "../../core/stages/task-env.ts";
import { buildIndex } from "../../functions/build-index.ts";
import { extractDocuments } from "../../functions/extract-documents.ts";
import { redactCase } from "../../functions/redact-pii.ts";
import { ingestCase, readCaseFolder } from "../../workflows/engine/case-intake.ts";
import { LocalEngine } from "../../workflows/engine/local-engine.ts";
import { poolWarm, takeWarm, type WarmLimits, warmModelWorkers } from "../../workflows/engine/warm-pool.ts";
import { sourceLaunch, workerLaunch } from "../../workflows/engine/worker-launch.ts";
import { killAllWorkers, spawnWorker } from "../../workflows/engine/worker-supervisor.ts";
import { isAlive, makeTestHome, preparedState, root, samples, waitFor } from "../helpers.ts";

const model = "stories-260k";
const idlePid = (m = model) => waitFor("an idle warm worker", async () => warmModelWorkers()[m]?.[0], 30_000, 50);
const exited = (pid: number) => waitFor(`worker ${pid} to exit`, async () => (!isAlive(pid) ? true : undefined), 15_000, 50);

function stage(state: PipelineState, limits: WarmLimits | undefined, env: Record<string, string> = {}, warmModel = model) {
  let pid = 0;
  const run = spawnWorker({
    stage: "ExtractFacts",
    env: { ...stageEnvFromState("ExtractFacts", state), ...env },
    timeoutSeconds: 120,
    heartbeatSeconds: 15,
    warm: limits ? { model: warmModel, ...limits } : undefined,
    onSpawn: (c) => (pid = c.pid!),
  });
  return run.then((metrics) => ({ metrics, pid }));
}

test("the engine forks the worker compiled to one file inside node_modules/.cache, without the TypeScript loader", async () => {
  const launch = await workerLaunch();
  assert.equal(launch.compiled, true);
  assert.deepEqual(launch.execArgv, []);
  assert.ok(launch.entry.startsWith(path.join(root, "node_modules", ".cache", "affiant") + path.sep), launch.entry);
  assert.ok(existsSync(launch.entry));
  assert.deepEqual(sourceLaunch.execArgv, ["--import", "tsx"]);
});

test("a warm worker keeps its model for the next task, is charged its idle time, and exits after maxTasks", async (t) => {
  t.after(killAllWorkers);
  const { state } = await preparedState();
  const limits = { maxTasks: 2, idleSeconds: 60, maxRssGrowthMb: 4096 };
  const first = await stage(state, limits);
  assert.equal(first.metrics.modelReused, false);
  assert.equal(await idlePid(), first.pid, "the worker that answered waits idle, model loaded");
  await new Promise((r) => setTimeout(r, 300));
  const second = await stage(state, limits);
  assert.equal(second.pid, first.pid, "the second task ran in the same process");
  assert.equal(second.metrics.modelReused, true);
  assert.equal(second.metrics.warmStart, true);
  assert.equal(first.metrics.warmStart, false);
  // queueMs: from the task's start until the worker can plan (process, modules, binding): a warm worker skips start-up.
  assert.ok(
    second.metrics.queueMs < first.metrics.queueMs * 0.5,
    `warm start ${second.metrics.queueMs} ms vs cold ${first.metrics.queueMs} ms`,
  );
  assert.ok(second.metrics.warmIdleMs! >= 250, `idle time charged: ${second.metrics.warmIdleMs} ms`);
  assert.ok(second.metrics.gpuSeconds! * 1000 >= second.metrics.warmIdleMs!, "GPU-seconds include the idle time");
  assert.ok(!("stayWarm" in second.metrics), "the pool's signal is not part of the stored metrics");
  await exited(first.pid);
  assert.deepEqual(warmModelWorkers(), {}, "recycled after maxTasks: nothing left in the pool");
});

test("a warm worker with no task for idleSeconds exits", async (t) => {
  t.after(killAllWorkers);
  const { state } = await preparedState();
  const first = await stage(state, { maxTasks: 10, idleSeconds: 1, maxRssGrowthMb: 4096 });
  assert.equal(await idlePid(), first.pid);
  await exited(first.pid);
  assert.deepEqual(warmModelWorkers(), {});
});

test("a fault kills the warm worker; the next task loads the model in a new process", async (t) => {
  t.after(killAllWorkers);
  const limits = { maxTasks: 10, idleSeconds: 60, maxRssGrowthMb: 4096 };
  const { state } = await preparedState();
  const first = await stage(state, limits);
  assert.equal(await idlePid(), first.pid);
  const faulty = { ...state, faults: { ExtractFacts: "crash" as const } };
  await assert.rejects(stage(faulty, limits));
  await exited(first.pid);
  assert.deepEqual(warmModelWorkers(), {});
  const third = await stage(state, limits);
  assert.notEqual(third.pid, first.pid);
  assert.equal(third.metrics.modelReused, false);
});

test("the engine kills a warm worker whose RSS grew past the bound instead of pooling it; one within it is pooled and taken", async (t) => {
  // A plain child with an IPC channel stands in for the worker here: the rule under test is
  // the pool's, on the growth the worker reports (the worker applies the same bound itself).
  const child = () => fork("-e", ["setInterval(() => {}, 1000)"], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  const grown = child();
  const kept = child();
  t.after(() => {
    grown.kill("SIGKILL");
    kept.kill("SIGKILL");
  });
  const limits = { maxTasks: 10, idleSeconds: 60, maxRssGrowthMb: 512 };
  await Promise.all([grown, kept].map((c) => new Promise((r) => c.once("spawn", r))));
  assert.equal(poolWarm(grown, { model: "m-grown", tasks: 2, rssGrowthMb: 513 }, limits), false);
  await exited(grown.pid!);
  assert.equal(poolWarm(kept, { model: "m-kept", tasks: 2, rssGrowthMb: 512 }, limits), true);
  assert.deepEqual(warmModelWorkers(), { "m-kept": [kept.pid] });
  assert.equal(takeWarm("m-grown"), undefined);
  assert.equal(takeWarm("m-kept")?.child, kept);
  assert.deepEqual(warmModelWorkers(), {});
});

test("a warm worker given another model's stage refuses it and dies: never two models in one process", async (t) => {
  t.after(killAllWorkers);
  const limits = { maxTasks: 10, idleSeconds: 60, maxRssGrowthMb: 4096 };
  const { state } = await preparedState();
  const first = await stage(state, limits);
  assert.equal(await idlePid(), first.pid);
  // The pool is keyed by model, so only a pool bug could do this: here the key says
  // stories-260k and the stage asks for another model.
  await assert.rejects(
    stage(state, limits, { AFFIANT_MODEL: "stories-260k-greedy" }),
    (err: Error) => err.name === "Affiant.InvalidInput" && /one model per process/.test(err.message),
  );
  await exited(first.pid);
});

test("no KV cache or prompt crosses cases (greedy model, unscripted): case B on a warm worker that ran case A answers byte for byte as on a fresh process", async (t) => {
  t.after(killAllWorkers);
  const limits = { maxTasks: 10, idleSeconds: 60, maxRssGrowthMb: 4096 };
  const greedy = { AFFIANT_MODEL: "stories-260k-greedy" };
  const a = await preparedState();
  const first = await stage(a.state, limits, greedy, "stories-260k-greedy");
  assert.equal(await idlePid("stories-260k-greedy"), first.pid);
  // Case B: another case (the T visa sample) in the same home, so the same model file.
  const store = new LocalBlobStore(path.join(a.env.AFFIANT_HOME!, "blobs"));
  await ingestCase(readCaseFolder(samples.tvisa), store);
  const caseB = await extractDocuments({ input: { caseId: "tvisa-sample-0001", faults: {} }, executionName: "sfn-test-b" }, store);
  caseB.redact = await redactCase({ state: caseB }, store);
  caseB.index = await buildIndex({ state: caseB }, store);
  const warm = await stage(caseB, limits, greedy, "stories-260k-greedy");
  assert.equal(warm.pid, first.pid);
  assert.equal(warm.metrics.modelReused, true);
  // The fresh process reads the same run (Redact's role legend, the case's elements) under its own run key.
  const blobs = path.join(a.env.AFFIANT_HOME!, "blobs");
  cpSync(path.join(blobs, caseB.runKey), path.join(blobs, `${caseB.runKey}-cold`), { recursive: true });
  rmSync(path.join(blobs, `${caseB.runKey}-cold`, path.basename(warm.metrics.outputKey)));
  const cold = await stage({ ...caseB, runKey: `${caseB.runKey}-cold` }, undefined, greedy);
  assert.notEqual(cold.pid, first.pid);
  assert.equal(warm.metrics.tokensIn, cold.metrics.tokensIn, "the same prompt tokens: nothing of case A prepended");
  const home = a.env.AFFIANT_HOME!;
  const text = (key: string) => readFileSync(path.join(home, "blobs", key), "utf8");
  assert.notEqual(warm.metrics.outputKey, cold.metrics.outputKey);
  assert.ok(text(warm.metrics.outputKey).length > 0);
  assert.equal(text(warm.metrics.outputKey), text(cold.metrics.outputKey));
});

test("warm workers of an engine killed with SIGKILL exit by themselves", async () => {
  // The engine here is a process of its own that WarmUp-starts two models' workers, which load and wait idle.
  const script = `
    const { makeTestHome } = await import(${JSON.stringify(path.join(root, "test/helpers.ts"))});
    const { warmUp } = await import(${JSON.stringify(path.join(root, "workflows/engine/acquire.ts"))});
    const { warmModelWorkers } = await import(${JSON.stringify(path.join(root, "workflows/engine/warm-pool.ts"))});
    Object.assign(process.env, makeTestHome().env);
    await warmUp({ warm: { maxTasks: 10, idleSeconds: 120, maxRssGrowthMb: 4096 }, poolSize: 3 }, [{ model: "stories-260k", stage: "ExtractFacts" }, { model: "stories-260k-greedy", stage: "ExtractFacts" }], {});
    const t = setInterval(() => { const w = Object.values(warmModelWorkers()).flat(); if (w.length === 2) { console.log(JSON.stringify(w)); clearInterval(t); setInterval(() => {}, 1000); } }, 100);
  `;
  const holder = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  holder.stdout.on("data", (d) => (out += d));
  const pids = await waitFor(
    "the engine's idle warm workers",
    async () => (out.includes("]") ? (JSON.parse(out) as number[]) : undefined),
    60_000,
    100,
  );
  assert.equal(pids.length, 2);
  for (const p of pids) assert.ok(isAlive(p));
  holder.kill("SIGKILL");
  await waitFor("orphaned warm workers to exit", async () => (pids.every((p) => !isAlive(p)) ? true : undefined), 10_000, 100);
});

function editRegistry(file: string, edit: (r: Record<string, unknown>) => void) {
  const r = JSON.parse(readFileSync(file, "utf8"));
  edit(r);
  writeFileSync(file, JSON.stringify(r));
}

test("the registry's workers settings are validated, with the field named; AFFIANT_WARM_WORKERS too", () => {
  const { registry, env } = makeTestHome();
  Object.assign(process.env, env);
  assert.deepEqual(
    loadRegistry(registry).workers,
    { maxTasks: 16, idleSeconds: 30, maxRssGrowthMb: 512, acquireSeconds: 900, poolSize: 3, warmUp: true },
    "defaults when absent",
  );
  for (const [bad, field] of [
    [{ maxTasks: 0 }, "workers.maxTasks"],
    [{ idleSeconds: -1 }, "workers.idleSeconds"],
    [{ maxRssGrowthMb: 1.5 }, "workers.maxRssGrowthMb"],
    [{ acquireSeconds: 0 }, "workers.acquireSeconds"],
    [{ poolSize: 0 }, "workers.poolSize"],
  ] as const) {
    editRegistry(registry, (r) => (r.workers = bad));
    assert.throws(
      () => loadRegistry(registry),
      (err: Error) => err.name === "Affiant.InvalidInput" && err.message.includes(registry) && err.message.includes(field),
      JSON.stringify(bad),
    );
  }
  editRegistry(registry, (r) => delete r.workers);
  process.env.AFFIANT_WARM_WORKERS = "yes";
  try {
    assert.throws(() => new LocalEngine({ registry: loadRegistry(registry) }), /AFFIANT_WARM_WORKERS must be 1 or 0 \(got "yes"\)/);
  } finally {
    delete process.env.AFFIANT_WARM_WORKERS;
  }
});
