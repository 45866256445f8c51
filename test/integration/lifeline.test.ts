/**
 * The worker's exit and its process-wide watchdog (containers/llama-worker/lifeline.ts), in
 * real child processes: a libuv pool thread really blocked (open() of a FIFO nobody writes),
 * a main thread really blocked (a futex wait), and the real SDK sending SendTaskFailure to
 * a local HTTP endpoint that records it.
 */

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const lifeline = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../containers/llama-worker/lifeline.ts");

function fifo(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "affiant-fifo-")), "fifo");
  execFileSync("mkfifo", [file]);
  return file;
}

/** Runs `body` as an ES module with the lifeline imported; resolves with how it ended. */
function runScript(body: string, env: Record<string, string> = {}, killAfterMs = 20_000) {
  const source = `import { exitWithin, killSelf, Lifeline } from ${JSON.stringify(lifeline)};\nimport { capped } from ${JSON.stringify(path.resolve(path.dirname(lifeline), "../../core/capped.ts"))};\nimport fs from "node:fs";\n${body}`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const started = Date.now();
  const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; stderr: string; killedByTest: boolean }>((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: Date.now() - started, stderr, killedByTest: Date.now() - started >= killAfterMs });
    }),
  );
}

async function sfnEndpoint() {
  const calls: Array<{ target: string; body: Record<string, string> }> = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      calls.push({ target: String(req.headers["x-amz-target"]), body: JSON.parse(raw || "{}") });
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { calls, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

const awsEnv = { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "AKIDLOCALTEST", AWS_SECRET_ACCESS_KEY: "local-test-secret" };

test("with a libuv pool thread blocked, process.exit never ends the process; killSelf after a capped report does", async () => {
  const blocked = `fs.open(${JSON.stringify(fifo())}, "r", () => {});\n`;
  const exitHangs = await runScript(`${blocked}setTimeout(() => process.exit(1), 100);`, {}, 4000);
  assert.equal(exitHangs.killedByTest, true, "process.exit returned with a blocked pool thread: the premise of killSelf is gone");
  // The failure report never answers here: the cap, not the report, decides when the process goes.
  const killed = await runScript(
    `${blocked}setTimeout(async () => { await capped(new Promise(() => {}), 300); killSelf(); }, 100);`,
    {},
    15_000,
  );
  assert.equal(killed.killedByTest, false, `still alive after 15 s: ${killed.stderr}`);
  assert.equal(killed.signal, "SIGKILL");
});

test("the lifeline kills a process whose main thread is stuck in native code, after a best-effort SendTaskFailure", async () => {
  const sfn = await sfnEndpoint();
  try {
    const r = await runScript(
      `new Lifeline({ stage: "ExtractFacts", heartbeatSeconds: 1, graceSeconds: 0.5, task: { token: "token-xyz", endpoint: ${JSON.stringify(sfn.url)} } });
       fs.open(${JSON.stringify(fifo())}, "r", () => {});
       setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0), 50);`,
      awsEnv,
    );
    assert.equal(r.killedByTest, false, `the stuck process outlived the test's limit: ${r.stderr}`);
    assert.equal(r.signal, "SIGKILL");
    const failure = sfn.calls.find((c) => c.target === "AWSStepFunctions.SendTaskFailure");
    assert.ok(failure, `no SendTaskFailure in ${sfn.calls.map((c) => c.target)}`);
    assert.equal(failure.body.taskToken, "token-xyz");
    assert.equal(failure.body.error, "Affiant.WorkerStalled");
    assert.match(failure.body.cause!, /no progress of any kind for \d+\.\d s/);
    assert.match(r.stderr, /"event":"worker.lifeline"/);
  } finally {
    await sfn.close();
  }
});

test("progress keeps the lifeline quiet; the state's deadline still kills, with Affiant.DeadlineReached", async () => {
  const sfn = await sfnEndpoint();
  try {
    // Progress every 100 ms (well inside the 1 s heartbeat): only the deadline can end it.
    const r = await runScript(
      `const line = new Lifeline({ stage: "JudgeTone", heartbeatSeconds: 1, graceSeconds: 0.5, deadlineAt: Date.now() + 2500, task: { token: "token-dl", endpoint: ${JSON.stringify(sfn.url)} } });
       setInterval(() => line.progress(), 100);`,
      awsEnv,
    );
    assert.equal(r.signal, "SIGKILL");
    const failures = sfn.calls.filter((c) => c.target === "AWSStepFunctions.SendTaskFailure");
    assert.deepEqual(
      failures.map((c) => c.body.error),
      ["Affiant.DeadlineReached"],
    );
    assert.ok(r.ms >= 2500, `killed after ${r.ms} ms, before its deadline`);
  } finally {
    await sfn.close();
  }
});

test("a worker that answered exits with its code, and is killed if that exit hangs, with no failure reported", async () => {
  const sfn = await sfnEndpoint();
  try {
    const lifelineOn = `new Lifeline({ stage: "JudgeTone", heartbeatSeconds: 30, task: { token: "token-ok", endpoint: ${JSON.stringify(sfn.url)} } });`;
    // A clean exit gets a window a loaded machine cannot miss; the stuck exit below keeps 300 ms.
    const clean = await runScript(`${lifelineOn}\nsetTimeout(() => exitWithin(0, 3000), 100);`, awsEnv);
    assert.equal(clean.code, 0, clean.stderr);
    const stuck = await runScript(
      `${lifelineOn}\nfs.open(${JSON.stringify(fifo())}, "r", () => {});\nsetTimeout(() => exitWithin(0, 300), 100);`,
      awsEnv,
    );
    assert.equal(stuck.killedByTest, false, stuck.stderr);
    assert.equal(stuck.signal, "SIGKILL");
    assert.match(stuck.stderr, /"event":"worker.exit_stuck"/);
    assert.deepEqual(sfn.calls, [], "an answered task gets no failure report");
  } finally {
    await sfn.close();
  }
});
