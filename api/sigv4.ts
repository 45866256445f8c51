/**
 * Verifies AWS Signature V4 on requests to the local Step Functions endpoint. The request
 * is signed again with the SDK's own signer (@smithy/signature-v4) over exactly the headers
 * the client signed, and the two signatures are compared in constant time: no hand-written
 * canonicalisation to drift from AWS's.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";

export class SigV4Error extends Error {
  constructor(
    name: "MissingAuthenticationToken" | "UnrecognizedClientException" | "InvalidSignatureException",
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** node:crypto behind the Hash interface the signer expects (update / digest). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

export interface SignedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

export interface VerifyOptions {
  accessKeyId: string;
  secretAccessKey: string;
  /** Allowed clock skew, as AWS allows: 15 minutes. */
  maxSkewMs?: number;
  now?: number;
}

const authPattern = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

export async function verifySigV4(request: SignedRequest, options: VerifyOptions): Promise<void> {
  const header = request.headers.get("authorization");
  if (!header) throw new SigV4Error("MissingAuthenticationToken", "the request is not signed (Signature Version 4 is required)");
  const m = authPattern.exec(header);
  if (!m) throw new SigV4Error("InvalidSignatureException", "the Authorization header is not an AWS4-HMAC-SHA256 signature");
  const [, accessKeyId, , region, service, signedHeaderList, signature] = m as unknown as [string, string, string, string, string, string, string];
  if (accessKeyId !== options.accessKeyId) throw new SigV4Error("UnrecognizedClientException", "the access key id is not known here");
  const amzDate = request.headers.get("x-amz-date");
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!signingDate) throw new SigV4Error("InvalidSignatureException", "x-amz-date is missing or malformed");
  const skew = Math.abs((options.now ?? Date.now()) - signingDate.getTime());
  if (skew > (options.maxSkewMs ?? 15 * 60_000)) throw new SigV4Error("InvalidSignatureException", "signature expired: the request time is too far from the server time");

  const signedHeaders = signedHeaderList.split(";");
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers.get(name);
    if (value === null) throw new SigV4Error("InvalidSignatureException", `signed header ${name} is missing`);
    headers[name] = value;
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    region,
    service,
    sha256: NodeSha256,
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
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}
