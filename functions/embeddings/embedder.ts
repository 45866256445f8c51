/**
 * What Index and Score need from an embedding model: unit vectors for texts. Two
 * implementations: llama.cpp on this machine (local.ts, usually behind a child process,
 * child.ts) and Amazon Titan on Bedrock (titan.ts). A text longer than the model takes is
 * never cut silently: each one is recorded here, and the callers put the record in
 * their report.
 */

export interface Truncation {
  /** Which `embed` call of this embedder (0-based) and which text in it. */
  call: number;
  index: number;
  /**
   * "split": embedded in `parts` windows of at most `limit` tokens, vectors averaged;
   * "truncate": only the first `limit` characters were sent (a provider with no tokenizer here).
   */
  action: "split" | "truncate";
  /** The text's length in the unit of `limit` (tokens for split, characters for truncate). */
  length: number;
  limit: number;
  parts: number;
}

export interface Embedder {
  readonly provider: "local" | "bedrock";
  /** Registry model id (local) or Bedrock model id. */
  readonly model: string;
  /** One unit vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Every text that did not fit whole, since the embedder was opened. */
  readonly truncations: readonly Truncation[];
  /** Frees the model (or its process); safe to call twice. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
