/**
 * Bedrock's control plane, one call: GetFoundationModel (`GET /foundation-models/{id}` on
 * `bedrock.<region>.amazonaws.com`), for `modelDetails.modelLifecycle.status`. Signed with the
 * SDK's own signer (@smithy/signature-v4) and the credentials of the default chain (taken
 * from the runtime client's config), since @aws-sdk/client-bedrock is not a dependency. The
 * lookup is an interface so `affiant models check --bedrock` runs against a stand-in in tests.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { config } from "../config.ts";
import { NodeSha256 } from "../node-sha256.ts";
import type { LifecycleStatus } from "./bedrock-lifecycle.ts";

export interface FoundationModelLifecycle {
  modelId: string;
  /** undefined: Bedrock does not offer this model id (404). */
  status: LifecycleStatus | undefined;
}

export interface FoundationModelLookup {
  lifecycle(modelId: string, signal?: AbortSignal): Promise<FoundationModelLifecycle>;
}

export interface SignedLookupOptions {
  region: string;
  /** Default: `AFFIANT_BEDROCK_CONTROL_ENDPOINT`, else `https://bedrock.<region>.amazonaws.com`. */
  endpoint?: string;
  /** Default: the SDK's default credential chain. */
  credentials?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** Per-call deadline. Default: 15 s. */
  timeoutMs?: number;
}

export function signedFoundationModelLookup(options: SignedLookupOptions): FoundationModelLookup {
  const endpoint = new URL(
    options.endpoint ?? config().AFFIANT_BEDROCK_CONTROL_ENDPOINT ?? `https://bedrock.${options.region}.amazonaws.com`,
  );
  const credentials =
    options.credentials ??
    (async () => {
      const { BedrockRuntimeClient } = await import("@aws-sdk/client-bedrock-runtime");
      return new BedrockRuntimeClient({ region: options.region }).config.credentials();
    });
  const signer = new SignatureV4({ service: "bedrock", region: options.region, credentials, sha256: NodeSha256 });
  return {
    async lifecycle(modelId, signal) {
      const path = `/foundation-models/${encodeURIComponent(modelId)}`;
      const signed = await signer.sign({
        method: "GET",
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port ? Number(endpoint.port) : undefined,
        path,
        headers: { host: endpoint.host, accept: "application/json" },
      });
      const res = await fetch(new URL(path, endpoint), {
        headers: signed.headers as Record<string, string>,
        signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 15_000), ...(signal ? [signal] : [])]),
      });
      if (res.status === 404) return { modelId, status: undefined };
      const body = (await res.json().catch(() => ({}))) as {
        message?: string;
        modelDetails?: { modelLifecycle?: { status?: LifecycleStatus } };
      };
      if (!res.ok) throw new Error(`GetFoundationModel ${modelId}: HTTP ${res.status}${body.message ? `: ${body.message}` : ""}`);
      return { modelId, status: body.modelDetails?.modelLifecycle?.status };
    },
  };
}
