/**
 * `case.json`: what a case folder says about itself. Parties' names feed the redactor,
 * so they are required where the case type has a counterpart (abuser, trafficker).
 */
import { z } from "zod";
import { caseDocumentSchema, checkDocumentEntries } from "./case-documents.ts";
import { InvalidInputError } from "./errors.ts";

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

/**
 * The abuser's status as case.json's parties say it (the abuser's free-text `status`): a
 * U.S. citizen, a lawful permanent resident, or not said. It picks the statute a VAWA case
 * rests on: INA 204(a)(1)(A) for a citizen abuser, 204(a)(1)(B) for a permanent resident.
 */
export type AbuserStatus = "citizen" | "lpr";

/** "U.S. citizen", "lawful permanent resident", "LPR", "green card holder", "residente permanente" … */
export function abuserStatusKind(status: string | undefined): AbuserStatus | undefined {
  if (!status) return undefined;
  if (/permanent\s+resident|\blpr\b|green\s*card|residente\s+permanente|tarjeta\s+verde/i.test(status)) return "lpr";
  if (/citizen|ciudadan/i.test(status)) return "citizen";
  return undefined;
}

/** The status of the case's abuser (the first party whose role reads as an abuser). */
export function caseAbuserStatus(parties: Array<{ role: string; status?: string }>): AbuserStatus | undefined {
  const abuser = parties.find((p) => /abus|batter|perpetrat/i.test(p.role));
  return abuserStatusKind(abuser?.status);
}

/**
 * VAWA variants that only a citizen abuser allows. An abused parent: "This is the only category
 * of self-petitioners where the abuser must be a USC – s/he cannot be an LPR" (INA
 * 204(a)(1)(A)(vii); https://www.womenslaw.org/laws/federal/immigration/vawa-laws-abuse-victims/vawa-self-petition/what-are-some-additional-1).
 * A widow(er): "your USC spouse (not LPR) died within the past 2 years"
 * (https://www.womenslaw.org/laws/federal/immigration/vawa-abuse-victims/vawa-self-petition/what-are-some-additional-requirements).
 */
export const citizenAbuserOnly: readonly string[] = ["parent", "deceased-abuser"];

/**
 * How a Spanish-speaking declarant came to know the English declaration they sign (case.json
 * `interpretation`; core/interpreter.ts words the statements): "read-aloud", the interpreter read
 * all of it to them in Spanish (the default: it holds whether or not the declarant reads);
 * "written-copy", they read a complete written Spanish translation in the interpreter's presence.
 */
export const interpretationMethods = ["read-aloud", "written-copy"] as const;

export const caseFileSchema = z
  .object({
    caseId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, "letters, digits, . _ - (max 80), starting with a letter or digit"),
    caseType: z.enum(["VAWA", "T"]),
    language: z.enum(["en", "es"]).default("en"),
    declarant: personSchema,
    parties: z.array(personSchema.extend({ role: z.string().min(1), status: z.string().optional() })).default([]),
    /** One of {@link caseVariants} for the case type; absent: the first (spouse, adult). */
    variant: z.string().optional(),
    /**
     * Where the declarant will sign (city, state or country): it picks the 28 U.S.C. § 1746 form
     * of the oath (core/oath.ts). Absent: the form for signing outside the United States.
     */
    signing: z
      .string({ error: "must be a string: the city, state or country where the declarant signs" })
      .min(1, "must name a place: the city, state or country where the declarant signs")
      .optional(),
    /** For `language: "es"` only: see {@link interpretationMethods}. Absent: "read-aloud". */
    interpretation: z
      .enum(interpretationMethods, {
        error: `must be one of ${interpretationMethods.join(", ")}: how the declaration was made known to the declarant in Spanish`,
      })
      .optional(),
    /**
     * Each document's role (core/case-documents.ts): `exhibit` (filed, lettered in this order),
     * `work-product` (a source, never filed), `interview` (the declarant's account taken by the
     * attorney: citable, not filed); and optionally its language. A file not listed is an exhibit.
     */
    documents: z.array(caseDocumentSchema, { error: "must be a list of {file, role, language?}" }).optional(),
    notes: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.interpretation !== undefined && c.language !== "es") {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["interpretation"],
        message: `says how a Spanish-speaking declarant heard or read the declaration: only for "language": "es" (this case's language is ${c.language})`,
      });
    }
    if (c.documents) checkDocumentEntries(c.documents, ctx);
    const allowed: readonly string[] = caseVariants[c.caseType];
    if (c.variant !== undefined && !allowed.includes(c.variant)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["variant"],
        message: `not a ${c.caseType} variant: use one of ${allowed.join(", ")}`,
      });
    }
    if (
      c.caseType === "VAWA" &&
      c.variant !== undefined &&
      citizenAbuserOnly.includes(c.variant) &&
      caseAbuserStatus(c.parties) === "lpr"
    ) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["variant"],
        message: `${c.variant} needs a U.S. citizen abuser, and the abuser's status reads as a lawful permanent resident`,
      });
    }
  });

export type CaseFile = z.infer<typeof caseFileSchema>;
export type CaseType = CaseFile["caseType"];

/** The real-value prefix of the run under `runKey` (`runs/<case>/<execution>` → `private/<case>/<execution>`). */
export function privateKeyOf(runKey: string): string {
  const m = /^runs\/(.+)$/.exec(runKey);
  if (!m) throw new InvalidInputError(`run key ${JSON.stringify(runKey)} is not under runs/`);
  return `private/${m[1]}`;
}

/**
 * How errors, logs, history and prompts name a case's document: by its index in the case
 * (`[DOCUMENT_1]` is the first, as Redact's placeholders number them), never by its file
 * name, which carries clients' names and numbers.
 */
export const documentLabel = (index: number) => `[DOCUMENT_${index + 1}]`;

/** Blob keys of one case and one execution. */
export const caseKeys = {
  caseJson: (caseId: string) => `cases/${caseId}/case.json`,
  documents: (caseId: string) => `cases/${caseId}/documents`,
  run: (caseId: string, execution: string) => `runs/${caseId}/${execution}`,
  /**
   * Real values of one execution: what Reinject writes (the declaration, the review
   * document, the report) and the attorney's raw notes. Its own prefix, beside runs/ (which
   * holds placeholders only), so IAM can keep it from the fallback (outside the VPC), Index
   * and Score: only Reinject (which writes it), AttorneyNotes and the API may touch it
   * (infra/permissions.ts).
   */
  private: (caseId: string, execution: string) => `private/${caseId}/${execution}`,
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
