/**
 * The worker's ECS path: no IPC, a task token, and the real @aws-sdk/client-sfn talking
 * to a local HTTP endpoint that speaks the Step Functions JSON protocol and records calls.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { test } from "node:test";
import { stageEnvFromState } from "../../core/stages/task-env.ts";
import { workerEntry } from "../../workflows/engine/worker-supervisor.ts";
import { preparedState } from "../helpers.ts";

interface Call {
  target: string;
  body: Record<string, string>;
}

async function sfnEndpoint(options: { heartbeatAnswer?: string; routing?: "stalled" | "healthy" } = {}) {
  const calls: Call[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"]);
      calls.push({ target, body: JSON.parse(raw || "{}") });
      if (options.heartbeatAnswer && target === "AWSStepFunctions.SendTaskHeartbeat") {
        res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
        return res.end(JSON.stringify({ __type: options.heartbeatAnswer, message: "Task Timed Out" }));
      }
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      // The same endpoint plays the routing table: five recent stalls for every model, or
      // (healthy) no outcomes yet.
      const stalled = { ok: { BOOL: false }, error: { S: "Affiant.GenerationStalled" }, at: { S: new Date().toISOString() } };
      const items = options.routing === "healthy" ? [] : Array(5).fill(stalled);
      res.end(target === "DynamoDB_20120810.Query" ? JSON.stringify({ Items: items, Count: items.length }) : "{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { calls, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

function runWorker(
  env: Record<string, string>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", workerEntry], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const started = Date.now();
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - started }));
  });
}

const awsEnv = (url: string) => ({
  AFFIANT_TASK_TOKEN: "token-abc-123",
  AFFIANT_SFN_ENDPOINT: url,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
  AWS_SECRET_ACCESS_KEY: "local-test-secret",
});

test("in ECS the worker heartbeats and answers SendTaskSuccess with the stage report", async () => {
  const sfn = await sfnEndpoint({ routing: "healthy" });
  try {
    const { state, env } = await preparedState();
    const r = await runWorker({
      ...env,
      ...stageEnvFromState("ExtractFacts", state),
      ...awsEnv(sfn.url),
      AFFIANT_ROUTING_TABLE: "affiant-routing",
      AWS_ENDPOINT_URL_DYNAMODB: sfn.url,
    });
    assert.equal(r.code, 0, r.stderr);
    // The outcome is recorded for the circuit breaker.
    const put = sfn.calls.find((c) => c.target === "DynamoDB_20120810.PutItem");
    assert.ok(put, `no PutItem in ${sfn.calls.map((c) => c.target)}`);
    assert.match(JSON.stringify(put.body), /"ok":\{"BOOL":true\}/);
    const sfnCalls = sfn.calls.filter((c) => c.target.startsWith("AWSStepFunctions."));
    const targets = sfnCalls.map((c) => c.target);
    assert.ok(targets.includes("AWSStepFunctions.SendTaskHeartbeat"), `no heartbeat in ${targets}`);
    assert.equal(targets.at(-1), "AWSStepFunctions.SendTaskSuccess");
    for (const c of sfnCalls) assert.equal(c.body.taskToken, "token-abc-123");
    const output = JSON.parse(sfnCalls.at(-1)!.body.output!) as Record<string, unknown>;
    // Every report field the state's ResultSelector reads, plus the metrics the history keeps.
    for (const f of [
      "costUsd",
      "fallbackReason",
      "genMs",
      "loadMs",
      "model",
      "outputKey",
      "promptMs",
      "provider",
      "stage",
      "tokensIn",
      "tokensOut",
      "tokensPerSecond",
      "peakRssMb",
      "contextSize",
    ])
      assert.ok(f in output, f);
    for (const v of Object.values(output))
      assert.ok(
        v === null || typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length < 200),
        "ids, numbers and flags only",
      );
    assert.equal(output.warmStart, false, "an ECS task starts cold");
    assert.equal(output.stage, "ExtractFacts");
    assert.equal(output.model, "stories-260k");
    const facts = JSON.parse(readFileSync(path.join(env.AFFIANT_HOME!, "blobs", String(output.outputKey)), "utf8")) as { facts: unknown[] };
    assert.ok(Array.isArray(facts.facts) && facts.facts.length >= 1);
  } finally {
    await sfn.close();
  }
});

test("in ECS a failing stage answers SendTaskFailure with the error name Step Functions matches", async () => {
  const sfn = await sfnEndpoint({ routing: "healthy" });
  try {
    const { state, env } = await preparedState({ ExtractFacts: "oom" });
    const r = await runWorker({
      ...env,
      ...stageEnvFromState("ExtractFacts", state),
      ...awsEnv(sfn.url),
      AFFIANT_ROUTING_TABLE: "affiant-routing",
      AWS_ENDPOINT_URL_DYNAMODB: sfn.url,
    });
    // After the report, SIGKILL: an exit that waits for llama.cpp's threads could hang.
    assert.equal(r.signal, "SIGKILL", r.stderr);
    // The worker never asks the breaker (its Admit state did, before placing it), and an
    // injected fault is a drill: nothing is recorded against the model.
    assert.ok(
      !sfn.calls.some((c) => c.target.startsWith("DynamoDB_")),
      `the worker talked to the routing table: ${sfn.calls.map((c) => c.target)}`,
    );
    const failure = sfn.calls.find((c) => c.target === "AWSStepFunctions.SendTaskFailure");
    assert.ok(failure, `no SendTaskFailure in ${sfn.calls.map((c) => c.target)}`);
    assert.equal(failure.body.error, "Affiant.ContextTooLarge");
    assert.match(failure.body.cause!, /needs \d+ tokens of context/);
    assert.ok(!sfn.calls.some((c) => c.target === "AWSStepFunctions.SendTaskSuccess"));
  } finally {
    await sfn.close();
  }
});

test("in AWS the Admit function refuses a model whose circuit is open before any task is placed, reading the routing table", async () => {
  const sfn = await sfnEndpoint();
  const saved = { ...process.env };
  try {
    await preparedState();
    Object.assign(process.env, { AFFIANT_ROUTING_TABLE: "affiant-routing", AWS_ENDPOINT_URL_DYNAMODB: sfn.url, ...awsEnv(sfn.url) });
    const { admitGpuStage } = await import("../../functions/admit-gpu.ts");
    await assert.rejects(admitGpuStage({ admit: "ExtractFacts", executionName: "sfn-test" }), (err: Error) => {
      assert.equal(err.name, "Affiant.CircuitOpen");
      assert.match(err.message, /5 of the last 5 runs of stories-260k failed \(5 stalls\)/);
      return true;
    });
    const query = sfn.calls.find((c) => c.target === "DynamoDB_20120810.Query");
    assert.equal(query?.body.TableName, "affiant-routing");
    assert.ok(!sfn.calls.some((c) => c.target.startsWith("AWSStepFunctions.")), "no task was involved");
  } finally {
    process.env = saved;
    await sfn.close();
  }
});

test("in AWS the fallback records the primary's stall (which the worker could not report) against the primary model; an input error is not counted", async () => {
  const sfn = await sfnEndpoint({ routing: "healthy" });
  const saved = { ...process.env };
  try {
    // No fallback entries: the fallback records, then fails at once with a named error.
    // A hosted entry with no key configured: skipped, so the fallback fails at once.
    const { state } = await preparedState({}, { stages: { ExtractFacts: { fallback: ["openrouter:test/model"] } } });
    Object.assign(process.env, { AFFIANT_ROUTING_TABLE: "affiant-routing", AWS_ENDPOINT_URL_DYNAMODB: sfn.url, ...awsEnv(sfn.url) });
    delete process.env.OPENROUTER_API_KEY;
    const { generateFallback } = await import("../../functions/generate-fallback.ts");
    const failure = { Error: "States.HeartbeatTimeout", Cause: "" };
    await assert.rejects(generateFallback({ stage: "ExtractFacts", state, failure, executionName: "sfn-test" }), {
      name: "Affiant.NoProviderAvailable",
    });
    const puts = sfn.calls.filter((c) => c.target === "DynamoDB_20120810.PutItem");
    assert.equal(puts.length, 1);
    const item = JSON.stringify(puts[0]!.body);
    assert.match(item, /"model":\{"S":"stories-260k"\}/);
    assert.match(item, /"error":\{"S":"States.HeartbeatTimeout"\}/);
    await assert.rejects(
      generateFallback({
        stage: "ExtractFacts",
        state,
        failure: { Error: "Affiant.ContextTooLarge", Cause: "" },
        executionName: "sfn-test",
      }),
    );
    await assert.rejects(
      generateFallback({
        stage: "ExtractFacts",
        state: { ...state, faults: { ExtractFacts: "hang-native" } },
        failure,
        executionName: "sfn-test",
      }),
    );
    assert.equal(
      sfn.calls.filter((c) => c.target === "DynamoDB_20120810.PutItem").length,
      1,
      "an input error and a drill are not the model's failures",
    );
    // With a key, but less time left than a hosted call needs: skipped with the reason named.
    process.env.OPENROUTER_API_KEY = "sk-test-not-used";
    await assert.rejects(
      generateFallback(
        { stage: "ExtractFacts", state, failure: { Error: "Affiant.CircuitOpen", Cause: "" }, executionName: "sfn-test" },
        { deadlineAt: Date.now() + 8_000 },
      ),
      (err: Error) => {
        assert.equal(err.name, "Affiant.NoProviderAvailable");
        assert.match(err.message, /openrouter:test\/model: skipped, \d+ s left before the fallback's deadline/);
        return true;
      },
    );
  } finally {
    process.env = saved;
    await sfn.close();
  }
});

test("in ECS a worker whose task Step Functions already ended (TaskTimedOut) exits at once, freeing the GPU", async () => {
  const sfn = await sfnEndpoint({ heartbeatAnswer: "TaskTimedOut" });
  try {
    const { state, env } = await preparedState();
    const r = await runWorker({ ...env, ...stageEnvFromState("ExtractFacts", state), ...awsEnv(sfn.url) });
    assert.equal(r.signal, "SIGKILL", r.stderr);
    const targets = sfn.calls.map((c) => c.target);
    assert.deepEqual(targets, ["AWSStepFunctions.SendTaskHeartbeat"], "no answer is sent for a task that is gone");
  } finally {
    await sfn.close();
  }
});

test("in ECS a worker stuck in native code (hang-native drill) kills itself after HeartbeatSeconds + grace, reporting Affiant.WorkerStalled", async () => {
  const sfn = await sfnEndpoint({ routing: "healthy" });
  try {
    const { state, env } = await preparedState({ ExtractFacts: "hang-native" });
    // As the definition passes them: the state's entry time and limits. The token watchdog is
    // set past the heartbeat: the stuck main thread could not run it anyway.
    const r = await runWorker({
      ...env,
      ...stageEnvFromState("ExtractFacts", state),
      ...awsEnv(sfn.url),
      AFFIANT_STATE_ENTERED_AT: new Date().toISOString(),
      AFFIANT_TIMEOUT_SECONDS: "300",
      AFFIANT_HEARTBEAT_SECONDS: "8",
    });
    assert.equal(r.signal, "SIGKILL", r.stderr);
    assert.match(readFileSync(env.AFFIANT_LOG_FILE!, "utf8"), /"event":"fault.injected"[^\n]*"fault":"hang-native"/);
    const targets = sfn.calls.map((c) => c.target);
    assert.ok(targets.includes("AWSStepFunctions.SendTaskHeartbeat"), "it made progress before the hang");
    const failure = sfn.calls.find((c) => c.target === "AWSStepFunctions.SendTaskFailure");
    assert.equal(failure?.body.error, "Affiant.WorkerStalled", `calls: ${targets}`);
    assert.equal(failure!.body.taskToken, "token-abc-123");
    assert.ok(!targets.includes("AWSStepFunctions.SendTaskSuccess"));
  } finally {
    await sfn.close();
  }
});
