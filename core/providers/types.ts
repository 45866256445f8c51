/** One interface for every hosted fallback provider. */
export interface CompletionRequest {
  stage: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  /** When set, the answer must be JSON matching this schema (validated after). */
  jsonSchema?: object;
  signal?: AbortSignal;
}

export interface CompletionResult {
  text: string;
  tokensIn: number;
  tokensOut: number;
  ms: number;
}

export interface HostedProvider<Name extends string = string> {
  /** The provider module's name (core/providers/index.ts lists them). */
  readonly name: Name;
  readonly model: string;
  complete(request: CompletionRequest): Promise<CompletionResult>;
}

/** An ARN built from where the app is deployed (deploy-time values, so a function of them), or a fixed one. */
export type ArnTemplate = string | ((at: { region: string; accountId: string }) => string);

/** One IAM statement a provider's callers need; infra/permissions.ts turns it into a Permission. */
export interface ProviderStatement {
  actions: string[];
  resources: ArnTemplate[];
}

/** A secret linked to the fallback function (an `sst.Secret`; its value reaches the handler encrypted). */
export interface ProviderSecret {
  /** The secret's name in SST (`npx sst secret set <name> …`). */
  name: string;
  /** Its value until set, so `sst deploy` works first; the provider reads it as not configured. */
  placeholder: string;
}

/**
 * A stand-in for a provider's API, for game days and tests (workflows/recording-providers.ts
 * serves one per module that has it and records every request): it answers as the provider
 * would, with the text given for the prompt. It is not a model.
 */
export interface ProviderStandIn {
  /** The server: HTTP/1.1, or HTTP/2 cleartext (what the AWS SDK speaks to an endpoint override). */
  readonly protocol: "http1" | "h2c";
  /** The response body for a request to `url` (a path) with JSON `body`; undefined for a path it does not serve (404). */
  // biome-ignore lint/suspicious/noExplicitAny: the request body as the client sent it; each stand-in reads its own API's shape
  respond(url: string, body: any, answer: (prompt: string) => string): unknown;
  /** The environment that points the provider's client at the stand-in listening at `origin`. */
  env(origin: string): Record<string, string>;
}

/**
 * Everything Affiant knows about one hosted fallback provider, in its module: the registry's
 * `<name>:<model>` refs, `hostedProvider()`, the cost ledger, the fallback's IAM statements,
 * linked secrets and stand-in all derive from these. A new provider is its module, a line in
 * core/providers/index.ts and a registry entry.
 */
export interface ProviderModule<Name extends string = string> {
  readonly name: Name;
  /**
   * The client for `<name>:<model>`, or undefined where it is not configured (the fallback
   * skips it, saying so). Imports its SDK here, lazily: importing the list must not pull every
   * SDK into every Lambda bundle.
   */
  client(model: string): Promise<HostedProvider<Name> | undefined>;
  /** The model's key in the registry's `pricing.hosted` table. */
  pricingKey(model: string): string;
  /** Secrets the fallback function must be linked to. */
  readonly secrets: readonly ProviderSecret[];
  /** IAM statements the fallback needs to call these model ids (the registry's refs to this provider). */
  statements(modelIds: string[]): ProviderStatement[];
  /** Its stand-in for game days and tests. */
  readonly standIn?: ProviderStandIn;
}

/** A provider module, its name kept as a literal type (for the `ProviderName` union). */
export function defineProvider<const Name extends string>(
  module: Omit<ProviderModule<Name>, "pricingKey"> & Partial<Pick<ProviderModule<Name>, "pricingKey">>,
): ProviderModule<Name> {
  return { pricingKey: (model) => `${module.name}:${model}`, ...module };
}

/** Instructions appended for JSON stages: hosted models get the schema in words. */
export function withJsonInstruction(prompt: string, schema?: object): string {
  if (!schema) return prompt;
  return `${prompt}\n\nAnswer with one JSON object only, no prose, matching this JSON schema:\n${JSON.stringify(schema)}`;
}

/** The name of the one tool / response format a JSON stage's schema is sent as (Bedrock toolSpec, OpenRouter json_schema). */
export const jsonAnswerName = "answer";

/** Hosted models sometimes wrap JSON in a code fence; take the object itself. */
export function extractJson(text: string): string {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const body = (fenced ? fenced[1]! : text).trim();
  const start = body.indexOf("{");
  const end = body.lastIndexOf("}");
  return start >= 0 && end > start ? body.slice(start, end + 1) : body;
}
