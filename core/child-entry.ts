/**
 * Child-process entries (the GPU worker, the local embedder) as one JavaScript file each for
 * the local engine to fork; the caller names the entry's TypeScript source.
 *
 * A worker started through the TypeScript loader spends about twice the CPU of a compiled
 * one before it can plan (measured here: 3.4 s vs 1.5 s), because the loader runs in the
 * worker and again in the child process node-llama-cpp forks to test its binding. Run from
 * the build (bin/build.mjs, which bundles the CLI and these entries together and defines
 * __AFFIANT_BUILD_DIR__), a child starts from the same build folder as its parent. Run from
 * the sources (tests, development), the engine compiles the entry once per process with
 * esbuild (packages stay external, so node-llama-cpp keeps its own file layout) and forks
 * plain `node`. If compiling fails (a read-only file system, say), workers run through tsx.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { config } from "./config.ts";
import { log } from "./log.ts";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The build folder this module was bundled into, from the project root (undefined when run from source). */
declare const __AFFIANT_BUILD_DIR__: string | undefined;
const buildDir = typeof __AFFIANT_BUILD_DIR__ === "undefined" ? undefined : __AFFIANT_BUILD_DIR__;

/** How to start a child: node's arguments before the entry, and the entry. */
export interface WorkerLaunch {
  execArgv: string[];
  entry: string;
  compiled: boolean;
}

/** Running a TypeScript entry as it is, through tsx (the fallback, and the worker image's way). */
export const sourceLaunchOf = (source: string): WorkerLaunch => ({ execArgv: ["--import", "tsx"], entry: source, compiled: false });

const launches = new Map<string, { pending: Promise<WorkerLaunch>; done?: WorkerLaunch }>();

/** The launch decided so far for a source in this process (undefined until it resolved). */
export function currentLaunch(source: string): WorkerLaunch | undefined {
  return launches.get(source)?.done;
}

/**
 * A TypeScript child entry, from the build this process runs from or compiled once per
 * process; later calls get the same answer.
 */
export function compiledLaunch(source: string): Promise<WorkerLaunch> {
  let entry = launches.get(source);
  if (!entry) {
    const slot: { pending: Promise<WorkerLaunch>; done?: WorkerLaunch } = { pending: undefined as never };
    slot.pending = compile(source).then(
      (l) => (slot.done = l),
      (err: Error) => {
        log("warn", "worker.compile_failed", { entry: path.relative(projectRoot, source), error: err.name });
        return (slot.done = sourceLaunchOf(source));
      },
    );
    launches.set(source, (entry = slot));
  }
  return entry.pending;
}

/** An entry's file name in a build folder: its path from the root, as bin/build.mjs names it. */
const entryName = (source: string) =>
  path
    .relative(projectRoot, source)
    .replace(/\.ts$/, "")
    .replace(/[^\w]+/g, "-");

async function compile(source: string): Promise<WorkerLaunch> {
  if (config().AFFIANT_WORKER_COMPILE === "0") return sourceLaunchOf(source);
  const built = buildDir === undefined ? undefined : path.join(projectRoot, buildDir, `${entryName(source)}.mjs`);
  if (built && existsSync(built)) return { execArgv: [], entry: built, compiled: true };
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [source],
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
            const code = readFileSync(args.path, "utf8");
            return { contents: code.replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0]!.contents;
  // Bare imports (node-llama-cpp…) resolve from the file's folder upward: the bundle must sit
  // inside the project, and node_modules/.cache is where build tools keep such output.
  const dir = path.join(projectRoot, "node_modules", ".cache", "affiant");
  const file = path.join(dir, `${entryName(source)}-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
  mkdirSync(dir, { recursive: true });
  // Written whole then renamed: another engine may be starting the same file right now.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file);
  return { execArgv: [], entry: file, compiled: true };
}
