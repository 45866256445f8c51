/**
 * Bundles every deployed Lambda the way SST 4 does for a Node.js function: esbuild over the
 * handler's file (bundle, platform node, ESM, `.mjs`, SST's createRequire banner, the
 * `install` packages and `nodejs.esbuild.external` left out), then the `install` packages
 * installed as SST's Node builder installs them (sst/sst pkg/runtime/node/build.go): a
 * generated package.json whose dependencies are those packages at the project package.json's
 * versions ("*" where it has none), and `npm install --force --platform=linux --os=linux
 * --arch=x64 --cpu=x64` in the bundle's folder: no lockfile, so transitive versions are what
 * the registry resolves on deploy day, and install scripts run on the deploying machine's
 * Node. `copyFiles` are copied to the bundle's root. Nothing else is external: a literal
 * import of node-llama-cpp on a Lambda path fails the bundle, as it would fail `sst deploy`.
 */

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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
  if (spec.install?.length) await installAsSst(root, dir, spec.install);
  for (const file of spec.copyFiles) cpSync(path.join(root, file.from), path.join(dir, file.to), { recursive: true });
  return { name, dir, entryFile, exportName, inputs: Object.keys((result.metafile as Metafile).inputs), unzippedBytes: folderBytes(dir) };
}

/** SST's `npm install` arguments for an x86_64 function (build.go). */
export const sstInstallArgs = ["install", "--force", "--platform=linux", "--os=linux", "--arch=x64", "--cpu=x64"] as const;

/** The package.json SST writes beside a bundle: each package at the project's version, else "*". */
export function sstPackageJson(root: string, packages: readonly string[]): { dependencies: Record<string, string> } {
  const project = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  return { dependencies: Object.fromEntries(packages.map((p) => [p, project.dependencies?.[p] ?? "*"])) };
}

/**
 * Functions with the same `install` list get the same package.json, so one npm install per
 * distinct list serves them all in a rehearsal (each is then copied whole into its bundle).
 */
const installs = new Map<string, Promise<string>>();

async function installAsSst(root: string, dir: string, packages: readonly string[]): Promise<void> {
  const manifest = sstPackageJson(root, packages);
  const key = createHash("sha256").update(JSON.stringify(manifest)).digest("hex").slice(0, 12);
  let done = installs.get(key);
  if (!done) {
    const at = path.join(path.dirname(dir), ".sst-install", key);
    done = (async () => {
      rmSync(at, { recursive: true, force: true });
      mkdirSync(at, { recursive: true });
      writeFileSync(path.join(at, "package.json"), JSON.stringify(manifest));
      // --prefer-offline/--no-audit/--no-fund change where metadata comes from and what is
      // reported, not what is installed: the project's own npm ci fills the cache.
      await runNpm(at, [...sstInstallArgs, "--prefer-offline", "--no-audit", "--no-fund"], Object.keys(manifest.dependencies));
      return at;
    })();
    installs.set(key, done);
  }
  const at = await done;
  cpSync(path.join(at, "node_modules"), path.join(dir, "node_modules"), { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest));
}

/** npm in its own process group, killed whole (its install scripts too) after 240 s. */
function runNpm(cwd: string, args: string[], packages: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, { cwd, detached: true, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
    }, 240_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0 && !timedOut) return resolve();
      const tail = stderr.trim().split("\n").slice(-3).join(" | ");
      reject(
        new Error(
          `npm install (as SST runs it) of ${packages.join(", ")} failed${timedOut ? " (killed after 240 s)" : ` (exit ${code})`}: ${tail}`,
        ),
      );
    });
  });
}

/**
 * Native addons among a bundle's installed packages (a binding.gyp or a built `.node`): their
 * binary is fetched or built by the install script for the Node that runs `npm install` (the
 * deploying machine's), not for the function's runtime.
 */
export function nativePackages(bundle: Bundle): string[] {
  const modules = path.join(bundle.dir, "node_modules");
  if (!existsSync(modules)) return [];
  const names = readdirSync(modules).flatMap((n) => (n.startsWith("@") ? readdirSync(path.join(modules, n)).map((m) => `${n}/${m}`) : [n]));
  return names.filter((n) => existsSync(path.join(modules, n, "binding.gyp")));
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
