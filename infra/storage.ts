/**
 * Where case data rests: the bucket (documents, intermediates, outputs, model files), the
 * key that encrypts it, the separate key of the PII vault, and the routing table. Two keys
 * because reading a blob needs kms:Decrypt on the bucket's key, and only the re-injection
 * step may decrypt the vault: one key for both would hand the vault to every reader.
 */
import type { Cloud, Output, Place } from "./cloud.ts";

export interface StorageOptions {
  place: Place;
  /** Days before the vault and intermediate blobs expire. Default: 30. */
  intermediateDays?: number;
}

/**
 * Lifecycle of the blob layout (core/case-file.ts): `vault/` (the placeholder mapping, needed
 * only until Reinject) and objects tagged `affiant-retention=intermediate` expire after
 * `days`; `private/` holds the declaration, the review document and the report (the record
 * of the case) and `runs/` what they were drafted from, so both only move to infrequent
 * access; old versions and broken uploads go after a day or `days`.
 */
export function lifecycleRules(days: number) {
  return [
    { id: "expire-vault", status: "Enabled", filter: { prefix: "vault/" }, expiration: { days } },
    {
      id: "expire-intermediates",
      status: "Enabled",
      filter: { tag: { key: "affiant-retention", value: "intermediate" } },
      expiration: { days },
    },
    {
      id: "runs-to-infrequent-access",
      status: "Enabled",
      filter: { prefix: "runs/" },
      transitions: [{ days: 30, storageClass: "STANDARD_IA" }],
    },
    {
      id: "outputs-to-infrequent-access",
      status: "Enabled",
      filter: { prefix: "private/" },
      transitions: [{ days: 30, storageClass: "STANDARD_IA" }],
    },
    {
      id: "old-versions",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: days },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    },
  ];
}
/** Prefix the GPU instances sync their GGUF files from at boot. */
export const modelsPrefix = "models/";

export interface Storage {
  bucket: InstanceType<Cloud["aws"]["s3"]["Bucket"]>;
  /** SSE-KMS key of the bucket and of the log groups. */
  dataKey: InstanceType<Cloud["aws"]["kms"]["Key"]>;
  /** Envelope key of the PII vault (AFFIANT_KMS_KEY_ID). */
  vaultKey: InstanceType<Cloud["aws"]["kms"]["Key"]>;
  /** Per-model outcomes for the circuit breaker (AFFIANT_ROUTING_TABLE). */
  routingTable: InstanceType<Cloud["aws"]["dynamodb"]["Table"]>;
  /** AttorneyReview's open gates (task tokens) (AFFIANT_REVIEW_TABLE). */
  reviewTable: InstanceType<Cloud["aws"]["dynamodb"]["Table"]>;
  /** Decision records and the hash-chained review audit log, append-only (AFFIANT_REVIEW_LOG_TABLE). */
  reviewLogTable: InstanceType<Cloud["aws"]["dynamodb"]["Table"]>;
  bucketArn: Output<string>;
}

export function buildStorage(cloud: Cloud, options: StorageOptions): Storage {
  const { aws, pulumi } = cloud;
  const { place } = options;
  const keep = { retainOnDelete: place.retain, protect: place.retain };
  const deletionWindowInDays = place.retain ? 30 : 7;

  // CloudWatch Logs encrypts with this key too; it needs its own grant in the key policy.
  const dataKeyPolicy = pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdmin",
        Effect: "Allow",
        Principal: { AWS: pulumi.interpolate`arn:aws:iam::${place.accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchLogs",
        Effect: "Allow",
        Principal: { Service: pulumi.interpolate`logs.${place.region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": pulumi.interpolate`arn:aws:logs:${place.region}:${place.accountId}:log-group:*`,
          },
        },
      },
    ],
  });
  const dataKey = new aws.kms.Key(
    "DataKey",
    {
      description: `Affiant ${place.stage}: case documents, outputs and logs`,
      enableKeyRotation: true,
      deletionWindowInDays,
      policy: dataKeyPolicy,
    },
    keep,
  );
  new aws.kms.Alias("DataKeyAlias", { name: `alias/affiant-${place.stage}-data`, targetKeyId: dataKey.keyId });
  const vaultKey = new aws.kms.Key(
    "VaultKey",
    { description: `Affiant ${place.stage}: PII vault (placeholder mapping)`, enableKeyRotation: true, deletionWindowInDays },
    keep,
  );
  new aws.kms.Alias("VaultKeyAlias", { name: `alias/affiant-${place.stage}-vault`, targetKeyId: vaultKey.keyId });

  const bucket = new aws.s3.Bucket("Cases", { forceDestroy: !place.retain }, keep);
  new aws.s3.BucketServerSideEncryptionConfiguration("CasesEncryption", {
    bucket: bucket.id,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: dataKey.arn }, bucketKeyEnabled: true }],
  });
  new aws.s3.BucketPublicAccessBlock("CasesPublicAccessBlock", {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new aws.s3.BucketOwnershipControls("CasesOwnership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
  new aws.s3.BucketVersioning("CasesVersioning", {
    bucket: bucket.id,
    versioningConfiguration: { status: place.retain ? "Enabled" : "Suspended" },
  });
  const days = options.intermediateDays ?? 30;
  new aws.s3.BucketLifecycleConfiguration("CasesLifecycle", {
    bucket: bucket.id,
    rules: lifecycleRules(days),
  });
  // Deny anything that is not TLS or that asks for another encryption or key than the bucket's.
  new aws.s3.BucketPolicy("CasesPolicy", {
    bucket: bucket.id,
    policy: pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        // Only a PUT that names a key is checked: one that names none (the README's model
        // upload without flags, a presigned upload) gets the bucket's default, the data key.
        // `StringNotEqualsIfExists` would deny those too, since a missing key matches it.
        {
          Sid: "DenyOtherKeys",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: pulumi.interpolate`${bucket.arn}/*`,
          Condition: {
            Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
            StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": dataKey.arn },
          },
        },
        {
          Sid: "DenyOtherEncryption",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: pulumi.interpolate`${bucket.arn}/*`,
          Condition: {
            Null: { "s3:x-amz-server-side-encryption": "false" },
            StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
          },
        },
      ],
    }),
  });

  const routingTable = new aws.dynamodb.Table(
    "Routing",
    {
      billingMode: "PAY_PER_REQUEST",
      // The keys core/routing-store.ts writes; rows hold model ids and error names, no case data.
      hashKey: "model",
      rangeKey: "seq",
      attributes: [
        { name: "model", type: "S" },
        { name: "seq", type: "S" },
      ],
      ttl: { attributeName: "expiresAt", enabled: true },
      pointInTimeRecovery: { enabled: place.retain },
    },
    keep,
  );

  const reviewTable = new aws.dynamodb.Table(
    "Reviews",
    {
      billingMode: "PAY_PER_REQUEST",
      // The keys core/review-store.ts writes: an execution's open review gate (its task token),
      // deleted once when used. Decision records and the audit chain are in ReviewLog.
      hashKey: "executionId",
      rangeKey: "sk",
      attributes: [
        { name: "executionId", type: "S" },
        { name: "sk", type: "S" },
      ],
      pointInTimeRecovery: { enabled: place.retain },
    },
    keep,
  );

  // Append-only: decision records and the hash-chained audit log. Every write is a conditional
  // put (attribute_not_exists); no role may update or delete an item (infra/permissions.ts).
  const reviewLogTable = new aws.dynamodb.Table(
    "ReviewLog",
    {
      billingMode: "PAY_PER_REQUEST",
      hashKey: "executionId",
      rangeKey: "sk",
      attributes: [
        { name: "executionId", type: "S" },
        { name: "sk", type: "S" },
      ],
      pointInTimeRecovery: { enabled: place.retain },
      deletionProtectionEnabled: place.retain,
    },
    keep,
  );

  return { bucket, dataKey, vaultKey, routingTable, reviewTable, reviewLogTable, bucketArn: bucket.arn };
}
