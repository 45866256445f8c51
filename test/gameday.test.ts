import { test } from "node:test";
import assert from "node:assert/strict";
import { makeTestHome, runCli } from "./helpers.ts";
import { seededRandom } from "../workflows/gameday.ts";

test("a seeded game day injects real faults, every case completes, nothing leaks", async () => {
  const { env } = makeTestHome();
  const r = await runCli(["gameday", "--cases", "2", "--fault-rate", "0.5", "--seed", "3", "--json"], env);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { cases: number; completed: number; failed: number; faultsInjected: number; fallbacksByReason: Record<string, number>; worstFaultCostSeconds: number; leaks: number };
  assert.deepEqual(Object.keys(report).sort(), ["cases", "completed", "failed", "fallbacksByReason", "faultsInjected", "leaks", "worstFaultCostSeconds"]);
  assert.equal(report.cases, 2);
  assert.equal(report.completed, 2);
  assert.equal(report.failed, 0);
  assert.equal(report.leaks, 0);
  assert.ok(report.faultsInjected >= 2, `faults injected: ${report.faultsInjected}`);
  const fallbacks = Object.values(report.fallbacksByReason).reduce((a, b) => a + b, 0);
  assert.ok(fallbacks >= report.faultsInjected, "every injected fault was caught and fell back");
  assert.ok(report.worstFaultCostSeconds > 0);
  assert.match(r.stderr, /gameday: case 2\/2 SUCCEEDED/);
  // Faulted stages fell back to the stand-in hosted models, and what they were sent was checked.
  const sent = Number(/gameday: (\d+) request\(s\) reached the stand-in/.exec(r.stderr)?.[1]);
  assert.ok(sent >= 1, r.stderr);
});

test("the same seed picks the same faults", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, seededRandom(43)));
});

test("bad game day options are refused", async () => {
  const { env } = makeTestHome();
  const r = await runCli(["gameday", "--fault-rate", "2"], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--fault-rate 2: expected a number from 0 to 1/);
});
