/**
 * `affiant models check --bedrock`: asks Bedrock (GetFoundationModel) for the lifecycle state of
 * every Bedrock model the registry may call, before a deploy, and compares the answer with the
 * checked-in snapshot (models/bedrock-lifecycle.json), so a stale snapshot is named too. Also
 * the stand-in control plane the tests and the rehearsal ask: it answers from the snapshot and,
 * like Bedrock, knows no model the snapshot does not list.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { FoundationModelLookup } from "../core/providers/bedrock-control.ts";
import { foundationModelId, type LifecycleSnapshot, registryBedrockIds } from "../core/providers/bedrock-lifecycle.ts";
import type { Registry } from "../core/registry.ts";

export interface BedrockLifecycleRow {
  /** The id as the registry names it (an inference profile or a foundation model). */
  id: string;
  modelId: string;
  /** What Bedrock answered; undefined: not offered. */
  status: string | undefined;
  /** What the snapshot says. */
  snapshot: string | undefined;
  problems: string[];
}

export async function checkBedrockLifecycle(
  registry: Registry,
  lookup: FoundationModelLookup,
  snapshot: LifecycleSnapshot,
): Promise<BedrockLifecycleRow[]> {
  const rows: BedrockLifecycleRow[] = [];
  for (const id of registryBedrockIds(registry)) {
    const modelId = foundationModelId(id);
    const answer = await lookup.lifecycle(modelId);
    const known = snapshot.models[modelId]?.status;
    const problems: string[] = [];
    if (answer.status === undefined) problems.push(`Bedrock does not offer ${modelId}`);
    else if (answer.status !== "ACTIVE") problems.push(`Bedrock says ${answer.status}: move the registry to an Active model`);
    if (known !== answer.status)
      problems.push(`the snapshot (models/bedrock-lifecycle.json, read ${snapshot.read}) says ${known ?? "nothing"}: update it`);
    rows.push({ id, modelId, status: answer.status, snapshot: known, problems });
  }
  return rows;
}

/**
 * GetFoundationModel as Bedrock answers it, from the snapshot: 404 for an id it does not list,
 * 403 for a request without a SigV4 signature for service `bedrock`.
 */
export async function startFoundationModelStandIn(snapshot: LifecycleSnapshot): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/bedrock\/aws4_request/.test(String(req.headers.authorization ?? "")))
      return json(403, { message: "Missing Authentication Token" });
    const id = /^\/foundation-models\/([^/?]+)$/.exec(req.url ?? "")?.[1];
    const row = id ? snapshot.models[decodeURIComponent(id)] : undefined;
    if (req.method !== "GET" || !id || !row) return json(404, { message: "The specified model identifier is not found." });
    json(200, { modelDetails: { modelId: decodeURIComponent(id), modelLifecycle: { status: row.status } } });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
