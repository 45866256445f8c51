/** Routing that learns (circuit breaker per model) and the cost of every case. */

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { DynamoDBClient, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import Database from "better-sqlite3";
import { admit, circuitOpenReason, countsAgainstModel } from "../../core/breaker.ts";
import { DynamoRoutingStore, SqliteRoutingStore } from "../../core/routing-store.ts";
import { stageModules } from "../../core/stages/index.ts";
import { makeTestHome, runCli, samples } from "../helpers.ts";

const policy = { failureRate: 0.5, minSamples: 3, window: 10, cooldownSeconds: 300 };

test("the breaker opens on a high recent failure rate, never on too few samples, and probes after a cooldown", async () => {
  const { home } = makeTestHome();
  const store = new SqliteRoutingStore(path.join(home, "affiant.db"));
  await store.record("m", "DraftDeclaration", "Affiant.GenerationStalled");
  await store.record("m", "DraftDeclaration", "States.HeartbeatTimeout");
  assert.equal((await store.health("m", policy)).open, false, "two samples are too few");
  await store.record("m", "JudgeTone", null);
  await store.record("m", "JudgeTone", "Affiant.WorkerCrashed");
  const h = await store.health("m", policy);
  assert.deepEqual(
    { samples: h.samples, failures: h.failures, stalls: h.stalls, open: h.open },
    { samples: 4, failures: 3, stalls: 2, open: true },
  );
  const cooled = { ...policy, cooldownSeconds: 0 };
  assert.deepEqual(
    [(await store.health("m", cooled)).open, (await store.health("m", cooled)).probeDue],
    [false, true],
    "after the cooldown one run may probe",
  );
  await store.record("m", "JudgeTone", null);
  assert.equal((await store.health("m", policy)).open, false, "a probe that succeeded closes the circuit");
  await store.record("m", "JudgeTone", "Affiant.GenerationRunaway");
  assert.equal((await store.health("m", policy)).open, true, "the next failure opens it again");
  for (let i = 0; i < 10; i++) await store.record("m", "JudgeTone", null);
  assert.equal((await store.health("m", policy)).open, false, "recovers once recent runs succeed");
  assert.equal((await store.health("other", policy)).samples, 0);
  store.dispose();
  store.dispose();
});

test("after the cooldown exactly one run probes: two engines (two connections) ask at once, one wins; input errors never count", async () => {
  const { home } = makeTestHome();
  const file = path.join(home, "affiant.db");
  const a = new SqliteRoutingStore(file);
  const b = new SqliteRoutingStore(file);
  for (let i = 0; i < 5; i++) await a.record("m", "JudgeTone", "Affiant.WorkerStalled");
  const cooled = { ...policy, cooldownSeconds: 0.2 };
  assert.equal((await admit(a, "m", cooled)).admitted, false, "open within the cooldown");
  await new Promise((r) => setTimeout(r, 250));
  const verdicts = await Promise.all([admit(a, "m", cooled), admit(b, "m", cooled), admit(a, "m", cooled)]);
  assert.deepEqual(verdicts.map((v) => v.admitted).sort(), [false, false, true], "exactly one probe");
  assert.equal(verdicts.filter((v) => v.probe).length, 1);
  assert.match(circuitOpenReason("m", verdicts.find((v) => !v.admitted)!), /another run is probing it/);
  // A probe that never reports frees its claim after another cooldown.
  await new Promise((r) => setTimeout(r, 250));
  assert.equal((await admit(b, "m", cooled)).probe, true);
  for (const e of ["Affiant.ContextTooLarge", "Affiant.InvalidInput", "Affiant.CircuitOpen", "States.Aborted"])
    assert.equal(countsAgainstModel(e), false, e);
  for (const e of [
    "States.HeartbeatTimeout",
    "States.Timeout",
    "Affiant.WorkerStalled",
    "Affiant.GenerationStalled",
    "Affiant.WorkerCrashed",
    "Affiant.GenerationRunaway",
  ])
    assert.equal(countsAgainstModel(e), true, e);
  a.dispose();
  b.dispose();
});

test("a model with an open circuit is skipped ahead of time; each stage's fallback says why; the case's cost is reported", async () => {
  const { home, registry, env } = makeTestHome();
  // Price the local host at $3.60 a GPU-hour (a tenth of a cent per second) so cost is visible.
  const r = JSON.parse((await import("node:fs")).readFileSync(registry, "utf8"));
  r.pricing = { gpuHourUsd: { local: 3.6 }, hosted: {} };
  (await import("node:fs")).writeFileSync(registry, JSON.stringify(r));
  const store = new SqliteRoutingStore(path.join(home, "affiant.db"));
  for (let i = 0; i < 5; i++) await store.record("stories-260k", "DraftDeclaration", "Affiant.GenerationStalled");
  store.dispose();

  const cli = await runCli(["run", samples.vawa, "--approve", "--json"], env);
  assert.equal(cli.code, 0, cli.stderr);
  const summary = JSON.parse(cli.stdout) as {
    executionId: string;
    output: { costUsd: number };
    states: Array<{
      name: string;
      status: string;
      error?: string;
      cause?: string;
      fallbackReason: string | null;
      model: string | null;
      costUsd: number | null;
      startedAt: string;
      endedAt: string;
    }>;
  };
  for (const stage of stageModules.filter((m) => m.phase === "prepare" || m.phase === "judge").map((m) => m.name)) {
    // Refused by its Admit state: the GPU stage itself never started.
    assert.equal(
      summary.states.find((s) => s.name === stage),
      undefined,
      `${stage} ran`,
    );
    const primary = summary.states.find((s) => s.name === `${stage}Admit`)!;
    assert.equal(primary.error, "Affiant.CircuitOpen", stage);
    assert.match(primary.cause!, /circuit open: \d+ of the last \d+ runs of stories-260k failed/);
    assert.ok(Date.parse(primary.endedAt) - Date.parse(primary.startedAt) < 1000, `${stage} was skipped, not run`);
    const fallback = summary.states.find((s) => s.name === `${stage}Fallback`)!;
    assert.equal(fallback.fallbackReason, "Affiant.CircuitOpen");
    assert.equal(fallback.model, "stories-260k-greedy");
    assert.ok(fallback.costUsd! > 0, `${stage}Fallback has a cost`);
  }
  const stageCosts = summary.states.reduce((n, s) => n + (s.costUsd ?? 0), 0);
  assert.ok(
    Math.abs(summary.output.costUsd - stageCosts) < 1e-5,
    `case cost ${summary.output.costUsd} is the sum of its stages ${stageCosts}`,
  );
  assert.match(cli.stderr, /cost: \$0\.\d{4}/);

  const db = new Database(path.join(home, "affiant.db"), { readonly: true });
  const greedy = db.prepare("SELECT COUNT(*) AS n FROM model_outcomes WHERE model = 'stories-260k-greedy' AND ok = 1").get() as {
    n: number;
  };
  assert.equal(greedy.n, 5, "the fallback model's successes are recorded too");
  const refusals = db.prepare("SELECT COUNT(*) AS n FROM model_outcomes WHERE error = 'Affiant.CircuitOpen'").get() as { n: number };
  assert.equal(refusals.n, 0, "an open circuit's refusal is not counted against the model");
  db.close();
});

test("in AWS the outcomes live in DynamoDB, newest first, with a TTL", async () => {
  const ddb = mockClient(DynamoDBClient);
  const now = Date.now();
  const item = (ok: boolean, error: string | null, ago: number) => ({
    ok: { BOOL: ok },
    at: { S: new Date(now - ago).toISOString() },
    ...(error ? { error: { S: error } } : {}),
  });
  ddb.on(QueryCommand).resolves({
    Items: [
      item(false, "States.HeartbeatTimeout", 1000),
      item(false, "Affiant.GenerationStalled", 2000),
      item(false, "Affiant.WorkerCrashed", 3000),
      item(true, null, 4000),
    ],
  });
  ddb.on(PutItemCommand).resolves({});
  const store = new DynamoRoutingStore("affiant-routing", new DynamoDBClient({ region: "us-east-1" }));
  const h = await store.health("qwen3-32b", policy);
  assert.deepEqual(
    { samples: h.samples, failures: h.failures, stalls: h.stalls, open: h.open },
    { samples: 4, failures: 3, stalls: 2, open: true },
  );
  const query = ddb.commandCalls(QueryCommand)[0]!.args[0].input;
  assert.equal(query.TableName, "affiant-routing");
  assert.equal(query.ScanIndexForward, false);
  assert.equal(query.Limit, policy.window);
  assert.deepEqual(query.ExpressionAttributeValues, { ":m": { S: "qwen3-32b" } });
  await store.record("qwen3-32b", "JudgeTone", "Affiant.GenerationRunaway");
  const put = ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item!;
  assert.equal(put.model!.S, "qwen3-32b");
  assert.equal(put.ok!.BOOL, false);
  assert.equal(put.error!.S, "Affiant.GenerationRunaway");
  assert.ok(Number(put.expiresAt!.N) > now / 1000);
  // The half-open probe is a conditional write in its own partition: the first caller wins.
  ddb
    .on(PutItemCommand, { Item: { model: { S: "probe#qwen3-32b" } } } as never)
    .rejectsOnce(Object.assign(new Error("The conditional request failed"), { name: "ConditionalCheckFailedException" }));
  assert.equal(await store.claimProbe("qwen3-32b", 300_000), false, "someone else holds the probe");
  assert.equal(await store.claimProbe("qwen3-32b", 300_000), true);
  const claim = ddb.commandCalls(PutItemCommand).at(-1)!.args[0].input;
  assert.equal(claim.Item!.model!.S, "probe#qwen3-32b");
  assert.equal(claim.ConditionExpression, "attribute_not_exists(seq) OR claimedAt <= :stale");
  assert.ok(Number(claim.ExpressionAttributeValues![":stale"]!.N) <= now - 300_000 + 60_000);
  store.dispose();
  ddb.restore();
});
