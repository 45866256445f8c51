/**
 * Bedrock models a registry calls must still be offered: every Bedrock id of a shipped registry
 * is Active in the checked-in lifecycle snapshot; `affiant models check --bedrock` asks
 * GetFoundationModel (signed, against a stand-in control plane that answers from the snapshot);
 * and the Bedrock runtime stand-in refuses a model Bedrock would refuse.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { bedrock } from "../../core/providers/bedrock.ts";
import { signedFoundationModelLookup } from "../../core/providers/bedrock-control.ts";
import {
  type LifecycleSnapshot,
  loadLifecycleSnapshot,
  registryBedrockIds,
  registryLifecycleProblems,
} from "../../core/providers/bedrock-lifecycle.ts";
import { loadRegistry, type Registry } from "../../core/registry.ts";
import { checkBedrockLifecycle, startFoundationModelStandIn } from "../../workflows/bedrock-lifecycle-check.ts";
import { root } from "../helpers.ts";

const snapshot = loadLifecycleSnapshot();
const today = "2026-12-05";
const credentials = async () => ({ accessKeyId: "AKIDSTANDIN", secretAccessKey: "stand-in-secret" });

test("the lifecycle snapshot is dated and names its source; each row says what it rests on", () => {
  assert.match(snapshot.read, /^\d{4}-\d{2}-\d{2}$/);
  assert.ok(Object.values(snapshot.sources).every((u) => u.startsWith("https://docs.aws.amazon.com/bedrock/")));
  for (const [id, row] of Object.entries(snapshot.models)) assert.ok(row.basis.length > 20, `${id}: no basis`);
});

for (const file of ["models/registry.g5.json", "models/registry.json"]) {
  test(`every Bedrock model ${file} calls is Active in the snapshot`, () => {
    const registry = loadRegistry(path.join(root, file));
    assert.ok(registryBedrockIds(registry).length > 0);
    assert.deepEqual(registryLifecycleProblems(registry, snapshot, today), []);
  });
}

test("a registry whose chain starts with a Legacy model is refused, naming the model and its end of life", () => {
  const registry = loadRegistry(path.join(root, "models/registry.g5.json"));
  const stale = structuredClone(registry) as Registry;
  stale.stages.ExtractFacts!.fallback = ["bedrock:us.anthropic.claude-3-5-haiku-20241022-v1:0", ...stale.stages.ExtractFacts!.fallback];
  const problems = registryLifecycleProblems(stale, snapshot, today);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /us\.anthropic\.claude-3-5-haiku-20241022-v1:0: LEGACY, end of life 2026-06-19/);
  const unknown = structuredClone(registry) as Registry;
  unknown.stages.ExtractFacts!.fallback = ["bedrock:anthropic.claude-made-up-v9:0"];
  assert.match(registryLifecycleProblems(unknown, snapshot, today)[0]!, /not in the Bedrock lifecycle snapshot/);
});

test("models check --bedrock: GetFoundationModel, signed, answers Active for the shipped registry; Legacy and unknown ids fail", async () => {
  const control = await startFoundationModelStandIn(snapshot);
  try {
    const lookup = signedFoundationModelLookup({ region: "us-east-1", endpoint: control.origin, credentials });
    const registry = loadRegistry(path.join(root, "models/registry.g5.json"));
    const rows = await checkBedrockLifecycle(registry, lookup, snapshot);
    assert.ok(rows.length >= 3);
    assert.deepEqual(
      rows.filter((r) => r.problems.length),
      [],
    );
    assert.ok(rows.every((r) => r.status === "ACTIVE"));

    assert.deepEqual(await lookup.lifecycle("anthropic.claude-3-5-haiku-20241022-v1:0"), {
      modelId: "anthropic.claude-3-5-haiku-20241022-v1:0",
      status: "LEGACY",
    });
    assert.equal((await lookup.lifecycle("anthropic.claude-made-up-v9:0")).status, undefined);
    // The snapshot disagreeing with Bedrock is a problem of its own: the snapshot is stale.
    const stale: LifecycleSnapshot = structuredClone(snapshot);
    stale.models["amazon.nova-pro-v1:0"]!.status = "LEGACY";
    const staleRows = await checkBedrockLifecycle(registry, lookup, stale);
    assert.match(staleRows.find((r) => r.modelId === "amazon.nova-pro-v1:0")!.problems.join(), /snapshot .* says LEGACY/);
    // Unsigned requests are refused, as Bedrock refuses them.
    assert.equal((await fetch(`${control.origin}/foundation-models/amazon.nova-pro-v1:0`)).status, 403);
  } finally {
    await control.close();
  }
});

test("the Bedrock runtime stand-in refuses a Legacy or unknown model id, as Bedrock refuses a new customer", () => {
  const standIn = bedrock.standIn!;
  const body = { messages: [{ role: "user", content: [{ text: "hello" }] }] };
  const answer = () => "an answer";
  const converse = (id: string) => standIn.respond(`/model/${encodeURIComponent(id)}/converse`, body, answer);
  assert.equal(converse("us.anthropic.claude-3-5-haiku-20241022-v1:0"), undefined);
  assert.equal(converse("anthropic.claude-made-up-v9:0"), undefined);
  assert.ok(converse("us.anthropic.claude-haiku-4-5-20251001-v1:0"));
  assert.ok(standIn.respond("/model/amazon.titan-embed-text-v2%3A0/invoke", { inputText: "x", dimensions: 4 }, answer));
});
