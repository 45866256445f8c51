/**
 * Starts the worker entry as a child process and holds it to the same contract Step
 * Functions holds an ECS task to: no heartbeat within HeartbeatSeconds → killed,
 * `States.HeartbeatTimeout`; running past TimeoutSeconds → killed, `States.Timeout`;
 * dying without an answer → a `WorkerCrashedError`. The kill is SIGKILL: a hung
 * llama.cpp call does not run signal handlers.
 *
 * A GPU stage runs on the worker its Acquire state got (warm-pool.ts), else on an idle warm
 * worker of its model, else on a fresh fork; the fallback's local model on a fresh fork.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { type ChildProcess, fork, spawn } from "node:child_process";
import type { EngineMessage, WorkerMessage } from "../../containers/llama-worker/channel.ts";
import type { Progress } from "../../containers/llama-worker/model-session.ts";
import { childEnv, config } from "../../core/config.ts";
import { StatesError, StatesErrors, WorkerCrashedError } from "../../core/errors.ts";
import type { StageMetrics } from "../../core/stages/report.ts";
import { loadedWorker } from "./acquire.ts";
import type { TaskTokenBroker } from "./task-tokens.ts";
import { countWorker, dropWarm, liveWorkers, poolWarm, takeWarm, type WarmLimits, warmEnv } from "./warm-pool.ts";
import { workerLaunch, workerSource } from "./worker-launch.ts";

/** The worker's source entry (the image runs it through tsx; locally the compiled copy runs). */
export const workerEntry = workerSource;

export interface SpawnWorkerOptions {
  stage: string;
  /** Environment for the worker: AFFIANT_STAGE, AFFIANT_STATE, … (added to this process's). */
  env: Record<string, string>;
  timeoutSeconds: number;
  heartbeatSeconds: number;
  onProgress?: (progress: Progress) => void;
  /** Called once with the child, e.g. to track it for cleanup. */
  onSpawn?: (child: ChildProcess) => void;
  signal?: AbortSignal;
  /**
   * Answer through the Step Functions API instead of IPC: the worker gets a task token and
   * the endpoint, and talks to it with the SDK as it does in ECS (`affiant serve`).
   */
  taskToken?: { broker: TaskTokenBroker; sfnEndpoint: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
  /**
   * Run on a warm model worker of `model` (IPC only): one already holding the model if one
   * is idle, else a new one that keeps the model loaded afterwards under these limits.
   */
  warm?: WarmLimits & { model: string };
  /** The worker the stage's Acquire state got (model loaded, waiting): it takes the task. */
  reserved?: { child: ChildProcess; idleMs: number };
  /** The worker answered and stays warm, pooled: it no longer belongs to this task's execution. */
  onPooled?: (child: ChildProcess) => void;
}

/**
 * The execution a worker belongs to when it is started deep inside a handler rather than
 * by a GPU state (the fallback Lambda's local model): the engine sets it around the
 * handler, so such workers stop with their execution instead of running on after it failed.
 */
export interface WorkerScope {
  signal: AbortSignal;
  onSpawn: (child: ChildProcess) => void;
  /** The engine's worker limits and pool size: a local model's worker comes from the warm pool, loaded. */
  warm?: { limits: WarmLimits; poolSize: number };
}

const scopes = new AsyncLocalStorage<WorkerScope>();

export function withWorkerScope<T>(scope: WorkerScope, fn: () => Promise<T>): Promise<T> {
  return scopes.run(scope, fn);
}

/** Kills every worker still running, warm ones included (the execution ended or the CLI was interrupted). */
export function killAllWorkers(): void {
  for (const child of liveWorkers) child.kill("SIGKILL");
  liveWorkers.clear();
  dropWarm();
}

export async function spawnWorker(options: SpawnWorkerOptions): Promise<StageMetrics> {
  const scope = scopes.getStore();
  const signal = options.signal ?? scope?.signal;
  const onSpawn = options.onSpawn ?? scope?.onSpawn;
  const launch = await workerLaunch();
  // The execution already ended: start nothing that would outlive it.
  if (signal?.aborted)
    throw new StatesError(
      "States.Aborted",
      JSON.stringify({ stage: options.stage, reason: "the execution was stopped before the worker started" }),
    );
  // A local model started inside a handler (the fallback's): a warm worker of it, loaded
  // under the pool policy before the state's heartbeat clock starts, as an Acquire state does.
  const model = options.env.AFFIANT_MODEL;
  if (!options.taskToken && !options.warm && !options.reserved && scope?.warm && model) {
    const { limits, poolSize } = scope.warm;
    const got = await loadedWorker({
      limits,
      poolSize,
      model,
      stage: options.stage,
      faults: undefined,
      signal,
      timeoutSeconds: options.timeoutSeconds,
      adopt: (child) => onSpawn?.(child),
    });
    options = { ...options, warm: { ...limits, model }, reserved: got };
  }
  const adopted = options.reserved && !options.onSpawn ? options.reserved.child : undefined;
  return new Promise((resolve, reject) => {
    // The state's limits, for the worker's own lifeline (the definition passes the same in ECS).
    const limits = {
      AFFIANT_STATE_ENTERED_AT: new Date().toISOString(),
      AFFIANT_TIMEOUT_SECONDS: String(options.timeoutSeconds),
      AFFIANT_HEARTBEAT_SECONDS: String(options.heartbeatSeconds),
    };
    const warm = options.taskToken ? undefined : options.warm;
    const baseEnv = childEnv({ ...limits, ...(warm ? warmEnv(warm) : {}), ...options.env, AFFIANT_ENQUEUED_AT: String(Date.now()) });
    let token: string | undefined;
    let child: ChildProcess;
    if (options.taskToken) {
      const { broker, sfnEndpoint, credentials } = options.taskToken;
      token = broker.issue({
        heartbeat: () => onMessage({ type: "heartbeat", progress: undefined as never }),
        succeed: (output) => onMessage({ type: "success", metrics: output as StageMetrics }),
        fail: (error, cause) => onMessage({ type: "failure", error, cause }),
      });
      child = spawn(process.execPath, [...launch.execArgv, launch.entry], {
        env: {
          ...baseEnv,
          AFFIANT_TASK_TOKEN: token,
          AFFIANT_SFN_ENDPOINT: sfnEndpoint,
          AWS_REGION: config().AWS_REGION ?? "us-east-1",
          ...(credentials ? { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey } : {}),
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
    } else {
      const held = options.reserved ?? (warm ? takeWarm(warm.model) : undefined);
      if (held) held.child.send({ type: "assign", env: { ...baseEnv, AFFIANT_WARM_IDLE_MS: String(held.idleMs) } } satisfies EngineMessage);
      child =
        held?.child ??
        fork(launch.entry, [], {
          execArgv: launch.execArgv,
          env: baseEnv,
          stdio: ["ignore", "ignore", "pipe", "ipc"],
          serialization: "json",
        });
    }
    // A warm worker counts against its model's pool (workers.poolSize) until it exits.
    if (warm) countWorker(warm.model, child);
    if (!liveWorkers.has(child)) {
      liveWorkers.add(child);
      child.once("exit", () => liveWorkers.delete(child));
    }
    if (child !== adopted) onSpawn?.(child);
    let settled = false;
    let stderrTail = "";
    const onStderr = (d: Buffer) => {
      // Kept only to count bytes and spot native aborts; never copied into errors or logs.
      stderrTail = (stderrTail + d.toString("utf8")).slice(-2000);
    };
    child.stderr?.on("data", onStderr);

    const finish = (err: Error | null, metrics?: StageMetrics) => {
      if (settled) return;
      settled = true;
      if (token) options.taskToken!.broker.close(token);
      clearTimeout(heartbeatTimer);
      clearTimeout(overallTimer);
      signal?.removeEventListener("abort", onAbort);
      // A warm worker lives on to later tasks: this task's listeners must not hear them.
      child.off("message", onRaw);
      child.off("error", onError);
      child.off("exit", onExit);
      child.stderr?.off("data", onStderr);
      if (err) {
        // Any failure (a fault, a stall, a runaway) ends the worker, warm or not.
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        reject(err);
      } else {
        // A worker that answered exits by itself unless it stayed warm; make sure it does.
        if (!pooled) setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"), 10_000).unref();
        resolve(metrics!);
      }
    };
    const cause = (reason: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ stage: options.stage, reason, pid: child.pid, ...extra });

    const heartbeatMs = options.heartbeatSeconds * 1000;
    let heartbeatTimer = setTimeout(onHeartbeatMissed, heartbeatMs);
    const overallTimer = setTimeout(() => {
      finish(
        new StatesError(StatesErrors.Timeout, cause(`the worker ran past TimeoutSeconds (${options.timeoutSeconds} s) and was killed`)),
      );
    }, options.timeoutSeconds * 1000);
    function onHeartbeatMissed() {
      finish(
        new StatesError(
          StatesErrors.HeartbeatTimeout,
          cause(`no heartbeat for HeartbeatSeconds (${options.heartbeatSeconds} s); the worker was killed`),
        ),
      );
    }
    const onAbort = () => finish(new StatesError("States.Aborted", cause("the execution was stopped")));
    signal?.addEventListener("abort", onAbort);
    // Stopped in between (from onSpawn, say): the listener came too late to hear it.
    if (signal?.aborted) onAbort();

    let pooled = false;
    let lastBeat = Date.now();
    let maxGapMs = 0;
    function onMessage(message: WorkerMessage) {
      if (message.type === "heartbeat") {
        maxGapMs = Math.max(maxGapMs, Date.now() - lastBeat);
        lastBeat = Date.now();
        clearTimeout(heartbeatTimer);
        heartbeatTimer = setTimeout(onHeartbeatMissed, heartbeatMs);
        if (message.progress) options.onProgress?.(message.progress);
      } else if (message.type === "success") {
        const { stayWarm, ...metrics } = message.metrics;
        if (stayWarm && warm && !settled) {
          pooled = poolWarm(child, stayWarm, warm);
          if (pooled) options.onPooled?.(child);
        }
        finish(null, { ...metrics, maxHeartbeatGapMs: Math.max(maxGapMs, Date.now() - lastBeat) });
      } else if (message.type === "failure") {
        finish(new StatesError(message.error, message.cause));
      }
    }
    function onRaw(raw: unknown) {
      onMessage(raw as WorkerMessage);
    }
    function onError(err: Error) {
      finish(new StatesError(WorkerCrashedError.errorName, cause(`the worker could not start: ${err.message}`)));
    }
    function onExit(code: number | null, exitSignal: NodeJS.Signals | null) {
      // Give a final IPC message already in flight a moment to arrive before calling it a crash.
      setTimeout(() => {
        finish(
          new StatesError(
            WorkerCrashedError.errorName,
            cause("the worker exited without a result", { exitCode: code, signal: exitSignal, stderrBytes: stderrTail.length }),
          ),
        );
      }, 50);
    }
    child.on("message", onRaw);
    child.on("error", onError);
    child.on("exit", onExit);
  });
}
