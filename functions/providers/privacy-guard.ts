/**
 * The second line of defence: before any prompt leaves for a hosted provider, look for
 * every real value in the case's vault, in the spellings redaction knows (case-insensitive,
 * and digits-only for numbers). Any hit refuses the request: Affiant.PrivacyViolation names
 * the placeholder type and stage, never the value.
 */
import { PrivacyViolationError } from "../../core/errors.ts";

export interface PrivacyGuard {
  check(stage: string, prompt: string): void;
}

export function privacyGuard(vault: Map<string, string>): PrivacyGuard {
  const needles: Array<{ placeholder: string; pattern?: RegExp; digits?: string }> = [];
  const word = (text: string, flags: string) => new RegExp(`(?<![\\p{L}\\p{N}])${escape(text)}(?![\\p{L}\\p{N}])`, flags);
  for (const [placeholder, value] of vault) {
    const v = value.trim();
    if (v.length < 3) continue;
    const digits = v.replace(/\D/g, "");
    needles.push({ placeholder, pattern: word(v, "iu"), ...(digits.length >= 5 ? { digits } : {}) });
    // A person's full name also leaks through its parts ("Marsh", "Elena"), matched as
    // written: the redactor replaced the capitalised form, and "will" is not "Will".
    if (/^PERSON/.test(placeholder.slice(1))) for (const part of v.split(/\s+/)) if (part.length >= 3 && part !== v) needles.push({ placeholder, pattern: word(part, "u") });
  }
  return {
    check(stage, prompt) {
      // Numbers as written with spaces, dashes, dots or parentheses, compared by their digits.
      const numberRuns = (prompt.match(/\d[\d\s().#-]*\d/g) ?? []).map((r) => r.replace(/\D/g, ""));
      for (const n of needles) {
        const hit = (n.pattern && n.pattern.test(prompt)) || (n.digits && numberRuns.some((r) => r.includes(n.digits!)));
        if (hit) {
          const type = n.placeholder.replace(/^\[|_\d+\]$/g, "");
          throw new PrivacyViolationError(`${stage}: the prompt contains a real ${type} value from the vault; nothing was sent`, { state: stage });
        }
      }
    },
  };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
