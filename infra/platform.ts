/**
 * The composition `sst.config.ts` deploys: storage, network and the GPU cluster wired
 * together, and the state machine over them once the functions exist. The Pulumi-mock test
 * calls this same function, so what it asserts is what is deployed, not a copy of the wiring.
 */

import type { Registry } from "../core/registry.ts";
import type { LambdaFunction } from "../core/state-names.ts";
import type { Cloud, Input, Place } from "./cloud.ts";
import { buildGpuCluster, type GpuOptions } from "./gpu.ts";
import { buildNetwork } from "./network.ts";
import { buildPipeline } from "./pipeline.ts";
import { buildReaper, type ReaperOptions } from "./reaper.ts";
import { buildStorage } from "./storage.ts";

export interface PlatformOptions {
  place: Place;
  registry: Registry;
  /** Default: 2. */
  azCount?: number;
  gpu: Pick<GpuOptions, "image"> & Partial<Pick<GpuOptions, "maxInstances" | "minInstances">>;
}

export function buildPlatform(cloud: Cloud, options: PlatformOptions) {
  const { place, registry } = options;
  const storage = buildStorage(cloud, { place });
  const network = buildNetwork(cloud, { place, ...(options.azCount ? { azCount: options.azCount } : {}) });
  const gpu = buildGpuCluster(cloud, {
    place,
    registry,
    subnetIds: network.privateSubnetIds,
    securityGroupId: network.workerSecurityGroupId,
    bucket: { name: storage.bucket.bucket, arn: storage.bucket.arn },
    dataKeyArn: storage.dataKey.arn,
    routingTable: { name: storage.routingTable.name, arn: storage.routingTable.arn },
    ...options.gpu,
  });
  /** The state machine, once the Lambda functions' ARNs are known. */
  const pipeline = (functionArns: Record<LambdaFunction, Input<string>>) =>
    buildPipeline(cloud, {
      place,
      registry,
      functionArns,
      gpu,
      subnetIds: network.privateSubnetIds,
      workerSecurityGroupId: network.workerSecurityGroupId,
      logKeyArn: storage.dataKey.arn,
    });
  /** The sweeper schedule, once its function exists. */
  const reaper = (functions: Pick<ReaperOptions, "sweeper">) => buildReaper(cloud, { place, clusterArn: gpu.clusterArn, ...functions });
  // What the acquire Lambda needs: its AFFIANT_WORKER_POOLS and the resources of its grants.
  const models = Object.keys(gpu.workerPools);
  const workerPools = {
    json: cloud.pulumi.jsonStringify({
      cluster: gpu.clusterArn,
      capacityProvider: gpu.capacityProviderName,
      subnets: network.privateSubnetIds,
      securityGroups: [network.workerSecurityGroupId],
      models: Object.fromEntries(
        models.map((m) => [m, { taskDefinition: gpu.taskDefinitions[m]!.arn, queueUrl: gpu.workerPools[m]!.queueUrl }]),
      ),
    }),
    permissions: {
      taskFamilyArns: models.map(
        (m) => cloud.pulumi.interpolate`arn:aws:ecs:${place.region}:${place.accountId}:task-definition/${gpu.taskDefinitions[m]!.family}:*`,
      ),
      passRoleArns: gpu.passRoleArns,
      queueArns: models.map((m) => gpu.workerPools[m]!.queueArn),
    },
  };
  return { storage, network, gpu, pipeline, reaper, workerPools };
}
