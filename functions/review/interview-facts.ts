/**
 * Facts from the client that the attorney writes in a review ("we married in March 2019"),
 * made a source like any document: redacted by the documents' detector (a value the vault
 * knows becomes its placeholder; a new one gets a new placeholder, added to the vault, the
 * privacy guard and the role legend), kept as an `interview` document of the execution (the
 * declarant's own account, not filed), added to the run's redacted documents for IndexInterview
 * to index before the next round. Only placeholders leave this module.
 */
import { type BlobStore, getJson, putJson } from "../../core/blob-store.ts";
import { detectLanguage } from "../../core/case-documents.ts";
import { type CaseFile, caseKeys } from "../../core/case-file.ts";
import type { PipelineState } from "../../core/pipeline-state.ts";
import { type RoleLegend, rolesKey } from "../../core/roles.ts";
import type { ExtractResult } from "../extract-documents.ts";
import { knownPeople } from "../redact-pii.ts";
import { detectVaultValues } from "../redaction/detect.ts";
import { writeGuard } from "../redaction/privacy-guard.ts";
import { Redactor } from "../redaction/redactor.ts";
import { writeVault } from "../redaction/vault.ts";

/** What a run's AttorneyNotes keeps between rounds: the redacted documents every later round indexes. */
export interface InterviewState {
  /** The redacted documents with every interview so far (Redact's, until the attorney gives facts). */
  redactedKey: string;
  /** Whether this round added an interview (IndexInterview runs only then). */
  interview: boolean;
}

/** The redacted documents the current round's index was built from. */
export const currentRedactedKey = (state: PipelineState & { attorney?: Partial<InterviewState> }): string =>
  state.attorney?.redactedKey ?? state.redact!.redactedKey;

/** The facts as a source's text: vault values to their placeholders, then the documents' detector for the rest. */
export function redactFacts(facts: string, vault: Map<string, string>, caseFile: CaseFile): { text: string; added: Map<string, string> } {
  let known = "";
  let cursor = 0;
  for (const d of detectVaultValues(facts, vault)) {
    known += facts.slice(cursor, d.start) + d.placeholder;
    cursor = d.end;
  }
  known += facts.slice(cursor);
  const redactor = new Redactor(knownPeople(caseFile)).continueFrom(vault.keys());
  const { text } = redactor.redact(known);
  return { text, added: redactor.mapping };
}

/**
 * Adds the round's facts as an interview document; returns where the redacted documents now
 * are. The document's name is a placeholder too, whose value says what it is, so a citation
 * re-injects as "facts from the client (review round 1)".
 */
export async function addInterviewFacts(
  store: BlobStore,
  state: PipelineState & { attorney?: Partial<InterviewState> },
  facts: string,
  vault: Map<string, string>,
  caseFile: CaseFile,
): Promise<{ redactedKey: string; vault: Map<string, string>; placeholdersAdded: number }> {
  const round = state.rewrites.n;
  const { text, added } = redactFacts(facts, vault, caseFile);
  const name = `facts from the client (review round ${round})`;
  // A retried AttorneyNotes finds the name in the vault already: the same placeholder, not a second document.
  const known = [...vault].find(([placeholder, value]) => value === name && placeholder.startsWith("[DOCUMENT_"))?.[0];
  const named = new Redactor().continueFrom([...vault.keys(), ...added.keys()]);
  const file = known ?? named.document(name);
  const extended = new Map([...vault, ...added, ...named.mapping]);
  const previous = await getJson<ExtractResult>(store, currentRedactedKey(state));
  const documents: ExtractResult["documents"] = [
    ...previous.documents,
    // One page per paragraph the attorney wrote: citations say which part of the facts a sentence rests on.
    {
      file,
      role: "interview",
      language: detectLanguage(facts),
      round,
      pages: text
        .split(/\n\s*\n/)
        .map((t) => t.trim())
        .filter(Boolean)
        .map((t, i) => ({ page: i + 1, text: t })),
    },
  ];
  const redactedKey = `${state.runKey}/redacted-r${round}.json`;
  // The vault and the guard first: a placeholder the index holds always has its value.
  await writeVault(store, caseKeys.vault(state.caseId, state.executionName), extended, { caseId: state.caseId });
  await writeGuard(store, state.caseId, state.executionName, extended);
  if (await store.exists(rolesKey(state.runKey))) {
    const legend = await getJson<RoleLegend>(store, rolesKey(state.runKey));
    await putJson(store, rolesKey(state.runKey), { ...legend, placeholders: [...extended.keys()] } satisfies RoleLegend);
  }
  await putJson(store, redactedKey, { documents } satisfies ExtractResult);
  return { redactedKey, vault: extended, placeholdersAdded: extended.size - vault.size };
}
