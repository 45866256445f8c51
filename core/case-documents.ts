/**
 * What each document of a case is for (case.json `documents`): an exhibit filed with the
 * declaration and lettered A, B, C… in the order the case lists them; the attorney's work
 * product (a source for facts and checks, never filed); or an interview (the declarant's own
 * account taken by the attorney: a source of first-person facts, not filed). A file the case
 * does not list is an exhibit, after the listed ones. Also each document's language, which
 * decides whether an exhibit needs a certified English translation.
 */
import { z } from "zod";
import { InvalidInputError } from "./errors.ts";

export const documentRoles = ["exhibit", "work-product", "interview"] as const;
export type DocumentRole = (typeof documentRoles)[number];
export type DocumentLanguage = "en" | "es";

export const caseDocumentSchema = z.object({
  file: z.string().min(1, "must name one of the case's PDF files"),
  role: z.enum(documentRoles, { error: `not a document role: use one of ${documentRoles.join(", ")}` }).default("exhibit"),
  /** The language the document is written in; absent: read from its text. */
  language: z.enum(["en", "es"], { error: "a document's language is en or es" }).optional(),
});
export type CaseDocumentEntry = z.infer<typeof caseDocumentSchema>;

/** Checks that no file is listed twice (case.json's schema calls it on `documents`). */
export function checkDocumentEntries(entries: CaseDocumentEntry[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  for (const [i, d] of entries.entries()) {
    const first = seen.get(d.file.toLowerCase());
    if (first !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["documents", i, "file"],
        message: `${d.file} is listed twice (first at documents.${first})`,
      });
    else seen.set(d.file.toLowerCase(), i);
  }
}

/**
 * Every file case.json lists must be one the case holds: a role for a missing file is a typo
 * or a document never uploaded, and either way the exhibit letters would be wrong. `where`
 * names the case.json in the error ("/cases/x/case.json", "case"). `named`: the file's name is
 * said (to the attorney who sent the case); false where the error enters the execution's
 * history (Extract), which names documents by index only.
 */
export function checkListedFiles(entries: CaseDocumentEntry[] | undefined, files: string[], where: string, named = true): void {
  const held = new Set(files);
  for (const [i, d] of (entries ?? []).entries()) {
    if (!held.has(d.file))
      throw new InvalidInputError(
        `${where}: documents.${i}.file: the case holds no ${named ? `file named ${JSON.stringify(d.file)}` : "such file (its name is kept out of the execution's history)"}`,
      );
  }
}

/** The case's files in the case's order: those case.json lists, as listed, then the rest by name. */
export function orderCaseFiles(entries: CaseDocumentEntry[] | undefined, files: string[]): string[] {
  const listed = (entries ?? []).map((d) => d.file).filter((f) => files.includes(f));
  return [...listed, ...files.filter((f) => !listed.includes(f)).sort()];
}

/** A file's role: as listed, else an exhibit. */
export function roleOf(entries: CaseDocumentEntry[] | undefined, file: string): DocumentRole {
  return entries?.find((d) => d.file === file)?.role ?? "exhibit";
}

/** A file's declared language, when case.json gives one. */
export function declaredLanguage(entries: CaseDocumentEntry[] | undefined, file: string): DocumentLanguage | undefined {
  return entries?.find((d) => d.file === file)?.language;
}

/** Words common in running Spanish and rare in English (and the reverse): enough to tell a letter from a police report. */
const spanishWords = new Set(
  "el la los las de del que y en un una por con para es su al lo como más pero sus le ya o fue este ha sí porque esta cuando muy sin sobre también me hasta hay donde quien desde todo nos durante todos uno les ni contra otros ese eso ante ellos e esto mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho quienes nada muchos cual poco ella estar estas algunas algo nosotros mi mis tú te ti tu tus ellas señor señora iglesia mi esposo esposa años".split(
    " ",
  ),
);
const englishWords = new Set(
  "the of and to in is was for on that with he she it as at by his her from they this have had not are be or an were which their said but we my me him has been would who when there all".split(
    " ",
  ),
);

/**
 * The language a document's text is written in, by counting common function words: Spanish
 * when they outnumber English ones clearly. A page or two is plenty; mixed documents (a Spanish
 * letter with an English letterhead) come out Spanish when most of the text is.
 */
export function detectLanguage(text: string): DocumentLanguage {
  let es = 0;
  let en = 0;
  for (const word of text.toLowerCase().match(/[a-záéíóúñü]+/g) ?? []) {
    if (spanishWords.has(word)) es++;
    if (englishWords.has(word)) en++;
  }
  return es > en * 1.5 && es >= 3 ? "es" : "en";
}

/**
 * A source document as every state after Extract knows it: its name (a placeholder after
 * Redact), its role and its language. Index keeps the list in the order of the case.
 */
export interface SourceDocument {
  file: string;
  role: DocumentRole;
  language: DocumentLanguage;
  /** For an interview written by the attorney in the review (not a file): the round it was given in. */
  round?: number;
}

/** "A", "B", … "Z", "AA", "AB" … */
export const exhibitLetter = (i: number): string =>
  i < 26 ? String.fromCharCode(65 + i) : exhibitLetter(Math.floor(i / 26) - 1) + String.fromCharCode(65 + (i % 26));

/**
 * How a source is cited in the review document: exhibits by letter ("Exhibit B"), the others by
 * their role and number among their kind ("Work product 1", "Interview 2"), never by a letter
 * (they are not filed). Files no list names (older runs, hand-made indexes) are exhibits after
 * the listed ones, in the order they are met.
 */
export function sourceLabels(documents: SourceDocument[], moreFiles: Iterable<string> = []): Map<string, string> {
  const labels = new Map<string, string>();
  const counts: Record<DocumentRole, number> = { exhibit: 0, "work-product": 0, interview: 0 };
  const label = (file: string, role: DocumentRole) => {
    if (labels.has(file)) return;
    const n = counts[role]++;
    labels.set(
      file,
      role === "exhibit" ? `Exhibit ${exhibitLetter(n)}` : `${role === "interview" ? "Interview" : "Work product"} ${n + 1}`,
    );
  };
  for (const d of documents) label(d.file, d.role);
  for (const f of moreFiles) label(f, "exhibit");
  return labels;
}
