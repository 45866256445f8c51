#!/usr/bin/env node
// `npm test`: type-check, then every test/**/*.test.ts under node's test runner (through
// tsx), one file at a time: the end-to-end files start model workers and this box has 2 cores.
// Tiers by folder: test/unit/ (no model, no worker, no browser, no emulator process: seconds)
// and test/integration/ (the real parts end to end). `--fast` runs the type-checks and unit/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { ensureBuild } from "../bin/build.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const args = process.argv.slice(2);
// `--fast` (npm run test:fast): the type-checks and test/unit/ only, for the inner loop.
const fast = args.includes("--fast");
const only = args.filter((a) => a !== "--fast");
// Each test makes its own AFFIANT_HOME under this run's folder of test/.tmp. Folders of runs
// that have ended are removed; a run still going keeps its own (two runs never collide).
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

if (only.length === 0) {
  const tsc = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  if (tsc.status !== 0) {
    console.error("type-check failed");
    process.exit(tsc.status ?? 1);
  }
  // The viewer's browser code has its own project: DOM types, no Node types.
  const viewer = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "api/viewer/browser/tsconfig.json"], { cwd: root, stdio: "inherit" });
  if (viewer.status !== 0) {
    console.error("type-check of the viewer's browser code (api/viewer/browser) failed");
    process.exit(viewer.status ?? 1);
  }
  // sst.config.ts needs the platform types `sst install` writes (.ci/run makes them).
  if (existsSync(path.join(root, ".sst", "platform", "config.d.ts"))) {
    const infra = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.sst.json"], { cwd: root, stdio: "inherit" });
    if (infra.status !== 0) {
      console.error("type-check of sst.config.ts failed");
      process.exit(infra.status ?? 1);
    }
  } else {
    console.error("note: .sst/platform is absent, so sst.config.ts was not type-checked (run: npm run sst:install)");
  }
}

const run = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...files], { cwd: root, stdio: "inherit", env: { ...process.env, AFFIANT_TEST_TMP: runTmp } });
process.exit(run.status ?? 1);
