/**
 * The layers point one way. Each top-level folder is a layer; a module may import from its
 * own layer and the ones below, never above, and two layers of the same rank (the Lambdas and
 * the GPU worker) never import each other. No module imports itself back through a cycle.
 * The README's ARCHITECTURE section draws the same picture.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { root } from "../helpers.ts";

/** Lowest first. Folders of one rank are peers: neither may import the other. */
export const layers: ReadonlyArray<readonly string[]> = [
  ["core"],
  ["functions", "containers"],
  ["workflows"],
  ["api", "infra"],
  ["cli"],
  ["bin", "sst.config.ts"],
  // Development tools: never deployed or run by users; they may use each other's fixtures.
  ["rehearsal", "bench", "examples", "scripts", "test"],
];
const tools = new Set(layers.at(-1));

function rankOf(file: string): { folder: string; rank: number } {
  const folder = file.split("/")[0]!;
  const rank = layers.findIndex((l) => l.includes(folder));
  if (rank < 0) throw new Error(`${file}: its folder ${folder} is in no layer; add it to test/unit/architecture.test.ts and the README`);
  return { folder, rank };
}

function sourceFiles(dir = root, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    // dist/ is the build (bin/build.mjs): bundles of the sources checked here.
    if (name.startsWith(".") || name === "node_modules" || name === "types" || name === "dist") continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith(".d.ts") && !name.endsWith(".d.mts")) out.push(path.relative(root, full));
  }
  return out;
}

/**
 * Relative imports of a module: static, re-exports and dynamic `import("...")` with a
 * literal. `values` leaves out `import type` (erased at build time, so no load order).
 * Paths built to another module count too (a forked child's entry, a file read beside a
 * module): `new URL("../x", import.meta.url)`, and `path.join`/`path.resolve` whose first
 * literal after any `..` names a top-level folder. The build's output (dist/) is no layer.
 */
export function importsOf(file: string, which: "all" | "values" = "all"): string[] {
  return importsIn(file, readFileSync(path.join(root, file), "utf8"), which);
}

const topFolders = new Set(layers.flat());

export function importsIn(file: string, text: string, which: "all" | "values" = "all"): string[] {
  const found = [
    ...text.matchAll(/(\bimport\s+type\b[^;]*?\bfrom\s*|\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm),
  ];
  const imports = found
    .filter((m) => which === "all" || !/^import\s+type\b/.test(m[1]!))
    .map((m) => path.relative(root, path.resolve(root, path.dirname(file), m[2]!)));
  const urls = [...text.matchAll(/\bnew\s+URL\(\s*["'](\.{1,2}\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g)].map((m) =>
    path.relative(root, path.resolve(root, path.dirname(file), m[1]!)),
  );
  const joined = [...text.matchAll(/\bpath\.(?:join|resolve)\(([^()]*)\)/g)].flatMap((m) => {
    const parts = [...m[1]!.matchAll(/["']([^"']*)["']/g)].map((l) => l[1]!).flatMap((l) => l.split("/"));
    while (parts[0] === ".." || parts[0] === ".") parts.shift();
    return parts.length > 0 && topFolders.has(parts[0]!) ? [parts.join("/")] : [];
  });
  return [...imports, ...urls, ...joined].filter((t) => !t.startsWith("dist/"));
}

const files = sourceFiles();
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const valueGraph = new Map(files.map((f) => [f, importsOf(f, "values")]));

test("no module imports from a higher layer, and peer layers do not import each other", () => {
  assert.ok(files.length > 100, `found ${files.length} modules`);
  const wrong: string[] = [];
  for (const [file, imports] of graph) {
    const from = rankOf(file);
    for (const target of imports) {
      const to = rankOf(target);
      if (to.folder === from.folder) continue;
      if (to.rank > from.rank || (to.rank === from.rank && !tools.has(from.folder))) wrong.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(wrong, [], `imports against the layers:\n${wrong.join("\n")}`);
});

test("no import cycles between modules (type-only imports, erased at build, aside)", () => {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const t of valueGraph.get(f) ?? []) {
      if (!valueGraph.has(t)) continue;
      if (state.get(t) === "open") cycles.push([...stack.slice(stack.indexOf(t)), t].join(" -> "));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of valueGraph.keys()) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, [], `cycles:\n${cycles.join("\n")}`);
});

test("the layer check sees a wrong import: it reads the folders it claims to", () => {
  // A check that cannot fail is no check: the worker does import core, and the engine the worker's channel.
  assert.ok(graph.get("containers/llama-worker/main.ts")!.some((t) => t.startsWith("core/")));
  assert.ok(graph.get("workflows/engine/worker-supervisor.ts")!.includes("containers/llama-worker/channel.ts"));
  assert.ok(rankOf("api/app.ts").rank > rankOf("workflows/definition.ts").rank);
  assert.throws(() => rankOf("nowhere/x.ts"), /its folder nowhere is in no layer/);
  // Type-only imports are seen (for layers) and set apart (for cycles).
  assert.ok(graph.get("functions/textract-reader.ts")!.includes("functions/ocr.ts"));
  assert.ok(!valueGraph.get("functions/textract-reader.ts")!.includes("functions/ocr.ts"));
  // Paths built to a module are seen: the engine names the worker's entry it forks.
  assert.ok(graph.get("workflows/engine/worker-launch.ts")!.includes("containers/llama-worker/main.ts"));
  assert.deepEqual(importsIn("core/x.ts", 'const a = path.join(projectRoot, "containers", "llama-worker", "main.ts");'), [
    "containers/llama-worker/main.ts",
  ]);
  assert.deepEqual(importsIn("core/x.ts", 'const a = path.resolve(here, "..", "workflows/engine");'), ["workflows/engine"]);
  assert.deepEqual(importsIn("core/x.ts", 'const a = new URL("../containers/llama-worker/main.ts", import.meta.url);'), [
    "containers/llama-worker/main.ts",
  ]);
  assert.deepEqual(importsIn("core/x.ts", 'const a = path.join(home, "logs", "affiant.jsonl");'), []);
});
