/**
 * A worker fetches its own model from S3 with the SDK, so nothing depends on the tools of the
 * instance's AMI: only the one model its pool serves (AFFIANT_PRELOAD_MODEL), into the host's
 * models folder where the next task on the same instance finds it. The objects are SSE-KMS
 * (the bucket refuses anything else); S3 decrypts them for a role allowed kms:Decrypt via S3.
 * Resumable: ranged GETs appended to `<file>.part`, each pinned to the object's ETag (If-Match),
 * so a fetch cut short (the task stopped, the instance drained) continues where it stopped
 * rather than starting again, and a part from another version of the object is thrown away.
 * Verified before use: the size, and the registry's sha256 when it records one.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { awsClientTimeouts } from "../../core/aws-timeouts.ts";
import { config } from "../../core/config.ts";
import { ModelUnavailableError } from "../../core/errors.ts";
import { log } from "../../core/log.ts";
import { modelEntry, modelFilePath, type Registry } from "../../core/registry.ts";

export interface FetchModelOptions {
  client: S3Client;
  bucket: string;
  key: string;
  /** Where the model file goes; `<dest>.part` and its `.json` hold a fetch in progress. */
  dest: string;
  /** The registry model id, for errors and logs. */
  modelId: string;
  /** The registry's sha256 of the file, when it records one. Default: none (size and ETag only). */
  sha256?: string;
  /** Bytes per ranged GET: AWS's S3 performance whitepaper names 8 or 16 MB as typical. Default: 16 MiB. */
  partBytes?: number;
  signal?: AbortSignal;
  /** After each part: bytes on disk and the object's size. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface FetchModelResult {
  /** cached: the file on the host was this object already; resumed: a .part was continued. */
  status: "cached" | "fetched" | "resumed";
  bytes: number;
  /** Bytes downloaded by this call. */
  fetchedBytes: number;
  etag: string;
  ms: number;
}

/** What `<dest>.source.json` records of a verified file: the object it came from. */
interface SourceRecord {
  bucket: string;
  key: string;
  etag: string;
  size: number;
}

export async function fetchModel(o: FetchModelOptions): Promise<FetchModelResult> {
  const started = performance.now();
  const fail = (why: string, cause?: unknown) =>
    new ModelUnavailableError(`model ${o.modelId}: s3://${o.bucket}/${o.key}: ${why}`, { model: o.modelId }, { cause });
  const { GetObjectCommand, HeadObjectCommand } = await import("@aws-sdk/client-s3");
  let head: { ContentLength?: number; ETag?: string };
  try {
    head = await o.client.send(new HeadObjectCommand({ Bucket: o.bucket, Key: o.key }), { abortSignal: o.signal });
  } catch (err) {
    throw fail(`cannot be read (${(err as Error).name})`, err);
  }
  const size = head.ContentLength ?? -1;
  const etag = head.ETag ?? "";
  if (size < 0 || !etag) throw fail("S3 gave no size or ETag");
  const source: SourceRecord = { bucket: o.bucket, key: o.key, etag, size };
  const sourceFile = `${o.dest}.source.json`;
  const part = `${o.dest}.part`;
  const partMeta = `${part}.json`;
  const done = (status: FetchModelResult["status"], fetchedBytes: number) => ({
    status,
    bytes: size,
    fetchedBytes,
    etag,
    ms: performance.now() - started,
  });

  if (existsSync(o.dest) && statSync(o.dest).size === size && sameSource(readJson(sourceFile), source)) return done("cached", 0);

  mkdirSync(path.dirname(o.dest), { recursive: true });
  let offset = 0;
  if (existsSync(part) && sameSource(readJson(partMeta), source) && statSync(part).size <= size) offset = statSync(part).size;
  else rmSync(part, { force: true });
  const resumedFrom = offset;
  writeFileSync(partMeta, JSON.stringify(source));
  const partBytes = o.partBytes ?? 16 * 2 ** 20;
  const fh = await open(part, "a");
  try {
    while (offset < size) {
      const end = Math.min(offset + partBytes, size) - 1;
      let body: AsyncIterable<Uint8Array> | undefined;
      try {
        const res = await o.client.send(
          new GetObjectCommand({ Bucket: o.bucket, Key: o.key, Range: `bytes=${offset}-${end}`, IfMatch: etag }),
          { abortSignal: o.signal },
        );
        body = res.Body as AsyncIterable<Uint8Array> | undefined;
      } catch (err) {
        // 412: the object changed under us; the next fetch starts over (its ETag differs from the part's).
        throw fail(`ranged GET at byte ${offset} failed (${(err as Error).name})`, err);
      }
      let got = 0;
      for await (const chunk of body ?? []) {
        await fh.write(chunk);
        got += chunk.byteLength;
      }
      if (got !== end - offset + 1) throw fail(`ranged GET at byte ${offset} returned ${got} bytes, expected ${end - offset + 1}`);
      offset += got;
      o.onProgress?.(offset, size);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  const onDisk = statSync(part).size;
  if (onDisk !== size) {
    rmSync(part, { force: true });
    throw fail(`fetched ${onDisk} bytes, the object has ${size}`);
  }
  if (o.sha256) {
    const actual = await sha256File(part);
    if (actual !== o.sha256.toLowerCase()) {
      rmSync(part, { force: true });
      rmSync(partMeta, { force: true });
      throw fail(`sha256 ${actual} is not the registry's ${o.sha256}`);
    }
  }
  renameSync(part, o.dest);
  writeFileSync(sourceFile, JSON.stringify(source));
  rmSync(partMeta, { force: true });
  return done(resumedFrom > 0 ? "resumed" : "fetched", size - resumedFrom);
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (d) => hash.update(d))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

const sameSource = (a: unknown, b: SourceRecord): boolean => {
  const r = a as Partial<SourceRecord> | undefined;
  return r?.bucket === b.bucket && r.key === b.key && r.etag === b.etag && r.size === b.size;
};

/** `s3://bucket/prefix/` → bucket and key prefix. */
export function parseModelSource(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(url);
  if (!m) throw new ModelUnavailableError(`AFFIANT_MODEL_SOURCE must be s3://<bucket>/<prefix>/, got ${url}`);
  return { bucket: m[1]!, prefix: m[2]!.length && !m[2]!.endsWith("/") ? `${m[2]}/` : m[2]! };
}

/**
 * With AFFIANT_MODEL_SOURCE set (ECS: infra/gpu.ts sets it), fetches the one model this worker
 * serves into its path under AFFIANT_MODELS_DIR before the load; without it, the file must be
 * there already (locally, `affiant models pull`).
 */
export async function ensureModelFile(registry: Registry, modelId: string, signal?: AbortSignal): Promise<FetchModelResult | undefined> {
  const url = config().AFFIANT_MODEL_SOURCE;
  if (!url) return undefined;
  const { bucket, prefix } = parseModelSource(url);
  const entry = modelEntry(registry, modelId);
  const { S3Client } = await import("@aws-sdk/client-s3");
  let reported = -1;
  const result = await fetchModel({
    client: new S3Client({ ...awsClientTimeouts(120_000) }),
    bucket,
    key: `${prefix}${path.basename(entry.file)}`,
    dest: modelFilePath(registry, modelId),
    modelId,
    sha256: entry.sha256,
    signal,
    onProgress: (doneBytes, total) => {
      const pct = Math.floor((doneBytes / total) * 10) * 10;
      if (pct > reported) log("info", "model.fetching", { model: modelId, pct, bytes: doneBytes, totalBytes: total });
      reported = pct;
    },
  });
  log("info", "model.fetched", {
    model: modelId,
    status: result.status,
    bytes: result.bytes,
    fetchedBytes: result.fetchedBytes,
    ms: Math.round(result.ms),
  });
  return result;
}
