/// <reference path=".sst/platform/config.d.ts" />

/**
 * The deployed Affiant (README, "Deploy to AWS"). The raw resources (bucket and keys, VPC and
 * endpoints, the g5 ECS cluster, the state machine) are built by `infra/*.ts`, which the
 * Pulumi-mock test drives too; what needs SST's runtime (Lambda bundling, API Gateway,
 * Cron, Secret) is wired here. The state machine is exactly `workflows/definition.ts`'s JSON.
 *
 * Environment at deploy time: AFFIANT_WORKER_IMAGE (required: the worker image by digest,
 * `<repository>@sha256:…`), AFFIANT_GPU_MAX_INSTANCES (default 6), AFFIANT_GPU_MIN_INSTANCES
 * (default 0: no GPU at idle), AFFIANT_AZ_COUNT (default 2), AFFIANT_REGISTRY (the model
 * registry to deploy; default models/registry.g5.json, which the worker image carries too).
 * The function table (handlers, timeouts, environment, files) is infra/functions.ts, which the
 * rehearsal (`npm run rehearse`) bundles and runs.
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
    const { loadRegistry } = await import("./core/registry.ts");
    const { config } = await import("./core/config.ts");
    const env = config();
    const { lambdaFunctions } = await import("./core/state-names.ts");
    const { buildPlatform } = await import("./infra/platform.ts");
    const { workerImageByDigest } = await import("./infra/gpu.ts");
    const { functionPermissions } = await import("./infra/permissions.ts");
    const { functionTable } = await import("./infra/functions.ts");
    const { apiAccessPolicies, apiRoutes } = await import("./infra/api-access.ts");
    const { providerSecrets } = await import("./core/providers/index.ts");
    const { productionRegistryFile, productionRegistryProblems } = await import("./infra/production.ts");
    type DeployedFunction = import("./infra/permissions.ts").DeployedFunction;
    type LambdaFunction = import("./core/state-names.ts").LambdaFunction;

    const cloud = { aws, pulumi: $util };
    const place = {
      accountId: aws.getCallerIdentityOutput({}).accountId,
      region: aws.getRegionOutput({}).region,
      stage: $app.stage,
      retain: $app.removal !== "remove",
    };
    // Every AWS stage deploys the production profile unless AFFIANT_REGISTRY names another;
    // stage production refuses one whose GPU stages could not run there.
    const registry = loadRegistry(env.AFFIANT_REGISTRY ?? productionRegistryFile);
    const problems = productionRegistryProblems(registry);
    if ($app.stage === "production" && problems.length) {
      throw new Error(`stage production refuses registry ${registry.source}:\n- ${problems.join("\n- ")}`);
    }

    const {
      storage,
      network,
      gpu,
      pipeline: buildStateMachine,
      reaper,
      workerPools,
    } = buildPlatform(cloud, {
      place,
      registry,
      azCount: env.AFFIANT_AZ_COUNT ?? 2,
      gpu: {
        image: workerImageByDigest(env.AFFIANT_WORKER_IMAGE),
        maxInstances: env.AFFIANT_GPU_MAX_INSTANCES ?? 6,
        minInstances: env.AFFIANT_GPU_MIN_INSTANCES ?? 0,
      },
    });

    // Each provider's secrets (core/providers/), with a placeholder, so `sst deploy` works before
    // `sst secret set`; the provider treats it as no key. Linked, so the value reaches the
    // handler encrypted (Resource), not as plain env.
    const linkable: Record<string, sst.Secret> = Object.fromEntries(
      providerSecrets().map((secret) => [secret.name, new sst.Secret(secret.name, secret.placeholder)]),
    );
    const targets = {
      region: place.region,
      accountId: place.accountId,
      bucketArn: storage.bucket.arn,
      dataKeyArn: storage.dataKey.arn,
      vaultKeyArn: storage.vaultKey.arn,
      routingTableArn: storage.routingTable.arn,
      reviewTableArn: storage.reviewTable.arn,
      reviewLogTableArn: storage.reviewLogTable.arn,
      gpuClusterArn: gpu.clusterArn,
      registry,
      workerPools: workerPools.permissions,
    };
    const table = functionTable(registry, {
      bucketName: storage.bucket.bucket,
      routingTableName: storage.routingTable.name,
      reviewTableName: storage.reviewTable.name,
      reviewLogTableName: storage.reviewLogTable.name,
      dataKeyArn: storage.dataKey.arn,
      vaultKeyArn: storage.vaultKey.arn,
      registryFile: relative(process.cwd(), registry.source),
      gpuClusterArn: gpu.clusterArn,
      workerPools: workerPools.json,
    });
    // The Lambdas that read case text stay inside the VPC; the fallback reaches OpenRouter
    // (redacted prompts only, checked by the privacy guard), so it runs outside it.
    const inVpc = { privateSubnets: network.privateSubnetIds, securityGroups: [network.lambdaSecurityGroupId] };
    const pascal = (s: string) => s.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
    const makeFunction = (name: DeployedFunction, stateMachineArn?: $util.Input<string>) => {
      const spec = table[name];
      return new sst.aws.Function(`Fn${pascal(name)}`, {
        handler: spec.handler,
        runtime: "nodejs22.x",
        architecture: "x86_64",
        timeout: `${spec.timeoutSeconds} seconds`,
        memory: `${spec.memoryMB} MB`,
        environment: { ...spec.environment, ...(stateMachineArn ? { AFFIANT_STATE_MACHINE_ARN: stateMachineArn } : {}) },
        permissions: functionPermissions(cloud, name, { ...targets, ...(stateMachineArn ? { stateMachineArn } : {}) }),
        link: (spec.link ?? []).map((n) => linkable[n]!),
        copyFiles: spec.copyFiles,
        // No esbuild `external` for node-llama-cpp: the source never imports it literally on a
        // Lambda path (functions/embeddings/open.ts), and `npm run rehearse` bundles without it.
        ...(spec.install ? { nodejs: { install: spec.install } } : {}),
        ...(spec.vpc ? { vpc: inVpc } : {}),
        tracing: "active",
      });
    };
    const functions = Object.fromEntries(Object.values(lambdaFunctions).map((name) => [name, makeFunction(name)])) as Record<
      LambdaFunction,
      sst.aws.Function
    >;

    const pipeline = buildStateMachine(
      Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.arn])) as Record<LambdaFunction, $util.Output<string>>,
    );

    // The API (IAM-signed requests only) and the nightly backfill start executions.
    const api = makeFunction("api", pipeline.stateMachineArn);
    const gateway = new sst.aws.ApiGatewayV2("Api", { accessLog: { retention: "3 months" } });
    // The review decision on a route of its own: who may approve is a policy apart from who may read.
    gateway.route(apiRoutes.review, api.arn, { auth: { iam: true } });
    gateway.route(apiRoutes.other, api.arn, { auth: { iam: true } });
    const apiArn = $interpolate`arn:aws:execute-api:${place.region}:${place.accountId}:${gateway.nodes.api.id}`;
    const access = apiArn.apply((arn) => apiAccessPolicies(arn));
    for (const [name, description] of [
      ["readers", "Affiant API: read executions, declarations and review documents"],
      ["operators", "Affiant API: upload case files and start executions"],
      ["reviewers", "Affiant API: decide reviews (approve, changes); the caller is recorded as the reviewer"],
    ] as const)
      new aws.iam.Policy(`Api${name.charAt(0).toUpperCase()}${name.slice(1)}`, {
        description,
        policy: access.apply((p) => JSON.stringify(p[name])),
      });
    const backfill = makeFunction("backfill", pipeline.stateMachineArn);
    new sst.aws.Cron("Backfill", { function: backfill.arn, schedule: "cron(0 6 * * ? *)" });
    // Nothing outside a worker stopped an ECS task before (infra/reaper.ts).
    const sweeper = makeFunction("gpu-sweeper");
    reaper({ sweeper: { arn: sweeper.arn, name: sweeper.name } });

    return {
      bucket: storage.bucket.bucket,
      stateMachine: pipeline.stateMachineArn,
      api: gateway.url,
      cluster: gpu.clusterArn,
    };
  },
});
