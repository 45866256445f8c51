/**
 * `case.json`: what a case folder says about itself. Parties' names feed the redactor,
 * so they are required where the case type has a counterpart (abuser, trafficker).
 */
import { z } from "zod";

const personSchema = z.object({
  name: z.string().min(1),
  aNumber: z.string().optional(),
  dateOfBirth: z.string().optional(),
});

/**
 * The variants of each case type: they choose the legal elements (core/legal-elements.ts).
 * VAWA: a spouse, an intended spouse (the abuser's bigamy), divorced within two years, widowed
 * by a U.S. citizen abuser within two years, an abused child, an abused parent of a U.S.
 * citizen son or daughter aged 21 or over. T: an adult, a minor when victimized, an adult
 * under the trauma exception to the law-enforcement requirement.
 */
export const caseVariants = {
  VAWA: ["spouse", "intended-spouse", "divorced", "deceased-abuser", "child", "parent"],
  T: ["adult", "minor", "trauma-exception"],
} as const;

export const caseFileSchema = z
  .object({
  caseId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, "letters, digits, . _ - (max 80), starting with a letter or digit"),
  caseType: z.enum(["VAWA", "T"]),
  language: z.enum(["en", "es"]).default("en"),
  declarant: personSchema,
  parties: z.array(personSchema.extend({ role: z.string().min(1), status: z.string().optional() })).default([]),
  /** One of {@link caseVariants} for the case type; absent: the first (spouse, adult). */
  variant: z.string().optional(),
  notes: z.string().optional(),
})
  .superRefine((c, ctx) => {
    const allowed: readonly string[] = caseVariants[c.caseType];
    if (c.variant !== undefined && !allowed.includes(c.variant)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["variant"], message: `not a ${c.caseType} variant: use one of ${allowed.join(", ")}` });
    }
  });

export type CaseFile = z.infer<typeof caseFileSchema>;
export type CaseType = CaseFile["caseType"];

/** Blob keys of one case and one execution. */
export const caseKeys = {
  caseJson: (caseId: string) => `cases/${caseId}/case.json`,
  documents: (caseId: string) => `cases/${caseId}/documents`,
  run: (caseId: string, execution: string) => `runs/${caseId}/${execution}`,
  vault: (caseId: string, execution: string) => `vault/${caseId}/${execution}.enc`,
  /** The privacy guard's keyed hashes of the vault's values (beside the vault, expiring with it). */
  guard: (caseId: string, execution: string) => `vault/${caseId}/${execution}.guard`,
  /**
   * The case's file names by document index, for the review report. File names are client
   * data ([DOCUMENT_n]): beside the vault, not under runs/, which the fallback (outside the
   * VPC) and the embedding Lambdas may read.
   */
  documentNames: (caseId: string, execution: string) => `vault/${caseId}/${execution}.documents.json`,
};
