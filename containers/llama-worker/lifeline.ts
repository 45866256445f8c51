/**
 * What ends a worker that cannot end itself. Two parts:
 *
 * - {@link killSelf}: the exit after a failure ({@link exitWithin} after an answer). `process.exit` waits for every libuv threadpool thread, and
 *   llama.cpp runs on those threads: with one of them stuck, `process.exit(1)` never returns
 *   (test/integration/lifeline.test.ts shows it). SIGKILL to our own pid cannot be waited on.
 * - {@link Lifeline}: one process-wide watchdog on its own thread, fed by every kind of
 *   progress (binding, plan, load, prompt evaluation, generation) as the heartbeat that
 *   progress sends goes out, so it counts from where Step Functions counts. The main thread may be
 *   stuck inside a native call where no timer of its own can run; this thread still runs.
 *   No progress for HeartbeatSeconds + grace, or the state's absolute deadline (entered at +
 *   TimeoutSeconds) passed: a best-effort SendTaskFailure (capped), then SIGKILL.
 */

import { spawn } from "node:child_process";
import { writeSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { reportCapMs } from "../../core/capped.ts";
import { config, type Env } from "../../core/config.ts";
import { DeadlineReachedError, WorkerStalledError } from "../../core/errors.ts";

/** Seconds after HeartbeatSeconds before the lifeline kills a worker that made no progress. */
export const lifelineGraceSeconds = 2;

/** SIGKILL to this process: nothing (a stuck pool thread, an exit handler) can delay it. */
export function killSelf(): never {
  process.kill(process.pid, "SIGKILL");
  // The signal is delivered before this returns on Linux; never run on regardless.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

/**
 * `process.exit(code)` for a worker that has answered, with a backstop: if the exit hangs
 * (a stuck pool thread; Node stops worker threads first, so the lifeline is gone by then),
 * a shell started now kills this process after `ms`. The shell checks that this process is
 * still its parent first, so a pid reused after a clean exit is never touched.
 */
export function exitWithin(code: number, ms = 2_000): never {
  try {
    const script = `sleep ${ms / 1000}; read -r _ _ _ ppid _ < /proc/$$/stat && [ "$ppid" = "${process.pid}" ] && echo '{"level":"warn","event":"worker.exit_stuck"}' >&2 && kill -9 ${process.pid}`;
    spawn("/bin/sh", ["-c", script], { stdio: ["ignore", "ignore", "inherit"] }).unref();
  } catch {
    // No shell: the plain exit, which a hung native thread may still block.
  }
  process.exit(code);
}

export interface LifelineOptions {
  stage: string;
  /** No progress for this long (plus {@link lifelineGraceSeconds}) and the process is killed. */
  heartbeatSeconds: number;
  /** Epoch ms at which the state times out in Step Functions: the process is killed then. */
  deadlineAt?: number;
  /** ECS path: where the last SendTaskFailure goes. Absent locally (the engine kills there). */
  task?: { token: string; endpoint?: string };
  graceSeconds?: number;
}

/** The state's absolute deadline from the environment the definition (or the engine) gave the worker. */
export function deadlineFromEnv(env?: Env): number | undefined {
  const c = config(env);
  const entered = Date.parse(c.AFFIANT_STATE_ENTERED_AT ?? "");
  const timeout = c.AFFIANT_TIMEOUT_SECONDS;
  return Number.isFinite(entered) && timeout !== undefined ? entered + timeout * 1000 : undefined;
}

// The thread's code: plain CommonJS, no TypeScript loader (it must start fast and never
// depend on the main thread, which may be stuck). Log lines are ids and numbers only.
const threadSource = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const last = new BigInt64Array(workerData.buffer);
const { stage, stallMs, deadlineAt, task, sfnModule, reportCapMs } = workerData;
let firing = false;
const timer = setInterval(() => {
  if (firing) return;
  const now = Date.now();
  const idle = now - Number(Atomics.load(last, 0));
  let error, cause;
  if (deadlineAt && now >= deadlineAt) {
    error = ${JSON.stringify(DeadlineReachedError.errorName)};
    cause = stage + ": the state's deadline passed (" + Math.round((now - deadlineAt) / 1000) + " s ago); the worker killed itself";
  } else if (idle >= stallMs) {
    error = ${JSON.stringify(WorkerStalledError.errorName)};
    cause = stage + ": no progress of any kind for " + (idle / 1000).toFixed(1) + " s; the worker killed itself";
  } else return;
  firing = true;
  clearInterval(timer);
  try { writeSync(2, JSON.stringify({ time: new Date().toISOString(), level: "error", event: "worker.lifeline", stage, error, idleMs: idle, pid: process.pid }) + "\\n"); } catch {}
  const kill = () => process.kill(process.pid, "SIGKILL");
  if (!task) return kill();
  setTimeout(kill, reportCapMs).unref();
  try {
    const sfn = require(sfnModule);
    const client = new sfn.SFNClient({ ...(task.endpoint ? { endpoint: task.endpoint } : {}), requestHandler: { connectionTimeout: 2000, requestTimeout: reportCapMs }, maxAttempts: 1 });
    client.send(new sfn.SendTaskFailureCommand({ taskToken: task.token, error, cause: JSON.stringify({ errorType: error, errorMessage: cause, state: stage }) })).then(kill, kill);
  } catch { kill(); }
}, 100);
`;

export class Lifeline {
  private readonly last = new BigInt64Array(new SharedArrayBuffer(8));
  private readonly thread: Worker;

  constructor(options: LifelineOptions) {
    this.progress();
    const stallMs = (options.heartbeatSeconds + (options.graceSeconds ?? lifelineGraceSeconds)) * 1000;
    const sfnModule = createRequire(import.meta.url).resolve("@aws-sdk/client-sfn");
    this.thread = new Worker(threadSource, {
      eval: true,
      execArgv: [],
      workerData: {
        buffer: this.last.buffer,
        stage: options.stage,
        stallMs,
        deadlineAt: options.deadlineAt,
        task: options.task,
        sfnModule,
        reportCapMs,
      },
      stdout: false,
      stderr: false,
    });
    this.thread.on("error", (err) => {
      try {
        writeSync(2, `${JSON.stringify({ level: "error", event: "worker.lifeline_failed", error: err.name })}\n`);
      } catch {
        // stderr gone: nothing to tell.
      }
    });
    // The watchdog never keeps a worker alive on its own.
    this.thread.unref();
  }

  /** Something advanced: the stall clock restarts. */
  progress(): void {
    Atomics.store(this.last, 0, BigInt(Date.now()));
  }

  /** The task ended and the process waits warm for another: no state's clock runs now. */
  stop(): void {
    void this.thread.terminate();
  }
}
