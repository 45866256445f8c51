/**
 * RecordApproval (Lambda), after an approval CheckDecision verified: writes the filing copy
 * of the approved draft without the review banners (an unattended approval's says it was not
 * reviewed by an attorney) and approval.json beside it: who approved (null when unattended),
 * when, which round and draft, the quality gate's verdict, the override reason, and the
 * SHA-256 of each filing rendition as written. Both under the run's prefix; the local engine
 * copies them byte for byte into the outputs folder, so the hashes hold there too.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { type BlobStore, openBlobStore, putJson } from "../core/blob-store.ts";
import { privateKeyOf } from "../core/case-file.ts";
import type { ReviewStatus } from "../core/declaration.ts";
import { InvalidInputError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import type { ReviewStore } from "../core/review.ts";
import { openReviewStore } from "../core/review-store.ts";
import { withTelemetry } from "../core/telemetry.ts";
import type { CheckedDecision } from "./check-decision.ts";
import { type FinalFiling, writeFinalFiling } from "./reinject-pii.ts";

export interface RecordApprovalEvent {
  state: PipelineState & { review?: CheckedDecision; reinject?: { output?: { review?: ReviewStatus } } };
}

/** approval.json, as written (and kept at `$.reinject.output.approval` with its key). */
export interface Approval {
  execution: string;
  caseId: string;
  decision: "approve";
  decisionId: string;
  /** The authenticated reviewer; null for an unattended approval. */
  reviewer: string | null;
  unattended: boolean;
  /** A sentence a reader of approval.json cannot miss when no attorney reviewed the draft. */
  attorneyReview: "reviewed and approved by an attorney" | "not reviewed by an attorney";
  via: string;
  decidedAt: string;
  recordedAt: string;
  round: number;
  /** The draft approved (its redacted blob key). */
  draftVersion: string;
  gate: { status: string; failures: string[] };
  overrideReason: string | null;
  /** Each filing rendition as written: its file name, blob key, size and SHA-256. */
  filing: RenditionHash[];
  /** For a Spanish-speaking declarant, the reading copy of the approved draft (not filed), hashed alike; else null. */
  readingCopy: RenditionHash[] | null;
}

interface RenditionHash {
  file: string;
  key: string;
  bytes: number;
  sha256: string;
}

/** What the execution's output keeps of it (history): ids, names, the verdict; the override reason stays in approval.json. */
export type ApprovalSummary = Omit<Approval, "overrideReason" | "filing" | "readingCopy"> & {
  override: boolean;
  approvalKey: string;
  final: FinalFiling;
};

export async function recordApproval(event: RecordApprovalEvent, store: BlobStore, reviews: ReviewStore): Promise<ApprovalSummary> {
  const { state } = event;
  const checked = state.review;
  if (checked?.decision !== "approve" || !state.draft || checked.version !== state.draft.outputKey)
    throw new InvalidInputError("RecordApproval: no verified approval of this draft at $.review", { state: "RecordApproval" });
  // The record itself (the override reason's text is kept there, not in the history).
  const record = await reviews.decision(state.executionName, checked.decisionId);
  if (!record || record.round !== checked.round || record.version !== checked.version)
    throw new InvalidInputError(`RecordApproval: decision ${checked.decisionId} is not recorded for this execution`, {
      state: "RecordApproval",
    });
  const final = await writeFinalFiling(store, state, { unattended: record.unattended });
  const hashes = async (keys: { markdownKey: string; docxKey: string; pdfKey: string }): Promise<RenditionHash[]> => {
    const out = [];
    for (const key of [keys.markdownKey, keys.docxKey, keys.pdfKey]) {
      const bytes = await store.get(key);
      out.push({ file: path.posix.basename(key), key, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
    return out;
  };
  const filing = await hashes(final);
  const readingCopy = final.readingCopy ? await hashes(final.readingCopy) : null;
  const gate = state.reinject?.output?.review ?? { status: record.gateStatus, failures: [] };
  const approval: Approval = {
    execution: state.executionName,
    caseId: state.caseId,
    decision: "approve",
    decisionId: record.decisionId,
    reviewer: record.unattended ? null : record.reviewer,
    unattended: record.unattended,
    attorneyReview: record.unattended ? "not reviewed by an attorney" : "reviewed and approved by an attorney",
    via: record.via,
    decidedAt: record.decidedAt,
    recordedAt: new Date().toISOString(),
    round: record.round,
    draftVersion: record.version,
    gate: { status: gate.status, failures: gate.failures },
    overrideReason: record.overrideReason ?? null,
    filing,
    readingCopy,
  };
  // Beside the final copy, under the real-value prefix: the override reason is the attorney's own words.
  const approvalKey = `${privateKeyOf(state.runKey)}/approval.json`;
  await putJson(store, approvalKey, approval);
  log("info", "review.approval_recorded", {
    execution: state.executionName,
    round: record.round,
    unattended: record.unattended,
    override: Boolean(record.overrideReason),
  });
  const { overrideReason, filing: _, readingCopy: __, ...rest } = approval;
  return { ...rest, override: overrideReason !== null, approvalKey, final };
}

export const handler = withTelemetry("RecordApproval", async (event: RecordApprovalEvent) => {
  const reviews = openReviewStore();
  try {
    return await recordApproval(event, await openBlobStore(), reviews);
  } finally {
    (reviews as { dispose?: () => void }).dispose?.();
  }
});
