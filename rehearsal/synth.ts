/**
 * The stack as `sst deploy` would create it, synthesized under Pulumi mocks: infra/platform.ts
 * (the raw resources) plus sst.config.ts's function table (infra/functions.ts), with each
 * function's role policy rendered the way SST 4 renders it: SST's own `permissions` →
 * statement mapping (read from the installed component source and run, not retyped), then
 * `aws.iam.getPolicyDocumentOutput`, whose provider-side rendering the mock does as the
 * Terraform data source does (single values as strings, conditions as operator → key → values).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Registry } from "../core/registry.ts";
import { type LambdaFunction, lambdaFunctions } from "../core/state-names.ts";
import type { Cloud, Output, Permission } from "../infra/cloud.ts";
import type { FunctionSpec } from "../infra/functions.ts";
import type { DeployedFunction } from "../infra/permissions.ts";
import type { AslDefinition } from "../workflows/definition.ts";

export const account = "123456789012";
export const region = "us-east-1";
export const stage = "production";
export const workerImage = `${account}.dkr.ecr.${region}.amazonaws.com/affiant-llama-worker@sha256:${"5e".repeat(32)}`;

export interface Resource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  state: Record<string, any>;
}

export type PolicyDocument = { Version: string; Statement: Array<Record<string, any>> };

export interface Synthesized {
  resources: Resource[];
  definition: AslDefinition;
  registry: Registry;
  table: Record<DeployedFunction, FunctionSpec>;
  functionArns: Record<DeployedFunction, string>;
  /** Each function's role, with the inline policy SST would attach. */
  functionRoles: Record<DeployedFunction, { arn: string; policy: PolicyDocument }>;
  bucket: { name: string; arn: string; policy: PolicyDocument };
  keys: { data: { arn: string; policy: PolicyDocument }; vault: { arn: string; policy: PolicyDocument } };
  routingTable: { name: string; arn: string };
  reviewTable: { name: string; arn: string };
  reviewLogTable: { name: string; arn: string };
  stateMachine: { arn: string; roleArn: string; policy: PolicyDocument };
  worker: {
    taskRoleArn: string;
    taskPolicy: PolicyDocument;
    instanceRoleArn: string;
    taskDefinitions: Resource[];
  };
}

/** A KMS key created without a policy gets AWS's default: the account may use it through IAM. */
const defaultKeyPolicy = (): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Enable IAM User Permissions",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
});

/**
 * SST 4.17.1's mapping from `permissions` items to policy statements, taken from
 * `.sst/platform/src/components/aws/function.ts` (createRole) and evaluated as written.
 */
export function sstStatementMapping(platform: string): (item: Record<string, unknown>) => Record<string, unknown> {
  const source = readFileSync(path.join(platform, "src/components/aws/function.ts"), "utf8");
  const match = /\]\.map\(\(item\) => \(\{([\s\S]*?)\}\)\),\s*\}\),\s*\);\s*return new iam\.Role/.exec(source);
  if (!match)
    throw new Error("SST's createRole no longer maps permissions as the rehearsal expects: read function.ts and update rehearsal/synth.ts");
  return new Function("item", `return ({${match[1]}});`) as (item: Record<string, unknown>) => Record<string, unknown>;
}

/** What the AWS provider's getPolicyDocument returns for SST's statements. */
function renderPolicyDocument(inputs: Record<string, any>): { json: string } {
  const one = (v: unknown[]) => (v.length === 1 ? v[0] : v);
  const statements = (inputs.statements ?? []).map((s: Record<string, any>) => {
    const out: Record<string, unknown> = { Effect: s.effect ?? "Allow" };
    if (s.sid) out.Sid = s.sid;
    if (s.actions) out.Action = one(s.actions);
    if (s.resources) out.Resource = one(s.resources);
    if (s.principals)
      out.Principal = Object.fromEntries(s.principals.map((p: { type: string; identifiers: string[] }) => [p.type, one(p.identifiers)]));
    if (s.conditions?.length) {
      const condition: Record<string, Record<string, unknown>> = {};
      for (const c of s.conditions as Array<{ test: string; variable: string; values: string[] }>)
        (condition[c.test] ??= {})[c.variable] = one(c.values);
      out.Condition = condition;
    }
    return out;
  });
  return { json: JSON.stringify({ Version: "2012-10-17", Statement: statements }) };
}

/**
 * What AWS would answer: ids, names and ARNs shaped like the real ones. Shared with
 * test/unit/infra.test.ts, which synthesizes several stacks (`stack`) side by side.
 */
export function mockOutputs(type: string, name: string, inputs: Record<string, any>, stack: string = stage): Record<string, unknown> {
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
    "aws:sqs/queue:Queue": `arn:aws:sqs:${region}:${account}:${physical}`,
    "aws:sfn/activity:Activity": `arn:aws:states:${region}:${account}:activity:${physical}`,
  };
  return {
    id,
    stack,
    name: physical,
    arn: arns[type] ?? `arn:aws:${service}:${region}:${account}:${name.toLowerCase()}/${id}`,
    ...(type === "aws:s3/bucket:Bucket" ? { bucket: physical } : {}),
    ...(type === "aws:kms/key:Key" ? { keyId: id } : {}),
    ...(type === "aws:sqs/queue:Queue" ? { url: `https://sqs.${region}.amazonaws.com/${account}/${physical}` } : {}),
    ...(type === "aws:ecr/repository:Repository" ? { repositoryUrl: `${account}.dkr.ecr.${region}.amazonaws.com/${physical}` } : {}),
  };
}

function resolve<T>(output: Output<T>): Promise<T> {
  return new Promise((r) => output.apply((v) => r(v)));
}

export async function synthesize(root: string, registryFile: string): Promise<Synthesized> {
  const platform = path.join(root, ".sst", "platform");
  if (!existsSync(path.join(platform, "node_modules", "@pulumi", "pulumi")))
    throw new Error(".sst/platform is absent: run `npm run sst:install` first");
  // From the platform folder, so @pulumi/aws and the mocks share one @pulumi/pulumi.
  const platformRequire = createRequire(path.join(platform, "package.json"));
  const pulumi = platformRequire("@pulumi/pulumi") as Cloud["pulumi"];
  const resources: Resource[] = [];
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state = { ...args.inputs, ...mockOutputs(args.type, args.name, args.inputs) };
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
        return { id: state.id as string, state };
      },
      call(args) {
        if (args.token === "aws:index/getAvailabilityZones:getAvailabilityZones")
          return { names: ["us-east-1a", "us-east-1b", "us-east-1c"], zoneIds: [] };
        if (args.token === "aws:ec2/getManagedPrefixList:getManagedPrefixList")
          return { id: `pl-${String(args.inputs.name).split(".").pop()}` };
        if (args.token === "aws:iam/getPolicyDocument:getPolicyDocument") return renderPolicyDocument(args.inputs);
        return args.inputs;
      },
    },
    "affiant",
    stage,
    false,
  );
  const cloud: Cloud = { aws: platformRequire("@pulumi/aws") as Cloud["aws"], pulumi };
  const { loadRegistry } = await import("../core/registry.ts");
  const { buildPlatform } = await import("../infra/platform.ts");
  const { functionPermissions } = await import("../infra/permissions.ts");
  const { functionTable } = await import("../infra/functions.ts");
  const { lambdaTimeoutSeconds } = await import("../workflows/definition.ts");

  const registry = loadRegistry(path.resolve(root, registryFile));
  const place = { accountId: account, region, stage, retain: true };
  const {
    storage,
    gpu,
    pipeline: buildStateMachine,
    reaper,
    workerPools,
  } = buildPlatform(cloud, { place, registry, gpu: { image: workerImage } });
  const fnName = (fn: DeployedFunction) => `affiant-${stage}-${fn}`;
  const functionArns = Object.fromEntries(
    (Object.keys(lambdaTimeoutSeconds(registry)) as DeployedFunction[]).map((fn) => [
      fn,
      `arn:aws:lambda:${region}:${account}:function:${fnName(fn)}`,
    ]),
  ) as Record<DeployedFunction, string>;
  const pipeline = buildStateMachine(
    Object.fromEntries(Object.values(lambdaFunctions).map((fn) => [fn, functionArns[fn]])) as Record<LambdaFunction, string>,
  );
  reaper({
    sweeper: { arn: functionArns["gpu-sweeper"], name: fnName("gpu-sweeper") },
  });
  const definition = JSON.parse(await resolve(pipeline.definition)) as AslDefinition;
  const stateMachineArn = await resolve(pipeline.stateMachineArn);
  const gpuClusterArn = await resolve(gpu.clusterArn);
  await new Promise((r) => setTimeout(r, 100));

  const keys = { data: await resolve(storage.dataKey.arn), vault: await resolve(storage.vaultKey.arn) };
  const bucketName = await resolve(storage.bucket.bucket);
  const bucketArn = await resolve(storage.bucket.arn);
  const routingTable = { name: await resolve(storage.routingTable.name), arn: await resolve(storage.routingTable.arn) };
  const reviewTable = { name: await resolve(storage.reviewTable.name), arn: await resolve(storage.reviewTable.arn) };
  const reviewLogTable = { name: await resolve(storage.reviewLogTable.name), arn: await resolve(storage.reviewLogTable.arn) };
  const table = functionTable(registry, {
    bucketName,
    routingTableName: routingTable.name,
    reviewTableName: reviewTable.name,
    reviewLogTableName: reviewLogTable.name,
    dataKeyArn: keys.data,
    vaultKeyArn: keys.vault,
    registryFile,
    gpuClusterArn,
    workerPools: await resolve(workerPools.json),
  });

  const mapping = sstStatementMapping(platform);
  const targets = {
    region,
    accountId: account,
    bucketArn,
    dataKeyArn: keys.data,
    vaultKeyArn: keys.vault,
    routingTableArn: routingTable.arn,
    reviewTableArn: reviewTable.arn,
    reviewLogTableArn: reviewLogTable.arn,
    gpuClusterArn,
    registry,
    workerPools: workerPools.permissions,
  };
  const functionRoles = {} as Synthesized["functionRoles"];
  for (const fn of Object.keys(functionArns) as DeployedFunction[]) {
    const permissions = functionPermissions(cloud, fn, { ...targets, ...(table[fn].startsExecutions ? { stateMachineArn } : {}) });
    const statements = (await resolve(pulumi.output(permissions))) as unknown as Permission[];
    const doc = await resolve(
      cloud.aws.iam.getPolicyDocumentOutput({
        statements: statements.map((s) => mapping(s as unknown as Record<string, unknown>)) as never,
      }).json,
    );
    functionRoles[fn] = { arn: `arn:aws:iam::${account}:role/${fnName(fn)}-role`, policy: JSON.parse(doc) as PolicyDocument };
  }

  const one = (type: string, name?: string) => {
    const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) throw new Error(`expected one ${type} ${name ?? ""}, found ${found.length}`);
    return found[0]!;
  };
  const rolePolicy = (name: string) => JSON.parse(one("aws:iam/rolePolicy:RolePolicy", name).inputs.policy) as PolicyDocument;
  const firstTaskDef = resources.find((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")!;
  const firstTaskRole = resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === firstTaskDef.inputs.taskRoleArn)!;
  const dataKey = resources.find((r) => r.type === "aws:kms/key:Key" && r.state.arn === keys.data)!;
  const vaultKey = resources.find((r) => r.type === "aws:kms/key:Key" && r.state.arn === keys.vault)!;
  return {
    resources,
    definition,
    registry,
    table,
    functionArns,
    functionRoles,
    bucket: { name: bucketName, arn: bucketArn, policy: JSON.parse(one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy) },
    keys: {
      data: { arn: keys.data, policy: dataKey.inputs.policy ? JSON.parse(dataKey.inputs.policy) : defaultKeyPolicy() },
      vault: { arn: keys.vault, policy: vaultKey.inputs.policy ? JSON.parse(vaultKey.inputs.policy) : defaultKeyPolicy() },
    },
    routingTable,
    reviewTable,
    reviewLogTable,
    stateMachine: {
      arn: stateMachineArn,
      roleArn: one("aws:iam/role:Role", "StateMachineRole").state.arn,
      policy: rolePolicy("StateMachinePolicy"),
    },
    worker: {
      // The first model's worker role (each model has its own, alike but for its activity and queue).
      taskRoleArn: firstTaskRole.state.arn,
      taskPolicy: JSON.parse(
        resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.inputs.role === firstTaskRole.state.id)!.inputs.policy,
      ) as PolicyDocument,
      instanceRoleArn: one("aws:iam/role:Role", "GpuInstanceRole").state.arn,
      taskDefinitions: resources.filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition"),
    },
  };
}
