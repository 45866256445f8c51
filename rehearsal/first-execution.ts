/**
 * The first execution, rehearsed: see rehearseFirstExecution.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { poolCapacity } from "../core/gpu-pool-policy.ts";
import { S3BlobStore } from "../core/s3-blob-store.ts";
import { acquireStateName, fallbackStateName, gpuStages, lambdaFunctions, stateNames } from "../core/state-names.ts";
import type { DeployedFunction } from "../infra/permissions.ts";
import { productionRegistryFile } from "../infra/production.ts";
import { modelsPrefix } from "../infra/storage.ts";
import { allStates } from "../workflows/asl.ts";
import type { AslDefinition } from "../workflows/definition.ts";
import { ingestCase, readCaseFolder } from "../workflows/engine/case-intake.ts";
import { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";
import type { Bundle } from "./bundle.ts";
import { attempt, must } from "./checklist.ts";
import { startEmulators } from "./emulators.ts";
import type { AwsCall } from "./evaluate.ts";
import { bedrockCalls, type ExecutionRun, runDeployedDefinition } from "./execution.ts";
import { GpuPool } from "./gpu-pool.ts";
import { accessKeyOf, iamCallsOf, iamCallsOfSigner, runBundledHandler } from "./run.ts";
import { account, type Synthesized } from "./synth.ts";

const gpuStageNames: string[] = [...gpuStages];

/**
 * The drills run inside the first execution. Slow start: the first ECS task (WarmUp's, for the
 * first GPU stage's model) starts two minutes late, an instance launched from zero and the
 * image pulled. Stall: the draft's worker stops making progress mid-task; its generate state's
 * HeartbeatSeconds is cut to `stallHeartbeatSeconds` in the rehearsed copy of the definition
 * (the deployed 240 s would add four minutes), and the check is against that value.
 */
export const provisioningDelaySeconds = 120;
// A stage stories260K answers (the judges' prompts outgrow its context: ContextTooLarge, a fallback of its own).
const stallStage = "DraftDeclaration";
const stallHeartbeatSeconds = 20;

/**
 * The registry the rehearsed image carries for its workers: the production profile, with
 * ExtractFacts' output budget the one the tests give stories260K (400 tokens). At the production
 * 1200 its facts list runs to four per element, and the tiny model's greedy JSON repeats itself
 * (Affiant.GenerationRunaway): a fallback that says nothing about the deployment, and one that
 * would hide what the slow-start drill checks (the first GPU stage answered, no fallback).
 */
function rehearsedWorkerRegistry(root: string, work: string): string {
  const registry = JSON.parse(readFileSync(path.join(root, productionRegistryFile), "utf8"));
  registry.stages.ExtractFacts.maxTokens = stories260kExtractFactsTokens;
  const file = path.join(work, "worker-registry.json");
  writeFileSync(file, JSON.stringify(registry, null, 2));
  return file;
}
const stories260kExtractFactsTokens = 400;

/** The access key each model's worker tasks sign with (its own task role). */
export const workerAccessKeyOf = (model: string) =>
  `AKIAREHEARSALW${createHash("sha256").update(model).digest("hex").slice(0, 8).toUpperCase()}`;

/** The model's worker role and policy, as the stack gives its task definition. */
function workerRole(syn: Synthesized, taskDef: Synthesized["worker"]["taskDefinitions"][number]) {
  const role = syn.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === taskDef.inputs.taskRoleArn)!;
  const policy = JSON.parse(
    syn.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.inputs.role === role.state.id)!.inputs.policy,
  );
  return { arn: role.state.arn as string, policy };
}

const containerEnv = (taskDef: Synthesized["worker"]["taskDefinitions"][number]) =>
  Object.fromEntries(
    (JSON.parse(taskDef.inputs.containerDefinitions)[0].environment as Array<{ name: string; value: string }>).map((e) => [
      e.name,
      String(e.value),
    ]),
  );

/** A queue URL of the stack, at the emulators' door (the SDK sends each SQS call to its queue URL's host). */
const queueAt = (url: string, door: string) => door + new URL(url).pathname;

/**
 * The first execution as the README runs it: the case stored, the bundled API starting the
 * execution from an IAM-authorised event, then the deployed definition running it with every
 * Lambda bundled, against s3rver, dynalite and the KMS stand-in; their requests become IAM calls.
 */
/** An API Gateway (HTTP API, IAM auth) event for the bundled API, as a signed caller sends it. */
function apiEvent(method: string, rawPath: string, body?: string) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: "",
    headers: { host: "api.example.com", "content-type": "application/json", "content-length": String(body?.length ?? 0) },
    requestContext: {
      accountId: account,
      apiId: "rehearsal",
      // What API Gateway passes for `auth: { iam: true }`: the signer's identity, checked by AWS before the call.
      authorizer: {
        iam: {
          accessKey: "AKIAREHEARSALCALLER",
          accountId: account,
          callerId: "AROAREHEARSAL:caller",
          principalOrgId: null,
          userArn: `arn:aws:sts::${account}:assumed-role/CaseWorker/caller`,
          userId: "AROAREHEARSAL:caller",
        },
      },
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "198.51.100.7", userAgent: "rehearsal" },
      requestId: "rehearsal-request",
      routeKey: "$default",
      stage: "$default",
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(body ? { body } : {}),
    isBase64Encoded: false,
  };
}

/** The GPU stages in the order the execution entered their Acquire states. */
function stagesInOrder(execution: ExecutionRun | undefined): string[] {
  return (execution?.states ?? []).flatMap((n) => gpuStageNames.filter((g) => acquireStateName(g as never) === n));
}

export async function rehearseFirstExecution(
  root: string,
  syn: Synthesized,
  bundles: Partial<Record<DeployedFunction, Bundle>>,
  work: string,
): Promise<AwsCall[]> {
  const broker = new TaskTokenBroker();
  // The host's models folder, empty as on a fresh instance: each worker fetches its own model
  // from the bucket, where deploy step 5 uploads stories260K under each production file name.
  const modelsDir = path.join(work, "models");
  mkdirSync(modelsDir, { recursive: true });
  // The image's ENV (containers/llama-worker/Dockerfile), and the registry it copies to /app/models/registry.json in its rehearsed copy (above).
  const imageEnv = {
    AFFIANT_GPU: "cuda",
    AFFIANT_MODELS_DIR: "/models",
    NODE_ENV: "production",
    AFFIANT_REGISTRY: rehearsedWorkerRegistry(root, work),
  };
  const pool = new GpuPool(broker, provisioningDelaySeconds * 1000);
  const emulators = await startEmulators({
    directory: path.join(work, "s3"),
    bucket: syn.bucket.name,
    kmsKeys: [syn.keys.vault.arn],
    routingTable: syn.routingTable.name,
    reviewTable: syn.reviewTable.name,
    reviewLogTable: syn.reviewLogTable.name,
    broker,
    pool,
  });
  // RunTask: the task definition's container as ECS starts it, with this machine's differences
  // from a g5 task (no CUDA, the host folder for /models, the emulators' door).
  pool.launcher = (arn, taskArn) => {
    const taskDef = syn.worker.taskDefinitions.find((t) => t.state.arn === arn);
    if (!taskDef) return undefined;
    const env = containerEnv(taskDef);
    return {
      ...imageEnv,
      ...env,
      AFFIANT_GPU: "cpu",
      AFFIANT_MODELS_DIR: modelsDir,
      AFFIANT_READY_QUEUE_URL: queueAt(env.AFFIANT_READY_QUEUE_URL!, emulators.url),
      AFFIANT_SFN_ENDPOINT: emulators.url,
      AWS_ENDPOINT_URL_S3: emulators.url,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.url,
      AWS_ENDPOINT_URL_ECS: emulators.url,
      ECS_CONTAINER_METADATA_URI_V4: `${emulators.url}/ecs-metadata/${taskArn.split("/").pop()}`,
      AWS_ACCESS_KEY_ID: workerAccessKeyOf(env.AFFIANT_PRELOAD_MODEL!),
      AWS_SECRET_ACCESS_KEY: "rehearsal",
    };
  };
  const pools = JSON.parse(String(syn.table[lambdaFunctions.acquire].environment.AFFIANT_WORKER_POOLS)) as {
    models: Record<string, { queueUrl: string }>;
  };
  for (const m of Object.values(pools.models)) m.queueUrl = queueAt(m.queueUrl, emulators.url);
  const awsDoors = {
    AWS_ENDPOINT_URL_ECS: emulators.url,
    AWS_ENDPOINT_URL_SQS: emulators.url,
    AFFIANT_WORKER_POOLS: JSON.stringify(pools),
  };
  const calls: AwsCall[] = [];
  const apiEnv = {
    AFFIANT_STATE_MACHINE_ARN: syn.stateMachine.arn,
    AFFIANT_SFN_ENDPOINT: emulators.url,
    AWS_ENDPOINT_URL_SFN: emulators.url,
  };
  try {
    // The case as the API stores it (its own calls are judged in the declared set).
    const client = new S3Client({
      endpoint: emulators.url,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "AKIAREHEARSALADMIN", secretAccessKey: "rehearsal" },
    });
    await attempt(
      "run",
      "the model files are in s3rver under models/, SSE-KMS with the data key, as deploy step 5 uploads them",
      async () => {
        const weights = readFileSync(path.join(root, "models/stories260K.gguf"));
        for (const model of Object.values(syn.registry.models))
          await client.send(
            new PutObjectCommand({
              Bucket: syn.bucket.name,
              Key: `${modelsPrefix}${model.file}`,
              Body: weights,
              ServerSideEncryption: "aws:kms",
              SSEKMSKeyId: syn.keys.data.arn,
            }),
          );
        return `${Object.keys(syn.registry.models).length} files of ${weights.length} bytes`;
      },
    );
    await attempt("run", "the sample case is stored in s3rver as the API stores it", async () => {
      await ingestCase(
        readCaseFolder(path.join(root, "examples/cases/vawa-sample")),
        new S3BlobStore({ bucket: syn.bucket.name, kmsKeyId: syn.keys.data.arn, client }),
      );
    });
    await attempt("run", "the API (bundled) starts the first execution from an IAM-authorised API Gateway event", async () => {
      const b = bundles.api;
      must(b, "no bundle");
      const event = apiEvent("POST", "/cases/vawa-sample-0001/executions");
      const run = await runBundledHandler(b, syn, "api", event, emulators.url, apiEnv);
      calls.push(...iamCallsOf(emulators.requests, syn, "api"));
      const response = run.result as { statusCode: number; body: string };
      must(response.statusCode >= 200 && response.statusCode < 300, `HTTP ${response.statusCode}: ${response.body.slice(0, 200)}`);
      const started = emulators.requests.filter((r) => r.service === "states" && r.operation === "StartExecution" && r.status === 200);
      must(started.length === 1, `${started.length} executions started`);
      return `HTTP ${response.statusCode}, ${String(started[0]!.body?.name)}`;
    });
    // The execution the API started, run from the deployed definition.
    const started = emulators.requests.find((r) => r.service === "states" && r.operation === "StartExecution" && r.status === 200);
    let execution: ExecutionRun | undefined;
    // AttorneyReview waits for the attorney: the bundled API's review route approves, from
    // the token request-review kept in the review table, with SendTaskSuccess.
    let review: Promise<{ statusCode: number; body: string }> | undefined;
    let reviewFrom = 0;
    const onTaskWaiting = (state: string, payload: Record<string, unknown>) => {
      if (state !== stateNames.attorneyReview || !bundles.api) return;
      reviewFrom = emulators.requests.length;
      // The round the gate waits in; a draft the scripted judges failed is approved with a reason.
      const body = JSON.stringify({
        decision: "approve",
        round: Number(payload.round),
        ...(payload.gateStatus === "passed" ? {} : { overrideReason: "rehearsal: scripted judges; the gate's verdict is not under test" }),
      });
      review = runBundledHandler(
        bundles.api,
        syn,
        "api",
        apiEvent("POST", `/executions/${String(started?.body?.name)}/review`, body),
        emulators.url,
        apiEnv,
      ).then((r) => r.result as { statusCode: number; body: string });
    };
    await attempt("run", "the deployed definition runs the started execution: bundled Lambdas, emulators, hosted fallbacks", async () => {
      must(started, "the API started no execution");
      // The drill: the stalled judge's fault in the input, its heartbeat cut in the rehearsed copy.
      const input = { ...JSON.parse(String(started.body?.input)), faults: { [stallStage]: "stall" } };
      const definition = JSON.parse(JSON.stringify(syn.definition)) as AslDefinition;
      for (const [name, st] of allStates(definition)) if (name === stallStage) st.HeartbeatSeconds = stallHeartbeatSeconds;
      execution = await runDeployedDefinition(
        { ...syn, definition },
        bundles,
        emulators.url,
        { name: String(started.body?.name), input },
        { AFFIANT_OCR: "tesseract", AFFIANT_COMPREHEND: "0", ...awsDoors },
        { broker, pool, onTaskWaiting },
      );
      for (const fn of Object.keys(syn.functionRoles) as DeployedFunction[])
        if (fn !== "api") calls.push(...iamCallsOf(emulators.requests, syn, fn));
      calls.push(...bedrockCalls(execution.providers, syn));
      for (const t of syn.worker.taskDefinitions) {
        const role = workerRole(syn, t);
        const model = containerEnv(t).AFFIANT_PRELOAD_MODEL!;
        calls.push(
          ...iamCallsOfSigner(emulators.requests, syn, workerAccessKeyOf(model), {
            caller: `worker task ${model} (recorded)`,
            principal: role.arn,
            identityPolicies: [{ name: "WorkerTaskPolicy", policy: role.policy }],
          }),
        );
      }
      must(execution.status === "SUCCEEDED", `${execution.status}: ${execution.error} (states: ${execution.states.join(" > ")})`);
      const out = execution.output as { declarationKey?: string; reportKey?: string };
      must(out?.declarationKey && out.reportKey, "no declaration in the output");
      return `${execution.states.length} task states; ${execution.providers.length} hosted calls; ${out.declarationKey}`;
    });
    await attempt(
      "run",
      "AttorneyReview waited with its token in the review table; the API's review route answered it with SendTaskSuccess",
      async () => {
        must(review, "the execution never waited in AttorneyReview");
        const answer = await review;
        calls.push(...iamCallsOf(emulators.requests.slice(reviewFrom), syn, "api"));
        must(answer.statusCode === 202, `HTTP ${answer.statusCode}: ${answer.body.slice(0, 200)}`);
        const ops = emulators.requests
          .slice(reviewFrom)
          .filter((r) => r.accessKeyId === accessKeyOf("api"))
          .map((r) => r.operation);
        must(ops.includes("SendTaskSuccess") && ops.includes("DeleteItem"), `the API called ${ops.join(", ")}`);
        // The reviewer is the IAM principal API Gateway authorised, never a name in the body.
        const approval = (execution?.output as { approval?: { decision?: string; reviewer?: string } } | undefined)?.approval;
        must(
          approval?.decision === "approve" && approval.reviewer === `arn:aws:sts::${account}:assumed-role/CaseWorker/caller`,
          `the output's approval: ${JSON.stringify(approval)}`,
        );
        return `approved by ${approval.reviewer}; ${ops.join(", ")}`;
      },
    );
    await attempt("run", "Extract's result (execution history) names no document file", () => {
      const state = execution?.results.get("Extract");
      must(state, "Extract did not run");
      const text = JSON.stringify(state);
      const names = readdirSync(path.join(root, "examples/cases/vawa-sample")).filter((f) => text.includes(f));
      must(names.length === 0 && !/\.pdf/i.test(text), `the state holds ${names.join(", ") || "a .pdf name"}`);
    });
    await attempt("run", "the KMS stand-in saw only known keys and matching encryption contexts", () => {
      const kms = emulators.requests.filter((r) => r.service === "kms");
      must(kms.length > 0, "no KMS call");
      must(
        kms.every((r) => r.status === 200),
        `KMS refused: ${kms
          .filter((r) => r.status !== 200)
          .map((r) => `${r.operation} ${r.body?.KeyId ?? ""}`)
          .join(", ")}`,
      );
      return `${kms.length} KMS calls`;
    });
    const workerSends = () =>
      emulators.requests.filter(
        (r) => r.service === "states" && r.operation?.startsWith("SendTask") && r.accessKeyId.startsWith("AKIAREHEARSALW"),
      );
    await attempt(
      "run",
      "each GPU stage: Acquire (acquire Lambda → ECS RunTask, ready queue) answered by a warm worker, generate taken from the model's activity",
      () => {
        must(execution, "no execution");
        const gpu = execution.states.filter((n) => gpuStageNames.includes(n));
        const answered = gpu.filter((n) => execution!.results.has(n));
        const acquired = execution.states.filter(
          (n) => gpuStageNames.some((g) => n === acquireStateName(g as never)) && execution!.results.has(n),
        );
        const polls = emulators.requests.filter((r) => r.operation === "GetActivityTask" && r.status === 200);
        const runTasks = emulators.requests.filter((r) => r.operation === "RunTask" && r.status === 200);
        const fallbacks = execution.states.filter((n) => n.endsWith("Fallback"));
        const providers = fallbacks.map((n) => (execution!.results.get(n) as { provider?: string } | undefined)?.provider);
        must(
          providers.every((p) => p === "bedrock"),
          `fallback providers: ${providers.join(", ")}`,
        );
        must(
          gpu.length > 0 && answered.length > 0 && acquired.length > 0,
          `${gpu.length} GPU states, ${answered.length} answered, ${acquired.length} acquired`,
        );
        must(
          workerSends().some((r) => r.operation === "SendTaskSuccess" && r.status === 200),
          "no SendTaskSuccess accepted from a worker",
        );
        const reused = acquired.filter((n) => (execution!.results.get(n) as { reused?: boolean } | undefined)?.reused).length;
        must(
          runTasks.length <= poolCapacity(Object.keys(pools.models).length, syn.registry.workers),
          `${runTasks.length} ECS tasks started`,
        );
        const why = [...execution.failures].map(([n, e]) => `${n}: ${e}`).join(", ");
        return `${answered.length} of ${gpu.length} GPU states answered; ${acquired.length} acquired (${reused} by a worker already warm); ${runTasks.length} ECS tasks; ${polls.length} activity polls; ${fallbacks.length} fallbacks, to Bedrock (${why})`;
      },
    );
    const first = stagesInOrder(execution)[0];
    await attempt(
      "run",
      `slow start: the first ECS task starts ${provisioningDelaySeconds} s late; the first GPU stage waits for it in its Acquire and does not fall back`,
      () => {
        must(execution && first, "no GPU stage ran");
        const acquire = acquireStateName(first as never);
        const delayed = pool.tasks[0];
        must(delayed?.startedAt, "the first ECS task never started");
        const enteredAcquire = execution.enteredAt.get(acquire) ?? Infinity;
        const heartbeat = Number(allStates(syn.definition).find(([n]) => n === first)?.[1].HeartbeatSeconds);
        must(
          !execution.states.includes(fallbackStateName(first as never)),
          `${first} fell back (${execution.failures.get(acquire) ?? execution.failures.get(first)})`,
        );
        must(execution.results.has(first), `${first} has no worker's answer`);
        must(enteredAcquire < delayed.startedAt, `${acquire} began after the delayed task had started: it waited for nothing`);
        const waited = ((execution.enteredAt.get(first) ?? 0) - enteredAcquire) / 1000;
        const generate = pool.activityRuns.get(first)?.[0];
        const generateSeconds = generate?.endedAt ? (generate.endedAt - generate.scheduledAt) / 1000 : NaN;
        return `${acquire} waited ${waited.toFixed(0)} s for the task WarmUp started (its own budget ${syn.registry.workers.acquireSeconds} s); ${first}'s generate state took ${generateSeconds.toFixed(1)} s of its HeartbeatSeconds ${heartbeat}`;
      },
    );
    await attempt(
      "run",
      `stall: ${stallStage}'s worker stalls; its generate state reaches the fallback within HeartbeatSeconds (${stallHeartbeatSeconds} s) + 5 s`,
      () => {
        must(execution, "no execution");
        const run = pool.activityRuns.get(stallStage)?.at(-1);
        const fallback = execution.enteredAt.get(fallbackStateName(stallStage));
        must(run && fallback, `${stallStage} ${run ? "never reached its fallback" : "was never scheduled"}`);
        const from = run.lastBeatAt ?? run.scheduledAt;
        const took = (fallback - from) / 1000;
        must(run.error === "States.HeartbeatTimeout", `${stallStage} ended with ${run.error ?? "success"}`);
        must(took <= stallHeartbeatSeconds + 5, `fallback ${took.toFixed(1)} s after the last progress`);
        // The fallback stops the worker still holding the stage: it tagged its own task with the execution and stage.
        const stops = emulators.requests.filter(
          (r) => r.operation === "StopTask" && r.accessKeyId === accessKeyOf(lambdaFunctions.fallback) && r.status === 200,
        );
        must(stops.length === 1, `the fallback stopped ${stops.length} ECS tasks`);
        const stopped = pool.tasks.find((t) => t.taskArn === stops[0]!.body?.task);
        must(stopped?.stopRequested && stopped.lastStatus === "STOPPED", "the stopped task is still running");
        return `${run.error}; fallback entered ${took.toFixed(1)} s after the last ${run.lastBeatAt ? "heartbeat" : "scheduling"}; it stopped the stalled worker's task (found by its execution and stage tags)`;
      },
    );
  } finally {
    await emulators.close();
  }
  return calls;
}
