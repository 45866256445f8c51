/**
 * Verifies AWS Signature V4 on requests to the local Step Functions endpoint. The request
 * is signed again with the SDK's own signer (@smithy/signature-v4) over exactly the headers
 * the client signed, and the two signatures are compared in constant time: no hand-written
 * canonicalisation to drift from AWS's.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";

import { ReplayCacheFullError, SigV4Error } from "../core/errors.ts";
import { NodeSha256 } from "../core/node-sha256.ts";

/** Its errors live with every other in core/errors.ts; re-exported for its callers. */
export { NodeSha256, ReplayCacheFullError, SigV4Error };

export interface SignedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string | Uint8Array;
}

export interface VerifyOptions {
  /** Known access key ids and their secrets; the request names one. */
  keys: ReadonlyMap<string, string>;
  /** Signatures already accepted: a second request with one is a replay. */
  replays?: ReplayCache;
  /** Allowed clock skew, as AWS allows: 15 minutes. */
  maxSkewMs?: number;
  now?: number;
}

const authPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Headers a request must sign: without `host` a signature is good against any server,
 * without `x-amz-target` a captured StartExecution could be replayed as StopExecution.
 */
const requiredSigned = ["host", "x-amz-date", "x-amz-target"];

/**
 * Signatures seen within the skew window. A signature covers the time, target and body, so
 * a second request with it is a replay; entries older than the window can go, because the
 * skew check refuses such requests anyway. Bounded: when full of live entries, new requests
 * are refused (the caller answers ThrottlingException) rather than forgetting any.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(
    readonly windowMs = 2 * 15 * 60_000,
    readonly maxEntries = 100_000,
  ) {}

  /** False when the signature was seen before. Throws when the cache is full. */
  remember(signature: string, now = Date.now()): boolean {
    if (this.seen.has(signature)) return false;
    // Insertion order is time order: prune from the front.
    for (const [sig, at] of this.seen) {
      if (now - at <= this.windowMs) break;
      this.seen.delete(sig);
    }
    if (this.seen.size >= this.maxEntries)
      throw new ReplayCacheFullError(`more than ${this.maxEntries} signed requests in ${this.windowMs / 60_000} minutes`);
    this.seen.set(signature, now);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

/** The access key id the request was signed with, once verified. */
export async function verifySigV4(request: SignedRequest, options: VerifyOptions): Promise<string> {
  const header = request.headers.get("authorization");
  if (!header) throw new SigV4Error("MissingAuthenticationToken", "the request is not signed (Signature Version 4 is required)");
  const m = authPattern.exec(header);
  if (!m) throw new SigV4Error("InvalidSignatureException", "the Authorization header is not an AWS4-HMAC-SHA256 signature");
  const [, accessKeyId, , region, service, signedHeaderList, signature] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const secretAccessKey = options.keys.get(accessKeyId);
  if (secretAccessKey === undefined) throw new SigV4Error("UnrecognizedClientException", "the access key id is not known here");
  const amzDate = request.headers.get("x-amz-date");
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!signingDate) throw new SigV4Error("InvalidSignatureException", "x-amz-date is missing or malformed");
  const skew = Math.abs((options.now ?? Date.now()) - signingDate.getTime());
  if (skew > (options.maxSkewMs ?? 15 * 60_000))
    throw new SigV4Error("InvalidSignatureException", "signature expired: the request time is too far from the server time");

  const signedHeaders = signedHeaderList.split(";");
  for (const name of requiredSigned) {
    if (!signedHeaders.includes(name)) throw new SigV4Error("InvalidSignatureException", `the signature must cover the ${name} header`);
  }
  // The signer takes x-amz-content-sha256 on trust; a client that sends it (the JS SDK does,
  // botocore does not) must send the body's real hash. UNSIGNED-PAYLOAD would leave the
  // body unbound, so it is refused too.
  const bodyHash = createHash("sha256").update(request.body).digest("hex");
  const claimed = request.headers.get("x-amz-content-sha256");
  if (claimed !== null && claimed !== bodyHash)
    throw new SigV4Error("InvalidSignatureException", "x-amz-content-sha256 does not match the body");
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers.get(name);
    if (value === null) throw new SigV4Error("InvalidSignatureException", `signed header ${name} is missing`);
    headers[name] = value;
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region,
    service,
    sha256: NodeSha256,
    // Signs exactly the client's headers: by default the signer adds x-amz-content-sha256
    // and signs it, which botocore (the AWS CLI) neither sends nor signs.
    applyChecksum: false,
  });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of request.url.searchParams) query[k] = k in query ? [query[k]!].flat().concat(v) : v;
  const resigned = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      port: request.url.port ? Number(request.url.port) : undefined,
      path: request.url.pathname,
      query,
      headers,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(resigned.headers.authorization ?? resigned.headers.Authorization))?.[1] ?? "";
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new SigV4Error("InvalidSignatureException", "the request signature we calculated does not match the signature you provided");
  }
  // Only a valid signature is remembered: an attacker cannot fill the cache with junk.
  if (options.replays && !options.replays.remember(signature, options.now)) {
    throw new SigV4Error("InvalidSignatureException", "this signature was already used (a replayed request); sign each request afresh");
  }
  return accessKeyId;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}
