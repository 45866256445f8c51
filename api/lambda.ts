/**
 * API Gateway → this function → the Hono app of api/app.ts, over Step Functions and S3.
 * API Gateway authorises callers with IAM, so the app does no auth of its own here.
 * Configuration: AFFIANT_STATE_MACHINE_ARN, AFFIANT_BUCKET (+ AFFIANT_BUCKET_KMS_KEY_ID, the bucket's key that presigned uploads name);
 * AFFIANT_SFN_ENDPOINT points the SDK elsewhere (tests: `affiant serve`'s /sfn).
 */

import { SFNClient } from "@aws-sdk/client-sfn";
import type { Hono } from "hono";
import { handle } from "hono/aws-lambda";
import { openBlobStore } from "../core/blob-store.ts";
import { config, type Env } from "../core/config.ts";
import { InvalidInputError } from "../core/errors.ts";
import { openReviewStore } from "../core/review-store.ts";
import { withTelemetry } from "../core/telemetry.ts";
import { createApp } from "./app.ts";
import { AwsExecutions, type AwsExecutionsOptions } from "./aws-executions.ts";
import { documentLimits } from "./executions.ts";

export async function createAwsApp(given?: Env): Promise<Hono> {
  const env = config(given);
  const stateMachineArn = env.AFFIANT_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new InvalidInputError("AFFIANT_STATE_MACHINE_ARN is not set");
  const sfn = new SFNClient(env.AFFIANT_SFN_ENDPOINT ? { endpoint: env.AFFIANT_SFN_ENDPOINT } : {});
  const store = await openBlobStore();
  let presignPost: AwsExecutionsOptions["presignPost"];
  let inspect: AwsExecutionsOptions["inspect"];
  if (env.AFFIANT_BUCKET) {
    const [{ S3Client, HeadObjectCommand, GetObjectCommand }, { createPresignedPost }] = await Promise.all([
      import("@aws-sdk/client-s3"),
      import("@aws-sdk/s3-presigned-post"),
    ]);
    const s3 = new S3Client({});
    const bucket = env.AFFIANT_BUCKET;
    const bucketKey = env.AFFIANT_BUCKET_KMS_KEY_ID;
    // The bucket's own key: the bucket policy refuses an upload that names any other.
    const kms = {
      "x-amz-server-side-encryption": "aws:kms",
      ...(bucketKey ? { "x-amz-server-side-encryption-aws-kms-key-id": bucketKey } : {}),
    };
    presignPost = (key, size, expiresIn) =>
      createPresignedPost(s3 as never, {
        Bucket: bucket,
        Key: key,
        // Exactly the planned size: S3 refuses any other with EntityTooLarge / EntityTooSmall.
        Conditions: [
          ["content-length-range", size, size],
          ["eq", "$Content-Type", "application/pdf"],
        ],
        Fields: { "Content-Type": "application/pdf", ...kms },
        Expires: expiresIn,
      });
    inspect = async (key) => {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const first = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: "bytes=0-4" }));
      return { size: head.ContentLength ?? 0, head: Buffer.from((await first.Body?.transformToByteArray()) ?? []) };
    };
  }
  return createApp({
    executions: new AwsExecutions({ sfn, stateMachineArn, store, presignPost, inspect, reviews: openReviewStore() }),
    auth: { kind: "iam" },
    maxRequestBytes: documentLimits.maxRequestBytesAws,
  });
}

let lambdaHandler: ReturnType<typeof handle> | undefined;

type ApiEvent = Parameters<ReturnType<typeof handle>>[0];
type ApiContext = Parameters<ReturnType<typeof handle>>[1];

/** Wrapped like every other handler (logs with ids, duration and error metrics, a trace subsegment). */
export async function handler(event: ApiEvent, context?: ApiContext) {
  return withTelemetry("Api", async (e: ApiEvent) => {
    lambdaHandler ??= handle(await createAwsApp());
    return lambdaHandler(e, context);
  })(event, context);
}
