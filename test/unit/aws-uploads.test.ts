/**
 * Uploads in AWS (fast tier): the API hands out presigned S3 POSTs whose policy allows
 * exactly the planned size of application/pdf (made by the real @aws-sdk/s3-presigned-post,
 * offline), and a start checks what arrived (size, %PDF- at offset 0) before Step
 * Functions is called. Step Functions is mocked (aws-sdk-client-mock); the store is the
 * real local blob store.
 */

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { S3Client } from "@aws-sdk/client-s3";
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { mockClient } from "aws-sdk-client-mock";
import { AwsExecutions } from "../../api/aws-executions.ts";
import { documentKey, parseCaseJson } from "../../api/case-store.ts";
import { LocalBlobStore } from "../../core/blob-store.ts";
import { executionNameFor } from "../../core/execution-name.ts";
import { pipelineVersion } from "../../core/pipeline-state.ts";
import { samples, testTmp } from "../helpers.ts";

const machineArn = "arn:aws:states:us-east-1:000000000000:stateMachine:affiant";

function setUp() {
  const sfn = mockClient(SFNClient);
  sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error("nope"), { name: "ExecutionDoesNotExist" }));
  sfn.on(StartExecutionCommand).resolves({ executionArn: "arn", startDate: new Date() });
  mkdirSync(testTmp, { recursive: true });
  const store = new LocalBlobStore(mkdtempSync(path.join(testTmp, "aws-uploads-")));
  const s3 = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" } });
  const executions = new AwsExecutions({
    sfn: new SFNClient({ region: "us-east-1" }),
    stateMachineArn: machineArn,
    store,
    presignPost: (key, size, expiresIn) =>
      createPresignedPost(s3 as never, {
        Bucket: "affiant-cases",
        Key: key,
        Conditions: [
          ["content-length-range", size, size],
          ["eq", "$Content-Type", "application/pdf"],
        ],
        Fields: { "Content-Type": "application/pdf" },
        Expires: expiresIn,
      }),
  });
  return { sfn, store, executions };
}

const caseText = readFileSync(path.join(samples.vawa, "case.json"), "utf8");
const caseFile = parseCaseJson(caseText);
const pdf = readFileSync(path.join(samples.vawa, "intake-notes.pdf"));

test("planned uploads are presigned POSTs whose policy allows exactly the planned size of application/pdf", async () => {
  const { executions, sfn } = setUp();
  const [target] = await executions.planUploads(caseFile, caseText, [{ name: "intake-notes.pdf", size: pdf.byteLength }]);
  assert.equal(target!.method, "POST");
  assert.match(target!.url, /affiant-cases/);
  assert.equal(target!.fields!.key, `cases/${caseFile.caseId}/documents/intake-notes.pdf`);
  const policy = JSON.parse(Buffer.from(target!.fields!.Policy!, "base64").toString("utf8")) as { conditions: unknown[] };
  assert.deepEqual(
    policy.conditions.find((c) => Array.isArray(c) && c[0] === "content-length-range"),
    ["content-length-range", pdf.byteLength, pdf.byteLength],
  );
  assert.deepEqual(
    policy.conditions.find((c) => Array.isArray(c) && c[1] === "$Content-Type"),
    ["eq", "$Content-Type", "application/pdf"],
  );
  sfn.restore();
});

test("a start checks what arrived: another size, or anything before %PDF-, is refused by name before Step Functions is called", async () => {
  const { executions, store, sfn } = setUp();
  await executions.planUploads(caseFile, caseText, [{ name: "intake-notes.pdf", size: pdf.byteLength }]);
  const key = documentKey(caseFile.caseId, "intake-notes.pdf");

  await store.put(key, Buffer.concat([pdf, Buffer.alloc(1024 * 1024)]));
  await assert.rejects(executions.startExecution(caseFile.caseId), (err: Error) => {
    assert.equal(err.name, "Affiant.InvalidInput");
    assert.equal(
      err.message,
      `files: intake-notes.pdf: ${pdf.byteLength + 1024 * 1024} bytes stored, ${pdf.byteLength} planned; upload it again`,
    );
    return true;
  });
  const polyglot = Buffer.concat([Buffer.from("<html>"), pdf.subarray(6)]);
  await store.put(key, polyglot);
  await assert.rejects(executions.startExecution(caseFile.caseId), /files: intake-notes\.pdf: not a PDF \(it does not start with %PDF-\)/);
  assert.equal(sfn.commandCalls(StartExecutionCommand).length, 0);

  await store.put(key, pdf);
  const started = await executions.startExecution(caseFile.caseId);
  assert.equal(started.created, true);
  assert.equal(sfn.commandCalls(StartExecutionCommand).length, 1);
  sfn.restore();
});

test("a case whose execution runs or waits in AttorneyReview (RUNNING to Step Functions) refuses new documents with CaseBusy, changing nothing", async () => {
  const { executions, store, sfn } = setUp();
  await executions.putCase(caseFile, caseText, [{ name: "intake-notes.pdf", bytes: pdf }]);
  const before = await store.list(`cases/${caseFile.caseId}/documents`);
  // Attempt 1 failed, attempt 2 waits for the attorney.
  sfn
    .on(DescribeExecutionCommand)
    .rejects(Object.assign(new Error("nope"), { name: "ExecutionDoesNotExist" }))
    .on(DescribeExecutionCommand, { executionArn: executions.executionArn(executionNameFor(caseFile.caseId, pipelineVersion, 1)) })
    .resolves({ status: "FAILED" })
    .on(DescribeExecutionCommand, { executionArn: executions.executionArn(executionNameFor(caseFile.caseId, pipelineVersion, 2)) })
    .resolves({ status: "RUNNING" });
  const busy = (err: Error) => {
    assert.equal(err.name, "Affiant.CaseBusy");
    assert.match(err.message, new RegExp(`running or waiting execution \\(${executionNameFor(caseFile.caseId, pipelineVersion, 2)}\\)`));
    return true;
  };
  await assert.rejects(executions.putCase(caseFile, caseText, [{ name: "other.pdf", bytes: pdf }]), busy);
  await assert.rejects(executions.planUploads(caseFile, caseText, [{ name: "other.pdf", size: pdf.byteLength }]), busy);
  assert.deepEqual(await store.list(`cases/${caseFile.caseId}/documents`), before, "a refused upload changed the documents");
  sfn.restore();
});
