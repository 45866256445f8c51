/**
 * One model per process: the engine never holds a model, and each worker exits after its
 * stage, so running many stages leaves the engine's memory where it was. Compared as a
 * ratio against what one worker needed, not as an absolute figure.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { stageEnvFromState } from "../../core/stages/task-env.ts";
import { spawnWorker } from "../../workflows/engine/worker-supervisor.ts";
import { isAlive, preparedState } from "../helpers.ts";

test("six stages through workers leave the engine's RSS flat and no worker behind", async () => {
  const { state } = await preparedState();
  const env = stageEnvFromState("ExtractFacts", state);
  const run = async () => {
    let pid = 0;
    const metrics = await spawnWorker({
      stage: "ExtractFacts",
      env,
      timeoutSeconds: 120,
      heartbeatSeconds: 15,
      onSpawn: (c) => (pid = c.pid!),
    });
    return { metrics, pid };
  };
  await run(); // warm-up: module loading in this process is not what is measured
  global.gc?.();
  const before = process.memoryUsage().rss;
  const peaks: number[] = [];
  const pids: number[] = [];
  // Six: a model left behind in this process would grow it by about a worker's peak each time.
  for (let i = 0; i < 6; i++) {
    const { metrics, pid } = await run();
    peaks.push(metrics.peakRssMb);
    pids.push(pid);
  }
  await new Promise((r) => setTimeout(r, 500));
  const after = process.memoryUsage().rss;
  const growthMb = (after - before) / 2 ** 20;
  const workerPeakMb = Math.max(...peaks);
  assert.ok(workerPeakMb > 50, `a worker that loaded a model peaks well above 50 MB (saw ${workerPeakMb})`);
  // Had any model stayed in this process, growth would be on the order of a worker's peak.
  assert.ok(
    growthMb < workerPeakMb * 0.25,
    `engine RSS grew ${growthMb.toFixed(1)} MB over 6 stages; one worker peaks at ${workerPeakMb} MB`,
  );
  for (const pid of pids) assert.equal(isAlive(pid), false, `worker ${pid} is still running`);
});

test("the worker applies the registry's chat template and caps thinking at the stage's budget", async () => {
  const { state } = await preparedState(
    {},
    { contextSize: 1024, models: { chatWrapper: "qwen" }, stages: { ExtractFacts: { thoughtBudget: 20 } } },
  );
  const metrics = await spawnWorker({
    stage: "ExtractFacts",
    env: stageEnvFromState("ExtractFacts", state),
    timeoutSeconds: 120,
    heartbeatSeconds: 15,
  });
  assert.ok(metrics.thoughtTokens! >= 20 && metrics.thoughtTokens! <= 40, `thought tokens ${metrics.thoughtTokens}`);
  assert.ok(metrics.tokensOut > metrics.thoughtTokens!, "an answer followed");
  assert.ok(metrics.contextSize >= metrics.tokensIn + 20, "the context made room for the thinking");
});
