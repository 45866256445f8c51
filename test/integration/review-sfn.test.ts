/**
 * The review round trip as it runs in AWS, against `affiant serve`'s Step Functions endpoint
 * with the real @aws-sdk/client-sfn: the API Gateway side's review route (AwsExecutions)
 * reads the gate from the review store, records the decision and answers AttorneyReview with
 * its id over /sfn; the execution runs on in the serving engine, where CheckDecision holds the
 * record to the round. Bad decisions change nothing, a forged callback fails the round, a used
 * token is refused, a SendTaskFailure sent with a leaked token is audited and ends as ReviewRejected,
 * and under `serve` a review that never comes expires on time.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import Database from "better-sqlite3";
import { createApp } from "../../api/app.ts";
import { AwsExecutions } from "../../api/aws-executions.ts";
import { verifyAuditChain } from "../../core/audit-chain.ts";
import { getJson, LocalBlobStore } from "../../core/blob-store.ts";
import type { Draft } from "../../core/declaration.ts";
import { filingParagraphs } from "../../core/review-paragraphs.ts";
import { SqliteReviewStore } from "../../core/review-store.ts";
import type { ExecutionSummary } from "../../workflows/engine/summary.ts";
import { caseForm, copyCase, makeTestHome, patientStages, type ServeHandle, samples, startServe, waitFor } from "../helpers.ts";

const token = "review-sfn-token-5c1e-88a0b2d4f6e1";
const machineArn = "arn:aws:states:us-east-1:000000000000:stateMachine:affiant";
const started: ServeHandle[] = [];

async function serveWithCase(extraEnv: Record<string, string> = {}, args: string[] = []) {
  const home = makeTestHome({ stages: patientStages });
  const env: Record<string, string> = { ...home.env, AFFIANT_API_TOKEN: token, ...extraEnv };
  const serve = await startServe(env, args);
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
    maxAttempts: 1,
  });
  // The API function's own client retries as the SDK does by default (a connection the busy
  // server resets is tried again); the test's raw calls (`sfn`) are made once each.
  const apiSfn = new SFNClient({
    endpoint: `${serve.url}/sfn`,
    region: "us-east-1",
    credentials: { accessKeyId: "affiant", secretAccessKey: token },
  });
  const reviews = new SqliteReviewStore(path.join(home.home, "affiant.db"));
  // The API Gateway function's executions and app, as api/lambda.ts builds them.
  const aws = new AwsExecutions({
    sfn: apiSfn,
    stateMachineArn: machineArn,
    store: new LocalBlobStore(path.join(home.home, "blobs")),
    reviews,
  });
  // API Gateway authorises with IAM; the app reads the signer from the request context.
  const app = createApp({ executions: aws, auth: { kind: "iam" } });
  return { home: home.home, env, serve, sfn, apiSfn, aws, app, reviews };
}

after(async () => {
  for (const s of started) await s.stop();
});

test("the review API answers AttorneyReview with a decision record's id over /sfn: bad decisions refused (400, 409 another round), the reviewer is the IAM principal whatever the body says; a forged callback with a leaked token fails the round with ReviewRejected, audited, and so does a SendTaskFailure sent with one; a waiting execution holds its case and its place under --max-running", async () => {
  // --max-running 1: the execution waiting for the attorney is the one the server holds.
  const { home, env, serve, sfn, apiSfn, aws, app, reviews } = await serveWithCase({}, ["--max-running", "1"]);
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

  // Waiting counts as running: the case refuses new documents (409 CaseBusy), changing
  // nothing, and another case's start is over the cap of 1 (429), on the serving API.
  const served = (method: string, route: string, body?: FormData) =>
    fetch(`${serve.url}${route}`, { method, body, headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
      status: r.status,
      json: (await r.json()) as any,
    }));
  const documentsDir = path.join(home, "blobs", "cases", "vawa-sample-0001", "documents");
  const documentsBefore = readdirSync(documentsDir).map((f) => [f, readFileSync(path.join(documentsDir, f)).byteLength]);
  const replacement = new FormData();
  replacement.append("case", new Blob([readFileSync(path.join(samples.vawa, "case.json"))], { type: "application/json" }), "case.json");
  // A valid case (every document its case.json names), each file with other bytes: refused only for being busy.
  for (const f of readdirSync(samples.vawa).filter((n) => n.endsWith(".pdf")))
    replacement.append("files", new Blob([Buffer.from("%PDF-1.4 other")], { type: "application/pdf" }), f);
  const replaced = await served("POST", "/cases", replacement);
  assert.deepEqual([replaced.status, replaced.json.error?.name], [409, "Affiant.CaseBusy"], JSON.stringify(replaced.json));
  assert.match(replaced.json.error.message, /review-sdk-1/);
  assert.deepEqual(
    readdirSync(documentsDir).map((f) => [f, readFileSync(path.join(documentsDir, f)).byteLength]),
    documentsBefore,
    "a refused POST /cases changed the documents",
  );
  const otherDir = copyCase(samples.vawa, path.join(home, "other-case"));
  writeFileSync(
    path.join(otherDir, "case.json"),
    JSON.stringify({ ...JSON.parse(readFileSync(path.join(otherDir, "case.json"), "utf8")), caseId: "other-case" }),
  );
  assert.equal((await served("POST", "/cases", caseForm(otherDir))).status, 201);
  const overCap = await served("POST", "/cases/other-case/executions");
  assert.deepEqual([overCap.status, overCap.json.error?.name], [429, "Affiant.TooManyExecutions"], JSON.stringify(overCap.json));
  assert.match(overCap.json.error.message, /1 executions are running or waiting for review/);
  // What API Gateway passes for an IAM-signed request: the signer it checked.
  const principal = "arn:aws:sts::000000000000:assumed-role/Attorneys/a.attorney";
  const lambdaEnv = { requestContext: { authorizer: { iam: { userArn: principal } } } };
  const review = async (id: string, body: unknown, signed = true) => {
    const res = await app.request(
      `/executions/${id}/review`,
      { method: "POST", headers: { "content-type": "application/json", host: "api.example.com" }, body: JSON.stringify(body) },
      signed ? lambdaEnv : {},
    );
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
    await review("review-sdk-1", { decision: "maybe", round: 0 }),
    400,
    "Affiant.InvalidInput",
    /decision: expected one of approve, changes \(got "maybe"\)/,
  );
  await refused(
    await review("review-sdk-1", { decision: "changes", round: 0, notes: "é".repeat(40_000) }),
    400,
    "Affiant.InvalidInput",
    /notes: 80000 bytes, over the 65536-byte limit/,
  );
  await refused(
    await review("review-sdk-1", { decision: "changes", round: 0, notes: "  " }),
    400,
    "Affiant.InvalidInput",
    /notes: a "changes" decision needs notes/,
  );
  await refused(await review("review-sdk-1", { decision: "approve" }), 400, "Affiant.InvalidInput", /^round: /);
  await refused(
    await review("review-sdk-1", { decision: "approve", round: 1, overrideReason: "x" }),
    409,
    "Affiant.ReviewRoundMismatch",
    /waits for a decision on round 0; this decision answers round 1/,
  );
  if (gate!.gateStatus !== "passed")
    await refused(
      await review("review-sdk-1", { decision: "approve", round: 0 }),
      400,
      "Affiant.InvalidInput",
      /overrideReason: round 0's draft failed the quality gate/,
    );
  await refused(
    await review("review-sdk-1", { decision: "approve", round: 0 }, false),
    401,
    "Affiant.Unauthorized",
    /authenticated caller/,
  );
  await refused(await review("no-such-run", { decision: "approve", round: 0 }), 404, "Affiant.NotFound", /no-such-run/);
  assert.deepEqual(await reviews.gate("review-sdk-1"), gate, "a refused decision changed the gate");
  assert.deepEqual(await reviews.audit("review-sdk-1"), []);

  // Paragraph numbers are checked against the draft under review before the gate is used.
  await refused(
    await review("review-sdk-1", { decision: "changes", round: 0, notes: [{ paragraph: 99, text: "x" }] }),
    400,
    "Affiant.InvalidInput",
    /notes\[0\]\.paragraph: no paragraph 99 in the filing version under review/,
  );
  await refused(
    await review("review-sdk-1", { decision: "changes", round: 0, notes: [{ paragraph: 3, text: "x" }], lock: [3] }),
    409,
    "Affiant.ParagraphLocked",
    /paragraph 3 is locked as verified/,
  );
  assert.deepEqual(await reviews.gate("review-sdk-1"), gate, "a refused decision changed the gate");
  assert.deepEqual(await reviews.audit("review-sdk-1"), []);

  // Changes aimed at paragraph 3, paragraph 2 locked, with a reviewer name in the body: ignored,
  // the principal is recorded. Answered by SendTaskSuccess on /sfn, signed with the API's key.
  const changes = await review("review-sdk-1", {
    decision: "changes",
    round: 0,
    notes: [{ paragraph: 3, text: "Say when Derek Samplefield first hit her." }],
    lock: [2],
    reviewer: "Hon. Jane Partner, Esq.",
  });
  assert.equal(changes.status, 202, JSON.stringify(changes.json));
  assert.deepEqual([changes.json.reviewer, changes.json.round], [principal, 0]);
  const sends = () =>
    readFileSync(env.AFFIANT_LOG_FILE!, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === "sfn.request" && l.operation === "SendTaskSuccess" && l.status === 200).length;
  assert.ok(sends() >= 1);
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
  assert.deepEqual(
    again.reviewAudit!.map((a) => [a.decision, a.reviewer, a.via, a.round]),
    [["changes", principal, "api", 0]],
  );

  // The attack of the issue: round 1's token, read where it is kept, sent with a payload of the
  // sender's making that replays round 0's real decision id. The workflow checks the record: the
  // round fails with ReviewRejected instead of approving.
  const open = await reviews.gate("review-sdk-1");
  const db = new Database(path.join(home, "affiant.db"), { readonly: true });
  const roundZero = db.prepare(`SELECT decision_id, record FROM review_decisions`).get() as { decision_id: string; record: string };
  db.close();
  const roundZeroId = roundZero.decision_id;
  // The decision record carries what the rewrite was held to: the paragraph aimed at, the lock,
  // and the notes record under the run's real-value prefix.
  const recorded = JSON.parse(roundZero.record) as { paragraphs?: number[]; locked?: number[]; notesKey?: string };
  assert.deepEqual([recorded.paragraphs, recorded.locked], [[3], [2]]);
  assert.match(recorded.notesKey ?? "", /^private\/.*\/review-notes-0\.json$/);
  await sfn.send(
    new SendTaskSuccessCommand({
      taskToken: open!.token,
      output: JSON.stringify({
        decisionId: roundZeroId,
        decision: "approve",
        reviewer: "Hon. Jane Partner, Esq.",
        decidedAt: "2026-01-01T00:00:00Z",
        version: again.review!.version,
      }),
    }),
  );
  const done = await waitFor("review-sdk-1 to end", async () => {
    const d = await apiSfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
    return d.status === "RUNNING" ? undefined : d;
  });
  assert.equal(done.status, "FAILED");
  assert.equal(done.error, "Affiant.ReviewRejected");
  assert.match(done.cause!, /round 1: the decision record answers round 0/);

  // The token is used: a decision is refused, and so is the old token sent raw.
  await refused(
    await review("review-sdk-1", { decision: "approve", round: 1, overrideReason: "x" }),
    409,
    "Affiant.NotWaitingForReview",
    /not waiting for review \(FAILED\)/,
  );
  await assert.rejects(
    sfn.send(new SendTaskSuccessCommand({ taskToken: gate!.token, output: "{}" })),
    (err: Error) => err.name === "InvalidToken",
  );
  const summary = await aws.describeExecution("review-sdk-1");
  assert.ok(
    summary!.states.some((s) => s.name === "CheckDecision" && s.status === "FAILED"),
    "CheckDecision failed the round",
  );
  assert.deepEqual(
    summary!.reviewAudit!.map((a) => [a.decision, a.reviewer, a.via, a.round]),
    [
      ["changes", principal, "api", 0],
      ["rejected", "(unverified)", "callback", 1],
    ],
  );
  // Never the notes, never the token: not in the audit, the history, or the log.
  const readDb = new Database(path.join(home, "affiant.db"), { readonly: true });
  const audit = JSON.stringify(readDb.prepare(`SELECT * FROM review_audit_log`).all());
  readDb.close();
  assert.doesNotMatch(audit, /Samplefield|Jane Partner/);
  const history = JSON.stringify(
    (await sfn.send(new GetExecutionHistoryCommand({ executionArn: run.executionArn, maxResults: 1000 }))).events,
  );
  const log = readFileSync(env.AFFIANT_LOG_FILE!, "utf8");
  for (const text of [history, log, audit]) assert.ok(!text.includes(gate!.token), "the token leaked");
  assert.doesNotMatch(log, /Samplefield/);

  // The other way a leaked token ends the gate: SendTaskFailure, with an error and a cause of the
  // sender's choosing, on the other case's execution (the cap is free again). AttorneyReview's
  // Catch audits it (AuditReviewFailure: the error's name and sizes, never the cause) and the
  // execution fails as ReviewRejected, not with the sender's error.
  const other = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: machineArn, name: "review-sdk-2", input: JSON.stringify({ caseId: "other-case" }) }),
  );
  const otherWaiting = await waitFor("review-sdk-2 to wait in AttorneyReview", async () => {
    const s = await aws.describeExecution("review-sdk-2");
    return s?.status !== "RUNNING" || s.waitingFor ? s : undefined;
  });
  assert.equal(otherWaiting!.waitingFor, "AttorneyReview", `${otherWaiting!.status}: ${otherWaiting!.error}`);
  // The token as an attacker reads it, from the history database the serving engine keeps.
  const leaked = leakedToken(home, "review-sdk-2");
  const senderCause = "Derek Samplefield approved this by phone";
  await sfn.send(new SendTaskFailureCommand({ taskToken: leaked, error: "Attorney.Approved", cause: senderCause }));
  const failed = await waitFor("review-sdk-2 to end", async () => {
    const d = await apiSfn.send(new DescribeExecutionCommand({ executionArn: other.executionArn }));
    return d.status === "RUNNING" ? undefined : d;
  });
  assert.deepEqual([failed.status, failed.error], ["FAILED", "Affiant.ReviewRejected"]);
  assert.doesNotMatch(failed.cause ?? "", /Samplefield/);
  const otherSummary = await aws.describeExecution("review-sdk-2");
  for (const state of ["AuditReviewFailure", "ReviewRejected"])
    assert.ok(
      otherSummary!.states.some((s) => s.name === state),
      `${state} did not run: ${otherSummary!.states.map((s) => s.name).join(" > ")}`,
    );
  const otherAudit = await reviews.audit("review-sdk-2");
  assert.deepEqual(
    otherAudit.map((a) => [a.decision, a.reviewer, a.via, a.round, a.version, a.failure]),
    [
      [
        "rejected",
        "(unverified)",
        "task-failure",
        0,
        otherWaiting!.review!.version,
        { error: "Attorney.Approved", errorChars: 17, causeChars: senderCause.length },
      ],
    ],
  );
  assert.deepEqual(verifyAuditChain(otherAudit), { ok: true, entries: 1 });
  assert.doesNotMatch(JSON.stringify(otherAudit), /Samplefield/);
  // The token is used: the API refuses a decision, and the token does not work twice.
  await refused(
    await review("review-sdk-2", { decision: "approve", round: 0, overrideReason: "x" }),
    409,
    "Affiant.NotWaitingForReview",
    /not waiting for review \(FAILED\)/,
  );
  await assert.rejects(
    sfn.send(new SendTaskFailureCommand({ taskToken: leaked, error: "Again" })),
    (err: Error) => err.name === "InvalidToken",
  );
});

/** An execution's open review task token, read from the history database as anyone with the file could. */
function leakedToken(home: string, executionId: string): string {
  const db = new Database(path.join(home, "affiant.db"), { readonly: true });
  try {
    const row = db.prepare(`SELECT token FROM review_tasks WHERE execution_id = ?`).get(executionId) as { token: string } | undefined;
    assert.ok(row, `no open review task for ${executionId}`);
    return row.token;
  } finally {
    db.close();
  }
}

test("under serve, a review that never comes ends in Affiant.ReviewExpired on time, outputs kept", async () => {
  const { sfn, apiSfn, aws } = await serveWithCase({ AFFIANT_REVIEW_EXPIRY_SECONDS: "3" });
  const run = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: machineArn,
      name: "review-expire-1",
      input: JSON.stringify({ caseId: "vawa-sample-0001" }),
    }),
  );
  const done = await waitFor("review-expire-1 to end", async () => {
    const d = await apiSfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
    return d.status === "RUNNING" ? undefined : d;
  });
  assert.equal(done.status, "FAILED");
  assert.equal(done.error, "Affiant.ReviewExpired");
  const summary = await aws.describeExecution("review-expire-1");
  assert.deepEqual(
    summary!.reviewAudit!.map((a) => [a.decision, a.via]),
    [["expired", "workflow"]],
  );
  assert.ok(summary!.states.some((s) => s.name === "ReviewExpired"));
});
