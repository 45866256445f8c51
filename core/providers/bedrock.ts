/**
 * `bedrock:<model>`: Amazon Bedrock's Converse API, the whole provider in one module: the
 * client, its IAM (exactly the registry's Bedrock model ids) and its stand-in. Configured where
 * the standard AWS environment has a region and credentials; no secret (the function's role
 * is the credential); the fallback may invoke exactly the registry's Bedrock model ids.
 * Its stand-in is a Bedrock runtime endpoint (HTTP/2 cleartext, reached by the real SDK client
 * through an endpoint override): Converse, and Titan embeddings through InvokeModel. Like
 * Bedrock, it refuses a model id it does not offer: one missing from the lifecycle snapshot
 * (models/bedrock-lifecycle.json) or not Active there (Legacy models refuse new customers).
 *
 * The client: the SDK's standard retry mode backs off with jitter on throttling and 5xx and
 * never retries a validation error; every call also has its own deadline (AbortSignal).
 * Failures become Affiant.ProviderError with provider, model and HTTP status. The SDK is loaded
 * when a client is made (`BedrockProvider.create`), not at import: the infrastructure and the
 * CLI read this module's names and statements without it.
 */
import type { BedrockRuntimeClient, BedrockRuntimeClientConfig, ToolConfiguration } from "@aws-sdk/client-bedrock-runtime";
import { config } from "../config.ts";
import { ProviderError } from "../errors.ts";
import { type LifecycleSnapshot, lifecycleProblem, loadLifecycleSnapshot } from "./bedrock-lifecycle.ts";
import {
  type ArnTemplate,
  type CompletionRequest,
  type CompletionResult,
  defineProvider,
  extractJson,
  type HostedProvider,
  jsonAnswerName,
  type ProviderStatement,
  withJsonInstruction,
} from "./types.ts";

/** The SDK's own credential sources: one of them set means the default chain can sign. */
const credentialVariables = [
  "AWS_ACCESS_KEY_ID",
  "AWS_PROFILE",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
] as const;

/** Cross-region inference profile ids (`us.…`, `eu.…`): the profile, and its model in any region it routes to. */
const inferenceProfile = /^(us|eu|apac|global|us-gov)\.(.+)$/;

/** Foundation-model ARNs, plus the inference profile and its regional models for `us.`/`eu.`… ids. */
export function bedrockModelArns(ids: string[]): ArnTemplate[] {
  return ids.flatMap((id): ArnTemplate[] => {
    const profile = inferenceProfile.exec(id);
    if (!profile) return [({ region }) => `arn:aws:bedrock:${region}::foundation-model/${id}`];
    return [
      ({ region, accountId }) => `arn:aws:bedrock:${region}:${accountId}:inference-profile/${id}`,
      `arn:aws:bedrock:*::foundation-model/${profile[2]}`,
    ];
  });
}

/** InvokeModel on these ids (none: no statement). Index and Score use it for their embedding models too. */
export function bedrockInvokeStatements(ids: string[]): ProviderStatement[] {
  return ids.length
    ? [{ actions: ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], resources: bedrockModelArns(ids) }]
    : [];
}

/** Ids naming an embedding model (Titan): Index and Score's grant, never the fallback's. */
export const isBedrockEmbeddingModel = (id: string): boolean => id.includes("embed");

let snapshot: LifecycleSnapshot | undefined;
/** Whether the stand-in serves `url`'s model: Active in the snapshot, as Bedrock would serve it to a new account today. */
function offered(url: string): boolean {
  const id = decodeURIComponent(/^\/model\/([^/]+)\//.exec(url)?.[1] ?? "");
  snapshot ??= loadLifecycleSnapshot();
  return id !== "" && lifecycleProblem(snapshot, id, new Date().toISOString().slice(0, 10)) === undefined;
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const bedrock = defineProvider({
  name: "bedrock",
  async client(model) {
    const env = config();
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    const credentials = credentialVariables.some((v) => env[v]);
    if (!region || !credentials) return undefined;
    return BedrockProvider.create({ model });
  },
  secrets: [],
  statements: (ids) => bedrockInvokeStatements(ids.filter((id) => !isBedrockEmbeddingModel(id))),
  standIn: {
    protocol: "h2c",
    respond(url, body, answer) {
      if (!offered(url)) return undefined;
      if (/^\/model\/.+\/converse$/.test(url)) {
        const prompt = String(body.messages?.[0]?.content?.[0]?.text ?? "");
        const text = answer(prompt);
        // Offered the `answer` tool (a JSON stage), a model calls it with the JSON as its input;
        // an answer that is not JSON (a test's malformed one) stays text.
        // biome-ignore lint/suspicious/noExplicitAny: Converse's toolConfig as the client sent it
        const tool = body.toolConfig?.tools?.find((t: any) => t.toolSpec?.name === jsonAnswerName);
        const input = tool ? jsonOrUndefined(extractJson(text)) : undefined;
        const content = input === undefined ? [{ text }] : [{ toolUse: { toolUseId: "tooluse-1", name: jsonAnswerName, input } }];
        return {
          output: { message: { role: "assistant", content } },
          stopReason: input === undefined ? "end_turn" : "tool_use",
          usage: { inputTokens: 210, outputTokens: 30, totalTokens: 240 },
          metrics: { latencyMs: 5 },
        };
      }
      if (/^\/model\/.+\/invoke$/.test(url) && typeof body.inputText === "string") {
        // Titan text embeddings: a vector from the text's bytes (not a model: equal texts, equal vectors).
        const dimensions = Number(body.dimensions ?? 512);
        const embedding = Array.from({ length: dimensions }, (_, i) =>
          Math.sin(i + [...String(body.inputText)].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 9973, 7)),
        );
        return { embedding, inputTextTokenCount: Math.ceil(body.inputText.length / 4) };
      }
      return undefined;
    },
    env: (origin) => ({
      AFFIANT_BEDROCK_ENDPOINT: origin,
      AWS_REGION: config().AWS_REGION ?? "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDSTANDIN",
      AWS_SECRET_ACCESS_KEY: "stand-in-secret",
    }),
  },
});

export interface BedrockProviderOptions {
  model: string;
  /** Default: a client from the standard AWS environment; `AFFIANT_BEDROCK_ENDPOINT` overrides the endpoint. */
  client?: BedrockRuntimeClient;
  /** Per-call deadline. Default: 120 s. */
  timeoutMs?: number;
}

type BedrockSdk = typeof import("@aws-sdk/client-bedrock-runtime");

export class BedrockProvider implements HostedProvider {
  readonly name = "bedrock" as const;
  readonly model: string;
  private readonly client: BedrockRuntimeClient;
  private readonly timeoutMs: number;

  /** A client, the SDK loaded on first use. */
  static async create(options: BedrockProviderOptions): Promise<BedrockProvider> {
    return new BedrockProvider(options, await import("@aws-sdk/client-bedrock-runtime"));
  }

  private constructor(
    options: BedrockProviderOptions,
    private readonly sdk: BedrockSdk,
  ) {
    this.model = options.model;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.client = options.client ?? new sdk.BedrockRuntimeClient(bedrockClientConfig());
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const started = performance.now();
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), ...(request.signal ? [request.signal] : [])]);
    try {
      const res = await this.client.send(
        new this.sdk.ConverseCommand({
          modelId: this.model,
          messages: [{ role: "user", content: [{ text: withJsonInstruction(request.prompt, request.jsonSchema) }] }],
          inferenceConfig: { maxTokens: request.maxTokens, temperature: request.temperature },
          ...(request.jsonSchema ? { toolConfig: answerTool(this.model, request.jsonSchema) } : {}),
        }),
        { abortSignal: signal },
      );
      const content = res.output?.message?.content ?? [];
      // A JSON stage's answer is the tool's input when the model called it, else its text.
      const toolUse = content.find((c) => c.toolUse?.name === jsonAnswerName)?.toolUse;
      const text = toolUse ? JSON.stringify(toolUse.input ?? {}) : content.map((c) => c.text ?? "").join("");
      return { text, tokensIn: res.usage?.inputTokens ?? 0, tokensOut: res.usage?.outputTokens ?? 0, ms: performance.now() - started };
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode ?? (e.name === "TimeoutError" || e.name === "AbortError" ? "timeout" : "network");
      throw new ProviderError(`${request.stage}: bedrock ${this.model} failed (${status}: ${e.name})`, {
        state: request.stage,
        provider: "bedrock",
        model: this.model,
      });
    }
  }
}

/**
 * A JSON stage's schema as Converse's one tool, `answer`: the model fills in its input, which
 * is the answer. Forced (`toolChoice: tool`) where Bedrock supports forcing a tool (Anthropic
 * Claude, Amazon Nova); elsewhere (Llama, which takes tools but not a forced choice) offered,
 * with the schema in the prompt's words as well. Validated after, either way.
 */
export function answerTool(model: string, schema: object): ToolConfiguration {
  const forced = /(^|\.)(anthropic\.claude|amazon\.nova)/.test(model);
  return {
    tools: [
      { toolSpec: { name: jsonAnswerName, description: "Give the answer as this JSON object.", inputSchema: { json: schema as never } } },
    ],
    ...(forced ? { toolChoice: { tool: { name: jsonAnswerName } } } : {}),
  };
}

/** How every Bedrock runtime client is made: SDK retries for throttling and 5xx, and `AFFIANT_BEDROCK_ENDPOINT` to point it elsewhere. */
export function bedrockClientConfig(): BedrockRuntimeClientConfig {
  return {
    maxAttempts: 4,
    retryMode: "standard",
    ...(config().AFFIANT_BEDROCK_ENDPOINT ? { endpoint: config().AFFIANT_BEDROCK_ENDPOINT } : {}),
  };
}
