/**
 * Injected misbehaviour for game days and tests (AFFIANT_FAULTS, `--fault`): each drill is a
 * real failure of the kind production meets, started a few tokens into generation.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, open as openFile } from "node:fs";
import os from "node:os";
import path from "node:path";
import { log } from "../../core/log.ts";
import type { FaultKind } from "../../core/pipeline-state.ts";

/** Where injected faults kick in: early enough to be mid-generation on any stage. */
export const faultAfterTokens = 8;

let faultLogged = false;

export async function misbehave(fault: FaultKind, stage: string): Promise<void> {
  if (!faultLogged) {
    // When the fault began, for game days and the stall benchmark; ids only.
    faultLogged = true;
    log("warn", "fault.injected", { stage, fault, pid: process.pid, at: Date.now() });
  }
  switch (fault) {
    case "stall":
      // The Ollama hang: alive, no error, no tokens. Only a watchdog or heartbeat ends it.
      // (The interval keeps the process alive, as a thread stuck in llama.cpp would.)
      setInterval(() => undefined, 60_000);
      await new Promise<never>(() => undefined);
      return;
    case "hang-native":
      hangNative();
      return;
    case "crash":
      process.kill(process.pid, "SIGKILL");
      await new Promise<never>(() => undefined);
      return;
    case "slow":
      // Throttled, not stopped: tokens (and heartbeats) keep coming, five times slower or more.
      await new Promise((r) => setTimeout(r, 50));
      return;
    default:
      return;
  }
}

/**
 * Stuck inside native code, as a llama.cpp call that never returns: a libuv pool thread
 * blocked in open() of a FIFO nobody writes (what makes `process.exit` hang), then the main
 * thread blocked in a futex wait. No JavaScript of this thread runs again: no timer, no
 * heartbeat, no exit handler. Only the lifeline thread, or a SIGKILL from outside, ends it.
 */
function hangNative(): never {
  try {
    const fifo = path.join(mkdtempSync(path.join(os.tmpdir(), "affiant-hang-")), "fifo");
    execFileSync("mkfifo", [fifo]);
    openFile(fifo, "r", () => undefined);
  } catch {
    // No mkfifo here: the main thread's block below is the drill on its own.
  }
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
