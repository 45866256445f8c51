/**
 * Runaway output that fits legal text. A model in a loop repeats itself back to back; a
 * declaration does not, except in runs of punctuation (dot leaders in a table of contents,
 * signature and date lines), which are layout, not a loop. And a paragraph can be longer
 * than 64 tokens: a model that repeats a whole paragraph is looping just the same.
 */

export interface LoopOptions {
  /** A short unit must repeat over at least this many tokens. Default: 24. */
  minSpan?: number;
  /** Longest repeated unit looked for (a long paragraph). Default: 512. */
  maxPeriod?: number;
  /** Tokens that are only punctuation or whitespace; a unit of nothing else is no loop. */
  isFiller?: (token: number) => boolean;
}

/** Up to this length a unit must repeat 3 times (short phrases recur in prose); longer, twice. */
const shortPeriod = 64;

/**
 * A loop: the last L tokens repeated back to back: at least 3 times and over at least
 * `minSpan` tokens for L up to 64; twice for a longer L (a paragraph said twice in a row),
 * up to `maxPeriod`. Units made only of filler (punctuation, whitespace) do not count.
 */
export function repeatsItself(tokens: readonly number[], options: LoopOptions | number = {}): boolean {
  const o = typeof options === "number" ? { minSpan: options } : options;
  const minSpan = o.minSpan ?? 24;
  const maxPeriod = o.maxPeriod ?? 512;
  const n = tokens.length;
  for (let len = 1; len <= maxPeriod; len++) {
    const times = len <= shortPeriod ? Math.max(3, Math.ceil(minSpan / len)) : 2;
    if (len * times > n) {
      if (len > shortPeriod) break;
      continue;
    }
    let loop = true;
    for (let rep = 1; rep < times && loop; rep++) {
      for (let i = 1; i <= len; i++) {
        if (tokens[n - i] !== tokens[n - i - rep * len]) {
          loop = false;
          break;
        }
      }
    }
    if (!loop) continue;
    if (o.isFiller && tokens.slice(n - len).every((t) => o.isFiller!(t))) continue;
    return true;
  }
  return false;
}

/** Filler by the token's text: nothing but punctuation, symbols and whitespace. */
export function fillerByText(detokenize: (token: number) => string): (token: number) => boolean {
  const cache = new Map<number, boolean>();
  return (token) => {
    let filler = cache.get(token);
    if (filler === undefined) {
      filler = /^[\s\p{P}\p{S}]*$/u.test(detokenize(token));
      cache.set(token, filler);
    }
    return filler;
  };
}

/**
 * Whether the output just closed its thought segment: the closing marker's tokens at the
 * end (a special token like `</think>` has no plain text, so text alone misses it), or its
 * text at the end when read with special tokens (the model spelled it another way).
 */
export function closesThought(
  out: readonly number[],
  suffixTokens: readonly number[],
  suffixText: string,
  detokenizeWithSpecial: (tokens: number[]) => string,
): boolean {
  if (!suffixText && suffixTokens.length === 0) return false;
  if (
    suffixTokens.length > 0 &&
    out.length >= suffixTokens.length &&
    suffixTokens.every((t, i) => out[out.length - suffixTokens.length + i] === t)
  )
    return true;
  // The marker itself, without the whitespace the template puts around it.
  const marker = suffixText.trim();
  return marker.length > 0 && detokenizeWithSpecial(out.slice(-32)).trimEnd().endsWith(marker);
}
