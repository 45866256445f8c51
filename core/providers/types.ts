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

export interface HostedProvider {
  readonly name: "bedrock" | "openrouter";
  readonly model: string;
  complete(request: CompletionRequest): Promise<CompletionResult>;
}

/** Instructions appended for JSON stages: hosted models get the schema in words. */
export function withJsonInstruction(prompt: string, schema?: object): string {
  if (!schema) return prompt;
  return `${prompt}\n\nAnswer with one JSON object only, no prose, matching this JSON schema:\n${JSON.stringify(schema)}`;
}

/** Hosted models sometimes wrap JSON in a code fence; take the object itself. */
export function extractJson(text: string): string {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const body = (fenced ? fenced[1]! : text).trim();
  const start = body.indexOf("{");
  const end = body.lastIndexOf("}");
  return start >= 0 && end > start ? body.slice(start, end + 1) : body;
}
