/**
 * The GPU side: an ECS cluster whose only capacity is an Auto Scaling group of g5 instances
 * (ECS GPU-optimised AMI) behind a capacity provider with managed scaling from 0, so an idle
 * deployment holds no GPU. One task definition per registry model, each asking for one GPU;
 * the acquire Lambda starts them (RunTask, `startedBy` naming the model) and they stay warm:
 * each model has a Step Functions activity (its GPU stages' generate states) and an SQS ready
 * queue (its Acquire states' task tokens). The image is pinned by
 * digest and its ECR repository lives outside the stack, so it can be pushed before the first
 * deploy (README, Deploy to AWS). SST's Service/Task are
 * Fargate or Managed Instances only, hence raw resources.
 */

import path from "node:path";
import { type Registry, stageEntry } from "../core/registry.ts";
import { type GpuStage, gpuStages, workerContainerName } from "../core/state-names.ts";
import { activityName } from "../workflows/definition.ts";
import type { Cloud, Input, Output, Place } from "./cloud.ts";
import { policyDocument } from "./cloud.ts";
import { bucketPermissions, routingTablePermissions } from "./permissions.ts";
import { modelsPrefix } from "./storage.ts";

/** The ECS GPU-optimised Amazon Linux 2023 AMI, resolved by EC2 at each launch. */
export const gpuAmiParameter = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id";
/** AWS's managed policy for the SSM agent (Session Manager); the instance role carries it. */
export const sessionManagerPolicyArn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
/** Where the instances keep the GGUF files their workers fetch from the bucket (each its own model). */
export const hostModelsDir = "/opt/affiant/models";
/** The worker image's user (containers/llama-worker/Dockerfile `useradd --uid`), owner of hostModelsDir. */
export const workerUid = 10001;

export interface GpuOptions {
  place: Place;
  registry: Registry;
  subnetIds: Input<string>[];
  securityGroupId: Input<string>;
  bucket: { name: Input<string>; arn: Input<string> };
  dataKeyArn: Input<string>;
  routingTable: { name: Input<string>; arn: Input<string> };
  /**
   * The worker image by digest (`<repository>@sha256:<64 hex>`). A tag would let a warm host
   * (ECS_IMAGE_PULL_BEHAVIOR=prefer-cached) keep running the image it pulled first.
   */
  image: string;
  /** Default: the instance type of the stage models' host class when it is a g instance, else "g5.xlarge". */
  instanceType?: string;
  /** Most GPU instances at once; the three judges run in parallel. Default: 6. */
  maxInstances?: number;
  /**
   * Instances kept running when idle. A GPU state's HeartbeatSeconds starts counting when the
   * task is placed, so a stage that waits for a cold instance misses its first heartbeat and
   * goes to its fallback; keep some warm where that matters more than idle cost. Default: 0.
   */
  minInstances?: number;
  /** Task CPU units; fits a g5.xlarge (4 vCPU) with room for the ECS agent. Default: 3584. */
  taskCpu?: number;
  /** Task memory; fits a g5.xlarge (16 GiB) with room for the ECS agent. Default: 14336. */
  taskMemoryMiB?: number;
  /** Default: 90. */
  logRetentionDays?: number;
}

export interface GpuCluster {
  clusterArn: Output<string>;
  capacityProviderName: Output<string>;
  /** The task definition of the stage's registry model. */
  taskDefinitionArn: (stage: GpuStage) => Output<string>;
  /** Every task definition, by registry model id. */
  taskDefinitions: Record<string, { arn: Output<string>; family: Output<string> }>;
  /** Roles the acquire Lambda must be allowed to pass when it starts a task. */
  passRoleArns: Output<string>[];
  /** Per registry model: its activity (generate states) and its ready queue (Acquire tokens). */
  workerPools: Record<string, { activityArn: Output<string>; queueArn: Output<string>; queueUrl: Output<string> }>;
  logGroupName: Output<string>;
}

export function buildGpuCluster(cloud: Cloud, options: GpuOptions): GpuCluster {
  const { aws, pulumi } = cloud;
  const { place, registry } = options;
  const keep = { retainOnDelete: place.retain };
  const prefix = `affiant-${place.stage}`;
  const stageModels = [...new Set(gpuStages.map((s) => stageEntry(registry, s).model))];
  const hostClass = registry.hostClasses[registry.models[stageModels[0]!]!.hostClass];
  const instanceType = options.instanceType ?? (hostClass?.instanceType.startsWith("g") ? hostClass.instanceType : "g5.xlarge");
  const maxInstances = options.maxInstances ?? 6;

  const image = workerImageByDigest(options.image);
  const logGroup = new aws.cloudwatch.LogGroup(
    "WorkerLogs",
    { name: `/affiant/${place.stage}/llama-worker`, retentionInDays: options.logRetentionDays ?? 90, kmsKeyId: options.dataKeyArn },
    keep,
  );
  const cluster = new aws.ecs.Cluster("GpuCluster", { name: `${prefix}-gpu`, settings: [{ name: "containerInsights", value: "enabled" }] });

  // The instances: ECS agent, GPU support, task roles kept away from the instance's own credentials.
  const instanceRole = new aws.iam.Role("GpuInstanceRole", {
    assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ec2.amazonaws.com" }),
    managedPolicyArns: [
      "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
      // Session Manager: `aws ssm start-session --target <instance>` opens a shell on a stuck
      // instance through the ssm, ssmmessages and ec2messages endpoints (infra/network.ts).
      sessionManagerPolicyArn,
    ],
  });
  const profile = new aws.iam.InstanceProfile("GpuInstanceProfile", { role: instanceRole.name });
  const userData = pulumi.interpolate`#!/bin/bash
set -euo pipefail
cat >> /etc/ecs/ecs.config <<'CONFIG'
ECS_CLUSTER=${cluster.name}
ECS_ENABLE_GPU_SUPPORT=true
ECS_AWSVPC_BLOCK_IMDS=true
ECS_IMAGE_PULL_BEHAVIOR=prefer-cached
CONFIG
# Each worker fetches its own model here with the SDK (containers/llama-worker/model-fetch.ts),
# as the image's user; the next task of that model on this instance finds it.
mkdir -p ${hostModelsDir}
chown ${workerUid}:${workerUid} ${hostModelsDir}
chmod 0700 ${hostModelsDir}
`;
  const launchTemplate = new aws.ec2.LaunchTemplate("GpuLaunchTemplate", {
    namePrefix: `${prefix}-g5-`,
    imageId: `resolve:ssm:${gpuAmiParameter}`,
    instanceType,
    iamInstanceProfile: { arn: profile.arn },
    vpcSecurityGroupIds: [options.securityGroupId],
    userData: userData.apply((s) => Buffer.from(s).toString("base64")),
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" },
    blockDeviceMappings: [
      {
        deviceName: "/dev/xvda",
        ebs: { volumeSize: 150, volumeType: "gp3", throughput: 500, iops: 6000, encrypted: "true", deleteOnTermination: "true" },
      },
    ],
    monitoring: { enabled: true },
  });
  const asg = new aws.autoscaling.Group(
    "GpuInstances",
    {
      namePrefix: `${prefix}-g5-`,
      minSize: options.minInstances ?? 0,
      maxSize: maxInstances,
      vpcZoneIdentifiers: options.subnetIds,
      launchTemplate: { id: launchTemplate.id, version: "$Latest" },
      // ECS managed termination protection: never scale in an instance that runs a stage.
      protectFromScaleIn: true,
      healthCheckType: "EC2",
      tags: [{ key: "AmazonECSManaged", value: "true", propagateAtLaunch: true }],
    },
    // ECS managed scaling owns the desired count.
    { ignoreChanges: ["desiredCapacity"] },
  );
  const capacityProvider = new aws.ecs.CapacityProvider("GpuCapacity", {
    name: `${prefix}-g5`,
    autoScalingGroupProvider: {
      autoScalingGroupArn: asg.arn,
      managedTerminationProtection: "ENABLED",
      managedDraining: "ENABLED",
      managedScaling: {
        status: "ENABLED",
        targetCapacity: 100,
        minimumScalingStepSize: 1,
        maximumScalingStepSize: maxInstances,
        instanceWarmupPeriod: 180,
      },
    },
  });
  new aws.ecs.ClusterCapacityProviders("GpuClusterCapacity", {
    clusterName: cluster.name,
    capacityProviders: [capacityProvider.name],
    defaultCapacityProviderStrategies: [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }],
  });

  // The tasks: pull and log with the execution role; read/write blobs, answer Step Functions
  // and record routing outcomes with the task role.
  const executionRole = new aws.iam.Role("WorkerExecutionRole", {
    assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ecs-tasks.amazonaws.com" }),
    managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"],
  });
  // One task role per model: a worker may poll only its own model's activity and queue.
  const workerPools: GpuCluster["workerPools"] = {};
  const taskRoles: Record<string, { arn: Output<string> }> = {};
  for (const modelId of stageModels) {
    const activity = new aws.sfn.Activity(`Activity${pascal(modelId)}`, {
      name: `${prefix}-${activityName(modelId).slice("affiant-".length)}`.slice(0, 80),
    });
    // Visible to one worker at a time; kept no longer than an Acquire waits for it.
    const queue = new aws.sqs.Queue(`Ready${pascal(modelId)}`, {
      name: `${prefix}-ready-${modelId.replace(/[^A-Za-z0-9_-]/g, "-")}`.slice(0, 80),
      messageRetentionSeconds: Math.max(60, registry.workers.acquireSeconds),
      visibilityTimeoutSeconds: 30,
      receiveWaitTimeSeconds: 20,
      sqsManagedSseEnabled: true,
    });
    workerPools[modelId] = { activityArn: activity.arn, queueArn: queue.arn, queueUrl: queue.url };
    const role = new aws.iam.Role(`WorkerTaskRole${pascal(modelId)}`, {
      assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ecs-tasks.amazonaws.com" }),
    });
    new aws.iam.RolePolicy(`WorkerTaskPolicy${pascal(modelId)}`, {
      role: role.id,
      policy: policyDocument(cloud, [
        ...bucketPermissions(cloud, options.bucket.arn, options.dataKeyArn, place.region),
        ...routingTablePermissions(options.routingTable.arn),
        { actions: ["states:GetActivityTask"], resources: [activity.arn] },
        // Callback actions are authorised by the task token (the Acquire's or the activity's).
        { actions: ["states:SendTaskHeartbeat", "states:SendTaskSuccess", "states:SendTaskFailure"], resources: ["*"] },
        { actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage"], resources: [queue.arn] },
        // Its own model's file, which it fetches before loading (containers/llama-worker/model-fetch.ts): no other model, nothing else under models/.
        {
          actions: ["s3:GetObject"],
          resources: [pulumi.interpolate`${options.bucket.arn}/${modelsPrefix}${path.basename(registry.models[modelId]!.file)}`],
        },
        // A warm worker tags its own task with the stage it holds (containers/llama-worker/task-tags.ts): tasks of this cluster only.
        {
          actions: ["ecs:TagResource", "ecs:UntagResource"],
          resources: [cluster.arn.apply((arn) => `${arn.replace(":cluster/", ":task/")}/*`)],
        },
      ]),
    });
    taskRoles[modelId] = role;
  }

  const taskDefinitions: GpuCluster["taskDefinitions"] = {};
  for (const modelId of stageModels) {
    const family = `${prefix}-${modelId.replace(/[^A-Za-z0-9_-]/g, "-")}`.slice(0, 255);
    const def = new aws.ecs.TaskDefinition(`Worker${pascal(modelId)}`, {
      family,
      requiresCompatibilities: ["EC2"],
      networkMode: "awsvpc",
      cpu: String(options.taskCpu ?? 3584),
      memory: String(options.taskMemoryMiB ?? 14336),
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRoles[modelId]!.arn,
      volumes: [{ name: "models", hostPath: hostModelsDir }],
      containerDefinitions: pulumi.jsonStringify([
        {
          name: workerContainerName,
          image,
          essential: true,
          resourceRequirements: [{ type: "GPU", value: "1" }],
          environment: [
            { name: "AFFIANT_BUCKET", value: options.bucket.name },
            { name: "AFFIANT_BUCKET_KMS_KEY_ID", value: options.dataKeyArn },
            { name: "AFFIANT_ROUTING_TABLE", value: options.routingTable.name },
            { name: "AFFIANT_GPU", value: "cuda" },
            { name: "AFFIANT_MODELS_DIR", value: "/models" },
            // Only this model's file, fetched by the worker itself (resumable, verified).
            { name: "AFFIANT_MODEL_SOURCE", value: pulumi.interpolate`s3://${options.bucket.name}/${modelsPrefix}` },
            { name: "AWS_REGION", value: place.region },
            // A warm model worker of this model (containers/llama-worker/warm-model.ts).
            { name: "AFFIANT_PRELOAD_MODEL", value: modelId },
            { name: "AFFIANT_ACTIVITY_ARN", value: workerPools[modelId]!.activityArn },
            { name: "AFFIANT_READY_QUEUE_URL", value: workerPools[modelId]!.queueUrl },
            { name: "AFFIANT_WARM_MAX_TASKS", value: String(registry.workers.maxTasks) },
            { name: "AFFIANT_WARM_IDLE_SECONDS", value: String(registry.workers.idleSeconds) },
            { name: "AFFIANT_WARM_MAX_RSS_GROWTH_MB", value: String(registry.workers.maxRssGrowthMb) },
          ],
          mountPoints: [{ sourceVolume: "models", containerPath: "/models", readOnly: false }],
          linuxParameters: { initProcessEnabled: true },
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": logGroup.name, "awslogs-region": place.region, "awslogs-stream-prefix": modelId },
          },
        },
      ]),
    });
    taskDefinitions[modelId] = { arn: def.arn, family: def.family };
  }

  return {
    clusterArn: cluster.arn,
    capacityProviderName: capacityProvider.name,
    taskDefinitionArn: (stage) => taskDefinitions[stageEntry(registry, stage).model]!.arn,
    taskDefinitions,
    passRoleArns: [executionRole.arn, ...Object.values(taskRoles).map((r) => r.arn)],
    workerPools,
    logGroupName: logGroup.name,
  };
}

/** The image reference, refused unless it is pinned by digest. */
export function workerImageByDigest(image: string | undefined): string {
  if (!image) {
    throw new Error(
      "AFFIANT_WORKER_IMAGE is not set: push the worker image and deploy with AFFIANT_WORKER_IMAGE=<repository>@sha256:<digest> (README, Deploy to AWS)",
    );
  }
  if (!/^[^\s@]+@sha256:[0-9a-f]{64}$/.test(image)) {
    throw new Error(
      `AFFIANT_WORKER_IMAGE must name the worker image by digest (<repository>@sha256:<64 hex>), got ${image}: a tag such as :latest lets warm hosts keep an older image`,
    );
  }
  return image;
}

const pascal = (s: string) =>
  s.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, "");
