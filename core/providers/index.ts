/**
 * The hosted fallback providers, one module each. The registry's `<provider>:<model>` refs,
 * `hostedProvider()` (functions/generate-fallback.ts), the stage report's provider, the
 * fallback's IAM statements and linked secrets (infra/permissions.ts, infra/functions.ts,
 * sst.config.ts) and the production check all derive from this list: a new provider is its
 * module, a line here and a registry entry (test/unit/extension-points.test.ts adds one so).
 */
import { bedrock } from "./bedrock.ts";
import { openrouter } from "./openrouter.ts";
import type { ProviderModule, ProviderSecret } from "./types.ts";

export const providers = [bedrock, openrouter] as const satisfies readonly ProviderModule[];

/** A hosted provider's name: `bedrock`, `openrouter`. */
export type HostedProviderName = (typeof providers)[number]["name"];
/** Where a stage ran: a registry model in a worker (`local`), or a hosted provider. */
export type ProviderName = "local" | HostedProviderName;

/** The prefix of a registry model in a fallback chain (`local:<registry model id>`). */
export const localProvider = "local";

/** Every provider a fallback ref may name, `local` first. */
export function providerNames(list: readonly ProviderModule[] = providers): string[] {
  return [localProvider, ...list.map((p) => p.name)];
}

export function providerModule(name: string, list: readonly ProviderModule[] = providers): ProviderModule | undefined {
  return list.find((p) => p.name === name);
}

/** The secrets of every provider (the fallback function is linked to each). */
export function providerSecrets(list: readonly ProviderModule[] = providers): ProviderSecret[] {
  return list.flatMap((p) => p.secrets);
}
