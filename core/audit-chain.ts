/**
 * The review audit log as a hash chain, one chain per execution: each entry carries the
 * SHA-256 of the one before it (the first, of nothing: 64 zeros) and its own hash over its
 * place, its fields and that previous hash. Changing, removing or inserting an entry breaks
 * every hash after it; `verifyAuditChain` says where. Both stores (SQLite locally, DynamoDB in
 * AWS) write and check entries through this module, so the chain is the same in both.
 */
import { createHash } from "node:crypto";
import type { ChainedAuditEntry, ReviewAuditEntry } from "./review.ts";

export const genesisHash = "0".repeat(64);

/** The entry's fields in a fixed order: what its hash covers. */
export function canonicalAuditEntry(seq: number, e: ReviewAuditEntry): string {
  return JSON.stringify([
    seq,
    e.executionId,
    e.decisionId ?? null,
    e.reviewer,
    e.decision,
    e.version,
    e.round,
    e.via,
    e.notesChars,
    e.override ?? false,
    e.decidedAt,
    // Entries from before failures were audited hash as they did: the fields only when present.
    ...(e.failure ? [e.failure.error, e.failure.errorChars, e.failure.causeChars] : []),
  ]);
}

export function auditEntryHash(seq: number, e: ReviewAuditEntry, prevHash: string): string {
  return createHash("sha256")
    .update(`${prevHash}\n${canonicalAuditEntry(seq, e)}`)
    .digest("hex");
}

/** The next link after `last` (undefined: the chain's first entry). */
export function chainAuditEntry(e: ReviewAuditEntry, last: { seq: number; hash: string } | undefined): ChainedAuditEntry {
  const seq = (last?.seq ?? 0) + 1;
  const prevHash = last?.hash ?? genesisHash;
  return { ...e, seq, prevHash, hash: auditEntryHash(seq, e, prevHash) };
}

export interface AuditChainReport {
  ok: boolean;
  entries: number;
  /** The first entry (its seq, 1-based) where the chain does not hold, and why. */
  brokenAt?: number;
  reason?: string;
}

/** Checks an execution's chain, in seq order: contiguous places, each link's previous hash, each entry's own hash. */
export function verifyAuditChain(entries: readonly ChainedAuditEntry[]): AuditChainReport {
  let prev = genesisHash;
  for (const [i, e] of entries.entries()) {
    const expectedSeq = i + 1;
    const broken = (reason: string): AuditChainReport => ({ ok: false, entries: entries.length, brokenAt: expectedSeq, reason });
    if (e.seq !== expectedSeq) return broken(`entry ${expectedSeq} is missing (found entry ${e.seq} in its place)`);
    if (e.prevHash !== prev) return broken(`entry ${e.seq} does not follow entry ${e.seq - 1} (its previous hash differs)`);
    if (auditEntryHash(e.seq, e, e.prevHash) !== e.hash)
      return broken(`entry ${e.seq} was changed after it was written (its hash differs)`);
    prev = e.hash;
  }
  return { ok: true, entries: entries.length };
}
