/**
 * `npm run rehearse`: the deployed system checked on this machine before anyone deploys.
 * Synthesizes the stack (rehearsal/synth.ts), bundles every Lambda as SST does
 * (rehearsal/bundle.ts) and loads each from an empty folder, checks the production profile,
 * the image, the timeouts and the secret, runs the first execution through the bundled API and
 * the deployed definition (rehearsal/first-execution.ts), and judges every AWS call recorded
 * there, declared (rehearsal/calls.ts) or in the README with iam-simulate, and checks that each
 * finding it exists for still has its check (rehearsal/findings.ts). Prints one row per check
 * and exits 1 when any fails. Options: --keep (leave the bundles folder), --json <file>.
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { hostPath } from "../core/config.ts";
import { signedFoundationModelLookup } from "../core/providers/bedrock-control.ts";
import { loadLifecycleSnapshot, registryBedrockIds, registryLifecycleProblems } from "../core/providers/bedrock-lifecycle.ts";
import { providerSecrets } from "../core/providers/index.ts";
import { loadRegistry } from "../core/registry.ts";
import { openRouterSecretName, openRouterSecretPlaceholder } from "../infra/functions.ts";
import type { DeployedFunction } from "../infra/permissions.ts";
import { productionRegistryFile, productionRegistryProblems } from "../infra/production.ts";
import { checkBedrockLifecycle, startFoundationModelStandIn } from "../workflows/bedrock-lifecycle-check.ts";
import { collectTaskStates, longestPathSeconds } from "../workflows/definition.ts";
import { type Bundle, bundleFunction, bundleHolds, nativePackages, sstInstallArgs, sstPackageJson } from "./bundle.ts";
import { declaredCalls, readmeCalls } from "./calls.ts";
import { attempt, must, record, rows } from "./checklist.ts";
import { checkDockerfileUser } from "./dockerfile.ts";
import { rehearseDrills } from "./drills.ts";
import { evaluateCall } from "./evaluate.ts";
import { recordFindingCoverage } from "./findings.ts";
import { rehearseFirstExecution } from "./first-execution.ts";
import { judgeReachability, vpcEndpoints } from "./reachability.ts";
import { account, type Synthesized, synthesize } from "./synth.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const lambdaUnzippedLimit = 250 * 1024 * 1024;
/** Registries a stage can deploy: the production profile and the toy one a dev stage may use. */
const deployableRegistries = [productionRegistryFile, "models/registry.json"];

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
    return Object.values(syn.registry.stages)
      .map((st) => st.model)
      .filter((m, i, a) => a.indexOf(m) === i)
      .join(", ");
  });
  await attempt("registry", "sst.config.ts deploys the production profile and refuses stage production otherwise", () => {
    const config = readFileSync(path.join(root, "sst.config.ts"), "utf8");
    // The environment is read through core/config.ts (`env = config()`) or directly.
    must(
      /loadRegistry\((?:process\.env|env|config\(\))\.AFFIANT_REGISTRY \?\? productionRegistryFile\)/.test(config),
      "sst.config.ts does not load productionRegistryFile by default",
    );
    must(
      /\$app\.stage === "production" && problems\.length/.test(config),
      "sst.config.ts does not refuse stage production on registry problems",
    );
    const toy = productionRegistryProblems(loadRegistry(path.join(root, "models/registry.json")));
    must(
      toy.some((p) => p.startsWith("stage ExtractFacts:")),
      "the toy registry would pass",
    );
    return `models/registry.json refused: ${toy.length} problems, e.g. "${toy[0]}"`;
  });

  await attempt("lifecycle", "model lifecycle: each Bedrock id in a deployable registry is Active in Bedrock's lifecycle snapshot", () => {
    const snapshot = loadLifecycleSnapshot();
    const today = new Date().toISOString().slice(0, 10);
    const problems = deployableRegistries.flatMap((file) =>
      registryLifecycleProblems(loadRegistry(path.join(root, file)), snapshot, today).map((p) => `${file}: ${p}`),
    );
    must(problems.length === 0, problems.join("; "));
    return `${registryBedrockIds(syn.registry).join(", ")} (snapshot read ${snapshot.read})`;
  });
  await attempt(
    "lifecycle",
    "model lifecycle: `affiant models check --bedrock` asks GetFoundationModel, signed, for each Bedrock id",
    async () => {
      const snapshot = loadLifecycleSnapshot();
      const control = await startFoundationModelStandIn(snapshot);
      try {
        const lookup = signedFoundationModelLookup({
          region: "us-east-1",
          endpoint: control.origin,
          credentials: async () => ({ accessKeyId: "AKIDREHEARSAL", secretAccessKey: "rehearsal" }),
        });
        const rows = await checkBedrockLifecycle(syn.registry, lookup, snapshot);
        const bad = rows.filter((r) => r.problems.length);
        must(bad.length === 0, bad.map((r) => `${r.id}: ${r.problems.join("; ")}`).join(" | "));
        return rows.map((r) => `${r.modelId} ${r.status}`).join(", ");
      } finally {
        await control.close();
      }
    },
  );

  // 2. The secret.
  await attempt("secret", "OpenRouterApiKey has a placeholder, is linked, and is in no plain environment", () => {
    const config = readFileSync(path.join(root, "sst.config.ts"), "utf8");
    must(
      /new sst\.Secret\(secret\.name, secret\.placeholder\)/.test(config),
      "sst.Secret without a placeholder: `sst deploy` before `sst secret set` fails",
    );
    must(
      providerSecrets().some((s) => s.name === openRouterSecretName && s.placeholder === openRouterSecretPlaceholder),
      "OpenRouter's module does not declare its secret and placeholder",
    );
    const linked = Object.entries(syn.table)
      .filter(([, spec]) => spec.link?.includes(openRouterSecretName))
      .map(([n]) => n);
    must(linked.length > 0, "no function links the secret");
    for (const [name, spec] of Object.entries(syn.table))
      must(!Object.keys(spec.environment).some((k) => /OPENROUTER/i.test(k)), `${name} has the key in its environment`);
    return `linked to ${linked.join(", ")}`;
  });
  await attempt(
    "secret",
    "the bundled key reader takes the value from SST's encrypted resource file; the placeholder is no key",
    async () => {
      const dir = path.join(work, "secret-reader");
      await build({
        entryPoints: [path.join(root, "core/providers/openrouter.ts")],
        outfile: path.join(dir, "key.mjs"),
        bundle: true,
        platform: "node",
        format: "esm",
        logLevel: "silent",
      });
      const read = (value: string) => {
        // As SST ships linked values: AES-256-GCM, zero nonce, tag appended; SST_KEY in the environment.
        const key = randomBytes(32);
        const cipher = createCipheriv("aes-256-gcm", key, Buffer.alloc(12, 0));
        const data = Buffer.concat([
          cipher.update(JSON.stringify({ [openRouterSecretName]: { type: "sst.sst.Secret", value } })),
          cipher.final(),
          cipher.getAuthTag(),
        ]);
        writeFileSync(path.join(dir, "resource.enc"), data);
        const env = { PATH: hostPath(), SST_KEY: key.toString("base64"), SST_KEY_FILE: path.join(dir, "resource.enc") };
        return execFileSync(
          process.execPath,
          [
            "--input-type=module",
            "-e",
            `const m = await import("./key.mjs"); console.log(JSON.stringify((await m.openRouterApiKey()) ?? null));`,
          ],
          { cwd: dir, env, encoding: "utf8" },
        ).trim();
      };
      must(read("sk-or-rehearsal") === '"sk-or-rehearsal"', "the linked value was not read");
      must(read(openRouterSecretPlaceholder) === "null", "the placeholder was taken as a key");
    },
  );

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
      const env = {
        PATH: hostPath(),
        LAMBDA_TASK_ROOT: b.dir,
        AWS_REGION: "us-east-1",
        ...Object.fromEntries(Object.entries(spec.environment).map(([k, v]) => [k, String(v).replace("/var/task", b.dir)])),
      };
      const out = execFileSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `const m = await import(${JSON.stringify(`./${b.entryFile}`)}); console.log(typeof m[${JSON.stringify(b.exportName)}]);`,
        ],
        { cwd: b.dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      ).trim();
      must(out === "function", `export ${b.exportName} is ${out}`);
    });
  }

  await attempt(
    "bundle",
    "bundles: install packages are npm-installed as SST installs them (generated package.json, linux/x64), not copied",
    () => {
      const installed = (Object.entries(syn.table) as Array<[DeployedFunction, Synthesized["table"][DeployedFunction]]>).filter(
        ([n, spec]) => spec.install?.length && bundles[n],
      );
      must(installed.length > 0, "no function installs packages");
      for (const [n, spec] of installed) {
        const b = bundles[n]!;
        const manifest = JSON.parse(readFileSync(path.join(b.dir, "package.json"), "utf8"));
        must(JSON.stringify(manifest) === JSON.stringify(sstPackageJson(root, spec.install!)), `${n}: package.json is not SST's`);
        for (const [pkg, version] of Object.entries(manifest.dependencies as Record<string, string>)) {
          const got = JSON.parse(readFileSync(path.join(b.dir, "node_modules", pkg, "package.json"), "utf8")).version;
          must(version === "*" || got === version, `${n}: ${pkg} ${got}, package.json pins ${version}`);
        }
      }
      return `${installed.length} functions: npm ${sstInstallArgs.join(" ")}`;
    },
  );
  await attempt(
    "bundle",
    "bundles: native addons SST's npm install builds are for the Lambda runtime's Node, not only the deployer's",
    () => {
      const runtime = /runtime: "nodejs(\d+)\.x"/.exec(readFileSync(path.join(root, "sst.config.ts"), "utf8"))?.[1];
      must(runtime, "sst.config.ts names no nodejsNN.x runtime");
      const native = Object.values(bundles).flatMap((b) => nativePackages(b!).map((p) => `${b!.name}: ${p}`));
      const here = process.versions.node.split(".")[0];
      must(
        native.length === 0 || here === runtime,
        `${[...new Set(native)].join(", ")}: the install script fetches or builds the binary for Node ${here} (this machine), the functions run nodejs${runtime}.x: deploy from Node ${runtime}`,
      );
      return native.length ? `${native.join(", ")} on Node ${here} = nodejs${runtime}.x` : "no native addons";
    },
  );

  // 3b. The bundled handlers, run against the emulators with the stack's environment.
  const recorded = await rehearseFirstExecution(root, syn, bundles, work);
  // 3c. What AWS does that the first execution never meets, on simulated clocks.
  await rehearseDrills(syn);

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
      must(
        Number(def.TimeoutSeconds) > syn.table[fn].timeoutSeconds,
        `${state}: state ${def.TimeoutSeconds} s, function ${syn.table[fn].timeoutSeconds} s`,
      );
    }
  });
  await attempt("timeouts", "the execution's TimeoutSeconds covers the longest path of stage budgets", () => {
    const t = new Map(collectTaskStates(syn.definition).map(([n, d]) => [n, Number(d.TimeoutSeconds)]));
    const longest = longestPathSeconds(syn.registry.pipeline.maxRewrites, (state) => t.get(state)!);
    must(syn.definition.TimeoutSeconds >= longest, `execution ${syn.definition.TimeoutSeconds} s < ${longest} s`);
    return `${syn.definition.TimeoutSeconds} s ≥ ${longest} s`;
  });

  // 6. The rendered roles and every call.
  await attempt("iam", "SST-rendered function roles keep kms:ViaService on the bucket key", () => {
    for (const [fn, role] of Object.entries(syn.functionRoles)) {
      for (const st of role.policy.Statement.filter((x) => [x.Resource].flat().includes(syn.keys.data.arn))) {
        must(
          st.Condition?.StringEquals?.["kms:ViaService"],
          `${fn}: statement on the bucket key without kms:ViaService: ${JSON.stringify(st)}`,
        );
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
      record(
        "iam",
        `${call.caller}: ${call.action} ${call.resource.replace(/^arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:/, "")}${call.expect === "denied" ? " (must be denied)" : ""}`,
        verdict.ok,
        `${verdict.result} for ${role}; ${verdict.detail}`,
      );
    }
  }
  record(
    "iam",
    `every recorded (${recorded.length}) and declared call evaluated with iam-simulate (${calls.length} calls)`,
    rows.filter((r) => r.area === "iam" && !r.ok).length === 0,
    `${allowed} allowed as expected`,
  );

  // 6b. Every call made from inside the VPC has a way out of it.
  await attempt("network", "reachability: every AWS API each component calls is reachable from where it runs", () => {
    const r = judgeReachability(syn, calls);
    must(r.unreachable.length === 0, r.unreachable.join("; "));
    return `${r.checked} component/API pairs in the VPC through ${[...r.endpoints].sort().join(", ")}${r.nat ? " and a NAT" : ""}; ${r.outside} calls from outside it`;
  });
  await attempt("network", "reachability: the same check refuses the stack without its sqs endpoint", () => {
    const without = new Set([...vpcEndpoints(syn)].filter((e) => e !== "sqs"));
    const r = judgeReachability(syn, calls, without);
    must(
      r.unreachable.some((u) => u.startsWith("worker task: sqs:ReceiveMessage")),
      `without sqs it found only: ${r.unreachable.join("; ") || "nothing"}`,
    );
    return r.unreachable.filter((u) => u.includes("sqs")).join("; ");
  });

  // 7. Every finding the rehearsal exists for still has its check.
  recordFindingCoverage(Object.keys(syn.table).length);
  finish(work, args);
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
