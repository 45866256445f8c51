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
import type { ReviewNotesRecord, RewriteScope } from "../core/review-paragraphs.ts";
import { rewriteScopeKey } from "../core/review-paragraphs.ts";
import { withTelemetry } from "../core/telemetry.ts";
import { knownPeople } from "./redact-pii.ts";
import { detectVaultValues } from "./redaction/detect.ts";
import { redactUnvouched } from "./redaction/fail-closed.ts";
import { Redactor } from "./redaction/redactor.ts";
import { readVault } from "./redaction/vault.ts";
import { addInterviewFacts, currentRedactedKey, type InterviewState } from "./review/interview-facts.ts";

export interface ReviewNotesEvent {
  state: PipelineState & { review?: ReviewOutput; attorney?: Partial<InterviewState> };
}

export interface ReviewNotesOutput extends InterviewState {
  /** One judge-shaped report: the attorney's. */
  reports: Array<{ outputKey: string }>;
  /**
   * What this round rewrites, by filing number (the history says so; numbers only): the
   * paragraphs the notes name ("all" when they name none) and those locked as verified.
   */
  paragraphs: { rewrite: number[] | "all"; locked: number[] };
}

/**
 * The notes record the verified decision names: this execution's own for its round, written
 * for the draft the decision is about, aimed at the paragraphs the decision record names.
 * Anything else is not this decision's notes and fails the round.
 */
async function readNotes(store: BlobStore, review: ReviewOutput, runKey: string): Promise<ReviewNotesRecord> {
  const reject = (why: string) => new ReviewRejectedError(`AttorneyNotes: ${why}`, { state: "AttorneyNotes" });
  // Only this execution's notes for this round: a key of another case or round is never read.
  const own = reviewNotesKey(runKey, review.round);
  if (review.notesKey !== own) throw reject(`the review names notes outside this execution's round ${review.round} (${own})`);
  const record = await getJson<ReviewNotesRecord>(store, own);
  if (record.version !== review.version) throw reject(`the notes of round ${review.round} were written for another draft`);
  const aimed = record.paragraphs.map((p) => p.paragraph).join(",");
  if (aimed !== (review.paragraphs ?? []).join(","))
    throw reject(`the notes of round ${review.round} aim at other paragraphs than the decision record names`);
  return record;
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
  if (!notesKey)
    throw new InvalidInputError("AttorneyNotes: the review asked for changes but names no notes record ($.review.notesKey)", {
      state: "AttorneyNotes",
    });
  // Only this execution's facts for this round: a key of another case or round is never read.
  const round = state.review!.round;
  const ownFacts = reviewFactsKey(state.runKey, round);
  if (factsKey !== undefined && factsKey !== ownFacts)
    throw new ReviewRejectedError(`AttorneyNotes: the review names facts outside this execution's round ${round} (${ownFacts})`, {
      state: "AttorneyNotes",
    });
  // Every "changes" decision writes its notes record (the draft it is about and the locks), facts or not.
  const record = await readNotes(store, state.review!, state.runKey);
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
  const redactor = new Redactor(knownPeople(caseFile));
  const general = record.general.trim() ? redactNotes(record.general, vault, redactor) : "";
  const aimed = record.paragraphs.map((p) => ({ paragraph: p.paragraph, element: p.element, note: redactNotes(p.text, vault, redactor) }));
  // The round's scope, for GuardrailsRewrite (which paragraphs it may touch) and Reinject (the redline's "before").
  const scope: RewriteScope = { reviewedVersion: record.version, rewrite: aimed.length ? aimed : null, locked: record.locked };
  await putJson(store, rewriteScopeKey(state.runKey), scope);
  const onNotes =
    general ||
    (aimed.length
      ? `changes to paragraph${aimed.length === 1 ? "" : "s"} ${aimed.map((a) => a.paragraph).join(", ")}, each with its note`
      : "");
  const outputKey = `${state.runKey}/attorney-notes-${state.rewrites.n}.json`;
  const reasons = [
    onNotes && `Attorney review: ${onNotes}`,
    factsKey && "The attorney added facts from the client (an interview source): cite them where they bear on a paragraph.",
  ]
    .filter(Boolean)
    .join(" ");
  await putJson(store, outputKey, { score: 1, reasons });
  const paragraphs = {
    rewrite: aimed.length ? aimed.map((a) => a.paragraph) : ("all" as const),
    locked: record.locked.flatMap((l) => (l.paragraph === null ? [] : [l.paragraph])),
  };
  const chars = record.general.length + record.paragraphs.reduce((n, p) => n + p.text.length, 0);
  log("info", "review.notes_redacted", {
    caseId: state.caseId,
    execution: state.executionName,
    chars,
    redactedChars: general.length + aimed.reduce((n, a) => n + a.note.length, 0),
    rewrite: paragraphs.rewrite === "all" ? "all" : paragraphs.rewrite.join(","),
    locked: paragraphs.locked.join(","),
    interview: Boolean(factsKey),
    placeholdersAdded: added,
  });
  return { reports: [{ outputKey }], paragraphs, redactedKey, interview: Boolean(factsKey) };
}

export const handler = withTelemetry("AttorneyNotes", async (event: ReviewNotesEvent) => reviewNotes(event, await openBlobStore()));
