/**
 * Changes aimed at paragraphs. The attorney's notes and locks name paragraphs by their number
 * in the filing version of the draft under review; this resolves those numbers to the draft's
 * elements (stable across rounds, where numbers may shift), refuses what cannot be done, and
 * keeps what a "changes" round needs: the notes record the decision writes, the locks that
 * persist across rounds, and the rewrite scope AttorneyNotes hands to GuardrailsRewrite and
 * Reinject. Shared by every side that takes a decision (the local gate, the AWS review API).
 */
import { type BlobStore, getJson, putJson } from "./blob-store.ts";
import { type Draft, filingNumbers } from "./declaration.ts";
import { InvalidInputError, ParagraphLockedError } from "./errors.ts";
import { reviewNotesKey } from "./review.ts";

/** A note aimed at one paragraph of the filing version. */
export interface ParagraphNote {
  paragraph: number;
  text: string;
}

/** What a decision says about paragraphs, beside its decision and general notes. */
export interface ParagraphDecision {
  decision: string;
  /** Notes on the whole draft: every paragraph not locked is rewritten when no note names one. */
  notes?: string;
  paragraphNotes?: ParagraphNote[];
  /** Paragraphs (filing numbers) to lock as verified: never rewritten from this round on. */
  lock?: number[];
}

/** A paragraph of the filing version: 1 is the declarant's fixed introduction (element null). */
export interface FilingParagraph {
  number: number;
  element: string | null;
}

/**
 * The filing version's numbering, the one every document uses ({@link filingNumbers}): the
 * opening paragraph first, then each drafted paragraph in the draft's order; an element with
 * nothing drafted has no number.
 */
export function filingParagraphs(draft: Draft): FilingParagraph[] {
  const numbers = filingNumbers(draft);
  return [
    { number: 1, element: null },
    ...draft.paragraphs.flatMap((p, i) => {
      const number = numbers[i];
      return number === undefined ? [] : [{ number, element: p.element }];
    }),
  ];
}

/**
 * A notes file as the CLI takes it (`affiant review --changes notes.md`): text before the first
 * `## Paragraph N` heading is on the whole draft; each such heading starts notes aimed at
 * paragraph N of the filing version, up to the next heading.
 */
export function parseNotesMarkdown(markdown: string): { notes: string; paragraphNotes: ParagraphNote[] } {
  const heading = /^#{1,6}[ \t]+(?:paragraph|¶)[ \t]*(\d+)[ \t]*:?[ \t]*$/gim;
  const marks = [...markdown.matchAll(heading)];
  if (!marks.length) return { notes: markdown, paragraphNotes: [] };
  const notes = markdown.slice(0, marks[0]?.index ?? markdown.length).trim();
  const paragraphNotes = marks.flatMap((m, i) => {
    const text = markdown.slice(m.index! + m[0].length, marks[i + 1]?.index ?? markdown.length).trim();
    return text ? [{ paragraph: Number(m[1]), text }] : [];
  });
  return { notes, paragraphNotes };
}

/** "2,3" or "2 3" → [2, 3]; anything else is an error naming the flag. */
export function parseParagraphList(flag: string, text: string): number[] {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const numbers = parts.map(Number);
  if (!parts.length || !numbers.every((n) => Number.isInteger(n) && n >= 1))
    throw new InvalidInputError(`${flag} ${text}: expected paragraph numbers of the filing version, e.g. 2,3`);
  return numbers;
}

/** The notes record a "changes" decision writes (at reviewNotesKey, under private/): unredacted, inside the account. */
export interface ReviewNotesRecord {
  /** The draft the paragraph numbers refer to (its blob key). */
  version: string;
  /** Notes on the whole draft ("" when the notes only name paragraphs). */
  general: string;
  paragraphs: Array<{ paragraph: number; element: string; text: string }>;
  /** Every paragraph locked so far, this decision's and earlier ones', with its number in `version`. */
  locked: Array<{ paragraph: number | null; element: string }>;
}

/** What a decision resolves to, before anything is written. */
export interface ResolvedParagraphs {
  record: ReviewNotesRecord;
  /** The locks to keep for later rounds (elements); undefined when they did not change. */
  locks?: string[];
}

/** Where a run's locks are kept: element ids only (no real value), beside its drafts. */
export const reviewLocksKey = (runKey: string) => `${runKey}/review-locks.json`;
/** The rewrite scope of the review round in progress: what AttorneyNotes writes for GuardrailsRewrite and Reinject. */
export const rewriteScopeKey = (runKey: string) => `${runKey}/review-scope.json`;

/**
 * Resolves a decision's paragraph numbers against the draft under review. Unknown numbers and
 * notes on the fixed introduction are InvalidInput (400); a note on a locked paragraph, or a
 * round with nothing left to rewrite, is ParagraphLocked (409). Nothing is written.
 */
export function resolveParagraphs(draft: Draft, version: string, input: ParagraphDecision, lockedBefore: string[]): ResolvedParagraphs {
  const filing = filingParagraphs(draft);
  const byNumber = new Map(filing.map((p) => [p.number, p]));
  const range = `paragraphs 1–${filing.length}`;
  const find = (where: string, n: number) => {
    const p = byNumber.get(n);
    if (!p) throw new InvalidInputError(`${where}: no paragraph ${n} in the filing version under review (${range})`);
    return p;
  };
  const numberOf = new Map(filing.filter((p) => p.element).map((p) => [p.element!, p.number]));
  const locked = [...lockedBefore];
  for (const [i, n] of (input.lock ?? []).entries()) {
    const p = find(`lock[${i}]`, n);
    // The introduction is fixed text, never rewritten: locking it changes nothing.
    if (p.element && !locked.includes(p.element)) locked.push(p.element);
  }
  const paragraphs: ReviewNotesRecord["paragraphs"] = [];
  for (const [i, note] of (input.paragraphNotes ?? []).entries()) {
    const p = find(`notes[${i}].paragraph`, note.paragraph);
    if (!p.element)
      throw new InvalidInputError(
        `notes[${i}].paragraph: paragraph 1 is the declarant's introduction, fixed text that is not drafted; aim the note at ${range.replace("1–", "2–")}`,
      );
    if (locked.includes(p.element))
      throw new ParagraphLockedError(
        `notes[${i}].paragraph: paragraph ${p.number} is locked as verified; a locked paragraph is never rewritten`,
      );
    const same = paragraphs.find((x) => x.element === p.element);
    if (same) same.text = `${same.text}\n${note.text}`;
    else paragraphs.push({ paragraph: p.number, element: p.element, text: note.text });
  }
  if (input.decision === "changes" && paragraphs.length === 0) {
    const open = filing.filter((p) => p.element && !locked.includes(p.element));
    if (open.length === 0)
      throw new ParagraphLockedError(
        `every drafted paragraph (${range.replace("1–", "2–")}) is locked as verified: nothing is left to rewrite`,
      );
  }
  return {
    record: {
      version,
      general: input.notes ?? "",
      paragraphs,
      locked: locked.map((element) => ({ paragraph: numberOf.get(element) ?? null, element })),
    },
    ...(locked.length !== lockedBefore.length ? { locks: locked } : {}),
  };
}

/** The locks kept for a run (elements), none before the first. */
export async function readLocks(store: BlobStore, runKey: string): Promise<string[]> {
  const key = reviewLocksKey(runKey);
  return (await store.exists(key)) ? (await getJson<{ elements: string[] }>(store, key)).elements : [];
}

/**
 * Checks a decision's paragraphs against the draft under review (its blob key `version`), before
 * the gate is used: a refused decision changes nothing. Decisions naming no paragraph read nothing.
 */
export async function checkParagraphs(
  store: BlobStore,
  gate: { runKey: string; version: string },
  input: ParagraphDecision,
): Promise<ResolvedParagraphs> {
  const lockedBefore = await readLocks(store, gate.runKey);
  const draft = await getJson<Draft>(store, gate.version);
  return resolveParagraphs(draft, gate.version, input, lockedBefore);
}

/** Writes what a decision resolved to (after its gate was used): the locks, and for "changes" the notes record, whose key it returns. */
export async function writeParagraphs(
  store: BlobStore,
  gate: { runKey: string; round: number },
  decision: string,
  resolved: ResolvedParagraphs,
): Promise<string | undefined> {
  if (resolved.locks) await putJson(store, reviewLocksKey(gate.runKey), { elements: resolved.locks });
  if (decision !== "changes") return undefined;
  const key = reviewNotesKey(gate.runKey, gate.round);
  await putJson(store, key, resolved.record);
  return key;
}

/**
 * What the decision record keeps of a decision's paragraphs, numbers only (the record enters
 * the execution's history once CheckDecision verifies it): the paragraphs the notes aim at, and
 * every paragraph locked once the decision holds. AttorneyNotes holds the notes record to these.
 */
export function recordedParagraphs(resolved: ResolvedParagraphs): { paragraphs?: number[]; locked?: number[] } {
  const aimed = resolved.record.paragraphs.map((p) => p.paragraph);
  const locked = resolved.record.locked.flatMap((l) => (l.paragraph === null ? [] : [l.paragraph]));
  return { ...(aimed.length ? { paragraphs: aimed } : {}), ...(locked.length ? { locked } : {}) };
}

/** The size of a decision's notes (the audit log's count): the notes on the whole draft and every aimed note. */
export function notesChars(general: string, input: { paragraphNotes?: ParagraphNote[] }): number {
  return general.length + (input.paragraphNotes ?? []).reduce((n, p) => n + p.text.length, 0);
}

/** The review round's rewrite scope (review-scope.json), redacted: numbers, element ids and placeholders only. */
export interface RewriteScope {
  /** The draft the attorney reviewed: the redline's "before". */
  reviewedVersion: string;
  /** The paragraphs to rewrite, each with its note (redacted); null: every paragraph not locked. */
  rewrite: Array<{ paragraph: number; element: string; note: string }> | null;
  locked: Array<{ paragraph: number | null; element: string }>;
}

/** The scope of the round in progress, when a review round has begun. */
export async function readRewriteScope(store: BlobStore, runKey: string): Promise<RewriteScope | undefined> {
  const key = rewriteScopeKey(runKey);
  return (await store.exists(key)) ? getJson<RewriteScope>(store, key) : undefined;
}

/** True for a paragraph the round leaves as it is: locked, or not among those the notes name. */
export function keptByScope(scope: RewriteScope | undefined, element: string): boolean {
  if (!scope) return false;
  if (scope.locked.some((l) => l.element === element)) return true;
  return scope.rewrite !== null && !scope.rewrite.some((r) => r.element === element);
}
