/**
 * Changes aimed at paragraphs on the real VAWA sample (Extract, Redact, Index for real), with
 * scripted model output: the attorney's notes name filing paragraphs, the decision's numbers
 * are checked against the draft under review, AttorneyNotes (the real Lambda) redacts each note
 * and scopes the round, and GuardrailsRewrite plans a model call for the named paragraphs alone
 * and keeps every other paragraph byte for byte. A locked paragraph is never rewritten, in the
 * round that locks it or any later one; the redline against the reviewed draft marks the change.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { getJson, LocalBlobStore } from "../../core/blob-store.ts";
import type { Draft } from "../../core/declaration.ts";
import { InvalidInputError, ParagraphLockedError } from "../../core/errors.ts";
import type { DecisionRecord } from "../../core/review.ts";
import type { ParagraphDecision } from "../../core/review-paragraphs.ts";
import {
  checkParagraphs,
  filingParagraphs,
  notesChars,
  readRewriteScope,
  recordedParagraphs,
  writeParagraphs,
} from "../../core/review-paragraphs.ts";
import type { StageJob } from "../../core/stages/plan-context.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import { buildRoundChanges } from "../../functions/review/redline.ts";
import { reviewNotes } from "../../functions/review-notes.ts";
import { preparedState, stageInputOf } from "../helpers.ts";

const { state, env } = await preparedState();
const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
const plan = (stage: "DraftDeclaration" | "GuardrailsRewrite", extra: Parameters<typeof stageInputOf>[2]) =>
  planStage({
    stage,
    input: stageInputOf(stage, state, extra),
    store,
    countTokens: (t) => Math.ceil(t.length / 4),
    contextLimit: 4096,
    maxTokens: 1200,
  });
/** Scripted model output: one sentence naming the call, citing the first chunk its grammar allows. */
const scripted = (call: StageJob["calls"][number], words: string) => {
  const ids = (call.schema as any).properties.sentences.items.properties.sources.items.enum as string[];
  return JSON.stringify({ sentences: [{ text: `${words} (${call.id}).`, sources: [ids[0]] }] });
};

/**
 * One "changes" round as the gate runs it: the decision checked and written, its decision record
 * (as CheckDecision hands it to the workflow), AttorneyNotes, then GuardrailsRewrite's plan.
 */
async function changesRound(draftKey: string, round: number, decision: ParagraphDecision) {
  const resolved = await checkParagraphs(store, { runKey: state.runKey, version: draftKey }, decision);
  const notesKey = await writeParagraphs(store, { runKey: state.runKey, round }, "changes", resolved);
  const review: DecisionRecord = {
    decisionId: "00000000-0000-4000-8000-000000000000",
    executionId: state.executionName,
    round,
    version: draftKey,
    decision: "changes",
    reviewer: "A. Attorney",
    unattended: false,
    via: "api",
    decidedAt: new Date().toISOString(),
    gateStatus: "failing-review",
    notesChars: notesChars(decision.notes ?? "", decision),
    ...recordedParagraphs(resolved),
    ...(notesKey ? { notesKey } : {}),
  };
  const notes = await reviewNotes({ state: { ...state, rewrites: { n: round }, draft: { outputKey: draftKey } as never, review } }, store);
  const job = await plan("GuardrailsRewrite", { round, draftKey, judgeKeys: notes.reports.map((r) => r.outputKey) });
  return { notes, job };
}

test("a changes round aimed at a paragraph (scripted model output): one call for it, every other paragraph byte-identical; locks hold in later rounds; the redline marks the change", async () => {
  // The first draft, scripted: a sentence per paragraph.
  const draftJob = await plan("DraftDeclaration", {});
  const draft0Key = await draftJob.finish(draftJob.calls.map((c) => scripted(c, "First draft")));
  const draft0 = await getJson<Draft>(store, draft0Key);
  const filing = filingParagraphs(draft0);
  assert.ok(filing.length >= 4, `filing paragraphs: ${filing.length}`);
  const third = filing[2]!.element!;
  const second = filing[1]!.element!;

  // Refused before anything is written: an unknown number, a note on the introduction.
  await assert.rejects(
    checkParagraphs(
      store,
      { runKey: state.runKey, version: draft0Key },
      { decision: "changes", paragraphNotes: [{ paragraph: 40, text: "x" }] },
    ),
    (e: Error) =>
      e instanceof InvalidInputError && /notes\[0\]\.paragraph: no paragraph 40 in the filing version under review/.test(e.message),
  );
  assert.equal(await readRewriteScope(store, state.runKey), undefined, "a refused decision wrote a scope");

  // Round 0: a note on paragraph 3 naming the abuser; paragraph 2 locked as verified.
  const { notes, job } = await changesRound(draft0Key, 0, {
    decision: "changes",
    paragraphNotes: [{ paragraph: 3, text: "We married in March 2019; Derek Samplefield was there." }],
    lock: [2],
  });
  assert.deepEqual(notes.paragraphs, { rewrite: [3], locked: [2] });
  assert.deepEqual(
    job.calls.map((c) => c.id),
    [third],
    "only the paragraph the note names is sent to a model",
  );
  assert.match(job.calls[0]!.prompt, /Attorney's note on this paragraph: We married in March 2019; \[PERSON_\d+\] was there\./);
  assert.doesNotMatch(job.calls[0]!.prompt, /Derek|Samplefield/);
  const draft1Key = await job.finish([scripted(job.calls[0]!, "We married in March 2019")]);
  const draft1 = await getJson<Draft>(store, draft1Key);
  assert.deepEqual(
    draft1.paragraphs.map((p) => p.element),
    draft0.paragraphs.map((p) => p.element),
  );
  for (const [i, p] of draft1.paragraphs.entries()) {
    if (p.element === third) assert.match(p.text, /^We married in March 2019/);
    else assert.equal(JSON.stringify(p), JSON.stringify(draft0.paragraphs[i]), `${p.element} changed though no note named it`);
  }

  // The redline against the reviewed draft: the rewritten paragraph marked, the others kept or locked.
  const scope = (await readRewriteScope(store, state.runKey))!;
  const changes = buildRoundChanges(draft0, draft1, scope);
  assert.equal(changes.against, draft0Key);
  const rewritten = changes.paragraphs.find((p) => p.element === third)!;
  assert.equal(rewritten.status, "rewritten");
  assert.deepEqual(
    rewritten.redline.filter((r) => r.op !== "equal").map((r) => [r.op, r.text.trim()]),
    [
      ["delete", "First draft"],
      ["insert", "We married in March 2019"],
    ],
  );
  assert.equal(changes.paragraphs.find((p) => p.element === second)!.status, "locked");

  // Round 1: the lock persists. A note on it is refused (409); general notes rewrite every other paragraph.
  await assert.rejects(
    checkParagraphs(
      store,
      { runKey: state.runKey, version: draft1Key },
      { decision: "changes", paragraphNotes: [{ paragraph: 2, text: "x" }] },
    ),
    (e: Error) => e instanceof ParagraphLockedError && /paragraph 2 is locked as verified/.test(e.message),
  );
  const next = await changesRound(draft1Key, 1, { decision: "changes", notes: "Tighten every paragraph." });
  assert.deepEqual(next.notes.paragraphs, { rewrite: "all", locked: [2] });
  assert.deepEqual(
    next.job.calls.map((c) => c.id),
    draft1.paragraphs.map((p) => p.element).filter((e) => e !== second),
    "every paragraph but the locked one",
  );
  const draft2 = await getJson<Draft>(store, await next.job.finish(next.job.calls.map((c) => scripted(c, "Tightened"))));
  const locked = draft2.paragraphs.find((p) => p.element === second)!;
  assert.equal(JSON.stringify(locked), JSON.stringify(draft0.paragraphs.find((p) => p.element === second)), "the locked paragraph changed");
});
