/**
 * Who did what, the pure parts: the placeholder check on drafts written here by hand
 * (scripted model output: every failure kind named) and the definition's routing of
 * CheckPlaceholders after Draft and every Rewrite, before the judges.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRegistry } from "../../core/registry.ts";
import { checkPlaceholders, legendText } from "../../core/roles.ts";
import { buildDefinition } from "../../workflows/definition.ts";
import { draftOf, legend } from "../roles-fixture.ts";

test("scripted drafts: a clean draft passes the placeholder check", () => {
  const draft = draftOf({
    relationship: "I married [PERSON_2], a U.S. citizen, in 2015.",
    abuse: "[PERSON_2] pushed me against the wall. [PERSON_3] saw it.",
    residence: "I lived with [PERSON_2] at [ADDRESS_1].",
  });
  assert.deepEqual(checkPlaceholders(draft, legend), []);
});

test("scripted drafts: swapped roles, an invented, a malformed and a missing placeholder are each named", () => {
  const problems = checkPlaceholders(
    draftOf({
      abuse: "I hit [PERSON_2] many times. Then [PERSON_2] was beaten by me.",
      relationship: "I married [PERSON_7] in 2015 and [PERSON_2] agreed.",
      residence: "I lived with [Person_2] and PERSON_2 at [ADDRESS_1].",
      "good-faith-marriage": "We married for love.",
    }),
    legend,
  );
  const kinds = problems.map((p) => `${p.kind}:${p.element}:${p.placeholder ?? ""}`);
  assert.ok(kinds.includes("wrong-slot:abuse:[PERSON_2]"), kinds.join(", "));
  assert.ok(kinds.includes("unknown:relationship:[PERSON_7]"), kinds.join(", "));
  assert.ok(kinds.includes("malformed:residence:[Person_2]"), kinds.join(", "));
  assert.ok(kinds.includes("malformed:residence:PERSON_2"), kinds.join(", "));
  // [Person_2] and PERSON_2 are not the abuser's placeholder: residence lacks the abuser too.
  assert.ok(kinds.includes("missing-role:residence:[PERSON_2]"), kinds.join(", "));
  assert.ok(kinds.includes("missing-role:good-faith-marriage:[PERSON_2]"), kinds.join(", "));
  assert.equal(problems.length, 6, kinds.join(", "));
});

test("the legend names who is who in one line each: the declarant speaks as I", () => {
  assert.equal(legendText(legend), '[PERSON_1]: declarant ("I")\n[PERSON_2]: abuser (U.S. citizen)\n[PERSON_3]: witness');
  assert.equal(legendText(undefined), "(no roles recorded)");
});

test("the definition checks placeholders after Draft and after every Rewrite, before the judges", async () => {
  const { States } = buildDefinition({ registry: loadRegistry() });
  assert.equal(States.DraftDeclaration!.Next, "CheckPlaceholders");
  assert.equal(States.DraftDeclarationFallback!.Next, "CheckPlaceholders");
  assert.equal(States.CountRewrite!.Next, "CheckPlaceholders");
  assert.deepEqual((States.CheckPlaceholders!.Parameters as { Payload: unknown }).Payload, { "state.$": "$", check: "placeholders" });
  assert.equal(States.CheckPlaceholders!.Next, "PlaceholdersOk");
  assert.equal(States.PlaceholdersOk!.Default, "Judges");
  assert.deepEqual(States.PlaceholdersOk!.Choices, [
    { Variable: "$.placeholders.rewrite", BooleanEquals: true, Next: "PlaceholderRewrite" },
  ]);
  assert.equal(States.PlaceholderRewrite!.Next, "GuardrailsRewriteAdmit");
});
