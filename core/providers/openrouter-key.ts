/**
 * The OpenRouter key: in AWS the linked `sst.Secret` (SST's Resource reads it from the
 * function's encrypted resource file, never from a plain environment variable); locally
 * OPENROUTER_API_KEY. The deploy-time placeholder counts as no key, so OpenRouter is skipped
 * ("not configured") rather than called with it.
 */

import { config, type Env } from "../config.ts";

/** The secret's name in sst.config.ts (`npx sst secret set OpenRouterApiKey …`). */
export const openRouterSecretName = "OpenRouterApiKey";
/** Its placeholder: `sst deploy` succeeds before `sst secret set`. */
export const openRouterSecretPlaceholder = "unset";

export async function openRouterApiKey(env?: Env): Promise<string | undefined> {
  let value: string | undefined;
  try {
    // Dynamic: `sst` is a build-time dependency (bundled into the Lambda), absent from the worker image.
    const { Resource } = (await import("sst/resource")) as unknown as { Resource: Record<string, { value?: string } | undefined> };
    if (openRouterSecretName in Resource) value = Resource[openRouterSecretName]?.value;
  } catch {
    // Not bundled with SST (local mode): the environment below.
  }
  value ??= config(env).OPENROUTER_API_KEY;
  return value && value !== openRouterSecretPlaceholder ? value : undefined;
}
