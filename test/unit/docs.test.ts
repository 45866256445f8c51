/**
 * The docs name only what exists: every repository path (in backticks or as a link) and every
 * `npm run <script>` in README.md and docs/*.md must be there, and docs/configuration.md's
 * variable table must be the one scripts/config-table.ts generates from core/config.ts.
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { configurationDoc, withTable } from "../../scripts/config-table.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
const scripts = Object.keys(
  (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts,
);

/** Top-level folders of the repository; untracked state (.git, .affiant, .sst, node_modules, test/.tmp) is not the docs' to name. */
const topFolders = new Set(
  readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !["node_modules", ".git", ".affiant", ".sst"].includes(d.name))
    .map((d) => d.name),
);

const docFiles = [
  "README.md",
  ...readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/**
 * What a doc names that must exist: words of backticked spans and code blocks shaped like a path
 * under a top-level folder of the repository (placeholders such as `<id>` or globs skip),
 * relative link targets (resolved from the doc's folder), and `npm run <script>` / `npm test`.
 */
export function named(doc: string, text: string): Array<{ kind: "path" | "script"; name: string; resolved: string }> {
  const out: Array<{ kind: "path" | "script"; name: string; resolved: string }> = [];
  const pathShape = /^\.?[\w@-][\w.@-]*(\/[\w.@-]+)*\/?$/;
  const fenced = [...text.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  const spans = [...text.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "").matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  for (const span of [...spans, ...fenced]) {
    for (const word of span.split(/\s+/)) {
      const candidate = word.replace(/[),;:]+$/, "").replace(/:\d+$/, "");
      if (!candidate.includes("/") || !pathShape.test(candidate)) continue;
      if (!topFolders.has(candidate.split("/")[0]!)) continue;
      if (candidate.startsWith("test/.tmp")) continue;
      out.push({ kind: "path", name: candidate, resolved: path.join(root, candidate) });
    }
  }
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!.split("#")[0]!;
    if (!target || /^[a-z]+:/i.test(target)) continue;
    out.push({ kind: "path", name: target, resolved: path.resolve(root, path.dirname(doc), target) });
  }
  for (const m of text.matchAll(/\bnpm (?:run ([\w:.-]*\w)|(test)\b)/g)) {
    const name = m[1] ?? m[2]!;
    out.push({ kind: "script", name, resolved: name });
  }
  return out;
}

function missing(doc: string, text: string): string[] {
  return named(doc, text)
    .filter((n) => (n.kind === "path" ? !existsSync(n.resolved) : !scripts.includes(n.name)))
    .map((n) => `${doc}: ${n.kind === "script" ? `npm script "${n.name}"` : n.name} does not exist`);
}

test("the checker finds made-up paths, links and scripts, and passes real ones", () => {
  const fake = [
    "See `core/config.ts`, `core/no-such-module.ts` and `workflows/engine/`.",
    "[architecture](docs/architecture.md), [gone](docs/no-such-page.md), [web](https://example.org/x.md).",
    "Run `npm run typecheck`, then npm run no-such-script; `npm test`.",
    "Outputs go to `.affiant/outputs/<execution>/declaration.md` (`application/pdf`, `runs/`).",
    "```sh\nnpx affiant run examples/cases/vawa-sample\nnpx affiant run examples/cases/no-such-case --json\n```",
  ].join("\n");
  assert.deepEqual(missing("README.md", fake), [
    "README.md: core/no-such-module.ts does not exist",
    "README.md: examples/cases/no-such-case does not exist",
    "README.md: docs/no-such-page.md does not exist",
    'README.md: npm script "no-such-script" does not exist',
  ]);
  assert.ok(
    named("docs/deploy.md", "[cfg](configuration.md)").every((n) => n.resolved === path.join(root, "docs", "configuration.md")),
    "links resolve from the doc's folder",
  );
});

test("README.md and docs/*.md name only paths and npm scripts that exist", () => {
  assert.ok(docFiles.length > 1, "docs/ holds the documentation");
  const problems = docFiles.flatMap((doc) => missing(doc, readFileSync(path.join(root, doc), "utf8")));
  assert.deepEqual(problems, []);
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  assert.match(readme, /\bnpm (install|ci)\b/, "the README names the install command");
  assert.ok(readme.split("\n").length <= 250, `README.md is ${readme.split("\n").length} lines; depth belongs in docs/`);
});

test("docs/configuration.md's variable table is the one generated from core/config.ts", () => {
  const doc = readFileSync(configurationDoc, "utf8");
  assert.equal(doc, withTable(doc), "the table differs from core/config.ts: run `npm run docs:config`");
});
