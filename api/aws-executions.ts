/**
 * The API Gateway function's executions: Step Functions and S3. Starting is idempotent
 * through execution names (case + pipeline version + attempt): an execution that is
 * running or succeeded is returned as is, and only one that ended without success gets a
 * new attempt. The per-state report is rebuilt from the execution history plus the stage
 * reports the execution output carries.
 */
import { randomUUID } from "node:crypto";
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { type BlobStore, getJson } from "../core/blob-store.ts";
import { type CaseFile, caseKeys } from "../core/case-file.ts";
import { AttemptsExhaustedError, CaseBusyError, InvalidInputError, NotFoundError, NotWaitingForReviewError } from "../core/errors.ts";
import { executionNameFor } from "../core/execution-name.ts";
import { pipelineVersion } from "../core/pipeline-state.ts";
import {
  checkReviewDecision,
  type DecisionRecord,
  type ReviewCallback,
  type ReviewDecisionInput,
  type ReviewStore,
  reviewFactsKey,
  reviewRoundKey,
} from "../core/review.ts";
import { checkParagraphs, notesChars, recordedParagraphs, writeParagraphs } from "../core/review-paragraphs.ts";
import type { StageReport } from "../core/stages/report.ts";
import { reviewDocumentJsonKey } from "../functions/review-document.ts";
import { completedStages, type ExecutionSummary, reviewOf } from "../workflows/engine/summary.ts";
import { assertCaseReady, checkDocumentList, checkPdfBytes, documentKey, manifestKey, writeCase, writeManifest } from "./case-store.ts";
import type { CaseDocument, CaseManifest, ExecutionStatus, Executions, PlannedDocument, StartResult, UploadTarget } from "./executions.ts";
import { statesFromHistory } from "./history-states.ts";

export interface AwsExecutionsOptions {
  sfn: SFNClient;
  stateMachineArn: string;
  store: BlobStore;
  /**
   * A presigned S3 POST for a blob key (the S3 store's bucket) whose policy allows exactly
   * `size` bytes of application/pdf: a presigned PUT signs no length, so its holder could
   * store gigabytes under the key.
   */
  presignPost?: (key: string, size: number, expiresInSeconds: number) => Promise<{ url: string; fields: Record<string, string> }>;
  /** Size and first bytes of a stored object (S3: HeadObject + a ranged GetObject). Default: reads the object. */
  inspect?: (key: string) => Promise<{ size: number; head: Buffer }>;
  uploadTtlSeconds?: number;
  /** At most this many attempts of one case at one pipeline version. */
  maxAttempts?: number;
  /** Where AttorneyReview keeps its task token and the audit log (DynamoDB: `AFFIANT_REVIEW_TABLE`). */
  reviews?: ReviewStore;
}

const maxAttemptsDefault = 20;

export class AwsExecutions implements Executions {
  readonly kind = "aws" as const;
  constructor(private readonly options: AwsExecutionsOptions) {}

  executionArn(name: string): string {
    return `${this.options.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
  }

  /**
   * Documents may not change under a running execution, nor under one waiting in
   * AttorneyReview (Step Functions counts it RUNNING): the attorney reads a draft of these
   * documents. The case's attempts at this pipeline version are walked as a start walks them.
   */
  private async assertCaseIdle(caseId: string): Promise<void> {
    for (let attempt = 1; attempt <= (this.options.maxAttempts ?? maxAttemptsDefault); attempt++) {
      const name = executionNameFor(caseId, pipelineVersion, attempt);
      const existing = await this.describe(name);
      if (!existing) return;
      if (existing.status === "RUNNING")
        throw new CaseBusyError(`case ${caseId} has a running or waiting execution (${name}); its documents can change once it ends`);
    }
  }

  async putCase(caseFile: CaseFile, caseJson: string, documents: CaseDocument[]): Promise<void> {
    await this.assertCaseIdle(caseFile.caseId);
    await writeCase(this.options.store, caseFile, caseJson, documents);
  }

  async planUploads(caseFile: CaseFile, caseJson: string, documents: PlannedDocument[]): Promise<UploadTarget[]> {
    if (!this.options.presignPost) throw new InvalidInputError("presigned uploads need the S3 store (AFFIANT_BUCKET)");
    checkDocumentList(documents);
    await this.assertCaseIdle(caseFile.caseId);
    const { store } = this.options;
    for (const stale of await store.list(caseKeys.documents(caseFile.caseId))) await store.delete(stale);
    await writeManifest(store, caseFile, caseJson, documents);
    const ttl = this.options.uploadTtlSeconds ?? 900;
    const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
    return Promise.all(
      documents.map(async (d) => {
        const post = await this.options.presignPost!(documentKey(caseFile.caseId, d.name), d.size, ttl);
        return { name: d.name, method: "POST" as const, url: post.url, fields: post.fields, headers: {}, expiresAt };
      }),
    );
  }

  async startExecution(caseId: string): Promise<StartResult> {
    await assertCaseReady(this.options.store, caseId);
    await this.assertUploadsMatch(caseId);
    const input = JSON.stringify({ caseId });
    for (let attempt = 1; attempt <= (this.options.maxAttempts ?? maxAttemptsDefault); attempt++) {
      const name = executionNameFor(caseId, pipelineVersion, attempt);
      const existing = await this.describe(name);
      if (existing) {
        if (existing.status === "RUNNING" || existing.status === "SUCCEEDED")
          return { executionId: name, status: existing.status as ExecutionStatus, created: false };
        continue;
      }
      try {
        await this.options.sfn.send(new StartExecutionCommand({ stateMachineArn: this.options.stateMachineArn, name, input }));
        return { executionId: name, status: "RUNNING", created: true };
      } catch (err) {
        // Another caller started this attempt between our describe and start: theirs stands.
        if (err instanceof ExecutionAlreadyExists || (err as Error).name === "ExecutionAlreadyExists")
          return { executionId: name, status: "RUNNING", created: false };
        throw err;
      }
    }
    throw new AttemptsExhaustedError(
      `case ${caseId} has failed ${this.options.maxAttempts ?? maxAttemptsDefault} times at pipeline version ${pipelineVersion}; fix the case before starting it again`,
    );
  }

  /** The case's latest attempt at this pipeline version (name, status, error name), or undefined when it has none. */
  async latestAttempt(caseId: string): Promise<{ executionId: string; status: string; error?: string } | undefined> {
    let latest: { executionId: string; status: string; error?: string } | undefined;
    for (let attempt = 1; attempt <= (this.options.maxAttempts ?? maxAttemptsDefault); attempt++) {
      const name = executionNameFor(caseId, pipelineVersion, attempt);
      const found = await this.describe(name);
      if (!found) break;
      latest = { executionId: name, status: String(found.status), ...(found.error ? { error: found.error } : {}) };
    }
    return latest;
  }

  /**
   * What arrived through the upload URLs is checked before anything reads it: each
   * document's size is the one the manifest (and the POST policy) named, and it starts with
   * %PDF-. Cases stored whole through the API were checked on the way in.
   */
  private async assertUploadsMatch(caseId: string): Promise<void> {
    const { store } = this.options;
    if (!(await store.exists(manifestKey(caseId)))) return;
    const manifest = JSON.parse((await store.get(manifestKey(caseId))).toString("utf8")) as CaseManifest;
    const inspect =
      this.options.inspect ??
      (async (key: string) => {
        const bytes = await store.get(key);
        return { size: bytes.byteLength, head: bytes.subarray(0, 5) };
      });
    for (const d of manifest.documents) {
      const { size, head } = await inspect(documentKey(caseId, d.name));
      if (size !== d.size) throw new InvalidInputError(`files: ${d.name}: ${size} bytes stored, ${d.size} planned; upload it again`);
      checkPdfBytes(d.name, head);
    }
  }

  async listExecutions(options: { limit: number; status?: ExecutionStatus; caseId?: string; nextToken?: string }) {
    const out = await this.options.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: this.options.stateMachineArn,
        maxResults: options.limit,
        statusFilter: options.status,
        nextToken: options.nextToken,
      }),
    );
    const executions = (out.executions ?? [])
      .map((e) => ({
        executionId: e.name!,
        caseId: caseIdOf(e.name!),
        status: e.status as ExecutionStatus,
        startedAt: e.startDate!.toISOString(),
        endedAt: e.stopDate?.toISOString() ?? null,
      }))
      .filter((e) => !options.caseId || e.caseId === options.caseId);
    // Waiting for the attorney is RUNNING to Step Functions: the review table says which wait, and since when.
    const reviews = this.options.reviews;
    const listed = reviews
      ? await Promise.all(
          executions.map(async (e) => {
            const gate = e.status === "RUNNING" ? await reviews.gate(e.executionId) : undefined;
            return gate ? { ...e, waitingFor: "AttorneyReview" as const, waitingSince: gate.openedAt } : e;
          }),
        )
      : executions;
    return { executions: listed, ...(out.nextToken ? { nextToken: out.nextToken } : {}) };
  }

  async describeExecution(executionId: string): Promise<ExecutionSummary | undefined> {
    const d = await this.describe(executionId);
    if (!d) return undefined;
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.options.sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: this.executionArn(executionId),
          maxResults: 1000,
          nextToken,
          includeExecutionData: false,
        }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const output = d.output ? (JSON.parse(d.output) as { stages?: StageReport[] }) : null;
    let caseId = caseIdOf(executionId);
    try {
      caseId = (JSON.parse(d.input ?? "{}") as { caseId?: string }).caseId ?? caseId;
    } catch {
      // the input is ours; a name-derived case id is good enough if it is not JSON
    }
    const summary: ExecutionSummary = {
      executionId,
      caseId,
      status: d.status as ExecutionSummary["status"],
      startedAt: d.startDate!.toISOString(),
      endedAt: d.stopDate?.toISOString() ?? null,
      output,
      outputDir: null,
      ...(d.error ? { error: d.error } : {}),
      ...(d.cause ? { cause: d.cause } : {}),
      states: statesFromHistory(events, output?.stages ?? []),
    };
    summary.completedStages = completedStages(summary.states);
    const quality = reviewOf(output);
    if (quality) summary.quality = quality;
    return this.withReview(summary);
  }

  /**
   * The attorney's decision: checked against the open round (and the gate's verdict), then the
   * gate's token is used (once: a conditional delete in the review table), the decision record
   * written (append-only) and its id sent with SendTaskSuccess, as the callback pattern has it;
   * the execution runs on in Step Functions, where CheckDecision verifies and audits the record.
   */
  async review(executionId: string, input: ReviewDecisionInput): Promise<{ decisionId: string; round: number }> {
    const reviews = this.options.reviews;
    if (!reviews) throw new InvalidInputError("review decisions need the review tables (AFFIANT_REVIEW_TABLE, AFFIANT_REVIEW_LOG_TABLE)");
    const d = await this.describe(executionId);
    if (!d) throw new NotFoundError(`execution ${executionId} not found`);
    const gate = await reviews.gate(executionId);
    if (d.status !== "RUNNING" || !gate)
      throw new NotWaitingForReviewError(`execution ${executionId} is not waiting for review (${d.status})`);
    // Step Functions ends the execution itself (States.Timeout → ReviewExpired); only refuse here.
    if (Date.parse(gate.expiresAt) <= Date.now())
      throw new NotWaitingForReviewError(`execution ${executionId}: the review window closed at ${gate.expiresAt}`);
    const { decision, notes, facts, overrideReason } = checkReviewDecision(input, {
      executionId,
      round: gate.round,
      gateStatus: gate.gateStatus,
    });
    // Paragraph numbers and locks checked against the draft under review, before the gate is used.
    const paragraphs = await checkParagraphs(this.options.store, gate, input);
    if (!(await reviews.closeGate(executionId, gate.token)))
      throw new NotWaitingForReviewError(`execution ${executionId}: this review was already decided`);
    // Inside the account, under the run's real-value prefix; only the notes' key enters the execution state.
    const notesKey = await writeParagraphs(this.options.store, gate, decision, paragraphs);
    let factsKey: string | undefined;
    if (decision === "changes" && facts.trim()) {
      // The client's facts hold real values: kept like the notes, under the run's real-value
      // prefix; AttorneyNotes redacts them into an interview source.
      factsKey = reviewFactsKey(gate.runKey, gate.round);
      await this.options.store.put(factsKey, Buffer.from(facts, "utf8"));
    }
    const record: DecisionRecord = {
      decisionId: randomUUID(),
      executionId,
      round: gate.round,
      version: gate.version,
      decision,
      reviewer: input.reviewer,
      unattended: false,
      via: input.via,
      decidedAt: new Date().toISOString(),
      gateStatus: gate.gateStatus,
      notesChars: notesChars(notes, input),
      ...recordedParagraphs(paragraphs),
      ...(overrideReason ? { overrideReason } : {}),
      ...(notesKey ? { notesKey } : {}),
      ...(factsKey ? { factsKey, factsChars: facts.length } : {}),
    };
    await reviews.putDecision(record);
    const callback: ReviewCallback = { decisionId: record.decisionId };
    try {
      await this.options.sfn.send(new SendTaskSuccessCommand({ taskToken: gate.token, output: JSON.stringify(callback) }));
    } catch (err) {
      const name = (err as Error).name;
      if (name === "TaskTimedOut" || name === "InvalidToken" || name === "TaskDoesNotExist")
        throw new NotWaitingForReviewError(`execution ${executionId}: the review task has ended (${name})`);
      // Not answered: the gate stays open for another try (the record stays, unanswered).
      await reviews.openGate(gate);
      throw err;
    }
    return { decisionId: record.decisionId, round: record.round };
  }

  private async withReview(summary: ExecutionSummary): Promise<ExecutionSummary> {
    const reviews = this.options.reviews;
    if (!reviews) return summary;
    const gate = summary.status === "RUNNING" ? await reviews.gate(summary.executionId) : undefined;
    const audit = (await reviews.audit(summary.executionId)).map(({ executionId: _, prevHash: __, ...a }) => a);
    // The draft under review: its round's review document holds the quality gate's verdict on it.
    const jsonKey = gate ? reviewDocumentJsonKey(reviewRoundKey(gate.runKey, gate.round)) : undefined;
    const quality =
      jsonKey && (await this.options.store.exists(jsonKey))
        ? reviewOf(await getJson<{ review?: unknown }>(this.options.store, jsonKey))
        : undefined;
    return {
      ...summary,
      ...(gate
        ? {
            waitingFor: "AttorneyReview" as const,
            review: { round: gate.round, version: gate.version, openedAt: gate.openedAt, expiresAt: gate.expiresAt },
            ...(quality ? { quality } : {}),
          }
        : {}),
      ...(audit.length ? { reviewAudit: audit } : {}),
    };
  }

  async declaration(executionId: string) {
    const d = await this.describe(executionId);
    if (!d) return undefined;
    const key = d.output ? (JSON.parse(d.output) as { declarationKey?: string }).declarationKey : undefined;
    if (d.status !== "SUCCEEDED" || !key) return { status: d.status as ExecutionStatus };
    return { status: d.status as ExecutionStatus, markdown: await this.options.store.get(key) };
  }

  async reviewDocument(executionId: string) {
    const d = await this.describe(executionId);
    if (!d) return undefined;
    const status = d.status as ExecutionStatus;
    // Succeeded: the output names it. Waiting in AttorneyReview: the gate has the run key.
    const gate = status === "RUNNING" ? await this.options.reviews?.gate(executionId) : undefined;
    const key =
      (d.output ? (JSON.parse(d.output) as { reviewDocument?: { jsonKey?: string } }).reviewDocument?.jsonKey : undefined) ??
      (gate ? reviewDocumentJsonKey(reviewRoundKey(gate.runKey, gate.round)) : undefined);
    if (!key || !(await this.options.store.exists(key))) return { status };
    return { status, json: await this.options.store.get(key) };
  }

  private async describe(name: string) {
    try {
      return await this.options.sfn.send(new DescribeExecutionCommand({ executionArn: this.executionArn(name) }));
    } catch (err) {
      if (err instanceof ExecutionDoesNotExist || (err as Error).name === "ExecutionDoesNotExist") return undefined;
      throw err;
    }
  }
}

/** `<caseId>-p<version>[-a<n>]` → caseId; other names as they are. */
export function caseIdOf(executionName: string): string {
  return executionName.replace(/-p[0-9A-Za-z.]+(-a\d+)?$/, "");
}
