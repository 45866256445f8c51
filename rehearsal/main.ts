/**
 * `npm run rehearse`: the deployed system checked on this machine before anyone deploys.
 * Synthesizes the stack (rehearsal/synth.ts), bundles every Lambda as SST does
 * (rehearsal/bundle.ts) and loads each from an empty folder, checks the production profile,
 * the image, the timeouts and the secret, and judges every AWS call the components and the
 * README's commands make with iam-simulate (rehearsal/calls.ts). Prints one row per check
 * and exits 1 when any fails. Options: --keep (leave the bundles folder), --json <file>.
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { S3Client } from "@aws-sdk/client-s3";
import { bundleFunction, bundleHolds, type Bundle } from "./bundle.ts";
import { startEmulators } from "./emulators.ts";
import { iamCallsOf, iamCallsOfSigner, runBundledHandler } from "./run.ts";
import { bedrockCalls, runDeployedDefinition, workerAccessKey, type ExecutionRun } from "./execution.ts";
import { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";
import type { AwsCall } from "./evaluate.ts";
import { S3BlobStore } from "../core/s3-blob-store.ts";
import { ingestCase, readCaseFolder } from "../workflows/engine/case-intake.ts";
import { gpuStages } from "../workflows/state-names.ts";

const gpuStageNames: string[] = [...gpuStages];
import { declaredCalls, readmeCalls } from "./calls.ts";
import { checkDockerfileUser } from "./dockerfile.ts";
import { evaluateCall } from "./evaluate.ts";
import { account, synthesize, type Synthesized } from "./synth.ts";
import { productionRegistryFile, productionRegistryProblems } from "../infra/production.ts";
import { openRouterSecretName, openRouterSecretPlaceholder } from "../infra/functions.ts";
import type { DeployedFunction } from "../infra/permissions.ts";
import { collectTaskStates } from "../workflows/definition.ts";
import { loadRegistry } from "../workflows/registry.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const lambdaUnzippedLimit = 250 * 1024 * 1024;

interface Row {
  area: string;
  check: string;
  ok: boolean;
  detail: string;
}
const rows: Row[] = [];
const record = (area: string, check: string, ok: boolean, detail = "") => rows.push({ area, check, ok, detail });
async function attempt(area: string, check: string, fn: () => Promise<string | void> | string | void) {
  try {
    record(area, check, true, (await fn()) ?? "");
  } catch (err) {
    record(area, check, false, (err as Error).message.split("\n").slice(0, 3).join(" | "));
  }
}
function must(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function main() {
  const args = process.argv.slice(2);
  const work = mkdtempSync(path.join(tmpdir(), "affiant-rehearsal-"));
  let s: Synthesized | undefined;

  // 1. The stack, for the registry sst.config.ts deploys.
  await attempt("synth", `stack synthesizes from infra/platform.ts with ${productionRegistryFile}`, async () => {
    s = await synthesize(root, productionRegistryFile);
    return `${s.resources.length} resources, ${Object.keys(s.functionRoles).length} function roles`;
  });
  if (!s) return finish(work, args);
  const syn = s;

  await attempt("registry", "production profile: GPU host classes, hosted fallbacks, fits an A10G, judges of three families", () => {
    const problems = productionRegistryProblems(syn.registry);
    must(problems.length === 0, problems.join("; "));
    return Object.values(syn.registry.stages).map((st) => st.model).filter((m, i, a) => a.indexOf(m) === i).join(", ");
  });
  await attempt("registry", "sst.config.ts deploys the production profile and refuses stage production otherwise", () => {
    const config = readFileSync(path.join(root, "sst.config.ts"), "utf8");
    must(/loadRegistry\(process\.env\.AFFIANT_REGISTRY \?\? productionRegistryFile\)/.test(config), "sst.config.ts does not load productionRegistryFile by default");
    must(/\$app\.stage === "production" && problems\.length/.test(config), "sst.config.ts does not refuse stage production on registry problems");
    const toy = productionRegistryProblems(loadRegistry(path.join(root, "models/registry.json")));
    must(toy.some((p) => p.startsWith("stage ExtractFacts:")), "the toy registry would pass");
    return `models/registry.json refused: ${toy.length} problems, e.g. "${toy[0]}"`;
  });

  // 2. The secret.
  await attempt("secret", "OpenRouterApiKey has a placeholder, is linked, and is in no plain environment", () => {
    const config = readFileSync(path.join(root, "sst.config.ts"), "utf8");
    must(/new sst\.Secret\(openRouterSecretName, openRouterSecretPlaceholder\)/.test(config), "sst.Secret without a placeholder: `sst deploy` before `sst secret set` fails");
    const linked = Object.entries(syn.table).filter(([, spec]) => spec.link?.includes(openRouterSecretName)).map(([n]) => n);
    must(linked.length > 0, "no function links the secret");
    for (const [name, spec] of Object.entries(syn.table)) must(!Object.keys(spec.environment).some((k) => /OPENROUTER/i.test(k)), `${name} has the key in its environment`);
    return `linked to ${linked.join(", ")}`;
  });
  await attempt("secret", "the bundled key reader takes the value from SST's encrypted resource file; the placeholder is no key", async () => {
    const dir = path.join(work, "secret-reader");
    await build({ entryPoints: [path.join(root, "functions/providers/openrouter-key.ts")], outfile: path.join(dir, "key.mjs"), bundle: true, platform: "node", format: "esm", logLevel: "silent" });
    const read = (value: string) => {
      // As SST ships linked values: AES-256-GCM, zero nonce, tag appended; SST_KEY in the environment.
      const key = randomBytes(32);
      const cipher = createCipheriv("aes-256-gcm", key, Buffer.alloc(12, 0));
      const data = Buffer.concat([cipher.update(JSON.stringify({ [openRouterSecretName]: { type: "sst.sst.Secret", value } })), cipher.final(), cipher.getAuthTag()]);
      writeFileSync(path.join(dir, "resource.enc"), data);
      const env = { PATH: process.env.PATH ?? "", SST_KEY: key.toString("base64"), SST_KEY_FILE: path.join(dir, "resource.enc") };
      return execFileSync(process.execPath, ["--input-type=module", "-e", `const m = await import("./key.mjs"); console.log(JSON.stringify((await m.openRouterApiKey()) ?? null));`], { cwd: dir, env, encoding: "utf8" }).trim();
    };
    must(read("sk-or-rehearsal") === '"sk-or-rehearsal"', "the linked value was not read");
    must(read(openRouterSecretPlaceholder) === "null", "the placeholder was taken as a key");
  });

  // 3. Bundles.
  const bundles: Partial<Record<DeployedFunction, Bundle>> = {};
  for (const [name, spec] of Object.entries(syn.table) as Array<[DeployedFunction, Synthesized["table"][DeployedFunction]]>) {
    await attempt("bundle", `${name}: esbuild bundles ${spec.handler} as SST does`, async () => {
      // A literal import of the local embedder fails here: esbuild follows it into node-llama-cpp.
      bundles[name] = await bundleFunction(root, path.join(work, "bundles"), name, { ...spec });
      return `${(bundles[name]!.unzippedBytes / 1e6).toFixed(1)} MB`;
    });
    const b = bundles[name];
    if (!b) continue;
    await attempt("bundle", `${name}: no node-llama-cpp, under Lambda's 250 MB unzipped`, () => {
      const held = bundleHolds(b, "node-llama-cpp");
      must(held.length === 0, `holds ${held.slice(0, 3).join(", ")}`);
      must(b.unzippedBytes < lambdaUnzippedLimit, `${(b.unzippedBytes / 2 ** 20).toFixed(0)} MiB unzipped`);
    });
    await attempt("bundle", `${name}: handler loads from a folder holding only its bundle`, () => {
      const env = { PATH: process.env.PATH ?? "", LAMBDA_TASK_ROOT: b.dir, AWS_REGION: "us-east-1", ...Object.fromEntries(Object.entries(spec.environment).map(([k, v]) => [k, String(v).replace("/var/task", b.dir)])) };
      const out = execFileSync(process.execPath, ["--input-type=module", "-e", `const m = await import(${JSON.stringify("./" + b.entryFile)}); console.log(typeof m[${JSON.stringify(b.exportName)}]);`], { cwd: b.dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
      must(out === "function", `export ${b.exportName} is ${out}`);
    });
  }

  // 3b. The bundled handlers, run against the emulators with the stack's environment.
  const recorded = await rehearseHandlers(syn, bundles, work);

  // 4. Image and task definitions.
  await attempt("image", "worker Dockerfile: USER exists on the base image; carries the deployed registry", () => {
    const dockerfile = readFileSync(path.join(root, "containers/llama-worker/Dockerfile"), "utf8");
    const user = checkDockerfileUser(dockerfile);
    must(!user.problem, user.problem!);
    const copied = /^COPY\s+(\S+)\s+\.\/models\/registry\.json\s*$/m.exec(dockerfile)?.[1];
    must(copied === productionRegistryFile, `the image carries ${copied}, the stack deploys ${productionRegistryFile}`);
    return `USER ${user.user}`;
  });
  await attempt("image", "task definitions name the worker image by digest", () => {
    for (const t of syn.worker.taskDefinitions) {
      const image = JSON.parse(t.inputs.containerDefinitions)[0].image as string;
      must(/@sha256:[0-9a-f]{64}$/.test(image), `${t.inputs.family}: ${image}`);
    }
    return `${syn.worker.taskDefinitions.length} task definitions`;
  });

  // 5. Timeouts.
  await attempt("timeouts", "each Lambda state outlasts its function; functions within 900 s", () => {
    const byArn = new Map(Object.entries(syn.functionArns).map(([n, arn]) => [arn, n as DeployedFunction]));
    for (const [state, def] of collectTaskStates(syn.definition).filter(([, d]) => d.Resource === "arn:aws:states:::lambda:invoke")) {
      const fn = byArn.get((def.Parameters as { FunctionName: string }).FunctionName)!;
      must(syn.table[fn].timeoutSeconds <= 900, `${fn}: ${syn.table[fn].timeoutSeconds} s`);
      must(Number(def.TimeoutSeconds) > syn.table[fn].timeoutSeconds, `${state}: state ${def.TimeoutSeconds} s, function ${syn.table[fn].timeoutSeconds} s`);
    }
  });
  await attempt("timeouts", "the execution's TimeoutSeconds covers the longest path of stage budgets", () => {
    const t = new Map(collectTaskStates(syn.definition).map(([n, d]) => [n, Number(d.TimeoutSeconds)]));
    const wf = (st: string) => t.get(st)! + t.get(`${st}Fallback`)!;
    const rounds = 1 + syn.registry.pipeline.maxRewrites;
    const longest =
      t.get("Extract")! + t.get("Redact")! + t.get("Index")! + wf("ExtractFacts") + wf("DraftDeclaration") +
      rounds * (Math.max(wf("JudgeFaithfulness"), wf("JudgeCoverage"), wf("JudgeTone")) + t.get("Score")!) + syn.registry.pipeline.maxRewrites * wf("GuardrailsRewrite") + t.get("Reinject")!;
    must(syn.definition.TimeoutSeconds >= longest, `execution ${syn.definition.TimeoutSeconds} s < ${longest} s`);
    return `${syn.definition.TimeoutSeconds} s ≥ ${longest} s`;
  });

  // 6. The rendered roles and every call.
  await attempt("iam", "SST-rendered function roles keep kms:ViaService on the bucket key", () => {
    for (const [fn, role] of Object.entries(syn.functionRoles)) {
      for (const st of role.policy.Statement.filter((x) => [x.Resource].flat().includes(syn.keys.data.arn))) {
        must(st.Condition?.StringEquals?.["kms:ViaService"], `${fn}: statement on the bucket key without kms:ViaService: ${JSON.stringify(st)}`);
      }
    }
  });
  const calls = [...recorded, ...declaredCalls(syn, root), ...readmeCalls(syn)];
  let allowed = 0;
  for (const call of calls) {
    const verdict = await evaluateCall(call, account);
    if (verdict.ok && verdict.result === "Allowed") allowed++;
    if (!verdict.ok || call.expect === "denied" || call.caller.startsWith("README") || call.caller.startsWith("presigned")) {
      const role = call.principal.split("/").pop();
      record("iam", `${call.caller}: ${call.action} ${call.resource.replace(/^arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:/, "")}${call.expect === "denied" ? " (must be denied)" : ""}`, verdict.ok, `${verdict.result} for ${role}; ${verdict.detail}`);
    }
  }
  record("iam", `every recorded (${recorded.length}) and declared call evaluated with iam-simulate (${calls.length} calls)`, rows.filter((r) => r.area === "iam" && !r.ok).length === 0, `${allowed} allowed as expected`);

  finish(work, args);
}

/**
 * The first execution as the README runs it: the case stored, the bundled API starting the
 * execution from an IAM-authorised event, then the deployed definition running it with every
 * Lambda bundled, against s3rver, dynalite and the KMS stand-in; their requests become IAM calls.
 */
async function rehearseHandlers(syn: Synthesized, bundles: Partial<Record<DeployedFunction, Bundle>>, work: string): Promise<AwsCall[]> {
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
  const emulators = await startEmulators({ directory: path.join(work, "s3"), bucket: syn.bucket.name, kmsKeys: [syn.keys.vault.arn], routingTable: syn.routingTable.name, broker });
  const calls: AwsCall[] = [];
  try {
    // The case as the API stores it (its own calls are judged in the declared set).
    const client = new S3Client({ endpoint: emulators.url, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "AKIAREHEARSALADMIN", secretAccessKey: "rehearsal" } });
    await attempt("run", "the sample case is stored in s3rver as the API stores it", async () => {
      await ingestCase(readCaseFolder(path.join(root, "examples/cases/vawa-sample")), new S3BlobStore({ bucket: syn.bucket.name, kmsKeyId: syn.keys.data.arn, client }));
    });
    await attempt("run", "the API (bundled) starts the first execution from an IAM-authorised API Gateway event", async () => {
      const b = bundles.api;
      must(b, "no bundle");
      const path_ = "/cases/vawa-sample-0001/executions";
      const event = {
        version: "2.0",
        routeKey: "$default",
        rawPath: path_,
        rawQueryString: "",
        headers: { host: "api.example.com", "content-type": "application/json", "content-length": "0" },
        requestContext: {
          accountId: account,
          apiId: "rehearsal",
          // What API Gateway passes for `auth: { iam: true }`: the signer's identity, checked by AWS before the call.
          authorizer: { iam: { accessKey: "AKIAREHEARSALCALLER", accountId: account, callerId: "AROAREHEARSAL:caller", principalOrgId: null, userArn: `arn:aws:sts::${account}:assumed-role/CaseWorker/caller`, userId: "AROAREHEARSAL:caller" } },
          domainName: "api.example.com",
          domainPrefix: "api",
          http: { method: "POST", path: path_, protocol: "HTTP/1.1", sourceIp: "198.51.100.7", userAgent: "rehearsal" },
          requestId: "rehearsal-request",
          routeKey: "$default",
          stage: "$default",
          time: new Date().toISOString(),
          timeEpoch: Date.now(),
        },
        isBase64Encoded: false,
      };
      const run = await runBundledHandler(b, syn, "api", event, emulators.url, { AFFIANT_STATE_MACHINE_ARN: syn.stateMachine.arn, AFFIANT_SFN_ENDPOINT: emulators.url, AWS_ENDPOINT_URL_SFN: emulators.url });
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
    await attempt("run", "the deployed definition runs the started execution: bundled Lambdas, emulators, hosted fallbacks", async () => {
      must(started, "the API started no execution");
      execution = await runDeployedDefinition(syn, bundles, emulators.url, { name: String(started.body?.name), input: JSON.parse(String(started.body?.input)) }, { AFFIANT_OCR: "tesseract", AFFIANT_COMPREHEND: "0" }, { broker, endpoints: emulators.url, modelsDir, imageEnv });
      for (const fn of Object.keys(syn.functionRoles) as DeployedFunction[]) if (fn !== "api") calls.push(...iamCallsOf(emulators.requests, syn, fn));
      calls.push(...bedrockCalls(execution.providers, syn));
      calls.push(...iamCallsOfSigner(emulators.requests, syn, workerAccessKey, { caller: "worker task (recorded)", principal: syn.worker.taskRoleArn, identityPolicies: [{ name: "WorkerTaskPolicy", policy: syn.worker.taskPolicy }] }));
      must(execution.status === "SUCCEEDED", `${execution.status}: ${execution.error} (states: ${execution.states.join(" > ")})`);
      const out = execution.output as { declarationKey?: string; reportKey?: string };
      must(out?.declarationKey && out.reportKey, "no declaration in the output");
      return `${execution.states.length} task states; ${execution.providers.length} hosted calls; ${out.declarationKey}`;
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

function finish(work: string, args: string[]) {
  const width = Math.min(110, Math.max(...rows.map((r) => r.check.length)));
  console.log(`\n${"".padEnd(4)} ${"area".padEnd(9)} ${"check".padEnd(width)}  detail`);
  for (const r of rows) console.log(`${r.ok ? "PASS" : "FAIL"} ${r.area.padEnd(9)} ${r.check.slice(0, width).padEnd(width)}  ${r.detail}`);
  const failed = rows.filter((r) => !r.ok).length;
  console.log(`\n${rows.length - failed} passed, ${failed} failed`);
  const json = args.indexOf("--json");
  if (json >= 0 && args[json + 1]) writeFileSync(args[json + 1]!, JSON.stringify(rows, null, 2));
  if (args.includes("--keep")) console.log(`bundles kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
}

await main();
