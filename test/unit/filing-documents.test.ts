/**
 * The documents a Spanish-speaking or English-speaking declarant's attorney gets, without a
 * model: one numbering across the filing version, the review rendition, the review document,
 * its facts to confirm and the Spanish reading copy; the interpreter's certificate and the
 * declarant's statement (read aloud, or read in a written Spanish copy) with the filing version;
 * the reading copy unsigned and marked as a courtesy translation; statements resting on
 * documents only listed for the attorney; who is who; element labels that say what is true.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { caseFileSchema } from "../../core/case-file.ts";
import { type Draft, declarationDocument, filingNumbers, renderDocumentMarkdown } from "../../core/declaration.ts";
import { withInterpreter } from "../../core/interpreter.ts";
import { spanishReadingCopy, type Translation } from "../../core/translation.ts";
import { renderBilingualReview } from "../../functions/renditions/bilingual-review.ts";
import { documentOnlySentences, isDeclarantAccount } from "../../functions/review/personal-knowledge.ts";
import { buildReviewDocument, mapReviewText, renderReviewMarkdown } from "../../functions/review-document.ts";

// An element with nothing drafted sits between two drafted ones: the filing skips it, and so must every other numbering.
const draft: Draft = {
  caseType: "VAWA",
  round: 0,
  paragraphs: [
    {
      element: "relationship",
      title: "Qualifying relationship",
      text: "I married [PERSON_2] in 2016.",
      sources: ["statement.pdf#p1-1"],
      citations: [],
      sentences: [{ text: "I married [PERSON_2] in 2016.", sources: ["statement.pdf#p1-1"] }],
    },
    { element: "residence", title: "Shared residence", text: "", sources: [], citations: [], sentences: [] },
    {
      element: "abuse",
      title: "Battery or extreme cruelty",
      text: "[PERSON_2] pushed me in 2019. Officers saw my wrist swollen.",
      sources: ["statement.pdf#p1-1", "police.pdf#p1-1"],
      citations: [],
      sentences: [
        { text: "[PERSON_2] pushed me in 2019.", sources: ["statement.pdf#p1-1"] },
        { text: "Officers saw my wrist swollen.", sources: ["police.pdf#p1-1"] },
      ],
    },
  ],
};
const chunks = [
  { id: "statement.pdf#p1-1", file: "personal-statement.pdf", page: 1, text: "I married him in 2016. He pushed me in 2019." },
  { id: "police.pdf#p1-1", file: "police-report.pdf", page: 1, text: "Officer observed swelling of the wrist." },
];
const elements = [
  { id: "relationship", title: "Qualifying relationship", citation: "INA 204(a)(1)(A)(iii)(II)(aa)" },
  { id: "residence", title: "Shared residence", citation: "INA 204(a)(1)(A)(iii)(II)(dd)" },
  { id: "abuse", title: "Battery or extreme cruelty", citation: "INA 204(a)(1)(A)(iii)(I)(bb)" },
] as Parameters<typeof buildReviewDocument>[0]["elements"];
const legend = {
  declarant: "[PERSON_1]",
  parties: [
    { placeholder: "[PERSON_2]", role: "abuser", status: "U.S. citizen" },
    { placeholder: "[PERSON_3]", role: "witness" },
  ],
  placeholders: ["[PERSON_1]", "[PERSON_2]", "[PERSON_3]"],
};
const review = (score: Record<string, unknown> | null = null) =>
  buildReviewDocument({
    draft,
    review: { status: "failing-review", failures: ["element abuse (Battery or extreme cruelty) not covered: scripted"] },
    elements,
    chunks,
    score,
    placeholderProblems: [],
    legend,
    opening: declarationDocument(draft, undefined, "filing").sections[0]!.text,
    ownAccount: (f) => isDeclarantAccount(f),
  });

test("one numbering: the filing's ¶n is ¶n in the review rendition, the review document, its facts to confirm and the Spanish reading copy; an element with nothing drafted has no number", () => {
  assert.deepEqual(filingNumbers(draft), [2, undefined, 3]);
  const filing = declarationDocument(draft, undefined, "filing");
  assert.deepEqual(
    filing.sections.map((s) => [s.number, s.text.slice(0, 12)]),
    [
      [1, "My name is ["],
      [2, "I married [P"],
      [3, "[PERSON_2] p"],
    ],
  );
  const reviewRendition = declarationDocument(draft, undefined, "review");
  assert.deepEqual(
    reviewRendition.sections.map((s) => [s.number, s.heading]),
    [
      [1, "The declarant"],
      [2, "Qualifying relationship"],
      [undefined, "Shared residence"],
      [3, "Battery or extreme cruelty"],
    ],
  );
  const md = renderDocumentMarkdown(reviewRendition);
  assert.match(md, /## 3\. Battery or extreme cruelty/);
  assert.match(md, /## Shared residence\n\n_\(no statement drafted for this element\)_/);

  // The review document: ¶1 the opening, the drafted paragraphs by the filing's numbers; an unsupported sentence of ¶3 is "paragraph 3".
  const doc = review({ unsupported: [{ i: 2, support: 0.1 }] });
  assert.deepEqual(
    doc.paragraphs.map((p) => [p.number, p.heading]),
    [
      [1, "The declarant"],
      [2, "Qualifying relationship"],
      [3, "Battery or extreme cruelty"],
    ],
  );
  assert.deepEqual(doc.paragraphs[2]!.unsupported, [{ sentence: 2, text: "Officers saw my wrist swollen.", support: 0.1 }]);
  assert.ok(doc.factsToConfirm.some((f) => f.item === "Officers saw my wrist swollen." && f.where.includes("paragraph 3")));
  assert.ok(filing.sections[2]!.text.includes("Officers saw my wrist swollen."), "the filing's ¶3 holds it");

  // The Spanish reading copy numbers as the filing does.
  const translation: Translation = {
    language: "es",
    caseType: "VAWA",
    draftKey: "k",
    round: 0,
    paragraphs: [
      { element: "relationship", title: "Relación", text: "Me casé con [PERSON_2] en 2016.", missingPlaceholders: [] },
      { element: "residence", title: "Residencia", text: "", missingPlaceholders: [] },
      { element: "abuse", title: "Maltrato", text: "", missingPlaceholders: [] },
    ],
  };
  const es = spanishReadingCopy(translation, draft);
  assert.deepEqual(
    es.sections.map((s) => [s.number, s.drafted]),
    [
      [1, true],
      [2, true],
      [3, false],
    ],
  );
  assert.match(renderDocumentMarkdown(es), /\n3\. _\(sin traducción: véase la versión en inglés\)_\n/);
});

test("a statement resting only on documents other than the declarant's own account is listed to confirm, and ¶1 allows for statements on information and belief", () => {
  assert.ok(isDeclarantAccount("personal-statement.pdf"));
  assert.ok(isDeclarantAccount("declaracion-personal.pdf"));
  assert.ok(!isDeclarantAccount("intake-notes.pdf"));
  assert.ok(!isDeclarantAccount("police-report-scan.pdf"));
  const only = documentOnlySentences(draft, chunks, isDeclarantAccount);
  assert.deepEqual(only, [{ paragraph: 3, sentence: 2, text: "Officers saw my wrist swollen.", files: ["police-report.pdf"] }]);
  const listed = review().factsToConfirm.find((f) => f.item === "Officers saw my wrist swollen.");
  assert.ok(listed, "listed for the attorney");
  assert.match(listed.why.join(" "), /confirm the declarant knows it first-hand, or keep it as a statement on information and belief/);
  assert.deepEqual(listed.where, ["paragraph 3", "Exhibit B"]);

  const plain = declarationDocument(draft, undefined, "filing").sections[0]!.text;
  const qualified = declarationDocument(draft, undefined, "filing", undefined, { informationAndBelief: true }).sections[0]!.text;
  assert.match(plain, /from my own personal knowledge, and if called/);
  assert.match(
    qualified,
    /from my own personal knowledge, except for the statements I make on information and belief, which I believe to be true/,
  );
  const es = spanishReadingCopy({ language: "es", caseType: "VAWA", draftKey: "k", round: 0, paragraphs: [] }, draft, {
    informationAndBelief: true,
  });
  assert.match(es.sections[0]!.text, /salvo las afirmaciones que hago según mi información y creencia/);
});

test("the review document names who is who with their placeholders, what each paragraph supports, and keeps 'nothing drafted' apart from 'judged not covered'", () => {
  const doc = review({ uncovered: [{ element: "abuse", title: "Battery or extreme cruelty", reason: "no act of abuse named" }] });
  const real = mapReviewText(doc, (t) => t.replaceAll("[PERSON_1]", "Ana Ficticia").replaceAll("[PERSON_2]", "Bo Sample"));
  assert.deepEqual(real.roles, [
    { role: "declarant (“I”)", name: "Ana Ficticia", placeholder: "[PERSON_1]" },
    { role: "abuser (U.S. citizen)", name: "Bo Sample", placeholder: "[PERSON_2]" },
    { role: "witness", name: "[PERSON_3]", placeholder: "[PERSON_3]" },
  ]);
  assert.deepEqual(doc.paragraphs[2]!.supports, ["Battery or extreme cruelty (INA 204(a)(1)(A)(iii)(I)(bb))"]);
  assert.deepEqual(doc.elementsNotDrafted, ["Shared residence (INA 204(a)(1)(A)(iii)(II)(dd))"]);
  assert.deepEqual(doc.elementsJudgedNotCovered, ["Battery or extreme cruelty (paragraph 3): no act of abuse named"]);
  const md = renderReviewMarkdown(real);
  assert.match(
    md,
    /## Who is who\n\n- Ana Ficticia \(\[PERSON_1\]\): declarant \(“I”\)\n- Bo Sample \(\[PERSON_2\]\): abuser \(U\.S\. citizen\)\n/,
  );
  assert.match(
    md,
    /## 3\. Battery or extreme cruelty\n\n_Supports: Battery or extreme cruelty \(INA 204\(a\)\(1\)\(A\)\(iii\)\(I\)\(bb\)\)_/,
  );
  assert.match(md, /## Elements with nothing drafted\n\n- Shared residence/);
  assert.match(
    md,
    /## Elements the coverage judge found not covered\n\n- Battery or extreme cruelty \(paragraph 3\): no act of abuse named/,
  );
  assert.doesNotMatch(md, /## Elements not covered/);
});

test("the interpreter's certificate and the declarant's statement go with the filing version, worded for how it was done; no 103.2(b)(3) certificate", () => {
  const filing = declarationDocument(draft, undefined, "filing", "Houston, Texas");
  for (const how of ["read-aloud", "written-copy"] as const) {
    const md = renderDocumentMarkdown(withInterpreter(filing, how));
    assert.doesNotMatch(md, /103\.2|Certificate of Translation/);
    const at = (s: string) => md.indexOf(s);
    assert.ok(at("true and correct") < at("I, [PERSON_1], state that before I signed"), how);
    assert.ok(at("I, [PERSON_1], state that before I signed") < at("Signature of declarant: ___"), how);
    assert.ok(at("Signature of declarant: ___") < at("## Interpreter's Certificate"), how);
    assert.match(md, /fluent in English and Spanish and competent to translate from English into Spanish and from Spanish into English/);
    assert.match(md, /I translated the entire foregoing declaration of \[PERSON_1\] from English into Spanish for the declarant/);
    assert.match(md, /the declarant told me that they understood all of its contents/);
    for (const blank of ["Printed name of interpreter", "Signature of interpreter", "Date", "Address", "Telephone"])
      assert.match(md, new RegExp(`\\n${blank}: _{10,}\\n`), blank);
    if (how === "read-aloud") {
      assert.match(md, /\(interpreter\) read all of it to me in Spanish, a language I understand/);
      assert.match(md, /by reading all of it aloud to the declarant in Spanish/);
    } else {
      assert.match(md, /I read all of it in a complete written Spanish translation, Spanish being a language I read and understand/);
      assert.match(md, /in a complete written Spanish translation that the declarant read in my presence/);
    }
  }
});

test("case.json's interpretation: read-aloud or written-copy, for a Spanish-speaking declarant only; anything else refused naming the field", () => {
  const base = { caseId: "c-1", caseType: "VAWA", language: "es", declarant: { name: "A" } };
  assert.equal(caseFileSchema.parse(base).interpretation, undefined);
  assert.equal(caseFileSchema.parse({ ...base, interpretation: "written-copy" }).interpretation, "written-copy");
  for (const bad of [
    { ...base, interpretation: "aloud" },
    { ...base, interpretation: 3 },
    { ...base, language: "en", interpretation: "read-aloud" },
  ]) {
    const r = caseFileSchema.safeParse(bad);
    assert.ok(!r.success, JSON.stringify(bad));
    assert.deepEqual(r.error.issues[0]!.path, ["interpretation"]);
    assert.match(r.error.issues[0]!.message, /read-aloud|language/);
  }
});

test("the Spanish reading copy: the filing's opening and numbered paragraphs, no oath or signature line, marked as a courtesy translation not signed or filed; a failing gate's banner in Spanish; the side-by-side shows the filing version", () => {
  const translation: Translation = {
    language: "es",
    caseType: "T",
    draftKey: "k",
    round: 0,
    paragraphs: [
      { element: "relationship", title: "R", text: "Me casé con [PERSON_2] en 2016.", missingPlaceholders: [] },
      { element: "residence", title: "R", text: "", missingPlaceholders: [] },
      { element: "abuse", title: "M", text: "Me empujó en 2019. Los agentes vieron mi muñeca.", missingPlaceholders: ["[PERSON_2]"] },
    ],
  };
  const es = spanishReadingCopy(translation, draft, { failing: true });
  assert.equal(es.verification, undefined);
  assert.equal(es.signatory, undefined);
  const md = renderDocumentMarkdown(es);
  assert.doesNotMatch(md, /Firma|Declaro bajo pena|Firmado el|___/);
  assert.match(md, /^# Declaración de \[PERSON_1\]: traducción de cortesía \(no se firma ni se presenta\)/);
  assert.match(md, /> \*\*REVISIÓN NO SUPERADA: /);
  assert.doesNotMatch(md, /FAILING REVIEW/);
  assert.match(md, /\n1\. Me llamo \[PERSON_1\]\. Soy quien presenta esta solicitud de visa T \(Formulario I-914\)\./);
  assert.match(md, /\n3\. Me empujó en 2019\./);
  assert.match(md, /TRADUCCIÓN DE CORTESÍA .* no se firma ni se presenta/);

  const english = withInterpreter(declarationDocument(draft, undefined, "filing"));
  const html = renderBilingualReview({ english, spanish: es, missing: new Map([[3, ["Bo Sample"]]]) });
  assert.match(html, /<th>English \(filing version\)<\/th>/);
  assert.match(html, /<td lang="en">3\. \[PERSON_2\] pushed me in 2019\. Officers saw my wrist swollen\.<\/td><td lang="es">3\. Me empujó/);
  assert.match(html, /Paragraphs whose Spanish leaves out a placeholder's value \(a name, a date, a number\): 1/);
  assert.match(html, /Paragraphs with no Spanish translation: 0/);
  assert.match(html, /The Spanish of paragraph 3 leaves out: Bo Sample/);
});
