/**
 * Warm spares and the compiled worker: a GPU state handed to a spare skips the worker's
 * start-up, runs with the stage's environment (not the one the spare was forked with),
 * and no spare outlives whoever held it. Start-up is compared as a ratio within one run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { isAlive, makeTestHome, preparedState, root, waitFor } from "../helpers.ts";
import { spawnWorker } from "../../workflows/engine/worker-supervisor.ts";
import { holdWorkerSpares, workerSpares } from "../../workflows/engine/worker-spares.ts";
import { sourceLaunch, workerLaunch } from "../../workflows/engine/worker-launch.ts";
import { stageEnvFromState } from "../../core/stage-input.ts";

const untilReady = (count: number) => waitFor(`${count} ready spares`, async () => (workerSpares().ready.length >= count ? true : undefined), 60_000, 100);

test("the engine forks the worker compiled to one file inside node_modules/.cache, without the TypeScript loader", async () => {
  const launch = await workerLaunch();
  assert.equal(launch.compiled, true);
  assert.deepEqual(launch.execArgv, []);
  assert.ok(launch.entry.startsWith(path.join(root, "node_modules", ".cache", "affiant") + path.sep), launch.entry);
  assert.ok(existsSync(launch.entry));
  assert.deepEqual(sourceLaunch.execArgv, ["--import", "tsx"]);
});

test("a stage on a warm spare skips start-up, and runs with the stage's environment, not the spare's", async () => {
  // The spare is forked while this process points at another data folder and a model that
  // does not exist: had it kept that environment, the stage could find neither its input nor its model.
  const stranger = makeTestHome();
  Object.assign(process.env, stranger.env, { AFFIANT_MODEL: "no-such-model" });
  let release = holdWorkerSpares(1);
  await untilReady(1);
  delete process.env.AFFIANT_MODEL;
  const { state, env } = await preparedState();
  const sparePid = workerSpares().ready[0]!;
  let ranOn = 0;
  const warm = await spawnWorker({ stage: "ExtractFacts", env: stageEnvFromState("ExtractFacts", state), timeoutSeconds: 120, heartbeatSeconds: 15, onSpawn: (c) => (ranOn = c.pid!) });
  release();
  assert.equal(ranOn, sparePid, "the stage went to the ready spare");
  assert.equal(warm.warmStart, true);
  assert.equal(warm.model, "stories-260k");
  assert.ok(existsSync(path.join(env.AFFIANT_HOME!, "blobs", warm.outputKey)), "the output is in the stage's data folder");

  const cold = await spawnWorker({ stage: "ExtractFacts", env: stageEnvFromState("ExtractFacts", state), timeoutSeconds: 120, heartbeatSeconds: 15 });
  assert.equal(cold.warmStart, false);
  // queueMs: from the task's start until the worker can plan (process, modules, binding).
  assert.ok(warm.queueMs < cold.queueMs * 0.5, `warm start ${warm.queueMs} ms vs cold ${cold.queueMs} ms`);

  // Taking a spare forks its replacement; releasing the hold kills what is left.
  release = holdWorkerSpares(2);
  await untilReady(2);
  const pids = workerSpares().ready;
  release();
  await waitFor("released spares to exit", async () => (pids.every((p) => !isAlive(p)) ? true : undefined), 10_000, 100);
  assert.deepEqual(workerSpares(), { ready: [], warming: [] });
});

test("spares of an engine killed with SIGKILL exit by themselves", async () => {
  const script = `
    const { holdWorkerSpares, workerSpares } = await import(${JSON.stringify(path.join(root, "workflows/engine/worker-spares.ts"))});
    holdWorkerSpares(2);
    const t = setInterval(() => { const s = workerSpares(); if (s.ready.length === 2) { console.log(JSON.stringify(s.ready)); clearInterval(t); setInterval(() => {}, 1000); } }, 100);
  `;
  const holder = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  holder.stdout.on("data", (d) => (out += d));
  const pids = await waitFor("the holder's spares", async () => (out.includes("]") ? (JSON.parse(out) as number[]) : undefined), 60_000, 100);
  assert.equal(pids.length, 2);
  for (const p of pids) assert.ok(isAlive(p));
  holder.kill("SIGKILL");
  await waitFor("orphaned spares to exit", async () => (pids.every((p) => !isAlive(p)) ? true : undefined), 10_000, 100);
});
