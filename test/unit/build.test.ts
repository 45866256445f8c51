/**
 * The build (bin/build.mjs) that bin/affiant.js runs: a changed input makes it stale and the
 * next start rebuilds it, so an edited source is what runs; the CLI's entry loads no heavy
 * package before a command asks for one; the children the engine forks come from the same
 * build folder; and nothing generated is tracked by git.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, utimesSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { currentBuild, ensureBuild, entries, entryName } from "../../bin/build.mjs";
import { root } from "../helpers.ts";

test("a source whose mtime changed makes the build stale, and ensureBuild rebuilds it", async () => {
  const before = await ensureBuild();
  assert.deepEqual(currentBuild(), before);
  const source = path.join(root, "cli", "runs-command.ts");
  const { atime, mtime } = statSync(source);
  try {
    utimesSync(source, atime, new Date(mtime.getTime() + 1000));
    assert.equal(currentBuild(), undefined, "an edited input is noticed");
    const after = await ensureBuild();
    assert.notEqual(after.dir, before.dir);
    assert.deepEqual(currentBuild(), after);
  } finally {
    utimesSync(source, atime, mtime);
  }
});

test("the CLI's entry imports no heavy package until a command runs", async () => {
  const build = await ensureBuild();
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    // Static imports only: each command's chunk is a dynamic import().
    for (const m of readFileSync(file, "utf8").matchAll(/^import\s+(?:[^;]*?\sfrom\s+)?"([^"]+)";?$/gm)) {
      if (m[1]!.startsWith(".")) visit(path.resolve(path.dirname(file), m[1]!));
      else packages.add(m[1]!.startsWith("@") ? m[1]!.split("/").slice(0, 2).join("/") : m[1]!.split("/")[0]!);
    }
  };
  visit(build.cli);
  assert.ok(seen.size > 1, "the entry's own chunks were read");
  assert.deepEqual([...packages].filter((p) => !p.startsWith("node:")).sort(), ["commander", "zod"]);
  // The run command is a chunk of its own, imported when it runs.
  assert.match(readFileSync(build.cli, "utf8"), /await import\("\.\/chunks\/run-command-[^"]+"\)/);
});

test("the children the engine forks are entries of the same build", async () => {
  const build = await ensureBuild();
  for (const source of entries) statSync(path.join(build.dir, `${entryName(source)}.mjs`));
  // core/child-entry.ts looks the children up in the folder it was bundled into (a define).
  const files = readdirSync(build.dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".mjs"));
  const defined = JSON.stringify(path.relative(root, build.dir));
  assert.ok(
    files.some((f) => readFileSync(path.join(build.dir, f), "utf8").includes(defined)),
    `the build names its own folder ${defined}`,
  );
});

test("no generated file is tracked by git, and dist/ is ignored", () => {
  const tracked = execFileSync("git", ["ls-files"], { cwd: root, encoding: "utf8" }).split("\n");
  assert.deepEqual(
    tracked.filter((f) => /\.generated\.|(^|\/)generated\/|^dist\//.test(f)),
    [],
  );
  assert.match(readFileSync(path.join(root, ".gitignore"), "utf8"), /^dist\/$/m);
});
