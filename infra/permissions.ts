/**
 * What each deployed function may do, in one table, so least privilege is reviewable and
 * tested: only Extract and Redact may create vault data keys; only Redact, Reinject and the
 * privacy guards (the fallback's, and the embedding guard of Index and Score) may open the vault; the bucket's key is usable only through S3; Bedrock only for
 * the registry's model ids.
 */
import type { Cloud, Input, Permission } from "./cloud.ts";
import { splitRef, type Registry } from "../workflows/registry.ts";
import { lambdaFunctions, type LambdaFunction } from "../workflows/state-names.ts";
import { clusterTaskPermissions } from "./reaper.ts";

/** The pipeline's Lambdas plus the API and the scheduled backfill. */
export type DeployedFunction = LambdaFunction | "api" | "backfill" | "task-stopped" | "gpu-sweeper";

/** Index and Score embed with Titan unless the registry names another embedding model. */
export const defaultEmbeddingModel = "amazon.titan-embed-text-v2:0";

export interface PermissionTargets {
  region: Input<string>;
  accountId: Input<string>;
  bucketArn: Input<string>;
  dataKeyArn: Input<string>;
  vaultKeyArn: Input<string>;
  routingTableArn: Input<string>;
  /** The GPU cluster: the fallback stops its primary's task there, the sweeper stops old ones. */
  gpuClusterArn?: Input<string>;
  registry: Registry;
  /** Needed by "api" and "backfill" only. */
  stateMachineArn?: Input<string>;
}

/** SSE-KMS reads and writes: the key is usable only when S3 calls it on the caller's behalf. */
export function kmsViaS3(cloud: Cloud, keyArn: Input<string>, region: Input<string>, actions: string[]): Permission {
  return {
    actions,
    resources: [keyArn],
    conditions: [{ test: "StringEquals", variable: "kms:ViaService", values: [cloud.pulumi.interpolate`s3.${region}.amazonaws.com`] }],
  };
}

/** Object read/write on the bucket (no listing, no deletes, no bucket settings). */
export function bucketPermissions(cloud: Cloud, bucketArn: Input<string>, dataKeyArn: Input<string>, region: Input<string>): Permission[] {
  return [
    { actions: ["s3:GetObject", "s3:PutObject"], resources: [cloud.pulumi.interpolate`${bucketArn}/*`] },
    kmsViaS3(cloud, dataKeyArn, region, ["kms:Decrypt", "kms:GenerateDataKey"]),
  ];
}

/** Listing under one prefix of the bucket (S3BlobStore.list; HeadObject's 404 needs it too). */
export function bucketListing(bucketArn: Input<string>, prefix: string): Permission {
  return { actions: ["s3:ListBucket"], resources: [bucketArn], conditions: [{ test: "StringLike", variable: "s3:prefix", values: [`${prefix}*`] }] };
}

export function routingTablePermissions(tableArn: Input<string>): Permission[] {
  return [{ actions: ["dynamodb:PutItem", "dynamodb:Query"], resources: [tableArn] }];
}

/** Bedrock model ids the registry names: `bedrock:` fallbacks and priced `bedrock:` models. */
export function bedrockModelIds(registry: Registry): { chat: string[]; embedding: string[] } {
  const refs = [...Object.values(registry.stages).flatMap((s) => s.fallback), ...Object.keys(registry.pricing.hosted)];
  const raw = registry as unknown as { embedding?: { model?: string }; embeddings?: { model?: string } };
  const ids = [...new Set(refs.map(splitRef).filter(([p]) => p === "bedrock").map(([, id]) => id))];
  const named = [raw.embedding?.model, raw.embeddings?.model].filter((m): m is string => !!m).map((m) => (m.startsWith("bedrock:") ? splitRef(m)[1] : m));
  const embedding = [...new Set([...ids.filter((id) => id.includes("embed")), ...named])];
  return { chat: ids.filter((id) => !id.includes("embed")), embedding: embedding.length ? embedding : [defaultEmbeddingModel] };
}

/** Foundation-model ARNs, plus the inference profile and its regional models for `us.`/`eu.`… ids. */
export function bedrockModelArns(cloud: Cloud, ids: string[], region: Input<string>, accountId: Input<string>): Input<string>[] {
  return ids.flatMap((id) => {
    const profile = /^(us|eu|apac|global|us-gov)\.(.+)$/.exec(id);
    if (!profile) return [cloud.pulumi.interpolate`arn:aws:bedrock:${region}::foundation-model/${id}`];
    return [cloud.pulumi.interpolate`arn:aws:bedrock:${region}:${accountId}:inference-profile/${id}`, `arn:aws:bedrock:*::foundation-model/${profile[2]}`];
  });
}

export function functionPermissions(cloud: Cloud, fn: DeployedFunction, t: PermissionTargets): Permission[] {
  const blobs = bucketPermissions(cloud, t.bucketArn, t.dataKeyArn, t.region);
  const models = bedrockModelIds(t.registry);
  const invoke = (ids: string[]): Permission[] =>
    ids.length ? [{ actions: ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], resources: bedrockModelArns(cloud, ids, t.region, t.accountId) }] : [];
  const executions = (): Permission[] => {
    if (!t.stateMachineArn) throw new Error(`${fn}: permissions need the state machine ARN`);
    const machine = t.stateMachineArn;
    const executionArns = cloud.pulumi.output(machine).apply((arn) => `${arn.replace(":stateMachine:", ":execution:")}:*`);
    return [
      { actions: ["states:StartExecution", "states:ListExecutions"], resources: [machine] },
      { actions: ["states:DescribeExecution", "states:GetExecutionHistory"], resources: [executionArns] },
    ];
  };
  const clusterTasks = (): Permission[] => (t.gpuClusterArn ? clusterTaskPermissions(t.gpuClusterArn) : []);
  switch (fn) {
    case lambdaFunctions.extract:
      // GenerateDataKey: the extracted (pre-redaction) text is sealed like the vault.
      // ListBucket: the case's documents are found by listing cases/<id>/documents/.
      return [...blobs, bucketListing(t.bucketArn, "cases/"), { actions: ["textract:DetectDocumentText", "textract:AnalyzeDocument"], resources: ["*"] }, { actions: ["kms:GenerateDataKey"], resources: [t.vaultKeyArn] }];
    case lambdaFunctions.redact:
      // Decrypt: only to open the sealed extracted text; GenerateDataKey: to seal the vault.
      return [...blobs, { actions: ["comprehend:DetectPiiEntities"], resources: ["*"] }, { actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [t.vaultKeyArn] }];
    case lambdaFunctions.index:
    case lambdaFunctions.score:
      // Decrypt: the embedding guard (functions/embeddings/guard.ts) reads the vault to refuse
      // any chunk holding a real value before it leaves for Bedrock, as the fallback's does.
      return [...blobs, ...invoke(models.embedding), { actions: ["kms:Decrypt"], resources: [t.vaultKeyArn] }];
    case lambdaFunctions.reinject:
      // ListBucket: the run's cost ledger (runs/<case>/<execution>/costs/) is summed for the report.
      return [...blobs, bucketListing(t.bucketArn, "runs/"), { actions: ["kms:Decrypt"], resources: [t.vaultKeyArn] }];
    case lambdaFunctions.fallback:
      // The privacy guard reads the vault to refuse any prompt holding a real value
      // before it leaves for a hosted model; without Decrypt every hosted fallback fails.
      return [...blobs, ...routingTablePermissions(t.routingTableArn), ...invoke(models.chat), { actions: ["kms:Decrypt"], resources: [t.vaultKeyArn] }, ...clusterTasks()];
    case lambdaFunctions.admit:
      // Reads outcomes and claims the half-open probe; no blobs, no case text.
      return routingTablePermissions(t.routingTableArn);
    case "task-stopped":
      // Authorised by the task token the stopped task carried; no resource-level scope exists.
      return [{ actions: ["states:SendTaskFailure"], resources: ["*"] }];
    case "gpu-sweeper":
      return clusterTasks();
    case "api":
      // A new upload replaces the case's documents: list and delete the old ones.
      return [...blobs, bucketListing(t.bucketArn, "cases/"), { actions: ["s3:DeleteObject"], resources: [cloud.pulumi.interpolate`${t.bucketArn}/cases/*`] }, ...executions()];
    case "backfill":
      return [...blobs, { actions: ["s3:ListBucket"], resources: [t.bucketArn] }, ...executions()];
  }
}
