/**
 * Acquire and generate are two states: getting a worker with its model loaded has the
 * registry's acquire budget, generating has the stage's HeartbeatSeconds. Real engine, real
 * worker processes, real node-llama-cpp on the committed tiny model; the provisioning delay
 * is the `slow-start` drill (the worker waits before loading, as an instance launch would).
 */

import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { test } from "node:test";
import type { Faults } from "../../core/faults.ts";
import { loadRegistry } from "../../core/registry.ts";
import { acquireWorker, warmedUpCount } from "../../workflows/engine/acquire.ts";
import { ingestCase, readCaseFolder } from "../../workflows/engine/case-intake.ts";
import { LocalEngine } from "../../workflows/engine/local-engine.ts";
import { claimReserved, poolWarm, workersOf } from "../../workflows/engine/warm-pool.ts";
import { killAllWorkers } from "../../workflows/engine/worker-supervisor.ts";
import { makeTestHome, samples, waitFor } from "../helpers.ts";

const heartbeatSeconds = 3;

/** Runs the sample case until ExtractFacts or its fallback has ended, then stops it. */
async function firstStage(faults: Faults, env: Record<string, string> = {}, warmUp = true) {
  const home = makeTestHome({
    stages: { ExtractFacts: { heartbeatSeconds, watchdogSeconds: 60 } },
    workers: { maxTasks: 16, idleSeconds: 60, maxRssGrowthMb: 4096, acquireSeconds: 120, poolSize: 3, warmUp },
  });
  Object.assign(process.env, home.env, env);
  const engine = new LocalEngine();
  const { store } = engine;
  await ingestCase(readCaseFolder(samples.vawa), store);
  // When each state last made progress (a heartbeat with progress): where a stall begins.
  const lastProgressAt = new Map<string, number>();
  engine.on("event", (e: { type: string; state?: string }) => {
    if (e.type === "progress" && e.state) lastProgressAt.set(e.state, Date.now());
  });
  const { executionId, done } = engine.start({ caseId: "vawa-sample-0001", faults });
  const states = await waitFor(
    "ExtractFacts or its fallback to end",
    async () => {
      const s = engine.summary(executionId)!.states;
      return s.some((x) => (x.name === "ExtractFacts" && x.status === "SUCCEEDED") || (x.name === "ExtractFactsFallback" && x.endedAt))
        ? s
        : undefined;
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
  return { states, at, lastProgressAt };
}

test("a provisioning delay longer than the stage's HeartbeatSeconds is the Acquire state's time: no fallback", async (t) => {
  t.after(killAllWorkers);
  // Warm-up off, so the Acquire itself starts the worker and waits out the whole delay (with
  // it on, how much of the delay Redact and Index hide depends on this box's load).
  const delaySeconds = 8;
  const { states, at } = await firstStage({ ExtractFacts: "slow-start" }, { AFFIANT_SLOW_START_SECONDS: String(delaySeconds) }, false);
  const acquire = at("ExtractFactsAcquire");
  const waitedMs = Date.parse(acquire.endedAt!) - Date.parse(acquire.startedAt);
  assert.ok(waitedMs >= delaySeconds * 1000, `the Acquire waited out the simulated provisioning delay: ${waitedMs} ms`);
  assert.ok(waitedMs > heartbeatSeconds * 1000, "longer than the stage's HeartbeatSeconds");
  assert.equal(acquire.status, "SUCCEEDED");
  const generate = at("ExtractFacts");
  assert.equal(generate.status, "SUCCEEDED", generate.cause);
  assert.equal(generate.provider, "local");
  assert.equal(generate.modelReused, false, "the worker the Acquire started loaded the model: one load, charged to this task");
  assert.ok(!states.some((x) => x.name === "ExtractFactsFallback"), "no fallback");
});

test("a stall during generation still reaches its fallback within HeartbeatSeconds + 5 s of the stall", async (t) => {
  t.after(killAllWorkers);
  const claimed = warmedUpCount();
  const { at, lastProgressAt } = await firstStage({ ExtractFacts: "stall" });
  assert.equal(at("ExtractFactsAcquire").status, "SUCCEEDED");
  assert.equal(
    warmedUpCount(),
    claimed + 1,
    "ExtractFacts' Acquire took the worker WarmUp started (after Extract) while Redact and Index ran",
  );
  const generate = at("ExtractFacts");
  assert.equal(generate.status, "FAILED");
  assert.equal(generate.error, "States.HeartbeatTimeout", generate.cause);
  const fallback = at("ExtractFactsFallback");
  const stalledAt = lastProgressAt.get("ExtractFacts");
  assert.ok(stalledAt, "the generation made progress before it stalled");
  const afterMs = Date.parse(fallback.startedAt) - stalledAt;
  assert.ok(afterMs >= heartbeatSeconds * 1000 - 1000, `caught by the missed heartbeat, not before it: ${afterMs} ms`);
  assert.ok(afterMs <= (heartbeatSeconds + 5) * 1000, `fallback entered ${afterMs} ms after the last progress`);
  assert.equal(fallback.status, "SUCCEEDED", fallback.cause);
});

test("a model's warm workers are capped at workers.poolSize: another Acquire waits for one to come free, and times out naming the pool when none does", async (t) => {
  t.after(killAllWorkers);
  const limits = { maxTasks: 16, idleSeconds: 60, maxRssGrowthMb: 4096, acquireSeconds: 120, poolSize: 1, warmUp: false };
  const home = makeTestHome({ workers: limits });
  Object.assign(process.env, home.env);
  const registry = loadRegistry();
  const model = registry.stages.ExtractFacts!.model;
  assert.equal(registry.stages.DraftDeclaration!.model, model, "both stages run the same model here");
  const adopted: ChildProcess[] = [];
  const ctx = { registry, warm: limits, signal: undefined, adopt: (c: ChildProcess) => adopted.push(c) };
  const first = await acquireWorker(ctx, "exec-a", "ExtractFacts", {}, 60);
  assert.equal(first.reused, false);
  assert.equal(workersOf(model), 1);

  // The pool of one is taken (reserved for exec-a's generate state): no second process, a timeout naming the pool.
  await assert.rejects(acquireWorker(ctx, "exec-b", "DraftDeclaration", {}, 2), (err: Error) => {
    assert.equal(err.name, "States.Timeout");
    assert.match(err.message, /"poolSize":1/);
    assert.match(err.message, /all 1 workers of stories-260k \(workers\.poolSize\) stayed busy for the acquire budget \(2 s\)/);
    return true;
  });
  assert.equal(workersOf(model), 1, "the Acquire that timed out started no worker");
  assert.equal(adopted.length, 1);

  // One waits; when exec-a's worker comes free (pooled, as after its answer), the waiting Acquire gets that very process.
  const waiting = acquireWorker(ctx, "exec-c", "DraftDeclaration", {}, 60);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(workersOf(model), 1, "still one process while the other Acquire waits");
  const held = claimReserved("exec-a", "ExtractFacts")!;
  assert.ok(poolWarm(held.child, { model, tasks: 1, rssGrowthMb: 0 }, limits));
  const second = await waiting;
  assert.equal(second.reused, true);
  assert.equal(second.workerId, first.workerId, "the freed worker, model loaded, not a new load");

  // A worker that exits frees its place too: the next Acquire starts a new process.
  const exited = new Promise((r) => adopted[0]!.once("exit", r));
  const waitingAgain = acquireWorker(ctx, "exec-d", "ExtractFacts", {}, 60);
  adopted[0]!.kill("SIGKILL");
  await exited;
  const third = await waitingAgain;
  assert.equal(third.reused, false);
  assert.notEqual(third.workerId, first.workerId);
  assert.equal(workersOf(model), 1);
  for (const k of Object.keys(home.env)) delete process.env[k];
});
