/**
 * AttorneyNotes (Lambda): the attorney's notes name real people, so before any model sees
 * them every value the vault knows becomes its placeholder (the same one the draft uses)
 * and whatever else the rules detect, or no word list vouches for, becomes [REDACTED]. The result is written as a judge
 * report, so GuardrailsRewrite reads the attorney's reasons the way it reads the judges'.
 * Facts from the client given with the decision become an interview source first
 * (review/interview-facts.ts), which IndexInterview indexes before the rewrite.
 */
import { type BlobStore, blobStore, getJson, openBlobStore, putJson } from "../core/blob-store.ts";
import { caseFileSchema, caseKeys } from "../core/case-file.ts";
import { InvalidInputError, ReviewRejectedError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { type ReviewOutput, reviewFactsKey, reviewNotesKey } from "../core/review.ts";
import { withTelemetry } from "../core/telemetry.ts";
import { knownPeople } from "./redact-pii.ts";
import { redactUnvouched } from "./redaction/common-words.ts";
import { detectVaultValues } from "./redaction/detect.ts";
import { Redactor } from "./redaction/redactor.ts";
import { readVault } from "./redaction/vault.ts";
import { addInterviewFacts, currentRedactedKey, type InterviewState } from "./review/interview-facts.ts";

export interface ReviewNotesEvent {
  state: PipelineState & { review?: ReviewOutput; attorney?: Partial<InterviewState> };
}

export interface ReviewNotesOutput extends InterviewState {
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
  const factsKey = state.review?.factsKey;
  if (!notesKey && !factsKey)
    throw new InvalidInputError("AttorneyNotes: the review asked for changes but names no notes ($.review.notesKey)", {
      state: "AttorneyNotes",
    });
  // Only this execution's notes and facts for this round: a key of another case or round is never read.
  const round = state.review!.round;
  const ownNotes = reviewNotesKey(state.runKey, round);
  if (notesKey !== undefined && notesKey !== ownNotes)
    throw new ReviewRejectedError(`AttorneyNotes: the review names notes outside this execution's round ${round} (${ownNotes})`, {
      state: "AttorneyNotes",
    });
  const ownFacts = reviewFactsKey(state.runKey, round);
  if (factsKey !== undefined && factsKey !== ownFacts)
    throw new ReviewRejectedError(`AttorneyNotes: the review names facts outside this execution's round ${round} (${ownFacts})`, {
      state: "AttorneyNotes",
    });
  const caseFile = caseFileSchema.parse(await getJson(store, caseKeys.caseJson(state.caseId)));
  let vault = await readVault(store, caseKeys.vault(state.caseId, state.executionName), { caseId: state.caseId, state: "AttorneyNotes" });
  // The client's facts first: the values they add to the vault are then placeholders in the notes too.
  let redactedKey = currentRedactedKey(state);
  let added = 0;
  if (factsKey) {
    const facts = (await store.get(factsKey)).toString("utf8");
    const result = await addInterviewFacts(store, state, facts, vault, caseFile);
    ({ redactedKey, vault } = result);
    added = result.placeholdersAdded;
  }
  const notes = notesKey ? (await store.get(notesKey)).toString("utf8") : "";
  const redacted = redactNotes(notes, vault, new Redactor(knownPeople(caseFile)));
  const outputKey = `${state.runKey}/attorney-notes-${state.rewrites.n}.json`;
  const reasons = [
    redacted.trim() && `Attorney review: ${redacted}`,
    factsKey && "The attorney added facts from the client (an interview source): cite them where they bear on a paragraph.",
  ]
    .filter(Boolean)
    .join(" ");
  await putJson(store, outputKey, { score: 1, reasons });
  log("info", "review.notes_redacted", {
    caseId: state.caseId,
    execution: state.executionName,
    chars: notes.length,
    redactedChars: redacted.length,
    interview: Boolean(factsKey),
    placeholdersAdded: added,
  });
  return { reports: [{ outputKey }], redactedKey, interview: Boolean(factsKey) };
}

export const handler = withTelemetry("AttorneyNotes", async (event: ReviewNotesEvent) => reviewNotes(event, await openBlobStore()));
