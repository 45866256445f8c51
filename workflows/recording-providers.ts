/**
 * Stand-in hosted models for game days and tests: an OpenAI-compatible endpoint (what
 * OpenRouter speaks, HTTP/1.1) and a Bedrock runtime endpoint (Converse, HTTP/2 cleartext,
 * reached by the real SDK client through an endpoint override; Converse, and Titan embeddings
 * through InvokeModel). Both record every request
 * body, so a game day can prove that no vault value ever left in one. They answer each
 * stage in the shape its prompt asks for; they are not models.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createH2cServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { AddressInfo } from "node:net";
import { stageModules } from "../core/stages/index.ts";
import { config } from "../core/config.ts";
import type { HostedProviderName } from "../core/providers/index.ts";
import { extractJson, jsonAnswerName } from "../core/providers/types.ts";

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface RecordedRequest {
  /** The provider module whose wire protocol this stand-in speaks (one server each). */
  provider: HostedProviderName;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Canned answers, in the shape each stage's prompt asks for: a structured stage's module
 * (core/stages/) names a phrase of its prompt and a sample answer; the free-text stages get a
 * paragraph. Sources are cited as the prompts name them: file names are placeholders too
 * ([DOCUMENT_1] is the first file).
 */
export function cannedAnswer(prompt: string): string {
  for (const { sample } of stageModules) {
    if (sample && prompt.includes(sample.promptMarker)) return typeof sample.answer === "string" ? sample.answer : sample.answer(prompt);
  }
  return "I, [PERSON_1], remember this clearly. It happened as the records say.";
}

export interface RecordingProvidersOptions {
  /**
   * A test's own fixed answer for a prompt (scripted model output), or undefined for the
   * canned one: how a test sends a hosted answer the pipeline must catch.
   */
  answer?: (prompt: string) => string | undefined;
}

export interface RecordingProviders {
  requests: RecordedRequest[];
  openrouterUrl: string;
  bedrockUrl: string;
  /** The environment that points Affiant's providers at these endpoints. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startRecordingProviders(options: RecordingProvidersOptions = {}): Promise<RecordingProviders> {
  const requests: RecordedRequest[] = [];
  const answer = (prompt: string) => options.answer?.(prompt) ?? cannedAnswer(prompt);
  const handle = (provider: RecordedRequest["provider"]) => (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d));
    req.on("end", () => {
      requests.push({ provider, url: req.url!, headers: req.headers, body });
      let parsed: any;
      try {
        parsed = JSON.parse(body || "{}");
      } catch {
        res.statusCode = 400;
        return res.end("{}");
      }
      res.setHeader("content-type", "application/json");
      if (req.url === "/api/v1/chat/completions") {
        const prompt = String(parsed.messages?.[0]?.content ?? "");
        res.end(JSON.stringify({ id: "cmpl-1", object: "chat.completion", created: 0, model: parsed.model, choices: [{ index: 0, message: { role: "assistant", content: answer(prompt) }, finish_reason: "stop" }], usage: { prompt_tokens: 321, completion_tokens: 45, total_tokens: 366 } }));
      } else if (/^\/model\/.+\/converse$/.test(req.url!)) {
        const prompt = String(parsed.messages?.[0]?.content?.[0]?.text ?? "");
        const text = answer(prompt);
        // Offered the `answer` tool (a JSON stage), a model calls it with the JSON as its input;
        // an answer that is not JSON (a test's malformed one) stays text.
        const tool = parsed.toolConfig?.tools?.find((t: any) => t.toolSpec?.name === jsonAnswerName);
        const input = tool ? jsonOrUndefined(extractJson(text)) : undefined;
        const content = input === undefined ? [{ text }] : [{ toolUse: { toolUseId: "tooluse-1", name: jsonAnswerName, input } }];
        res.end(JSON.stringify({ output: { message: { role: "assistant", content } }, stopReason: input === undefined ? "end_turn" : "tool_use", usage: { inputTokens: 210, outputTokens: 30, totalTokens: 240 }, metrics: { latencyMs: 5 } }));
      } else if (/^\/model\/.+\/invoke$/.test(req.url!) && typeof parsed.inputText === "string") {
        // Titan text embeddings: a vector from the text's bytes (not a model: equal texts, equal vectors).
        const dimensions = Number(parsed.dimensions ?? 512);
        const embedding = Array.from({ length: dimensions }, (_, i) => Math.sin(i + [...String(parsed.inputText)].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 9973, 7)));
        res.end(JSON.stringify({ embedding, inputTextTokenCount: Math.ceil(parsed.inputText.length / 4) }));
      } else {
        res.statusCode = 404;
        res.end("{}");
      }
    });
  };
  const openrouter = createServer(handle("openrouter"));
  const bedrock = createH2cServer(handle("bedrock"));
  await new Promise<void>((r) => openrouter.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => bedrock.listen(0, "127.0.0.1", r));
  const openrouterUrl = `http://127.0.0.1:${(openrouter.address() as AddressInfo).port}/api/v1`;
  const bedrockUrl = `http://127.0.0.1:${(bedrock.address() as AddressInfo).port}`;
  return {
    requests,
    openrouterUrl,
    bedrockUrl,
    env: {
      OPENROUTER_API_KEY: "sk-or-stand-in",
      AFFIANT_OPENROUTER_BASE_URL: openrouterUrl,
      AFFIANT_BEDROCK_ENDPOINT: bedrockUrl,
      AWS_REGION: config().AWS_REGION ?? "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDSTANDIN",
      AWS_SECRET_ACCESS_KEY: "stand-in-secret",
    },
    close: async () => {
      await new Promise((r) => openrouter.close(r));
      await new Promise((r) => bedrock.close(r));
    },
  };
}
