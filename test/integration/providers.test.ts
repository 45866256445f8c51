/**
 * Hosted fallbacks, end to end: every local GPU stage is forced to fail, the fallbacks go to
 * a local OpenAI-compatible server (standing in for OpenRouter) and a local Bedrock
 * endpoint (the real SDK client, endpoint override), both recording every request. No
 * vault value may appear in any of them.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { elementsFor } from "../../core/legal-elements.ts";
import { privacyGuard } from "../../functions/redaction/privacy-guard.ts";
import { startRecordingProviders as recordingProviders } from "../../workflows/recording-providers.ts";
import { writePdf } from "../../workflows/samples/pdf-writer.ts";
import { copyCase, makeTestHome, runCli, samples } from "../helpers.ts";

const hostedChains = {
  ExtractFacts: { fallback: ["openrouter:acme/case-model", "local:stories-260k-greedy"] },
  DraftDeclaration: { fallback: ["bedrock:anthropic.claude-haiku-4-5-20251001-v1:0", "local:stories-260k-greedy"] },
  JudgeFaithfulness: { fallback: ["openrouter:acme/judge", "local:stories-260k-greedy"] },
  JudgeCoverage: { fallback: ["bedrock:amazon.nova-pro-v1:0", "local:stories-260k-greedy"] },
  JudgeTone: { fallback: ["openrouter:acme/judge", "local:stories-260k-greedy"] },
  GuardrailsRewrite: { fallback: ["openrouter:acme/case-model", "local:stories-260k-greedy"] },
};
const allCrash = ["ExtractFacts", "DraftDeclaration", "JudgeFaithfulness", "JudgeCoverage", "JudgeTone", "GuardrailsRewrite"].flatMap(
  (s) => ["--fault", `${s}=crash`],
);

const providerEnv = (p: { env: Record<string, string> }) => p.env;

const secrets = {
  vawa: [
    "Elena",
    "Fictitia",
    "Marsh",
    "Derek",
    "Samplefield",
    "Rosa",
    "Exampleton",
    "A123456789",
    "123456789",
    "elena.marsh@example.com",
    "010-4477",
    "4417 Placeholder",
    "62704",
    "Jordan Testwell",
    "Morgan Fakerly",
  ],
  tvisa: [
    "Tomas",
    "Imaginario",
    "Vela",
    "Victor",
    "Fakename",
    "987-654-321",
    "987654321",
    "EAC2190012345",
    "010-3321",
    "1200 County Road",
    "93706",
    "Casey Nobody",
  ],
};

test("the T visa sample, rewrite included, completes through hosted fallbacks (recording providers, fixed answers) without sending PII; a hosted draft without the trafficker goes back to rewrite with that reason", async () => {
  const providers = await recordingProviders();
  try {
    const { env } = makeTestHome({ stages: hostedChains, maxRewrites: 1, scoreThreshold: 1 });
    const cli = await runCli(["run", samples.tvisa, "--approve", "--json", ...allCrash], { ...env, ...providerEnv(providers) });
    assert.equal(cli.code, 0, cli.stderr);
    const summary = JSON.parse(cli.stdout) as { states: Array<{ name: string; provider: string | null }> };
    assert.equal(summary.states.find((s) => s.name === "GuardrailsRewriteFallback")?.provider, "openrouter");
    assert.ok(
      providers.requests.some((r) => r.body.includes("Reviewers said")),
      "the rewrite prompt went to the hosted model",
    );
    // The fixed answer never names the trafficker: the placeholder check sent it back, with the reason.
    assert.equal(summary.states.filter((s) => s.name === "CheckPlaceholders").length, 2);
    assert.ok(
      providers.requests.some((r) => /Placeholders: recruitment: the trafficker \(\[PERSON_\d+\]\) must appear/.test(r.body)),
      "the reason reached the hosted rewrite",
    );
    assert.ok(
      providers.requests.some((r) => /Roles:\\n\[PERSON_1\]: declarant/.test(r.body)),
      "the legend went with the prompts",
    );
    const leaks = providers.requests.flatMap((r) => secrets.tvisa.filter((s) => r.body.includes(s)).map((s) => `${r.url}: ${s}`));
    assert.deepEqual(leaks, []);
  } finally {
    await providers.close();
  }
});

test("with every local stage failing, the case completes through Bedrock and OpenRouter, and no PII is sent", async () => {
  const providers = await recordingProviders();
  try {
    const { env } = makeTestHome({ stages: hostedChains });
    const cli = await runCli(["run", samples.vawa, "--approve", "--json", ...allCrash], { ...env, ...providerEnv(providers) });
    assert.equal(cli.code, 0, cli.stderr);
    const summary = JSON.parse(cli.stdout) as {
      outputDir: string;
      states: Array<{
        name: string;
        provider: string | null;
        model: string | null;
        fallbackReason: string | null;
        tokensIn: number | null;
      }>;
    };
    const by = (n: string) => summary.states.find((s) => s.name === n)!;
    assert.equal(by("ExtractFactsFallback").provider, "openrouter");
    assert.equal(by("ExtractFactsFallback").model, "acme/case-model");
    assert.equal(by("ExtractFactsFallback").fallbackReason, "Affiant.WorkerCrashed");
    assert.equal(by("DraftDeclarationFallback").provider, "bedrock");
    // The sample's case.json names no variant: the VAWA default's elements, one response each.
    const elements = elementsFor("VAWA").length;
    assert.equal(
      by("DraftDeclarationFallback").tokensIn,
      210 * elements,
      `usage from each Bedrock response, one per legal element (${elements})`,
    );
    assert.equal(by("JudgeCoverageFallback").provider, "bedrock");
    assert.equal(by("JudgeToneFallback").provider, "openrouter");

    const declaration = readFileSync(path.join(summary.outputDir, "declaration.md"), "utf8");
    assert.match(
      declaration,
      /I, Elena Fictitia Marsh, remember this clearly/,
      "placeholders from the hosted model are re-injected inside the account",
    );

    const chat = providers.requests.filter((r) => r.url === "/api/v1/chat/completions");
    const converse = providers.requests.filter((r) => r.url.endsWith("/converse"));
    assert.ok(chat.length >= 3 && converse.length >= 6, `requests: ${chat.length} chat, ${converse.length} converse`);
    for (const r of chat) {
      assert.equal(r.headers.authorization, `Bearer ${providers.env.OPENROUTER_API_KEY}`);
      assert.deepEqual(JSON.parse(r.body).provider, { data_collection: "deny" });
    }
    for (const r of converse)
      assert.match(String(r.headers.authorization), /^AWS4-HMAC-SHA256 /, "the real SDK signed the Bedrock request");
    const leaks = providers.requests.flatMap((r) => secrets.vawa.filter((s) => r.body.includes(s)).map((s) => `${r.url}: ${s}`));
    assert.deepEqual(leaks, []);
    assert.ok(
      providers.requests.some((r) => r.body.includes("[PERSON_1]")),
      "prompts carry placeholders instead",
    );
  } finally {
    await providers.close();
  }
});

test("a prompt holding a real value is refused before it leaves; the local fallback still runs", async () => {
  const providers = await recordingProviders();
  try {
    const { home, env } = makeTestHome({ stages: hostedChains });
    const dir = copyCase(samples.vawa, path.join(home, "case"));
    // A phone number written with no separators slips past the phone rules (they need its
    // groups); the guard, which compares numbers by their digits, does not.
    await writePdf(path.join(dir, "signature.pdf"), [["Signed under penalty of perjury by the declarant; reach her at 5550104477."]]);
    const cli = await runCli(["run", dir, "--approve", "--json", "--fault", "ExtractFacts=crash"], { ...env, ...providerEnv(providers) });
    assert.equal(cli.code, 0, cli.stderr);
    const summary = JSON.parse(cli.stdout) as { states: Array<{ name: string; provider: string | null; fallbackReason: string | null }> };
    const fallback = summary.states.find((s) => s.name === "ExtractFactsFallback")!;
    assert.equal(fallback.provider, "local", "the hosted provider was refused, the local model answered");
    assert.equal(providers.requests.filter((r) => r.url === "/api/v1/chat/completions").length, 0, "nothing was sent to OpenRouter");
    const logs = readFileSync(path.join(home, "logs", "affiant.jsonl"), "utf8");
    assert.match(logs, /"event":"fallback.failed".*"stage":"ExtractFacts".*"provider":"openrouter".*"error":"Affiant.PrivacyViolation"/);
    assert.ok(!/elena|fictitia|5550104477|010-4477/i.test(logs), "the refusal names no value");
  } finally {
    await providers.close();
  }
});

test("the privacy guard knows names, their parts and numbers however they are written", () => {
  const guard = privacyGuard(
    new Map([
      ["[PERSON_1]", "Will Green"],
      ["[A_NUMBER_1]", "A-123-456-789"],
      ["[PHONE_1]", "(555) 010-4477"],
    ]),
  );
  const refused = (p: string) =>
    assert.throws(
      () => guard.check("S", p),
      (e: Error) => e.name === "Affiant.PrivacyViolation" && !e.message.includes("Green"),
    );
  refused("WILL GREEN signed it");
  refused("will green signed it");
  refused("then Green left");
  refused("file A123456789");
  refused("call 555.010.4477");
  for (const ok of ["[PERSON_1] will go home", "8 U.S.C. § 1154(a)(1)(A)(iii) and INA § 101(a)(15)(T)", "a green card", "[A_NUMBER_1]"])
    guard.check("S", ok);
});

test("inside Lambda a local: fallback is skipped with its reason, never started there", async () => {
  const { env } = makeTestHome({ stages: { ExtractFacts: { fallback: ["local:stories-260k-greedy"] } } });
  const saved = { ...process.env };
  Object.assign(process.env, env, { AWS_LAMBDA_FUNCTION_NAME: "affiant-generate-fallback" });
  try {
    const { generateFallback } = await import("../../functions/generate-fallback.ts");
    const state = { caseId: "vawa-sample-0001", runKey: "runs/x", executionName: "lambda-test" } as never;
    await assert.rejects(
      generateFallback({ stage: "ExtractFacts", state, failure: { Error: "States.HeartbeatTimeout" }, executionName: "lambda-test" }),
      (err: Error) =>
        err.name === "Affiant.NoProviderAvailable" &&
        /local:stories-260k-greedy: local models run on the GPU hosts, not inside Lambda/.test(err.message),
    );
  } finally {
    process.env = saved;
  }
});
