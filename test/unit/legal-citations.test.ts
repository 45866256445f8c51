/**
 * Every variant's element set and every element's citation, against tables written from the
 * provisions' text. The text, and where it was read:
 *
 * INA 204(a)(1)(A)(iii) (8 U.S.C. 1154(a)(1)(A)(iii)), https://omb.report/icr/201301-1615-009/doc/37427301:
 *   "(I) … (aa) the marriage or the intent to marry the United States citizen was entered into in
 *   good faith by the alien; and (bb) during the marriage or relationship intended by the alien to
 *   be legally a marriage, the alien or a child of the alien has been battered or has been the
 *   subject of extreme cruelty perpetrated by the alien's spouse or intended spouse. (II) … (aa)(AA)
 *   who is the spouse of a citizen of the United States; (BB) who believed that he or she had
 *   married a citizen … but whose marriage is not legitimate solely because of the bigamy of such
 *   citizen of the United States; or (CC) who was a bona fide spouse of a United States citizen
 *   within the past 2 years and— (aaa) whose spouse died within the past 2 years; (bbb) whose
 *   spouse lost or renounced citizenship status within the past 2 years related to an incident of
 *   domestic violence; or" (ccc): the divorce connected to the abuse (USCIS Policy Manual vol. 3,
 *   pt. D, ch. 3, https://uscis.gov/policy-manual/volume-3-part-d-chapter-3).
 * LPR abuser: "self-petitioning spouses of LPRs are found in section 204(a)(1)(B)(ii) … Section
 *   204(a)(1)(B)(ii)(I)(aa)-(bb) sets for[th] the parallel requirements"
 *   (https://myattorneyusa.com/immigration-blog/vawa-self-petitioning-for-battered-spouses);
 *   "the child of an abusive U.S. citizen parent … section 204(a)(1)(A)(iv) … The parallel
 *   provisions for the child of an LPR are found in section 204(a)(1)(B)(iii)"
 *   (https://myattorneyusa.com/immigration-blog/vawa-self-petitioning-for-battered-children).
 *   A parent or a widow(er) needs a citizen abuser ("This is the only category of self-petitioners
 *   where the abuser must be a USC"; "your USC spouse (not LPR) died within the past 2 years",
 *   womenslaw.org, INA 204(a)(1)(A)(vii), (iii)).
 * INA 204(a)(1)(A)(vii), https://myattorneyusa.com/immigration-blog/immigration-to-the-usa/vawa-self-petitioning-for-battered-parents:
 *   "I. Must be the parent of a U.S. citizen or of a son or daughter who, within the past 2 years,
 *   lost or renounced U.S. citizenship related to an incident of domestic violence or died; II.
 *   Must be of GMC; III. Must be eligible for classification as immediate relative parent of U.S.
 *   citizen under section 201(b)(2)(A)(i); IV. Must reside or have resided with the U.S. citizen
 *   son or daughter; V. Demonstrate that he or she was battered or subjected to extreme cruelty".
 * INA 204(a)(1)(D)(v): a child "between the ages of 21 and 25 … [who] qualified before [turning]
 *   21 and … the abuse was at least one central reason for not filing"
 *   (https://www.womenslaw.org/laws/federal/immigration/vawa-abuse-victims/vawa-self-petition/what-are-some-additional-0).
 * 8 CFR 204.2(e): battery or extreme cruelty of a child is defined in (e)(1)(vi); "A child who is
 *   less than 14 years of age is presumed to be a person of good moral character" ((e)(2),
 *   https://nortontooby.com/category/books/sh-u?page=23).
 * 8 CFR 214.202 (https://checkoutapi.com/regulations/title8_chapterI_part214_subpartC_section214.202):
 *   "(a) Victim … according to § 214.206. (b) Physical presence … according to § 214.207.
 *   (c) Compliance with any reasonable request for assistance … § 214.208(c). (1) Exemption for
 *   minor victims … (2) Exception for trauma … (d) Hardship. The applicant would suffer extreme
 *   hardship involving unusual and severe harm upon removal, according to § 214.209.
 *   (e) Prohibition against traffickers in persons. No applicant will be eligible … if there is
 *   substantial reason to believe that the applicant has committed an act of a severe form of
 *   trafficking in persons."
 * 8 CFR 214.206(a)(2) (https://checkoutapi.com/regulations/8/214.206): "… recruited, transported,
 *   harbored, provided, or obtained for the purposes of subjection to sex trafficking …, or
 *   patronized or solicited for the purposes of subjection to sex trafficking."
 * The 8 CFR 204.2(c) paragraph pointers were not read here (the regulation's text was not at
 * hand): the table pins them so a change is deliberate.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { caseFileSchema } from "../../core/case-file.ts";
import { evidenceChecklist } from "../../core/evidence-checklist.ts";
import { abuserStatusKind, caseAbuserStatus, elementsFor } from "../../core/legal-elements.ts";

type Table = Record<string, string>;
const cited = (caseType: "VAWA" | "T", variant: string, status?: "citizen" | "lpr"): Table =>
  Object.fromEntries(elementsFor(caseType, variant, status).map((e) => [e.id, e.citation]));

const spouseCommon = (ina: string): Table => ({
  abuse: `${ina}(I)(bb); 8 CFR 204.2(c)(1)(i)(E), (c)(1)(vi)`,
  residence: "8 CFR 204.2(c)(1)(i)(D), (c)(2)(iii)",
  "good-faith-marriage": `${ina}(I)(aa); 8 CFR 204.2(c)(1)(i)(H), (c)(1)(ix)`,
  "moral-character": "8 CFR 204.2(c)(1)(i)(F), (c)(1)(vii)",
});
const citizenStatus = "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(bbb); 8 CFR 204.2(c)(1)(i)(A), (c)(2)(ii)";
const lprStatus = "INA 204(a)(1)(B)(ii); 8 CFR 204.2(c)(1)(i)(A), (c)(2)(ii)";

const vawaCitizen: Record<string, Table> = {
  spouse: {
    relationship: "INA 204(a)(1)(A)(iii)(II)(aa)(AA); 8 CFR 204.2(c)(1)(i)(A)-(B)",
    "abuser-status": citizenStatus,
    ...spouseCommon("INA 204(a)(1)(A)(iii)"),
  },
  "intended-spouse": {
    relationship: "INA 101(a)(50), 204(a)(1)(A)(iii)(II)(aa)(BB)",
    "abuser-status": citizenStatus,
    ...spouseCommon("INA 204(a)(1)(A)(iii)"),
  },
  divorced: {
    relationship: "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(ccc)",
    "abuser-status": citizenStatus,
    "divorce-link": "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(ccc)",
    ...spouseCommon("INA 204(a)(1)(A)(iii)"),
  },
  "deceased-abuser": {
    relationship: "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(aaa)",
    "abuser-status": citizenStatus,
    "abuser-death": "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(aaa)",
    ...spouseCommon("INA 204(a)(1)(A)(iii)"),
  },
  child: {
    relationship: "INA 204(a)(1)(A)(iv); 8 CFR 204.2(e)(1)(i)(A)",
    "child-age": "INA 101(b)(1), 204(a)(1)(D)(v)",
    "abuser-status": "INA 204(a)(1)(A)(iv); 8 CFR 204.2(e)(1)(i)(A), (e)(2)(ii)",
    abuse: "INA 204(a)(1)(A)(iv); 8 CFR 204.2(e)(1)(i)(E), (e)(1)(vi)",
    residence: "8 CFR 204.2(e)(1)(i)(D), (e)(2)(iii)",
    "moral-character": "8 CFR 204.2(e)(1)(i)(F), (e)(2)(v)",
  },
  parent: {
    relationship: "INA 204(a)(1)(A)(vii)(I)",
    "abuser-status": "INA 204(a)(1)(A)(vii)(III), 201(b)(2)(A)(i)",
    abuse: "INA 204(a)(1)(A)(vii)(V)",
    residence: "INA 204(a)(1)(A)(vii)(IV)",
    "moral-character": "INA 204(a)(1)(A)(vii)(II)",
  },
};

const vawaLpr: Record<string, Table> = {
  spouse: {
    relationship: "INA 204(a)(1)(B)(ii); 8 CFR 204.2(c)(1)(i)(A)-(B)",
    "abuser-status": lprStatus,
    ...spouseCommon("INA 204(a)(1)(B)(ii)"),
  },
  "intended-spouse": {
    relationship: "INA 101(a)(50), 204(a)(1)(B)(ii)",
    "abuser-status": lprStatus,
    ...spouseCommon("INA 204(a)(1)(B)(ii)"),
  },
  divorced: {
    relationship: "INA 204(a)(1)(B)(ii)",
    "abuser-status": lprStatus,
    "divorce-link": "INA 204(a)(1)(B)(ii)",
    ...spouseCommon("INA 204(a)(1)(B)(ii)"),
  },
  child: {
    relationship: "INA 204(a)(1)(B)(iii); 8 CFR 204.2(e)(1)(i)(A)",
    "child-age": "INA 101(b)(1), 204(a)(1)(D)(v)",
    "abuser-status": "INA 204(a)(1)(B)(iii); 8 CFR 204.2(e)(1)(i)(A), (e)(2)(ii)",
    abuse: "INA 204(a)(1)(B)(iii); 8 CFR 204.2(e)(1)(i)(E), (e)(1)(vi)",
    residence: "8 CFR 204.2(e)(1)(i)(D), (e)(2)(iii)",
    "moral-character": "8 CFR 204.2(e)(1)(i)(F), (e)(2)(v)",
  },
};

const tCommon: Table = {
  recruitment: "8 CFR 214.202(a), 214.206; 214.201; 22 U.S.C. 7102(11)",
  purpose: "8 CFR 214.202(a), 214.206(a)(1)-(2); 22 U.S.C. 7102(11)",
  presence: "8 CFR 214.202(b), 214.207; INA 101(a)(15)(T)(i)(II)",
  hardship: "8 CFR 214.202(d), 214.209; INA 101(a)(15)(T)(i)(IV)",
};
const tTable: Record<string, Table> = {
  adult: {
    ...tCommon,
    "force-fraud-coercion": "8 CFR 214.202(a), 214.206(a)(1); 214.201 (coercion); 22 U.S.C. 7102(3), (11)(B)",
    "law-enforcement": "8 CFR 214.202(c), 214.208(c); INA 101(a)(15)(T)(i)(III)(aa)",
  },
  minor: {
    ...tCommon,
    "force-fraud-coercion": "8 CFR 214.202(a), 214.206(a)(1); 22 U.S.C. 7102(11)(A)-(B)",
    "law-enforcement": "8 CFR 214.202(c)(1), 214.208; INA 101(a)(15)(T)(i)(III)(cc)",
  },
  "trauma-exception": {
    ...tCommon,
    "force-fraud-coercion": "8 CFR 214.202(a), 214.206(a)(1); 214.201 (coercion); 22 U.S.C. 7102(3), (11)(B)",
    "law-enforcement": "8 CFR 214.202(c)(2), 214.208; INA 101(a)(15)(T)(i)(III)(bb)",
  },
};

for (const [variant, table] of Object.entries(vawaCitizen)) {
  test(`VAWA ${variant} (citizen abuser): the element set and each citation match the provisions' table`, () => {
    assert.deepEqual(cited("VAWA", variant), table);
    assert.deepEqual(cited("VAWA", variant, "citizen"), table, "a status that reads as a citizen: the same");
  });
}

for (const [variant, table] of Object.entries(vawaLpr)) {
  test(`VAWA ${variant} (lawful permanent resident abuser): INA 204(a)(1)(B), never (A)`, () => {
    assert.deepEqual(cited("VAWA", variant, "lpr"), table);
    for (const c of Object.values(cited("VAWA", variant, "lpr"))) assert.doesNotMatch(c, /204\(a\)\(1\)\(A\)/);
  });
}

for (const [variant, table] of Object.entries(tTable)) {
  test(`T ${variant}: the element set and each citation match 8 CFR 214.202 and 214.206–214.209`, () => {
    assert.deepEqual(cited("T", variant), table);
  });
}

test("the elements' titles say the alternatives the provisions allow", () => {
  const title = (caseType: "VAWA" | "T", variant: string, id: string, status?: "lpr") =>
    elementsFor(caseType, variant, status).find((e) => e.id === id)!.title;
  assert.match(title("VAWA", "spouse", "abuse"), /self-petitioner's child/, "(iii)(I)(bb): the alien or a child of the alien");
  assert.match(
    title("VAWA", "spouse", "abuser-status"),
    /loss or renunciation within the past two years related to an incident of domestic violence/,
  );
  assert.match(title("VAWA", "spouse", "abuser-status", "lpr"), /lawful permanent residence, or its loss within the past two years/);
  assert.match(title("VAWA", "child", "abuser-status"), /loss or renunciation within the past two years/);
  assert.match(
    title("VAWA", "child", "child-age"),
    /unmarried and under 21, or filing before 25 with the abuse at least one central reason for the delay/,
  );
  assert.match(title("VAWA", "child", "moral-character"), /presumed for a child under 14/);
  assert.match(title("VAWA", "parent", "relationship"), /within the past two years died or lost or renounced citizenship/);
  assert.match(title("VAWA", "parent", "abuser-status"), /U\.S\. citizen aged 21 or over/);
  assert.match(title("T", "adult", "purpose"), /patronized or solicited for a commercial sex act/);
  assert.match(title("T", "adult", "hardship"), /unusual and severe harm/);
});

test("Spanish headings: the parent's abuser is a citizen aged 21 or over only; the T hardship keeps 'unusual and severe harm'", () => {
  const es = (caseType: "VAWA" | "T", variant: string, id: string) => elementsFor(caseType, variant).find((e) => e.id === id)!.titleEs;
  assert.equal(es("VAWA", "parent", "abuser-status"), "El hijo o la hija es ciudadano estadounidense de 21 años o más");
  assert.doesNotMatch(es("VAWA", "parent", "abuser-status"), /residencia/);
  for (const variant of ["adult", "minor", "trauma-exception"]) assert.match(es("T", variant, "hardship"), /daño inusual y grave/);
});

test("the abuser's status in case.json picks the provisions; a parent or widow(er) case with an LPR abuser is refused naming the field", () => {
  assert.equal(abuserStatusKind("U.S. citizen"), "citizen");
  assert.equal(abuserStatusKind("lawful permanent resident"), "lpr");
  assert.equal(abuserStatusKind("LPR (green card since 2015)"), "lpr");
  assert.equal(abuserStatusKind("residente permanente"), "lpr");
  assert.equal(abuserStatusKind(undefined), undefined);
  assert.equal(abuserStatusKind("unknown"), undefined);
  assert.equal(
    caseAbuserStatus([
      { role: "witness", status: "U.S. citizen" },
      { role: "abuser", status: "Permanent resident" },
    ]),
    "lpr",
  );
  const base = {
    caseId: "c-1",
    caseType: "VAWA",
    declarant: { name: "A B" },
    parties: [{ role: "abuser", name: "C D", status: "lawful permanent resident" }],
  };
  for (const variant of ["parent", "deceased-abuser"]) {
    const r = caseFileSchema.safeParse({ ...base, variant });
    assert.ok(!r.success, variant);
    assert.deepEqual(r.error.issues[0]!.path, ["variant"]);
    assert.match(r.error.issues[0]!.message, /needs a U\.S\. citizen abuser/);
    assert.throws(() => elementsFor("VAWA", variant, "lpr"), { name: "Affiant.InvalidInput", message: /needs a U\.S\. citizen abuser/ });
  }
  assert.ok(caseFileSchema.safeParse({ ...base, variant: "divorced" }).success);
});

test("the evidence checklist per variant names what the provisions ask for", () => {
  const all = (v: string, s?: "citizen" | "lpr") => evidenceChecklist("VAWA", v, s).join("\n");
  assert.match(all("spouse", "citizen"), /Marriage certificate/);
  assert.match(all("spouse", "citizen"), /8 CFR 204\.2\(c\)\(2\)\(v\)/);
  assert.match(all("spouse", "citizen"), /U\.S\. citizenship \(birth certificate, passport, naturalization certificate\)/);
  assert.match(all("spouse", "lpr"), /lawful permanent residence \(permanent resident card/);
  assert.match(all("spouse"), /case\.json does not say which/);
  assert.match(all("divorced"), /Final divorce decree dated within two years/);
  assert.match(all("deceased-abuser"), /Death certificate/);
  assert.match(all("child"), /INA 204\(a\)\(1\)\(D\)\(v\)/);
  assert.match(all("child"), /under 14, good moral character is presumed/);
  assert.match(all("parent"), /U\.S\. citizen aged 21 or over/);
  for (const v of ["adult", "minor", "trauma-exception"]) assert.match(evidenceChecklist("T", v).join("\n"), /8 CFR 214\.202\(e\)/);
  assert.match(evidenceChecklist("T", "minor").join("\n"), /214\.202\(c\)\(1\)/);
  assert.match(evidenceChecklist("T", "trauma-exception").join("\n"), /214\.202\(c\)\(2\)/);
});
