/**
 * The review round trip as it runs in AWS, against `affiant serve`'s Step Functions endpoint
 * with the real @aws-sdk/client-sfn: the API Gateway side's review route (AwsExecutions)
 * reads the gate from the review store and answers AttorneyReview with SendTaskSuccess over
 * /sfn; the execution runs on in the serving engine. Bad decisions change nothing, a used
 * token is refused, and under `serve` a review that never comes expires on time.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import Database from "better-sqlite3";
import { createApp } from "../../api/app.ts";
import { AwsExecutions } from "../../api/aws-executions.ts";
import { getJson, LocalBlobStore } from "../../core/blob-store.ts";
import type { Draft } from "../../core/declaration.ts";
import { filingParagraphs } from "../../core/review-paragraphs.ts";
import { SqliteReviewStore } from "../../core/review-store.ts";
import type { ExecutionSummary } from "../../workflows/engine/summary.ts";
import { caseForm, makeTestHome, patientStages, type ServeHandle, samples, startServe, waitFor } from "../helpers.ts";

const token = "review-sfn-token-5c1e-88a0b2d4f6e1";
const machineArn = "arn:aws:states:us-east-1:000000000000:stateMachine:affiant";
const started: ServeHandle[] = [];

async function serveWithCase(extraEnv: Record<string, string> = {}) {
  const home = makeTestHome({ stages: patientStages });
  const env: Record<string, string> = { ...home.env, AFFIANT_API_TOKEN: token, ...extraEnv };
  const serve = await startServe(env);
  started.push(serve);
  const res = await fetch(`${serve.url}/cases`, {
    method: "POST",
    body: caseForm(samples.vawa),
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 201);
  const sfn = new SFNClient({
    endpoint: `${serve.url}/sfn`,
    region: "us-east-1",
    credentials: { accessKeyId: "affiant", secretAccessKey: token },
    // One retry, as the SDK makes for a transient network error: the server closes idle
    // kept-alive sockets while in-process Lambda states (Redact) hold its event loop, and the
    // client may send on one of them (ECONNRESET). Client errors (4xx) are never retried.
    maxAttempts: 2,
  });
  const reviews = new SqliteReviewStore(path.join(home.home, "affiant.db"));
  // The API Gateway function's executions and app, as api/lambda.ts builds them.
  const aws = new AwsExecutions({ sfn, stateMachineArn: machineArn, store: new LocalBlobStore(path.join(home.home, "blobs")), reviews });
  const app = createApp({ executions: aws, auth: { kind: "iam" } });
  return { home: home.home, env, serve, sfn, aws, app, reviews };
}

after(async () => {
  for (const s of started) await s.stop();
});

test("the review API answers AttorneyReview with SendTaskSuccess over /sfn: bad decisions refused, changes then approve, a used token refused", async () => {
  const { home, env, sfn, aws, app, reviews } = await serveWithCase();
  const run = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: machineArn, name: "review-sdk-1", input: JSON.stringify({ caseId: "vawa-sample-0001" }) }),
  );
  const waitGate = (round: number) =>
    waitFor(`review-sdk-1 to wait in AttorneyReview (round ${round})`, async () => {
      const s = await aws.describeExecution("review-sdk-1");
      if (s?.status !== "RUNNING") return s;
      return s.review?.round === round ? s : undefined;
    });
  const waiting = (await waitGate(0)) as ExecutionSummary;
  assert.equal(waiting.waitingFor, "AttorneyReview", `${waiting.status}: ${waiting.error}`);
  const review = async (id: string, body: unknown) => {
    const res = await app.request(`/executions/${id}/review`, {
      method: "POST",
      headers: { "content-type": "application/json", host: "api.example.com" },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  const refused = async (r: { status: number; json: any }, status: number, name: string, message: RegExp) => {
    assert.equal(r.status, status, JSON.stringify(r.json));
    assert.equal(r.json.error.name, name);
    assert.match(r.json.error.message, message);
  };
  const gate = await reviews.gate("review-sdk-1");
  assert.ok(gate, "no gate in the review store");
  await refused(
    await review("review-sdk-1", { decision: "maybe" }),
    400,
    "Affiant.InvalidInput",
    /decision: expected one of approve, changes \(got "maybe"\)/,
  );
  await refused(
    await review("review-sdk-1", { decision: "changes", notes: "é".repeat(40_000) }),
    400,
    "Affiant.InvalidInput",
    /notes: 80000 bytes, over the 65536-byte limit/,
  );
  await refused(
    await review("review-sdk-1", { decision: "changes", notes: "  " }),
    400,
    "Affiant.InvalidInput",
    /notes: a "changes" decision needs notes/,
  );
  await refused(await review("no-such-run", { decision: "approve" }), 404, "Affiant.NotFound", /no-such-run/);
  assert.deepEqual(await reviews.gate("review-sdk-1"), gate, "a refused decision changed the gate");
  assert.deepEqual(await reviews.audit("review-sdk-1"), []);

  // Paragraph numbers are checked against the draft under review before the gate is used.
  await refused(
    await review("review-sdk-1", { decision: "changes", notes: [{ paragraph: 99, text: "x" }] }),
    400,
    "Affiant.InvalidInput",
    /notes\[0\]\.paragraph: no paragraph 99 in the filing version under review/,
  );
  await refused(
    await review("review-sdk-1", { decision: "changes", notes: [{ paragraph: 3, text: "x" }], lock: [3] }),
    409,
    "Affiant.ParagraphLocked",
    /paragraph 3 is locked as verified/,
  );
  assert.deepEqual(await reviews.gate("review-sdk-1"), gate, "a refused decision changed the gate");

  // Changes aimed at paragraph 3, paragraph 2 locked; answered by SendTaskSuccess on /sfn, signed with the API's key.
  const changes = await review("review-sdk-1", {
    decision: "changes",
    notes: [{ paragraph: 3, text: "Say when Derek Samplefield first hit her." }],
    lock: [2],
    reviewer: "A. Attorney",
  });
  assert.equal(changes.status, 202, JSON.stringify(changes.json));
  const sends = () =>
    readFileSync(env.AFFIANT_LOG_FILE!, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === "sfn.request" && l.operation === "SendTaskSuccess" && l.status === 200).length;
  const sentAfterChanges = sends();
  assert.ok(sentAfterChanges >= 1);
  const again = (await waitGate(1)) as ExecutionSummary;
  assert.equal(again.waitingFor, "AttorneyReview", `${again.status}: ${again.error}`);
  assert.notEqual(again.review!.version, waiting.review!.version, "a new draft is under review");
  // Only paragraph 3 was rewritten: every other paragraph of the draft is byte-identical.
  const blobs = new LocalBlobStore(path.join(home, "blobs"));
  const before = await getJson<Draft>(blobs, waiting.review!.version);
  const after = await getJson<Draft>(blobs, again.review!.version);
  const aimed = filingParagraphs(before)[2]!.element;
  for (const [i, p] of after.paragraphs.entries())
    if (p.element !== aimed)
      assert.equal(JSON.stringify(p), JSON.stringify(before.paragraphs[i]), `${p.element} changed though no note named it`);

  const approve = await review("review-sdk-1", { decision: "approve", reviewer: "A. Attorney" });
  assert.equal(approve.status, 202, JSON.stringify(approve.json));
  const done = await waitFor("review-sdk-1 to end", async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
    return d.status === "RUNNING" ? undefined : d;
  });
  assert.equal(done.status, "SUCCEEDED", `${done.error}: ${done.cause}`);
  const approval = JSON.parse(done.output!).approval as { reviewer: string; via: string; version: string; decision: string };
  assert.deepEqual(
    [approval.decision, approval.reviewer, approval.via, approval.version],
    ["approve", "A. Attorney", "api", again.review!.version],
  );

  // The token is used: a second decision is refused, and so is the old token sent raw.
  await refused(
    await review("review-sdk-1", { decision: "approve" }),
    409,
    "Affiant.NotWaitingForReview",
    /not waiting for review \(SUCCEEDED\)/,
  );
  await assert.rejects(
    sfn.send(new SendTaskSuccessCommand({ taskToken: gate!.token, output: "{}" })),
    (err: Error) => err.name === "InvalidToken",
  );
  const summary = await aws.describeExecution("review-sdk-1");
  assert.deepEqual(
    summary!.reviewAudit!.map((a) => [a.decision, a.reviewer, a.via, a.round]),
    [
      ["changes", "A. Attorney", "api", 0],
      ["approve", "A. Attorney", "api", 1],
    ],
  );
  // Never the notes, never the token: not in the audit, the history, or the log.
  const db = new Database(path.join(home, "affiant.db"), { readonly: true });
  const audit = JSON.stringify(db.prepare(`SELECT * FROM review_audit`).all());
  db.close();
  assert.doesNotMatch(audit, /Samplefield/);
  const history = JSON.stringify(
    (await sfn.send(new GetExecutionHistoryCommand({ executionArn: run.executionArn, maxResults: 1000 }))).events,
  );
  const log = readFileSync(env.AFFIANT_LOG_FILE!, "utf8");
  for (const text of [history, log, audit]) assert.ok(!text.includes(gate!.token), "the token leaked");
  assert.doesNotMatch(log, /Samplefield/);
});

test("under serve, a review that never comes ends in Affiant.ReviewExpired on time, outputs kept", async () => {
  const { sfn, aws } = await serveWithCase({ AFFIANT_REVIEW_EXPIRY_SECONDS: "3" });
  const run = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: machineArn,
      name: "review-expire-1",
      input: JSON.stringify({ caseId: "vawa-sample-0001" }),
    }),
  );
  const done = await waitFor("review-expire-1 to end", async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
    return d.status === "RUNNING" ? undefined : d;
  });
  assert.equal(done.status, "FAILED");
  assert.equal(done.error, "Affiant.ReviewExpired");
  const summary = await aws.describeExecution("review-expire-1");
  assert.deepEqual(
    summary!.reviewAudit!.map((a) => [a.decision, a.via]),
    [["expired", "engine"]],
  );
  assert.ok(summary!.states.some((s) => s.name === "ReviewExpired"));
});
