/**
 * The state machine: exactly the JSON `workflows/definition.ts` builds (the one the local
 * engine runs), with the deployed ARNs, subnets and security group substituted. A raw
 * `aws.sfn.StateMachine` because SST's own component writes JSONata. Logging is at ERROR
 * and without execution data: inputs and outputs are case material.
 */

import type { Registry } from "../core/registry.ts";
import { type LambdaFunction, lambdaFunctions } from "../core/state-names.ts";
import { buildDefinition } from "../workflows/definition.ts";
import type { Cloud, Input, Output, Place } from "./cloud.ts";
import { policyDocument } from "./cloud.ts";
import type { GpuCluster } from "./gpu.ts";

export interface PipelineOptions {
  place: Place;
  registry: Registry;
  functionArns: Record<LambdaFunction, Input<string>>;
  gpu: Pick<GpuCluster, "workerPools">;
  subnetIds: Input<string>[];
  workerSecurityGroupId: Input<string>;
  /** Encrypts the state machine's log group. */
  logKeyArn: Input<string>;
  /** Default: 90. */
  logRetentionDays?: number;
}

export interface Pipeline {
  stateMachineArn: Output<string>;
  /** The deployed definition JSON, ARNs substituted. */
  definition: Output<string>;
}

/** The definition with deployed resources; resolves once every ARN is known. */
export function deployedDefinition(
  cloud: Cloud,
  options: Omit<PipelineOptions, "place" | "logKeyArn" | "logRetentionDays">,
): Output<string> {
  const { pulumi } = cloud;
  const fns = Object.values(lambdaFunctions);
  const models = Object.keys(options.gpu.workerPools);
  return pulumi
    .all([pulumi.all(fns.map((fn) => options.functionArns[fn])), pulumi.all(models.map((m) => options.gpu.workerPools[m]!.activityArn))])
    .apply(([fnArns, activityArns]) => {
      const byFunction = new Map(fns.map((fn, i) => [fn, fnArns[i]!]));
      const byModel = new Map(models.map((m, i) => [m, activityArns[i]!]));
      const definition = buildDefinition({
        registry: options.registry,
        resources: {
          functionArn: (fn) => byFunction.get(fn)!,
          activityArn: (model) => byModel.get(model)!,
        },
      });
      return JSON.stringify(definition);
    });
}

export function buildPipeline(cloud: Cloud, options: PipelineOptions): Pipeline {
  const { aws, pulumi } = cloud;
  const { place } = options;
  const definition = deployedDefinition(cloud, options);

  const logGroup = new aws.cloudwatch.LogGroup(
    "StateMachineLogs",
    { name: `/aws/vendedlogs/states/affiant-${place.stage}`, retentionInDays: options.logRetentionDays ?? 90, kmsKeyId: options.logKeyArn },
    { retainOnDelete: place.retain },
  );
  const role = new aws.iam.Role("StateMachineRole", {
    assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "states.amazonaws.com" }),
  });
  const functionArns = Object.values(options.functionArns);
  new aws.iam.RolePolicy("StateMachinePolicy", {
    role: role.id,
    policy: policyDocument(cloud, [
      // The Lambdas (the acquire Lambda starts the GPU tasks); the generate states are
      // activities, which the workers poll with their own roles.
      { actions: ["lambda:InvokeFunction"], resources: [...functionArns, ...functionArns.map((arn) => pulumi.interpolate`${arn}:*`)] },
      // Log delivery and X-Ray take no resource-level permissions.
      {
        actions: [
          "logs:CreateLogDelivery",
          "logs:GetLogDelivery",
          "logs:UpdateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:DescribeResourcePolicies",
          "logs:DescribeLogGroups",
        ],
        resources: ["*"],
      },
      {
        actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
        resources: ["*"],
      },
    ]),
  });
  const machine = new aws.sfn.StateMachine("Pipeline", {
    name: `affiant-${place.stage}-pipeline`,
    type: "STANDARD",
    roleArn: role.arn,
    definition,
    loggingConfiguration: { level: "ERROR", includeExecutionData: false, logDestination: pulumi.interpolate`${logGroup.arn}:*` },
    tracingConfiguration: { enabled: true },
  });
  return { stateMachineArn: machine.arn, definition };
}
