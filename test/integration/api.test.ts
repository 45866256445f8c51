/**
 * The HTTP API through the real `affiant serve`: bearer auth, validation that answers 4xx
 * (never 500) for client mistakes, multipart and presigned uploads, idempotent starts, and
 * a real run of the VAWA sample from upload to declaration.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { caseForm, makeTestHome, patientStages, runCli, type ServeHandle, samples, startServe, waitFor } from "../helpers.ts";

const token = "test-token-7f3a9c-0b2d5e8a41c6";
let serve: ServeHandle;
let env: Record<string, string>;
const auth = { authorization: `Bearer ${token}` };

before(async () => {
  env = { ...makeTestHome({ stages: patientStages }).env, AFFIANT_API_TOKEN: token };
  serve = await startServe(env);
});
after(async () => serve?.stop());

async function call(method: string, route: string, init: { body?: RequestInit["body"]; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${serve.url}${route}`, { method, body: init.body, headers: { ...auth, ...init.headers } });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

const expect4xx = (r: { status: number; json: any }, status: number, name: string, pattern?: RegExp) => {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json.error.name, name);
  if (pattern) assert.match(r.json.error.message, pattern);
};

test("every API route needs the bearer token when AFFIANT_API_TOKEN is set", async () => {
  for (const [method, route] of [
    ["GET", "/executions"],
    ["POST", "/cases"],
    ["GET", "/executions/x"],
    ["GET", "/executions/x/review-document"],
    ["POST", "/cases/x/executions"],
  ] as const) {
    const none = await fetch(`${serve.url}${route}`, { method });
    assert.equal(none.status, 401, `${method} ${route}`);
    assert.equal(((await none.json()) as any).error.name, "Affiant.Unauthorized");
    const wrong = await fetch(`${serve.url}${route}`, { method, headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401);
  }
  assert.equal((await fetch(`${serve.url}/health`)).status, 200);
});

test("client mistakes are 4xx with a named error that says what and where", async () => {
  expect4xx(
    await call("POST", "/cases", { body: "hello", headers: { "content-type": "text/plain" } }),
    415,
    "Affiant.UnsupportedMediaType",
  );

  const badCase = caseForm(samples.vawa);
  badCase.set(
    "case",
    new Blob([JSON.stringify({ caseId: "c1", caseType: "X", declarant: { name: "A" } })], { type: "application/json" }),
    "case.json",
  );
  expect4xx(await call("POST", "/cases", { body: badCase }), 400, "Affiant.InvalidInput", /caseType/);

  const notJson = caseForm(samples.vawa);
  notJson.set("case", new Blob(["{nope"]), "case.json");
  expect4xx(await call("POST", "/cases", { body: notJson }), 400, "Affiant.InvalidInput", /case: not valid JSON/);

  const fakePdf = caseForm(samples.vawa);
  fakePdf.append("files", new Blob(["just text"], { type: "application/pdf" }), "letter.pdf");
  expect4xx(await call("POST", "/cases", { body: fakePdf }), 400, "Affiant.InvalidInput", /letter\.pdf: not a PDF/);

  const wrongType = caseForm(samples.vawa);
  wrongType.append("files", new Blob(["x"], { type: "image/png" }), "photo.png");
  expect4xx(await call("POST", "/cases", { body: wrongType }), 415, "Affiant.UnsupportedMediaType", /photo\.png/);

  const noFiles = new FormData();
  noFiles.append("case", new Blob([readFileSync(path.join(samples.vawa, "case.json"))]), "case.json");
  expect4xx(await call("POST", "/cases", { body: noFiles }), 400, "Affiant.InvalidInput", /at least one PDF/);

  expect4xx(
    await call("POST", "/cases", { body: JSON.stringify({ case: {}, files: [] }), headers: { "content-type": "application/json" } }),
    400,
    "Affiant.InvalidInput",
    /files/,
  );
  expect4xx(await call("POST", "/cases/no-such-case/executions"), 404, "Affiant.NotFound", /no-such-case/);
  expect4xx(await call("GET", "/executions/bad%20id"), 400, "Affiant.InvalidInput", /execution id/);
  expect4xx(await call("GET", "/executions/nope"), 404, "Affiant.NotFound", /nope/);
  expect4xx(await call("GET", "/executions/nope/declaration"), 404, "Affiant.NotFound");
  expect4xx(await call("GET", "/executions/nope/review-document"), 404, "Affiant.NotFound", /nope/);
  expect4xx(await call("GET", "/executions?limit=0"), 400, "Affiant.InvalidInput", /limit/);
  expect4xx(await call("GET", "/executions?status=DONE"), 400, "Affiant.InvalidInput", /status/);
  expect4xx(await call("GET", "/no/such/route"), 404, "Affiant.NotFound");
});

test("a case uploaded as multipart runs once per pipeline version and yields its declaration", async () => {
  const created = await call("POST", "/cases", { body: caseForm(samples.vawa) });
  assert.equal(created.status, 201, created.text);
  const caseId = created.json.caseId as string;
  assert.equal(caseId, JSON.parse(readFileSync(path.join(samples.vawa, "case.json"), "utf8")).caseId);

  const first = await call("POST", `/cases/${caseId}/executions`);
  assert.equal(first.status, 202, first.text);
  assert.equal(first.json.created, true);
  const id = first.json.executionId as string;
  assert.match(id, new RegExp(`^${caseId}-p\\d+$`));
  // Started twice: the same execution, not a second run.
  const again = await call("POST", `/cases/${caseId}/executions`);
  assert.equal(again.status, 200);
  assert.deepEqual([again.json.executionId, again.json.created], [id, false]);

  const early = await call("GET", `/executions/${id}/declaration`);
  if (early.status !== 200) assert.equal(early.json.error.name, "Affiant.DeclarationNotReady");
  const earlyReview = await call("GET", `/executions/${id}/review-document`);
  if (earlyReview.status !== 200)
    expect4xx(earlyReview, 409, "Affiant.DeclarationNotReady", /review document exists once Reinject has run/);

  // The execution waits for the attorney; the review API decides, and bad decisions change nothing.
  const waiting = await waitFor("the execution to reach AttorneyReview", async () => {
    const r = await call("GET", `/executions/${id}`);
    return r.json.status === "RUNNING" && !r.json.waitingFor ? undefined : r.json;
  });
  assert.equal(waiting.waitingFor, "AttorneyReview", JSON.stringify(waiting.states.filter((s: any) => s.status === "FAILED")));
  // The attorney reads the review document before deciding: it is there while the execution waits.
  const waitingReview = await call("GET", `/executions/${id}/review-document`);
  assert.equal(waitingReview.status, 200, waitingReview.text);
  assert.match(waitingReview.headers.get("content-type") ?? "", /application\/json/);
  assert.ok(
    waitingReview.json.contradictions.some((c: any) => c.first.quote === "I told the nurse I fell."),
    JSON.stringify(waitingReview.json.contradictions),
  );
  const review = (body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
    call("POST", `/executions/${id}/review`, { body: JSON.stringify(body), headers });
  expect4xx(await review({ decision: "maybe", round: 0 }), 400, "Affiant.InvalidInput", /decision: expected one of approve, changes/);
  expect4xx(await review({ decision: "changes", round: 0 }), 400, "Affiant.InvalidInput", /notes: a "changes" decision needs notes/);
  expect4xx(
    await review({ decision: "changes", round: 0, notes: "x".repeat(70_000) }),
    400,
    "Affiant.InvalidInput",
    /notes: 70000 bytes, over the 65536-byte limit/,
  );
  expect4xx(await review({ decision: "approve", round: 0 }, { "content-type": "text/plain" }), 415, "Affiant.UnsupportedMediaType");
  expect4xx(
    await call("POST", `/executions/no-such-run/review`, {
      body: JSON.stringify({ decision: "approve", round: 0 }),
      headers: { "content-type": "application/json" },
    }),
    404,
    "Affiant.NotFound",
    /no-such-run/,
  );
  const unchanged = await call("GET", `/executions/${id}`);
  assert.deepEqual(
    [unchanged.json.waitingFor, unchanged.json.review, unchanged.json.reviewAudit],
    ["AttorneyReview", waiting.review, undefined],
    "a refused decision changed the gate",
  );
  // The reviewer is the token's holder (the user running serve, for AFFIANT_API_TOKEN): a name in the body is ignored.
  // The tiny model's draft may fail the quality gate, so the approval says why it overrides it.
  const approved = await review({ decision: "approve", round: 0, reviewer: "Hon. Someone Else", overrideReason: "test: structure only" });
  assert.equal(approved.status, 202, approved.text);
  // The token is used: a second decision is refused.
  expect4xx(await review({ decision: "approve", round: 0 }), 409, "Affiant.NotWaitingForReview", /not waiting for review|already decided/);

  const summary = await waitFor("the execution to end", async () => {
    const r = await call("GET", `/executions/${id}`);
    return r.json.status === "RUNNING" ? undefined : r.json;
  });
  assert.deepEqual(
    summary.reviewAudit.map((a: any) => [a.decision, a.reviewer, a.via, a.version]),
    [["approve", userInfo().username, "api", waiting.review.version]],
  );
  assert.equal(summary.status, "SUCCEEDED", JSON.stringify(summary.states.filter((s: any) => s.status === "FAILED")));
  const facts = summary.states.find((s: any) => s.name === "ExtractFacts" || s.name === "ExtractFactsFallback");
  assert.ok(facts?.model && facts.tokensOut > 0, "GPU stage reports model and tokens");

  const list = await call("GET", `/executions?caseId=${caseId}`);
  assert.deepEqual(
    list.json.executions.map((e: any) => e.executionId),
    [id],
  );
  assert.equal(list.json.executions[0].status, "SUCCEEDED");

  const declaration = await call("GET", `/executions/${id}/declaration`);
  assert.equal(declaration.status, 200);
  assert.match(declaration.headers.get("content-type") ?? "", /text\/markdown/);
  // A download, never rendered in this origin.
  assert.equal(declaration.headers.get("content-disposition"), `attachment; filename="${id}-declaration.md"`);
  const declarant = JSON.parse(readFileSync(path.join(samples.vawa, "case.json"), "utf8")).declarant.name as string;
  assert.ok(declaration.text.includes(declarant), "the declaration carries the re-injected name");
  assert.doesNotMatch(declaration.text, /\[PERSON_\d+\]/);
  // The review document after success: from the output, re-injected like the declaration.
  const reviewDocument = await call("GET", `/executions/${id}/review-document`);
  assert.equal(reviewDocument.status, 200);
  assert.ok(reviewDocument.text.includes(declarant), "the review document carries the re-injected name");
  // Placeholders appear only in the who-is-who legend, beside each real name.
  const { roles, ...rest } = reviewDocument.json;
  assert.doesNotMatch(JSON.stringify(rest), /\[PERSON_\d+\]/);
  assert.ok(
    roles.every((r: any) => /^\[PERSON_\d+\]$/.test(r.placeholder) && !r.name.includes("[")),
    JSON.stringify(roles),
  );
  // The sample's case.json: two exhibits, lettered as listed; its personal statement and intake notes are not filed.
  assert.deepEqual(
    reviewDocument.json.exhibits.map((e: any) => `${e.letter}: ${e.title}`),
    ["A: police-report-scan.pdf", "B: shelter-letter.pdf"],
  );
  assert.deepEqual(
    reviewDocument.json.unfiledSources.map((u: any) => `${u.label}: ${u.title}`),
    ["Interview 1: personal-statement.pdf", "Work product 1: intake-notes.pdf"],
  );

  const afterSuccess = await call("POST", `/cases/${caseId}/executions`);
  assert.deepEqual([afterSuccess.status, afterSuccess.json.executionId, afterSuccess.json.created], [200, id, false]);

  // Nothing the server logged carries the case's text or identities.
  const logText = readFileSync(env.AFFIANT_LOG_FILE!, "utf8");
  for (const secret of [declarant, "A123456789", "elena.marsh@example.com"]) assert.ok(!logText.includes(secret), `log leaks ${secret}`);
});

test("presigned uploads: the JSON form answers upload URLs; a start waits for every document", async () => {
  const caseJson = JSON.parse(readFileSync(path.join(samples.tvisa, "case.json"), "utf8"));
  const pdfs = readdirSync(samples.tvisa)
    .filter((f) => f.endsWith(".pdf"))
    .sort();
  const files = pdfs.map((name) => ({ name, size: statSync(path.join(samples.tvisa, name)).size }));
  const planned = await call("POST", "/cases", {
    body: JSON.stringify({ case: caseJson, files }),
    headers: { "content-type": "application/json" },
  });
  assert.equal(planned.status, 201, planned.text);
  assert.equal(planned.json.uploads.length, pdfs.length);

  const incomplete = await call("POST", `/cases/${caseJson.caseId}/executions`);
  assert.equal(incomplete.status, 409);
  assert.equal(incomplete.json.error.name, "Affiant.CaseIncomplete");
  for (const name of pdfs) assert.ok(incomplete.json.error.message.includes(name));

  const [firstUpload] = planned.json.uploads;
  const firstBytes = readFileSync(path.join(samples.tvisa, firstUpload.name));
  const tampered = firstUpload.url.replace(/signature=[^&]+/, "signature=AAAA");
  assert.equal((await fetch(tampered, { method: "PUT", body: firstBytes })).status, 401);
  const wrongSize = await fetch(firstUpload.url, { method: "PUT", body: firstBytes.subarray(0, 100) });
  assert.equal(wrongSize.status, 400);

  for (const u of planned.json.uploads) {
    // No bearer token: the URL's signature is the authorisation, as with S3.
    const res = await fetch(u.url, { method: u.method, headers: u.headers, body: readFileSync(path.join(samples.tvisa, u.name)) });
    assert.equal(res.status, 200, await res.text());
  }
  const started = await call("POST", `/cases/${caseJson.caseId}/executions`);
  assert.equal(started.status, 202, started.text);
  // Stopped by the server's shutdown; recorded ABORTED, never left RUNNING.
});

test("serve refuses a non-loopback address without TLS, and a short AFFIANT_API_TOKEN", async () => {
  const plain = await runCli(["serve", "--host", "0.0.0.0", "--port", "0"], env, { timeoutMs: 60_000 });
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /--host 0\.0\.0\.0: .*give --tls-cert and --tls-key, or bind 127\.0\.0\.1 behind a TLS proxy/);
  const short = await runCli(["serve", "--port", "0"], { ...env, AFFIANT_API_TOKEN: "s3cret" }, { timeoutMs: 60_000 });
  assert.equal(short.code, 1);
  assert.match(short.stderr, /AFFIANT_API_TOKEN must be at least 24 characters .*\(got a value of 6 characters, not shown\)/);
  assert.ok(!short.stderr.includes("s3cret"), "the token itself is never shown");
});
