/**
 * The Acquire → generate hand-off of the local warm pool (workflows/engine/warm-pool.ts): a
 * warm worker is reserved once per task, so whatever a reservation attaches to the process
 * must go with it, or a worker that serves its sixteen tasks collects sixteen exit listeners.
 * The child is a real process (a node that waits on IPC), not a stand-in.
 */

import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { test } from "node:test";
import { claimReserved, dropWarm, idleCount, poolWarm, reserveWorker, takeWarm } from "../../workflows/engine/warm-pool.ts";

test("a warm worker reserved and claimed for many tasks keeps no listener per task; a dead one is not handed out", async () => {
  const child = fork("-e", ["setInterval(() => {}, 1000)"], { execArgv: [], stdio: ["ignore", "ignore", "ignore", "ipc"] });
  try {
    const before = child.listenerCount("exit");
    for (let i = 0; i < 20; i++) {
      reserveWorker(`exec-${i}`, "JudgeTone", { child, idleMs: i });
      const got = claimReserved(`exec-${i}`, "JudgeTone");
      assert.equal(got?.child, child);
      assert.equal(got?.idleMs, i);
    }
    assert.equal(child.listenerCount("exit"), before, "no exit listener left behind by 20 reservations");
    assert.equal(claimReserved("exec-0", "JudgeTone"), undefined, "a claim is taken once");
    reserveWorker("exec-dead", "JudgeTone", { child, idleMs: 0 });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    assert.equal(
      claimReserved("exec-dead", "JudgeTone"),
      undefined,
      "a worker that died while reserved is not handed to the generate state",
    );
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

test("an idle warm worker near its own idle exit is neither counted free nor handed a task; one with time left is", async () => {
  const spawnIdle = () => fork("-e", ["setInterval(() => {}, 1000)"], { execArgv: [], stdio: ["ignore", "ignore", "ignore", "ipc"] });
  const fresh = spawnIdle();
  const expiring = spawnIdle();
  const limits = { maxTasks: 16, maxRssGrowthMb: 512 };
  try {
    const stay = { model: "pool-test-model", tasks: 1, rssGrowthMb: 0 };
    // idleSeconds 1: the reuse margin is half of it, so a worker pooled 0.6 s ago is near its exit.
    assert.ok(poolWarm(expiring, stay, { ...limits, idleSeconds: 1 }));
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(idleCount(stay.model), 0, "a worker 0.4 s from its idle exit is not free");
    assert.equal(takeWarm(stay.model), undefined, "nor handed a task");
    assert.ok(poolWarm(fresh, stay, { ...limits, idleSeconds: 30 }));
    assert.equal(idleCount(stay.model), 1);
    assert.equal(takeWarm(stay.model)?.child, fresh, "a worker with its idle time ahead is taken");
  } finally {
    for (const c of [fresh, expiring]) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    dropWarm();
  }
});
