/**
 * The Acquire → generate hand-off of the local warm pool (workflows/engine/warm-pool.ts): a
 * warm worker is reserved once per task, so whatever a reservation attaches to the process
 * must go with it, or a worker that serves its sixteen tasks collects sixteen exit listeners.
 * The child is a real process (a node that waits on IPC), not a stand-in.
 */

import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { test } from "node:test";
import { claimReserved, reserveWorker } from "../../workflows/engine/warm-pool.ts";

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
