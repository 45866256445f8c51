/**
 * Blobs in S3, for Lambda and the ECS worker: the same keys as the local folder store.
 * Writes ask for SSE-KMS with the project's key; the bucket's default encryption
 * enforces it too (sst.config.ts).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { awsClientTimeouts } from "./aws-timeouts.ts";
import { assertKey } from "./blob-key.ts";
import type { BlobStore } from "./blob-store.ts";
import { InvalidInputError } from "./errors.ts";

export interface S3BlobStoreOptions {
  bucket: string;
  /** KMS key for SSE-KMS on every write. Default: the bucket's default encryption. */
  kmsKeyId?: string;
  /** Default: a client from the standard AWS environment. */
  client?: S3Client;
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  constructor(private readonly options: S3BlobStoreOptions) {
    this.client = options.client ?? new S3Client({ ...awsClientTimeouts(30_000) });
  }

  async put(key: string, data: Uint8Array | string): Promise<void> {
    assertKey(key);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: typeof data === "string" ? Buffer.from(data, "utf8") : data,
        ...(this.options.kmsKeyId ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: this.options.kmsKeyId } : {}),
      }),
    );
  }

  async get(key: string): Promise<Buffer> {
    assertKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      if (!res.Body) throw new InvalidInputError(`blob not found: ${key}`);
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) throw new InvalidInputError(`blob not found: s3://${this.options.bucket}/${key}`);
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    assertKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = `${prefix.replace(/\/+$/, "")}/`;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: base, ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof S3ServiceException
    ? err.$metadata.httpStatusCode === 404 || err.name === "NoSuchKey" || err.name === "NotFound"
    : false;
}
