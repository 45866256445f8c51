/**
 * The worker entry compiled to one JavaScript file for the local engine to fork.
 *
 * A worker started through the TypeScript loader spends about twice the CPU of a compiled
 * one before it can plan (measured here: 3.4 s vs 1.5 s), because the loader runs in the
 * worker and again in the child process node-llama-cpp forks to test its binding. On a
 * small box that start-up is most of a GPU state's overhead, so the engine compiles the
 * entry once per process with esbuild (packages stay external, so node-llama-cpp keeps its
 * own file layout) and forks plain `node`. If compiling fails, workers run through tsx.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { log } from "../../core/log.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, "..", "..");
export const workerSource = path.join(here, "main.ts");

/** How to start a worker: node's arguments before the entry, and the entry. */
export interface WorkerLaunch {
  execArgv: string[];
  entry: string;
  compiled: boolean;
}

export const sourceLaunch: WorkerLaunch = { execArgv: ["--import", "tsx"], entry: workerSource, compiled: false };

let launch: WorkerLaunch | undefined;
let pending: Promise<WorkerLaunch> | undefined;

/** The launch decided so far in this process (undefined until `workerLaunch()` resolved). */
export function currentWorkerLaunch(): WorkerLaunch | undefined {
  return launch;
}

/** Compiles the worker once per process; later calls get the same answer. */
export function workerLaunch(): Promise<WorkerLaunch> {
  pending ??= compileWorker().then(
    (l) => (launch = l),
    (err: Error) => {
      log("warn", "worker.compile_failed", { error: err.name });
      return (launch = sourceLaunch);
    },
  );
  return pending;
}

async function compileWorker(): Promise<WorkerLaunch> {
  if (process.env.AFFIANT_WORKER_COMPILE === "0") return sourceLaunch;
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [workerSource],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    write: false,
    logLevel: "silent",
    plugins: [
      {
        // Modules find files next to themselves (the registry, prompt templates) from
        // import.meta.url; in one bundle each must keep its own location, not the bundle's.
        name: "keep-module-url",
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => {
            const source = readFileSync(args.path, "utf8");
            return { contents: source.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0]!.contents;
  // Bare imports (node-llama-cpp…) resolve from the file's folder upward: the bundle must sit
  // inside the project, and node_modules/.cache is where build tools keep such output.
  const dir = path.join(projectRoot, "node_modules", ".cache", "affiant");
  const file = path.join(dir, `llama-worker-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
  mkdirSync(dir, { recursive: true });
  // Written whole then renamed: another engine may be starting the same file right now.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file);
  return { execArgv: [], entry: file, compiled: true };
}
