/**
 * Bundles every deployed Lambda the way SST 4 does for a Node.js function: esbuild over the
 * handler's file (bundle, platform node, ESM, `.mjs`, SST's createRequire banner, the
 * `install` packages and `nodejs.esbuild.external` left out), then `install` packages placed
 * in the bundle's own node_modules and `copyFiles` copied to its root. SST runs
 * `npm install` for `install`; offline, the same versions are copied with their dependency
 * closure from the project's node_modules. Nothing else is external: a literal import of
 * node-llama-cpp on a Lambda path fails the bundle, as it would fail `sst deploy`.
 */

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { build, type Metafile } from "esbuild";
import type { FunctionSpec } from "../infra/functions.ts";

/** SST's banner for ESM bundles: CommonJS dependencies still find require/__dirname. */
const sstBanner = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");
/** Always external in SST's Node builder. */
const sstForceExternal = ["sharp", "pg-native"];

export interface Bundle {
  name: string;
  dir: string;
  /** The handler file inside `dir` and its export. */
  entryFile: string;
  exportName: string;
  /** Every input esbuild read (project files and packages). */
  inputs: string[];
  unzippedBytes: number;
}

export async function bundleFunction(root: string, outRoot: string, name: string, spec: FunctionSpec): Promise<Bundle> {
  const dot = spec.handler.lastIndexOf(".");
  const handlerPath = spec.handler.slice(0, dot);
  const exportName = spec.handler.slice(dot + 1);
  const source = [".ts", ".js", ".mjs"].map((ext) => path.join(root, handlerPath + ext)).find(existsSync);
  if (!source) throw new Error(`${name}: handler ${spec.handler} has no source file`);
  const dir = path.join(outRoot, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const entryFile = `${handlerPath}.mjs`;
  const result = await build({
    entryPoints: [source],
    outfile: path.join(dir, entryFile),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "esnext",
    mainFields: ["module", "main"],
    keepNames: true,
    minify: true,
    metafile: true,
    logLevel: "silent",
    banner: { js: sstBanner },
    external: [...sstForceExternal, ...(spec.install ?? [])],
    absWorkingDir: root,
  });
  for (const pkg of spec.install ?? []) installPackage(root, dir, pkg);
  for (const file of spec.copyFiles) cpSync(path.join(root, file.from), path.join(dir, file.to), { recursive: true });
  return { name, dir, entryFile, exportName, inputs: Object.keys((result.metafile as Metafile).inputs), unzippedBytes: folderBytes(dir) };
}

/** Copies a package and its production dependencies into `dir/node_modules`, as npm would lay them out flat. */
function installPackage(root: string, dir: string, name: string, seen = new Set<string>()): void {
  if (seen.has(name)) return;
  seen.add(name);
  const from = packageDir(root, name);
  cpSync(from, path.join(dir, "node_modules", name), { recursive: true, dereference: true });
  const manifest = JSON.parse(readFileSync(path.join(from, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
    if (!existsSync(path.join(root, "node_modules", dep))) continue; // an optional dependency for another platform
    installPackage(root, dir, dep, seen);
  }
}

function packageDir(root: string, name: string): string {
  const direct = path.join(root, "node_modules", name);
  if (existsSync(path.join(direct, "package.json"))) return direct;
  const found = createRequire(path.join(root, "package.json")).resolve(`${name}/package.json`);
  return path.dirname(found);
}

export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

/** Files in the bundle whose path names a package, e.g. node-llama-cpp. */
export function bundleHolds(bundle: Bundle, pkg: string): string[] {
  const inInputs = bundle.inputs.filter((i) => i.includes(`node_modules/${pkg}/`) || i.includes(`node_modules/@${pkg}/`));
  const onDisk = existsSync(path.join(bundle.dir, "node_modules", pkg)) ? [`node_modules/${pkg}`] : [];
  return [...inInputs, ...onDisk];
}
