/**
 * AttorneyReview on the local engine. The state's task (callback pattern) gets a token, kept
 * with the execution in the history database (never logged, never in the history's events):
 * the engine's task (history-db.ts, what Step Functions keeps) and the review API's gate (the
 * review store, what DynamoDB keeps in AWS). The run in this process then stops, and the
 * execution stays RUNNING, waiting. A decision (the API, the CLI, the viewer, `run --approve`)
 * is checked against the open round, recorded as a decision record, and answers the task with
 * the record's id, as SendTaskSuccess does in AWS; SendTaskSuccess on `/sfn` answers it with
 * whatever its caller sent. Either way the definition runs on from AttorneyReview in whichever
 * process decided, and CheckDecision, not this file, decides whether the answer is a decision
 * (and audits it). A gate whose window passes is answered with `States.Timeout`, which the
 * state catches into AuditExpiry and a `ReviewExpiredError`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { NotFoundError, NotWaitingForReviewError, StatesError } from "../../core/errors.ts";
import { log } from "../../core/log.ts";
import {
  checkReviewDecision,
  type DecisionRecord,
  type GateStatus,
  type ReviewCallback,
  type ReviewDecisionInput,
  reviewExpirySeconds,
  reviewFactsKey,
} from "../../core/review.ts";
import { checkParagraphs, notesChars, recordedParagraphs, writeParagraphs } from "../../core/review-paragraphs.ts";
import { SqliteReviewStore } from "../../core/review-store.ts";
import { stateNames } from "../../core/state-names.ts";
import type { ReviewTask } from "./history-db.ts";
import type { LocalEngine } from "./local-engine.ts";
import { type ExecutionSummary, reviewOf } from "./summary.ts";

/** AttorneyReview's Parameters, as the definition resolves them. */
export interface ReviewRequest {
  FunctionName: string;
  Payload: {
    taskToken: string;
    executionName: string;
    caseId: string;
    runKey: string;
    version: string;
    round: number;
    gateStatus: string;
    state: Record<string, unknown>;
  };
}

/**
 * `approve` at start: the gate approves as soon as it is reached, unattended (no reviewer;
 * approval.json and the filing copy say the draft was not reviewed by an attorney).
 */
export interface StartApproval {
  /** How it was approved, for the audit log: e.g. "run --approve". */
  via: string;
}

const gateStatusOf = (s: string): GateStatus => (s === "passed" ? "passed" : "failing-review");

type Resolution = { kind: "output"; output: unknown } | { kind: "failure"; error: string; cause: string } | { kind: "expired" };

/** Keeps a timer within setTimeout's range; a longer wait is re-armed. */
const maxTimerMs = 2 ** 31 - 1;

/** The run stopped at the gate: not an error of the execution (local-engine.ts tells it apart). */
export const waitingForReview = "Local.WaitingForReview";

export class ReviewGates {
  readonly store: SqliteReviewStore;
  private readonly resolutions = new Map<string, Resolution>();
  private readonly atStart = new Map<string, StartApproval>();
  private readonly suspendedRuns = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly engine: LocalEngine) {
    this.store = new SqliteReviewStore(engine.db.file);
  }

  approveAtGate(executionId: string, approval: StartApproval): void {
    this.atStart.set(executionId, approval);
  }

  /** The AttorneyReview task: a decision in hand is its result; otherwise the gate opens and this run stops. */
  async enterGate(executionId: string, request: ReviewRequest): Promise<unknown> {
    const p = request.Payload;
    const resolution = this.resolutions.get(executionId);
    if (resolution) {
      this.resolutions.delete(executionId);
      if (resolution.kind === "expired")
        throw new StatesError(
          "States.Timeout",
          JSON.stringify({ errorType: "States.Timeout", errorMessage: "no decision within the review window" }),
        );
      if (resolution.kind === "failure") throw new StatesError(resolution.error, resolution.cause);
      return resolution.output;
    }
    const approval = this.atStart.get(executionId);
    if (approval) {
      this.atStart.delete(executionId);
      return this.record({
        decisionId: randomUUID(),
        executionId,
        round: p.round,
        version: p.version,
        decision: "approve",
        reviewer: null,
        unattended: true,
        via: approval.via,
        decidedAt: new Date().toISOString(),
        gateStatus: gateStatusOf(p.gateStatus),
        notesChars: 0,
      });
    }
    // A fresh token per gate, not the context's (the engine's `$$.Task.Token` is one per execution).
    const token = `AQC${randomBytes(48).toString("base64url")}`;
    const openedAt = new Date();
    const expiresAt = new Date(openedAt.getTime() + reviewExpirySeconds() * 1000).toISOString();
    const task: ReviewTask = {
      token,
      executionId,
      state: p.state,
      version: p.version,
      round: p.round,
      openedAt: openedAt.toISOString(),
      expiresAt,
    };
    this.engine.db.openReviewTask(task);
    this.store.openGateSync({
      executionId,
      token,
      version: p.version,
      round: p.round,
      runKey: p.runKey,
      openedAt: task.openedAt,
      expiresAt,
      gateStatus: gateStatusOf(p.gateStatus),
    });
    this.suspendedRuns.add(executionId);
    this.armExpiry(task);
    log("info", "review.waiting", { execution: executionId, round: p.round });
    // Stop this run once the task has been entered (the history shows the execution in
    // AttorneyReview); the task then settles, so none of the library's timers outlives it.
    return new Promise((_, reject) =>
      setImmediate(() => {
        this.engine.suspendAtGate(executionId);
        reject(new StatesError(waitingForReview, "{}"));
      }),
    );
  }

  /** True for a run of this process that stopped at the gate (until its end is handled). */
  suspended(executionId: string): boolean {
    return this.suspendedRuns.has(executionId);
  }

  /** The run that stopped at the gate has been wound down. */
  settled(executionId: string): void {
    this.suspendedRuns.delete(executionId);
  }

  /** The open task of a waiting execution, if any. */
  task(executionId: string): ReviewTask | undefined {
    return this.engine.db.reviewTask({ executionId });
  }

  /** A decision, awaited until the execution ends or waits again (the CLI). */
  async decide(executionId: string, input: ReviewDecisionInput): Promise<ExecutionSummary> {
    return (await this.accept(executionId, input)).done;
  }

  /**
   * A decision for a waiting execution (the local API, the viewer, the CLI). Checked before
   * anything changes: an execution waiting here, the round it waits in, a known decision, notes
   * that fit, an override reason for a draft that failed the quality gate; then the token is
   * used (once), the decision recorded, and the execution runs on (CheckDecision audits it).
   */
  async accept(
    executionId: string,
    input: ReviewDecisionInput,
  ): Promise<{ done: Promise<ExecutionSummary>; decisionId: string; round: number }> {
    const row = this.engine.db.getExecution(executionId);
    if (!row) throw new NotFoundError(`execution ${executionId} not found`);
    const task = this.task(executionId);
    if (row.status !== "RUNNING" || !task)
      throw new NotWaitingForReviewError(`execution ${executionId} is not waiting for review (${row.status})`);
    if (Date.parse(task.expiresAt) <= Date.now()) {
      // Ended here and now (the process deciding may be the only one alive): ReviewExpired, outputs kept.
      await this.expire(executionId);
      throw new NotWaitingForReviewError(`execution ${executionId}: the review window closed at ${task.expiresAt}`);
    }
    // A gate whose verdict is unknown counts as failing: approving it needs a reason.
    const gateStatus = this.store.gateSync(executionId)?.gateStatus ?? "failing-review";
    const { decision, notes, facts, overrideReason } = checkReviewDecision(input, { executionId, round: task.round, gateStatus });
    const state = task.state as { runKey: string };
    // Paragraph numbers and locks checked against the draft under review, before the gate is used.
    const paragraphs = await checkParagraphs(this.engine.store, { runKey: state.runKey, version: task.version }, input);
    // The review API's gate first: of two decisions racing, one closes it.
    if (!this.store.closeGateSync(executionId, task.token))
      throw new NotWaitingForReviewError(`execution ${executionId}: this review was already decided`);
    // Inside the account, under the run's real-value prefix; only the notes' key enters the execution state.
    const notesKey = await writeParagraphs(this.engine.store, { runKey: state.runKey, round: task.round }, decision, paragraphs);
    let factsKey: string | undefined;
    if (decision === "changes" && facts.trim()) {
      // The client's facts hold real values: kept like the notes, under the run's real-value
      // prefix; AttorneyNotes redacts them into an interview source.
      factsKey = reviewFactsKey(state.runKey, task.round);
      await this.engine.store.put(factsKey, Buffer.from(facts, "utf8"));
    }
    const output = this.record({
      decisionId: randomUUID(),
      executionId,
      round: task.round,
      version: task.version,
      decision,
      reviewer: input.reviewer,
      unattended: false,
      via: input.via,
      decidedAt: new Date().toISOString(),
      gateStatus,
      notesChars: notesChars(notes, input),
      ...recordedParagraphs(paragraphs),
      ...(overrideReason ? { overrideReason } : {}),
      ...(notesKey ? { notesKey } : {}),
      ...(factsKey ? { factsKey, factsChars: facts.length } : {}),
    });
    const done = this.resume(task, { kind: "output", output });
    if (!done) throw new NotWaitingForReviewError(`execution ${executionId}: this review was already decided`);
    return { done, decisionId: output.decisionId, round: task.round };
  }

  /**
   * SendTaskSuccess / SendTaskFailure for AttorneyReview's token (the `/sfn` endpoint): what the
   * review API calls in AWS. The payload goes to the task as sent: CheckDecision accepts it
   * only as the id of a decision record of this round. Undefined when the token is no open
   * review task's.
   */
  answer(token: string, answer: { output: unknown } | { error: string; cause: string }): Promise<ExecutionSummary> | undefined {
    const task = this.engine.db.reviewTask({ token });
    if (!task) return undefined;
    // The API that decided closed its gate already; a raw SendTask* closes it here.
    this.store.closeGateSync(task.executionId, token);
    return this.resume(task, "output" in answer ? { kind: "output", output: answer.output } : { kind: "failure", ...answer });
  }

  /** Ends a gate whose window passed: `States.Timeout` into AttorneyReview, caught as ReviewExpired. */
  async expire(executionId: string): Promise<ExecutionSummary | undefined> {
    const task = this.task(executionId);
    if (!task) return undefined;
    this.store.closeGateSync(executionId, task.token);
    // AuditExpiry (the state the Catch leads to) audits it.
    return this.resume(task, { kind: "expired" });
  }

  /** Arms expiry for every open gate (a long-lived engine: `affiant serve`). */
  watch(): void {
    for (const task of this.engine.db.openReviewTasks()) this.armExpiry(task);
  }

  /** Adds what the summary lacks: what the execution waits for, and the decisions so far. */
  annotate(summary: ExecutionSummary): ExecutionSummary {
    const audit = this.store.auditSync(summary.executionId);
    const task = summary.status === "RUNNING" ? this.task(summary.executionId) : undefined;
    // The draft under review is Reinject's output in the state the gate keeps: the gate's verdict and score.
    const reinjected = (task?.state as { reinject?: { output?: { score?: number | null } } } | undefined)?.reinject?.output;
    const quality = reviewOf(reinjected);
    return {
      ...summary,
      ...(task
        ? {
            outputDir: this.engine.db.getExecution(summary.executionId)?.outputDir ?? null,
            waitingFor: stateNames.attorneyReview,
            review: {
              round: task.round,
              version: task.version,
              openedAt: task.openedAt,
              expiresAt: task.expiresAt,
              score: reinjected?.score ?? null,
            },
            ...(quality ? { quality } : {}),
          }
        : {}),
      ...(audit.length ? { reviewAudit: audit.map(({ executionId: _, prevHash: __, ...a }) => a) } : {}),
    };
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.store.dispose();
  }

  /** Uses the token (once) and runs the execution on from the gate; undefined when it was used already. */
  private resume(task: ReviewTask, resolution: Resolution): Promise<ExecutionSummary> | undefined {
    if (!this.engine.db.closeReviewTask(task.token)) return undefined;
    this.clearTimer(task.executionId);
    this.resolutions.set(task.executionId, resolution);
    return this.engine.resumeAtGate(task.executionId, task.state);
  }

  /** Keeps the decision record (the review API's, as in AWS); the task's answer is its id alone. */
  private record(record: DecisionRecord): ReviewCallback {
    this.store.putDecisionSync(record);
    log("info", "review.recorded", { execution: record.executionId, decision: record.decision, via: record.via, round: record.round });
    return { decisionId: record.decisionId };
  }

  private armExpiry(task: ReviewTask): void {
    this.clearTimer(task.executionId);
    const ms = Math.max(0, Date.parse(task.expiresAt) - Date.now());
    const timer = setTimeout(
      () => {
        this.timers.delete(task.executionId);
        if (ms > maxTimerMs) return this.armExpiry(task);
        if (this.engine.isDisposed) return;
        this.expire(task.executionId).catch((err: Error) =>
          log("error", "review.expire_failed", { execution: task.executionId, error: err.name }),
        );
      },
      Math.min(ms, maxTimerMs),
    );
    // A process with nothing else to do (the CLI after the gate) does not wait for this.
    timer.unref();
    this.timers.set(task.executionId, timer);
  }

  private clearTimer(executionId: string): void {
    const t = this.timers.get(executionId);
    if (t) clearTimeout(t);
    this.timers.delete(executionId);
  }
}
