/**
 * The attorney's gate on the local engine, through the command line: real processes, the
 * real definition, real llama.cpp on the tiny model. `affiant run` stops at AttorneyReview
 * and exits 0; `affiant review` resumes it in a new process from what the history database
 * holds, as the local user (a --reviewer name is refused); bad decisions (another round, a
 * failing draft approved without a reason) change nothing; every round's renditions are kept,
 * the filing copy appears only with the approval, approval.json's hashes are the files', and
 * the audit chain verifies; a review that never comes ends in ReviewExpired.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { runsAuditCommand } from "../../cli/runs-audit-command.ts";
import { runsShowCommand } from "../../cli/runs-command.ts";
import { stateNames } from "../../core/state-names.ts";
import { inProcess, makeTestHome, patientStages, runCli, samples } from "../helpers.ts";

interface Summary {
  executionId: string;
  status: string;
  waitingFor?: string;
  outputDir: string;
  error?: string;
  review?: { round: number; version: string; expiresAt: string };
  reviewAudit?: Array<{ reviewer: string; decision: string; version: string; round: number; via: string; notesChars: number }>;
  states: Array<{ name: string; status: string }>;
  output?: { review: { status: string }; approval?: { reviewer: string; via: string; draftVersion: string; round: number } };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

const parse = (stdout: string) => JSON.parse(stdout) as Summary;

/** What the history database holds for a gate: the engine's task and the review API's gate. */
function gateRows(home: string, executionId: string) {
  const db = new Database(path.join(home, "affiant.db"), { readonly: true });
  try {
    const task = db.prepare(`SELECT token, round FROM review_tasks WHERE execution_id = ?`).get(executionId) as
      | { token: string; round: number }
      | undefined;
    const gate = db.prepare(`SELECT token, round FROM review_gates WHERE execution_id = ?`).get(executionId) as
      | { token: string; round: number }
      | undefined;
    const events = JSON.stringify(db.prepare(`SELECT * FROM events WHERE execution_id = ?`).all(executionId));
    return { task, gate, events };
  } finally {
    db.close();
  }
}

test("run waits in AttorneyReview and exits 0; bad decisions change nothing; changes (notes redacted, facts from the client indexed as an interview) then approve, as the local user, each round kept and audited in a verified chain, resumed in new processes", async () => {
  const user = userInfo().username;
  const { home, env } = makeTestHome({ stages: patientStages });
  const run = await runCli(["run", samples.vawa, "--json"], env);
  assert.equal(run.code, 0, run.stderr);
  const waiting = parse(run.stdout);
  assert.equal(waiting.status, "RUNNING");
  assert.equal(waiting.waitingFor, stateNames.attorneyReview);
  assert.match(run.stderr, new RegExp(`approve: +affiant review ${waiting.executionId} --approve --round 0\\n`));
  assert.match(run.stderr, new RegExp(`affiant review ${waiting.executionId} --changes notes.md`));
  // The draft under review is where the attorney reads it, and in its round's folder; nothing is approved yet.
  assert.match(run.stderr, /draft: +.*declaration\.md/);
  assert.match(run.stderr, /this round: +.*round-0\/ \(kept when another round follows\)/);
  assert.match(readFileSync(path.join(waiting.outputDir, "declaration.md"), "utf8"), /Elena Fictitia Marsh/);
  const round0 = readFileSync(path.join(waiting.outputDir, "round-0", "declaration.md"), "utf8");
  assert.match(round0, /Elena Fictitia Marsh/);
  assert.ok(existsSync(path.join(waiting.outputDir, "round-0", "declaration.filing.md")), "the round's filing draft is kept");
  assert.ok(!existsSync(path.join(waiting.outputDir, "approval.json")), "nothing is approved yet");
  assert.ok(!existsSync(path.join(waiting.outputDir, "declaration.filing.md")), "no filing copy before the approval");
  // The history shows the execution waiting in AttorneyReview, entered and not left.
  assert.deepEqual(waiting.states.at(-1), { ...waiting.states.at(-1), name: stateNames.attorneyReview, status: "RUNNING" });

  // The token is kept with the execution, and nowhere in the history or the logs.
  const first = gateRows(home, waiting.executionId);
  assert.match(first.task!.token, /^AQC[A-Za-z0-9_-]{60,}$/);
  assert.equal(first.gate!.token, first.task!.token);
  assert.ok(!first.events.includes(first.task!.token), "the token is in the history");
  assert.ok(!readFileSync(env.AFFIANT_LOG_FILE!, "utf8").includes(first.task!.token), "the token is in the log");

  // Bad input: neither flag, both, an unreadable notes file, notes over the limit, an
  // unknown execution. Each is a clear error, exit 1, and the gate is as it was.
  const none = await runCli(["review", waiting.executionId], env);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /exactly one of --approve or --changes/);
  const missing = await runCli(["review", waiting.executionId, "--changes", path.join(home, "no-such-notes.md")], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no-such-notes\.md: cannot read the notes file \(ENOENT\)/);
  const big = path.join(home, "big.md");
  writeFileSync(big, "x".repeat(70 * 1024));
  const tooBig = await runCli(["review", waiting.executionId, "--changes", big], env);
  assert.equal(tooBig.code, 1);
  assert.match(tooBig.stderr, /notes: 71680 bytes, over the 65536-byte limit/);
  const unknown = await runCli(["review", "no-such-execution", "--approve"], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Affiant\.NotFound: execution no-such-execution not found/);
  // Who decides is who runs the command: a name cannot be given.
  const named = await runCli(["review", waiting.executionId, "--approve", "--reviewer", "Hon. Jane Partner, Esq."], env);
  assert.equal(named.code, 1);
  assert.match(named.stderr, new RegExp(`--reviewer: .*runs as the local user "${user}"`));
  // A decision on another round than the one open: 409, typed.
  const wrongRound = await runCli(["review", waiting.executionId, "--approve", "--round", "3", "--override-reason", "x"], env);
  assert.equal(wrongRound.code, 1);
  assert.match(
    wrongRound.stderr,
    /Affiant\.ReviewRoundMismatch: execution .* waits for a decision on round 0; this decision answers round 3/,
  );
  assert.deepEqual(gateRows(home, waiting.executionId), first, "a refused decision changed the gate");

  // Changes: the notes name the abuser; the rewrite sees his placeholder, never his name.
  const notes = path.join(home, "notes.md");
  writeFileSync(notes, "Paragraph 2: say more about what Derek Samplefield did in March.\n");
  // With facts from the client: an interview source the rewrite may cite (InterviewFacts → IndexInterview).
  const facts = path.join(home, "facts.md");
  writeFileSync(facts, "We married in a chapel in March 2019.\n\nHer sister Carla Nowhere drove her to the shelter.\n");
  const changes = await runCli(["review", waiting.executionId, "--changes", notes, "--facts", facts, "--json"], env);
  assert.equal(changes.code, 0, changes.stderr);
  assert.match(changes.stderr, new RegExp(`deciding as the local user "${user}" on round 0 of ${waiting.executionId}`));
  const again = parse(changes.stdout);
  assert.equal(again.status, "RUNNING");
  assert.equal(again.waitingFor, stateNames.attorneyReview);
  assert.equal(again.review!.round, 1, "one rewrite round later");
  assert.notEqual(again.review!.version, waiting.review!.version, "a new draft is under review");
  // Each round is its own set of states in the history, back to AttorneyReview.
  const names = again.states.map((s) => s.name);
  const secondRound = names.slice(names.indexOf(stateNames.attorneyReview));
  for (const s of [
    stateNames.reviewDecision,
    stateNames.reviewNotes,
    stateNames.interviewFacts,
    stateNames.indexInterview,
    stateNames.attorneyAsJudge,
    stateNames.guardrailsRewrite,
    stateNames.judges,
    stateNames.score,
    stateNames.reinject,
  ])
    assert.ok(secondRound.includes(s), `${s} did not run in the second round`);
  assert.equal(names.filter((n) => n === stateNames.attorneyReview).length, 2, "AttorneyReview once per round");
  const notesBlob = filesUnder(path.join(home, "blobs")).find((f) => /attorney-notes-0\.json$/.test(f));
  assert.ok(notesBlob, "AttorneyNotes wrote no judge report");
  const reasons = (JSON.parse(readFileSync(notesBlob, "utf8")) as { reasons: string }).reasons;
  assert.match(reasons, /what \[PERSON_\d+\] did in March/);
  assert.doesNotMatch(reasons, /Derek|Samplefield/);
  // The facts were indexed redacted, as the round's own index, and the review document lists them as a source not filed.
  const blobFiles = filesUnder(path.join(home, "blobs"));
  const interviewIndex = blobFiles.find((f) => /index-r0\.json$/.test(f));
  assert.ok(interviewIndex, "IndexInterview wrote no index");
  const indexed = JSON.parse(readFileSync(interviewIndex, "utf8")) as {
    chunks: Array<{ text: string; role?: string; round?: number }>;
    documents: Array<{ role: string; round?: number }>;
  };
  assert.deepEqual(indexed.documents.at(-1), { ...indexed.documents.at(-1), role: "interview", round: 0 });
  const factChunks = indexed.chunks.filter((c) => c.round === 0);
  assert.deepEqual(
    factChunks.map((c) => [c.role, /chapel|shelter/.test(c.text)]),
    [
      ["interview", true],
      ["interview", true],
    ],
  );
  assert.doesNotMatch(JSON.stringify(factChunks), /Carla|Nowhere/);
  // The facts as written hold real values: kept under private/ only, never under runs/.
  const rawFacts = blobFiles.filter((f) => f.endsWith("review-facts-0.md"));
  assert.equal(rawFacts.length, 1, `one raw facts file: ${rawFacts.join(", ")}`);
  assert.match(rawFacts[0]!, /[/\\]private[/\\]/);
  assert.match(
    readFileSync(path.join(waiting.outputDir, "round-1", "review.md"), "utf8"),
    /\n- Interview 2: facts from the client \(review round 0\) \(pages 1, 2; (not cited|cited: [\d, ]+)\)\. Not filed/,
  );
  // The used token is gone; the new round has a token of its own. Round 0 is kept as it was.
  const second = gateRows(home, waiting.executionId);
  assert.notEqual(second.task!.token, first.task!.token);
  assert.equal(readFileSync(path.join(waiting.outputDir, "round-0", "declaration.md"), "utf8"), round0, "round 0 was overwritten");
  assert.ok(existsSync(path.join(waiting.outputDir, "round-1", "declaration.md")), "round 1's renditions are in round-1/");

  // The tiny model's draft fails the quality gate: approving it needs a reason (400, nothing changes).
  const gateStatus = (
    JSON.parse(readFileSync(path.join(waiting.outputDir, "round-1", "report.json"), "utf8")) as { review: { status: string } }
  ).review.status;
  if (gateStatus !== "passed") {
    const noReason = await runCli(["review", waiting.executionId, "--approve"], env);
    assert.equal(noReason.code, 1);
    assert.match(noReason.stderr, /overrideReason: round 1's draft failed the quality gate; approving it needs an overrideReason/);
    assert.deepEqual(gateRows(home, waiting.executionId), second, "a refused approval changed the gate");
  }
  const reason = "Checked every paragraph against the exhibits; the judges misread paragraph 2.";
  const approve = await runCli(["review", waiting.executionId, "--approve", "--round", "1", "--override-reason", reason, "--json"], env);
  assert.equal(approve.code, 0, approve.stderr);
  const done = parse(approve.stdout);
  assert.equal(done.status, "SUCCEEDED");
  assert.match(approve.stderr, new RegExp(`approved: +by ${user} at .* \\(cli, round 1\\)`));
  const approval = JSON.parse(readFileSync(path.join(done.outputDir, "approval.json"), "utf8")) as {
    reviewer: string;
    unattended: boolean;
    decidedAt: string;
    via: string;
    round: number;
    draftVersion: string;
    gate: { status: string; failures: string[] };
    overrideReason: string;
    filing: Array<{ file: string; sha256: string }>;
  };
  assert.deepEqual(
    [
      approval.reviewer,
      approval.unattended,
      approval.via,
      approval.round,
      approval.draftVersion,
      approval.gate.status,
      approval.overrideReason,
    ],
    [user, false, "cli", 1, again.review!.version, gateStatus, reason],
  );
  assert.ok(Date.parse(approval.decidedAt) > 0);
  // What was approved is what is on disk: each filing rendition's SHA-256 as written.
  assert.equal(approval.filing.length, 3);
  for (const f of approval.filing)
    assert.equal(
      createHash("sha256")
        .update(readFileSync(path.join(done.outputDir, f.file)))
        .digest("hex"),
      f.sha256,
      f.file,
    );
  // The filing copy carries no review banner; the round's filing draft keeps its own.
  const filing = readFileSync(path.join(done.outputDir, "declaration.filing.md"), "utf8");
  assert.doesNotMatch(filing, /FAILING REVIEW|NOT REVIEWED/);
  assert.match(filing, /\n1\. My name is Elena Fictitia Marsh\./);
  if (gateStatus !== "passed")
    assert.match(readFileSync(path.join(done.outputDir, "round-1", "declaration.filing.md"), "utf8"), /FAILING REVIEW/);
  // The override reason's words are in approval.json, not in the execution's history.
  assert.ok(!JSON.stringify(done.output).includes(reason), "the override reason is in the output");
  assert.deepEqual(
    done.reviewAudit!.map((a) => [a.decision, a.reviewer, a.round, a.via, a.version]),
    [
      ["changes", user, 0, "cli", waiting.review!.version],
      ["approve", user, 1, "cli", again.review!.version],
    ],
  );
  const verified = inProcess(env, () => runsAuditCommand(waiting.executionId, { verify: true }));
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stderr, /the chain of 2 entries holds/);
  assert.equal(done.reviewAudit![0]!.notesChars, 65);
  const third = gateRows(home, waiting.executionId);
  assert.deepEqual([third.task, third.gate], [undefined, undefined], "the gate is closed");
  for (const t of [first.task!.token, second.task!.token]) {
    assert.ok(!third.events.includes(t), "a token is in the history");
    assert.ok(!readFileSync(env.AFFIANT_LOG_FILE!, "utf8").includes(t), "a token is in the log");
  }

  // A second decision once the token is used: refused, nothing changes.
  const late = await runCli(["review", waiting.executionId, "--approve"], env);
  assert.equal(late.code, 1);
  assert.match(late.stderr, /Affiant\.NotWaitingForReview: execution .* is not waiting for review \(SUCCEEDED\)/);
  const shown = inProcess(env, () => runsShowCommand(waiting.executionId, {}));
  assert.match(shown.stdout, new RegExp(`review: changes by ${user} at .* \\(cli, round 0, `));
  assert.match(shown.stdout, new RegExp(`review: approve by ${user} at .* \\(cli, round 1, `));
});

test("a review that never comes ends in Affiant.ReviewExpired, the draft kept; a late decision is refused", async () => {
  const { env } = makeTestHome({ stages: patientStages });
  const expiring = { ...env, AFFIANT_REVIEW_EXPIRY_SECONDS: "1" };
  const run = await runCli(["run", samples.vawa, "--json"], expiring);
  assert.equal(run.code, 0, run.stderr);
  const waiting = parse(run.stdout);
  assert.equal(waiting.waitingFor, stateNames.attorneyReview);
  await new Promise((r) => setTimeout(r, 1500));
  const late = await runCli(["review", waiting.executionId, "--approve"], expiring);
  assert.equal(late.code, 1);
  assert.match(late.stderr, /Affiant\.NotWaitingForReview: .*the review window closed/);
  const shown = inProcess(expiring, () => runsShowCommand(waiting.executionId, { json: true }));
  const ended = parse(shown.stdout);
  assert.equal(ended.status, "FAILED");
  assert.equal(ended.error, "Affiant.ReviewExpired");
  assert.ok(
    ended.states.some((s) => s.name === stateNames.reviewExpired),
    "the Catch led to ReviewExpired",
  );
  // The expiry is audited by the workflow (AuditExpiry), like any decision.
  assert.deepEqual(
    ended.reviewAudit!.map((a) => [a.decision, a.via]),
    [["expired", "workflow"]],
  );
  assert.ok(
    ended.states.some((s) => s.name === stateNames.auditExpiry),
    "AuditExpiry ran",
  );
  // Every output is kept: the draft the attorney never decided on is still there.
  assert.ok(existsSync(path.join(waiting.outputDir, "declaration.md")));
});
