/**
 * One configuration module (core/config.ts): every environment variable is read through it,
 * parsed when read, and a bad value is an error naming the variable and the expected form,
 * never echoing a secret. (docs/configuration.md's table is checked in docs.test.ts.)
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { childEnv, config, setEnv, setting, settings } from "../../core/config.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

/**
 * Where the code is scanned: everything but the tests (they set up environments), the
 * dev tools included. The product reads through config(); children get childEnv(), and a
 * process changes its own environment with setEnv()/replaceEnv(), all in core/config.ts.
 */
const scanned = [
  "core",
  "functions",
  "containers",
  "workflows",
  "api",
  "cli",
  "infra",
  "bin",
  "sst.config.ts",
  "bench",
  "rehearsal",
  "examples",
  "scripts",
  "types",
];
/** Files that may name process.env at all. */
const allowed = new Map([
  ["core/config.ts", "the one module that reads and writes it"],
  ["scripts/run-tests.js", "the test runner: plain Node before TypeScript loads, it adds the run's temp folder to the tests' environment"],
]);

function files(rel: string): string[] {
  const abs = path.join(root, rel);
  if (statSync(abs).isFile()) return [rel];
  return readdirSync(abs, { withFileTypes: true }).flatMap((d) =>
    d.name === "node_modules"
      ? []
      : d.isDirectory()
        ? files(path.join(rel, d.name))
        : /\.(ts|mts|mjs|js)$/.test(d.name)
          ? [path.join(rel, d.name)]
          : [],
  );
}

/** Every use of process.env, read or write, a copy or the whole object passed on; comments skipped. */
export function envUses(source: string): string[] {
  const out: string[] = [];
  source.split("\n").forEach((line, i) => {
    if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
    for (const m of line.matchAll(/process\.env\b(\.[A-Za-z_]\w*|\[[^\]]*\])?/g)) out.push(`${i + 1}: ${m[0]}`);
  });
  return out;
}

test("process.env is touched only in core/config.ts (and the allow-list)", () => {
  assert.deepEqual(
    envUses(
      "const a = process.env.FOO;\nprocess.env.BAR = '1';\n// process.env.NOT in a comment\ndelete process.env[k];\nconst env = { ...process.env, A: '1' };\nrun(opts, process.env);",
    ),
    ["1: process.env.FOO", "2: process.env.BAR", "4: process.env[k]", "5: process.env", "6: process.env"],
    "the scanner itself: reads, writes, copies and the whole object passed on all count; comments do not",
  );
  const offenders = scanned
    .flatMap(files)
    .filter((f) => !allowed.has(f))
    .flatMap((f) => envUses(readFileSync(path.join(root, f), "utf8")).map((r) => `${f}:${r}`));
  assert.deepEqual(
    offenders,
    [],
    `go through core/config.ts (config(), childEnv(), setEnv(), replaceEnv(), hostPath()):\n${offenders.join("\n")}`,
  );
  for (const f of [...allowed.keys()].filter((f) => f !== "core/config.ts"))
    assert.ok(envUses(readFileSync(path.join(root, f), "utf8")).length > 0, `${f} no longer uses process.env: take it off the allow-list`);
});

test("childEnv copies this environment with overrides (undefined removes); setEnv scopes a change and restores it", () => {
  const key = "AFFIANT_CONFIG_TEST_PROBE";
  const restore = setEnv({ [key]: "one" });
  try {
    assert.equal(config().AFFIANT_HOME, config().AFFIANT_HOME, "reads still work");
    assert.equal(childEnv()[key], "one", "a child sees what this process set");
    assert.equal(childEnv({ [key]: "two" })[key], "two", "an override wins");
    assert.ok(!(key in childEnv({ [key]: undefined })), "an undefined override removes the variable");
    const inner = setEnv({ [key]: undefined });
    assert.ok(!(key in childEnv()), "setEnv with undefined removes it");
    inner();
    assert.equal(childEnv()[key], "one", "the inner restore puts back the outer value");
  } finally {
    restore();
  }
  assert.ok(!(key in childEnv()), "the outer restore removes what was not there before");
});

test("every AFFIANT_ variable the code names is in the table", () => {
  const named = new Set(
    scanned.flatMap(files).flatMap((f) => readFileSync(path.join(root, f), "utf8").match(/\bAFFIANT_[A-Z0-9_]+\b/g) ?? []),
  );
  const missing = [...named].filter((n) => !(n in settings));
  assert.deepEqual(missing, [], "variables the code names but core/config.ts does not describe");
});

test("read when used: a change to the environment between calls is seen", () => {
  const env: Record<string, string | undefined> = { AFFIANT_THREADS: "3" };
  const c = config(env);
  assert.equal(c.AFFIANT_THREADS, 3);
  env.AFFIANT_THREADS = "5";
  assert.equal(c.AFFIANT_THREADS, 5);
  delete env.AFFIANT_THREADS;
  assert.equal(c.AFFIANT_THREADS, undefined);
  env.AFFIANT_THREADS = "";
  assert.equal(c.AFFIANT_THREADS, undefined, "empty counts as unset");
  const saved = process.env.AFFIANT_WARM_WORKERS;
  try {
    process.env.AFFIANT_WARM_WORKERS = "0";
    assert.equal(config().AFFIANT_WARM_WORKERS, "0");
    process.env.AFFIANT_WARM_WORKERS = "1";
    assert.equal(config().AFFIANT_WARM_WORKERS, "1");
  } finally {
    if (saved === undefined) delete process.env.AFFIANT_WARM_WORKERS;
    else process.env.AFFIANT_WARM_WORKERS = saved;
  }
  // A bad value elsewhere does not fail an unrelated read.
  assert.equal(config({ AFFIANT_THREADS: "many", AFFIANT_OCR: "Tesseract " }).AFFIANT_OCR, "tesseract");
});

test("a bad value names the variable, what it got and the expected form; a secret's value is never shown", () => {
  const bad = (env: Record<string, string>, key: keyof typeof settings) => {
    try {
      setting(key, env);
    } catch (err) {
      assert.equal((err as Error).name, "Affiant.InvalidInput");
      return (err as Error).message;
    }
    assert.fail(`${key}=${env[key]} was accepted`);
  };
  assert.match(
    bad({ AFFIANT_THREADS: "0" }, "AFFIANT_THREADS"),
    /^AFFIANT_THREADS must be a whole number of threads, at least 1 \(got "0"\)/,
  );
  assert.match(
    bad({ AFFIANT_BACKFILL_MAX_RUNNING: "four" }, "AFFIANT_BACKFILL_MAX_RUNNING"),
    /^AFFIANT_BACKFILL_MAX_RUNNING must be a positive whole number \(got "four"\)/,
  );
  assert.match(bad({ AFFIANT_COMPREHEND_MIN_SCORE: "1.5" }, "AFFIANT_COMPREHEND_MIN_SCORE"), /must be a number from 0 to 1/);
  assert.match(
    bad({ AFFIANT_SFN_ENDPOINT: "localhost:8787" }, "AFFIANT_SFN_ENDPOINT"),
    /^AFFIANT_SFN_ENDPOINT must be an http\(s\) URL \(got "localhost:8787"\)/,
  );
  assert.match(bad({ AFFIANT_AZ_COUNT: "9" }, "AFFIANT_AZ_COUNT"), /from 1 to 6/);
  const message = bad({ AFFIANT_API_TOKEN: "s3cr3t-but-short" }, "AFFIANT_API_TOKEN");
  assert.ok(!message.includes("s3cr3t"), message);
  assert.match(message, /^AFFIANT_API_TOKEN must be at least 24 characters .*\(got a value of 16 characters, not shown\)/);
  for (const key of ["OPENROUTER_API_KEY", "AFFIANT_API_TOKEN", "AFFIANT_TASK_TOKEN", "AWS_ACCESS_KEY_ID"] as const)
    assert.equal(settings[key].secret, true, key);
});

test("childEnv is an allow-list: never the API token; provider keys only for a provider's caller; AWS credentials only with the S3 store; the basics alone for an untrusted child", () => {
  const restore = setEnv({
    AFFIANT_API_TOKEN: "t".repeat(32),
    OPENROUTER_API_KEY: "sk-or-x",
    AWS_ACCESS_KEY_ID: "AKIDX",
    AWS_SECRET_ACCESS_KEY: "s",
    AWS_REGION: "us-east-1",
    AFFIANT_BUCKET: undefined,
    UNRELATED_SECRET: "u",
    LC_ALL: "C.UTF-8",
    NODE_OPTIONS: "--no-warnings",
  });
  try {
    const worker = childEnv({ AFFIANT_STAGE: "X" });
    for (const k of ["AFFIANT_API_TOKEN", "OPENROUTER_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "UNRELATED_SECRET"])
      assert.ok(!(k in worker), k);
    for (const k of ["PATH", "LC_ALL", "NODE_OPTIONS", "AWS_REGION", "AFFIANT_STAGE"]) assert.ok(k in worker, k);
    const caller = childEnv({}, { provider: true });
    assert.equal(caller.OPENROUTER_API_KEY, "sk-or-x");
    assert.equal(caller.AWS_SECRET_ACCESS_KEY, "s");
    assert.ok(!("AFFIANT_API_TOKEN" in caller));
    const inner = setEnv({ AFFIANT_BUCKET: "b" });
    assert.equal(childEnv().AWS_SECRET_ACCESS_KEY, "s", "a child reading the S3 store gets the credentials");
    assert.ok(!("OPENROUTER_API_KEY" in childEnv()));
    inner();
    const reader = childEnv({}, { untrusted: true });
    assert.deepEqual(
      Object.keys(reader).filter((k) => /^(AFFIANT_|AWS_|OPENROUTER)/.test(k)),
      [],
    );
    assert.ok(reader.PATH);
    assert.equal(childEnv({ AFFIANT_API_TOKEN: "" }).AFFIANT_API_TOKEN, "", "what the caller passes is the caller's choice");
  } finally {
    restore();
  }
});
