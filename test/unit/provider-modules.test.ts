/**
 * A provider is one module (core/providers/): the registry's fallback refs, `hostedProvider()`,
 * the cost ledger's prices, the fallback's linked secrets and the stage report's provider all
 * derive from the list in core/providers/index.ts. A throwaway module, in a list of its own,
 * goes through the same derivations; the fallback's IAM statements and linked secrets are
 * checked in test/unit/infra.test.ts (infra/ type-checks with the SST platform's Pulumi).
 */

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { type ProviderName, providerNames, providerSecrets, providers } from "../../core/providers/index.ts";
import { defineProvider, type HostedProvider } from "../../core/providers/types.ts";
import { fallbackRefSchema, loadRegistry, stageCostUsd } from "../../core/registry.ts";
import type { StageReport } from "../../core/stages/report.ts";
import { hostedProvider } from "../../functions/generate-fallback.ts";
import { root, testTmp } from "../helpers.ts";

/** A registry file like the shipped toy one, with JudgeTone's chain replaced. */
function registryWithChain(fallback: string[], edit: (r: any) => void = () => {}): string {
  const tmp = testTmp;
  mkdirSync(tmp, { recursive: true });
  const dir = mkdtempSync(path.join(tmp, "providers-"));
  const registry = JSON.parse(readFileSync(path.join(root, "models/registry.json"), "utf8"));
  registry.stages.JudgeTone.fallback = fallback;
  edit(registry);
  const file = path.join(dir, "registry.json");
  writeFileSync(file, JSON.stringify(registry));
  return file;
}

const throwaway = defineProvider({
  name: "throwaway",
  async client(model): Promise<HostedProvider<"throwaway">> {
    return { name: "throwaway", model, complete: async () => ({ text: "{}", tokensIn: 1, tokensOut: 1, ms: 1 }) };
  },
  secrets: [{ name: "ThrowawayKey", placeholder: "unset" }],
  statements: (ids) => [{ actions: ["throwaway:Invoke"], resources: ids.map((id) => `arn:throwaway:::model/${id}`) }],
});

test("every provider in the index is a valid fallback ref; an unknown one is refused, naming every valid provider", () => {
  assert.deepEqual(providerNames(), ["local", ...providers.map((p) => p.name)]);
  for (const p of providers) {
    const registry = loadRegistry(registryWithChain([`${p.name}:some-model`, "local:stories-260k-greedy"]));
    assert.equal(registry.stages.JudgeTone!.fallback[0], `${p.name}:some-model`);
  }
  assert.throws(
    () => loadRegistry(registryWithChain(["carrier-pigeon:coo-1"])),
    (err: Error) =>
      err.name === "Affiant.InvalidInput" &&
      /stages\.JudgeTone\.fallback\.0/.test(err.message) &&
      err.message.includes(`one of ${providerNames().join(", ")}`),
  );
  assert.throws(() => loadRegistry(registryWithChain(["bedrock:"])), /stages\.JudgeTone\.fallback\.0/, "a provider without a model");
});

test("a throwaway provider module is valid in its own list and only there", () => {
  const list = [...providers, throwaway];
  assert.equal(fallbackRefSchema(list).safeParse("throwaway:m-1").success, true);
  assert.equal(fallbackRefSchema().safeParse("throwaway:m-1").success, false);
  assert.equal(fallbackRefSchema([throwaway]).safeParse("bedrock:m-1").success, false);
  assert.equal(fallbackRefSchema([throwaway]).safeParse("local:m-1").success, true, "local is always a provider");
});

test("hostedProvider() builds each module's client, and nothing for a name outside the list", async () => {
  const fake = await hostedProvider("throwaway", "m-1", [throwaway]);
  assert.equal(fake?.name, "throwaway");
  assert.equal(fake?.model, "m-1");
  assert.equal(await hostedProvider("throwaway", "m-1"), undefined, "not in the index");
  assert.equal(await hostedProvider("bedrock", "m-1", [throwaway]), undefined, "not in this list");
  // Configured as each would be: a region and credentials for Bedrock, a key for OpenRouter.
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "x",
    OPENROUTER_API_KEY: "sk-or-test",
  });
  try {
    for (const p of providers) {
      const client = await hostedProvider(p.name, "some-model");
      assert.equal(client?.name, p.name, `${p.name}: a client when configured`);
      assert.equal(client?.model, "some-model");
    }
  } finally {
    for (const k of ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "OPENROUTER_API_KEY"])
      if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
});

test("not configured, a provider has no client (the fallback skips it, saying so)", async () => {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (/^(AWS_|OPENROUTER_)/.test(k)) delete process.env[k];
  try {
    for (const p of providers) assert.equal(await hostedProvider(p.name, "some-model"), undefined, p.name);
  } finally {
    Object.assign(process.env, saved);
  }
});

test("each provider's price is found under its module's pricing key", () => {
  const hosted = Object.fromEntries(providers.map((p, i) => [p.pricingKey("m-1"), { inputPerMTokUsd: i + 1, outputPerMTokUsd: 0 }]));
  const registry = loadRegistry(registryWithChain(["local:stories-260k-greedy"], (r) => (r.pricing.hosted = hosted)));
  providers.forEach((p, i) => {
    assert.equal(stageCostUsd(registry, { provider: p.name, model: "m-1", wallMs: 0, tokensIn: 1e6, tokensOut: 0 }), i + 1, p.name);
  });
  assert.equal(stageCostUsd(registry, { provider: "unknown", model: "m-1", wallMs: 0, tokensIn: 1e6, tokensOut: 0 }), 0, "unpriced is 0");
});

test("provider secrets are each module's, in list order", () => {
  assert.deepEqual(
    providerSecrets(),
    providers.flatMap((p) => p.secrets),
  );
  assert.deepEqual(providerSecrets([throwaway]), [{ name: "ThrowawayKey", placeholder: "unset" }]);
});

test("the stage report's provider is local or a name from the index", () => {
  // Compile-time: every index name is a ProviderName, and so a StageReport provider.
  const names: ProviderName[] = ["local", ...providers.map((p) => p.name)];
  const report: Pick<StageReport, "provider">[] = names.map((provider) => ({ provider }));
  assert.equal(report.length, providers.length + 1);
});

test("Bedrock gets a JSON stage's schema as the `answer` tool: forced for Claude and Nova (ids and inference profiles), offered to Llama, which takes no forced choice", async () => {
  const { answerTool } = await import("../../core/providers/bedrock.ts");
  const schema = { type: "object", properties: { a: { type: "string" } } };
  for (const model of [
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    "us.amazon.nova-pro-v1:0",
  ]) {
    const tool = answerTool(model, schema);
    assert.deepEqual(tool.tools![0]!.toolSpec!.inputSchema, { json: schema }, model);
    assert.deepEqual(tool.toolChoice, { tool: { name: "answer" } }, model);
  }
  const llama = answerTool("us.meta.llama3-3-70b-instruct-v1:0", schema);
  assert.equal(llama.tools![0]!.toolSpec!.name, "answer");
  assert.equal(llama.toolChoice, undefined, "offered, not forced");
});
