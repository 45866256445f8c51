/**
 * How much an attorney's decision may carry: checked by the review API for every caller
 * (core/review.ts) and before sending by the viewer's form, whose browser code imports this
 * module (no Node in it), so both refuse the same sizes with the same words.
 */

/** Notes, and facts from the client, bigger than this (UTF-8 bytes) are refused before anything is stored. */
export const maxReviewNotesBytes = 64 * 1024;
/** An override reason longer than this is refused. */
export const maxOverrideReasonChars = 2000;

/** The refusal of a field over `maxReviewNotesBytes`, as the API words it. */
export function overNotesLimit(field: "notes" | "facts", bytes: number): string | undefined {
  return bytes > maxReviewNotesBytes ? `${field}: ${bytes} bytes, over the ${maxReviewNotesBytes}-byte limit` : undefined;
}
