/**
 * Reinject (Lambda): the only state that opens the vault. Renders the final draft,
 * puts real values back in place of placeholders and refuses (Affiant.PlaceholderMismatch)
 * when a placeholder is unknown to the vault or survives. Writes the declaration and the
 * review report; the execution output carries their keys, never their text.
 */
import { type BlobStore, blobStore, getJson, openBlobStore, putJson } from "../core/blob-store.ts";
import type { SourceDocument } from "../core/case-documents.ts";
import { caseFileSchema, caseKeys, privateKeyOf } from "../core/case-file.ts";
import {
  type DeclarationDocument,
  type Draft,
  declarationDocument,
  escapeRawHtml,
  filingNumbers,
  mapDeclarationText,
  openingParagraph,
  paragraphLabel,
  type ReviewStatus,
  renderDocumentMarkdown,
  reviewSectionFlags,
  type SentenceFlags,
} from "../core/declaration.ts";
import { InvalidInputError, PlaceholderMismatchError } from "../core/errors.ts";
import { evidenceChecklist } from "../core/evidence-checklist.ts";
import { type Interpretation, withInterpreter } from "../core/interpreter.ts";
import { caseElements } from "../core/legal-elements.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { reviewRoundKey } from "../core/review.ts";
import { readRewriteScope } from "../core/review-paragraphs.ts";
import { type PlaceholderProblem, type RoleLegend, rolesKey } from "../core/roles.ts";
import { stageModules } from "../core/stages/index.ts";
import { type CostEntry, costLedgerPrefix, pickStageReport, type StageReport } from "../core/stages/report.ts";
import { emitMetrics, MetricUnit, withTelemetry } from "../core/telemetry.ts";
import { spanishReadingCopy, type Translation, unattendedBannerEs } from "../core/translation.ts";
import { placeholderPattern } from "./redaction/redactor.ts";
import { readVault } from "./redaction/vault.ts";
import { renderBilingualReview } from "./renditions/bilingual-review.ts";
import { renderDocx } from "./renditions/docx.ts";
import { renderPdf } from "./renditions/pdf.ts";
import { renderReviewDocx } from "./renditions/review-docx.ts";
import type { ExtractedFact } from "./review/facts-to-confirm.ts";
import { documentOnlySentences, isDeclarantAccount } from "./review/personal-knowledge.ts";
import { buildRoundChanges } from "./review/redline.ts";
import { buildReviewDocument, mapReviewText, renderReviewMarkdown, reviewDocumentJsonKey } from "./review-document.ts";
import { paragraphSentences } from "./scoring/support.ts";

export interface ReinjectEvent {
  state: PipelineState;
}

export interface PipelineOutput {
  caseId: string;
  caseType: string;
  /** The declaration in Markdown. */
  declarationKey: string;
  /** The same declaration as a Word document and as a PDF, for the lawyer. */
  docxKey: string;
  pdfKey: string;
  /** The filing rendition (Markdown, DOCX, PDF): no source lines, no draft notice. The keys above are the review rendition. */
  filing: { markdownKey: string; docxKey: string; pdfKey: string };
  /** The review document the attorney reads beside the declaration (Markdown, DOCX; JSON for the viewer). */
  reviewDocument: { markdownKey: string; docxKey: string; jsonKey: string };
  reportKey: string;
  /**
   * For a Spanish-speaking declarant: the Spanish reading copy in the same three renditions (a
   * courtesy translation of the filing version, not signed or filed), and the side-by-side
   * review of both (HTML). The English versions above carry the declarant's statement of how
   * the declaration was made known to them and the interpreter's certificate.
   */
  spanish?: { declarationKey: string; docxKey: string; pdfKey: string; reviewKey: string };
  score: number | null;
  /** Failing review when the gate still failed with no rewrite left: never looks like a clean pass. */
  review: ReviewStatus;
  rewrites: number;
  pipelineVersion: string;
  promptVersion: string;
  /** Sum of the GPU stages' costs (GPU-seconds and hosted tokens) for this case. */
  costUsd: number;
  stages: StageReport[];
}

export function reinject(text: string, vault: Map<string, string>): string {
  const unknown = new Set<string>();
  const out = text.replace(placeholderPattern, (placeholder) => {
    const value = vault.get(placeholder);
    if (value === undefined) unknown.add(placeholder);
    return value ?? placeholder;
  });
  if (unknown.size > 0) {
    throw new PlaceholderMismatchError(
      `${unknown.size} placeholder(s) in the draft have no value in the vault: ${[...unknown].slice(0, 5).join(", ")}`,
      { state: "Reinject" },
    );
  }
  // A value that itself looks like a placeholder would survive; refuse rather than ship it.
  const survivors = out.match(placeholderPattern);
  if (survivors)
    throw new PlaceholderMismatchError(`placeholders survived re-injection: ${survivors.slice(0, 5).join(", ")}`, { state: "Reinject" });
  return out;
}

export async function reinjectCase(event: ReinjectEvent, store: BlobStore = blobStore()): Promise<PipelineOutput> {
  const { state } = event;
  if (!state.draft) throw new InvalidInputError("Reinject needs the draft ($.draft)", { state: "Reinject" });
  const draft = await getJson<Draft>(store, state.draft.outputKey);
  const vault = await readVault(store, caseKeys.vault(state.caseId, state.executionName), { caseId: state.caseId, state: "Reinject" });
  const translation = state.translation ? await getJson<Translation>(store, state.translation.outputKey) : undefined;
  if (translation && translation.draftKey !== state.draft.outputKey) {
    throw new InvalidInputError(
      `the Spanish version (${state.translation!.outputKey}) translates ${translation.draftKey}, not the final draft ${state.draft.outputKey}`,
      { state: "Reinject" },
    );
  }
  const score = state.score ? await getJson<Record<string, unknown>>(store, state.score.scoreKey) : null;
  const review = reviewStatus(score);
  const flags = sentenceFlags(draft, score);
  const {
    english,
    chunks,
    documents: sources,
    ownAccount,
    informationAndBelief,
  } = await filingVersion(store, state, draft, vault, review, translation !== undefined);
  const reviewDoc = english("review");
  // Each review round's renditions are kept under a prefix of their own: a "changes" round never
  // overwrites the last. Everything written from here holds real values: under the round's
  // real-value prefix, which the fallback, Index and Score cannot read (core/case-file.ts).
  const roundKey = reviewRoundKey(state.runKey, state.rewrites.n);
  const out = privateKeyOf(roundKey);
  // The review rendition: a section per paragraph with its sources, flags and the draft notice.
  const main = await writeRenditions(store, `${out}/declaration`, reviewDoc, vault, reviewSectionFlags(draft, flags));
  const declarationKey = main.declarationKey;
  // The filing rendition: numbered paragraphs, oath and signature block; no sources, no notice.
  const filingWritten = await writeRenditions(store, `${out}/declaration.filing`, english("filing"), vault);
  const filing = { markdownKey: filingWritten.declarationKey, docxKey: filingWritten.docxKey, pdfKey: filingWritten.pdfKey };
  const reviewDocument = await writeReviewDocument(store, state, roundKey, draft, review, score, vault, {
    chunks,
    documents: sources,
    ownAccount,
    opening: openingParagraph(draft.caseType, { informationAndBelief }),
  });
  // The Spanish reading copy is the filing version in Spanish, read beside it paragraph by paragraph.
  const spanish = translation
    ? await writeSpanish(store, out, filingWritten.real, draft, translation, vault, {
        failing: review.status !== "passed",
        informationAndBelief,
      })
    : undefined;

  // Every slot a stage module fills, in pipeline order (the judges' is a list).
  const slots = [...new Set(stageModules.map((m) => m.slot))];
  const stages = slots
    .flatMap((slot) => [state[slot]].flat())
    .filter((r): r is StageReport => r !== undefined)
    .map(pickStageReport);
  // Every GPU stage run, rewrites and earlier judge rounds included, is in the cost ledger.
  const costUsd = await caseCostUsd(store, state);
  // The history carries document indexes; the report (inside the account) names the files.
  const files = state.extract.documentsKey ? (await getJson<{ files: string[] }>(store, state.extract.documentsKey)).files : [];
  const documents = {
    ...state.extract,
    ocrPages: state.extract.ocrPages.map(({ document, ...page }) => ({ file: files[document] ?? `document ${document}`, ...page })),
  };
  const reportKey = `${out}/report.json`;
  await putJson(store, reportKey, {
    caseId: state.caseId,
    caseType: state.caseType,
    language: state.language ?? "en",
    execution: state.executionName,
    pipelineVersion: state.pipelineVersion,
    promptVersion: state.promptVersion,
    rewrites: state.rewrites.n,
    review,
    score,
    stages,
    costUsd,
    documents,
    entities: state.redact?.entityCount ?? 0,
  });
  log("info", "reinject.done", {
    caseId: state.caseId,
    execution: state.executionName,
    review: review.status,
    placeholders: vault.size,
    bytes: main.bytes,
    docxBytes: main.docxBytes,
    pdfBytes: main.pdfBytes,
    spanish: spanish !== undefined,
  });
  return {
    caseId: state.caseId,
    caseType: state.caseType,
    declarationKey,
    docxKey: main.docxKey,
    pdfKey: main.pdfKey,
    filing,
    reviewDocument,
    reportKey,
    ...(spanish ? { spanish } : {}),
    score: state.score?.value ?? null,
    review,
    rewrites: state.rewrites.n,
    pipelineVersion: state.pipelineVersion,
    promptVersion: state.promptVersion,
    costUsd,
    stages,
  };
}

export const handler = withTelemetry("Reinject", async (event: ReinjectEvent): Promise<PipelineOutput> => {
  const output = await reinjectCase(event, await openBlobStore());
  emitMetrics([{ name: "CaseCostUsd", unit: MetricUnit.NoUnit, value: output.costUsd, dimensions: { CaseType: output.caseType } }]);
  return output;
});

/** Printed at the top of every rendition an unattended approval (`run --approve`) leaves. */
export const unattendedBanner =
  "NOT REVIEWED BY AN ATTORNEY: approved unattended (affiant run --approve / serve --approve, for demos and tests). Not for filing.";

/**
 * How the filing version of `draft` is written: where the declarant signs picks the oath's
 * § 1746 form (case.json `signing`; absent: outside the United States); how a Spanish-speaking
 * declarant came to know the declaration picks their statement and the interpreter's
 * certificate (`interpretation`; absent: read aloud); statements resting on documents only
 * make ¶1 allow for statements on information and belief. Reinject and RecordApproval's final
 * copy build it alike.
 */
async function filingVersion(
  store: BlobStore,
  state: PipelineState,
  draft: Draft,
  vault: Map<string, string>,
  review: ReviewStatus,
  translated: boolean,
) {
  const { signing, interpretation } = await caseSettings(store, state.caseId);
  // The index of the round under review: its chunks and, in the case's order, each source's role and language.
  const index = state.index
    ? await getJson<{ chunks: Array<{ id: string; file: string; page: number; text: string }>; documents?: SourceDocument[] }>(
        store,
        state.index.indexKey,
      )
    : { chunks: [] };
  const { chunks, documents } = index;
  const interviews = new Set((documents ?? []).filter((d) => d.role === "interview").map((d) => d.file));
  // An interview (the declarant's account taken by the attorney) is the declarant's own account;
  // otherwise it is read from the document's real name (its name may be a placeholder, [DOCUMENT_n]).
  const ownAccount = (file: string) =>
    interviews.has(file) || isDeclarantAccount(file.replace(placeholderPattern, (p) => vault.get(p) ?? p));
  const informationAndBelief = documentOnlySentences(draft, chunks, ownAccount).length > 0;
  // For a Spanish-speaking declarant, both English renditions carry the declarant's statement and
  // the interpreter's certificate: the filing one is what is signed and filed.
  const english = (rendition: "review" | "filing", status: ReviewStatus = review) => {
    const doc = declarationDocument(draft, status, rendition, signing, { informationAndBelief });
    return translated ? withInterpreter(doc, interpretation) : doc;
  };
  return { english, chunks, documents, ownAccount, informationAndBelief };
}

/**
 * The filing copy of the approved draft (RecordApproval, after the attorney's gate): numbered
 * paragraphs, oath and signature block, without the review banners; an unattended approval's
 * copy says it was not reviewed by an attorney. Under the run's real-value prefix, `private/…/final/`.
 */
export async function writeFinalFiling(store: BlobStore, state: PipelineState, options: { unattended: boolean }): Promise<FinalFiling> {
  if (!state.draft) throw new InvalidInputError("RecordApproval needs the draft ($.draft)", { state: "RecordApproval" });
  const draft = await getJson<Draft>(store, state.draft.outputKey);
  const vault = await readVault(store, caseKeys.vault(state.caseId, state.executionName), {
    caseId: state.caseId,
    state: "RecordApproval",
  });
  const translation = state.translation ? await getJson<Translation>(store, state.translation.outputKey) : undefined;
  if (translation && translation.draftKey !== state.draft.outputKey)
    throw new InvalidInputError(
      `the Spanish version (${state.translation!.outputKey}) translates ${translation.draftKey}, not the approved draft ${state.draft.outputKey}`,
      { state: "RecordApproval" },
    );
  const passed: ReviewStatus = { status: "passed", failures: [] };
  const { english, informationAndBelief } = await filingVersion(store, state, draft, vault, passed, translation !== undefined);
  const doc = english("filing");
  const base = `${privateKeyOf(state.runKey)}/final`;
  const written = await writeRenditions(
    store,
    `${base}/declaration.filing`,
    options.unattended ? { ...doc, failingReview: unattendedBanner } : doc,
    vault,
  );
  const final: FinalFiling = { markdownKey: written.declarationKey, docxKey: written.docxKey, pdfKey: written.pdfKey };
  if (!translation) return final;
  // What the declarant reads before signing is the approved draft's reading copy: the round's
  // copy carries the quality gate's banner, which the approval answered.
  const es = spanishReadingCopy(translation, draft, { informationAndBelief });
  const reading = await writeRenditions(
    store,
    `${base}/declaration.es`,
    options.unattended ? { ...es, failingReview: unattendedBannerEs } : es,
    vault,
  );
  return { ...final, readingCopy: { markdownKey: reading.declarationKey, docxKey: reading.docxKey, pdfKey: reading.pdfKey } };
}

interface RenditionKeys {
  markdownKey: string;
  docxKey: string;
  pdfKey: string;
}

/** The approved filing copy and, for a Spanish-speaking declarant, the approved reading copy. */
export type FinalFiling = RenditionKeys & { readingCopy?: RenditionKeys };

/**
 * A declaration document in its three renditions under `<base>.md|.docx|.pdf`. Each string is
 * re-injected (and checked) from the same structure, never by parsing the Markdown.
 */
async function writeRenditions(
  store: BlobStore,
  base: string,
  doc: DeclarationDocument,
  vault: Map<string, string>,
  sectionFlags: SentenceFlags[string][] = [],
) {
  const markdown = escapeRawHtml(reinject(renderDocumentMarkdown(doc, sectionFlags), vault));
  const real = mapDeclarationText(doc, (text) => reinject(text, vault));
  const docx = await renderDocx(real);
  const pdf = await renderPdf(real);
  const keys = { declarationKey: `${base}.md`, docxKey: `${base}.docx`, pdfKey: `${base}.pdf` };
  await store.put(keys.declarationKey, markdown);
  await store.put(keys.docxKey, docx);
  await store.put(keys.pdfKey, pdf);
  return { ...keys, real, bytes: markdown.length, docxBytes: docx.length, pdfBytes: pdf.length };
}

/** case.json's signing place and interpretation method, when the case has a case.json that names them. */
async function caseSettings(store: BlobStore, caseId: string): Promise<{ signing?: string; interpretation?: Interpretation }> {
  const key = caseKeys.caseJson(caseId);
  if (!(await store.exists(key))) return {};
  const parsed = caseFileSchema.safeParse(await getJson<unknown>(store, key));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(`case.json: ${issue.path.join(".") || "(root)"}: ${issue.message}`, { state: "Reinject" });
  }
  return { signing: parsed.data.signing, interpretation: parsed.data.interpretation };
}

/** The Spanish reading copy's renditions and the side-by-side review of it and the filing version. */
async function writeSpanish(
  store: BlobStore,
  out: string,
  filing: DeclarationDocument,
  draft: Draft,
  translation: Translation,
  vault: Map<string, string>,
  options: { failing: boolean; informationAndBelief: boolean },
) {
  const es = spanishReadingCopy(translation, draft, options);
  const written = await writeRenditions(store, `${out}/declaration.es`, es, vault);
  // What the Spanish dropped, by the filing's paragraph number, as the reviewer knows it: the real value (a name, a date).
  const numbers = filingNumbers(draft);
  const dropped = new Map(translation.paragraphs.map((p) => [p.element, p.missingPlaceholders.map((ph) => vault.get(ph) ?? ph)]));
  const missing = new Map<number, string[]>();
  for (const [i, p] of draft.paragraphs.entries()) if (numbers[i] !== undefined) missing.set(numbers[i]!, dropped.get(p.element) ?? []);
  const reviewKey = `${out}/review.bilingual.html`;
  await store.put(reviewKey, renderBilingualReview({ english: filing, spanish: written.real, missing }));
  return { declarationKey: written.declarationKey, docxKey: written.docxKey, pdfKey: written.pdfKey, reviewKey };
}

/** The review document, built from what the run wrote and re-injected like the declaration. */
async function writeReviewDocument(
  store: BlobStore,
  state: PipelineState,
  roundKey: string,
  draft: Draft,
  review: ReviewStatus,
  score: Record<string, unknown> | null,
  vault: Map<string, string>,
  read: {
    chunks: Array<{ id: string; file: string; page: number; text: string }>;
    /** In the case's order, each source's role and language (absent in runs indexed before roles). */
    documents: SourceDocument[] | undefined;
    ownAccount: (file: string) => boolean;
    opening: string;
  },
) {
  const { elements, variant, abuserStatus } = await caseElements(store, state.runKey, state.caseType);
  const { chunks, documents, ownAccount, opening } = read;
  const check = state.placeholders
    ? await getJson<{ problems: PlaceholderProblem[] }>(store, state.placeholders.checkKey)
    : { problems: [] };
  const facts = state.facts ? (await getJson<{ facts: ExtractedFact[] }>(store, state.facts.outputKey)).facts : [];
  const legend = (await store.exists(rolesKey(state.runKey))) ? await getJson<RoleLegend>(store, rolesKey(state.runKey)) : undefined;
  // After a "changes" round: the redline against the draft the attorney reviewed.
  const scope = await readRewriteScope(store, state.runKey);
  const changes =
    scope && scope.reviewedVersion !== state.draft?.outputKey
      ? buildRoundChanges(await getJson<Draft>(store, scope.reviewedVersion), draft, scope)
      : undefined;
  // Redacted dates are compared by their values (the vault is open here); the quotes keep placeholders until mapReviewText.
  const built = buildReviewDocument({
    draft,
    review,
    elements,
    chunks,
    score,
    placeholderProblems: check.problems.map((p) => `${paragraphLabel(draft, p.element)}: ${p.detail}`),
    facts,
    legend,
    dateOf: (p) => vault.get(p),
    evidence: evidenceChecklist(state.caseType, variant, abuserStatus),
    opening,
    ownAccount,
    ...(changes ? { changes } : {}),
    ...(documents ? { documents } : {}),
  });
  const real = mapReviewText(built, (text) => reinject(text, vault));
  const keys = {
    markdownKey: `${privateKeyOf(roundKey)}/review.md`,
    docxKey: `${privateKeyOf(roundKey)}/review.docx`,
    jsonKey: reviewDocumentJsonKey(roundKey),
  };
  await store.put(keys.markdownKey, renderReviewMarkdown(real));
  await putJson(store, keys.jsonKey, real);
  await store.put(keys.docxKey, await renderReviewDocx(real));
  return keys;
}

/** Score's unsupported sentences (numbered across the draft) as per-paragraph flags for the review rendition. */
export function sentenceFlags(draft: Draft, score: Record<string, unknown> | null): SentenceFlags {
  const unsupported = Array.isArray(score?.unsupported) ? (score.unsupported as Array<{ i: number; support: number }>) : [];
  const flags: SentenceFlags = {};
  let first = 0;
  for (const p of draft.paragraphs) {
    const n = paragraphSentences(p).length;
    for (const u of unsupported)
      if (u.i >= first && u.i < first + n) (flags[p.element] ??= []).push({ sentence: u.i - first + 1, support: u.support });
    first += n;
  }
  return flags;
}

/** The gate's verdict on the final draft, from Score's record (a run with no score has not passed it). */
export function reviewStatus(score: Record<string, unknown> | null): ReviewStatus {
  if (!score) return { status: "failing-review", failures: ["the draft was never scored"] };
  const failures = Array.isArray(score.failures) ? (score.failures as string[]) : [];
  return score.passed === true
    ? { status: "passed", failures: [] }
    : { status: "failing-review", failures: failures.length ? failures : ["the quality gate did not pass"] };
}

/** Sums the case's cost ledger: every completed GPU stage run of this execution. */
export async function caseCostUsd(store: BlobStore, state: PipelineState): Promise<number> {
  let total = 0;
  for (const key of await store.list(costLedgerPrefix(state.runKey))) total += (await getJson<CostEntry>(store, key)).costUsd;
  return Math.round(total * 1e6) / 1e6;
}
