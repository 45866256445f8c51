/**
 * The deployed system under Pulumi mocks: the real builders in infra/ create real
 * @pulumi/aws resources (the copy `sst install` puts in .sst/platform), the mocks record
 * every resource's inputs and invent ids and ARNs, and the tests assert on what would be
 * sent to AWS. SST components (Function, ApiGatewayV2, Cron, Secret) need SST's runtime, so
 * sst.config.ts's wiring of them is type-checked (tsconfig.sst.json), not run here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { root } from "./helpers.ts";
import { buildDefinition, collectTaskStates, type AslDefinition } from "../workflows/definition.ts";
import { loadRegistry, stageEntry } from "../workflows/registry.ts";
import { gpuStages, lambdaFunctions, type LambdaFunction } from "../workflows/state-names.ts";
import type { Cloud, Output, Permission, Place } from "../infra/cloud.ts";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  state: Record<string, any>;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getRetainondelete(): boolean;
}

const account = "123456789012";
const region = "us-east-1";

async function infraTests() {
  // Loaded from the platform folder, so @pulumi/aws and the mocks share one @pulumi/pulumi.
  const platformRequire = createRequire(path.join(platform, "package.json"));
  const pulumi = platformRequire("@pulumi/pulumi") as Cloud["pulumi"];
  const recorded: Recorded[] = [];
  let stack = "";
  const useStack = (name: string) => {
    stack = name;
    pulumi.runtime.setMocks(
      {
        newResource(args) {
          const state = { ...args.inputs, ...mockOutputs(args.type, args.name, args.inputs, stack) };
          recorded.push({ type: args.type, name: args.name, inputs: args.inputs, state });
          return { id: state.id, state };
        },
        call(args) {
          if (args.token === "aws:index/getAvailabilityZones:getAvailabilityZones") return { names: ["us-east-1a", "us-east-1b", "us-east-1c"], zoneIds: [] };
          if (args.token === "aws:ec2/getManagedPrefixList:getManagedPrefixList") return { id: `pl-${String(args.inputs.name).split(".").pop()}` };
          return args.inputs;
        },
      },
      "affiant",
      name,
      false,
    );
    // Resource options never reach the mocks (and the mock monitor has no transforms): read
    // retainOnDelete off the registration request the SDK sends.
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequest, cb: unknown) => unknown };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      retainOnDelete.set(`${name}/${req.getType()}/${req.getName()}`, req.getRetainondelete());
      return register(req, cb);
    };
  };
  const retainOnDelete = new Map<string, boolean>();
  useStack("production");
  const cloud: Cloud = { aws: platformRequire("@pulumi/aws") as Cloud["aws"], pulumi };
  const { interfaceEndpoints } = await import("../infra/network.ts");
  const { gpuAmiParameter } = await import("../infra/gpu.ts");
  const { buildPlatform } = await import("../infra/platform.ts");
  const { functionPermissions, defaultEmbeddingModel } = await import("../infra/permissions.ts");

  const registry = loadRegistry(writeDeployRegistry());
  const functionArns = Object.fromEntries(
    Object.values(lambdaFunctions).map((fn) => [fn, `arn:aws:lambda:${region}:${account}:function:affiant-${fn}`]),
  ) as Record<LambdaFunction, string>;

  /** sst.config.ts's own composition (infra/platform.ts), with the functions' ARNs given. */
  async function deploy(place: Place) {
    const { storage, pipeline: buildStateMachine } = buildPlatform(cloud, { place, registry });
    const pipeline = buildStateMachine(functionArns);
    const definition = JSON.parse(await resolve(pipeline.definition)) as AslDefinition;
    await resolve(pipeline.stateMachineArn);
    // Registration is asynchronous: let every pending resource reach the mocks.
    await new Promise((r) => setTimeout(r, 100));
    const keys = { data: await resolve(storage.dataKey.arn), vault: await resolve(storage.vaultKey.arn), bucket: await resolve(storage.bucket.arn) };
    return { definition, keys, storage };
  }

  const production = await deploy({ accountId: account, region, stage: "production", retain: true });
  const prod = recorded.filter((r) => r.state.stack === "production");
  const all = (type: string) => prod.filter((r) => r.type === type);
  const one = (type: string, name?: string) => {
    const found = all(type).filter((r) => name === undefined || r.name === name);
    assert.equal(found.length, 1, `expected one ${type}${name ? ` ${name}` : ""}, found ${found.length}`);
    return found[0]!;
  };

  test("the bucket is encrypted with the project's KMS key and its public access is blocked", () => {
    const bucket = one("aws:s3/bucket:Bucket");
    const sse = one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
    assert.equal(sse.inputs.bucket, bucket.state.id);
    const rule = sse.inputs.rules[0];
    assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
    assert.equal(rule.applyServerSideEncryptionByDefault.kmsMasterKeyId, production.keys.data);
    assert.equal(rule.bucketKeyEnabled, true);
    const block = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    assert.equal(block.inputs.bucket, bucket.state.id);
    for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(block.inputs[flag], true, flag);
    assert.equal(all("aws:s3/bucketAcl:BucketAcl").length, 0, "no ACL may open the bucket");
    const policy = JSON.parse(one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    for (const s of policy.Statement) assert.equal(s.Effect, "Deny", `bucket policy statement ${s.Sid} must only deny`);
    assert.ok(policy.Statement.some((s: any) => s.Condition?.Bool?.["aws:SecureTransport"] === "false"), "TLS is required");
  });

  test("the vault has its own rotating key, and intermediates expire", () => {
    const keys = all("aws:kms/key:Key");
    assert.equal(keys.length, 2);
    for (const k of keys) assert.equal(k.inputs.enableKeyRotation, true, k.name);
    assert.notEqual(production.keys.data, production.keys.vault);
    const rules = one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as Array<Record<string, any>>;
    const vault = rules.find((r) => r.filter?.prefix === "vault/");
    assert.ok(vault?.expiration?.days > 0, "the vault mapping expires");
    assert.ok(rules.some((r) => r.filter?.tag?.value === "intermediate" && r.expiration?.days > 0), "tagged intermediates expire");
    assert.ok(!rules.some((r) => r.filter?.prefix === "runs/" && r.expiration), "declarations under runs/ are never expired");
    const table = one("aws:dynamodb/table:Table");
    // The keys core/routing-store.ts writes and queries by.
    assert.deepEqual([table.inputs.hashKey, table.inputs.rangeKey, table.inputs.ttl.attributeName], ["model", "seq", "expiresAt"]);
  });

  test("the state machine logs at ERROR without execution data, with X-Ray on", () => {
    const machine = one("aws:sfn/stateMachine:StateMachine");
    assert.equal(machine.inputs.loggingConfiguration.level, "ERROR");
    assert.equal(machine.inputs.loggingConfiguration.includeExecutionData, false);
    assert.match(machine.inputs.loggingConfiguration.logDestination, /^arn:aws:logs:.*:log-group:.*:\*$/);
    assert.equal(machine.inputs.tracingConfiguration.enabled, true);
    const logs = all("aws:cloudwatch/logGroup:LogGroup");
    assert.ok(logs.length >= 2);
    for (const l of logs) assert.equal(l.inputs.kmsKeyId, production.keys.data, `${l.name} is encrypted`);
  });

  test("the deployed definition is exactly workflows/definition.ts's, with the deployed ARNs", () => {
    const machine = one("aws:sfn/stateMachine:StateMachine");
    assert.deepEqual(JSON.parse(machine.inputs.definition), production.definition);
    const cluster = one("aws:ecs/cluster:Cluster");
    const capacity = one("aws:ecs/capacityProvider:CapacityProvider");
    const taskDefs = all("aws:ecs/taskDefinition:TaskDefinition");
    const subnets = all("aws:ec2/subnet:Subnet").map((s) => s.state.id);
    const workerSg = one("aws:ec2/securityGroup:SecurityGroup", "WorkerSg");
    const expected = buildDefinition({
      registry,
      resources: {
        functionArn: (fn) => functionArns[fn],
        clusterArn: cluster.state.arn,
        taskDefinitionArn: (stage) => taskDefs.find((t) => t.inputs.family.endsWith(`-${stageEntry(registry, stage).model}`))!.state.arn,
        capacityProvider: capacity.state.name,
        subnets,
        securityGroups: [workerSg.state.id],
        containerName: "llama-worker",
      },
    });
    assert.deepEqual(production.definition, expected);
    assert.doesNotMatch(machine.inputs.definition, /000000000000/, "no local placeholder ARN survives");
  });

  test("every GPU task in the deployed definition has TimeoutSeconds, HeartbeatSeconds and the task token", () => {
    const gpuTasks = collectTaskStates(production.definition).filter(([, s]) => s.Resource === "arn:aws:states:::ecs:runTask.waitForTaskToken");
    assert.deepEqual(gpuTasks.map(([n]) => n).sort(), [...gpuStages].sort());
    for (const [name, state] of gpuTasks) {
      assert.ok(Number(state.TimeoutSeconds) > 0, `${name}: TimeoutSeconds`);
      assert.ok(Number(state.HeartbeatSeconds) > 0 && Number(state.HeartbeatSeconds) < Number(state.TimeoutSeconds), `${name}: HeartbeatSeconds`);
      const params = state.Parameters as any;
      assert.deepEqual(params.CapacityProviderStrategy, [{ CapacityProvider: `affiant-production-g5`, Weight: 1 }]);
      assert.equal(params.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, "DISABLED");
      const env = params.Overrides.ContainerOverrides[0].Environment as Array<Record<string, string>>;
      assert.ok(env.some((e) => e.Name === "AFFIANT_TASK_TOKEN" && e["Value.$"] === "$$.Task.Token"), `${name}: task token override`);
    }
  });

  test("one task definition per GPU model, each on EC2 with one GPU and CloudWatch logs", () => {
    const models = new Set(gpuStages.map((s) => stageEntry(registry, s).model));
    const taskDefs = all("aws:ecs/taskDefinition:TaskDefinition");
    assert.equal(taskDefs.length, models.size);
    for (const t of taskDefs) {
      assert.deepEqual(t.inputs.requiresCompatibilities, ["EC2"]);
      assert.equal(t.inputs.networkMode, "awsvpc");
      const [container] = JSON.parse(t.inputs.containerDefinitions);
      assert.equal(container.name, "llama-worker");
      assert.deepEqual(container.resourceRequirements, [{ type: "GPU", value: "1" }], t.name);
      assert.equal(container.logConfiguration.logDriver, "awslogs");
      assert.equal(container.logConfiguration.options["awslogs-group"], "/affiant/production/llama-worker");
      assert.ok(!container.environment.some((e: any) => e.name === "AFFIANT_TASK_TOKEN"), "the token comes per run, as an override");
    }
  });

  test("GPU capacity: g5 with the ECS GPU AMI, ASG minimum 0, managed scaling", () => {
    const asg = one("aws:autoscaling/group:Group");
    assert.equal(asg.inputs.minSize, 0);
    assert.ok(asg.inputs.maxSize >= 1);
    assert.equal(asg.inputs.protectFromScaleIn, true);
    assert.ok(asg.inputs.tags.some((t: any) => t.key === "AmazonECSManaged"));
    const template = one("aws:ec2/launchTemplate:LaunchTemplate");
    assert.equal(template.inputs.imageId, `resolve:ssm:${gpuAmiParameter}`);
    assert.match(gpuAmiParameter, /ecs\/optimized-ami\/.*\/gpu\//);
    assert.equal(template.inputs.instanceType, "g5.xlarge");
    assert.equal(template.inputs.metadataOptions.httpTokens, "required");
    const userData = Buffer.from(template.inputs.userData, "base64").toString();
    assert.match(userData, /ECS_CLUSTER=affiant-production-gpu/);
    assert.match(userData, /ECS_ENABLE_GPU_SUPPORT=true/);
    const provider = one("aws:ecs/capacityProvider:CapacityProvider").inputs.autoScalingGroupProvider;
    assert.equal(provider.autoScalingGroupArn, asg.state.arn);
    assert.equal(provider.managedScaling.status, "ENABLED");
    assert.equal(provider.managedTerminationProtection, "ENABLED");
    const association = one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders");
    assert.deepEqual(association.inputs.capacityProviders, ["affiant-production-g5"]);
  });

  test("private subnets only, VPC endpoints for every AWS service the data touches, no internet path", () => {
    for (const s of all("aws:ec2/subnet:Subnet")) assert.equal(s.inputs.mapPublicIpOnLaunch, false);
    assert.equal(all("aws:ec2/internetGateway:InternetGateway").length + all("aws:ec2/natGateway:NatGateway").length, 0);
    const endpoints = all("aws:ec2/vpcEndpoint:VpcEndpoint");
    const services = endpoints.map((e) => String(e.inputs.serviceName).replace(`com.amazonaws.${region}.`, ""));
    for (const needed of ["bedrock-runtime", "s3", "states", "ecr.api", "ecr.dkr", "logs", "ecs", "ecs-agent", "ecs-telemetry"]) {
      assert.ok(services.includes(needed), `endpoint for ${needed}`);
    }
    assert.equal(services.length, Object.keys(interfaceEndpoints).length + 2);
    for (const e of endpoints.filter((e) => e.inputs.vpcEndpointType === "Interface")) assert.equal(e.inputs.privateDnsEnabled, true, e.name);
    const workerSg = one("aws:ec2/securityGroup:SecurityGroup", "WorkerSg");
    assert.equal(workerSg.inputs.ingress, undefined, "nothing may connect to a worker");
    for (const rule of workerSg.inputs.egress) assert.equal(rule.fromPort, 443);
  });

  test("the state machine may run only the worker task definitions and pass only their roles", () => {
    const policy = JSON.parse(one("aws:iam/rolePolicy:RolePolicy", "StateMachinePolicy").inputs.policy);
    const runTask = policy.Statement.find((s: any) => s.Action.includes("ecs:RunTask"));
    const families = all("aws:ecs/taskDefinition:TaskDefinition").map((t) => `arn:aws:ecs:${region}:${account}:task-definition/${t.inputs.family}:*`);
    assert.deepEqual([...runTask.Resource].sort(), families.sort());
    assert.equal(runTask.Condition.ArnEquals["ecs:cluster"][0], one("aws:ecs/cluster:Cluster").state.arn);
    const pass = policy.Statement.find((s: any) => s.Action.includes("iam:PassRole"));
    const roles = ["WorkerExecutionRole", "WorkerTaskRole"].map((n) => one("aws:iam/role:Role", n).state.arn);
    assert.deepEqual([...pass.Resource].sort(), roles.sort());
    const invoke = policy.Statement.find((s: any) => s.Action.includes("lambda:InvokeFunction"));
    for (const arn of Object.values(functionArns)) assert.ok(invoke.Resource.includes(arn));
  });

  test("least privilege: each sealed kind its own purpose; only Redact opens Extract's text, only Reinject the vault; the fallback only the guard's hashes", async () => {
    const targets = { region, accountId: account, bucketArn: production.keys.bucket, dataKeyArn: production.keys.data, vaultKeyArn: production.keys.vault, routingTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/routing", registry, stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:affiant` };
    const fns = [...Object.values(lambdaFunctions), "api", "backfill"] as const;
    const resolved = new Map<string, Permission[]>();
    for (const fn of fns) resolved.set(fn, (await resolve(pulumi.output(functionPermissions(cloud, fn, targets)))) as Permission[]);
    const on = (fn: string, action: string, resource: string) => resolved.get(fn)!.some((p) => p.actions.includes(action) && p.resources.includes(resource) && !p.conditions);
    // IAM's answer for one request: an Allow whose action, resource (with * wildcards) and
    // every StringEquals condition match; there are no Deny statements in these policies.
    const allowed = (fn: string, action: string, resource: string, context: Record<string, string> = {}) =>
      resolved.get(fn)!.some(
        (p) =>
          p.actions.includes(action) &&
          p.resources.some((r) => new RegExp(`^${String(r).split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(resource)) &&
          (p.conditions ?? []).every((c) => c.test === "StringEquals" && c.values.includes(context[c.variable] ?? "")),
      );
    const purpose = (p: string) => ({ "kms:EncryptionContext:purpose": p, "kms:EncryptionContext:caseId": "case-1" });
    const vaultKey = production.keys.vault;
    const can = (action: string, kind: string) => fns.filter((fn) => allowed(fn, action, vaultKey, purpose(kind))).sort();
    assert.deepEqual(can("kms:GenerateDataKey", "affiant-extracted-text"), [lambdaFunctions.extract]);
    assert.deepEqual(can("kms:Decrypt", "affiant-extracted-text"), [lambdaFunctions.redact], "only Redact can decrypt Extract's sealed text");
    assert.deepEqual(can("kms:GenerateDataKey", "affiant-pii-vault"), [lambdaFunctions.redact]);
    assert.deepEqual(can("kms:Decrypt", "affiant-pii-vault"), [lambdaFunctions.reinject], "only Reinject opens the vault");
    assert.deepEqual(can("kms:GenerateDataKey", "affiant-privacy-guard"), [lambdaFunctions.redact]);
    assert.deepEqual(can("kms:Decrypt", "affiant-privacy-guard"), [lambdaFunctions.index, lambdaFunctions.score, lambdaFunctions.fallback].sort());
    // No grant on the vault key goes without a purpose, and none opens an unknown kind.
    for (const fn of fns) {
      for (const p of resolved.get(fn)!.filter((p) => p.resources.includes(vaultKey))) {
        assert.deepEqual(p.conditions?.map((c) => c.variable), ["kms:EncryptionContext:purpose"], `${fn}: the vault key only for named kinds`);
      }
      assert.ok(!allowed(fn, "kms:Decrypt", vaultKey, {}), `${fn}: no Decrypt without a purpose`);
    }
    // The fallback, outside the VPC: the run's blobs and the guard's hashes, never the
    // documents, the extracted text's context, the vault blob or case.json.
    const object = (key: string) => `${production.keys.bucket}/${key}`;
    const fallback = lambdaFunctions.fallback;
    assert.ok(allowed(fallback, "s3:GetObject", object("runs/case-1/exec-1/redacted.json")));
    assert.ok(allowed(fallback, "s3:PutObject", object("runs/case-1/exec-1/draft.json")));
    assert.ok(allowed(fallback, "s3:GetObject", object("vault/case-1/exec-1.guard")));
    for (const key of ["vault/case-1/exec-1.enc", "cases/case-1/case.json", "cases/case-1/documents/intake.pdf"]) assert.ok(!allowed(fallback, "s3:GetObject", object(key)), `the fallback cannot read ${key}`);
    assert.ok(!allowed(fallback, "s3:PutObject", object("vault/case-1/exec-1.guard")));
    assert.ok(allowed(lambdaFunctions.reinject, "s3:GetObject", object("vault/case-1/exec-1.enc")));
    for (const fn of fns) {
      const dataKey = resolved.get(fn)!.filter((p) => p.resources.includes(production.keys.data));
      for (const p of dataKey) assert.deepEqual(p.conditions, [{ test: "StringEquals", variable: "kms:ViaService", values: [`s3.${region}.amazonaws.com`] }], `${fn}: the bucket key only through S3`);
      for (const p of resolved.get(fn)!) assert.ok(!p.actions.some((a) => a.endsWith(":*") || a === "*"), `${fn}: no wildcard actions`);
    }
    const bedrock = (fn: string) => resolved.get(fn)!.filter((p) => p.actions.includes("bedrock:InvokeModel")).flatMap((p) => p.resources);
    assert.deepEqual(bedrock(lambdaFunctions.fallback), [`arn:aws:bedrock:${region}::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0`]);
    assert.deepEqual(bedrock(lambdaFunctions.index), [`arn:aws:bedrock:${region}::foundation-model/${defaultEmbeddingModel}`]);
    assert.deepEqual(bedrock(lambdaFunctions.extract), []);
    assert.ok(on(lambdaFunctions.extract, "textract:DetectDocumentText", "*"));
    assert.ok(on(lambdaFunctions.redact, "comprehend:DetectPiiEntities", "*"));
    assert.ok(on("api", "states:StartExecution", targets.stateMachineArn));
    assert.ok(on("api", "states:GetExecutionHistory", `arn:aws:states:${region}:${account}:execution:affiant:*`));
    assert.ok(on("backfill", "s3:ListBucket", production.keys.bucket));
    assert.ok(!on("api", "s3:ListBucket", production.keys.bucket));
  });

  // The dev stage in its own mock stack: the same program with removal "remove".
  useStack("dev");
  await deploy({ accountId: account, region, stage: "dev", retain: false });
  const dev = recorded.filter((r) => r.state.stack === "dev");

  test("production retains its data on removal; dev removes everything", () => {
    const dataTypes = ["aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:dynamodb/table:Table", "aws:cloudwatch/logGroup:LogGroup"];
    for (const [stackName, resources, retained] of [["production", prod, true], ["dev", dev, false]] as const) {
      const data = resources.filter((r) => dataTypes.includes(r.type));
      assert.equal(data.length, 6, `${stackName}: the bucket, two keys, the routing table, two log groups`);
      for (const r of data) assert.equal(retainOnDelete.get(`${stackName}/${r.type}/${r.name}`), retained, `${stackName}: ${r.name} retainOnDelete`);
      const bucket = resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
      assert.equal(bucket.inputs.forceDestroy, !retained);
    }
  });
}

function writeDeployRegistry(): string {
  // The shipped registry with g5 models, two of them, and a Bedrock fallback: what a deployment registry looks like.
  const registry = JSON.parse(readFileSync(path.join(root, "models/registry.json"), "utf8"));
  registry.models["writer-14b"] = { file: "writer-14b.gguf", hostClass: "g5", contextSize: 16384 };
  registry.models["judge-8b"] = { file: "judge-8b.gguf", hostClass: "g5", contextSize: 8192 };
  for (const [name, stage] of Object.entries<Record<string, unknown>>(registry.stages)) {
    stage.model = name.startsWith("Judge") ? "judge-8b" : "writer-14b";
    stage.fallback = ["bedrock:anthropic.claude-3-5-haiku-20241022-v1:0", "local:stories-260k-greedy"];
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), "affiant-infra-")), "registry.json");
  writeFileSync(file, JSON.stringify(registry));
  return file;
}

function resolve<T>(output: Output<T>): Promise<T> {
  return new Promise((r) => output.apply((v) => r(v)));
}

/** What AWS would answer: ids, names and ARNs shaped like the real ones. */
function mockOutputs(type: string, name: string, inputs: Record<string, any>, stack: string): Record<string, unknown> {
  const id = `${name.toLowerCase()}-${stack}-id`;
  const physical = inputs.name ?? `${name.toLowerCase()}-${stack}`;
  const service = type.split(":")[1]!.split("/")[0]!;
  const arns: Record<string, string> = {
    "aws:s3/bucket:Bucket": `arn:aws:s3:::${physical}`,
    "aws:kms/key:Key": `arn:aws:kms:${region}:${account}:key/${id}`,
    "aws:ecs/cluster:Cluster": `arn:aws:ecs:${region}:${account}:cluster/${physical}`,
    "aws:ecs/taskDefinition:TaskDefinition": `arn:aws:ecs:${region}:${account}:task-definition/${inputs.family}:1`,
    "aws:sfn/stateMachine:StateMachine": `arn:aws:states:${region}:${account}:stateMachine:${physical}`,
    "aws:cloudwatch/logGroup:LogGroup": `arn:aws:logs:${region}:${account}:log-group:${physical}`,
    "aws:iam/role:Role": `arn:aws:iam::${account}:role/${physical}`,
    "aws:dynamodb/table:Table": `arn:aws:dynamodb:${region}:${account}:table/${physical}`,
  };
  return {
    id,
    stack,
    name: physical,
    arn: arns[type] ?? `arn:aws:${service}:${region}:${account}:${name.toLowerCase()}/${id}`,
    ...(type === "aws:s3/bucket:Bucket" ? { bucket: physical } : {}),
    ...(type === "aws:kms/key:Key" ? { keyId: id } : {}),
    ...(type === "aws:ecr/repository:Repository" ? { repositoryUrl: `${account}.dkr.ecr.${region}.amazonaws.com/${physical}` } : {}),
  };
}

const platform = path.join(root, ".sst", "platform");
const present = existsSync(path.join(platform, "node_modules", "@pulumi", "pulumi"));
if (!present && process.env.CI) {
  test("infrastructure tests need .sst/platform (run: npm run sst:install)", () => {
    assert.fail("CI is set and .sst/platform/node_modules/@pulumi/pulumi is absent: run `npm run sst:install` before `npm test`");
  });
} else if (!present) {
  test("infrastructure tests", { skip: ".sst/platform is absent, so the Pulumi-mock tests cannot run here (run: npm run sst:install)" }, () => {});
} else {
  await infraTests();
}
