/**
 * Which CUDA build of llama.cpp the worker runs, chosen on purpose and proved at start.
 * node-llama-cpp 3.21.1 ships two: the main one (@node-llama-cpp/linux-x64-cuda) links
 * libcudart.so.13 and libcublas.so.13, the fallback (@node-llama-cpp/linux-x64-cuda-ext,
 * `fallback/`) links libcudart.so.12 and libcublas.so.12 (`readelf -d` on each
 * libggml-cuda.so). The image is CUDA 12.8 (runs on NVIDIA driver R570 and later) because the
 * ECS GPU AMI is resolved at each launch and its driver is not ours to pin, while CUDA 13 needs
 * R580; so the image carries the CUDA 12 fallback and deletes the CUDA 13 library, and the
 * worker refuses to serve unless the library it mapped is that one.
 */
import { readFileSync } from "node:fs";
import type { Llama } from "node-llama-cpp";
import { ModelUnavailableError } from "../../core/errors.ts";
import { log } from "../../core/log.ts";

/** The CUDA build the image runs: its folder in node_modules and the CUDA runtime it links. */
export const chosenCudaBuild = {
  package: "@node-llama-cpp/linux-x64-cuda-ext",
  dir: "node_modules/@node-llama-cpp/linux-x64-cuda-ext/bins/linux-x64-cuda/fallback",
  cudart: "libcudart.so.12",
  /** The base image's CUDA major version that provides `cudart`. */
  cudaMajor: 12,
} as const;
/** The main build's CUDA library, which the image deletes. */
export const unusedCudaLibrary = "node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda/libggml-cuda.so";

export interface LoadedCudaBuild {
  /** The libggml-cuda.so mapped into this process, or undefined when none is. */
  library: string | undefined;
  /** The libcudart.so.N mapped, or undefined. */
  cudart: string | undefined;
}

/** What the dynamic loader mapped, from a /proc/<pid>/maps text. */
export function loadedCudaBuild(maps: string): LoadedCudaBuild {
  const paths = [...new Set(maps.split("\n").map((line) => line.trim().split(/\s+/)[5] ?? ""))];
  return {
    library: paths.find((p) => p.endsWith("/libggml-cuda.so")),
    cudart: paths.find((p) => /\/libcudart\.so\.\d+/.test(p))?.replace(/^.*\/(libcudart\.so\.\d+).*$/, "$1"),
  };
}

/** Why `loaded` is not the chosen build, or undefined when it is. */
export function cudaBuildProblem(gpu: Llama["gpu"], loaded: LoadedCudaBuild): string | undefined {
  if (gpu !== "cuda") return `llama.cpp loaded ${gpu === false ? "no GPU backend" : gpu}, not cuda`;
  if (!loaded.library?.includes(chosenCudaBuild.dir.replace(/^node_modules\//, "")))
    return `the CUDA library mapped is ${loaded.library ?? "none"}, not ${chosenCudaBuild.package}'s fallback`;
  if (loaded.cudart !== chosenCudaBuild.cudart)
    return `the CUDA runtime mapped is ${loaded.cudart ?? "none"}, not ${chosenCudaBuild.cudart}`;
  return undefined;
}

/** Logs the CUDA build this process runs and fails the worker unless it is the chosen one. */
export function assertCudaBuild(llama: Llama, maps: string = readFileSync("/proc/self/maps", "utf8")): LoadedCudaBuild {
  const loaded = loadedCudaBuild(maps);
  const problem = cudaBuildProblem(llama.gpu, loaded);
  log(problem ? "error" : "info", "cuda.build", {
    gpu: String(llama.gpu),
    library: loaded.library ?? "none",
    cudart: loaded.cudart ?? "none",
  });
  if (problem) throw new ModelUnavailableError(`worker: ${problem} (containers/llama-worker/cuda-build.ts)`);
  return loaded;
}
