/**
 * `affiant backfill`: idempotent per case and pipeline version, bounded concurrency, and
 * resumable after the backfill process itself is killed mid-run (kill -9). And the nightly
 * (scheduled) backfill's choice of cases, against the SDK's own Step Functions client on
 * aws-sdk-client-mock.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import Database from "better-sqlite3";
import { scheduledBackfill } from "../../api/backfill-lambda.ts";
import { LocalBlobStore } from "../../core/blob-store.ts";
import { caseKeys } from "../../core/case-file.ts";
import { DocumentUnreadableError } from "../../core/errors.ts";
import { executionNameFor } from "../../core/execution-name.ts";
import { pipelineVersion } from "../../core/pipeline-state.ts";
import { copyCase, makeTestHome, patientStages, root, runCli, samples, waitFor } from "../helpers.ts";

interface Summary {
  cases: number;
  started: number;
  succeeded: number;
  failed: number;
  skippedDone: number;
  invalid: number;
  concurrency: number;
  results: Array<{ folder: string; caseId: string | null; outcome: string; executionId?: string; error?: string }>;
}

test("backfill survives its own crash: orphaned runs are marked ABORTED and retried, done cases are skipped", async () => {
  const { home, env } = makeTestHome({ stages: patientStages });
  const dir = path.join(home, "cases");
  mkdirSync(dir);
  copyCase(samples.vawa, path.join(dir, "a-vawa"));
  copyCase(samples.tvisa, path.join(dir, "b-tvisa"));
  mkdirSync(path.join(dir, "c-broken"));
  writeFileSync(path.join(dir, "c-broken", "case.json"), JSON.stringify({ caseId: "broken", caseType: "VAWA" }));

  // First backfill: killed with SIGKILL while both cases are running.
  const first = spawn(process.execPath, [path.join(root, "bin/affiant.js"), "backfill", dir, "--concurrency", "2"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: "ignore",
  });
  const dbPath = path.join(home, "affiant.db");
  await waitFor(
    "two executions running",
    async () => {
      try {
        const db = new Database(dbPath, { readonly: true, fileMustExist: true });
        try {
          const rows = db.prepare(`SELECT id FROM executions WHERE status = 'RUNNING'`).all();
          return rows.length === 2 ? rows : undefined;
        } finally {
          db.close();
        }
      } catch {
        return undefined;
      }
    },
    120_000,
    200,
  );
  first.kill("SIGKILL");
  await new Promise((r) => first.once("exit", r));

  // Second backfill: resumes. The crashed attempts are recorded ABORTED, new attempts run.
  const second = await runCli(["backfill", dir, "--concurrency", "2", "--json"], env, { timeoutMs: 600_000 });
  assert.equal(second.code, 1, "the broken folder makes the backfill exit non-zero");
  const summary = JSON.parse(second.stdout) as Summary;
  assert.equal(summary.cases, 3);
  assert.equal(summary.concurrency, 2);
  assert.equal(summary.succeeded, 2, second.stderr);
  assert.equal(summary.invalid, 1);
  const broken = summary.results.find((r) => r.outcome === "invalid")!;
  assert.match(broken.folder, /c-broken$/);
  assert.match(broken.error!, /declarant/);
  for (const r of summary.results.filter((r) => r.outcome === "succeeded"))
    assert.match(r.executionId!, /-p\d+-a2$/, "the retry is attempt 2");
  assert.match(second.stderr, /backfill: 3 case\(s\): 2 succeeded, 0 failed, 0 already done/);

  const db = new Database(dbPath, { readonly: true });
  const rows = db.prepare(`SELECT id, status, error FROM executions ORDER BY id`).all() as Array<{
    id: string;
    status: string;
    error: string | null;
  }>;
  db.close();
  const aborted = rows.filter((r) => r.status === "ABORTED");
  assert.equal(aborted.length, 2, JSON.stringify(rows));
  for (const r of aborted) {
    assert.match(r.id, /-p\d+$/);
    assert.equal(r.error, "Affiant.Interrupted");
  }
  assert.equal(rows.filter((r) => r.status === "RUNNING").length, 0);

  // Third backfill, the broken folder fixed by removing it: nothing left to do.
  rmSync(path.join(dir, "c-broken"), { recursive: true });
  const third = await runCli(["backfill", dir, "--json"], env, { timeoutMs: 120_000 });
  assert.equal(third.code, 0, third.stderr);
  const done = JSON.parse(third.stdout) as Summary;
  assert.deepEqual([done.started, done.skippedDone], [0, 2]);
});

test("backfill refuses a folder with no cases and a bad concurrency, naming them", async () => {
  const { home, env } = makeTestHome();
  const empty = path.join(home, "empty");
  mkdirSync(empty);
  const none = await runCli(["backfill", empty], env, { timeoutMs: 60_000 });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no case folders \(with a case\.json\) under .*empty/);
  const bad = await runCli(["backfill", samples.vawa, "--concurrency", "0"], env, { timeoutMs: 60_000 });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--concurrency 0: an integer from 1 to 16/);
  const missing = await runCli(["backfill", path.join(home, "nope")], env, { timeoutMs: 60_000 });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not a folder: .*nope/);
});

test("the nightly backfill records a case out of attempts and one that failed on its input, and still starts the cases after them", async () => {
  const { home } = makeTestHome();
  const store = new LocalBlobStore(path.join(home, "blobs"));
  const cases = ["a-exhausted", "b-encrypted", "c-timed-out", "d-new"];
  for (const caseId of cases) {
    await store.put(caseKeys.caseJson(caseId), JSON.stringify({ caseId }));
    await store.put(`${caseKeys.documents(caseId)}/statement.pdf`, "%PDF-1.7");
  }
  const arn = "arn:aws:states:us-east-1:000000000000:stateMachine:affiant";
  const name = (caseId: string, attempt: number) => executionNameFor(caseId, pipelineVersion, attempt);
  // What Step Functions holds: 20 failed attempts; one failed on an encrypted PDF; one timed out once.
  const held = new Map<string, { status: string; error: string }>();
  for (let a = 1; a <= 20; a++) held.set(name("a-exhausted", a), { status: "FAILED", error: "States.Timeout" });
  held.set(name("b-encrypted", 1), { status: "FAILED", error: DocumentUnreadableError.errorName });
  held.set(name("c-timed-out", 1), { status: "FAILED", error: "States.Timeout" });
  const sfn = mockClient(SFNClient);
  try {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
      const found = held.get(input.executionArn.split(":").at(-1)!);
      if (!found) throw new ExecutionDoesNotExist({ message: input.executionArn, $metadata: {} });
      return { ...found, executionArn: input.executionArn };
    });
    sfn.on(StartExecutionCommand).resolves({});
    const result = await scheduledBackfill({ sfn: new SFNClient({ region: "us-east-1" }), stateMachineArn: arn, store, maxRunning: 10 });
    assert.deepEqual(
      { started: result.started, exhausted: result.exhausted, failedOnInput: result.failedOnInput, errors: result.errors },
      { started: 2, exhausted: 1, failedOnInput: 1, errors: 0 },
    );
    assert.deepEqual(
      sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name),
      [name("c-timed-out", 2), name("d-new", 1)],
      "the timed-out case's next attempt and the new case; never the encrypted one or the exhausted one",
    );
  } finally {
    sfn.restore();
  }
});
