/**
 * The AWS CLI (Debian's `awscli`, botocore underneath) against `affiant serve`'s /sfn, as
 * the README shows it: botocore signs `content-type;host;x-amz-date;x-amz-target` and sends
 * no x-amz-content-sha256, which the verifier must accept while still binding the body.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { caseForm, makeTestHome, type ServeHandle, samples, startServe } from "../helpers.ts";

// Debian's package: `which aws` may find a pyenv shim that does not work.
const awsPath = "/usr/bin/aws";
const skip = !existsSync(awsPath) && !process.env.CI ? `${awsPath} is absent (apt-get install awscli); this test always runs in CI` : false;
const machineArn = "arn:aws:states:us-east-1:000000000000:stateMachine:affiant";
let serve: ServeHandle;

before(async () => {
  if (skip) return;
  serve = await startServe({ ...makeTestHome().env, AFFIANT_API_TOKEN: "" });
  const stored = await fetch(`${serve.url}/cases`, {
    method: "POST",
    body: caseForm(samples.vawa),
    headers: { authorization: `Bearer ${serve.token}` },
  });
  assert.equal(stored.status, 201);
});
after(async () => serve?.stop());

function aws(args: string[], secret = serve.token) {
  const r = spawnSync(
    awsPath,
    ["stepfunctions", ...args, "--endpoint-url", `${serve.url}/sfn`, "--region", "us-east-1", "--output", "json"],
    {
      encoding: "utf8",
      timeout: 60_000,
      // No config or credentials of the machine's own: only these.
      env: {
        PATH: process.env.PATH,
        HOME: "/nonexistent",
        AWS_ACCESS_KEY_ID: "affiant",
        AWS_SECRET_ACCESS_KEY: secret,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_MAX_ATTEMPTS: "1",
      },
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("aws stepfunctions … --endpoint-url …/sfn works: list, describe, and the service's errors", { skip }, async () => {
  const machines = aws(["list-state-machines"]);
  assert.equal(machines.code, 0, machines.stderr);
  assert.deepEqual(
    JSON.parse(machines.stdout).stateMachines.map((m: { stateMachineArn: string }) => m.stateMachineArn),
    [machineArn],
  );

  const described = aws(["describe-state-machine", "--state-machine-arn", machineArn]);
  assert.equal(described.code, 0, described.stderr);
  assert.equal(JSON.parse(described.stdout).name, "affiant");

  const listed = aws(["list-executions", "--state-machine-arn", machineArn]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(Array.isArray(JSON.parse(listed.stdout).executions));

  const missing = aws(["start-execution", "--state-machine-arn", machineArn, "--input", JSON.stringify({ caseId: "no-such-case" })]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /\(InvalidExecutionInput\).*case no-such-case does not exist/);

  const wrong = aws(["list-state-machines"], "not-the-token-at-all-0000000000");
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /\(InvalidSignatureException\)/);
});
