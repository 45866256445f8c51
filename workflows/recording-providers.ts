/**
 * Stand-in hosted models for game days and tests: one local server per provider module that
 * has a stand-in (core/providers/: OpenRouter's OpenAI-compatible endpoint over HTTP/1.1,
 * Bedrock's runtime over HTTP/2 cleartext, reached by the real SDK client through an endpoint
 * override). They record every request body, so a game day can prove that no vault value
 * ever left in one. They answer each stage in the shape its prompt asks for; they are not models.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createH2cServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { AddressInfo } from "node:net";
import { providers } from "../core/providers/index.ts";
import type { ProviderModule, ProviderStandIn } from "../core/providers/types.ts";
import { stageModules } from "../core/stages/index.ts";

export interface RecordedRequest {
  /** The provider module whose stand-in took it (one server each). */
  provider: string;
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
  /** Each stand-in's origin, by provider name. */
  origins: Record<string, string>;
  /** The environment that points Affiant's providers at these endpoints. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts a stand-in for each provider in `list` that has one. Default: every provider module. */
export async function startRecordingProviders(
  options: RecordingProvidersOptions = {},
  list: readonly ProviderModule[] = providers,
): Promise<RecordingProviders> {
  const requests: RecordedRequest[] = [];
  const answer = (prompt: string) => options.answer?.(prompt) ?? cannedAnswer(prompt);
  const handle =
    (provider: string, standIn: ProviderStandIn) =>
    (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d));
      req.on("end", () => {
        requests.push({ provider, url: req.url!, headers: req.headers, body });
        // biome-ignore lint/suspicious/noExplicitAny: a stand-in reads whatever JSON a client sends; each provider's respond() checks its own shape
        let parsed: any;
        try {
          parsed = JSON.parse(body || "{}");
        } catch {
          res.statusCode = 400;
          return res.end("{}");
        }
        const response = standIn.respond(req.url!, parsed, answer);
        if (response === undefined) {
          res.statusCode = 404;
          return res.end("{}");
        }
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(response));
      });
    };
  const servers: Array<{ close(cb: () => void): unknown }> = [];
  const origins: Record<string, string> = {};
  let env: Record<string, string> = {};
  for (const p of list) {
    if (!p.standIn) continue;
    const server = p.standIn.protocol === "h2c" ? createH2cServer(handle(p.name, p.standIn)) : createServer(handle(p.name, p.standIn));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push(server);
    origins[p.name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    env = { ...env, ...p.standIn.env(origins[p.name]!) };
  }
  return {
    requests,
    origins,
    env,
    close: async () => {
      for (const server of servers) await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
