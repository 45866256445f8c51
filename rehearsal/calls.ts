/**
 * Every AWS call the deployed components make on a case's way through the pipeline, as
 * read from their code (core/s3-blob-store.ts, functions/*, containers/llama-worker, the
 * instances' user data), plus the README's deploy commands. The key ids and table names come
 * from each component's synthesized environment, so a function deployed with the wrong
 * key (or none) makes the call that IAM would refuse. Calls marked `denied` must be refused:
 * they prove that a condition or a Deny in the rendered policies is really there.
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { caseKeys, privateKeyOf } from "../core/case-file.ts";
import { splitRef } from "../core/registry.ts";
import { reviewNotesKey, reviewRoundKey } from "../core/review.ts";
import { reviewLocksKey } from "../core/review-paragraphs.ts";
import { gpuStages, lambdaFunctions } from "../core/state-names.ts";
import { type SealedPurpose, sealedPurposes } from "../functions/redaction/sealed-purposes.ts";
import { reviewDocumentJsonKey } from "../functions/review-document.ts";
import type { DeployedFunction } from "../infra/permissions.ts";
import { modelsPrefix } from "../infra/storage.ts";
import type { AwsCall } from "./evaluate.ts";
import { account, region, type Synthesized } from "./synth.ts";

const c = "case-0001";
const e = "exec-0001";
const run = caseKeys.run(c, e);
/** Where Reinject's outputs and the attorney's raw notes go (core/case-file.ts). */
const realValues = privateKeyOf(run);

export function declaredCalls(s: Synthesized, root: string): AwsCall[] {
  const calls: AwsCall[] = [];
  const viaS3 = `s3.${region}.amazonaws.com`;
  const object = (key: string) => `${s.bucket.arn}/${key}`;

  /** A caller's S3 and KMS calls as S3BlobStore makes them, with the key its environment names. */
  const blobs = (caller: string, principal: string, identity: AwsCall["identityPolicies"], env: Record<string, unknown>) => {
    const kmsKeyId = typeof env.AFFIANT_BUCKET_KMS_KEY_ID === "string" ? env.AFFIANT_BUCKET_KMS_KEY_ID : undefined;
    const base = { caller, principal, identityPolicies: identity };
    const sseContext = (key: string) => ({
      "kms:ViaService": viaS3,
      "kms:EncryptionContext:aws:s3:arn": s.bucket.arn,
      "kms:CallerAccount": account,
      _key: key,
    });
    const kmsKey = kmsKeyId ?? s.keys.data.arn;
    const strip = (ctx: Record<string, string>) => Object.fromEntries(Object.entries(ctx).filter(([k]) => !k.startsWith("_")));
    return {
      get: (key: string) => [
        { ...base, action: "s3:GetObject", resource: object(key), resourcePolicy: s.bucket.policy },
        // S3 decrypts with the key that wrote the object (the bucket's), on the caller's behalf.
        { ...base, action: "kms:Decrypt", resource: s.keys.data.arn, resourcePolicy: s.keys.data.policy, context: strip(sseContext(key)) },
      ],
      put: (key: string) => [
        {
          ...base,
          action: "s3:PutObject",
          resource: object(key),
          resourcePolicy: s.bucket.policy,
          context: kmsKeyId
            ? { "s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKeyId }
            : {},
        },
        {
          ...base,
          action: "kms:GenerateDataKey",
          resource: kmsKey,
          resourcePolicy: kmsKey === s.keys.data.arn ? s.keys.data.policy : s.keys.vault.policy,
          context: strip(sseContext(key)),
        },
      ],
      list: (prefix: string) => [
        { ...base, action: "s3:ListBucket", resource: s.bucket.arn, resourcePolicy: s.bucket.policy, context: { "s3:prefix": prefix } },
      ],
      del: (key: string) => [{ ...base, action: "s3:DeleteObject", resource: object(key), resourcePolicy: s.bucket.policy }],
    };
  };

  const fn = (name: DeployedFunction) => {
    const role = s.functionRoles[name];
    const identity = [{ name: `${name}-role-policy`, policy: role.policy }];
    const env = s.table[name].environment as Record<string, unknown>;
    const caller = `Fn ${name}`;
    const vaultKey = typeof env.AFFIANT_KMS_KEY_ID === "string" ? env.AFFIANT_KMS_KEY_ID : "(AFFIANT_KMS_KEY_ID unset)";
    // Each sealed kind names its purpose in the encryption context (functions/redaction/sealed-purposes.ts).
    const vault = (action: string, purpose: SealedPurpose): AwsCall => ({
      caller,
      principal: role.arn,
      identityPolicies: identity,
      action,
      resource: vaultKey,
      resourcePolicy: s.keys.vault.policy,
      context: { "kms:CallerAccount": account, "kms:EncryptionContext:purpose": purpose },
    });
    return { role, identity, env, caller, b: blobs(caller, role.arn, identity, env), vault };
  };

  // Extract: case.json and the documents, the sealed pages (vault key), the file-name list.
  {
    const f = fn(lambdaFunctions.extract);
    calls.push(...f.b.get(`cases/${c}/case.json`), ...f.b.list(`cases/${c}/documents/`), ...f.b.get(`cases/${c}/documents/a.pdf`));
    calls.push({
      caller: f.caller,
      principal: f.role.arn,
      identityPolicies: f.identity,
      action: "textract:DetectDocumentText",
      resource: "*",
    });
    calls.push(
      f.vault("kms:GenerateDataKey", sealedPurposes.extractedText),
      ...f.b.put(`${run}/extract.sealed`),
      ...f.b.put(`vault/${c}/${e}.documents.json`),
    );
  }
  // Redact: opens the sealed pages, seals the vault.
  {
    const f = fn(lambdaFunctions.redact);
    calls.push(...f.b.get(`${run}/extract.sealed`), f.vault("kms:Decrypt", sealedPurposes.extractedText));
    calls.push({
      caller: f.caller,
      principal: f.role.arn,
      identityPolicies: f.identity,
      action: "comprehend:DetectPiiEntities",
      resource: "*",
    });
    calls.push(f.vault("kms:GenerateDataKey", sealedPurposes.vault), ...f.b.put(`vault/${c}/${e}.enc`), ...f.b.put(`${run}/redacted.json`));
    calls.push(f.vault("kms:GenerateDataKey", sealedPurposes.guard), ...f.b.put(`vault/${c}/${e}.guard`));
  }
  // Index and Score: Titan embeddings.
  const titan = `arn:aws:bedrock:${region}::foundation-model/${s.registry.embedding?.bedrock.model ?? "amazon.titan-embed-text-v2:0"}`;
  for (const name of [lambdaFunctions.index, lambdaFunctions.score] as const) {
    const f = fn(name);
    calls.push(...f.b.get(`${run}/redacted.json`), {
      caller: f.caller,
      principal: f.role.arn,
      identityPolicies: f.identity,
      action: "bedrock:InvokeModel",
      resource: titan,
    });
    calls.push(...f.b.put(`${run}/${name}.json`));
    // The bucket's key is usable only through S3: a direct call must be refused.
    calls.push({
      caller: f.caller,
      principal: f.role.arn,
      identityPolicies: f.identity,
      action: "kms:Decrypt",
      resource: s.keys.data.arn,
      resourcePolicy: s.keys.data.policy,
      expect: "denied",
      why: "kms:ViaService condition rendered",
    });
    // The embedding guard opens the privacy guard's keyed hashes (never the vault) before any chunk leaves for Bedrock.
    calls.push(...f.b.get(`vault/${c}/${e}.guard`), { ...f.vault("kms:Decrypt", sealedPurposes.guard), resource: s.keys.vault.arn });
    calls.push({
      ...f.vault("kms:Decrypt", sealedPurposes.vault),
      resource: s.keys.vault.arn,
      expect: "denied",
      why: "the embedding guard never opens the vault",
    });
  }
  // Fallback: the privacy guard opens its keyed hashes, never the vault or Extract's text; Bedrock per chain; routing table; cost ledger.
  {
    const f = fn(lambdaFunctions.fallback);
    calls.push(...f.b.get(`vault/${c}/${e}.guard`), f.vault("kms:Decrypt", sealedPurposes.guard), ...f.b.get(`${run}/redacted.json`));
    calls.push({ ...f.vault("kms:Decrypt", sealedPurposes.vault), expect: "denied", why: "the fallback never opens the vault" });
    calls.push({
      ...f.vault("kms:Decrypt", sealedPurposes.extractedText),
      expect: "denied",
      why: "the fallback cannot decrypt Extract's sealed text",
    });
    calls.push({ ...f.b.get(`vault/${c}/${e}.enc`)[0]!, expect: "denied", why: "the fallback cannot read the vault blob" });
    calls.push({
      ...f.b.get(`vault/${c}/${e}.documents.json`)[0]!,
      expect: "denied",
      why: "the fallback cannot read the case's file names",
    });
    for (const stage of gpuStages) {
      for (const ref of s.registry.stages[stage]!.fallback) {
        const [provider, id] = splitRef(ref);
        if (provider !== "bedrock") continue;
        const profile = /^(us|eu|apac|global)\.(.+)$/.exec(id);
        // A cross-region inference profile: the profile, then the model in whichever region serves it.
        const arns = profile
          ? [`arn:aws:bedrock:${region}:${account}:inference-profile/${id}`, `arn:aws:bedrock:us-west-2::foundation-model/${profile[2]}`]
          : [`arn:aws:bedrock:${region}::foundation-model/${id}`];
        for (const arn of arns)
          calls.push({
            caller: `${f.caller} (${stage})`,
            principal: f.role.arn,
            identityPolicies: f.identity,
            action: "bedrock:InvokeModel",
            resource: arn,
          });
      }
    }
    for (const action of ["dynamodb:PutItem", "dynamodb:Query"])
      calls.push({ caller: f.caller, principal: f.role.arn, identityPolicies: f.identity, action, resource: s.routingTable.arn });
    calls.push(...f.b.put(`${run}/costs/ExtractFacts-r0.json`), ...f.b.put(`${run}/facts.json`));
  }
  // Reinject: the vault, the draft, the cost ledger, the outputs.
  {
    const f = fn(lambdaFunctions.reinject);
    calls.push(
      ...f.b.get(`vault/${c}/${e}.enc`),
      f.vault("kms:Decrypt", sealedPurposes.vault),
      ...f.b.get(`${run}/draft.json`),
      ...f.b.get(`vault/${c}/${e}.documents.json`),
    );
    calls.push(...f.b.list(`${run}/costs/`), ...f.b.get(`${run}/costs/ExtractFacts-r0.json`));
    // The outputs hold real values: under the run's real-value prefix, where functions/reinject-pii.ts writes them.
    for (const out of ["declaration.md", "declaration.docx", "declaration.pdf", "report.json"])
      calls.push(...f.b.put(`${realValues}/${out}`));
    calls.push(...f.b.put(reviewDocumentJsonKey(run)));
  }
  // RecordApproval: the approved filing copy and approval.json, real values, where functions/record-approval.ts writes them.
  {
    const f = fn(lambdaFunctions.recordApproval);
    calls.push(...f.b.get(`vault/${c}/${e}.enc`), f.vault("kms:Decrypt", sealedPurposes.vault), ...f.b.get(`${run}/draft.json`));
    for (const out of ["final/declaration.filing.md", "final/declaration.filing.docx", "final/declaration.filing.pdf", "approval.json"])
      calls.push(...f.b.put(`${realValues}/${out}`));
  }
  // AttorneyNotes: the attorney's notes as written (real names), redacted into the run.
  {
    const f = fn(lambdaFunctions.reviewNotes);
    calls.push(...f.b.get(reviewNotesKey(run, 0)), ...f.b.get(`vault/${c}/${e}.enc`), f.vault("kms:Decrypt", sealedPurposes.vault));
    calls.push(...f.b.put(`${run}/attorney-notes-1.json`));
  }
  // Real values at rest are out of reach of everything that sends text out (the fallback, outside
  // the VPC; Index and Score, to Bedrock): the keys are the ones the code writes.
  for (const name of [lambdaFunctions.fallback, lambdaFunctions.index, lambdaFunctions.score] as const) {
    const f = fn(name);
    for (const key of [`${realValues}/declaration.md`, `${realValues}/report.json`, reviewDocumentJsonKey(run), reviewNotesKey(run, 0)])
      calls.push({ ...f.b.get(key)[0]!, expect: "denied", why: `${name} cannot read the real-value prefix` });
    calls.push({ ...f.b.put(`${realValues}/declaration.md`)[0]!, expect: "denied", why: `${name} cannot write the real-value prefix` });
  }
  // API: a case upload (replacing old documents), a presigned upload, executions.
  {
    const f = fn("api");
    calls.push(
      ...f.b.list(`cases/${c}/documents/`),
      ...f.b.del(`cases/${c}/documents/old.pdf`),
      ...f.b.put(`cases/${c}/case.json`),
      ...f.b.put(`cases/${c}/documents/a.pdf`),
    );
    // A presigned POST carries the signer's identity and the fields it was signed with.
    // The key api/lambda.ts signs with: whichever variable it reads, as the api's environment sets it.
    const presignVar =
      /"x-amz-server-side-encryption-aws-kms-key-id":\s*env\.(\w+)/.exec(readFileSync(path.join(root, "api/lambda.ts"), "utf8"))?.[1] ??
      "(none)";
    const presignKey = typeof f.env[presignVar] === "string" ? (f.env[presignVar] as string) : "";
    calls.push({
      caller: `presigned upload (signed by Fn api, key from ${presignVar}${presignKey ? "" : ", unset"})`,
      principal: f.role.arn,
      identityPolicies: f.identity,
      action: "s3:PutObject",
      resource: object(`cases/${c}/documents/b.pdf`),
      resourcePolicy: s.bucket.policy,
      context: {
        "s3:x-amz-server-side-encryption": "aws:kms",
        ...(presignKey ? { "s3:x-amz-server-side-encryption-aws-kms-key-id": presignKey } : {}),
      },
    });
    // Before a start the API checks each upload's size (HeadObject) and magic bytes (a ranged GET).
    calls.push(...f.b.get(`cases/${c}/documents/b.pdf`));
    // The review route keeps the attorney's notes as written; the outputs and the review document go to the attorney.
    calls.push(...f.b.put(reviewNotesKey(run, 0)), ...f.b.get(reviewDocumentJsonKey(run)), ...f.b.get(`${realValues}/declaration.md`));
    // A decision's paragraph numbers are checked against the draft under review and the run's
    // locks (which may not exist yet: HeadObject's 404 needs the listing); the locks are kept;
    // a waiting execution's summary reads its round's review document.
    calls.push(
      ...f.b.list(`${run}/review-locks.json`),
      ...f.b.get(reviewLocksKey(run)),
      ...f.b.put(reviewLocksKey(run)),
      ...f.b.get(`${run}/draft-0.json`),
      ...f.b.get(reviewDocumentJsonKey(reviewRoundKey(run, 0))),
    );
    calls.push({
      caller: "Fn api (must not open the vault)",
      principal: f.role.arn,
      identityPolicies: f.identity,
      action: "kms:Decrypt",
      resource: s.keys.vault.arn,
      resourcePolicy: s.keys.vault.policy,
      expect: "denied",
    });
    const execution = `${s.stateMachine.arn.replace(":stateMachine:", ":execution:")}:${e}`;
    calls.push({
      caller: f.caller,
      principal: f.role.arn,
      identityPolicies: f.identity,
      action: "states:StartExecution",
      resource: s.stateMachine.arn,
    });
    for (const action of ["states:DescribeExecution", "states:GetExecutionHistory"])
      calls.push({ caller: f.caller, principal: f.role.arn, identityPolicies: f.identity, action, resource: execution });
  }
  // Backfill: lists cases, starts the missing executions.
  {
    const f = fn("backfill");
    calls.push(...f.b.list("cases/"), ...f.b.get(`cases/${c}/case.json`));
    for (const action of ["states:ListExecutions", "states:StartExecution"])
      calls.push({ caller: f.caller, principal: f.role.arn, identityPolicies: f.identity, action, resource: s.stateMachine.arn });
  }
  // The state machine: every Lambda, and no task of its own (the acquire Lambda starts them).
  {
    const base = {
      caller: "state machine",
      principal: s.stateMachine.roleArn,
      identityPolicies: [{ name: "StateMachinePolicy", policy: s.stateMachine.policy }],
    };
    for (const name of Object.values(lambdaFunctions))
      calls.push({ ...base, action: "lambda:InvokeFunction", resource: s.functionArns[name] });
    const cluster = s.resources.find((r) => r.type === "aws:ecs/cluster:Cluster")!.state.arn as string;
    for (const t of s.worker.taskDefinitions)
      calls.push({ ...base, action: "ecs:RunTask", resource: t.state.arn, context: { "ecs:cluster": cluster }, expect: "denied" });
  }
  // The acquire Lambda: every worker task definition on the cluster, passing the worker roles, tokens to the ready queues.
  {
    const f = fn(lambdaFunctions.acquire);
    const base = { caller: f.caller, principal: f.role.arn, identityPolicies: f.identity };
    const cluster = s.resources.find((r) => r.type === "aws:ecs/cluster:Cluster")!.state.arn as string;
    for (const t of s.worker.taskDefinitions) {
      calls.push({ ...base, action: "ecs:RunTask", resource: t.state.arn, context: { "ecs:cluster": cluster } });
      calls.push({
        ...base,
        action: "iam:PassRole",
        resource: t.inputs.taskRoleArn,
        context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
      });
    }
    calls.push({
      ...base,
      action: "ecs:RunTask",
      resource: s.worker.taskDefinitions[0]!.state.arn,
      context: { "ecs:cluster": `${cluster}-other` },
      expect: "denied",
    });
    for (const role of s.resources.filter((r) => r.name === "WorkerExecutionRole").map((r) => r.state.arn as string)) {
      calls.push({ ...base, action: "iam:PassRole", resource: role, context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
    }
    for (const q of s.resources.filter((r) => r.type === "aws:sqs/queue:Queue")) {
      for (const action of ["sqs:SendMessage", "sqs:GetQueueAttributes"]) calls.push({ ...base, action, resource: q.state.arn });
    }
  }
  // Each model's worker: its own activity and ready queue, never another model's.
  for (const t of s.worker.taskDefinitions) {
    const role = s.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === t.inputs.taskRoleArn)!;
    const policy = JSON.parse(
      s.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.inputs.role === role.state.id)!.inputs.policy,
    );
    const base = {
      caller: `worker task ${t.inputs.family}`,
      principal: role.state.arn as string,
      identityPolicies: [{ name: "WorkerTaskPolicy", policy }],
    };
    const env = Object.fromEntries(
      (JSON.parse(t.inputs.containerDefinitions)[0].environment as Array<{ name: string; value: string }>).map((v) => [v.name, v.value]),
    );
    const activity = s.resources.find((r) => r.type === "aws:sfn/activity:Activity" && r.state.arn === env.AFFIANT_ACTIVITY_ARN)!;
    const queue = s.resources.find((r) => r.type === "aws:sqs/queue:Queue" && r.state.url === env.AFFIANT_READY_QUEUE_URL)!;
    calls.push({ ...base, action: "states:GetActivityTask", resource: activity.state.arn });
    for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage"]) calls.push({ ...base, action, resource: queue.state.arn });
    for (const other of s.resources.filter((r) => r.type === "aws:sfn/activity:Activity" && r !== activity))
      calls.push({ ...base, action: "states:GetActivityTask", resource: other.state.arn, expect: "denied" });
    // It tags its own task with the stage it holds; no other cluster's tasks, and it stops none.
    const cluster = s.resources.find((r) => r.type === "aws:ecs/cluster:Cluster")!.state.arn as string;
    const ownTask = `${cluster.replace(":cluster/", ":task/")}/0123456789abcdef`;
    for (const action of ["ecs:TagResource", "ecs:UntagResource"]) calls.push({ ...base, action, resource: ownTask });
    calls.push({
      ...base,
      action: "ecs:TagResource",
      resource: `${ownTask.split(":task/")[0]}:task/other-cluster/0123456789abcdef`,
      expect: "denied",
    });
    calls.push({ ...base, action: "ecs:StopTask", resource: ownTask, context: { "ecs:cluster": cluster }, expect: "denied" });
  }
  // The worker task: stage input and output blobs, callbacks, routing outcomes.
  {
    const identity = [{ name: "WorkerTaskPolicy", policy: s.worker.taskPolicy }];
    const env = Object.fromEntries(
      (JSON.parse(s.worker.taskDefinitions[0]!.inputs.containerDefinitions)[0].environment as Array<{ name: string; value: string }>).map(
        (v) => [v.name, v.value],
      ),
    );
    const b = blobs("worker task", s.worker.taskRoleArn, identity, env);
    calls.push(...b.get(`${run}/redacted.json`), ...b.put(`${run}/facts.json`), ...b.put(`${run}/costs/ExtractFacts-r0.json`));
    for (const action of ["states:SendTaskHeartbeat", "states:SendTaskSuccess", "states:SendTaskFailure"])
      calls.push({ caller: "worker task", principal: s.worker.taskRoleArn, identityPolicies: identity, action, resource: "*" });
    for (const action of ["dynamodb:PutItem", "dynamodb:Query"])
      calls.push({
        caller: "worker task",
        principal: s.worker.taskRoleArn,
        identityPolicies: identity,
        action,
        resource: s.routingTable.arn,
        context: { "dynamodb:LeadingKeys": "m" },
      });
  }
  // Each model's worker fetches its own model file (containers/llama-worker/model-fetch.ts):
  // HeadObject and ranged GetObject (both s3:GetObject), S3 decrypting with the bucket key.
  for (const t of s.worker.taskDefinitions) {
    const role = s.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === t.inputs.taskRoleArn)!;
    const policy = JSON.parse(
      s.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.inputs.role === role.state.id)!.inputs.policy,
    );
    const env = Object.fromEntries(
      (JSON.parse(t.inputs.containerDefinitions)[0].environment as Array<{ name: string; value: string }>).map((v) => [v.name, v.value]),
    );
    const b = blobs(`worker task ${t.inputs.family} (model fetch)`, role.state.arn as string, [{ name: "WorkerTaskPolicy", policy }], env);
    const file = s.registry.models[env.AFFIANT_PRELOAD_MODEL!]!.file;
    calls.push(...b.get(`${modelsPrefix}${file}`));
  }
  return calls.map(dedupe()).filter((x): x is AwsCall => x !== undefined);
}

/** The README's deploy commands, run by an administrator (AdministratorAccess). */
export function readmeCalls(s: Synthesized): AwsCall[] {
  const admin = `arn:aws:iam::${account}:role/Admin`;
  const identity = [
    { name: "AdministratorAccess", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } },
  ];
  const base = { principal: admin, identityPolicies: identity, action: "s3:PutObject", resourcePolicy: s.bucket.policy };
  const model = `${s.bucket.arn}/${modelsPrefix}${s.registry.models[s.registry.stages.DraftDeclaration!.model]!.file}`;
  return [
    {
      ...base,
      caller: "README: model upload (aws s3 cp --sse aws:kms --sse-kms-key-id <data key>)",
      resource: model,
      context: { "s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": s.keys.data.arn },
    },
    { ...base, caller: "README: model upload without flags (bucket default encryption)", resource: model, context: {} },
    {
      ...base,
      caller: "upload naming the vault key",
      resource: model,
      context: { "s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": s.keys.vault.arn },
      expect: "denied",
    },
    {
      ...base,
      caller: "upload with SSE-S3 (AES256)",
      resource: model,
      context: { "s3:x-amz-server-side-encryption": "AES256" },
      expect: "denied",
    },
    { ...base, caller: "upload over plain HTTP", resource: model, context: { "aws:SecureTransport": "false" }, expect: "denied" },
  ];
}

/** Calls repeated by several stages are evaluated once. */
function dedupe() {
  const seen = new Set<string>();
  return (call: AwsCall): AwsCall | undefined => {
    const id = JSON.stringify([call.caller, call.principal, call.action, call.resource, call.context, call.expect]);
    if (seen.has(id)) return undefined;
    seen.add(id);
    return call;
  };
}
