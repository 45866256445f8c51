/**
 * No Docker engine here: the image is checked by reading its Dockerfile, while the entry it
 * names is the one the other tests run directly (test/integration/worker-sfn.test.ts).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { chosenCudaBuild, cudaBuildProblem, loadedCudaBuild, unusedCudaLibrary } from "../../containers/llama-worker/cuda-build.ts";
import { productionRegistryFile } from "../../infra/production.ts";
import { checkDockerfileUser } from "../../rehearsal/dockerfile.ts";
import { workerEntry } from "../../workflows/engine/worker-supervisor.ts";
import { root } from "../helpers.ts";

const dockerfile = readFileSync(path.join(root, "containers/llama-worker/Dockerfile"), "utf8");

/** Every project file the entry imports, followed transitively through relative imports. */
function importClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      visit(path.resolve(path.dirname(file), m[1]!));
    }
  };
  visit(entry);
  return [...seen].map((f) => path.relative(root, f));
}

test("the worker image is CUDA-based and runs the CUDA build of llama.cpp", () => {
  assert.match(dockerfile, /^FROM nvidia\/cuda:\S+/m);
  assert.match(dockerfile, /AFFIANT_GPU=cuda/);
  assert.match(dockerfile, /npm ci --omit=dev/);
  assert.match(dockerfile, /COPY package\.json package-lock\.json/);
});

test("the image's entry point is the worker entry the tests run", () => {
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  assert.ok(entry, "no exec-form ENTRYPOINT");
  const argv = JSON.parse(entry[1]!) as string[];
  assert.deepEqual(argv.slice(0, 3), ["node", "--import", "tsx"]);
  assert.equal(path.resolve(root, argv[3]!), workerEntry);
});

test("everything the worker imports is copied into the image", () => {
  const copied = [...dockerfile.matchAll(/^COPY\s+(\S+)\s+\S+\s*$/gm)].map((m) => m[1]!);
  for (const file of importClosure(workerEntry)) {
    assert.ok(existsSync(path.join(root, file)), file);
    assert.ok(
      copied.some((c) => file === c || file.startsWith(`${c}/`)),
      `${file} is imported by the worker but not copied into the image`,
    );
  }
  assert.ok(copied.includes("prompts"), "prompt templates are read at run time");
  const registry = /^COPY\s+(\S+)\s+\.\/models\/registry\.json\s*$/m.exec(dockerfile);
  assert.equal(registry?.[1], productionRegistryFile, "the image runs the registry sst.config.ts deploys");
});

test("the image's USER exists on its base image (the CUDA Ubuntu base has no `node` user)", () => {
  const check = checkDockerfileUser(dockerfile);
  assert.equal(check.problem, undefined);
  assert.notEqual(check.user, "root");
  // The check itself refuses the user the image had before.
  assert.match(
    checkDockerfileUser(dockerfile.replace(/^USER .*$/m, "USER node").replace(/^RUN useradd.*$/m, "")).problem ?? "",
    /USER node does not exist/,
  );
});

test("one CUDA build on purpose: the base image's CUDA major is the runtime the chosen llama.cpp build links, and the other build's library is deleted", () => {
  const base = /^FROM nvidia\/cuda:(\d+)\.\d+\.\d+-runtime-\S+$/m.exec(dockerfile);
  assert.ok(base, "the base is an nvidia/cuda runtime image with a full version");
  assert.equal(Number(base[1]), chosenCudaBuild.cudaMajor, "the base image's CUDA major");
  assert.ok(dockerfile.includes(`rm -f ${unusedCudaLibrary}`), "the CUDA 13 library is deleted, so llama.cpp cannot pick it");
  assert.ok(dockerfile.includes(`test -f ${chosenCudaBuild.dir}/libggml-cuda.so`), "the build fails without the chosen library");
  // What the installed libraries link (the same lockfile the image installs from).
  const needed = (file: string) => {
    const out = spawnSync("readelf", ["-d", path.join(root, file)], { encoding: "utf8" });
    if (out.error) return undefined;
    return [...out.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
  };
  const chosen = needed(`${chosenCudaBuild.dir}/libggml-cuda.so`);
  if (chosen === undefined) {
    assert.ok(!process.env.CI, "readelf is missing");
    return;
  }
  assert.ok(chosen.includes(chosenCudaBuild.cudart), `the chosen build links ${chosen.join(", ")}`);
  const other = needed(unusedCudaLibrary);
  if (other) assert.ok(!other.includes(chosenCudaBuild.cudart), `the deleted build links ${other.join(", ")}: then it was no other choice`);
});

test("the worker proves at start which CUDA build it mapped and refuses any other", () => {
  const maps = (lib: string, cudart: string) =>
    [
      `7f00-7f01 r-xp 00000000 08:01 1 /app/${lib}`,
      `7f02-7f03 r-xp 00000000 08:01 2 /usr/local/cuda-12.8/targets/x86_64-linux/lib/${cudart}.8.90`,
      "7f04-7f05 rw-p 00000000 00:00 0 ",
    ].join("\n");
  const good = loadedCudaBuild(maps(`${chosenCudaBuild.dir}/libggml-cuda.so`, "libcudart.so.12"));
  assert.equal(good.cudart, "libcudart.so.12");
  assert.equal(cudaBuildProblem("cuda", good), undefined);
  const main = loadedCudaBuild(maps(unusedCudaLibrary, "libcudart.so.13"));
  assert.match(cudaBuildProblem("cuda", main)!, /not @node-llama-cpp\/linux-x64-cuda-ext's fallback/);
  assert.match(cudaBuildProblem(false, good)!, /no GPU backend/);
  assert.match(cudaBuildProblem("cuda", { library: undefined, cudart: undefined })!, /mapped is none/);
});
