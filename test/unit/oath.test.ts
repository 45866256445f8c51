/**
 * The oath by where the declarant signs. 28 U.S.C. § 1746 (http://uscode.elaws.us/law/28usc1746):
 *   "(1) If executed without the United States: "I declare (or certify, verify, or state) under
 *   penalty of perjury under the laws of the United States of America that the foregoing is true
 *   and correct. Executed on (date). (Signature)". (2) If executed within the United States, its
 *   territories, possessions, or commonwealths: "I declare (or certify, verify, or state) under
 *   penalty of perjury that the foregoing is true and correct. Executed on (date). (Signature)"."
 * case.json's `signing` picks the form; absent, § 1746(1)'s; not a string, refused naming the field.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { caseFileSchema } from "../../core/case-file.ts";
import { type Draft, declarationDocument, renderDeclaration } from "../../core/declaration.ts";
import { oathForm, signedInsideUnitedStates } from "../../core/oath.ts";

const outside = "I declare under penalty of perjury under the laws of the United States of America that the foregoing is true and correct.";
const inside = "I declare under penalty of perjury that the foregoing is true and correct.";

test("inside the United States: a state, D.C., a territory or commonwealth, their capitalised postal abbreviations, or the country's name; anything else is outside", () => {
  for (const place of [
    "Houston, Texas",
    "Houston, TX",
    "Chicago, IL, USA",
    "Washington, D.C.",
    "San Juan, Puerto Rico",
    "Hagåtña, GU",
    "Saipan, Northern Mariana Islands",
    "New York",
    "Anytown, U.S.A.",
    "Miami, Florida, United States of America",
    "Pago Pago, American Samoa",
    "Charlotte Amalie, U.S. Virgin Islands",
  ]) {
    assert.equal(signedInsideUnitedStates(place), true, place);
    assert.equal(oathForm(place), "1746(2)", place);
  }
  for (const place of [
    undefined,
    "",
    "  ",
    "Monterrey, Mexico",
    "Houston",
    "Toronto, Ontario, Canada",
    "Tbilisi, Republic of Georgia",
    "Guatemala City, Guatemala",
    "Paris, France",
    "Lima, Peru",
    "somewhere, tx",
  ]) {
    assert.equal(signedInsideUnitedStates(place), false, String(place));
    assert.equal(oathForm(place), "1746(1)", String(place));
  }
});

const draft: Draft = {
  caseType: "VAWA",
  round: 0,
  paragraphs: [{ element: "relationship", title: "Qualifying relationship", text: "I married [PERSON_2].", sources: [], citations: [] }],
};

test("the verification sentence follows the signing place in both renditions; absent, the form for outside the United States", () => {
  for (const rendition of ["filing", "review"] as const) {
    assert.equal(declarationDocument(draft, undefined, rendition).verification, outside);
    assert.equal(declarationDocument(draft, undefined, rendition, "Lima, Peru").verification, outside);
    assert.equal(declarationDocument(draft, undefined, rendition, "El Paso, TX").verification, inside);
  }
});

test("the Markdown renditions: the verification, 'Executed on … at …', a blank line to sign on, the printed name under it", () => {
  for (const rendition of ["filing", "review"] as const) {
    const md = renderDeclaration(draft, undefined, rendition, {}, "El Paso, Texas");
    assert.match(
      md,
      /\nI declare under penalty of perjury that the foregoing is true and correct\.\n\nExecuted on _+ \(date\) at _+ \(city, state or country\)\.\n\nSignature of declarant: _{20,}\n\nPrinted name: \[PERSON_1\]\n/,
      rendition,
    );
    assert.doesNotMatch(md, /Signed:/, `${rendition}: no typed name after "Signed:"`);
    assert.ok(
      md.indexOf("Executed on") > md.indexOf("true and correct") && md.indexOf("Printed name") > md.indexOf("Signature of declarant"),
      rendition,
    );
  }
});

test("case.json's signing: a string naming a place; anything else refused naming the field", () => {
  const base = { caseId: "c-1", caseType: "VAWA", declarant: { name: "A B" } };
  assert.equal(caseFileSchema.parse({ ...base, signing: "Houston, Texas" }).signing, "Houston, Texas");
  assert.equal(caseFileSchema.parse(base).signing, undefined);
  for (const signing of [5, true, ["Houston"], { city: "Houston" }, ""]) {
    const r = caseFileSchema.safeParse({ ...base, signing });
    assert.ok(!r.success, JSON.stringify(signing));
    assert.deepEqual(r.error.issues[0]!.path, ["signing"]);
    assert.match(r.error.issues[0]!.message, /city, state or country where the declarant signs/);
  }
});
