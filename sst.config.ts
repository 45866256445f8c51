/// <reference path="./.sst/platform/config.d.ts" />

/**
 * The deployed Affiant. This file deploys the same state-machine JSON the local engine
 * runs (workflows/definition.ts), with real ARNs substituted. What is here today: the
 * encrypted bucket and vault key, the Lambda functions and the state machine with logging
 * that excludes execution data. The GPU side (ECS cluster on g5 capacity, task definitions,
 * VPC endpoints), the API and the backfill schedule are issue #8.
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
    const { buildDefinition } = await import("./workflows/definition.ts");
    const { loadRegistry } = await import("./workflows/registry.ts");
    const { lambdaFunctions, gpuStages } = await import("./workflows/state-names.ts");

    const vaultKey = new aws.kms.Key("VaultKey", { description: "Affiant PII vault and case documents", enableKeyRotation: true });
    const bucket = new sst.aws.Bucket("Cases", {
      transform: {
        bucket: (args: aws.s3.BucketArgs) => {
          args.serverSideEncryptionConfiguration = {
            rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: vaultKey.arn }, bucketKeyEnabled: true },
          };
          return undefined;
        },
      },
    });

    const handlers: Record<string, string> = {
      [lambdaFunctions.extract]: "functions/extract-documents.handler",
      [lambdaFunctions.redact]: "functions/redact-pii.handler",
      [lambdaFunctions.index]: "functions/build-index.handler",
      [lambdaFunctions.score]: "functions/score-draft.handler",
      [lambdaFunctions.reinject]: "functions/reinject-pii.handler",
      [lambdaFunctions.fallback]: "functions/generate-fallback.handler",
    };
    const functions = Object.fromEntries(
      Object.entries(handlers).map(([name, handler]) => [
        name,
        new sst.aws.Function(`Fn${name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`, {
          handler,
          runtime: "nodejs22.x",
          timeout: "900 seconds",
          memory: "2048 MB",
          link: [bucket],
          environment: { AFFIANT_BUCKET: bucket.name, AFFIANT_KMS_KEY_ID: vaultKey.id },
        }),
      ]),
    );

    const logGroup = new aws.cloudwatch.LogGroup("StateMachineLogs", { retentionInDays: 30, kmsKeyId: vaultKey.arn });
    const role = new aws.iam.Role("StateMachineRole", {
      assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "states.amazonaws.com" }),
    });
    new aws.iam.RolePolicy("StateMachineInvoke", {
      role: role.id,
      policy: $jsonStringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: Object.values(functions).map((f) => f.arn) },
          { Effect: "Allow", Action: ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"], Resource: "*" },
          { Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
        ],
      }),
    });

    const registry = loadRegistry();
    const functionArns = $util.all(Object.entries(functions).map(([name, f]) => f.arn.apply((arn: string) => [name, arn] as const)));
    const definition = functionArns.apply((pairs) => {
      const arns = Object.fromEntries(pairs);
      return JSON.stringify(
        buildDefinition({
          registry,
          resources: {
            functionArn: (fn) => arns[fn]!,
            // Placeholders until the GPU cluster lands (issue #8); the shape is final.
            clusterArn: `arn:aws:ecs:${aws.config.region}:000000000000:cluster/affiant-gpu`,
            taskDefinitionArn: (stage) => `arn:aws:ecs:${aws.config.region}:000000000000:task-definition/affiant-${stage}`,
            capacityProvider: "affiant-g5",
            subnets: [],
            securityGroups: [],
            containerName: "llama-worker",
          },
        }),
      );
    });

    const stateMachine = new aws.sfn.StateMachine("Pipeline", {
      roleArn: role.arn,
      definition,
      // ERROR level and no execution data: inputs and outputs are case material.
      loggingConfiguration: { level: "ERROR", includeExecutionData: false, logDestination: $interpolate`${logGroup.arn}:*` },
      tracingConfiguration: { enabled: true },
    });

    return { bucket: bucket.name, stateMachine: stateMachine.arn, gpuStages: gpuStages.join(",") };
  },
});
