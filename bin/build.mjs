#!/usr/bin/env node
/**
 * The build: the CLI and the child-process entries (the GPU worker, the local embedder)
 * bundled by esbuild into dist/, and the run viewer's script (api/viewer/browser/*.ts) as the
 * string module dist/viewer/app-js.ts that api/viewer.ts imports. dist/ is ignored by git;
 * `npm install` and `npm ci` make it (`prepare`), and bin/affiant.js rebuilds it in-process
 * when a source it was built from has changed, so a stale build never runs.
 *
 * Packages stay external (node-llama-cpp, the AWS SDK… keep their own file layout and load
 * from node_modules), and modules that find files next to themselves from import.meta.url
 * (the registry, prompt templates, the PDF reader's child) keep their source location.
 * Each build is a folder of its own (dist/build-*), named by dist/build.json with every
 * input's mtime and size: a process already running keeps its folder while another builds.
 * Plain JavaScript, so it runs before anything is compiled.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const distDir = path.join(root, "dist");
const stampFile = path.join(distDir, "build.json");
/** The viewer's script as a string module: api/viewer.ts imports it, so any bundle of the API (SST's, the rehearsal's) holds it. */
export const viewerModule = path.join(distDir, "viewer", "app-js.ts");
export const viewerEntry = path.join(root, "api", "viewer", "browser", "app.ts");
/** The entries, as paths from the root: the CLI, and the children it forks. */
export const entries = ["cli/main.ts", "containers/llama-worker/main.ts", "functions/embeddings/child-main.ts"];
/** An entry's file name in a build folder (core/child-entry.ts derives the same name). */
export const entryName = (source) => source.replace(/\.ts$/, "").replace(/[^\w]+/g, "-");
/** Build folders other than the current one are removed once this old (a running process may still use one). */
const keepOldBuildsMs = 24 * 3600_000;

/** The current build if every input is as it was when built: { dir, cli }, or undefined. */
export function currentBuild() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile, "utf8"));
  } catch {
    return undefined;
  }
  for (const [file, [mtimeMs, size]] of Object.entries(stamp.inputs)) {
    try {
      const s = statSync(path.join(root, file));
      if (s.mtimeMs !== mtimeMs || s.size !== size) return undefined;
    } catch {
      return undefined;
    }
  }
  return described(stamp.dir);
}

/** The current build, built first when missing or stale. */
export async function ensureBuild() {
  return currentBuild() ?? (await build());
}

const described = (dir) => ({ dir: path.join(root, dir), cli: path.join(root, dir, `${entryName(entries[0])}.mjs`) });

/** Builds the viewer module and the bundles into a new folder and makes it the current build. */
export async function build() {
  const esbuild = await import("esbuild");
  const viewer = await buildViewer(esbuild);
  writeIfChanged(viewerModule, viewerModuleSource(viewer.js));
  const dir = path.join("dist", `build-${Date.now().toString(36)}-${process.pid}`);
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(entries.map((e) => [entryName(e), path.join(root, e)])),
    outdir: path.join(root, dir),
    outExtension: { ".js": ".mjs" },
    // One chunk per lazily imported command: `affiant --help` loads none of them.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    metafile: true,
    absWorkingDir: root,
    logLevel: "silent",
    // core/child-entry.ts forks the children from this same folder.
    define: { __AFFIANT_BUILD_DIR__: JSON.stringify(dir) },
    plugins: [keepModuleUrl],
  });
  const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...viewer.inputs, "bin/build.mjs"])].filter(
    (f) => !f.startsWith("node_modules/"),
  );
  const stamp = { dir, inputs: Object.fromEntries(inputs.sort().map((f) => [f, statOf(f)])) };
  writeAtomically(stampFile, `${JSON.stringify(stamp, null, 1)}\n`);
  removeOldBuilds(dir);
  return described(dir);
}

/**
 * Modules find files next to themselves (the registry, prompt templates) from
 * import.meta.url; in one bundle each must keep its own location, not the bundle's.
 */
export const keepModuleUrl = {
  name: "keep-module-url",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const code = readFileSync(args.path, "utf8");
      return { contents: code.replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
    });
  },
};

/** The viewer's script, as esbuild bundles the browser sources (deterministic for a pinned esbuild). */
export async function buildViewerJs() {
  return (await buildViewer(await import("esbuild"))).js;
}

async function buildViewer(esbuild) {
  const here = path.dirname(viewerEntry);
  const result = await esbuild.build({
    entryPoints: [viewerEntry],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    // The page's readers are current browsers: the sources' ES2022 is emitted as written.
    target: "es2022",
    tsconfig: path.join(here, "tsconfig.json"),
    // Paths in esbuild's per-file comments are relative to the repository, not to this machine.
    absWorkingDir: root,
    charset: "utf8",
    legalComments: "none",
    // No banner: strict mode comes from the tsconfig (`strict` implies `alwaysStrict`), and
    // esbuild writes the "use strict" directive itself.
    metafile: true,
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild wrote no output for api/viewer/browser/app.ts");
  return { js: file.text, inputs: [...Object.keys(result.metafile.inputs), "api/viewer/browser/tsconfig.json"] };
}

/** The viewer module's text for a script: a template literal, so it reads as the script. */
export function viewerModuleSource(js) {
  const literal = js.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${");
  return [
    "// Built by bin/build.mjs from api/viewer/browser/*.ts (npm install, or bin/affiant.js when a source changed).",
    "/** The run viewer's script, served as /viewer/app.js. */",
    `export const viewerJs = \`${literal}\`;`,
    "",
  ].join("\n");
}

function statOf(file) {
  const s = statSync(path.join(root, file));
  return [s.mtimeMs, s.size];
}

function writeIfChanged(file, text) {
  try {
    if (readFileSync(file, "utf8") === text) return;
  } catch {
    // not there yet
  }
  writeAtomically(file, text);
}

/** Written whole then renamed: another process may be reading or building at the same time. */
function writeAtomically(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function removeOldBuilds(current) {
  for (const name of readdirSync(distDir)) {
    const full = path.join(distDir, name);
    if (!name.startsWith("build-") || full === path.join(root, current)) continue;
    try {
      if (Date.now() - statSync(full).mtimeMs > keepOldBuildsMs) rmSync(full, { recursive: true, force: true });
    } catch {
      // removed by another build meanwhile
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const built = await build();
  console.log(`built ${path.relative(root, built.dir)} and ${path.relative(root, viewerModule)} in ${Date.now() - started} ms`);
}
