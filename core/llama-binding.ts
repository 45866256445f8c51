/**
 * Opening llama.cpp's CPU binding without re-testing it in every process. node-llama-cpp's
 * `getLlama` forks a child on Linux to load the prebuilt binary before it trusts it (about a
 * second of CPU each time); a suite that starts hundreds of workers and embedders pays that
 * hundreds of times for the same file on the same host. `testedBinding()` runs the test once,
 * through `getLlama` itself, and records which file it loaded; a process given that record
 * (AFFIANT_LLAMA_BINDING, which `scripts/run-tests.js` sets for a run) loads the same file with
 * node-llama-cpp's own constructor. Unset, a stale record (the file changed) or a GPU build:
 * `getLlama` as always. The record holds paths, a size and a time: no client data.
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { getLlama, Llama, type LlamaLogLevel } from "node-llama-cpp";
import { config } from "./config.ts";

/** The binary a process has tested and loaded: enough to tell later that it is the same file. */
export interface TestedBinding {
  bindingPath: string;
  size: number;
  mtimeMs: number;
}

/** node-llama-cpp's own loader behind `getLlama` (3.x): typed here because its .d.ts omits it. */
type CreateLlama = (options: Record<string, unknown>) => Promise<Llama>;

const require = createRequire(import.meta.url);

/**
 * The CPU binding for this process: the one AFFIANT_LLAMA_BINDING names when it is still the
 * same file, loaded without a second test; otherwise `getLlama({ gpu: false, build: "never" })`.
 */
export async function openCpuLlama(logLevel: LlamaLogLevel): Promise<Llama> {
  const reused = await reuseTested(logLevel);
  return reused ?? getLlama({ gpu: false, build: "never", logLevel });
}

async function reuseTested(logLevel: LlamaLogLevel): Promise<Llama | undefined> {
  const recorded = config().AFFIANT_LLAMA_BINDING;
  const create = (Llama as unknown as { _create?: CreateLlama })._create;
  if (!recorded || typeof create !== "function") return undefined;
  const tested = JSON.parse(recorded) as TestedBinding;
  if (!sameFile(tested)) return undefined;
  const buildMetadata = JSON.parse(readFileSync(path.join(path.dirname(tested.bindingPath), "_nlcBuildMetadata.json"), "utf8")) as {
    buildOptions: { gpu: unknown };
  };
  if (buildMetadata.buildOptions.gpu !== false) return undefined;
  // The arguments getLlama passes for a prebuilt binary with its defaults (getLlama.js,
  // loadExistingLlamaBinary): RAM padding a quarter of the memory, at most 1 GiB, on Linux.
  return create.call(Llama, {
    bindings: require(tested.bindingPath),
    bindingPath: tested.bindingPath,
    buildType: "prebuilt",
    buildMetadata,
    logLevel,
    logger: Llama.defaultConsoleLogger,
    vramPadding: 0,
    ramPadding: (total: number) => Math.floor(Math.min(total * 0.25, 1024 ** 3)),
    skipLlamaInit: false,
    debug: false,
    numa: false,
    tempDir: false,
  });
}

function sameFile(tested: TestedBinding): boolean {
  try {
    const now = statSync(tested.bindingPath);
    return now.size === tested.size && now.mtimeMs === tested.mtimeMs;
  } catch {
    return false;
  }
}

/**
 * Runs node-llama-cpp's test of its CPU binary through `getLlama` in this process and says
 * which file passed it (the `llama-addon.node` this process then mapped), or undefined where
 * that cannot be told (not Linux, no such mapping). For a whole run to reuse (AFFIANT_LLAMA_BINDING).
 */
export async function testedBinding(logLevel: LlamaLogLevel): Promise<TestedBinding | undefined> {
  if (os.platform() !== "linux") return undefined;
  const llama = await getLlama({ gpu: false, build: "never", logLevel });
  try {
    const mapped = readFileSync("/proc/self/maps", "utf8")
      .split("\n")
      .map((line) => line.slice(line.indexOf("/")))
      .filter((file) => file.startsWith("/") && path.basename(file) === "llama-addon.node");
    const files = [...new Set(mapped)];
    if (files.length !== 1 || llama.gpu !== false) return undefined;
    const bindingPath = files[0]!;
    const { size, mtimeMs } = statSync(bindingPath);
    return { bindingPath, size, mtimeMs };
  } finally {
    await llama.dispose();
  }
}
