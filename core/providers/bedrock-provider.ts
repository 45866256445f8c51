/**
 * `bedrock:<model>`: Amazon Bedrock's Converse API (client: ./bedrock.ts). Configured where
 * the standard AWS environment has a region and credentials; no secret (the function's role
 * is the credential); the fallback may invoke exactly the registry's Bedrock model ids.
 */
import { config } from "../config.ts";
import { defineProvider, type ArnTemplate, type ProviderStatement } from "./types.ts";

/** The SDK's own credential sources: one of them set means the default chain can sign. */
const credentialVariables = ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"] as const;

/** Cross-region inference profile ids (`us.…`, `eu.…`): the profile, and its model in any region it routes to. */
const inferenceProfile = /^(us|eu|apac|global|us-gov)\.(.+)$/;

/** Foundation-model ARNs, plus the inference profile and its regional models for `us.`/`eu.`… ids. */
export function bedrockModelArns(ids: string[]): ArnTemplate[] {
  return ids.flatMap((id): ArnTemplate[] => {
    const profile = inferenceProfile.exec(id);
    if (!profile) return [({ region }) => `arn:aws:bedrock:${region}::foundation-model/${id}`];
    return [({ region, accountId }) => `arn:aws:bedrock:${region}:${accountId}:inference-profile/${id}`, `arn:aws:bedrock:*::foundation-model/${profile[2]}`];
  });
}

/** InvokeModel on these ids (none: no statement). Index and Score use it for their embedding models too. */
export function bedrockInvokeStatements(ids: string[]): ProviderStatement[] {
  return ids.length ? [{ actions: ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], resources: bedrockModelArns(ids) }] : [];
}

/** Ids naming an embedding model (Titan): Index and Score's grant, never the fallback's. */
export const isBedrockEmbeddingModel = (id: string): boolean => id.includes("embed");

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
});
