/**
 * `affiant serve`'s executions: the local engine and its SQLite history. Starts are
 * idempotent per case and pipeline version (the execution name says both), and the
 * check-then-start runs without an await in between, so two requests in one process
 * cannot both start the same case.
 */
import { type CaseFile, caseKeys } from "../core/case-file.ts";
import { CaseBusyError, TooManyExecutionsError } from "../core/errors.ts";
import { attemptOf, executionNameFor } from "../core/execution-name.ts";
import type { FaultKind } from "../core/faults.ts";
import { log } from "../core/log.ts";
import { pipelineVersion } from "../core/pipeline-state.ts";
import type { ReviewDecisionInput } from "../core/review.ts";
import type { LocalEngine } from "../workflows/engine/local-engine.ts";
import type { StartApproval } from "../workflows/engine/review-gates.ts";
import { assertCaseReady, checkDocumentList, writeCase, writeManifest } from "./case-store.ts";
import type { CaseDocument, ExecutionStatus, Executions, PlannedDocument, StartResult, UploadTarget } from "./executions.ts";
import { UploadSigner } from "./local-uploads.ts";

export interface LocalExecutionsOptions {
  engine: LocalEngine;
  signer?: UploadSigner;
  /** How long an upload URL stays good. Default 15 minutes. */
  uploadTtlSeconds?: number;
  /**
   * Executions this server runs at once; a start beyond it is refused (429 on the API,
   * ExecutionLimitExceeded on /sfn) rather than queued, so a flood costs nothing. Default 4:
   * every execution runs GPU workers on this machine.
   */
  maxRunning?: number;
  /** Approve every execution at the AttorneyReview gate (`serve --approve`). Default: they wait there. */
  approve?: StartApproval;
}

export class LocalExecutions implements Executions {
  readonly kind = "local" as const;
  readonly engine: LocalEngine;
  readonly signer: UploadSigner;
  private readonly uploadTtlSeconds: number;
  private readonly running = new Map<string, { caseId: string; done: Promise<unknown> }>();
  readonly maxRunning: number;

  constructor(options: LocalExecutionsOptions) {
    this.engine = options.engine;
    this.signer = options.signer ?? new UploadSigner();
    this.uploadTtlSeconds = options.uploadTtlSeconds ?? 900;
    this.maxRunning = options.maxRunning ?? 4;
    this.approve = options.approve;
  }

  private readonly approve: StartApproval | undefined;

  /**
   * Executions waiting in AttorneyReview that no process runs: they hold their case and a
   * place under the cap as a running one does, so a resumed one never runs over the cap and
   * a case's documents never change under a draft the attorney is reading. From the history
   * database, so a wait left by another process (`affiant run`) counts too.
   */
  private waiting(): Array<{ id: string; caseId: string }> {
    const out: Array<{ id: string; caseId: string }> = [];
    for (const t of this.engine.db.openReviewTasks()) {
      if (this.running.has(t.executionId)) continue;
      const row = this.engine.db.getExecution(t.executionId);
      if (row?.status === "RUNNING") out.push({ id: row.id, caseId: row.caseId });
    }
    return out;
  }

  /** Executions running in this process plus those waiting for the attorney. */
  activeCount(): number {
    return this.running.size + this.waiting().length;
  }

  /** The running or waiting execution of a case, if any: one at a time per case. */
  runningOf(caseId: string): string | undefined {
    for (const [id, r] of this.running) if (r.caseId === caseId) return id;
    return this.waiting().find((w) => w.caseId === caseId)?.id;
  }

  /** Documents may not change under a running execution: it would read half old, half new. */
  assertCaseIdle(caseId: string): void {
    const id = this.runningOf(caseId);
    if (id) throw new CaseBusyError(`case ${caseId} has a running or waiting execution (${id}); its documents can change once it ends`);
  }

  /**
   * An upload URL is void once an execution of its case started after it was issued: the
   * documents an execution read must stay the ones it read.
   */
  assertUploadOpen(caseId: string, expiresAt: number): void {
    this.assertCaseIdle(caseId);
    const issuedAt = expiresAt - this.uploadTtlSeconds * 1000;
    const last = this.engine.db.listExecutions(1, { caseId })[0];
    if (last && Date.parse(last.startedAt) >= issuedAt) {
      throw new CaseBusyError(
        `case ${caseId}: execution ${last.id} started after this upload URL was issued; plan the case again for new URLs`,
      );
    }
  }

  async putCase(caseFile: CaseFile, caseJson: string, documents: CaseDocument[]): Promise<void> {
    this.assertCaseIdle(caseFile.caseId);
    await writeCase(this.engine.store, caseFile, caseJson, documents);
  }

  async planUploads(caseFile: CaseFile, caseJson: string, documents: PlannedDocument[], baseUrl: string): Promise<UploadTarget[]> {
    checkDocumentList(documents);
    this.assertCaseIdle(caseFile.caseId);
    for (const stale of await this.engine.store.list(caseKeys.documents(caseFile.caseId))) await this.engine.store.delete(stale);
    await writeManifest(this.engine.store, caseFile, caseJson, documents);
    const expiresAt = Date.now() + this.uploadTtlSeconds * 1000;
    return documents.map((d) => ({
      name: d.name,
      method: "PUT" as const,
      url: this.signer.url(baseUrl, { caseId: caseFile.caseId, name: d.name, size: d.size, expiresAt }),
      headers: { "content-type": "application/pdf" },
      expiresAt: new Date(expiresAt).toISOString(),
    }));
  }

  async startExecution(caseId: string): Promise<StartResult> {
    await assertCaseReady(this.engine.store, caseId);
    // From here to engine.start, nothing awaits: the check and the start are one step.
    const previous = this.engine.db.executionsOf(caseId, pipelineVersion);
    const last = previous.at(-1);
    if (last && (last.status === "RUNNING" || last.status === "SUCCEEDED"))
      return { executionId: last.id, status: last.status, created: false };
    const attempt = previous.length ? Math.max(...previous.map((e) => attemptOf(e.id))) + 1 : 1;
    const executionId = this.startNamed({ caseId, executionName: executionNameFor(caseId, pipelineVersion, attempt) });
    return { executionId, status: "RUNNING", created: true };
  }

  /** Starts under a given name (StartExecution) and tracks it until it ends. */
  startNamed(options: { caseId: string; executionName: string; faults?: Record<string, FaultKind> }): string {
    const busy = this.runningOf(options.caseId);
    if (busy)
      throw new CaseBusyError(
        `case ${options.caseId} already has a running execution (${busy}, running or waiting for review); one at a time per case`,
      );
    const active = this.activeCount();
    if (active >= this.maxRunning)
      throw new TooManyExecutionsError(
        `${active} executions are running or waiting for review, the most this server holds at once (${this.maxRunning}); start again when one ends`,
      );
    const { executionId, done } = this.engine.start({ ...options, approve: this.approve });
    this.track(executionId, options.caseId, done);
    return executionId;
  }

  /** The attorney's decision (the API, the viewer): returns once it is checked and recorded; the execution runs on here. */
  async review(executionId: string, decision: ReviewDecisionInput): Promise<{ decisionId: string; round: number }> {
    const { done, decisionId, round } = await this.engine.reviews.accept(executionId, decision);
    this.track(executionId, this.engine.db.getExecution(executionId)!.caseId, done);
    return { decisionId, round };
  }

  /**
   * SendTaskSuccess / SendTaskFailure on `/sfn` for AttorneyReview's token (what the review
   * API calls in AWS): false when the token is no open review task's.
   */
  answerReview(token: string, answer: { output: unknown } | { error: string; cause: string }): boolean {
    const task = this.engine.db.reviewTask({ token });
    const done = this.engine.reviews.answer(token, answer);
    if (!task || !done) return false;
    this.track(task.executionId, this.engine.db.getExecution(task.executionId)!.caseId, done);
    return true;
  }

  private track(executionId: string, caseId: string, done: Promise<unknown>): void {
    const tracked = done
      .catch((err) => {
        // A stopping server disposes the engine under its runs; dispose recorded them ABORTED.
        if (!this.engine.isDisposed) log("error", "execution.crashed", { execution: executionId, error: (err as Error).name });
      })
      .finally(() => this.running.delete(executionId));
    this.running.set(executionId, { caseId, done: tracked });
  }

  /** StopExecution: aborts it, kills its workers, and returns once it is recorded ABORTED. */
  async stop(executionId: string, reason: { error?: string; cause?: string }): Promise<void> {
    if (!this.engine.abort(executionId, reason)) return;
    await this.running.get(executionId)?.done;
  }

  async listExecutions(options: { limit: number; status?: ExecutionStatus; caseId?: string; nextToken?: string }) {
    const rows = this.engine.db.listExecutions(options.limit + 1, {
      status: options.status as never,
      caseId: options.caseId,
      before: options.nextToken ? Buffer.from(options.nextToken, "base64url").toString("utf8") : undefined,
    });
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    // Waiting for the attorney is RUNNING to the engine, and said as such in the list.
    const waiting = new Map(this.engine.db.openReviewTasks().map((t) => [t.executionId, t.openedAt]));
    return {
      executions: page.map((r) => ({
        executionId: r.id,
        caseId: r.caseId,
        status: r.status,
        startedAt: r.startedAt,
        endedAt: r.endedAt,
        ...(r.status === "RUNNING" && waiting.has(r.id) ? { waitingFor: "AttorneyReview" as const, waitingSince: waiting.get(r.id)! } : {}),
      })),
      ...(rows.length > options.limit && last ? { nextToken: Buffer.from(last.startedAt + last.id).toString("base64url") } : {}),
    };
  }

  async describeExecution(executionId: string) {
    return this.engine.summary(executionId);
  }

  async declaration(executionId: string) {
    const row = this.engine.db.getExecution(executionId);
    if (!row) return undefined;
    const key = (row.output as { declarationKey?: string } | null)?.declarationKey;
    if (row.status !== "SUCCEEDED" || !key) return { status: row.status };
    return { status: row.status, markdown: await this.engine.store.get(key) };
  }

  async reviewDocument(executionId: string) {
    const row = this.engine.db.getExecution(executionId);
    if (!row) return undefined;
    // Succeeded: the output names it. Waiting in AttorneyReview: the open task's state has Reinject's output for this round.
    type WithReviewDocument = { reviewDocument?: { jsonKey?: string } } | null | undefined;
    const waiting =
      row.status === "RUNNING"
        ? (this.engine.db.reviewTask({ executionId })?.state as { reinject?: { output?: WithReviewDocument } } | undefined)?.reinject
            ?.output
        : undefined;
    const key = (row.output as WithReviewDocument)?.reviewDocument?.jsonKey ?? waiting?.reviewDocument?.jsonKey;
    if (!key || !(await this.engine.store.exists(key))) return { status: row.status };
    return { status: row.status, json: await this.engine.store.get(key) };
  }

  /** Resolves when every execution this object started has ended. */
  async settle(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }
}
