/** Bad input: one clear line naming the problem and the path, exit 1, nothing marked succeeded. */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { runsListCommand } from "../../cli/runs-command.ts";
import { writePdf } from "../../workflows/samples/pdf-writer.ts";
import { copyCase, inProcess, makeTestHome, processesOf, root, runCli, samples } from "../helpers.ts";

async function noSuccessRecorded(env: Record<string, string>) {
  const listed = inProcess(env, () => runsListCommand({ json: true }));
  assert.equal(listed.code, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as Array<{ status: string }>;
  assert.equal(rows.filter((r) => r.status === "SUCCEEDED").length, 0);
  return rows;
}

function oneLine(stderr: string) {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  return lines[0]!;
}

test("a missing case folder is named", async () => {
  const { home, env } = makeTestHome();
  const missing = path.join(home, "no-such-case");
  const r = await runCli(["run", missing], env);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), new RegExp(`case folder not found: ${missing}`));
  assert.deepEqual(await noSuccessRecorded(env), []);
});

test("a folder without PDFs is named", async () => {
  const { home, env } = makeTestHome();
  const dir = path.join(home, "empty-case");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "case.json"), readFileSync(path.join(samples.vawa, "case.json")));
  const r = await runCli(["run", dir], env);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), new RegExp(`no PDF documents in ${dir}`));
  await noSuccessRecorded(env);
});

test("a missing, malformed or invalid case.json is named with the field", async () => {
  const { home, env } = makeTestHome();
  const dir = copyCase(samples.vawa, path.join(home, "case"));
  const caseJson = path.join(dir, "case.json");

  rmSync(caseJson);
  let r = await runCli(["run", dir], env);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), new RegExp(`missing case.json in ${dir}`));

  writeFileSync(caseJson, "{ nope");
  r = await runCli(["run", dir], env);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), new RegExp(`${caseJson}: not valid JSON`));

  writeFileSync(caseJson, JSON.stringify({ ...JSON.parse(readFileSync(path.join(samples.vawa, "case.json"), "utf8")), caseType: "U" }));
  r = await runCli(["run", dir], env);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), new RegExp(`${caseJson}: caseType: .*"VAWA"`));
  await noSuccessRecorded(env);
});

test("an unknown state or fault kind in --fault is refused before anything runs", async () => {
  const { env } = makeTestHome();
  let r = await runCli(["run", samples.vawa, "--fault", "Nonsense=stall"], env);
  assert.equal(r.code, 1);
  assert.match(
    oneLine(r.stderr),
    /--fault: faults\.Nonsense: Nonsense is not a GPU state \(GPU states: .*DraftDeclaration.*; fault kinds: stall, /,
  );
  r = await runCli(["run", samples.vawa, "--fault", "DraftDeclaration=explode"], env);
  assert.equal(r.code, 1);
  assert.match(
    oneLine(r.stderr),
    /--fault: faults\.DraftDeclaration: "explode" is not a fault kind \(GPU states: .*; fault kinds: stall, crash, oom, slow, loop, hang-native, slow-start, hang-load\)/,
  );
  assert.deepEqual(await noSuccessRecorded(env), []);
});

test("an encrypted PDF named after the client fails the execution at Extract, naming it [DOCUMENT_n]: its file name is nowhere in the cause, the history or the log", async () => {
  const { home, env } = makeTestHome();
  const dir = copyCase(samples.vawa, path.join(home, "case"));
  // A file name as offices write them: the client's name and A-number. First in the case's order.
  const clientFile = "elena-marsh-A204118337-medical.pdf";
  await writePdf(path.join(dir, clientFile), [["Sealed medical record."]], { userPassword: "secret" });
  const r = await runCli(["run", dir, "--approve", "--json"], env);
  assert.equal(r.code, 1);
  const summary = JSON.parse(r.stdout) as { status: string; error: string; cause: string; states: Array<{ name: string; status: string }> };
  assert.equal(summary.status, "FAILED");
  assert.equal(summary.error, "Affiant.DocumentUnreadable");
  assert.match(summary.cause, /\[DOCUMENT_\d+\]: the PDF is encrypted/);
  // Extract is the first state and the one that read the case, and failed: WarmUp, after it, asked for no GPU worker.
  assert.deepEqual(
    summary.states.map((s) => [s.name, s.status]),
    [["Extract", "FAILED"]],
  );
  assert.match(r.stderr, /failed state: Extract/);
  assert.match(r.stderr, /error: Affiant\.DocumentUnreadable/);
  const rows = await noSuccessRecorded(env);
  assert.deepEqual(
    rows.map((x) => x.status),
    ["FAILED"],
  );
  // Every table of the history database, the log, and what the CLI printed.
  const db = new Database(path.join(home, "affiant.db"), { readonly: true });
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>;
  const history = JSON.stringify(tables.map((t) => db.prepare(`SELECT * FROM "${t.name}"`).all()));
  db.close();
  assert.match(history, /\[DOCUMENT_\d+\]: the PDF is encrypted/, "the history holds the cause");
  const log = readFileSync(env.AFFIANT_LOG_FILE!, "utf8");
  for (const [where, text] of Object.entries({ history, log, stdout: r.stdout, stderr: r.stderr })) {
    assert.doesNotMatch(text, /A204118337|elena-marsh/i, `the file name is in the ${where}`);
  }
});

test("an interrupted run is recorded as ABORTED and leaves no worker behind", async () => {
  const { env } = makeTestHome({ stages: { DraftDeclaration: { watchdogSeconds: 120, heartbeatSeconds: 60 } } });
  const child = spawn(process.execPath, [path.join(root, "bin/affiant.js"), "run", samples.vawa, "--fault", "DraftDeclaration=stall"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  // Wait until the stalled stage is running, then interrupt as Ctrl-C would.
  const deadline = Date.now() + 120_000;
  while (!/→ DraftDeclaration/.test(stderr)) {
    assert.ok(Date.now() < deadline, `DraftDeclaration never started:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 1500));
  child.kill("SIGINT");
  const code = await new Promise<number | null>((r) => child.on("close", r));
  assert.equal(code, 130);
  const rows = JSON.parse(inProcess(env, () => runsListCommand({ json: true })).stdout) as Array<{ status: string; error: string }>;
  assert.deepEqual(
    rows.map((r) => [r.status, r.error]),
    [["ABORTED", "Affiant.Interrupted"]],
  );
  // This run's workers (its AFFIANT_HOME), not those of a test file running beside this one.
  const workers = processesOf(env.AFFIANT_HOME!, /llama-worker/);
  assert.deepEqual(workers, [], "no worker process survived the interrupt");
});
