/**
 * AttorneyNotes (Lambda): the attorney's notes name real people, so before any model sees
 * them every value the vault knows becomes its placeholder (the same one the draft uses)
 * and whatever else the rules detect, or no word list vouches for, becomes [REDACTED]. The result is written as a judge
 * report, so GuardrailsRewrite reads the attorney's reasons the way it reads the judges'.
 */
import { type BlobStore, blobStore, getJson, openBlobStore, putJson } from "../core/blob-store.ts";
import { caseFileSchema, caseKeys } from "../core/case-file.ts";
import { InvalidInputError, ReviewRejectedError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { type ReviewOutput, reviewNotesKey } from "../core/review.ts";
import { withTelemetry } from "../core/telemetry.ts";
import { knownPeople } from "./redact-pii.ts";
import { detectVaultValues } from "./redaction/detect.ts";
import { redactUnvouched } from "./redaction/fail-closed.ts";
import { Redactor } from "./redaction/redactor.ts";
import { readVault } from "./redaction/vault.ts";

export interface ReviewNotesEvent {
  state: PipelineState & { review?: ReviewOutput };
}

export interface ReviewNotesOutput {
  /** One judge-shaped report: the attorney's. */
  reports: Array<{ outputKey: string }>;
}

/**
 * The notes through the documents' detector and then the fail-closed pass: every value the
 * vault knows, in any case, accents or number format, becomes its placeholder (the same one
 * the draft uses); whatever else the rules detect, and every word no everyday word list nor
 * legal vocabulary vouches for (a name nobody listed, in any case), becomes [REDACTED].
 */
export function redactNotes(notes: string, vault: Map<string, string>, redactor: Redactor): string {
  let out = "";
  let cursor = 0;
  for (const d of detectVaultValues(notes, vault)) {
    out += notes.slice(cursor, d.start) + d.placeholder;
    cursor = d.end;
  }
  out += notes.slice(cursor);
  const { text, entities } = redactor.redact(out);
  // The detector's own placeholders mean nothing to the vault (its numbering is not the
  // vault's, and Reinject would refuse a new one): say only that something was removed.
  let result = text;
  for (const e of [...entities].reverse()) result = `${result.slice(0, e.start)}[REDACTED]${result.slice(e.end)}`;
  return redactUnvouched(result).text;
}

export async function reviewNotes(event: ReviewNotesEvent, store: BlobStore = blobStore()): Promise<ReviewNotesOutput> {
  const { state } = event;
  const notesKey = state.review?.notesKey;
  if (!notesKey)
    throw new InvalidInputError("AttorneyNotes: the review asked for changes but names no notes ($.review.notesKey)", {
      state: "AttorneyNotes",
    });
  // Only this execution's notes for this round: a key of another case or round is never read.
  const own = reviewNotesKey(state.runKey, state.review!.round);
  if (notesKey !== own)
    throw new ReviewRejectedError(`AttorneyNotes: the review names notes outside this execution's round ${state.review!.round} (${own})`, {
      state: "AttorneyNotes",
    });
  const notes = (await store.get(notesKey)).toString("utf8");
  const caseFile = caseFileSchema.parse(await getJson(store, caseKeys.caseJson(state.caseId)));
  const vault = await readVault(store, caseKeys.vault(state.caseId, state.executionName), { caseId: state.caseId, state: "AttorneyNotes" });
  const redacted = redactNotes(notes, vault, new Redactor(knownPeople(caseFile)));
  const outputKey = `${state.runKey}/attorney-notes-${state.rewrites.n}.json`;
  await putJson(store, outputKey, { score: 1, reasons: `Attorney review: ${redacted}` });
  log("info", "review.notes_redacted", {
    caseId: state.caseId,
    execution: state.executionName,
    chars: notes.length,
    redactedChars: redacted.length,
  });
  return { reports: [{ outputKey }] };
}

export const handler = withTelemetry("AttorneyNotes", async (event: ReviewNotesEvent) => reviewNotes(event, await openBlobStore()));
