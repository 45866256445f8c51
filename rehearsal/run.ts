/**
 * The bundled handlers, run: each in its own process from its bundle folder, with the
 * environment the stack gives it (paths under /var/task moved to the bundle), its own
 * credentials, and AWS endpoints pointed at the emulators (rehearsal/emulators.ts). Every
 * request they make is recorded and turned into the IAM call it is (S3 action and resource,
 * the KMS calls S3 makes on the caller's behalf, the KMS stand-in's calls), for iam-simulate.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { hostPath } from "../core/config.ts";
import { StatesError } from "../core/errors.ts";
import type { DeployedFunction } from "../infra/permissions.ts";
import type { Bundle } from "./bundle.ts";
import type { RecordedRequest } from "./emulators.ts";
import type { AwsCall } from "./evaluate.ts";
import { account, region, type Synthesized } from "./synth.ts";

export const accessKeyOf = (fn: DeployedFunction) =>
  `AKIAREHEARSAL${fn
    .replace(/[^a-z]/g, "")
    .toUpperCase()
    .slice(0, 10)}`;

export interface HandlerRun {
  result: unknown;
  stdout: string;
  stderr: string;
}

/** Invocations so far: each gets its own event and result files (two of one function may overlap: WarmUp's Event invoke and an Acquire). */
let invocations = 0;

export function runBundledHandler(
  bundle: Bundle,
  s: Synthesized,
  fn: DeployedFunction,
  event: unknown,
  endpoints: string,
  extraEnv: Record<string, string> = {},
): Promise<HandlerRun> {
  const n = ++invocations;
  const out = path.join(bundle.dir, "..", `${fn}.${n}.result.json`);
  const env: Record<string, string> = {
    PATH: hostPath(),
    HOME: path.join(bundle.dir, ".."),
    LAMBDA_TASK_ROOT: bundle.dir,
    AWS_LAMBDA_FUNCTION_NAME: `affiant-production-${fn}`,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: accessKeyOf(fn),
    AWS_SECRET_ACCESS_KEY: "rehearsal",
    AWS_ENDPOINT_URL_S3: endpoints,
    AWS_ENDPOINT_URL_KMS: endpoints,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints,
    ...Object.fromEntries(Object.entries(s.table[fn].environment).map(([k, v]) => [k, String(v).replace("/var/task", bundle.dir)])),
    ...extraEnv,
  };
  const eventFile = path.join(bundle.dir, "..", `${fn}.${n}.event.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  // As the Lambda runtime reports it: the result, or the error's type and message.
  const script = [
    `const fs = await import("node:fs");`,
    `const m = await import(${JSON.stringify(`./${bundle.entryFile}`)});`,
    `const event = JSON.parse(fs.readFileSync(${JSON.stringify(eventFile)}, "utf8"));`,
    `try { const r = await m[${JSON.stringify(bundle.exportName)}](event, { functionName: ${JSON.stringify(env.AWS_LAMBDA_FUNCTION_NAME)}, awsRequestId: "rehearsal", getRemainingTimeInMillis: () => ${s.table[fn].timeoutSeconds * 1000} }); fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ ok: r ?? null })); }`,
    `catch (e) { fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ errorType: e?.name ?? "Error", errorMessage: String(e?.message ?? e) })); }`,
  ].join("\n");
  writeFileSync(out, "");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { cwd: bundle.dir, env, maxBuffer: 64 * 1024 * 1024, timeout: s.table[fn].timeoutSeconds * 1000 },
      (err, stdout, stderr) => {
        const written = readFileSync(out, "utf8");
        if (err && !written)
          return reject(new Error(`${fn} crashed: ${(stderr || stdout || err.message).split("\n").filter(Boolean).slice(-3).join(" | ")}`));
        const answer = JSON.parse(written) as { ok?: unknown; errorType?: string; errorMessage?: string };
        if (answer.errorType)
          return reject(
            new StatesError(answer.errorType, JSON.stringify({ errorType: answer.errorType, errorMessage: answer.errorMessage })),
          );
        resolve({ result: answer.ok, stdout, stderr });
      },
    );
  });
}

/** The IAM calls behind the recorded requests of one function. */
export function iamCallsOf(requests: RecordedRequest[], s: Synthesized, fn: DeployedFunction): AwsCall[] {
  const role = s.functionRoles[fn];
  return iamCallsOfSigner(requests, s, accessKeyOf(fn), {
    caller: `Fn ${fn} (recorded)`,
    principal: role.arn,
    identityPolicies: [{ name: `${fn}-role-policy`, policy: role.policy }],
  });
}

/** The IAM calls behind the recorded requests signed with one access key. */
export function iamCallsOfSigner(
  requests: RecordedRequest[],
  s: Synthesized,
  accessKeyId: string,
  base: Pick<AwsCall, "caller" | "principal" | "identityPolicies">,
): AwsCall[] {
  const viaS3 = {
    "kms:ViaService": `s3.${region}.amazonaws.com`,
    "kms:EncryptionContext:aws:s3:arn": s.bucket.arn,
    "kms:CallerAccount": account,
  };
  const keyPolicy = (arn: string) => (arn === s.keys.vault.arn ? s.keys.vault.policy : s.keys.data.policy);
  const calls: AwsCall[] = [];
  for (const r of requests.filter((x) => x.accessKeyId === accessKeyId)) {
    if (r.service === "states") {
      const op = String(r.operation);
      // Task-token callbacks take no resource: the token authorises them.
      const resource = op.startsWith("SendTask")
        ? "*"
        : op === "GetActivityTask"
          ? String(r.body?.activityArn)
          : op === "StartExecution" || op === "ListExecutions"
            ? String(r.body?.stateMachineArn)
            : String(r.body?.executionArn);
      calls.push({ ...base, action: `states:${op}`, resource });
      continue;
    }
    if (r.service === "sqs") {
      // The queue is the QueueUrl's path: /<account>/<name>.
      const [, owner, name] = new URL(String(r.body?.QueueUrl ?? ""), "http://x").pathname.split("/");
      calls.push({ ...base, action: `sqs:${r.operation}`, resource: `arn:aws:sqs:${region}:${owner}:${name}` });
      continue;
    }
    if (r.service === "ecs") {
      const onCluster = { "ecs:cluster": String(r.body?.cluster ?? "") };
      if (r.operation === "RunTask") {
        calls.push({ ...base, action: "ecs:RunTask", resource: String(r.body?.taskDefinition), context: onCluster });
        // RunTask passes the task definition's roles to ECS.
        const taskDef = s.worker.taskDefinitions.find((t) => t.state.arn === r.body?.taskDefinition);
        for (const role of taskDef ? [taskDef.inputs.taskRoleArn, taskDef.inputs.executionRoleArn] : [])
          calls.push({
            ...base,
            action: "iam:PassRole",
            resource: String(role),
            context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
          });
        if (r.body?.tags?.length)
          calls.push({
            ...base,
            action: "ecs:TagResource",
            resource: `${String(r.body?.cluster).replace(":cluster/", ":task/")}/*`,
            context: { "ecs:CreateAction": "RunTask" },
          });
      } else if (r.operation === "TagResource" || r.operation === "UntagResource")
        calls.push({ ...base, action: `ecs:${r.operation}`, resource: String(r.body?.resourceArn) });
      else if (r.operation === "StopTask")
        calls.push({ ...base, action: "ecs:StopTask", resource: String(r.body?.task), context: onCluster });
      else if (r.operation === "DescribeTasks")
        for (const t of (r.body?.tasks ?? []) as string[])
          calls.push({ ...base, action: "ecs:DescribeTasks", resource: t, context: onCluster });
      else calls.push({ ...base, action: `ecs:${r.operation}`, resource: "*", context: onCluster });
      continue;
    }
    if (r.service === "dynamodb") {
      calls.push({
        ...base,
        action: `dynamodb:${r.operation}`,
        resource: `arn:aws:dynamodb:${region}:${account}:table/${String(r.body?.TableName)}`,
      });
      continue;
    }
    if (r.service === "kms") {
      const keyId = String(r.body?.KeyId ?? "");
      // IAM sees the request's encryption context as kms:EncryptionContext:<key> condition keys.
      const encryption = Object.fromEntries(
        Object.entries((r.body?.EncryptionContext ?? {}) as Record<string, string>).map(([k, v]) => [
          `kms:EncryptionContext:${k}`,
          String(v),
        ]),
      );
      calls.push({
        ...base,
        action: `kms:${r.operation}`,
        resource: keyId,
        resourcePolicy: keyPolicy(keyId),
        context: { "kms:CallerAccount": account, ...encryption },
      });
      continue;
    }
    const [, bucket, ...rest] = r.path.split("/");
    const key = rest.join("/");
    if (bucket !== s.bucket.name) {
      calls.push({ ...base, action: "s3:UnknownBucket", resource: `arn:aws:s3:::${bucket}` });
      continue;
    }
    if (!key) {
      if (r.method === "GET" && r.query.has("list-type"))
        calls.push({
          ...base,
          action: "s3:ListBucket",
          resource: s.bucket.arn,
          resourcePolicy: s.bucket.policy,
          context: { "s3:prefix": r.query.get("prefix") ?? "" },
        });
      continue;
    }
    const object = `${s.bucket.arn}/${key}`;
    if (r.method === "GET" || r.method === "HEAD") {
      calls.push({ ...base, action: "s3:GetObject", resource: object, resourcePolicy: s.bucket.policy });
      if (r.method === "GET" && r.status === 200)
        calls.push({ ...base, action: "kms:Decrypt", resource: s.keys.data.arn, resourcePolicy: s.keys.data.policy, context: viaS3 });
    } else if (r.method === "PUT") {
      const sse = r.headers["x-amz-server-side-encryption"];
      const keyId = r.headers["x-amz-server-side-encryption-aws-kms-key-id"];
      const context: Record<string, string> = {};
      if (typeof sse === "string") context["s3:x-amz-server-side-encryption"] = sse;
      if (typeof keyId === "string") context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = keyId;
      calls.push({ ...base, action: "s3:PutObject", resource: object, resourcePolicy: s.bucket.policy, context });
      const used = typeof keyId === "string" ? keyId : s.keys.data.arn;
      calls.push({ ...base, action: "kms:GenerateDataKey", resource: used, resourcePolicy: keyPolicy(used), context: viaS3 });
    } else if (r.method === "DELETE") {
      calls.push({ ...base, action: "s3:DeleteObject", resource: object, resourcePolicy: s.bucket.policy });
    }
  }
  return calls;
}
