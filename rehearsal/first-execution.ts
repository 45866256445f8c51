/**
 * The first execution, rehearsed: see rehearseFirstExecution.
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import type { Bundle } from "./bundle.ts";
import { attempt, must } from "./checklist.ts";
import { startEmulators } from "./emulators.ts";
import type { AwsCall } from "./evaluate.ts";
import { bedrockCalls, runDeployedDefinition, workerAccessKey, type ExecutionRun } from "./execution.ts";
import { accessKeyOf, iamCallsOf, iamCallsOfSigner, runBundledHandler } from "./run.ts";
import { account, type Synthesized } from "./synth.ts";
import { S3BlobStore } from "../core/s3-blob-store.ts";
import type { DeployedFunction } from "../infra/permissions.ts";
import { productionRegistryFile } from "../infra/production.ts";
import { ingestCase, readCaseFolder } from "../workflows/engine/case-intake.ts";
import { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";
import { gpuStages, stateNames } from "../core/state-names.ts";

const gpuStageNames: string[] = [...gpuStages];

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
      authorizer: { iam: { accessKey: "AKIAREHEARSALCALLER", accountId: account, callerId: "AROAREHEARSAL:caller", principalOrgId: null, userArn: `arn:aws:sts::${account}:assumed-role/CaseWorker/caller`, userId: "AROAREHEARSAL:caller" } },
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

export async function rehearseFirstExecution(root: string, syn: Synthesized, bundles: Partial<Record<DeployedFunction, Bundle>>, work: string): Promise<AwsCall[]> {
  const broker = new TaskTokenBroker();
  // The /models volume: stories260K under each model file name of the production profile.
  const modelsDir = path.join(work, "models");
  mkdirSync(modelsDir, { recursive: true });
  for (const model of Object.values(syn.registry.models)) {
    const file = path.join(modelsDir, model.file);
    if (!existsSync(file)) symlinkSync(path.join(root, "models/stories260K.gguf"), file);
  }
  // The image's ENV (containers/llama-worker/Dockerfile) and the registry it copies to /app/models/registry.json.
  const imageEnv = { AFFIANT_GPU: "cuda", AFFIANT_MODELS_DIR: "/models", NODE_ENV: "production", AFFIANT_REGISTRY: path.join(root, productionRegistryFile) };
  const emulators = await startEmulators({ directory: path.join(work, "s3"), bucket: syn.bucket.name, kmsKeys: [syn.keys.vault.arn], routingTable: syn.routingTable.name, reviewTable: syn.reviewTable.name, broker });
  const calls: AwsCall[] = [];
  const apiEnv = { AFFIANT_STATE_MACHINE_ARN: syn.stateMachine.arn, AFFIANT_SFN_ENDPOINT: emulators.url, AWS_ENDPOINT_URL_SFN: emulators.url };
  try {
    // The case as the API stores it (its own calls are judged in the declared set).
    const client = new S3Client({ endpoint: emulators.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "AKIAREHEARSALADMIN", secretAccessKey: "rehearsal" } });
    await attempt("run", "the sample case is stored in s3rver as the API stores it", async () => {
      await ingestCase(readCaseFolder(path.join(root, "examples/cases/vawa-sample")), new S3BlobStore({ bucket: syn.bucket.name, kmsKeyId: syn.keys.data.arn, client }));
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
    const onTaskWaiting = (state: string) => {
      if (state !== stateNames.attorneyReview || !bundles.api) return;
      reviewFrom = emulators.requests.length;
      const body = JSON.stringify({ decision: "approve", reviewer: "rehearsal" });
      review = runBundledHandler(bundles.api, syn, "api", apiEvent("POST", `/executions/${String(started?.body?.name)}/review`, body), emulators.url, apiEnv).then((r) => r.result as { statusCode: number; body: string });
    };
    await attempt("run", "the deployed definition runs the started execution: bundled Lambdas, emulators, hosted fallbacks", async () => {
      must(started, "the API started no execution");
      execution = await runDeployedDefinition(syn, bundles, emulators.url, { name: String(started.body?.name), input: JSON.parse(String(started.body?.input)) }, { AFFIANT_OCR: "tesseract", AFFIANT_COMPREHEND: "0" }, { broker, endpoints: emulators.url, modelsDir, imageEnv, onTaskWaiting });
      for (const fn of Object.keys(syn.functionRoles) as DeployedFunction[]) if (fn !== "api") calls.push(...iamCallsOf(emulators.requests, syn, fn));
      calls.push(...bedrockCalls(execution.providers, syn));
      calls.push(...iamCallsOfSigner(emulators.requests, syn, workerAccessKey, { caller: "worker task (recorded)", principal: syn.worker.taskRoleArn, identityPolicies: [{ name: "WorkerTaskPolicy", policy: syn.worker.taskPolicy }] }));
      must(execution.status === "SUCCEEDED", `${execution.status}: ${execution.error} (states: ${execution.states.join(" > ")})`);
      const out = execution.output as { declarationKey?: string; reportKey?: string };
      must(out?.declarationKey && out.reportKey, "no declaration in the output");
      return `${execution.states.length} task states; ${execution.providers.length} hosted calls; ${out.declarationKey}`;
    });
    await attempt("run", "AttorneyReview waited with its token in the review table; the API's review route answered it with SendTaskSuccess", async () => {
      must(review, "the execution never waited in AttorneyReview");
      const answer = await review;
      calls.push(...iamCallsOf(emulators.requests.slice(reviewFrom), syn, "api"));
      must(answer.statusCode === 202, `HTTP ${answer.statusCode}: ${answer.body.slice(0, 200)}`);
      const ops = emulators.requests.slice(reviewFrom).filter((r) => r.accessKeyId === accessKeyOf("api")).map((r) => r.operation);
      must(ops.includes("SendTaskSuccess") && ops.includes("DeleteItem"), `the API called ${ops.join(", ")}`);
      const approval = (execution?.output as { approval?: { decision?: string; reviewer?: string } } | undefined)?.approval;
      must(approval?.decision === "approve" && approval.reviewer === "rehearsal", `the output's approval: ${JSON.stringify(approval)}`);
      return `approved by ${approval.reviewer}; ${ops.join(", ")}`;
    });
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
      must(kms.every((r) => r.status === 200), `KMS refused: ${kms.filter((r) => r.status !== 200).map((r) => `${r.operation} ${r.body?.KeyId ?? ""}`).join(", ")}`);
      return `${kms.length} KMS calls`;
    });
    await attempt("run", "each GPU state started the worker as ECS would and it answered over SendTask* with its task token", () => {
      must(execution, "no execution");
      const gpu = execution.states.filter((n) => gpuStageNames.includes(n));
      const answered = gpu.filter((n) => execution!.results.has(n));
      const sends = emulators.requests.filter((r) => r.service === "states" && r.operation?.startsWith("SendTask") && r.accessKeyId === workerAccessKey);
      const fallbacks = execution.states.filter((n) => n.endsWith("Fallback"));
      const providers = fallbacks.map((n) => (execution!.results.get(n) as { provider?: string } | undefined)?.provider);
      must(providers.every((p) => p === "bedrock"), `fallback providers: ${providers.join(", ")}`);
      must(gpu.length > 0 && answered.length > 0, `${gpu.length} GPU states, ${answered.length} answered`);
      must(sends.some((r) => r.operation === "SendTaskSuccess" && r.status === 200), "no SendTaskSuccess accepted");
      const why = [...execution.failures].map(([n, e]) => `${n}: ${e}`).join(", ");
      return `${answered.length} of ${gpu.length} GPU states answered (${sends.filter((r) => r.operation === "SendTaskSuccess").length} SendTaskSuccess); ${fallbacks.length} fallbacks, to Bedrock (${why})`;
    });
  } finally {
    await emulators.close();
  }
  return calls;
}

