#!/usr/bin/env node
// `npm test`: type-check, then every test/**/*.test.ts under node's test runner (through
// tsx), one file at a time: the end-to-end files start model workers and this box has 2 cores.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const only = process.argv.slice(2);
// Each test makes its own AFFIANT_HOME under test/.tmp; start from none.
rmSync(path.join(root, "test", ".tmp"), { recursive: true, force: true });

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === ".tmp" ? [] : findTests(full);
    return name.endsWith(".test.ts") ? [full] : [];
  });
}

const files = findTests(path.join(root, "test"))
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

const run = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...files], { cwd: root, stdio: "inherit" });
process.exit(run.status ?? 1);
