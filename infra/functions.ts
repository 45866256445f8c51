/**
 * The deployed Lambda functions as one table: handler, timeout, memory, environment, linked
 * secrets, files and bundling. `sst.config.ts` turns each row into an `sst.aws.Function`;
 * the rehearsal (rehearsal/) bundles and runs the same rows, so what it proves is what
 * deploys. Timeouts come from workflows/definition.ts, the one place the states take theirs.
 */

import { providerSecrets } from "../core/providers/index.ts";
import { openRouterSecretName, openRouterSecretPlaceholder } from "../core/providers/openrouter.ts";
import type { Registry } from "../core/registry.ts";
import { lambdaFunctions } from "../core/state-names.ts";
import { lambdaTimeoutSeconds } from "../workflows/definition.ts";
import type { Input } from "./cloud.ts";
import type { DeployedFunction } from "./permissions.ts";

/** Where a bundled handler finds the files it reads at run time (the bundle's root). */
export const lambdaTaskRoot = "/var/task";

export interface FunctionSpec {
  /** `path/file.export`, relative to the project root, as `sst.aws.Function` takes it. */
  handler: string;
  timeoutSeconds: number;
  memoryMB: number;
  /** In the private subnets (case text); the fallback and API run outside (OpenRouter, API Gateway). */
  vpc: boolean;
  environment: Record<string, Input<string>>;
  /** Files read at run time that a bundle does not carry. */
  copyFiles: Array<{ from: string; to: string }>;
  /** Packages installed next to the bundle instead of bundled (native or data files). */
  install?: string[];
  /** Linked resources by name (their values reach the handler through SST's Resource, encrypted). */
  link?: string[];
  /** Needs the state machine ARN (starts executions). */
  startsExecutions?: boolean;
}

export interface FunctionTargets {
  bucketName: Input<string>;
  routingTableName: Input<string>;
  /** AttorneyReview's open gates (AFFIANT_REVIEW_TABLE). */
  reviewTableName: Input<string>;
  /** Decision records and the audit chain, append-only (AFFIANT_REVIEW_LOG_TABLE). */
  reviewLogTableName: Input<string>;
  /** The bucket's SSE-KMS key (AFFIANT_BUCKET_KMS_KEY_ID). */
  dataKeyArn: Input<string>;
  /** The PII vault's key (AFFIANT_KMS_KEY_ID). */
  vaultKeyArn: Input<string>;
  /** The registry file deployed, relative to the project root. */
  registryFile: string;
  /** The GPU cluster: the fallback stops its primary's task there, the sweeper its stragglers. */
  gpuClusterArn: Input<string>;
  /** The acquire Lambda's AFFIANT_WORKER_POOLS (functions/acquire-worker.ts workerPoolsSchema), as JSON. */
  workerPools: Input<string>;
}

export { openRouterSecretName, openRouterSecretPlaceholder };

export function functionTable(registry: Registry, t: FunctionTargets): Record<DeployedFunction, FunctionSpec> {
  const timeouts = lambdaTimeoutSeconds(registry);
  const base = {
    AFFIANT_BUCKET: t.bucketName,
    AFFIANT_ROUTING_TABLE: t.routingTableName,
    // Bundled handlers resolve files from the package root, not from their source folder.
    AFFIANT_REGISTRY: `${lambdaTaskRoot}/models/registry.json`,
    AFFIANT_PROMPTS_DIR: `${lambdaTaskRoot}/prompts`,
    AFFIANT_BUCKET_KMS_KEY_ID: t.dataKeyArn,
    // Index and Score embed with Titan in AWS: the local GGUF embedder is not in the bundle.
    AFFIANT_EMBEDDINGS: "bedrock",
  };
  const vault = { AFFIANT_KMS_KEY_ID: t.vaultKeyArn };
  const reviewTables = { AFFIANT_REVIEW_TABLE: t.reviewTableName, AFFIANT_REVIEW_LOG_TABLE: t.reviewLogTableName };
  const registryFiles = [{ from: t.registryFile, to: "models/registry.json" }];
  const promptFiles = [{ from: "prompts", to: "prompts" }];
  // The redaction's common-word lists load lazily (createRequire), so esbuild does not bundle
  // them: installed for every handler that reaches functions/redaction/common-words.ts.
  const wordLists = ["an-array-of-english-words", "an-array-of-spanish-words"];
  // Each row's timeout is the one workflows/definition.ts gives its function.
  const row = (
    fn: DeployedFunction,
    spec: Omit<FunctionSpec, "environment" | "copyFiles" | "timeoutSeconds"> & {
      env?: Record<string, Input<string>>;
      files?: FunctionSpec["copyFiles"];
    },
  ): FunctionSpec => {
    const { env, files, ...rest } = spec;
    return { ...rest, timeoutSeconds: timeouts[fn], environment: { ...base, ...env }, copyFiles: files ?? registryFiles };
  };
  return {
    [lambdaFunctions.extract]: row(lambdaFunctions.extract, {
      handler: "functions/extract-documents.handler",
      memoryMB: 3008,
      vpc: true,
      env: vault,
      // pdf-parse: pdf.js and its native canvas (page images for OCR) load from node_modules, not a bundle.
      install: ["pdf-parse", "tesseract.js", "@tesseract.js-data/eng", "@tesseract.js-data/spa"],
    }),
    [lambdaFunctions.redact]: row(lambdaFunctions.redact, {
      handler: "functions/redact-pii.handler",
      memoryMB: 1024,
      vpc: true,
      env: vault,
      install: wordLists,
    }),
    [lambdaFunctions.index]: row(lambdaFunctions.index, {
      handler: "functions/build-index.handler",
      memoryMB: 2048,
      vpc: true,
      install: wordLists,
    }),
    [lambdaFunctions.score]: row(lambdaFunctions.score, {
      handler: "functions/score-draft.handler",
      memoryMB: 1024,
      vpc: true,
      install: wordLists,
    }),
    // pdfkit reads its standard fonts from its package folder at run time: installed, not bundled.
    [lambdaFunctions.reinject]: row(lambdaFunctions.reinject, {
      handler: "functions/reinject-pii.handler",
      memoryMB: 1024,
      vpc: true,
      env: vault,
      install: ["pdfkit", ...wordLists],
    }),
    [lambdaFunctions.fallback]: row(lambdaFunctions.fallback, {
      handler: "functions/generate-fallback.handler",
      memoryMB: 2048,
      vpc: false,
      env: { ...vault, AFFIANT_GPU_CLUSTER: t.gpuClusterArn },
      files: [...registryFiles, ...promptFiles],
      // Its routing store is DynamoDB (AFFIANT_ROUTING_TABLE): better-sqlite3's JavaScript is
      // bundled and never opens its addon, so no native package is installed.
      install: [...wordLists],
      // Every hosted provider's secrets (core/providers/index.ts).
      link: providerSecrets().map((s) => s.name),
    }),
    // Gets a GPU stage a warm worker of its model: the token to the model's ready queue, and
    // an ECS task of the model started when the pool needs one (functions/acquire-worker.ts).
    [lambdaFunctions.acquire]: row(lambdaFunctions.acquire, {
      handler: "functions/acquire-worker.handler",
      memoryMB: 256,
      vpc: false,
      env: { AFFIANT_WORKER_POOLS: t.workerPools },
    }),
    // Asks the circuit breaker before a GPU task is placed (reads and claims in the routing table).
    [lambdaFunctions.admit]: row(lambdaFunctions.admit, {
      handler: "functions/admit-gpu.handler",
      memoryMB: 512,
      vpc: false,
    }),
    // The attorney's gate: keeps the task token in the review table; redacts the attorney's notes.
    [lambdaFunctions.requestReview]: row(lambdaFunctions.requestReview, {
      handler: "functions/request-review.handler",
      memoryMB: 256,
      vpc: false,
      env: reviewTables,
    }),
    [lambdaFunctions.reviewNotes]: row(lambdaFunctions.reviewNotes, {
      handler: "functions/review-notes.handler",
      memoryMB: 1024,
      vpc: true,
      env: vault,
      install: wordLists,
    }),
    // After the gate: verifies the decision record and appends to the audit chain (review table only).
    [lambdaFunctions.checkDecision]: row(lambdaFunctions.checkDecision, {
      handler: "functions/check-decision.handler",
      memoryMB: 256,
      vpc: false,
      env: reviewTables,
    }),
    // After an approval: the filing copy without banners and approval.json (opens the vault, like Reinject).
    [lambdaFunctions.recordApproval]: row(lambdaFunctions.recordApproval, {
      handler: "functions/record-approval.handler",
      memoryMB: 1024,
      vpc: true,
      env: { ...vault, ...reviewTables },
      install: ["pdfkit", ...wordLists],
    }),
    // Nothing outside a worker stopped an ECS task before (infra/reaper.ts).
    "gpu-sweeper": row("gpu-sweeper", {
      handler: "functions/gpu-reaper.sweepHandler",
      memoryMB: 256,
      vpc: false,
      env: { AFFIANT_GPU_CLUSTER: t.gpuClusterArn },
    }),
    // Presigned uploads name the bucket's key: the bucket policy refuses any other.
    api: row("api", {
      handler: "api/lambda.handler",
      memoryMB: 1024,
      vpc: false,
      startsExecutions: true,
      env: reviewTables,
    }),
    backfill: row("backfill", {
      handler: "api/backfill-lambda.handler",
      memoryMB: 1024,
      vpc: false,
      startsExecutions: true,
    }),
  };
}
