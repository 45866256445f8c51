/**
 * The GPU pool policy (core/gpu-pool-policy.ts), the one copy the local engine, the acquire
 * Lambda and the rehearsal decide with: every decision over a grid of pools, and the
 * Lambda's reading of it (ECS cannot tell a free task from a busy one) against the rule it
 * has always applied: start one more task while fewer are live than the pool's size and
 * than the tokens waiting.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decideAcquire,
  localWorkerLimits,
  poolCapacity,
  retireReason,
  stuckWorkerReason,
  warmUpStarts,
} from "../../core/gpu-pool-policy.ts";

const range = (n: number) => [...Array(n).keys()];

test("an Acquire reuses a free worker, else starts one while the pool has room, else waits, and is refused once its budget is spent", () => {
  let seen = 0;
  for (const poolSize of [1, 2, 3, 6])
    for (const live of range(8))
      for (const free of range(live + 1))
        for (const waiting of range(5))
          for (const budgetSpent of [false, true]) {
            const d = decideAcquire({ live, free, waiting, budgetSpent }, { poolSize }, "m-1");
            const expected = free >= Math.max(1, waiting) ? "reuse" : live < poolSize ? "start" : budgetSpent ? "refuse" : "wait";
            assert.equal(d.kind, expected, JSON.stringify({ poolSize, live, free, waiting, budgetSpent }));
            if (d.kind === "refuse")
              assert.equal(d.reason, `all ${poolSize} workers of m-1 (workers.poolSize) stayed busy for the acquire budget`);
            seen++;
          }
  assert.ok(seen > 1000);
});

test("a free worker is reused even with the budget spent or the pool over its size; nothing starts past the pool's size", () => {
  assert.deepEqual(decideAcquire({ live: 9, free: 1, waiting: 1, budgetSpent: true }, { poolSize: 3 }), { kind: "reuse" });
  assert.deepEqual(decideAcquire({ live: 0, free: 0, waiting: 1 }, { poolSize: 1 }), { kind: "start" });
  assert.deepEqual(decideAcquire({ live: 1, free: 0, waiting: 1 }, { poolSize: 1 }), { kind: "wait" });
  assert.equal(decideAcquire({ live: 3, free: 0, waiting: 1, budgetSpent: true }, { poolSize: 3 }).kind, "refuse");
  // Busy workers are no capacity locally: a new Acquire starts another while the pool has room.
  assert.deepEqual(decideAcquire({ live: 2, free: 0, waiting: 1 }, { poolSize: 3 }), { kind: "start" });
});

test("the acquire Lambda, counting every live ECS task as free, starts a task exactly when fewer are live than the pool's size and than the tokens queued", () => {
  for (const poolSize of range(8).map((n) => n + 1))
    for (const live of range(10))
      for (const queued of range(10).map((n) => n + 1)) {
        const starts = decideAcquire({ live, free: live, waiting: queued }, { poolSize }).kind === "start";
        assert.equal(starts, live < poolSize && live < queued, JSON.stringify({ poolSize, live, queued }));
      }
});

test("WarmUp starts one worker of a model with none free and room in its pool, else none; in AWS only when the model has no live task", () => {
  for (const poolSize of [1, 2, 3])
    for (const live of range(5))
      for (const free of range(live + 1)) {
        assert.equal(
          warmUpStarts({ live, free }, { poolSize }),
          free === 0 && live < poolSize ? 1 : 0,
          JSON.stringify({ poolSize, live, free }),
        );
        assert.equal(warmUpStarts({ live, free: live }, { poolSize }), live === 0 ? 1 : 0);
      }
});

test("a worker retires after maxTasks tasks or RSS growth past the bound, and stays otherwise", () => {
  const limits = { maxTasks: 3, maxRssGrowthMb: 100 };
  for (const tasks of range(6))
    for (const rssGrowthMb of [0, 99, 100, 101, 500]) {
      const expected = tasks >= 3 ? "maxTasks" : rssGrowthMb > 100 ? "rssGrowth" : undefined;
      assert.equal(retireReason({ tasks, rssGrowthMb }, limits), expected, JSON.stringify({ tasks, rssGrowthMb }));
    }
  // A worker WarmUp pooled before any task stays.
  assert.equal(retireReason({ tasks: 0, rssGrowthMb: 0 }, { maxTasks: 1, maxRssGrowthMb: 1 }), undefined);
});

test("AFFIANT_WARM_WORKERS=0 is the same pool with one task per worker; the pools' capacity is models × poolSize", () => {
  const workers = { maxTasks: 16, idleSeconds: 30, maxRssGrowthMb: 512, acquireSeconds: 600, poolSize: 3, warmUp: true };
  assert.equal(localWorkerLimits(workers, true), workers);
  assert.deepEqual(localWorkerLimits(workers, false), { ...workers, maxTasks: 1 });
  assert.equal(retireReason({ tasks: 1, rssGrowthMb: 0 }, localWorkerLimits(workers, false)), "maxTasks");
  assert.equal(poolCapacity(4, workers), 12);
});

test("a worker task that can never answer an Acquire is stuck past the acquire budget (+ grace): provisioning, never tagged, or loading", () => {
  const limits = { acquireSeconds: 600 };
  const t0 = 1_000_000;
  const at = (s: number) => t0 + s * 1000;
  // Still provisioning (any task, warm or not), from its creation.
  assert.equal(stuckWorkerReason({ lastStatus: "PROVISIONING", createdAt: t0, warm: true }, at(600), limits), undefined);
  assert.equal(stuckWorkerReason({ lastStatus: "PROVISIONING", createdAt: t0, warm: true }, at(601), limits), "provisioning");
  assert.equal(stuckWorkerReason({ lastStatus: "PENDING", createdAt: t0, warm: false }, at(661), limits, 60), "provisioning");
  assert.equal(stuckWorkerReason({ lastStatus: "PENDING", createdAt: t0, warm: false }, at(660), limits, 60), undefined);
  // Running, never tagged by its worker: a warm worker only (the cluster's other tasks have their own rules).
  assert.equal(stuckWorkerReason({ lastStatus: "RUNNING", startedAt: t0, warm: true }, at(601), limits), "untagged");
  assert.equal(stuckWorkerReason({ lastStatus: "RUNNING", startedAt: t0, warm: false }, at(6000), limits), undefined);
  // Tagged at its start, still loading.
  assert.equal(stuckWorkerReason({ lastStatus: "RUNNING", startedAt: t0, acquiredAt: at(30), warm: true }, at(631), limits), "loading");
  assert.equal(stuckWorkerReason({ lastStatus: "RUNNING", startedAt: t0, acquiredAt: at(30), warm: true }, at(629), limits), undefined);
  // Loaded: waiting warm or running stages for hours is not stuck (idleSeconds and the stage timeouts govern it).
  assert.equal(
    stuckWorkerReason({ lastStatus: "RUNNING", startedAt: t0, acquiredAt: at(30), loadedAt: at(90), warm: true }, at(86_400), limits),
    undefined,
  );
});
