/**
 * Warm spares. Locally a worker's start-up (Node, the TypeScript loader, node-llama-cpp and
 * the llama.cpp binding, which node-llama-cpp tests in a child process of its own) costs
 * seconds per stage. Spares take it off the critical path: processes forked ahead of time
 * that have done all of that and wait, with no model loaded, to be given a stage. Each still
 * runs one stage and exits, so model memory always goes back to the OS.
 */
import { fork, type ChildProcess } from "node:child_process";
import type { EngineMessage, WorkerMessage } from "../../containers/llama-worker/channel.ts";
import { currentWorkerLaunch, workerLaunch } from "./worker-launch.ts";
import { childEnv } from "../../core/config.ts";

/** Every worker process this engine started and that has not exited, spares included. */
export const liveWorkers = new Set<ChildProcess>();

/** Warm spares: forked, modules and llama.cpp binding loaded, waiting for a stage. */
const spares = { ready: [] as ChildProcess[], warming: new Map<ChildProcess, Promise<boolean>>(), holds: new Map<symbol, number>() };

const sparesWanted = () => Math.max(0, ...spares.holds.values());

function forkStandby(): void {
  const launch = currentWorkerLaunch()!;
  const child = fork(launch.entry, [], {
    execArgv: launch.execArgv,
    env: childEnv({ AFFIANT_WORKER_STANDBY: "1" }),
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "json",
  });
  liveWorkers.add(child);
  let settle: (ready: boolean) => void = () => undefined;
  spares.warming.set(child, new Promise<boolean>((resolve) => (settle = resolve)));
  child.stderr?.resume();
  // An idle spare must not keep the engine's process alive.
  child.unref();
  child.channel?.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  const onReady = (message: WorkerMessage) => {
    if (message.type !== "ready") return;
    child.off("message", onReady);
    settle(true);
    if (spares.warming.delete(child)) spares.ready.push(child);
    replenishSpares();
  };
  child.on("message", onReady);
  child.on("error", () => undefined);
  child.once("exit", () => {
    settle(false);
    liveWorkers.delete(child);
    // Not replaced here: a spare that cannot start would be forked again forever. The next
    // stage that takes a spare forks the replacement.
    spares.warming.delete(child);
    const i = spares.ready.indexOf(child);
    if (i >= 0) spares.ready.splice(i, 1);
  });
}

function replenishSpares(): void {
  if (!currentWorkerLaunch()) {
    void workerLaunch().then(replenishSpares);
    return;
  }
  // One at a time: spares warming together share the cores with each other and with the
  // stages running, and each becomes ready later than if it had warmed alone.
  if (spares.warming.size === 0 && spares.ready.length < sparesWanted()) forkStandby();
}

/** Pids of the spares now ready and still warming (for `affiant` diagnostics and tests). */
export function workerSpares(): { ready: number[]; warming: number[] } {
  return { ready: spares.ready.map((c) => c.pid!), warming: [...spares.warming.keys()].map((c) => c.pid!) };
}

/**
 * Keeps `count` warm spares while the returned release function has not been called
 * (the largest count asked by anyone holding). Spares left when nobody wants them are killed.
 */
export function holdWorkerSpares(count: number): () => void {
  const key = Symbol("spares");
  spares.holds.set(key, Math.max(0, Math.floor(count)));
  replenishSpares();
  return () => {
    if (!spares.holds.delete(key)) return;
    const wanted = sparesWanted();
    while (spares.ready.length > wanted) spares.ready.pop()!.kill("SIGKILL");
    for (const child of [...spares.warming.keys()].slice(Math.max(0, wanted - spares.ready.length))) {
      spares.warming.delete(child);
      child.kill("SIGKILL");
    }
  };
}

/**
 * A spare, given this stage's whole environment: a ready one, else the one furthest along
 * in warming (it is always ahead of a fork started now, which would compete with it for
 * the same cores); undefined when there is none.
 */
export function takeSpare(env: NodeJS.ProcessEnv): ChildProcess | undefined {
  let child: ChildProcess | undefined;
  let ready: Promise<boolean> = Promise.resolve(true);
  while ((child = spares.ready.shift())) {
    if (child.exitCode === null && child.signalCode === null && child.connected) break;
  }
  if (!child) {
    const oldest = spares.warming.entries().next().value;
    if (oldest) {
      [child, ready] = oldest;
      spares.warming.delete(child);
    }
  }
  replenishSpares();
  if (!child) return undefined;
  child.ref();
  child.channel?.ref();
  (child.stderr as { ref?: () => void } | null)?.ref?.();
  const spare = child;
  // A spare that dies before it is ready exits like any worker: Affiant.WorkerCrashed.
  void ready.then((ok) => ok && spare.connected && spare.send({ type: "assign", env } satisfies EngineMessage));
  return child;
}

/** Forgets every spare (their processes are killed by whoever kills {@link liveWorkers}). */
export function dropSpares(): void {
  spares.ready.length = 0;
  spares.warming.clear();
}
