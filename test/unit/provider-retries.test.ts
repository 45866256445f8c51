/**
 * The hosted providers' own behaviour, against local endpoints: retries with backoff on
 * throttling and 5xx, none on a validation error, a deadline on every call, and failures
 * named with provider, model and status.
 */

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createServer as createH2cServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { BedrockProvider } from "../../core/providers/bedrock.ts";
import { OpenRouterProvider } from "../../core/providers/openrouter.ts";

const ok = (content: string) =>
  JSON.stringify({
    id: "c",
    object: "chat.completion",
    created: 0,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });

/** Answers with the given statuses in turn, then 200; `delayMs` holds every answer back. */
async function scripted(statuses: number[], body: (n: number) => string, delayMs = 0, h2 = false) {
  let n = 0;
  const handler = (req: any, res: any) => {
    req.resume();
    req.on("end", () => {
      const status = statuses[n] ?? 200;
      n++;
      setTimeout(() => {
        res.writeHead(status, { "content-type": "application/json", ...(status === 429 ? { "retry-after-ms": "10" } : {}) });
        res.end(
          status === 200
            ? body(n)
            : JSON.stringify({
                error: { message: "nope" },
                message: "nope",
                __type: status === 400 ? "ValidationException" : status === 429 ? "ThrottlingException" : "ServiceUnavailableException",
              }),
        );
      }, delayMs);
    });
  };
  const server = h2 ? createH2cServer(handler) : createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => n,
    close: () => new Promise((r) => server.close(r)),
  };
}

const request = { stage: "JudgeTone", prompt: "Score it.", maxTokens: 20, temperature: 0 };

test("OpenRouter: throttling and 5xx are retried, then the answer comes back", async () => {
  const s = await scripted([429, 503], () => ok("fine"));
  try {
    const p = await OpenRouterProvider.create({ model: "acme/judge", apiKey: "k", baseURL: `${s.url}/api/v1` });
    const r = await p.complete(request);
    assert.equal(r.text, "fine");
    assert.equal(s.calls(), 3);
    assert.equal(r.tokensIn, 3);
  } finally {
    await s.close();
  }
});

test("OpenRouter: a validation error is not retried and is named with provider, model and status", async () => {
  const s = await scripted([400], () => ok("never"));
  try {
    const p = await OpenRouterProvider.create({ model: "acme/judge", apiKey: "k", baseURL: `${s.url}/api/v1` });
    await assert.rejects(
      p.complete(request),
      (e: Error & { provider?: string; model?: string }) =>
        e.name === "Affiant.ProviderError" && e.provider === "openrouter" && e.model === "acme/judge" && /\(400: /.test(e.message),
    );
    assert.equal(s.calls(), 1);
  } finally {
    await s.close();
  }
});

test("OpenRouter: every call has a deadline", async () => {
  const s = await scripted([], () => ok("late"), 3000);
  try {
    const p = await OpenRouterProvider.create({ model: "acme/judge", apiKey: "k", baseURL: `${s.url}/api/v1`, timeoutMs: 200 });
    await assert.rejects(p.complete(request), (e: Error) => e.name === "Affiant.ProviderError" && /\(timeout: /.test(e.message));
    assert.equal(s.calls(), 4, "each attempt hit its deadline; the SDK retried three times, then gave up");
  } finally {
    await s.close();
  }
});

test("Bedrock: a 5xx is retried by the SDK, a validation error is not", async () => {
  const converse = () =>
    JSON.stringify({
      output: { message: { role: "assistant", content: [{ text: "fine" }] } },
      stopReason: "end_turn",
      usage: { inputTokens: 4, outputTokens: 1, totalTokens: 5 },
      metrics: { latencyMs: 1 },
    });
  const client = (url: string) =>
    new BedrockRuntimeClient({
      endpoint: url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
      maxAttempts: 3,
      retryMode: "standard",
    });
  const flaky = await scripted([503], converse, 0, true);
  try {
    const r = await (await BedrockProvider.create({ model: "amazon.nova-test", client: client(flaky.url) })).complete(request);
    assert.equal(r.text, "fine");
    assert.equal(flaky.calls(), 2);
  } finally {
    await flaky.close();
  }
  const invalid = await scripted([400], converse, 0, true);
  try {
    await assert.rejects(
      (await BedrockProvider.create({ model: "amazon.nova-test", client: client(invalid.url) })).complete(request),
      (e: Error & { provider?: string }) =>
        e.name === "Affiant.ProviderError" && e.provider === "bedrock" && /\(400: ValidationException\)/.test(e.message),
    );
    assert.equal(invalid.calls(), 1);
  } finally {
    await invalid.close();
  }
});
