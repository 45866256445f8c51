/**
 * The one circuit-breaker helper (core/breaker.ts) the Admit function, the fallback's local
 * entries, the worker and the local engine share: one refusal (Affiant.CircuitOpen, a class
 * of core/errors.ts, with the counts), one rule for what is recorded. On a real SQLite store.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { admitOrRefuse, recordRun, underBreaker, warmableModels } from "../../core/breaker.ts";
import { CircuitOpenError, WorkerCrashedError } from "../../core/errors.ts";
import { SqliteRoutingStore } from "../../core/routing-store.ts";
import { makeTestHome } from "../helpers.ts";

const policy = { failureRate: 0.5, minSamples: 3, window: 10, cooldownSeconds: 300 };

function store() {
  const { home } = makeTestHome();
  return new SqliteRoutingStore(path.join(home, "affiant.db"));
}

test("a run under the breaker records its success, or its failure by name, and rethrows the failure itself", async () => {
  const s = store();
  try {
    assert.equal(await underBreaker(s, "JudgeTone", "m", policy, async () => 42), 42);
    await assert.rejects(
      underBreaker(s, "JudgeTone", "m", policy, async () => {
        throw new WorkerCrashedError("gone");
      }),
      (e: Error) => e instanceof WorkerCrashedError,
    );
    const h = await s.health("m", policy);
    assert.deepEqual({ samples: h.samples, failures: h.failures }, { samples: 2, failures: 1 });
  } finally {
    s.dispose();
  }
});

test("an open circuit refuses with CircuitOpenError naming the stage, the model and the counts, and the run never starts", async () => {
  const s = store();
  try {
    for (let i = 0; i < 3; i++) await recordRun(s, "m", "DraftDeclaration", "Affiant.GenerationStalled");
    let ran = false;
    let seen: number | undefined;
    await assert.rejects(
      underBreaker(s, "DraftDeclaration", "m", policy, async () => (ran = true)),
      (e: Error) =>
        e instanceof CircuitOpenError &&
        e.name === "Affiant.CircuitOpen" &&
        /^DraftDeclaration: circuit open: 3 of the last 3 runs of m failed \(3 stalls\)$/.test(e.message) &&
        (e as InstanceType<typeof CircuitOpenError>).model === "m",
    );
    assert.equal(ran, false);
    await assert.rejects(
      admitOrRefuse(s, "DraftDeclaration", "m", policy, (a) => (seen = a.health.failures)),
      CircuitOpenError,
    );
    assert.equal(seen, 3, "the refusal's health reaches the caller's log line");
    const h = await s.health("m", policy);
    assert.equal(h.samples, 3, "a refusal is not an outcome of the model");
  } finally {
    s.dispose();
  }
});

test("errors that say nothing about the model, and drills, are not recorded", async () => {
  const s = store();
  try {
    for (const e of [
      "Affiant.ContextTooLarge",
      "Affiant.InvalidInput",
      "Affiant.CircuitOpen",
      "Affiant.ModelDoesNotFit",
      "Affiant.PrivacyViolation",
      "States.Aborted",
    ])
      await recordRun(s, "m", "JudgeTone", e);
    await recordRun(s, "m", "JudgeTone", "Affiant.WorkerStalled", { drill: true });
    await recordRun(s, "m", "JudgeTone", null, { drill: true });
    assert.equal((await s.health("m", policy)).samples, 0);
    await recordRun(s, "m", "JudgeTone", "Affiant.WorkerStalled");
    await recordRun(s, "m", "JudgeTone", null);
    assert.deepEqual(((h) => [h.samples, h.failures])(await s.health("m", policy)), [2, 1]);
  } finally {
    s.dispose();
  }
});

test("WarmUp warms only models whose circuit is closed, claims no probe, and leaves a model cold when its health cannot be read", async () => {
  const s = store();
  try {
    for (let i = 0; i < 3; i++) await recordRun(s, "stalling", "DraftDeclaration", "Affiant.GenerationStalled");
    await recordRun(s, "healthy", "ExtractFacts", null);
    const gate = await warmableModels(s, ["healthy", "stalling", "new"], () => policy);
    assert.deepEqual(gate.warmable, ["healthy", "new"]);
    assert.deepEqual(gate.refused, [{ model: "stalling", why: "open" }]);
    const unreadable = await warmableModels(
      {
        health: async () => {
          throw new Error("ResourceNotFoundException");
        },
      },
      ["healthy"],
      () => policy,
    );
    assert.deepEqual(unreadable, { warmable: [], refused: [{ model: "healthy", why: "unreadable" }] });
  } finally {
    s.dispose();
  }
});
