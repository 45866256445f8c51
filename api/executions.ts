/**
 * What the HTTP API needs from wherever executions run: the local engine and its SQLite
 * history (`affiant serve`), or Step Functions and S3 (the API Gateway function). Both keep
 * the same contract: a case is stored once, starting it is idempotent per pipeline version,
 * and only ids, keys and numbers come back, except the declaration itself.
 */

import type { CaseFile } from "../core/case-file.ts";
import type { ReviewDecisionInput } from "../core/review.ts";
import type { ExecutionSummary } from "../workflows/engine/summary.ts";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT" | "PENDING_REDRIVE";

export interface CaseDocument {
  name: string;
  bytes: Uint8Array;
}

export interface PlannedDocument {
  name: string;
  size: number;
}

export interface UploadTarget {
  name: string;
  /** PUT the bytes to `url` (local), or POST a multipart form of `fields` then `file` (S3 presigned POST). */
  method: "PUT" | "POST";
  url: string;
  headers: Record<string, string>;
  /** Form fields of a presigned POST, sent before the file part; they carry the size the policy allows. */
  fields?: Record<string, string>;
  expiresAt: string;
}

/** Stored beside the documents: what the case should hold, so a start can check it. */
export interface CaseManifest {
  caseId: string;
  caseType: CaseFile["caseType"];
  documents: PlannedDocument[];
  createdAt: string;
}

export interface ExecutionListItem {
  executionId: string;
  caseId: string;
  status: ExecutionStatus;
  startedAt: string;
  endedAt: string | null;
  /** A RUNNING execution waiting for the attorney: the state it waits in. */
  waitingFor?: "AttorneyReview";
  /** Since when it has waited (the review round's gate opened). */
  waitingSince?: string;
}

export interface StartResult {
  executionId: string;
  status: ExecutionStatus;
  /** False when an execution of this case and pipeline version was already running or done. */
  created: boolean;
}

export interface Executions {
  readonly kind: "local" | "aws";
  putCase(caseFile: CaseFile, caseJson: string, documents: CaseDocument[]): Promise<void>;
  /** Stores the case.json and manifest; the documents arrive later through the URLs. */
  planUploads(caseFile: CaseFile, caseJson: string, documents: PlannedDocument[], baseUrl: string): Promise<UploadTarget[]>;
  startExecution(caseId: string): Promise<StartResult>;
  listExecutions(options: {
    limit: number;
    status?: ExecutionStatus;
    caseId?: string;
    nextToken?: string;
  }): Promise<{ executions: ExecutionListItem[]; nextToken?: string }>;
  describeExecution(executionId: string): Promise<ExecutionSummary | undefined>;
  /** The re-injected declaration once the execution has succeeded. */
  declaration(executionId: string): Promise<{ status: ExecutionStatus; markdown?: Buffer } | undefined>;
  /**
   * The review document (re-injected, JSON) once Reinject has written it: for a succeeded
   * execution and for one waiting in AttorneyReview, whose attorney reads it before deciding.
   */
  reviewDocument(executionId: string): Promise<{ status: ExecutionStatus; json?: Buffer } | undefined>;
  /**
   * The attorney's decision for an execution waiting in AttorneyReview; resolves once it is
   * checked, recorded as a decision record and handed to the execution (which runs on and
   * audits it), with the record's id and the round it answered.
   */
  review(executionId: string, decision: ReviewDecisionInput): Promise<{ decisionId: string; round: number }>;
}

export const documentLimits = {
  /** Per PDF; case files carry scans, which are large. */
  maxDocumentBytes: 50 * 1024 * 1024,
  maxDocuments: 40,
  /** A multipart request locally; API Gateway caps requests at 10 MB in AWS. */
  maxRequestBytes: 200 * 1024 * 1024,
  maxRequestBytesAws: 10 * 1024 * 1024,
};
