/**
 * The review gate's rules as pure code and one SQLite file, no model and no worker: a decision
 * names its round (409 otherwise) and needs an override reason to approve a failing draft
 * (400 otherwise); CheckDecision lets only a recorded decision of this execution, round and
 * draft through (a forged or replayed callback fails with ReviewRejected, and is audited);
 * AttorneyNotes reads no other execution's notes; the audit log refuses UPDATE and DELETE,
 * and an entry edited behind the triggers' back breaks the chain where it was edited.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { loadApiTokens } from "../../api/auth.ts";
import { verifyAuditChain } from "../../core/audit-chain.ts";
import { LocalBlobStore } from "../../core/blob-store.ts";
import { InvalidInputError, ReviewRejectedError, ReviewRoundMismatchError } from "../../core/errors.ts";
import type { PipelineState } from "../../core/pipeline-state.ts";
import { checkReviewDecision, type DecisionRecord } from "../../core/review.ts";
import { SqliteReviewStore } from "../../core/review-store.ts";
import { checkDecision } from "../../functions/check-decision.ts";
import { reviewNotes } from "../../functions/review-notes.ts";

const dir = mkdtempSync(path.join(tmpdir(), "affiant-review-gate-"));
const open = { executionId: "vawa-1-p1", round: 1, gateStatus: "failing-review" as const };

test("a decision names the open round (409 Affiant.ReviewRoundMismatch otherwise); approving a failing draft needs an overrideReason (400)", () => {
  const base = { decision: "approve", reviewer: "A. Attorney", via: "api" };
  assert.throws(
    () => checkReviewDecision({ ...base, round: 0, overrideReason: "checked" }, open),
    (err: Error) =>
      err instanceof ReviewRoundMismatchError &&
      ReviewRoundMismatchError.status === 409 &&
      /waits for a decision on round 1; this decision answers round 0/.test(err.message),
  );
  assert.throws(
    () => checkReviewDecision(base, open),
    (err: Error) => err instanceof InvalidInputError && /^round: /.test(err.message),
  );
  assert.throws(
    () => checkReviewDecision({ ...base, round: 1 }, open),
    (err: Error) => err instanceof InvalidInputError && /^overrideReason: round 1's draft failed the quality gate/.test(err.message),
  );
  assert.throws(() => checkReviewDecision({ ...base, round: 1, overrideReason: "   " }, open), /overrideReason/);
  assert.deepEqual(checkReviewDecision({ ...base, round: 1, overrideReason: " Verified by hand. " }, open), {
    decision: "approve",
    notes: "",
    facts: "",
    overrideReason: "Verified by hand.",
  });
  // A passing draft needs no reason; "changes" never does.
  assert.equal(checkReviewDecision({ ...base, round: 1 }, { ...open, gateStatus: "passed" }).overrideReason, undefined);
  assert.equal(checkReviewDecision({ ...base, decision: "changes", notes: "more", round: 1 }, open).decision, "changes");
});

test("CheckDecision: only a recorded decision of this execution, round and draft resumes the gate; forged and replayed callbacks are ReviewRejected and audited", async () => {
  const store = new SqliteReviewStore(path.join(dir, "check.db"));
  try {
    const record = (over: Partial<DecisionRecord> = {}): DecisionRecord => ({
      decisionId: randomUUID(),
      executionId: "vawa-1-p1",
      round: 1,
      version: "runs/vawa-1/vawa-1-p1/draft-1.json",
      decision: "approve",
      reviewer: "A. Attorney",
      unattended: false,
      via: "api",
      decidedAt: new Date().toISOString(),
      gateStatus: "failing-review",
      overrideReason: "Verified each paragraph against the exhibits.",
      notesChars: 0,
      ...over,
    });
    const gate = { executionName: "vawa-1-p1", round: 1, version: "runs/vawa-1/vawa-1-p1/draft-1.json" };
    const earlier = record({ round: 0, version: "runs/vawa-1/vawa-1-p1/draft-0.json", decision: "changes" });
    const foreign = record({ executionId: "t-2-p1" });
    for (const r of [earlier, foreign]) await store.putDecision(r);
    const forged = [
      // What the issue's attacker sent: a decision of its own making.
      { decision: "approve", reviewer: "Hon. Jane Partner, Esq.", decidedAt: "2026-01-01T00:00:00Z", version: gate.version },
      { decisionId: "../../etc" },
      { decisionId: randomUUID() },
      // A real decision, replayed: another round's, another execution's.
      { decisionId: earlier.decisionId, decision: "approve" },
      { decisionId: foreign.decisionId },
      "approve",
      null,
    ];
    for (const callback of forged)
      await assert.rejects(
        checkDecision({ ...gate, callback }, store),
        (err: Error) => err instanceof ReviewRejectedError && err.name === "Affiant.ReviewRejected",
        JSON.stringify(callback),
      );
    const good = record();
    await store.putDecision(good);
    const checked = await checkDecision({ ...gate, callback: { decisionId: good.decisionId, reviewer: "ignored" } }, store);
    // The record, not the payload; the override reason's words stay in the record (not the history).
    const { overrideReason: _, ...withoutReason } = good;
    assert.deepEqual(checked, { ...withoutReason, override: true });
    assert.equal((checked as { reviewer: string }).reviewer, "A. Attorney");
    assert.ok(!("overrideReason" in (checked as object)));
    await checkDecision({ ...gate, expired: true }, store);
    const audit = await store.audit("vawa-1-p1");
    assert.deepEqual(
      audit.map((a) => [a.seq, a.decision, a.reviewer, a.via]),
      [
        ...forged.map((_, i) => [i + 1, "rejected", "(unverified)", "callback"]),
        [forged.length + 1, "approve", "A. Attorney", "api"],
        [forged.length + 2, "expired", "(none)", "workflow"],
      ],
    );
    assert.equal(audit.at(-2)!.override, true);
    assert.deepEqual(verifyAuditChain(audit), { ok: true, entries: audit.length });
  } finally {
    store.dispose();
  }
});

test("AuditReviewFailure: an error that ended the wait is audited with its name when plain and its sizes, never its cause; a States.Timeout sent before the window's end is no expiry; a tampered failure breaks the chain", async () => {
  const store = new SqliteReviewStore(path.join(dir, "failure.db"));
  try {
    const gate = { executionName: "vawa-1-p2", round: 0, version: "runs/vawa-1/vawa-1-p2/draft-0.json" };
    const cause = "Derek Samplefield approved this; A-123-456-789";
    assert.deepEqual(await checkDecision({ ...gate, failure: { Error: "Affiant.Forged", Cause: cause } }, store), { audited: true });
    // A name that is not an error name (the sender's free text) is not kept; neither is a missing one.
    await checkDecision({ ...gate, failure: { Error: "Derek Samplefield, 1984-03-02", Cause: "" } }, store);
    await checkDecision({ ...gate, failure: {} }, store);
    // A States.Timeout sent to the gate before the window's end is no expiry: audited as a task
    // failure, ReviewRejected. One at the window's end (OpenReview's time + the window) is the expiry.
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    await assert.rejects(
      checkDecision(
        {
          ...gate,
          expired: true,
          expirySeconds: 7200,
          state: { reviewOpened: { at: hourAgo }, reviewTimeout: { Error: "States.Timeout", Cause: cause } },
        },
        store,
      ),
      (err: Error) => err instanceof ReviewRejectedError && /before the review window's end/.test(err.message),
    );
    await checkDecision(
      { ...gate, expired: true, expirySeconds: 3600, state: { reviewOpened: { at: hourAgo }, reviewTimeout: { Error: "States.Timeout" } } },
      store,
    );
    // An execution waiting from before OpenReview has no opening time: its timeout is the expiry.
    await checkDecision({ ...gate, expired: true, expirySeconds: 7200, state: {} }, store);
    const audit = await store.audit("vawa-1-p2");
    assert.deepEqual(
      audit.map((a) => [a.decision, a.reviewer, a.via, a.round, a.version, a.failure]),
      [
        [
          "rejected",
          "(unverified)",
          "task-failure",
          0,
          gate.version,
          { error: "Affiant.Forged", errorChars: 14, causeChars: cause.length },
        ],
        ["rejected", "(unverified)", "task-failure", 0, gate.version, { error: null, errorChars: 29, causeChars: 0 }],
        ["rejected", "(unverified)", "task-failure", 0, gate.version, { error: null, errorChars: 0, causeChars: 0 }],
        [
          "rejected",
          "(unverified)",
          "task-failure",
          0,
          gate.version,
          { error: "States.Timeout", errorChars: 14, causeChars: cause.length },
        ],
        ["expired", "(none)", "workflow", 0, gate.version, undefined],
        ["expired", "(none)", "workflow", 0, gate.version, undefined],
      ],
    );
    assert.doesNotMatch(JSON.stringify(audit), /Samplefield|123-456|1984/);
    assert.deepEqual(verifyAuditChain(audit), { ok: true, entries: 6 });
    // The failure's fields are under the hash: a rewritten error name is detected.
    const edited = audit.map((a, i) => (i === 0 ? { ...a, failure: { ...a.failure!, error: "States.Timeout" } } : a));
    assert.equal(verifyAuditChain(edited).brokenAt, 1);
  } finally {
    store.dispose();
  }
});

test("the audit log refuses UPDATE and DELETE; an entry edited behind the triggers (a copy of the database) breaks the chain at that entry", async () => {
  const file = path.join(dir, "audit.db");
  const store = new SqliteReviewStore(file);
  const entry = (decision: "changes" | "approve", round: number) => ({
    executionId: "vawa-1-p1",
    reviewer: "A. Attorney",
    decision,
    version: `runs/vawa-1/vawa-1-p1/draft-${round}.json`,
    round,
    via: "api",
    notesChars: decision === "changes" ? 40 : 0,
    decidedAt: new Date().toISOString(),
  });
  const first = await store.addAudit(entry("changes", 0));
  const second = await store.addAudit(entry("approve", 1));
  assert.equal(second.prevHash, first.hash, "each entry carries the previous one's hash");
  assert.equal(first.prevHash, "0".repeat(64));
  const db = new Database(file);
  assert.throws(() => db.prepare(`UPDATE review_audit_log SET entry = '{}' WHERE seq = 1`).run(), /append-only: entries cannot be changed/);
  assert.throws(() => db.prepare(`DELETE FROM review_audit_log WHERE seq = 2`).run(), /append-only: entries cannot be deleted/);
  db.close();
  assert.deepEqual(verifyAuditChain(await store.audit("vawa-1-p1")), { ok: true, entries: 2 });
  store.dispose();

  // Someone with the file drops the trigger in a copy and rewrites who approved.
  const copy = path.join(dir, "audit-tampered.db");
  copyFileSync(file, copy);
  const tamper = new Database(copy);
  tamper.exec(`DROP TRIGGER review_audit_log_no_update`);
  const row = tamper.prepare(`SELECT entry FROM review_audit_log WHERE seq = 2`).get() as { entry: string };
  const edited = { ...JSON.parse(row.entry), reviewer: "Hon. Jane Partner, Esq." };
  tamper.prepare(`UPDATE review_audit_log SET entry = ? WHERE seq = 2`).run(JSON.stringify(edited));
  tamper.close();
  const reread = new SqliteReviewStore(copy);
  const report = verifyAuditChain(await reread.audit("vawa-1-p1"));
  assert.deepEqual(report, { ok: false, entries: 2, brokenAt: 2, reason: "entry 2 was changed after it was written (its hash differs)" });
  // A removed entry (the trigger dropped too) is found where the gap is.
  const gap = new Database(copy);
  gap.exec(`DROP TRIGGER review_audit_log_no_delete`);
  gap.prepare(`DELETE FROM review_audit_log WHERE seq = 1`).run();
  gap.close();
  assert.equal(verifyAuditChain(await reread.audit("vawa-1-p1")).brokenAt, 1);
  reread.dispose();
});

test("AttorneyNotes reads only its own execution's notes for its round: another case's notesKey is refused before anything is read", async () => {
  const store = new LocalBlobStore(path.join(dir, "blobs"));
  await store.put("runs/other-case/other-p1/review-notes-0.json", "Notes of another case.");
  const state = {
    caseId: "vawa-1",
    executionName: "vawa-1-p1",
    runKey: "runs/vawa-1/vawa-1-p1",
    rewrites: { n: 0 },
    review: { decision: "changes", round: 0, notesKey: "runs/other-case/other-p1/review-notes-0.json" },
  } as unknown as PipelineState;
  await assert.rejects(
    reviewNotes({ state } as never, store),
    (err: Error) =>
      err instanceof ReviewRejectedError &&
      /outside this execution's round 0 \(private\/vawa-1\/vawa-1-p1\/review-notes-0\.json\)/.test(err.message),
  );
  // Its own round's key, another round's: refused too.
  const otherRound = {
    ...state,
    review: { ...(state as never as { review: object }).review, notesKey: "private/vawa-1/vawa-1-p1/review-notes-3.json" },
  };
  await assert.rejects(reviewNotes({ state: otherRound } as never, store), ReviewRejectedError);
  // Its own round's notes record, but written for another draft, or aimed at other paragraphs
  // than the verified decision record names: not this decision's notes.
  const own = "private/vawa-1/vawa-1-p1/review-notes-0.json";
  const notesRecord = {
    version: "runs/vawa-1/vawa-1-p1/draft-0.json",
    general: "",
    paragraphs: [{ paragraph: 3, element: "e3", text: "Fix the date." }],
    locked: [],
  };
  await store.put(own, JSON.stringify(notesRecord));
  const review = { decision: "changes", round: 0, version: "runs/vawa-1/vawa-1-p1/draft-1.json", notesKey: own, paragraphs: [3] };
  await assert.rejects(
    reviewNotes({ state: { ...state, review } } as never, store),
    (err: Error) => err instanceof ReviewRejectedError && /written for another draft/.test(err.message),
  );
  const otherAim = { ...review, version: notesRecord.version, paragraphs: [4] };
  await assert.rejects(
    reviewNotes({ state: { ...state, review: otherAim } } as never, store),
    (err: Error) => err instanceof ReviewRejectedError && /other paragraphs/.test(err.message),
  );
});

test("AFFIANT_API_TOKENS_FILE: each token names its holder; a short token, a missing name or bad JSON is refused naming the file and entry, never the token", () => {
  const file = path.join(dir, "tokens.json");
  writeFileSync(
    file,
    JSON.stringify({ "token-of-a-attorney-000000001": "A. Attorney", "token-of-b-paralegal-00000002": " B. Paralegal " }),
  );
  assert.deepEqual(
    [...loadApiTokens(file)],
    [
      ["token-of-a-attorney-000000001", "A. Attorney"],
      ["token-of-b-paralegal-00000002", "B. Paralegal"],
    ],
  );
  writeFileSync(file, JSON.stringify({ "token-of-a-attorney-000000001": "A. Attorney", short: "B" }));
  assert.throws(
    () => loadApiTokens(file),
    (err: Error) => /tokens\.json, entry 2: the token must be at least 24 characters/.test(err.message) && !err.message.includes("short"),
  );
  writeFileSync(file, JSON.stringify({ "token-of-a-attorney-000000001": "" }));
  assert.throws(() => loadApiTokens(file), /entry 1: the holder's name must be 1 to 200 characters/);
  writeFileSync(file, "[");
  assert.throws(() => loadApiTokens(file), /not valid JSON/);
  assert.throws(() => loadApiTokens(path.join(dir, "absent.json")), /cannot read it \(ENOENT\)/);
});
