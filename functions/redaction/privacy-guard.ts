/**
 * The second line of defence: before any prompt leaves for a hosted provider (or a text
 * for Bedrock embeddings), look for every real value of the case's vault in it. Any hit
 * refuses the request: Affiant.PrivacyViolation names the placeholder type and stage, never
 * the value.
 *
 * The guard never holds the values. Redact writes keyed hashes (HMAC-SHA256 under a fresh
 * per-case key) of each value in the spellings redaction knows: folded (case and accents
 * ignored, punctuation as spaces), digits only for numbers, and each part of a person's
 * name (matched with a capital, or in lower case where no everyday word of English or
 * Spanish spells it: "elena" is Elena, "will" is not "Will"); the same normalised form
 * redaction matches (detect.ts: NFD, no diacritics, lower case, digits only for numbers).
 * The check hashes the prompt's word windows and number runs the same way. The hashes and
 * their key are sealed under their own KMS purpose, so the fallback, which talks to the
 * internet, opens them and never the vault. Honest limit: whoever holds both the key and the
 * hashes can test guesses (a nine-digit number is a small space), not read values.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { BlobStore } from "../../core/blob-store.ts";
import { caseKeys } from "../../core/case-file.ts";
import { PrivacyViolationError } from "../../core/errors.ts";
import { isCommonWord, isLegalVocabulary } from "./common-words.ts";
import { noDigitForm } from "./detect.ts";
import { fold, particles } from "./fold.ts";
import { sealedPurposes } from "./kms-envelope.ts";
import { getSealedJson, putSealedJson } from "./sealed-json.ts";

export interface PrivacyGuard {
  check(stage: string, prompt: string): void;
}

/**
 * How a hash is compared: a window of words, a capitalised single word, a run of digits;
 * `first` is a value's first word, so only windows that start with one are hashed.
 */
type Kind = "text" | "name" | "digits" | "first";

export interface GuardHashes {
  algorithm: "HMAC-SHA256";
  /** The per-case HMAC key, base64. */
  key: string;
  /** [kind, words (or digits) in the value, placeholder type, hash]. */
  entries: Array<[Kind, number, string, string]>;
}

const wordsOf = (text: string) =>
  fold(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

function mac(key: Buffer, kind: Kind, text: string): string {
  return createHmac("sha256", key).update(`${kind}\0${text}`).digest("base64").slice(0, 22);
}

/** Keyed hashes of every value in the vault, in every spelling the guard compares. */
export function guardHashes(vault: Map<string, string>, key: Buffer = randomBytes(32)): GuardHashes {
  const entries: GuardHashes["entries"] = [];
  for (const [placeholder, value] of vault) {
    const v = value.trim();
    if (v.length < 3) continue;
    const type = placeholder.replace(/^\[|_\d+\]$/g, "");
    const words = wordsOf(v);
    if (words.length) {
      entries.push(["text", words.length, type, mac(key, "text", words.join(" "))]);
      entries.push(["first", 1, type, mac(key, "first", words[0]!)]);
    }
    const digits = v.replace(/\D/g, "");
    if (digits.length >= 5 && !noDigitForm.has(type)) entries.push(["digits", digits.length, type, mac(key, "digits", digits)]);
    // A person's full name also leaks through its parts ("Marsh", "Elena").
    if (type === "PERSON" && words.length > 1) {
      for (const part of words) if (part.length >= 3 && !particles.has(part)) entries.push(["name", 1, type, mac(key, "name", part)]);
    }
  }
  return { algorithm: "HMAC-SHA256", key: key.toString("base64"), entries };
}

export function hashedGuard(hashes: GuardHashes): PrivacyGuard {
  const key = Buffer.from(hashes.key, "base64");
  const byHash = new Map(hashes.entries.map(([kind, , type, hash]) => [`${kind}:${hash}`, type]));
  const textLengths = [...new Set(hashes.entries.filter(([k]) => k === "text").map(([, n]) => n))];
  const digitLengths = [...new Set(hashes.entries.filter(([k]) => k === "digits").map(([, n]) => n))];
  const hasNames = hashes.entries.some(([k]) => k === "name");
  const refuse = (stage: string, type: string): never => {
    throw new PrivacyViolationError(`${stage}: the prompt contains a real ${type} value from the vault; nothing was sent`, {
      state: stage,
    });
  };
  return {
    check(stage, prompt) {
      const tokens = [...prompt.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => ({ word: fold(m[0]), capital: /^\p{Lu}/u.test(m[0]) }));
      // Each distinct word hashed once: does some value start with it?
      const starts = new Map<string, boolean>();
      const startsValue = (word: string) => starts.get(word) ?? starts.set(word, byHash.has(`first:${mac(key, "first", word)}`)).get(word)!;
      const seen = new Set<string>();
      for (const n of textLengths) {
        for (let i = 0; i + n <= tokens.length; i++) {
          if (!startsValue(tokens[i]!.word)) continue;
          const window = tokens
            .slice(i, i + n)
            .map((t) => t.word)
            .join(" ");
          if (seen.has(window)) continue;
          seen.add(window);
          const type = byHash.get(`text:${mac(key, "text", window)}`);
          if (type) refuse(stage, type);
        }
      }
      if (hasNames) {
        for (const t of tokens) {
          const type = byHash.get(`name:${mac(key, "name", t.word)}`);
          // In lower case a part counts unless an everyday word spells it ("will" is not "Will").
          if (type && (t.capital || !(isLegalVocabulary(t.word) || isCommonWord(t.word)))) refuse(stage, type);
        }
      }
      // Numbers as written with spaces, dashes, dots or parentheses, compared by their digits.
      for (const run of (prompt.match(/\d[\d\s().#-]*\d/g) ?? []).map((r) => r.replace(/\D/g, ""))) {
        for (const n of digitLengths) {
          for (let i = 0; i + n <= run.length; i++) {
            const type = byHash.get(`digits:${mac(key, "digits", run.slice(i, i + n))}`);
            if (type) refuse(stage, type);
          }
        }
      }
    },
  };
}

/** A guard over a vault held in memory (tests, the local engine): the same hashed check. */
export function privacyGuard(vault: Map<string, string>): PrivacyGuard {
  return hashedGuard(guardHashes(vault));
}

/** Redact: seals the keyed hashes beside the vault, under the guard's own KMS purpose. */
export async function writeGuard(store: BlobStore, caseId: string, executionName: string, vault: Map<string, string>): Promise<void> {
  await putSealedJson(store, caseKeys.guard(caseId, executionName), guardHashes(vault), {
    caseId,
    state: "Redact",
    purpose: sealedPurposes.guard,
  });
}

/** The fallback and the embedding guard: the hashes, never the vault. */
export async function readGuard(store: BlobStore, caseId: string, executionName: string, state: string): Promise<PrivacyGuard> {
  return hashedGuard(
    await getSealedJson<GuardHashes>(store, caseKeys.guard(caseId, executionName), { caseId, state, purpose: sealedPurposes.guard }),
  );
}
