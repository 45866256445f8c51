/**
 * One KMS encryption-context purpose per sealed kind: what the envelope binds and what IAM
 * policies name (`kms:EncryptionContext:purpose`), so a role opens only the kinds it needs.
 * No imports: infra/permissions.ts reads it at deploy time.
 */
export const sealedPurposes = {
  /** placeholder → real value; Redact seals, Reinject opens. */
  vault: "affiant-pii-vault",
  /** the extracted, pre-redaction text; Extract seals, Redact opens. */
  extractedText: "affiant-extracted-text",
  /** keyed hashes of the vault's values (redaction/privacy-guard.ts); Redact seals, the guards open. */
  guard: "affiant-privacy-guard",
} as const;

export type SealedPurpose = (typeof sealedPurposes)[keyof typeof sealedPurposes];
