/**
 * Every `Affiant.*` error is a class in core/errors.ts. A Step Functions Catch or Retry
 * matches on the name alone, so a name that exists only as a string (or a class defined
 * somewhere else) is a contract nobody can find: each name the definition matches on or the
 * code mentions must be the `name` of a class core/errors.ts exports. Code elsewhere takes
 * the name from its class (`X.errorName`) and never writes it out; every class carries the
 * API's HTTP status for it, and every class is raised somewhere.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { errorStatus } from "../../api/error-response.ts";
import * as errors from "../../core/errors.ts";
import { loadRegistry } from "../../core/registry.ts";
import { buildDefinition } from "../../workflows/definition.ts";
import { root } from "../helpers.ts";

/** The `name` of each error class core/errors.ts exports, by export. */
function exportedErrorNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const [exported, value] of Object.entries(errors)) {
    if (typeof value !== "function" || !(value.prototype instanceof Error)) continue;
    const Ctor = value as unknown as new (...args: unknown[]) => Error;
    // Each takes a message first, except those named by their caller (the AWS protocol errors).
    const instance = new Ctor("message", "message");
    names.set(instance.name, exported);
  }
  return names;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push(full);
  }
  return out;
}

/** Every `Affiant.<Name>` in the deployed and local code (comments included: they name contracts too). */
function namesInCode(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const dirs = ["core", "functions", "containers", "workflows", "api", "cli", "infra", "bin"].map((d) => path.join(root, d));
  for (const file of [...dirs.flatMap((d) => sourceFiles(d)), path.join(root, "sst.config.ts")]) {
    for (const m of readFileSync(file, "utf8").matchAll(/\bAffiant\.([A-Z][A-Za-z]*)\b/g)) {
      const name = `Affiant.${m[1]}`;
      found.set(name, [...(found.get(name) ?? []), path.relative(root, file)]);
    }
  }
  return found;
}

test("each error class core/errors.ts exports has its own name", () => {
  const affiant = Object.values(errors)
    .filter((v) => typeof v === "function" && (v as { prototype?: unknown }).prototype instanceof errors.AffiantError)
    .map((C) => new (C as unknown as new (m: string) => Error)("m").name);
  assert.ok(affiant.length > 30, `${affiant.length} Affiant error classes`);
  assert.equal(new Set(affiant).size, affiant.length, `a name given to two classes: ${affiant.join(", ")}`);
  for (const name of affiant) assert.match(name, /^Affiant\.[A-Z][A-Za-z]+$/);
  assert.equal(new errors.CircuitOpenError("m").name, "Affiant.CircuitOpen");
  assert.ok(new errors.CaseIncompleteError("m") instanceof errors.InvalidInputError, "a case not complete yet is bad input (a 4xx)");
});

test("every Affiant.* name the state machine's Catch and Retry match on, or raises, is a class in core/errors.ts", () => {
  const names = exportedErrorNames();
  const definition = buildDefinition({ registry: loadRegistry() });
  const used = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "ErrorEquals") for (const e of value as string[]) used.add(e);
      else if (key === "Error" && typeof value === "string") used.add(value);
      else walk(value);
    }
  };
  walk(definition);
  const affiant = [...used].filter((n) => n.startsWith("Affiant."));
  assert.ok(affiant.includes("Affiant.CircuitOpen") && affiant.includes("Affiant.FallbackFailed"), `found ${affiant.join(", ")}`);
  const missing = affiant.filter((n) => !names.has(n));
  assert.deepEqual(missing, [], `names the definition uses with no class in core/errors.ts: ${missing.join(", ")}`);
});

test("every Affiant.* name anywhere in the code is a class in core/errors.ts", () => {
  const names = exportedErrorNames();
  const found = namesInCode();
  assert.ok(found.size > 20, `found ${found.size} names`);
  const missing = [...found].filter(([n]) => !names.has(n)).map(([n, files]) => `${n} (${[...new Set(files)].join(", ")})`);
  assert.deepEqual(missing, [], `Affiant.* names with no class in core/errors.ts:\n${missing.join("\n")}`);
});

test("no error class is defined outside core/errors.ts", () => {
  const dirs = ["core", "functions", "containers", "workflows", "api", "cli", "infra", "bin"].map((d) => path.join(root, d));
  const outside = dirs
    .flatMap((d) => sourceFiles(d))
    .filter((f) => path.relative(root, f) !== path.join("core", "errors.ts"))
    // The viewer's browser code is its own program (DOM only, no Node, no core/): its HTTP
    // error never reaches Step Functions, and it cannot import core/errors.ts.
    .filter((f) => !path.relative(root, f).startsWith(path.join("api", "viewer", "browser") + path.sep))
    .filter((f) => /\bclass\s+\w+\s+extends\s+(\w*Error)\b/.test(readFileSync(f, "utf8")))
    .map((f) => path.relative(root, f));
  assert.deepEqual(outside, []);
});

/** The Affiant error classes core/errors.ts exports (the base class left out), by export. */
function affiantClasses(): [string, typeof errors.AffiantError][] {
  return Object.entries(errors).filter(
    (entry): entry is [string, typeof errors.AffiantError] =>
      typeof entry[1] === "function" && (entry[1] as { prototype?: unknown }).prototype instanceof errors.AffiantError,
  );
}

/** Source files git tracks outside test/ (the code that ships, the bench, the scripts), with their text. */
function trackedSources(): { file: string; text: string }[] {
  return execFileSync("git", ["ls-files", "*.ts", "*.mts", "*.js", "*.mjs", "*.cjs"], { cwd: root, encoding: "utf8" })
    .split("\n")
    .filter((f) => f && !f.startsWith("test/"))
    .map((file) => ({ file, text: readFileSync(path.join(root, file), "utf8") }));
}

test("no Affiant.* name is written out as a string outside core/errors.ts: code takes it from the class", () => {
  const sources = trackedSources();
  assert.ok(
    sources.some((s) => s.file === "workflows/definition.ts") && sources.some((s) => s.file.endsWith(".mjs")),
    "the scan sees .ts and .mjs files",
  );
  const literal = /["'`]Affiant\.[A-Z][A-Za-z]+["'`]/g;
  const found = sources
    .filter((s) => s.file !== "core/errors.ts")
    .flatMap((s) => [...s.text.matchAll(literal)].map((m) => `${s.file}: ${m[0]}`));
  assert.deepEqual(found, [], `error names written out (use X.errorName or instanceof):\n${found.join("\n")}`);
});

test("each error class carries its name and an HTTP status, and the API answers with it", () => {
  for (const [exported, C] of affiantClasses()) {
    assert.equal(new C("m").name, C.errorName, `${exported}: an instance's name is its class's errorName`);
    assert.ok(Number.isInteger(C.status) && C.status >= 400 && C.status <= 599, `${exported}: status ${C.status}`);
  }
  assert.equal(errorStatus(new errors.InvalidInputError("m")), 400);
  assert.equal(errorStatus(new errors.CaseIncompleteError("m")), 409, "a subclass answers with its own status");
  assert.equal(errorStatus(new errors.NotFoundError("m")), 404);
  assert.equal(errorStatus(new errors.ContextTooLargeError("m")), 500, "an error that is not the caller's is a 500");
  assert.equal(errorStatus(Object.assign(new Error("m"), { name: errors.NotFoundError.errorName })), 500, "a name alone is not a class");
});

test("every error class is raised somewhere: constructed, or its name given to a failure", () => {
  const sources = trackedSources().filter(
    (s) => s.file !== "core/errors.ts" && /^(api|cli|core|functions|containers|workflows|infra|bin)\//.test(s.file),
  );
  const unused = affiantClasses()
    .map(([exported]) => exported)
    .filter((exported) => {
      const raised = new RegExp(
        // new X(…); error: X.errorName / error = X.errorName (a failure recorded or sent); Error: X.errorName
        // (a Fail state of the definition); new StatesError(X.errorName, …) (the local engine's failure).
        `new ${exported}\\(|\\b(error|Error)\\s*[:=]\\s*(\\$\\{JSON\\.stringify\\()?${exported}\\.errorName|new StatesError\\(${exported}\\.errorName`,
      );
      return !sources.some((s) => raised.test(s.text));
    });
  assert.deepEqual(
    unused,
    [],
    `error classes nothing raises (delete them, or raise them where their condition happens): ${unused.join(", ")}`,
  );
});
