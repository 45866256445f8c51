/**
 * `openrouter:<model>`: OpenRouter through the `openai` SDK (client: ./openrouter.ts).
 * Configured where its key is set (the linked secret in AWS, OPENROUTER_API_KEY locally:
 * ./openrouter-key.ts); it is on the internet, so no IAM statement, only the secret's link.
 */
import { openRouterApiKey, openRouterSecretName, openRouterSecretPlaceholder } from "./openrouter-key.ts";
import { defineProvider } from "./types.ts";

export const openrouter = defineProvider({
  name: "openrouter",
  async client(model) {
    const apiKey = await openRouterApiKey();
    if (!apiKey) return undefined;
    const { OpenRouterProvider } = await import("./openrouter.ts");
    return new OpenRouterProvider({ model, apiKey });
  },
  secrets: [{ name: openRouterSecretName, placeholder: openRouterSecretPlaceholder }],
  statements: () => [],
});
