/**
 * What each deployed function may do, in one table, so least privilege is reviewable and
 * tested. The vault key serves three sealed kinds, each its own encryption-context purpose
 * (functions/redaction/sealed-purposes.ts), and every grant on it names the purposes it
 * needs: Extract seals the pre-redaction text, Redact opens it and seals the vault and the
 * privacy guard's keyed hashes, Reinject opens the vault, and the fallback (outside the VPC,
 * talking to the internet), Index and Score open only the guard's hashes, and read and write
 * only under runs/ plus the guard blob. Real values at rest (Reinject's outputs, the attorney's
 * raw notes, the approved filing copy) live under private/ (core/case-file.ts), which only Reinject, RecordApproval, AttorneyNotes and
 * the API may touch: no other grant reaches it. The bucket's key is usable only through S3. The
 * fallback gets the statements each provider module asks for (core/providers/) for the model
 * ids the registry names for it (Bedrock: only those ids); Index and Score only the
 * registry's embedding model.
 */

import { bedrock, bedrockInvokeStatements, isBedrockEmbeddingModel } from "../core/providers/bedrock.ts";
import { providers } from "../core/providers/index.ts";
import type { ArnTemplate, ProviderModule, ProviderStatement } from "../core/providers/types.ts";
import { type Registry, splitRef } from "../core/registry.ts";
import { type LambdaFunction, lambdaFunctions } from "../core/state-names.ts";
import { type SealedPurpose, sealedPurposes } from "../functions/redaction/sealed-purposes.ts";
import type { OtherLambda } from "../workflows/definition.ts";
import type { Cloud, Input, Permission } from "./cloud.ts";
import { clusterTaskPermissions } from "./reaper.ts";

/** The pipeline's Lambdas plus the API and the scheduled backfill. */
export type DeployedFunction = LambdaFunction | OtherLambda;

/** Index and Score embed with Titan unless the registry names another (`embedding.bedrock.model`). */
export const defaultEmbeddingModel = "amazon.titan-embed-text-v2:0";

export interface PermissionTargets {
  region: Input<string>;
  accountId: Input<string>;
  bucketArn: Input<string>;
  dataKeyArn: Input<string>;
  vaultKeyArn: Input<string>;
  routingTableArn: Input<string>;
  /** AttorneyReview's open gates (task tokens). */
  reviewTableArn: Input<string>;
  /** Decision records and the audit chain: append-only (GetItem, Query, PutItem; never Update or Delete). */
  reviewLogTableArn: Input<string>;
  /** The GPU cluster: the fallback stops its primary's task there, the sweeper stops old ones. */
  gpuClusterArn?: Input<string>;
  registry: Registry;
  /** Needed by "api" and "backfill" only. */
  stateMachineArn?: Input<string>;
  /** The acquire Lambda's: the models' task definition families, the roles it passes, the ready queues. */
  workerPools?: { taskFamilyArns: Input<string>[]; passRoleArns: Input<string>[]; queueArns: Input<string>[] };
}

/** SSE-KMS reads and writes: the key is usable only when S3 calls it on the caller's behalf. */
export function kmsViaS3(cloud: Cloud, keyArn: Input<string>, region: Input<string>, actions: string[]): Permission {
  return {
    actions,
    resources: [keyArn],
    conditions: [{ test: "StringEquals", variable: "kms:ViaService", values: [cloud.pulumi.interpolate`s3.${region}.amazonaws.com`] }],
  };
}

/**
 * The prefixes a case's pipeline shares (core/case-file.ts caseKeys): its documents, its
 * run's placeholder-only blobs, the vault. Not private/ (real values), not models/.
 */
export const casePrefixes = ["cases/", "runs/", "vault/"] as const;

/** The real-value prefix: Reinject's outputs and the attorney's raw notes (caseKeys.private). */
export const privatePrefix = "private/";

/** Object read/write under the case prefixes (no listing, no deletes, no bucket settings, never private/). */
export function bucketPermissions(cloud: Cloud, bucketArn: Input<string>, dataKeyArn: Input<string>, region: Input<string>): Permission[] {
  return [
    { actions: ["s3:GetObject", "s3:PutObject"], resources: casePrefixes.map((p) => cloud.pulumi.interpolate`${bucketArn}/${p}*`) },
    kmsViaS3(cloud, dataKeyArn, region, ["kms:Decrypt", "kms:GenerateDataKey"]),
  ];
}

/** Objects under the real-value prefix, for the few functions that need them. */
export function privateObjects(cloud: Cloud, bucketArn: Input<string>, actions: Array<"s3:GetObject" | "s3:PutObject">): Permission {
  return { actions, resources: [cloud.pulumi.interpolate`${bucketArn}/${privatePrefix}*`] };
}

/** Listing under one prefix of the bucket (S3BlobStore.list; HeadObject's 404 needs it too). */
export function bucketListing(bucketArn: Input<string>, prefix: string): Permission {
  return {
    actions: ["s3:ListBucket"],
    resources: [bucketArn],
    conditions: [{ test: "StringLike", variable: "s3:prefix", values: [`${prefix}*`] }],
  };
}

/** The vault key, for the sealed kinds named: KMS checks the encryption context's purpose. */
export function sealedKindPermission(keyArn: Input<string>, actions: string[], purposes: SealedPurpose[]): Permission {
  return {
    actions,
    resources: [keyArn],
    conditions: [{ test: "StringEquals", variable: "kms:EncryptionContext:purpose", values: purposes }],
  };
}

/** Object read/write under runs/ only, and the privacy guard's hashes read: no documents, no vault. */
export function runPermissions(cloud: Cloud, bucketArn: Input<string>, dataKeyArn: Input<string>, region: Input<string>): Permission[] {
  return [
    { actions: ["s3:GetObject", "s3:PutObject"], resources: [cloud.pulumi.interpolate`${bucketArn}/runs/*`] },
    { actions: ["s3:GetObject"], resources: [cloud.pulumi.interpolate`${bucketArn}/vault/*.guard`] },
    kmsViaS3(cloud, dataKeyArn, region, ["kms:Decrypt", "kms:GenerateDataKey"]),
  ];
}

export function routingTablePermissions(tableArn: Input<string>): Permission[] {
  return [{ actions: ["dynamodb:PutItem", "dynamodb:Query"], resources: [tableArn] }];
}

/** The model ids the registry names for one provider: its fallback refs and its priced models. */
export function providerModelIds(registry: Registry, provider: string): string[] {
  const refs = [...Object.values(registry.stages).flatMap((s) => s.fallback), ...Object.keys(registry.pricing.hosted)];
  return [
    ...new Set(
      refs
        .map(splitRef)
        .filter(([p]) => p === provider)
        .map(([, id]) => id),
    ),
  ];
}

/** The Bedrock embedding models Index and Score call: the registry's `embedding.bedrock.model`, and any `embed` model it names for Bedrock. */
export function bedrockEmbeddingModelIds(registry: Registry): string[] {
  const named = registry.embedding?.bedrock.model;
  const ids = [...new Set([...providerModelIds(registry, bedrock.name).filter(isBedrockEmbeddingModel), ...(named ? [named] : [])])];
  return ids.length ? ids : [defaultEmbeddingModel];
}

/** A provider module's statement as a Permission: ARN templates filled in with the deployed region and account. */
export function providerPermissions(
  cloud: Cloud,
  statements: ProviderStatement[],
  region: Input<string>,
  accountId: Input<string>,
): Permission[] {
  const arn = (a: ArnTemplate): Input<string> =>
    typeof a === "string" ? a : cloud.pulumi.all([region, accountId]).apply(([r, id]) => a({ region: r, accountId: id }));
  return statements.map((s) => ({ actions: s.actions, resources: s.resources.map(arn) }));
}

/** What the fallback needs to call every provider in the list, for the model ids the registry names for each. */
export function fallbackProviderPermissions(
  cloud: Cloud,
  t: Pick<PermissionTargets, "registry" | "region" | "accountId">,
  list: readonly ProviderModule[] = providers,
): Permission[] {
  return list.flatMap((p) => providerPermissions(cloud, p.statements(providerModelIds(t.registry, p.name)), t.region, t.accountId));
}

export function functionPermissions(cloud: Cloud, fn: DeployedFunction, t: PermissionTargets): Permission[] {
  const blobs = bucketPermissions(cloud, t.bucketArn, t.dataKeyArn, t.region);
  const runBlobs = runPermissions(cloud, t.bucketArn, t.dataKeyArn, t.region);
  const sealed = (actions: string[], ...purposes: SealedPurpose[]) => sealedKindPermission(t.vaultKeyArn, actions, purposes);
  const embeddings = (): Permission[] =>
    providerPermissions(cloud, bedrockInvokeStatements(bedrockEmbeddingModelIds(t.registry)), t.region, t.accountId);
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
      // GenerateDataKey: the extracted (pre-redaction) text is sealed, as its own kind.
      // ListBucket: the case's documents are found by listing cases/<id>/documents/.
      return [
        ...blobs,
        bucketListing(t.bucketArn, "cases/"),
        { actions: ["textract:DetectDocumentText", "textract:AnalyzeDocument"], resources: ["*"] },
        sealed(["kms:GenerateDataKey"], sealedPurposes.extractedText),
      ];
    case lambdaFunctions.redact:
      // Decrypt: only to open the sealed extracted text; GenerateDataKey: to seal the vault and the guard's hashes.
      return [
        ...blobs,
        { actions: ["comprehend:DetectPiiEntities"], resources: ["*"] },
        sealed(["kms:Decrypt"], sealedPurposes.extractedText),
        sealed(["kms:GenerateDataKey"], sealedPurposes.vault, sealedPurposes.guard),
      ];
    case lambdaFunctions.index:
    case lambdaFunctions.score:
      // Texts sent to Bedrock for embedding pass the privacy guard: its hashes, never the vault.
      return [...runBlobs, ...embeddings(), sealed(["kms:Decrypt"], sealedPurposes.guard)];
    case lambdaFunctions.reinject:
      // ListBucket: the run's cost ledger (runs/<case>/<execution>/costs/) is summed for the report.
      // Writes the real-value outputs under private/; reads nothing there.
      return [
        ...blobs,
        privateObjects(cloud, t.bucketArn, ["s3:PutObject"]),
        bucketListing(t.bucketArn, "runs/"),
        sealed(["kms:Decrypt"], sealedPurposes.vault),
      ];
    case lambdaFunctions.fallback:
      // The privacy guard refuses any prompt holding a real value before it leaves for a
      // hosted model, comparing keyed hashes: this function never opens the vault or the
      // extracted text, and reads no document. It may stop its primary's GPU task.
      return [
        ...runBlobs,
        ...routingTablePermissions(t.routingTableArn),
        ...fallbackProviderPermissions(cloud, t),
        sealed(["kms:Decrypt"], sealedPurposes.guard),
        ...clusterTasks(),
      ];
    case lambdaFunctions.acquire: {
      // Starts the models' tasks on the GPU cluster only (tagged as RunTask creates them),
      // passes only the worker roles to ECS tasks, and queues tokens on the ready queues.
      const pools = t.workerPools;
      if (!pools || !t.gpuClusterArn) throw new Error(`${fn}: permissions need the worker pools and the GPU cluster`);
      const onCluster = [{ test: "ArnEquals", variable: "ecs:cluster", values: [t.gpuClusterArn] }];
      return [
        { actions: ["ecs:RunTask"], resources: pools.taskFamilyArns, conditions: onCluster },
        // DescribeTasks: a task stuck provisioning or loading past the budget is not counted live.
        { actions: ["ecs:ListTasks", "ecs:DescribeTasks"], resources: ["*"], conditions: onCluster },
        {
          actions: ["ecs:TagResource"],
          resources: ["*"],
          conditions: [{ test: "StringEquals", variable: "ecs:CreateAction", values: ["RunTask"] }],
        },
        {
          actions: ["iam:PassRole"],
          resources: pools.passRoleArns,
          conditions: [{ test: "StringEquals", variable: "iam:PassedToService", values: ["ecs-tasks.amazonaws.com"] }],
        },
        { actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"], resources: pools.queueArns },
        // WarmUp reads the circuit breaker's outcomes (never claims a probe): no g5 for a model the Admit state would refuse.
        { actions: ["dynamodb:Query"], resources: [t.routingTableArn] },
      ];
    }
    case lambdaFunctions.admit:
      // Reads outcomes and claims the half-open probe; no blobs, no case text.
      return routingTablePermissions(t.routingTableArn);
    case lambdaFunctions.requestReview:
      // Writes the gate (the task token) and nothing else: no blobs, no case text.
      return [{ actions: ["dynamodb:PutItem"], resources: [t.reviewTableArn] }];
    case lambdaFunctions.checkDecision:
      // Reads decision records and appends to the audit chain: a put only where nothing is
      // (attribute_not_exists in core/review-store.ts); no update, no delete, no blobs.
      return [{ actions: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"], resources: [t.reviewLogTableArn] }];
    case lambdaFunctions.recordApproval:
      // Renders the approved filing copy (opens the vault, like Reinject) and writes it, with
      // approval.json, under private/ (real values), at those keys only (functions/record-approval.ts):
      // never over Reinject's outputs or the attorney's notes; it reads its renditions back there
      // for their SHA-256. Reads the decision record.
      return [
        ...blobs,
        {
          actions: ["s3:GetObject", "s3:PutObject"],
          resources: [
            cloud.pulumi.interpolate`${t.bucketArn}/${privatePrefix}*/final/*`,
            cloud.pulumi.interpolate`${t.bucketArn}/${privatePrefix}*/approval.json`,
          ],
        },
        sealed(["kms:Decrypt"], sealedPurposes.vault),
        { actions: ["dynamodb:GetItem"], resources: [t.reviewLogTableArn] },
      ];
    case lambdaFunctions.reviewNotes:
      // Opens the vault only to turn the people the attorney names into the draft's
      // placeholders: it reads the raw notes and the client's facts (private/), and what it
      // writes (runs/) holds placeholders, never a real value. Facts from the client may hold
      // values the vault lacks: it seals the vault and the guard's hashes again with them.
      return [
        ...blobs,
        privateObjects(cloud, t.bucketArn, ["s3:GetObject"]),
        sealed(["kms:Decrypt"], sealedPurposes.vault),
        sealed(["kms:GenerateDataKey"], sealedPurposes.vault, sealedPurposes.guard),
      ];
    case "gpu-sweeper":
      return clusterTasks();
    case "api":
      // A new upload replaces the case's documents: list and delete the old ones. The review
      // route reads and uses the gate's token (a conditional delete), audits the decision and
      // answers the task; SendTaskSuccess has no resource-level scope (the token authorises it).
      // private/: it keeps the attorney's notes as written and serves the outputs and the
      // review document (real values) to the attorney. It reads a run's outputs under runs/ that
      // may not exist yet (the paragraph locks): HeadObject's 404 needs the listing of runs/.
      return [
        ...blobs,
        privateObjects(cloud, t.bucketArn, ["s3:GetObject", "s3:PutObject"]),
        bucketListing(t.bucketArn, "cases/"),
        bucketListing(t.bucketArn, "runs/"),
        { actions: ["s3:DeleteObject"], resources: [cloud.pulumi.interpolate`${t.bucketArn}/cases/*`] },
        ...executions(),
        // The open gate is deleted once, when its token is used; decision records and the
        // audit chain (ReviewLog) are written once and read, never changed or deleted.
        { actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], resources: [t.reviewTableArn] },
        { actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], resources: [t.reviewLogTableArn] },
        { actions: ["states:SendTaskSuccess"], resources: ["*"] },
      ];
    case "backfill":
      return [...blobs, { actions: ["s3:ListBucket"], resources: [t.bucketArn] }, ...executions()];
  }
}
