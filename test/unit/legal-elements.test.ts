/**
 * The law as it stands: every variant's elements carry a citation of the rules in force
 * (VAWA under 8 CFR 204.2(c)/(e) and INA 204(a)(1)(A)(vii); T visa under 8 CFR 214.200–216,
 * never the old 214.11), the variant in case.json chooses them and a wrong one is refused
 * naming the field, and the abuse query covers what abuse looks like in these files.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { caseFileSchema, caseVariants } from "../../core/case-file.ts";
import { elementsFor, legalElements, variantElements } from "../../core/legal-elements.ts";

test("every variant's elements have unique ids, a title, a citation and a query", () => {
  for (const [caseType, variants] of Object.entries(variantElements)) {
    assert.deepEqual(Object.keys(variants), [...caseVariants[caseType as "VAWA" | "T"]]);
    for (const [variant, elements] of Object.entries(variants)) {
      const ids = elements.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, `${caseType}/${variant}: duplicate ids ${ids}`);
      for (const e of elements) assert.ok(e.title && e.citation && e.query, `${caseType}/${variant}/${e.id}`);
      // Every variant must establish abuse or trafficking, the relationship or the recruitment, and presence/residence.
      assert.ok(ids.includes(caseType === "VAWA" ? "abuse" : "force-fraud-coercion"), `${caseType}/${variant}`);
    }
  }
});

test("VAWA variants cite 8 CFR 204.2(c) for spouses, 204.2(e) for children, INA 204(a)(1)(A)(vii) for parents, with their own sub-requirements", () => {
  const cites = (variant: string) =>
    elementsFor("VAWA", variant)
      .map((e) => e.citation)
      .join(" | ");
  assert.match(cites("spouse"), /8 CFR 204\.2\(c\)/);
  assert.doesNotMatch(cites("spouse"), /204\.2\(e\)/);
  assert.match(cites("child"), /8 CFR 204\.2\(e\)/);
  assert.match(cites("parent"), /INA 204\(a\)\(1\)\(A\)\(vii\)/);
  assert.match(cites("intended-spouse"), /101\(a\)\(50\)/);
  const ids = (variant: string) => elementsFor("VAWA", variant).map((e) => e.id);
  assert.deepEqual(ids("spouse"), ["relationship", "abuser-status", "abuse", "residence", "good-faith-marriage", "moral-character"]);
  assert.ok(ids("divorced").includes("divorce-link"));
  assert.ok(ids("deceased-abuser").includes("abuser-death"));
  assert.ok(!ids("child").includes("good-faith-marriage") && !ids("parent").includes("good-faith-marriage"));
  assert.deepEqual(legalElements.VAWA, elementsFor("VAWA", "spouse"), "no variant in case.json: a spouse");
});

test("T visa elements cite 8 CFR 214.200–214.216 (never 214.11); a minor needs no force, fraud or coercion and is exempt from law-enforcement requests", () => {
  for (const variant of caseVariants.T) {
    const all = elementsFor("T", variant)
      .map((e) => e.citation)
      .join(" | ");
    assert.doesNotMatch(all, /214\.11\b/);
    for (const e of elementsFor("T", variant)) assert.match(e.citation, /8 CFR 214\.2(0\d|1[0-6])\b/, `${variant}/${e.id}`);
  }
  // Each element cites 214.202's requirement and the section that governs it (89 FR 34864).
  const governing: Record<string, RegExp> = {
    recruitment: /214\.202\(a\), 214\.206/,
    "force-fraud-coercion": /214\.202\(a\), 214\.206/,
    purpose: /214\.202\(a\), 214\.206/,
    presence: /214\.202\(b\), 214\.207/,
    "law-enforcement": /214\.202\(c\)(\([12]\))?, 214\.208/,
    hardship: /214\.202\(d\), 214\.209/,
  };
  for (const variant of caseVariants.T)
    for (const e of elementsFor("T", variant)) if (governing[e.id]) assert.match(e.citation, governing[e.id]!, `${variant}/${e.id}`);
  assert.match(elementsFor("T", "minor").find((e) => e.id === "law-enforcement")!.citation, /214\.202\(c\)\(1\)/, "the under-18 exemption");
  assert.match(
    elementsFor("T", "trauma-exception").find((e) => e.id === "law-enforcement")!.citation,
    /214\.202\(c\)\(2\)/,
    "the trauma exception",
  );
  const minor = Object.fromEntries(elementsFor("T", "minor").map((e) => [e.id, e]));
  assert.match(minor["force-fraud-coercion"]!.title, /not required for a minor in sex trafficking/);
  assert.match(minor["law-enforcement"]!.title, /Under 18/);
  assert.match(
    Object.fromEntries(elementsFor("T", "trauma-exception").map((e) => [e.id, e]))["law-enforcement"]!.title,
    /Trauma exception/,
  );
  assert.match(Object.fromEntries(elementsFor("T").map((e) => [e.id, e])).hardship!.title, /unusual and severe harm/);
});

test("the abuse query covers immigration threats, taking documents, isolation and money", () => {
  const q = elementsFor("VAWA").find((e) => e.id === "abuse")!.query;
  for (const word of ["deport", "passport", "isolated", "money", "nurse"]) assert.ok(q.includes(word), word);
});

test("case.json's variant chooses the elements; a variant of another case type is refused naming the field", () => {
  const base = { caseId: "c-1", caseType: "VAWA", declarant: { name: "A B" } };
  assert.equal(caseFileSchema.parse({ ...base, variant: "child" }).variant, "child");
  const wrong = caseFileSchema.safeParse({ ...base, variant: "minor" });
  assert.ok(!wrong.success);
  assert.deepEqual(wrong.error.issues[0]!.path, ["variant"]);
  assert.match(wrong.error.issues[0]!.message, /not a VAWA variant: use one of spouse, intended-spouse/);
  assert.throws(() => elementsFor("T", "spouse"), /variant "spouse" is not one of T's \(adult, minor, trauma-exception\)/);
});
