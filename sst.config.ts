/// <reference path="./.sst/platform/config.d.ts" />

/**
 * The deployed Affiant (DESIGN.md, "Shape"). The raw resources (bucket and keys, VPC and
 * endpoints, the g5 ECS cluster, the state machine) are built by `infra/*.ts`, which the
 * Pulumi-mock test drives too; what needs SST's runtime (Lambda bundling, API Gateway,
 * Cron, Secret) is wired here. The state machine is exactly `workflows/definition.ts`'s JSON.
 *
 * Environment at deploy time: AFFIANT_WORKER_IMAGE (worker image URI; default: the created
 * ECR repository's `:latest`), AFFIANT_GPU_MAX_INSTANCES (default 6), AFFIANT_GPU_MIN_INSTANCES
 * (default 0: no GPU at idle), AFFIANT_AZ_COUNT (default 2), AFFIANT_REGISTRY (the model
 * registry to deploy; default models/registry.json; the worker image carries the one it was built with).
 */
export default $config({
  app(input) {
    return {
      name: "affiant",
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
      home: "aws",
    };
  },
  async run() {
    const { relative } = await import("node:path");
    const { loadRegistry } = await import("./workflows/registry.ts");
    const { lambdaFunctions } = await import("./workflows/state-names.ts");
    const { buildPlatform } = await import("./infra/platform.ts");
    const { functionPermissions } = await import("./infra/permissions.ts");
    type DeployedFunction = import("./infra/permissions.ts").DeployedFunction;
    type LambdaFunction = import("./workflows/state-names.ts").LambdaFunction;

    const cloud = { aws, pulumi: $util };
    const place = {
      accountId: aws.getCallerIdentityOutput({}).accountId,
      region: aws.getRegionOutput({}).region,
      stage: $app.stage,
      retain: $app.removal !== "remove",
    };
    const registry = loadRegistry();

    const { storage, network, gpu, pipeline: buildStateMachine, reaper } = buildPlatform(cloud, {
      place,
      registry,
      azCount: Number(process.env.AFFIANT_AZ_COUNT ?? 2),
      gpu: {
        ...(process.env.AFFIANT_WORKER_IMAGE ? { image: process.env.AFFIANT_WORKER_IMAGE } : {}),
        maxInstances: Number(process.env.AFFIANT_GPU_MAX_INSTANCES ?? 6),
        minInstances: Number(process.env.AFFIANT_GPU_MIN_INSTANCES ?? 0),
      },
    });

    const openRouterKey = new sst.Secret("OpenRouterApiKey");
    const targets = {
      region: place.region,
      accountId: place.accountId,
      bucketArn: storage.bucket.arn,
      dataKeyArn: storage.dataKey.arn,
      vaultKeyArn: storage.vaultKey.arn,
      routingTableArn: storage.routingTable.arn,
      gpuClusterArn: gpu.clusterArn,
      registry,
    };
    const baseEnv = {
      AFFIANT_BUCKET: storage.bucket.bucket,
      AFFIANT_ROUTING_TABLE: storage.routingTable.name,
      // Bundled handlers resolve files from the package root, not from their source folder.
      AFFIANT_REGISTRY: "/var/task/models/registry.json",
      AFFIANT_PROMPTS_DIR: "/var/task/prompts",
      AFFIANT_BUCKET_KMS_KEY_ID: storage.dataKey.arn,
    };
    // Files read at run time that a bundle does not carry.
    const registryFiles = [{ from: relative(process.cwd(), registry.source), to: "models/registry.json" }];
    const promptFiles = [{ from: "prompts", to: "prompts" }];
    // The Lambdas that read case text stay inside the VPC; the fallback reaches OpenRouter
    // (redacted prompts only, checked by the privacy guard), so it runs outside it.
    const inVpc = { privateSubnets: network.privateSubnetIds, securityGroups: [network.lambdaSecurityGroupId] };
    const pipelineFunctions: Record<LambdaFunction, { handler: string; timeout: number; memory: number; vpc: boolean; env?: Record<string, $util.Input<string>>; files: typeof registryFiles; install?: string[]; link?: sst.Secret[] }> = {
      [lambdaFunctions.extract]: { handler: "functions/extract-documents.handler", timeout: 600, memory: 3008, vpc: true, files: registryFiles, install: ["tesseract.js", "@tesseract.js-data/eng", "@tesseract.js-data/spa"] },
      [lambdaFunctions.redact]: { handler: "functions/redact-pii.handler", timeout: 120, memory: 1024, vpc: true, env: { AFFIANT_KMS_KEY_ID: storage.vaultKey.arn }, files: registryFiles },
      [lambdaFunctions.index]: { handler: "functions/build-index.handler", timeout: 300, memory: 2048, vpc: true, files: registryFiles },
      [lambdaFunctions.score]: { handler: "functions/score-draft.handler", timeout: 120, memory: 1024, vpc: true, files: registryFiles },
      [lambdaFunctions.reinject]: { handler: "functions/reinject-pii.handler", timeout: 60, memory: 1024, vpc: true, env: { AFFIANT_KMS_KEY_ID: storage.vaultKey.arn }, files: registryFiles },
      [lambdaFunctions.fallback]: {
        handler: "functions/generate-fallback.handler",
        timeout: 900,
        memory: 2048,
        vpc: false,
        env: { AFFIANT_KMS_KEY_ID: storage.vaultKey.arn, OPENROUTER_API_KEY: openRouterKey.value, AFFIANT_GPU_CLUSTER: gpu.clusterArn },
        files: [...registryFiles, ...promptFiles],
        install: ["better-sqlite3"],
      },
      // Asks the circuit breaker before a GPU task is placed (reads and claims in the routing table).
      [lambdaFunctions.admit]: { handler: "functions/admit-gpu.handler", timeout: 10, memory: 512, vpc: false, files: registryFiles, install: ["better-sqlite3"] },
    };
    const pascal = (s: string) => s.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
    const makeFunction = (name: DeployedFunction, spec: (typeof pipelineFunctions)[LambdaFunction], stateMachineArn?: $util.Input<string>) =>
      new sst.aws.Function(`Fn${pascal(name)}`, {
        handler: spec.handler,
        runtime: "nodejs22.x",
        architecture: "x86_64",
        timeout: `${spec.timeout} seconds`,
        memory: `${spec.memory} MB`,
        environment: { ...baseEnv, ...spec.env, ...(stateMachineArn ? { AFFIANT_STATE_MACHINE_ARN: stateMachineArn } : {}) },
        permissions: functionPermissions(cloud, name, { ...targets, ...(stateMachineArn ? { stateMachineArn } : {}) }),
        copyFiles: spec.files,
        ...(spec.install ? { nodejs: { install: spec.install } } : {}),
        ...(spec.vpc ? { vpc: inVpc } : {}),
        tracing: "active",
      });
    const functions = Object.fromEntries(
      (Object.entries(pipelineFunctions) as Array<[LambdaFunction, (typeof pipelineFunctions)[LambdaFunction]]>).map(([name, spec]) => [name, makeFunction(name, spec)]),
    ) as Record<LambdaFunction, sst.aws.Function>;

    const pipeline = buildStateMachine(
      Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.arn])) as Record<LambdaFunction, $util.Output<string>>,
    );

    // The API (IAM-signed requests only) and the nightly backfill start executions.
    const api = makeFunction("api", { handler: "functions/api.handler", timeout: 30, memory: 1024, vpc: false, files: registryFiles }, pipeline.stateMachineArn);
    const gateway = new sst.aws.ApiGatewayV2("Api", { accessLog: { retention: "3 months" } });
    gateway.route("$default", api.arn, { auth: { iam: true } });
    const backfill = makeFunction("backfill", { handler: "functions/backfill.handler", timeout: 900, memory: 1024, vpc: false, files: registryFiles }, pipeline.stateMachineArn);
    new sst.aws.Cron("Backfill", { function: backfill.arn, schedule: "cron(0 6 * * ? *)" });
    // Nothing outside a worker stopped an ECS task before (infra/reaper.ts).
    const taskStopped = makeFunction("task-stopped", { handler: "functions/gpu-reaper.taskStoppedHandler", timeout: 30, memory: 256, vpc: false, files: registryFiles });
    const sweeper = makeFunction("gpu-sweeper", { handler: "functions/gpu-reaper.sweepHandler", timeout: 60, memory: 256, vpc: false, env: { AFFIANT_GPU_CLUSTER: gpu.clusterArn }, files: registryFiles });
    reaper({ taskStopped: { arn: taskStopped.arn, name: taskStopped.name }, sweeper: { arn: sweeper.arn, name: sweeper.name } });

    return {
      bucket: storage.bucket.bucket,
      stateMachine: pipeline.stateMachineArn,
      api: gateway.url,
      cluster: gpu.clusterArn,
      workerRepository: gpu.repositoryUrl,
    };
  },
});
