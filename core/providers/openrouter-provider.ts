/**
 * `openrouter:<model>`: OpenRouter through the `openai` SDK (client: ./openrouter.ts).
 * Configured where its key is set (the linked secret in AWS, OPENROUTER_API_KEY locally:
 * ./openrouter-key.ts); it is on the internet, so no IAM statement, only the secret's link.
 * Its stand-in speaks the OpenAI-compatible chat completions API over HTTP/1.1.
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
  standIn: {
    protocol: "http1",
    respond(url, body, answer) {
      if (url !== "/api/v1/chat/completions") return undefined;
      const prompt = String(body.messages?.[0]?.content ?? "");
      return {
        id: "cmpl-1",
        object: "chat.completion",
        created: 0,
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content: answer(prompt) }, finish_reason: "stop" }],
        usage: { prompt_tokens: 321, completion_tokens: 45, total_tokens: 366 },
      };
    },
    env: (origin) => ({ OPENROUTER_API_KEY: "sk-or-stand-in", AFFIANT_OPENROUTER_BASE_URL: `${origin}/api/v1` }),
  },
});
