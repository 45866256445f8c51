#!/usr/bin/env node
// `npm test`: one incremental type-check (`tsc -b` over the three projects) beside the unit tier,
// then the integration tier, every test/**/*.test.ts under node's test runner (through tsx).
// Tiers by folder: test/unit/ (no model, no worker, no browser, no emulator process: seconds;
// its files run concurrently, one per core) and test/integration/ (the real parts end to end;
// `--jobs=N` files at a time, default 3). Prints the suite's wall and CPU time and its slowest
// files at the end.
// `--fast` runs the lint, the type-check and unit/. Whole runs start with `npm run lint` (Biome).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { ensureBuild } from "../bin/build.mjs";

const started = Date.now();
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const args = process.argv.slice(2);
// `--fast` (npm run test:fast): the type-check and test/unit/ only, for the inner loop.
const fast = args.includes("--fast");
// `--jobs=N`: integration files at a time (default 3: much of an end-to-end file's time is
// waiting on deadlines, heartbeats and process starts; on this 2-core box three files kept both
// cores busier than two, 14 min 58 s against 15 min 59 s for the whole suite).
const jobs = Number(/^--jobs=(\d+)$/.exec(args.find((a) => a.startsWith("--jobs=")) ?? "")?.[1] ?? 3);
const only = args.filter((a) => a !== "--fast" && !a.startsWith("--jobs="));
// Each test makes its own AFFIANT_HOME under this run's folder of test/.tmp, and what a run
// builds once for all its files (prepared cases, golden runs: test/helpers.ts) lives there too.
// Folders of runs that have ended are removed; a run still going keeps its own (two runs never
// collide).
const tmpRoot = path.join(root, "test", ".tmp");
mkdirSync(tmpRoot, { recursive: true });
for (const name of readdirSync(tmpRoot)) {
  const pid = Number(/^run-(\d+)$/.exec(name)?.[1]);
  if (pid && isAlive(pid)) continue;
  rmSync(path.join(tmpRoot, name), { recursive: true, force: true });
}
const runTmp = path.join(tmpRoot, `run-${process.pid}`);
mkdirSync(runTmp, { recursive: true });
// The build (dist/) the tests' `affiant` processes run and the viewer module they import:
// made fresh once here rather than by the first of many processes that find it stale.
await ensureBuild();

/**
 * CPU seconds (user + system) of the processes this one has waited for, and theirs in turn:
 * on a shared 2-core box a file's wall time is noise, its CPU is what the suite costs
 * (/proc/self/stat: cutime and cstime, in USER_HZ, 100 on Linux). Undefined off Linux.
 */
function childCpuSeconds() {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === ".tmp" ? [] : findTests(full);
    return name.endsWith(".test.ts") ? [full] : [];
  });
}

const files = findTests(path.join(root, "test", ...(fast ? ["unit"] : [])))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const unitDir = path.join(root, "test", "unit") + path.sep;
const unit = files.filter((f) => f.startsWith(unitDir));
// The longest integration files start first, longest first, so the last minutes are not one
// long file running alone (a CI run's slowest files, 1 to 3 minutes each; the rest take less).
// Order only.
const longFirst = [
  "faults",
  "e2e-run",
  "gameday",
  "providers",
  "viewer-review",
  "review",
  "review-sfn",
  "viewer",
  "worker-sfn",
  "acquire",
  "backfill",
  "api",
  "cli-input",
  "warm-workers",
];
const rank = (f) => {
  const i = longFirst.indexOf(path.basename(f, ".test.ts"));
  return i === -1 ? longFirst.length : i;
};
const integration = files.filter((f) => !f.startsWith(unitDir)).sort((a, b) => rank(a) - rank(b));
// Started now, awaited by the integration tier only: the lint, type-check and unit tier need no model.
const llamaBinding = integration.length > 0 ? testLlamaBinding() : Promise.resolve(undefined);

/**
 * node-llama-cpp tests its CPU binary in a child before every `getLlama` (about a second of
 * CPU): once here instead, and every worker and embedder of the run loads the file that passed
 * (core/llama-binding.ts, AFFIANT_LLAMA_BINDING). Where that cannot be told, each process tests as usual.
 */
function testLlamaBinding() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/llama-binding.ts")], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("close", (code) => {
      const tested = code === 0 ? JSON.parse(out || "null") : null;
      if (!tested) console.error("note: the llama.cpp binary could not be tested once for the run; each worker tests it");
      resolve(tested ? JSON.stringify(tested) : undefined);
    });
  });
}

/** Runs a command, its output passed through (or collected); resolves with its exit code and output. */
function run(command, commandArgs, { collect = false, env = {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, {
      cwd: root,
      stdio: ["ignore", collect ? "pipe" : "inherit", collect ? "pipe" : "inherit"],
      // One cache folder for the run: what holds no client data (definitions already
      // validated) is worked out once, not in each test's fresh home.
      env: {
        ...process.env,
        AFFIANT_TEST_TMP: runTmp,
        AFFIANT_CACHE_DIR: path.join(runTmp, "cache"),
        ...env,
      },
    });
    let output = "";
    if (collect) {
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
    }
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * One `tsc -b` over the three projects, incremental (a .tsbuildinfo beside each tsconfig, ignored):
 * the Node code, the viewer's browser code (DOM types, no Node types), and sst.config.ts with
 * infra/ and rehearsal/, which needs the platform types `sst install` writes (.ci/run makes them).
 */
function typecheck() {
  const projects = ["tsconfig.json", "api/viewer/browser/tsconfig.json"];
  if (existsSync(path.join(root, ".sst", "platform", "config.d.ts"))) projects.push("tsconfig.sst.json");
  else console.error("note: .sst/platform is absent, so sst.config.ts was not type-checked (run: npm run sst:install)");
  return run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-b", ...projects], { collect: true });
}

/** Runs test files under node's test runner; each file's time goes to `times` (scripts/test-file-times.mjs). */
async function testFiles(list, concurrency, times, env = {}) {
  if (list.length === 0) return { code: 0 };
  const reporter = process.stdout.isTTY ? "spec" : "tap";
  return run(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      `--test-concurrency=${concurrency}`,
      `--test-reporter=${reporter}`,
      "--test-reporter-destination=stdout",
      "--test-reporter=./scripts/test-file-times.mjs",
      `--test-reporter-destination=${times}`,
      ...list,
    ],
    { env },
  );
}

function slowestFiles() {
  return ["unit", "integration"]
    .map((tier) => path.join(runTmp, `${tier}-times.tsv`))
    .filter((f) => existsSync(f))
    .flatMap((f) => readFileSync(f, "utf8").trim().split("\n").filter(Boolean))
    .map((line) => line.split("\t"))
    .map(([s, file]) => [path.relative(root, file), Number(s)]);
}

function finish(code) {
  const wall = (Date.now() - started) / 1000;
  const slowest = slowestFiles()
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10);
  if (slowest.length > 1) {
    console.log("\n# slowest files");
    for (const [file, s] of slowest) console.log(`#   ${s.toFixed(1).padStart(7)} s  ${file}`);
  }
  const cpu = childCpuSeconds();
  if (cpu !== undefined) {
    const tiers =
      unitCpu === undefined
        ? ""
        : ` (lint, type-check and unit tier ${unitCpu.toFixed(0)} s, integration tier ${(cpu - unitCpu).toFixed(0)} s)`;
    console.log(`# suite CPU time: ${cpu.toFixed(0)} s user+sys${tiers}`);
  }
  console.log(
    `# suite wall time: ${Math.floor(wall / 60)} min ${(wall % 60).toFixed(0)} s (${files.length} files${only.length ? "" : fast ? ", type-check and unit tier" : ", type-check included"})`,
  );
  process.exit(code);
}

/** `npm run lint`: Biome's formatter and linter over the tree (biome.jsonc), in about two seconds. */
function lint() {
  return run(process.execPath, [path.join(root, "node_modules/@biomejs/biome/bin/biome"), "check", "--reporter=summary", "."], {
    collect: true,
  });
}

/** The children's CPU once the lint, type-check and unit tier are done. */
let unitCpu;
const linted = only.length === 0 ? lint() : Promise.resolve({ code: 0, output: "" });
const checked = only.length === 0 ? typecheck() : Promise.resolve({ code: 0, output: "" });
const unitRun = testFiles(unit, Math.max(2, availableParallelism()), path.join(runTmp, "unit-times.tsv"));
const tsc = await checked;
if (tsc.code !== 0) {
  process.stderr.write(tsc.output);
  console.error("type-check failed");
  await unitRun;
  finish(tsc.code);
}
const lintResult = await linted;
if (lintResult.code !== 0) {
  process.stderr.write(lintResult.output);
  console.error("lint failed (npm run lint; npm run format rewrites the layout)");
  await unitRun;
  finish(lintResult.code);
}
const unitResult = await unitRun;
unitCpu = childCpuSeconds();
const tested = await llamaBinding;
const integrationResult = await testFiles(
  integration,
  Math.max(1, jobs),
  path.join(runTmp, "integration-times.tsv"),
  tested ? { AFFIANT_LLAMA_BINDING: tested } : {},
);
finish(unitResult.code || integrationResult.code);
