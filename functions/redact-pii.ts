/**
 * Redact (Lambda): replaces PII in every extracted page with typed placeholders; the
 * mapping goes to the encrypted vault. Nothing after this state sees a real identity.
 */
import pLimit from "p-limit";
import { type BlobStore, blobStore, getJson, openBlobStore, putJson } from "../core/blob-store.ts";
import { type CaseFile, caseFileSchema, caseKeys, documentLabel } from "../core/case-file.ts";
import { declarantPlaceholder } from "../core/declaration.ts";
import { type CaseElements, caseAbuserStatus, defaultVariant, elementsFor, elementsKey } from "../core/legal-elements.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { type RoleLegend, rolesKey } from "../core/roles.ts";
import { withTelemetry } from "../core/telemetry.ts";
import type { ExtractResult } from "./extract-documents.ts";
import { ComprehendDetector, comprehendEnabled } from "./redaction/comprehend.ts";
import type { Detection, KnownPerson } from "./redaction/detect.ts";
import { writeGuard } from "./redaction/privacy-guard.ts";
import { Redactor } from "./redaction/redactor.ts";
import { getSealedJson } from "./redaction/sealed-json.ts";
import { writeVault } from "./redaction/vault.ts";

/** Comprehend requests in flight at once: well under its default DetectPiiEntities quota. */
const comprehendConcurrency = 4;

export interface RedactEvent {
  state: PipelineState;
}

export interface RedactOutput {
  redactedKey: string;
  entityCount: number;
  entityCounts: Record<string, number>;
}

/** The names case.json gives, longest first so a full name wins over its parts. */
export function knownPeople(caseFile: CaseFile): KnownPerson[] {
  const people: KnownPerson[] = [{ name: caseFile.declarant.name }];
  for (const p of caseFile.parties) {
    people.push({
      name: p.name,
      type: /employer|company|business|org/i.test(p.role) || /\b(LLC|Inc\.?|Corp\.?|Ltd\.?)$/.test(p.name) ? "ORG" : "PERSON",
    });
  }
  return people.sort((a, b) => b.name.length - a.name.length);
}

export async function redactCase(event: RedactEvent, store: BlobStore = blobStore()): Promise<RedactOutput> {
  const { state } = event;
  const caseFile = caseFileSchema.parse(await getJson(store, caseKeys.caseJson(state.caseId)));
  const extracted = await getSealedJson<ExtractResult>(store, state.extract.extractKey, { caseId: state.caseId, state: "Redact" });
  const redactor = new Redactor(knownPeople(caseFile));
  // Registered first so the declarant is always [PERSON_1], the voice the draft writes in.
  redactor.redact(caseFile.declarant.name);
  // Every page is read for people nobody listed before any is redacted, so a name first met
  // on the last page is redacted on the first too, under one placeholder.
  redactor.learn(extracted.documents.flatMap((d) => d.pages.map((p) => p.text)));
  // Comprehend (AWS) may add spans the rules miss; it is asked page by page, so its
  // offsets are the page's and a failure names the page. Pages are asked a few at a time
  // (Redact has a Lambda timeout; a long case file has hundreds of pages), then redacted in
  // order, so placeholder numbers do not depend on which answer came back first.
  const comprehend = comprehendEnabled() ? new ComprehendDetector() : undefined;
  let extras: Detection[][][] = extracted.documents.map((d) => d.pages.map(() => []));
  if (comprehend) {
    const limit = pLimit(comprehendConcurrency);
    try {
      extras = await Promise.all(
        extracted.documents.map((doc, d) =>
          Promise.all(
            doc.pages.map((p) => limit(() => comprehend.detect(p.text, caseFile.language, { file: documentLabel(d), page: p.page }))),
          ),
        ),
      );
    } finally {
      limit.clearQueue();
      comprehend.dispose();
    }
  }
  const documents: ExtractResult["documents"] = extracted.documents.map((doc, d) => ({
    file: redactor.document(doc.file),
    // Not client data: what the document is for and its language, for the exhibit list and the prompts.
    ...(doc.role ? { role: doc.role } : {}),
    ...(doc.language ? { language: doc.language } : {}),
    pages: doc.pages.map((p, i) => ({ page: p.page, text: redactor.redact(p.text, extras[d]![i]).text })),
  }));
  const redactedKey = `${state.runKey}/redacted.json`;
  await putJson(store, redactedKey, { documents } satisfies ExtractResult);
  // Before the vault is written: a party the documents never name still gets its placeholder.
  await putJson(store, rolesKey(state.runKey), roleLegend(caseFile, redactor));
  // The element checklist of the case's variant, for every stage after this one.
  const variant = caseFile.variant ?? defaultVariant[caseFile.caseType];
  // The abuser's status (case.json parties) picks a VAWA case's statute: INA 204(a)(1)(A) or (B).
  const abuserStatus = caseFile.caseType === "VAWA" ? caseAbuserStatus(caseFile.parties) : undefined;
  await putJson(store, elementsKey(state.runKey), {
    caseType: caseFile.caseType,
    variant,
    ...(abuserStatus ? { abuserStatus } : {}),
    elements: elementsFor(caseFile.caseType, variant, abuserStatus),
  } satisfies CaseElements);
  await writeVault(store, caseKeys.vault(state.caseId, state.executionName), redactor.mapping, { caseId: state.caseId });
  await writeGuard(store, state.caseId, state.executionName, redactor.mapping);
  if (redactor.mapping.get(declarantPlaceholder) !== caseFile.declarant.name) {
    throw new Error(`Redact: the declarant did not become ${declarantPlaceholder}`);
  }
  const entityCounts = redactor.entityCounts();
  const entityCount = Object.values(entityCounts).reduce((a, b) => a + b, 0);
  log("info", "redact.done", {
    caseId: state.caseId,
    execution: state.executionName,
    entities: entityCount,
    peopleFound: redactor.peopleFound(),
    ...prefixKeys(entityCounts),
    // Counts only: how often Comprehend was asked and how many spans it added to the rules'.
    comprehendCalls: comprehend?.calls ?? null,
    comprehendAdded: comprehend ? redactor.secondaryDetections : null,
  });
  return { redactedKey, entityCount, entityCounts };
}

/** Placeholders, roles and statuses only: the legend every prompt carries. */
export function roleLegend(caseFile: CaseFile, redactor: Redactor): RoleLegend {
  const parties: RoleLegend["parties"] = [];
  for (const p of caseFile.parties) {
    const placeholder = redactor.redact(p.name).text.trim();
    if (/^\[[A-Z]+(?:_[A-Z]+)*_\d+\]$/.test(placeholder))
      parties.push({ placeholder, role: p.role, ...(p.status ? { status: p.status } : {}) });
  }
  return { declarant: declarantPlaceholder, parties, placeholders: [...redactor.mapping.keys()] };
}

function prefixKeys(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`entities.${k}`, v]));
}

export const handler = withTelemetry(
  "Redact",
  async (event: RedactEvent): Promise<RedactOutput> => redactCase(event, await openBlobStore()),
);
