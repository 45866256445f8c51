/**
 * `affiant serve`'s Step Functions endpoint, driven by the real @aws-sdk/client-sfn with
 * SigV4 verified: the API's operations and error names, a real run whose GPU stages answer
 * by task token over this endpoint, StopExecution, and the AWS side of the API (the API
 * Gateway function and the scheduled backfill) pointed at the same endpoint.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { AwsExecutions } from "../../api/aws-executions.ts";
import { LocalBlobStore } from "../../core/blob-store.ts";
import { caseForm, copyCase, makeTestHome, patientStages, runCli, type ServeHandle, samples, startServe, waitFor } from "../helpers.ts";

const token = "sfn-test-token-91b2-6d0e3f7a25b8";
const machineArn = "arn:aws:states:us-east-1:000000000000:stateMachine:affiant";
let serve: ServeHandle;
let env: Record<string, string>;
let sfn: SFNClient;

const client = (secretAccessKey: string, accessKeyId = "affiant") =>
  new SFNClient({ endpoint: `${serve.url}/sfn`, region: "us-east-1", credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });

before(async () => {
  env = { ...makeTestHome({ stages: patientStages }).env, AFFIANT_API_TOKEN: token };
  // --approve: these runs go through the AttorneyReview gate at once (review-sfn.test.ts answers it from the review API).
  serve = await startServe(env, ["--approve"]);
  sfn = client(token);
  const res = await fetch(`${serve.url}/cases`, {
    method: "POST",
    body: caseForm(samples.vawa),
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 201);
});
after(async () => serve?.stop());

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp) {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, name, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const history = async (arn: string) => {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 7, nextToken }));
    events.push(...page.events!);
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
};

test("requests must be SigV4-signed with key id `affiant` and the API token", async () => {
  await rejectsWith(client("wrong-secret").send(new ListStateMachinesCommand({})), "InvalidSignatureException");
  await rejectsWith(client(token, "AKIDSOMEONEELSE").send(new ListStateMachinesCommand({})), "UnrecognizedClientException");
  const unsigned = await fetch(`${serve.url}/sfn`, {
    method: "POST",
    headers: { "x-amz-target": "AWSStepFunctions.ListStateMachines", "content-type": "application/x-amz-json-1.0" },
    body: "{}",
  });
  assert.equal(unsigned.status, 403);
  assert.equal(((await unsigned.json()) as { __type: string }).__type, "MissingAuthenticationToken");
  const listed = await sfn.send(new ListStateMachinesCommand({}));
  assert.deepEqual(
    listed.stateMachines!.map((m) => m.stateMachineArn),
    [machineArn],
  );
});

test("DescribeStateMachine returns exactly the exported definition; errors use the service's names", async () => {
  const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: machineArn }));
  const exported = await runCli(["workflow", "export"], env);
  assert.deepEqual(JSON.parse(described.definition!), JSON.parse(exported.stdout));
  assert.deepEqual(described.loggingConfiguration, { level: "ERROR", includeExecutionData: false });

  await rejectsWith(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${machineArn}-other` })), "StateMachineDoesNotExist");
  await rejectsWith(
    sfn.send(new DescribeExecutionCommand({ executionArn: "arn:aws:states:us-east-1:000000000000:execution:affiant:nope" })),
    "ExecutionDoesNotExist",
  );
  await rejectsWith(sfn.send(new DescribeExecutionCommand({ executionArn: "not-an-arn" })), "InvalidArn");
  await rejectsWith(sfn.send(new SendTaskSuccessCommand({ taskToken: "forged", output: "{}" })), "InvalidToken");
  await rejectsWith(sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: "{not json" })), "InvalidExecutionInput");
  await rejectsWith(
    sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: JSON.stringify({ caseId: "unknown-case" }) })),
    "InvalidExecutionInput",
  );
  await rejectsWith(
    sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn,
        input: JSON.stringify({ caseId: "vawa-sample-0001", faults: { Extract: "stall" } }),
      }),
    ),
    "InvalidExecutionInput",
    /^faults\.Extract: Extract is not a GPU state \(GPU states: .*; fault kinds: .*\)$/,
  );
  await rejectsWith(
    sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn,
        input: JSON.stringify({ caseId: "vawa-sample-0001", faults: { JudgeTone: "explode" } }),
      }),
    ),
    "InvalidExecutionInput",
    /^faults\.JudgeTone: "explode" is not a fault kind \(GPU states: .*; fault kinds: stall, /,
  );
  await rejectsWith(
    sfn.send(
      new StartExecutionCommand({ stateMachineArn: machineArn, name: "bad name!", input: JSON.stringify({ caseId: "vawa-sample-0001" }) }),
    ),
    "InvalidName",
  );
});

test("a run started through the SDK succeeds, its GPU stages answering by task token over /sfn", async () => {
  const input = JSON.stringify({ caseId: "vawa-sample-0001" });
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: "sdk-run-1", input }));
  assert.equal(started.executionArn, "arn:aws:states:us-east-1:000000000000:execution:affiant:sdk-run-1");
  assert.ok(started.startDate instanceof Date);
  // Same name and input while running: the same execution, as in AWS.
  const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: "sdk-run-1", input }));
  assert.equal(again.executionArn, started.executionArn);

  const done = await waitFor("sdk-run-1 to end", async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    return d.status === "RUNNING" ? undefined : d;
  });
  assert.equal(done.status, "SUCCEEDED", `${done.error}: ${done.cause}`);
  assert.ok(done.stopDate! >= done.startDate!);
  assert.ok(JSON.parse(done.output!).declarationKey);

  const events = await history(started.executionArn!);
  assert.equal(events[0]!.type, "ExecutionStarted");
  assert.equal(events.at(-1)!.type, "ExecutionSucceeded");
  assert.deepEqual(
    events.map((e) => e.id),
    events.map((_, i) => i + 1),
  );
  const entered = events.filter((e) => e.type?.endsWith("StateEntered")).map((e) => `${e.type}:${e.stateEnteredEventDetails!.name}`);
  for (const expected of [
    "TaskStateEntered:Extract",
    "TaskStateEntered:ExtractFacts",
    "ParallelStateEntered:Judges",
    "TaskStateEntered:JudgeTone",
    "TaskStateEntered:Reinject",
  ]) {
    assert.ok(entered.includes(expected), `${expected} not in ${entered.join(", ")}`);
  }
  // The generate state is its model's activity, as in AWS: ActivityScheduled on the activity's ARN.
  const scheduled = events.find(
    (e) =>
      e.type === "ActivityScheduled" && events.find((x) => x.id === e.previousEventId)?.stateEnteredEventDetails?.name === "ExtractFacts",
  );
  assert.match(scheduled?.activityScheduledEventDetails?.resource ?? "", /^arn:aws:states:[^:]+:\d+:activity:/);
  assert.ok(events.some((e) => e.type === "ActivitySucceeded"));
  // Its Acquire is a Lambda invoke that waits for a task token.
  const acquire = events.find(
    (e) =>
      e.type === "TaskScheduled" &&
      events.find((x) => x.id === e.previousEventId)?.stateEnteredEventDetails?.name === "ExtractFactsAcquire",
  );
  assert.equal(acquire?.taskScheduledEventDetails?.resourceType, "lambda");
  assert.equal(acquire?.taskScheduledEventDetails?.resource, "invoke.waitForTaskToken");
  // Reverse order is the same list backwards.
  const reversed = (
    await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, reverseOrder: true, maxResults: 1000 }))
  ).events!;
  assert.deepEqual(
    reversed.map((e) => e.id),
    events.map((e) => e.id).reverse(),
  );

  // The GPU stages answered over the Step Functions API, not IPC.
  const lines = readFileSync(env.AFFIANT_LOG_FILE!, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const ops = lines.filter((l) => l.event === "sfn.request" && l.status === 200).map((l) => l.operation);
  assert.ok(
    ops.filter((o) => o === "SendTaskSuccess").length >= 5,
    `SendTaskSuccess calls: ${ops.filter((o) => o === "SendTaskSuccess").length}`,
  );
  assert.ok(ops.includes("SendTaskHeartbeat"));

  await rejectsWith(
    sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: "sdk-run-1", input })),
    "ExecutionAlreadyExists",
  );
  const succeeded = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: "SUCCEEDED" }));
  assert.ok(succeeded.executions!.some((e) => e.name === "sdk-run-1"));

  // The API Gateway side reads the same run through Step Functions + the blob store.
  const aws = new AwsExecutions({ sfn, stateMachineArn: machineArn, store: new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs")) });
  const summary = await aws.describeExecution("sdk-run-1");
  assert.equal(summary?.status, "SUCCEEDED");
  const facts = summary!.states.find((s) => s.name === "ExtractFacts");
  assert.equal(facts?.status, "SUCCEEDED");
  assert.equal(facts?.model, "stories-260k");
  assert.ok((facts?.tokensOut ?? 0) > 0);
  const declaration = await aws.declaration("sdk-run-1");
  assert.ok(
    declaration?.markdown?.toString("utf8").includes(JSON.parse(readFileSync(path.join(samples.vawa, "case.json"), "utf8")).declarant.name),
  );
});

test("StopExecution aborts a run, kills its worker and records why", async () => {
  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: machineArn,
      name: "sdk-stop-1",
      input: JSON.stringify({ caseId: "vawa-sample-0001", faults: { ExtractFacts: "stall" } }),
    }),
  );
  await waitFor(
    "ExtractFacts to start",
    async () => {
      const events = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, maxResults: 1000 }))).events!;
      return events.some((e) => e.stateEnteredEventDetails?.name === "ExtractFacts") ? true : undefined;
    },
    120_000,
    250,
  );
  await sfn.send(new StopExecutionCommand({ executionArn: started.executionArn, error: "Operator.Cancelled", cause: "test stop" }));
  const d = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
  assert.equal(d.status, "ABORTED");
  assert.equal(d.error, "Operator.Cancelled");
  const events = await history(started.executionArn!);
  assert.equal(events.at(-1)!.type, "ExecutionAborted");
});

test("the API Gateway function and the scheduled backfill run against Step Functions", async () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, {
      AFFIANT_STATE_MACHINE_ARN: machineArn,
      AFFIANT_SFN_ENDPOINT: `${serve.url}/sfn`,
      AFFIANT_HOME: env.AFFIANT_HOME,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "affiant",
      AWS_SECRET_ACCESS_KEY: token,
      AFFIANT_BACKFILL_MAX_RUNNING: "1",
    });
    delete process.env.AFFIANT_BUCKET;
    const { handler } = await import("../../api/lambda.ts");
    const event = (method: string, rawPath: string, body?: string) => ({
      version: "2.0",
      routeKey: "$default",
      rawPath,
      rawQueryString: "",
      headers: { host: "api.example.com", ...(body ? { "content-type": "application/json" } : {}) },
      requestContext: {
        http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "10.0.0.1", userAgent: "test" },
        requestId: "r1",
        routeKey: "$default",
        stage: "$default",
        accountId: "000000000000",
        apiId: "api",
        domainName: "api.example.com",
        domainPrefix: "api",
        time: "",
        timeEpoch: 0,
      },
      body,
      isBase64Encoded: false,
    });
    const got = await handler(event("GET", "/executions/sdk-run-1") as never);
    assert.equal(got.statusCode, 200, got.body);
    assert.equal(JSON.parse(got.body).states.find((s: { name: string }) => s.name === "Extract").status, "SUCCEEDED");
    const missing = await handler(event("GET", "/executions/nope/declaration") as never);
    assert.equal(missing.statusCode, 404);
    // Presigned uploads need the S3 store; without a bucket the API says so, as a 400.
    const tvisaCase = JSON.parse(readFileSync(path.join(samples.tvisa, "case.json"), "utf8"));
    const planned = await handler(
      event(
        "POST",
        "/cases",
        JSON.stringify({
          case: tvisaCase,
          files: tvisaCase.documents.map((d: { file: string }) => ({ name: d.file, size: 10 })),
        }),
      ) as never,
    );
    assert.equal(planned.statusCode, 400, planned.body);
    assert.match(JSON.parse(planned.body).error.message, /AFFIANT_BUCKET/);

    // Scheduled backfill over two cases with no execution under their backfill names yet
    // (sdk-run-1 had a name of its own): at most one running, so one starts, one waits.
    const second = copyCase(samples.tvisa, path.join(env.AFFIANT_HOME!, "tvisa-copy"));
    const res = await fetch(`${serve.url}/cases`, {
      method: "POST",
      body: caseForm(second),
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 201);
    const { handler: backfill } = await import("../../api/backfill-lambda.ts");
    const first = await backfill();
    assert.deepEqual({ cases: first.cases, started: first.started, deferred: first.deferred }, { cases: 2, started: 1, deferred: 1 });
    const again = await backfill();
    assert.equal(again.started, 0, "a second run while one is in flight starts nothing new");
    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: "RUNNING" }));
    assert.equal(running.executions!.length, 1);
    assert.match(running.executions![0]!.name!, /-p\d+$/);
    await sfn.send(new StopExecutionCommand({ executionArn: running.executions![0]!.executionArn }));
  } finally {
    process.env = saved;
  }
});
