/**
 * API Gateway → this function → the Hono app of api/app.ts, over Step Functions and S3.
 * API Gateway authorises callers with IAM, so the app does no auth of its own here.
 * Configuration: AFFIANT_STATE_MACHINE_ARN, AFFIANT_BUCKET (+ AFFIANT_BUCKET_KMS_KEY_ID, the bucket's key that presigned uploads name);
 * AFFIANT_SFN_ENDPOINT points the SDK elsewhere (tests: `affiant serve`'s /sfn).
 */
import { handle } from "hono/aws-lambda";
import type { Hono } from "hono";
import { SFNClient } from "@aws-sdk/client-sfn";
import { createApp } from "../api/app.ts";
import { AwsExecutions } from "../api/aws-executions.ts";
import { documentLimits } from "../api/executions.ts";
import { openBlobStore } from "../core/blob-store.ts";
import { InvalidInputError } from "../core/errors.ts";

export async function createAwsApp(env: NodeJS.ProcessEnv = process.env): Promise<Hono> {
  const stateMachineArn = env.AFFIANT_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new InvalidInputError("AFFIANT_STATE_MACHINE_ARN is not set");
  const sfn = new SFNClient(env.AFFIANT_SFN_ENDPOINT ? { endpoint: env.AFFIANT_SFN_ENDPOINT } : {});
  const store = await openBlobStore();
  let presignPut: ((key: string, contentType: string, expiresIn: number) => Promise<string>) | undefined;
  if (env.AFFIANT_BUCKET) {
    const [{ S3Client, PutObjectCommand }, { getSignedUrl }] = await Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/s3-request-presigner")]);
    const s3 = new S3Client({});
    const bucket = env.AFFIANT_BUCKET;
    presignPut = (key, contentType, expiresIn) =>
      getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType, ServerSideEncryption: "aws:kms", SSEKMSKeyId: env.AFFIANT_BUCKET_KMS_KEY_ID }),
        { expiresIn },
      );
  }
  return createApp({
    executions: new AwsExecutions({ sfn, stateMachineArn, store, presignPut }),
    auth: { kind: "iam" },
    maxRequestBytes: documentLimits.maxRequestBytesAws,
  });
}

let lambdaHandler: ReturnType<typeof handle> | undefined;

export async function handler(event: Parameters<ReturnType<typeof handle>>[0], context?: Parameters<ReturnType<typeof handle>>[1]) {
  lambdaHandler ??= handle(await createAwsApp());
  return lambdaHandler(event, context);
}
