/**
 * Acquire and generate are two states: getting a worker with its model loaded has the
 * registry's acquire budget, generating has the stage's HeartbeatSeconds. Real engine, real
 * worker processes, real node-llama-cpp on the committed tiny model; the provisioning delay
 * is the `slow-start` drill (the worker waits before loading, as an instance launch would).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeTestHome, samples, waitFor } from "../helpers.ts";
import { ingestCase, readCaseFolder } from "../../workflows/engine/case-intake.ts";
import { LocalEngine } from "../../workflows/engine/local-engine.ts";
import { killAllWorkers } from "../../workflows/engine/worker-supervisor.ts";
import type { Faults } from "../../core/faults.ts";

const heartbeatSeconds = 3;

/** Runs the sample case until ExtractFacts or its fallback has ended, then stops it. */
async function firstStage(faults: Faults, env: Record<string, string> = {}) {
  const home = makeTestHome({
    stages: { ExtractFacts: { heartbeatSeconds, watchdogSeconds: 60 } },
    workers: { maxTasks: 16, idleSeconds: 60, maxRssGrowthMb: 4096, acquireSeconds: 120, poolSize: 3 },
  });
  Object.assign(process.env, home.env, env);
  const engine = new LocalEngine();
  const { store } = engine;
  await ingestCase(readCaseFolder(samples.vawa), store);
  const { executionId, done } = engine.start({ caseId: "vawa-sample-0001", faults });
  const states = await waitFor(
    "ExtractFacts or its fallback to end",
    async () => {
      const s = engine.summary(executionId)!.states;
      return s.some((x) => (x.name === "ExtractFacts" && x.status === "SUCCEEDED") || (x.name === "ExtractFactsFallback" && x.endedAt)) ? s : undefined;
    },
    240_000,
    200,
  );
  engine.abort(executionId);
  await done;
  engine.dispose();
  for (const k of Object.keys(env)) delete process.env[k];
  const at = (name: string) => {
    const s = states.find((x) => x.name === name);
    assert.ok(s, `${name} did not run`);
    return s;
  };
  return { states, at };
}

test("a provisioning delay longer than the stage's HeartbeatSeconds is the Acquire state's time: no fallback", async (t) => {
  t.after(killAllWorkers);
  const { states, at } = await firstStage({ ExtractFacts: "slow-start" }, { AFFIANT_SLOW_START_SECONDS: "6" });
  const acquire = at("ExtractFactsAcquire");
  const waitedMs = Date.parse(acquire.endedAt!) - Date.parse(acquire.startedAt);
  assert.ok(waitedMs >= 6000, `the Acquire waited out the delay: ${waitedMs} ms`);
  assert.ok(waitedMs > heartbeatSeconds * 1000, "longer than the stage's HeartbeatSeconds");
  assert.equal(acquire.status, "SUCCEEDED");
  const generate = at("ExtractFacts");
  assert.equal(generate.status, "SUCCEEDED", generate.cause);
  assert.equal(generate.provider, "local");
  assert.equal(generate.modelReused, false, "the worker the Acquire started loaded the model: one load, charged to this task");
  assert.ok(!states.some((x) => x.name === "ExtractFactsFallback"), "no fallback");
});

test("a stall during generation still reaches its fallback within HeartbeatSeconds + 5 s of the generate state's start", async (t) => {
  t.after(killAllWorkers);
  const { at } = await firstStage({ ExtractFacts: "stall" });
  assert.equal(at("ExtractFactsAcquire").status, "SUCCEEDED");
  const generate = at("ExtractFacts");
  assert.equal(generate.status, "FAILED");
  assert.equal(generate.error, "States.HeartbeatTimeout", generate.cause);
  const fallback = at("ExtractFactsFallback");
  const afterMs = Date.parse(fallback.startedAt) - Date.parse(generate.startedAt);
  assert.ok(afterMs <= (heartbeatSeconds + 5) * 1000, `fallback entered ${afterMs} ms after the stage's start`);
  assert.equal(fallback.status, "SUCCEEDED", fallback.cause);
});
