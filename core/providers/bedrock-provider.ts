/**
 * `bedrock:<model>`: Amazon Bedrock's Converse API (client: ./bedrock.ts). Configured where
 * the standard AWS environment has a region and credentials; no secret (the function's role
 * is the credential); the fallback may invoke exactly the registry's Bedrock model ids.
 * Its stand-in is a Bedrock runtime endpoint (HTTP/2 cleartext, reached by the real SDK client
 * through an endpoint override): Converse, and Titan embeddings through InvokeModel. Like
 * Bedrock, it refuses a model id it does not offer: one missing from the lifecycle snapshot
 * (models/bedrock-lifecycle.json) or not Active there (Legacy models refuse new customers).
 */
import { config } from "../config.ts";
import { type LifecycleSnapshot, lifecycleProblem, loadLifecycleSnapshot } from "./bedrock-lifecycle.ts";
import { type ArnTemplate, defineProvider, extractJson, jsonAnswerName, type ProviderStatement } from "./types.ts";

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
    const { BedrockProvider } = await import("./bedrock.ts");
    return new BedrockProvider({ model });
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
