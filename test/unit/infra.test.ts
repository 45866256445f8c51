/**
 * The deployed system under Pulumi mocks: the real builders in infra/ create real
 * @pulumi/aws resources (the copy `sst install` puts in .sst/platform), the mocks record
 * every resource's inputs and invent ids and ARNs, and the tests assert on what would be
 * sent to AWS. SST components (Function, ApiGatewayV2, Cron, Secret) need SST's runtime, so
 * sst.config.ts's wiring of them is type-checked (tsconfig.sst.json), not run here.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";
import { caseKeys, privateKeyOf } from "../../core/case-file.ts";
import { loadRegistry, stageEntry } from "../../core/registry.ts";
import { reviewFactsKey, reviewNotesKey } from "../../core/review.ts";
import { gpuStages, type LambdaFunction, lambdaFunctions } from "../../core/state-names.ts";
import { reviewDocumentJsonKey } from "../../functions/review-document.ts";
import type { Cloud, Output, Permission, Place } from "../../infra/cloud.ts";
import type { DeployedFunction } from "../../infra/permissions.ts";
import { account, mockOutputs, region } from "../../rehearsal/synth.ts";
import {
  type AslDefinition,
  buildDefinition,
  collectTaskStates,
  lambdaTimeoutSeconds,
  longestPathSeconds,
} from "../../workflows/definition.ts";
import { root } from "../helpers.ts";

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
          if (args.token === "aws:index/getAvailabilityZones:getAvailabilityZones")
            return { names: ["us-east-1a", "us-east-1b", "us-east-1c"], zoneIds: [] };
          if (args.token === "aws:ec2/getManagedPrefixList:getManagedPrefixList")
            return { id: `pl-${String(args.inputs.name).split(".").pop()}` };
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
  const { interfaceEndpoints } = await import("../../infra/network.ts");
  const { gpuAmiParameter } = await import("../../infra/gpu.ts");
  const { buildPlatform } = await import("../../infra/platform.ts");
  const { functionPermissions, defaultEmbeddingModel } = await import("../../infra/permissions.ts");

  const { productionRegistryFile, productionRegistryProblems } = await import("../../infra/production.ts");
  const { workerImageByDigest } = await import("../../infra/gpu.ts");
  // The registry sst.config.ts deploys, not a synthetic one.
  const registry = loadRegistry(path.join(root, productionRegistryFile));
  const image = `${account}.dkr.ecr.${region}.amazonaws.com/affiant-llama-worker@sha256:${"ab".repeat(32)}`;
  const functionArns = Object.fromEntries(
    Object.values(lambdaFunctions).map((fn) => [fn, `arn:aws:lambda:${region}:${account}:function:affiant-${fn}`]),
  ) as Record<LambdaFunction, string>;

  /** sst.config.ts's own composition (infra/platform.ts), with the functions' ARNs given. */
  async function deploy(place: Place) {
    const { storage, pipeline: buildStateMachine, reaper, workerPools } = buildPlatform(cloud, { place, registry, gpu: { image } });
    const pipeline = buildStateMachine(functionArns);
    reaper({
      sweeper: { arn: `arn:aws:lambda:${region}:${account}:function:affiant-gpu-sweeper`, name: "affiant-gpu-sweeper" },
    });
    const definition = JSON.parse(await resolve(pipeline.definition)) as AslDefinition;
    await resolve(pipeline.stateMachineArn);
    // Registration is asynchronous: let every pending resource reach the mocks.
    await new Promise((r) => setTimeout(r, 100));
    const keys = {
      data: await resolve(storage.dataKey.arn),
      vault: await resolve(storage.vaultKey.arn),
      bucket: await resolve(storage.bucket.arn),
    };
    const pools = (await resolve(pulumi.output(workerPools.permissions))) as unknown as {
      taskFamilyArns: string[];
      passRoleArns: string[];
      queueArns: string[];
    };
    return { definition, keys, storage, workerPools: pools, workerPoolsJson: await resolve(workerPools.json) };
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
    for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
      assert.equal(block.inputs[flag], true, flag);
    assert.equal(all("aws:s3/bucketAcl:BucketAcl").length, 0, "no ACL may open the bucket");
    const policy = JSON.parse(one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    for (const s of policy.Statement) assert.equal(s.Effect, "Deny", `bucket policy statement ${s.Sid} must only deny`);
    assert.ok(
      policy.Statement.some((s: any) => s.Condition?.Bool?.["aws:SecureTransport"] === "false"),
      "TLS is required",
    );
  });

  test("the vault has its own rotating key, and intermediates expire", () => {
    const keys = all("aws:kms/key:Key");
    assert.equal(keys.length, 2);
    for (const k of keys) assert.equal(k.inputs.enableKeyRotation, true, k.name);
    assert.notEqual(production.keys.data, production.keys.vault);
    const rules = one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as Array<Record<string, any>>;
    const vault = rules.find((r) => r.filter?.prefix === "vault/");
    assert.ok(vault?.expiration?.days > 0, "the vault mapping expires");
    assert.ok(
      rules.some((r) => r.filter?.tag?.value === "intermediate" && r.expiration?.days > 0),
      "tagged intermediates expire",
    );
    for (const prefix of ["runs/", "private/"])
      assert.ok(!rules.some((r) => r.filter?.prefix === prefix && r.expiration), `the case's record under ${prefix} is never expired`);
    const tables = all("aws:dynamodb/table:Table");
    const table = tables.find((t) => t.name === "Routing")!;
    // The keys core/routing-store.ts writes and queries by.
    assert.deepEqual([table.inputs.hashKey, table.inputs.rangeKey, table.inputs.ttl.attributeName], ["model", "seq", "expiresAt"]);
    // The keys core/review-store.ts writes: the open gates; the decision records and the audit
    // chain apart (no TTL: the audit log is a record, and deletion-protected where data is retained).
    const reviews = tables.find((t) => t.name === "Reviews")!;
    assert.deepEqual([reviews.inputs.hashKey, reviews.inputs.rangeKey, reviews.inputs.ttl], ["executionId", "sk", undefined]);
    const log = tables.find((t) => t.name === "ReviewLog")!;
    assert.deepEqual([log.inputs.hashKey, log.inputs.rangeKey, log.inputs.ttl], ["executionId", "sk", undefined]);
    assert.equal(tables.length, 3);
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
    one("aws:ecs/cluster:Cluster");
    one("aws:ecs/capacityProvider:CapacityProvider");
    one("aws:ec2/securityGroup:SecurityGroup", "WorkerSg");
    const activities = all("aws:sfn/activity:Activity");
    const expected = buildDefinition({
      registry,
      resources: {
        functionArn: (fn) => functionArns[fn],
        activityArn: (model) => activities.find((a) => a.inputs.name.endsWith(`-${model.replace(/[^A-Za-z0-9_-]/g, "-")}`))!.state.arn,
      },
    });
    assert.deepEqual(production.definition, expected);
    assert.doesNotMatch(machine.inputs.definition, /000000000000/, "no local placeholder ARN survives");
  });

  test("every GPU stage's generate state is its model's activity with the stage's budgets, after an Acquire on the acquire Lambda", () => {
    const activities = all("aws:sfn/activity:Activity");
    const models = new Set(gpuStages.map((st) => stageEntry(registry, st).model));
    assert.equal(activities.length, models.size, "one activity per registry model");
    assert.equal(all("aws:sqs/queue:Queue").length, models.size, "one ready queue per registry model");
    const gpuTasks = collectTaskStates(production.definition).filter(([, st]) => activities.some((a) => a.state.arn === st.Resource));
    assert.deepEqual(gpuTasks.map(([n]) => n).sort(), [...gpuStages].sort());
    for (const [name, state] of gpuTasks) {
      const entry = stageEntry(registry, name as never);
      assert.equal(state.TimeoutSeconds, entry.timeoutSeconds, `${name}: TimeoutSeconds`);
      assert.equal(state.HeartbeatSeconds, entry.heartbeatSeconds, `${name}: the stage's own HeartbeatSeconds`);
      const acquire = collectTaskStates(production.definition).find(([n]) => n === `${name}Acquire`)![1];
      assert.equal(acquire.Resource, "arn:aws:states:::lambda:invoke.waitForTaskToken");
      assert.equal((acquire.Parameters as { FunctionName: string }).FunctionName, functionArns[lambdaFunctions.acquire]);
      assert.equal(acquire.TimeoutSeconds, registry.workers.acquireSeconds);
    }
    const pools = JSON.parse(production.workerPoolsJson);
    assert.equal(pools.cluster, one("aws:ecs/cluster:Cluster").state.arn);
    assert.deepEqual(Object.keys(pools.models).sort(), [...models].sort());
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
      assert.ok(
        !container.environment.some((e: any) => e.name === "AFFIANT_TASK_TOKEN"),
        "the worker takes each task token from GetActivityTask",
      );
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
    // Nothing at boot depends on the AMI's tools, and no model is copied before the agent starts.
    assert.doesNotMatch(userData, /^\s*aws\s/m, "the user data runs the AWS CLI");
    assert.match(userData, /chown 10001:10001 \/opt\/affiant\/models/);
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
    for (const e of endpoints.filter((e) => e.inputs.vpcEndpointType === "Interface"))
      assert.equal(e.inputs.privateDnsEnabled, true, e.name);
    const workerSg = one("aws:ec2/securityGroup:SecurityGroup", "WorkerSg");
    assert.equal(workerSg.inputs.ingress, undefined, "nothing may connect to a worker");
    for (const rule of workerSg.inputs.egress) assert.equal(rule.fromPort, 443);
  });

  test("every AWS service a GPU worker's or instance's role may call has a VPC endpoint (the subnets have no other way out)", () => {
    const services = new Set(
      all("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => String(e.inputs.serviceName).replace(`com.amazonaws.${region}.`, "")),
    );
    // An IAM action's service prefix → the endpoint that carries it.
    const endpointFor: Record<string, string> = { ecr: "ecr.api", bedrock: "bedrock-runtime" };
    const policies = all("aws:iam/rolePolicy:RolePolicy").filter((p) => /^WorkerTaskPolicy|^GpuInstanceModels$/.test(p.name));
    assert.ok(policies.length >= 2, "the worker task policies and the instance's");
    for (const p of policies) {
      for (const st of JSON.parse(p.inputs.policy).Statement) {
        for (const action of [st.Action].flat() as string[]) {
          const prefix = action.split(":")[0]!;
          const endpoint = endpointFor[prefix] ?? prefix;
          assert.ok(services.has(endpoint), `${p.name} allows ${action}, but the VPC has no ${endpoint} endpoint`);
        }
      }
    }
  });

  test("each worker fetches only its own model from the bucket's models/ prefix into a writable host folder", () => {
    const source = `s3://${one("aws:s3/bucket:Bucket").state.bucket}/models/`;
    for (const t of all("aws:ecs/taskDefinition:TaskDefinition")) {
      const [container] = JSON.parse(t.inputs.containerDefinitions);
      const env = Object.fromEntries(container.environment.map((v: { name: string; value: string }) => [v.name, v.value]));
      assert.equal(env.AFFIANT_MODEL_SOURCE, source, t.inputs.family);
      assert.ok(env.AFFIANT_PRELOAD_MODEL, "the one model it fetches");
      assert.deepEqual(container.mountPoints, [{ sourceVolume: "models", containerPath: "/models", readOnly: false }]);
    }
    assert.equal(
      all("aws:iam/rolePolicy:RolePolicy").filter((p) => p.name === "GpuInstanceModels").length,
      0,
      "the instance reads no model",
    );
  });

  test("Session Manager reaches a GPU instance: the instance role carries AmazonSSMManagedInstanceCore and every managed policy's agents have their endpoints", async () => {
    const { managedPolicyEndpoints } = await import("../../infra/network.ts");
    const services = new Set(
      all("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => String(e.inputs.serviceName).replace(`com.amazonaws.${region}.`, "")),
    );
    const role = one("aws:iam/role:Role", "GpuInstanceRole");
    assert.ok(role.inputs.managedPolicyArns.includes("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"));
    for (const arn of role.inputs.managedPolicyArns as string[]) {
      const needed = managedPolicyEndpoints[arn];
      assert.ok(needed, `${arn}: no declared endpoints in infra/network.ts`);
      for (const e of needed) assert.ok(services.has(e), `${arn} needs the ${e} endpoint`);
    }
    for (const e of ["ssm", "ssmmessages", "ec2messages"]) assert.ok(services.has(e), `endpoint for ${e}`);
  });

  test("the state machine only invokes the Lambdas; the acquire Lambda may run only the worker task definitions on the cluster and pass only their roles", async () => {
    const policy = JSON.parse(one("aws:iam/rolePolicy:RolePolicy", "StateMachinePolicy").inputs.policy);
    assert.ok(
      !policy.Statement.some((st: any) => st.Action.some((a: string) => a.startsWith("ecs:") || a === "iam:PassRole")),
      "the state machine starts no task itself",
    );
    const invoke = policy.Statement.find((st: any) => st.Action.includes("lambda:InvokeFunction"));
    for (const arn of Object.values(functionArns)) assert.ok(invoke.Resource.includes(arn));
    const clusterArn = one("aws:ecs/cluster:Cluster").state.arn;
    const targets = {
      region,
      accountId: account,
      bucketArn: production.keys.bucket,
      dataKeyArn: production.keys.data,
      vaultKeyArn: production.keys.vault,
      routingTableArn: "r",
      reviewTableArn: "v",
      reviewLogTableArn: "v-log",
      gpuClusterArn: clusterArn,
      registry,
      workerPools: production.workerPools,
    };
    const acquire = (await resolve(pulumi.output(functionPermissions(cloud, lambdaFunctions.acquire, targets)))) as Permission[];
    const runTask = acquire.find((p) => p.actions.includes("ecs:RunTask"))!;
    const families = all("aws:ecs/taskDefinition:TaskDefinition").map(
      (t) => `arn:aws:ecs:${region}:${account}:task-definition/${t.inputs.family}:*`,
    );
    assert.deepEqual([...runTask.resources].sort(), families.sort());
    assert.deepEqual(runTask.conditions, [{ test: "ArnEquals", variable: "ecs:cluster", values: [clusterArn] }]);
    const pass = acquire.find((p) => p.actions.includes("iam:PassRole"))!;
    const roles = all("aws:iam/role:Role")
      .filter((r) => /^Worker(ExecutionRole|TaskRole)/.test(r.name))
      .map((r) => r.state.arn);
    assert.deepEqual([...pass.resources].sort(), roles.sort());
    const send = acquire.find((p) => p.actions.includes("sqs:SendMessage"))!;
    assert.deepEqual(
      [...send.resources].sort(),
      all("aws:sqs/queue:Queue")
        .map((q) => q.state.arn)
        .sort(),
    );
    // Each model's worker role: its own activity and queue only.
    for (const t of all("aws:ecs/taskDefinition:TaskDefinition")) {
      const role = all("aws:iam/role:Role").find((r) => r.state.arn === t.inputs.taskRoleArn)!;
      const doc = JSON.parse(all("aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.state.id)!.inputs.policy);
      const poll = doc.Statement.find((st: any) => st.Action.includes("states:GetActivityTask"));
      assert.equal(poll.Resource.length, 1, `${role.name}: one activity`);
      const receive = doc.Statement.find((st: any) => st.Action.includes("sqs:ReceiveMessage"));
      assert.equal(receive.Resource.length, 1, `${role.name}: one queue`);
      // It tags its own task with the stage it holds: tasks of the GPU cluster, nothing else.
      const tag = doc.Statement.find((st: any) => [st.Action].flat().includes("ecs:TagResource"));
      assert.deepEqual(
        [tag.Resource].flat(),
        [`${clusterArn.replace(":cluster/", ":task/")}/*`],
        `${role.name}: tags only the cluster's tasks`,
      );
      assert.ok(
        !doc.Statement.some((st: any) => [st.Action].flat().some((a: string) => ["ecs:StopTask", "ecs:RunTask"].includes(a))),
        `${role.name}: starts and stops nothing`,
      );
    }
  });

  test("nothing leaves a GPU held: RunTask is tagged, a sweeper runs, and only the reaper and the fallback may stop tasks", async () => {
    const clusterArn = one("aws:ecs/cluster:Cluster").state.arn;

    const sweepRule = one("aws:cloudwatch/eventRule:EventRule", "WorkerSweep");
    assert.equal(sweepRule.inputs.scheduleExpression, "rate(1 minute)");
    const targets = all("aws:cloudwatch/eventTarget:EventTarget");
    assert.deepEqual(
      targets.map((t) => [t.inputs.rule, t.inputs.arn]),
      [[sweepRule.state.name, `arn:aws:lambda:${region}:${account}:function:affiant-gpu-sweeper`]],
    );
    const invokes = all("aws:lambda/permission:Permission").filter((p) => /^Worker.*Invoke$/.test(p.name));
    assert.deepEqual(
      invokes.map((p) => p.name),
      ["WorkerSweepInvoke"],
    );
    for (const p of invokes) {
      assert.equal(p.inputs.principal, "events.amazonaws.com");
      assert.equal(p.inputs.sourceArn, sweepRule.state.arn, p.name);
    }

    const targetsWithCluster = {
      region,
      accountId: account,
      bucketArn: production.keys.bucket,
      dataKeyArn: production.keys.data,
      vaultKeyArn: production.keys.vault,
      routingTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/routing",
      reviewTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/reviews",
      reviewLogTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/reviews-log",
      gpuClusterArn: clusterArn,
      registry,
      stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:affiant`,
      workerPools: production.workerPools,
    };
    const fns = Object.keys(lambdaTimeoutSeconds(registry)) as DeployedFunction[];
    const perms = new Map<string, Permission[]>();
    for (const fn of fns) perms.set(fn, (await resolve(pulumi.output(functionPermissions(cloud, fn, targetsWithCluster)))) as Permission[]);
    const stoppers = fns.filter((fn) => perms.get(fn)!.some((p) => p.actions.includes("ecs:StopTask")));
    assert.deepEqual([...stoppers].sort(), [lambdaFunctions.fallback, "gpu-sweeper"].sort());
    for (const fn of stoppers) {
      const stop = perms.get(fn)!.find((p) => p.actions.includes("ecs:StopTask"))!;
      assert.deepEqual(
        stop.conditions,
        [{ test: "ArnEquals", variable: "ecs:cluster", values: [clusterArn] }],
        `${fn} may stop tasks in the GPU cluster only`,
      );
    }
    assert.ok(
      !perms.get(lambdaFunctions.admit)!.some((p) => p.resources.includes(production.keys.bucket)),
      "the Admit function reads no blobs",
    );
  });

  test("least privilege: each sealed kind its own purpose; only Redact opens Extract's text, only Reinject, AttorneyNotes and RecordApproval the vault; the fallback only the guard's hashes; real values under private/ out of the fallback's, Index's and Score's reach; the review log is append-only", async () => {
    const targets = {
      region,
      accountId: account,
      bucketArn: production.keys.bucket,
      dataKeyArn: production.keys.data,
      vaultKeyArn: production.keys.vault,
      routingTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/routing",
      reviewTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/reviews",
      reviewLogTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/reviews-log",
      registry,
      stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:affiant`,
      gpuClusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/gpu",
      workerPools: production.workerPools,
    };
    const fns = [...Object.values(lambdaFunctions), "api", "backfill"] as const;
    const resolved = new Map<string, Permission[]>();
    for (const fn of fns) resolved.set(fn, (await resolve(pulumi.output(functionPermissions(cloud, fn, targets)))) as Permission[]);
    const on = (fn: string, action: string, resource: string) =>
      resolved.get(fn)!.some((p) => p.actions.includes(action) && p.resources.includes(resource) && !p.conditions);
    // IAM's answer for one request: an Allow whose action, resource (with * wildcards) and
    // every StringEquals condition match; there are no Deny statements in these policies.
    const allowed = (fn: string, action: string, resource: string, context: Record<string, string> = {}) =>
      resolved.get(fn)!.some(
        (p) =>
          p.actions.includes(action) &&
          p.resources.some((r) =>
            new RegExp(
              `^${String(r)
                .split("*")
                .map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
                .join(".*")}$`,
            ).test(resource),
          ) &&
          (p.conditions ?? []).every((c) => c.test === "StringEquals" && c.values.includes(context[c.variable] ?? "")),
      );
    const purpose = (p: string) => ({ "kms:EncryptionContext:purpose": p, "kms:EncryptionContext:caseId": "case-1" });
    const vaultKey = production.keys.vault;
    const can = (action: string, kind: string) => fns.filter((fn) => allowed(fn, action, vaultKey, purpose(kind))).sort();
    assert.deepEqual(can("kms:GenerateDataKey", "affiant-extracted-text"), [lambdaFunctions.extract]);
    assert.deepEqual(
      can("kms:Decrypt", "affiant-extracted-text"),
      [lambdaFunctions.redact],
      "only Redact can decrypt Extract's sealed text",
    );
    // AttorneyNotes seals them again when facts from the client add values.
    assert.deepEqual(can("kms:GenerateDataKey", "affiant-pii-vault"), [lambdaFunctions.redact, lambdaFunctions.reviewNotes].sort());
    // AttorneyNotes opens it only to turn the people the attorney names into the draft's placeholders.
    assert.deepEqual(
      can("kms:Decrypt", "affiant-pii-vault"),
      [lambdaFunctions.reinject, lambdaFunctions.reviewNotes, lambdaFunctions.recordApproval].sort(),
      "only Reinject, AttorneyNotes and RecordApproval (the approved filing copy) open the vault",
    );
    assert.deepEqual(can("kms:GenerateDataKey", "affiant-privacy-guard"), [lambdaFunctions.redact, lambdaFunctions.reviewNotes].sort());
    assert.deepEqual(
      can("kms:Decrypt", "affiant-privacy-guard"),
      [lambdaFunctions.index, lambdaFunctions.score, lambdaFunctions.fallback].sort(),
    );
    // No grant on the vault key goes without a purpose, and none opens an unknown kind.
    for (const fn of fns) {
      for (const p of resolved.get(fn)!.filter((p) => p.resources.includes(vaultKey))) {
        assert.deepEqual(
          p.conditions?.map((c) => c.variable),
          ["kms:EncryptionContext:purpose"],
          `${fn}: the vault key only for named kinds`,
        );
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
    for (const key of ["vault/case-1/exec-1.enc", "cases/case-1/case.json", "cases/case-1/documents/intake.pdf"])
      assert.ok(!allowed(fallback, "s3:GetObject", object(key)), `the fallback cannot read ${key}`);
    assert.ok(!allowed(fallback, "s3:PutObject", object("vault/case-1/exec-1.guard")));
    assert.ok(allowed(lambdaFunctions.reinject, "s3:GetObject", object("vault/case-1/exec-1.enc")));
    // Real values (Reinject's outputs, the attorney's raw notes and the client's facts) under
    // their own prefix, at the keys the code writes: only Reinject writes outputs there (and
    // RecordApproval its own keys, below), only AttorneyNotes and the API read; the fallback
    // (outside the VPC), Index and Score can neither read nor write it.
    const runKey = caseKeys.run("case-1", "exec-1");
    const realValues = [
      `${privateKeyOf(runKey)}/declaration.md`,
      `${privateKeyOf(runKey)}/report.json`,
      reviewDocumentJsonKey(runKey),
      reviewNotesKey(runKey, 0),
      reviewFactsKey(runKey, 0),
    ];
    for (const key of realValues) {
      assert.ok(!key.startsWith("runs/"), `${key} is under runs/`);
      const readers = fns.filter((fn) => allowed(fn, "s3:GetObject", object(key))).sort();
      assert.deepEqual(readers, ["api", lambdaFunctions.reviewNotes].sort(), `who may read ${key}`);
      const writers = fns.filter((fn) => allowed(fn, "s3:PutObject", object(key))).sort();
      assert.deepEqual(writers, ["api", lambdaFunctions.reinject].sort(), `who may write ${key}`);
    }
    // RecordApproval writes the approved filing copy and approval.json, and nothing else there.
    for (const key of [`${privateKeyOf(runKey)}/final/declaration.filing.pdf`, `${privateKeyOf(runKey)}/approval.json`]) {
      const writers = fns.filter((fn) => allowed(fn, "s3:PutObject", object(key))).sort();
      assert.deepEqual(writers, ["api", lambdaFunctions.recordApproval, lambdaFunctions.reinject].sort(), `who may write ${key}`);
    }
    for (const fn of [lambdaFunctions.fallback, lambdaFunctions.index, lambdaFunctions.score])
      assert.ok(allowed(fn, "s3:GetObject", object(`${runKey}/redacted.json`)), `${fn} still reads the run's redacted blobs`);
    for (const fn of fns) {
      const dataKey = resolved.get(fn)!.filter((p) => p.resources.includes(production.keys.data));
      for (const p of dataKey)
        assert.deepEqual(
          p.conditions,
          [{ test: "StringEquals", variable: "kms:ViaService", values: [`s3.${region}.amazonaws.com`] }],
          `${fn}: the bucket key only through S3`,
        );
      for (const p of resolved.get(fn)!) assert.ok(!p.actions.some((a) => a.endsWith(":*") || a === "*"), `${fn}: no wildcard actions`);
    }
    const bedrock = (fn: string) =>
      resolved
        .get(fn)!
        .filter((p) => p.actions.includes("bedrock:InvokeModel"))
        .flatMap((p) => p.resources);
    assert.deepEqual(
      bedrock(lambdaFunctions.fallback).sort(),
      [
        `arn:aws:bedrock:${region}:${account}:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0`,
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
        `arn:aws:bedrock:${region}:${account}:inference-profile/us.amazon.nova-pro-v1:0`,
        "arn:aws:bedrock:*::foundation-model/amazon.nova-pro-v1:0",
        `arn:aws:bedrock:${region}:${account}:inference-profile/us.meta.llama3-3-70b-instruct-v1:0`,
        "arn:aws:bedrock:*::foundation-model/meta.llama3-3-70b-instruct-v1:0",
      ].sort(),
    );
    assert.deepEqual(bedrock(lambdaFunctions.index), [`arn:aws:bedrock:${region}::foundation-model/${defaultEmbeddingModel}`]);
    assert.deepEqual(bedrock(lambdaFunctions.extract), []);
    assert.ok(on(lambdaFunctions.extract, "textract:DetectDocumentText", "*"));
    assert.ok(on(lambdaFunctions.redact, "comprehend:DetectPiiEntities", "*"));
    assert.ok(on("api", "states:StartExecution", targets.stateMachineArn));
    assert.ok(on("api", "states:GetExecutionHistory", `arn:aws:states:${region}:${account}:execution:affiant:*`));
    assert.ok(on("backfill", "s3:ListBucket", production.keys.bucket));
    assert.ok(!on("api", "s3:ListBucket", production.keys.bucket));
    // The review log is append-only: no role may update or delete its items (decision records,
    // the audit chain); only the API deletes, and only open gates (a used task token).
    const reviewLog = targets.reviewLogTableArn;
    for (const fn of fns) {
      for (const action of ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteTable"])
        assert.ok(!allowed(fn, action, reviewLog), `${fn} may ${action} on the review log`);
      assert.ok(!allowed(fn, "dynamodb:UpdateItem", targets.reviewTableArn), `${fn} may update review gates`);
    }
    assert.deepEqual(
      fns.filter((fn) => allowed(fn, "dynamodb:PutItem", reviewLog)).sort(),
      ["api", lambdaFunctions.checkDecision].sort(),
      "decision records (the API) and audit entries (CheckDecision) are the only writes",
    );
    assert.deepEqual(
      fns.filter((fn) => allowed(fn, "dynamodb:DeleteItem", targets.reviewTableArn)),
      ["api"],
    );
  });

  test("API access: the review route has its own IAM policy; readers and operators cannot decide, reviewers can only decide (iam-simulate)", async () => {
    const { apiAccessPolicies } = await import("../../infra/api-access.ts");
    const { evaluateCall } = await import("../../rehearsal/evaluate.ts");
    const apiArn = `arn:aws:execute-api:${region}:${account}:a1b2c3d4e5`;
    const policies = apiAccessPolicies(apiArn);
    const route = (method: string, p: string) => `${apiArn}/$default/${method}${p}`;
    const review = route("POST", "/executions/vawa-1-p1/review");
    const cases = [
      ["readers", route("GET", "/executions/vawa-1-p1"), "allowed"],
      ["readers", route("GET", "/executions/vawa-1-p1/declaration"), "allowed"],
      ["readers", review, "denied"],
      ["readers", route("POST", "/cases"), "denied"],
      ["operators", route("POST", "/cases"), "allowed"],
      ["operators", route("POST", "/cases/vawa-1/executions"), "allowed"],
      ["operators", review, "denied"],
      ["reviewers", review, "allowed"],
      ["reviewers", route("GET", "/executions/vawa-1-p1"), "denied"],
      ["reviewers", route("POST", "/cases/vawa-1/executions"), "denied"],
    ] as const;
    for (const [who, resource, expect] of cases) {
      const verdict = await evaluateCall(
        {
          caller: who,
          principal: `arn:aws:iam::${account}:role/${who}`,
          identityPolicies: [{ name: who, policy: policies[who] }],
          action: "execute-api:Invoke",
          resource,
          expect,
        },
        account,
      );
      assert.ok(verdict.ok, `${who} ${resource}: ${verdict.result} (${verdict.detail}), expected ${expect}`);
    }
  });

  test("Index and Score may invoke exactly the registry's embedding.bedrock.model, not the default Titan, when it names another", async () => {
    const targets = {
      region,
      accountId: account,
      bucketArn: production.keys.bucket,
      dataKeyArn: production.keys.data,
      vaultKeyArn: production.keys.vault,
      routingTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/routing",
      reviewTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/reviews",
      reviewLogTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/reviews-log",
      registry,
    };
    const other = "amazon.titan-embed-text-v1";
    assert.notEqual(other, defaultEmbeddingModel);
    const custom = { ...registry, embedding: { ...registry.embedding!, bedrock: { ...registry.embedding!.bedrock, model: other } } };
    for (const fn of [lambdaFunctions.index, lambdaFunctions.score]) {
      const perms = (await resolve(pulumi.output(functionPermissions(cloud, fn, { ...targets, registry: custom })))) as Permission[];
      const invoke = perms.filter((p) => p.actions.includes("bedrock:InvokeModel")).flatMap((p) => p.resources);
      assert.deepEqual(invoke, [`arn:aws:bedrock:${region}::foundation-model/${other}`], fn);
    }
  });

  test("the fallback's IAM statements and linked secrets derive from the provider modules, a throwaway one included", async () => {
    const { fallbackProviderPermissions, providerModelIds } = await import("../../infra/permissions.ts");
    const { providers, providerSecrets } = await import("../../core/providers/index.ts");
    const { defineProvider } = await import("../../core/providers/types.ts");
    const targets = {
      region,
      accountId: account,
      bucketArn: production.keys.bucket,
      dataKeyArn: production.keys.data,
      vaultKeyArn: production.keys.vault,
      routingTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/routing",
      reviewTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/reviews",
      reviewLogTableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/reviews-log",
      registry,
    };
    const fallback = (await resolve(pulumi.output(functionPermissions(cloud, lambdaFunctions.fallback, targets)))) as Permission[];
    // Every module's statements for the ids the registry names for it are in the fallback's grant.
    for (const p of providers) {
      for (const statement of p.statements(providerModelIds(registry, p.name))) {
        const resources = statement.resources.map((r) => (typeof r === "string" ? r : r({ region, accountId: account })));
        assert.ok(
          fallback.some(
            (g) =>
              JSON.stringify(g.actions) === JSON.stringify(statement.actions) && JSON.stringify(g.resources) === JSON.stringify(resources),
          ),
          `${p.name}: ${statement.actions.join(",")}`,
        );
      }
    }
    // A throwaway provider, named in the registry, gets exactly its own statement with the place filled in.
    const throwaway = defineProvider({
      name: "throwaway",
      client: async () => undefined,
      secrets: [{ name: "ThrowawayKey", placeholder: "unset" }],
      statements: (ids) => [
        {
          actions: ["throwaway:Invoke"],
          resources: ids.map(
            (id) =>
              ({ region: r, accountId: a }: { region: string; accountId: string }) =>
                `arn:throwaway:${r}:${a}:model/${id}`,
          ),
        },
      ],
    });
    const named = {
      ...registry,
      stages: {
        ...registry.stages,
        JudgeTone: { ...registry.stages.JudgeTone!, fallback: ["throwaway:m-1", "throwaway:m-2", "bedrock:not-for-throwaway"] },
      },
    };
    const granted = (await resolve(
      pulumi.output(fallbackProviderPermissions(cloud, { registry: named, region, accountId: account }, [throwaway])),
    )) as Permission[];
    assert.deepEqual(granted, [
      {
        actions: ["throwaway:Invoke"],
        resources: [`arn:throwaway:${region}:${account}:model/m-1`, `arn:throwaway:${region}:${account}:model/m-2`],
      },
    ]);
    // Secrets: the fallback function is linked to every provider's, and no other function to any.
    const { functionTable } = await import("../../infra/functions.ts");
    const table = functionTable(registry, {
      bucketName: "b",
      routingTableName: "t",
      reviewTableName: "r",
      reviewLogTableName: "r-log",
      dataKeyArn: "d",
      vaultKeyArn: "v",
      registryFile: productionRegistryFile,
      gpuClusterArn: "c",
      workerPools: "{}",
    });
    const secrets = providerSecrets().map((s) => s.name);
    assert.ok(secrets.length > 0);
    assert.deepEqual(table[lambdaFunctions.fallback].link, secrets);
    for (const [name, spec] of Object.entries(table)) if (name !== lambdaFunctions.fallback) assert.equal(spec.link, undefined, name);
  });

  test("the deployed registry is the production profile: GPU host classes, hosted fallbacks, judges of three families", () => {
    assert.deepEqual(productionRegistryProblems(registry), []);
    const toy = loadRegistry(path.join(root, "models/registry.json"));
    const problems = productionRegistryProblems(toy);
    assert.ok(
      problems.some((p) => /stage ExtractFacts: .* host class local .* not a GPU/.test(p)),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) => /stage JudgeTone: fallback chain \[local:stories-260k-greedy\] has no hosted provider/.test(p)),
      problems.join("\n"),
    );
  });

  test("the Acquire budget covers the cold path of the largest stage model (instance, image, model fetch, load); 600 s does not", async () => {
    const { coldPathSeconds } = await import("../../core/config.ts");
    const largest = Math.max(...Object.values(registry.stages).map((st) => registry.models[st.model]?.sizeBytes ?? 0));
    assert.ok(largest > 8e9, "the 14B writer");
    assert.ok(registry.workers.acquireSeconds >= coldPathSeconds(largest));
    const short = { ...registry, workers: { ...registry.workers, acquireSeconds: 600 } };
    assert.ok(
      productionRegistryProblems(short).some((p) =>
        /workers\.acquireSeconds 600 s is under the cold path of a 9\.0 GB model, \d+ s/.test(p),
      ),
      productionRegistryProblems(short).join("\n"),
    );
  });

  test("task definitions run the worker image by digest, never a tag", () => {
    for (const t of all("aws:ecs/taskDefinition:TaskDefinition"))
      assert.equal(JSON.parse(t.inputs.containerDefinitions)[0].image, image, t.name);
    assert.throws(() => workerImageByDigest(`${account}.dkr.ecr.${region}.amazonaws.com/affiant-llama-worker:latest`), /by digest/);
    assert.throws(() => workerImageByDigest(undefined), /AFFIANT_WORKER_IMAGE is not set/);
  });

  test("every Lambda state waits longer than its function's timeout; the execution outlasts every stage budget", async () => {
    const { functionTable } = await import("../../infra/functions.ts");
    const table = functionTable(registry, {
      bucketName: "b",
      routingTableName: "t",
      reviewTableName: "r",
      reviewLogTableName: "r-log",
      dataKeyArn: "d",
      vaultKeyArn: "v",
      registryFile: productionRegistryFile,
      gpuClusterArn: "c",
      workerPools: "{}",
    });
    const states = collectTaskStates(production.definition).filter(([, s]) => s.Resource === "arn:aws:states:::lambda:invoke");
    assert.ok(states.length >= 11);
    // One table: every deployed function, pipeline or not, takes its timeout from lambdaTimeoutSeconds.
    const timeouts = lambdaTimeoutSeconds(registry);
    assert.deepEqual(Object.keys(table).sort(), Object.keys(timeouts).sort());
    for (const [fn, spec] of Object.entries(table)) assert.equal(spec.timeoutSeconds, timeouts[fn as keyof typeof timeouts], fn);
    for (const [name, state] of states) {
      const arn = (state.Parameters as { FunctionName: string }).FunctionName;
      const fn = (Object.keys(functionArns) as LambdaFunction[]).find((f) => functionArns[f] === arn)!;
      assert.ok(table[fn].timeoutSeconds <= 900, `${fn}: Lambda's 900 s ceiling`);
      assert.ok(
        Number(state.TimeoutSeconds) > table[fn].timeoutSeconds,
        `${name}: state ${state.TimeoutSeconds} s vs function ${table[fn].timeoutSeconds} s`,
      );
    }
    // The longest path (workflows/definition.ts) over the definition's own TimeoutSeconds:
    // each GPU stage runs through Admit and Acquire to its timeout and then its fallback to its
    // own; judges in parallel; judges, CheckPlaceholders, Score and the rewrite again for each rewrite round.
    const t = new Map(collectTaskStates(production.definition).map(([n, st]) => [n, Number(st.TimeoutSeconds)]));
    const budget = longestPathSeconds(registry.pipeline.maxRewrites, (state) => {
      assert.ok(t.has(state), `${state}: a Task state of the definition`);
      return t.get(state)!;
    });
    assert.ok(
      production.definition.TimeoutSeconds >= budget,
      `execution ${production.definition.TimeoutSeconds} s below the ${budget} s of its states`,
    );
  });

  // The dev stage in its own mock stack: the same program with removal "remove".
  useStack("dev");
  await deploy({ accountId: account, region, stage: "dev", retain: false });
  const dev = recorded.filter((r) => r.state.stack === "dev");

  test("production retains its data on removal; dev removes everything", () => {
    const dataTypes = ["aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:dynamodb/table:Table", "aws:cloudwatch/logGroup:LogGroup"];
    for (const [stackName, resources, retained] of [
      ["production", prod, true],
      ["dev", dev, false],
    ] as const) {
      const data = resources.filter((r) => dataTypes.includes(r.type));
      assert.equal(data.length, 8, `${stackName}: the bucket, two keys, the routing, review and review log tables, two log groups`);
      for (const r of data)
        assert.equal(retainOnDelete.get(`${stackName}/${r.type}/${r.name}`), retained, `${stackName}: ${r.name} retainOnDelete`);
      const bucket = resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
      assert.equal(bucket.inputs.forceDestroy, !retained);
    }
  });
}

function resolve<T>(output: Output<T>): Promise<T> {
  return new Promise((r) => output.apply((v) => r(v)));
}

const platform = path.join(root, ".sst", "platform");
const present = existsSync(path.join(platform, "node_modules", "@pulumi", "pulumi"));
if (!present && process.env.CI) {
  test("infrastructure tests need .sst/platform (run: npm run sst:install)", () => {
    assert.fail("CI is set and .sst/platform/node_modules/@pulumi/pulumi is absent: run `npm run sst:install` before `npm test`");
  });
} else if (!present) {
  test("infrastructure tests", {
    skip: ".sst/platform is absent, so the Pulumi-mock tests cannot run here (run: npm run sst:install)",
  }, () => {});
} else {
  await infraTests();
}
