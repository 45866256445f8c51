/**
 * The viewer's script is real TypeScript: api/viewer/browser/*.ts, type-checked against the
 * DOM (and without Node's types) by its own tsconfig, bundled by esbuild (bin/build.mjs) into
 * the string module dist/viewer/app-js.ts, outside git, that /viewer/app.js serves. Here: that
 * module is exactly a fresh esbuild build of the sources; the served script is plain JavaScript
 * holding every module; the browser project really rejects a type error and a Node global;
 * the server's wire types still fit the viewer's; and api/viewer.ts, bundled the way SST
 * bundles a Lambda (rehearsal/bundle.ts), serves the script from a folder holding only its
 * bundle, with no esbuild to run.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { Hono } from "hono";
import type { ExecutionListItem as ServerListItem } from "../../api/executions.ts";
import type { ExecutionListItem as ViewerListItem, ExecutionSummary as ViewerSummary } from "../../api/viewer/browser/types.ts";
import { mountViewer } from "../../api/viewer.ts";
import { buildViewerJs, viewerModule, viewerModuleSource } from "../../bin/build.mjs";
import { viewerJs } from "../../dist/viewer/app-js.ts";
import type { ExecutionSummary as ServerSummary } from "../../workflows/engine/summary.ts";
import { root, testTmp } from "../helpers.ts";

/** rehearsal/bundle.ts's bundler, as much of it as this test uses. */
type BundleFunction = (
  root: string,
  outRoot: string,
  name: string,
  spec: {
    handler: string;
    timeoutSeconds: number;
    memoryMB: number;
    vpc: boolean;
    environment: Record<string, string>;
    copyFiles: Array<{ from: string; to: string }>;
  },
) => Promise<{ dir: string; entryFile: string; inputs: string[] }>;

const browserDir = path.join(root, "api", "viewer", "browser");
const browserModules = readdirSync(browserDir).filter((f) => f.endsWith(".ts"));

// What the server sends must still be what the viewer reads: renaming or retyping a field
// the viewer uses fails the type-check here.
const summaryFits: (s: ServerSummary) => ViewerSummary = (s) => s;
const listItemFits: (s: ServerListItem) => ViewerListItem = (s) => s;
void summaryFits;
void listItemFits;

test("the served viewer script is a fresh esbuild build of api/viewer/browser/*.ts", async () => {
  const built = await buildViewerJs();
  assert.equal(viewerJs, built, "the served script differs from a fresh build of api/viewer/browser: run npm run build");
  assert.equal(readFileSync(viewerModule, "utf8"), viewerModuleSource(built), "dist/viewer/app-js.ts is stale: run npm run build");
});

test("/viewer/app.js is plain JavaScript: one strict IIFE holding every browser module", async () => {
  const app = new Hono();
  mountViewer(app);
  const res = await app.request("/viewer/app.js");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/javascript/);
  const js = await res.text();
  assert.equal(js, viewerJs);
  // V8 compiles it as a classic script (what <script src> loads): a type annotation, an
  // `import` or an `export` left in it would be a syntax error here.
  assert.doesNotThrow(() => new vm.Script(js, { filename: "app.js" }));
  assert.match(js, /^"use strict";\n\(\(\) => \{/);
  assert.doesNotMatch(js, /^\s*(import|export)\s/m);
  for (const file of browserModules.filter((f) => f !== "types.ts")) {
    assert.ok(js.includes(`// api/viewer/browser/${file}\n`), `${file} is in the bundle`);
  }
  // A TypeScript source does not pass the same check, so the check above means something.
  assert.throws(() => new vm.Script("function f(x: number): string { return String(x); }"), SyntaxError);
});

test("the browser project type-checks against the DOM and rejects a type error and a Node global", () => {
  const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
  const clean = spawnSync(process.execPath, [tsc, "--noEmit", "-p", path.join(browserDir, "tsconfig.json")], { encoding: "utf8" });
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);

  const tmp = testTmp;
  mkdirSync(tmp, { recursive: true });
  // The copy keeps the repository's layout: the browser code imports core's shared types (core/round-changes.ts).
  const copyRoot = mkdtempSync(path.join(tmp, "viewer-browser-"));
  const copy = path.join(copyRoot, "api", "viewer", "browser");
  try {
    cpSync(browserDir, copy, { recursive: true });
    cpSync(path.join(root, "core"), path.join(copyRoot, "core"), { recursive: true });
    writeFileSync(
      path.join(copy, "broken.ts"),
      'import { h } from "./dom.ts";\nexport const n: number = h("div").textContent;\nexport const cwd = process.cwd();\n',
    );
    const broken = spawnSync(process.execPath, [tsc, "--noEmit", "-p", path.join(copy, "tsconfig.json")], { encoding: "utf8" });
    assert.notEqual(broken.status, 0);
    assert.match(broken.stdout, /broken\.ts\(2,14\): error TS2322/, "a DOM type error fails the check");
    // Only the planted errors: the shared types in core/ resolve from the browser project.
    assert.doesNotMatch(broken.stdout, /error TS2307/, "a module the browser code imports was not found");
    assert.match(
      broken.stdout,
      /broken\.ts\(3,20\): error TS2591: Cannot find name 'process'/,
      "Node globals are not in the browser project",
    );
  } finally {
    rmSync(copyRoot, { recursive: true, force: true });
  }
});

test("api/viewer.ts bundled as SST bundles a Lambda serves the script from a folder holding only its bundle", async () => {
  // Outside the repository: no node_modules up the tree, so the bundle can lean on nothing.
  const out = mkdtempSync(path.join(tmpdir(), "affiant-viewer-bundle-"));
  // Loaded by path, not imported: its FunctionSpec type reaches infra/, whose Pulumi types
  // only tsconfig.sst.json can resolve.
  const { bundleFunction } = (await import(pathToFileURL(path.join(root, "rehearsal", "bundle.ts")).href)) as {
    bundleFunction: BundleFunction;
  };
  try {
    const bundle = await bundleFunction(root, out, "viewer", {
      handler: "api/viewer.mountViewer",
      timeoutSeconds: 30,
      memoryMB: 128,
      vpc: false,
      environment: {},
      copyFiles: [],
    });
    assert.deepEqual(
      bundle.inputs.filter((i) => /node_modules\/(esbuild|typescript|tsx)\//.test(i)),
      [],
      "no bundler or compiler in the bundle",
    );
    assert.ok(bundle.inputs.includes("dist/viewer/app-js.ts"));
    const loaded = (await import(pathToFileURL(path.join(bundle.dir, bundle.entryFile)).href)) as { mountViewer: typeof mountViewer };
    const app = new Hono();
    loaded.mountViewer(app);
    const res = await app.request("/viewer/app.js");
    assert.equal(res.status, 200);
    assert.equal(await res.text(), viewerJs);
    assert.match(await (await app.request("/")).text(), /<script src="\/viewer\/app\.js" defer><\/script>/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
