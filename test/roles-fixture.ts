/**
 * A role legend and hand-written drafts (scripted model output) shared by the placeholder
 * tests: test/unit/roles.test.ts (the check itself) and test/integration/roles.test.ts (the
 * check inside CheckPlaceholders and the prompts).
 */
import type { Draft } from "../core/declaration.ts";
import type { RoleLegend } from "../core/roles.ts";

export const legend: RoleLegend = {
  declarant: "[PERSON_1]",
  parties: [
    { placeholder: "[PERSON_2]", role: "abuser", status: "U.S. citizen" },
    { placeholder: "[PERSON_3]", role: "witness" },
  ],
  placeholders: ["[PERSON_1]", "[PERSON_2]", "[PERSON_3]", "[ADDRESS_1]"],
};

/** A VAWA draft whose paragraphs are the given texts, keyed by element id. */
export const draftOf = (paragraphs: Record<string, string>): Draft => ({
  caseType: "VAWA",
  round: 0,
  paragraphs: Object.entries(paragraphs).map(([element, text]) => ({ element, title: element, text, sources: [], citations: [] })),
});
