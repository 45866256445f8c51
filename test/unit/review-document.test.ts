/**
 * The review document's checks on the sources, without a model: the contradiction detector
 * (an injury told as an accident in one document and as inflicted in another, English and
 * Spanish; the same injury dated differently), the facts to confirm with the client, and the
 * document built from a draft that cites per sentence or per paragraph, and from a story draft
 * (paragraphs per incident or period, each with the elements it supports).
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Draft } from "../../core/declaration.ts";
import { evidenceChecklist } from "../../core/evidence-checklist.ts";
import { elementsFor } from "../../core/legal-elements.ts";
import { chunkPages } from "../../core/retrieval.ts";
import { datesIn, findContradictions, type SourceChunk } from "../../functions/review/contradictions.ts";
import { factsToConfirm } from "../../functions/review/facts-to-confirm.ts";
import { buildReviewDocument, mapReviewText, renderReviewMarkdown } from "../../functions/review-document.ts";
import { vawa } from "../../workflows/samples/sample-cases.ts";
import { vawaSpanish as vawaEs } from "../../workflows/samples/spanish-sample.ts";

/** A sample case's documents (scans included) chunked as Index chunks them. */
const chunksOf = (sample: typeof vawa): SourceChunk[] =>
  chunkPages(
    [...sample.documents, ...(sample.scans ?? [])].map((d) => ({
      file: d.file,
      pages: d.pages.map((lines, i) => ({ page: i + 1, text: lines.join("\n") })),
    })),
  );

const chunk = (file: string, page: number, text: string): SourceChunk => ({ id: `${file}#p${page}-1`, file, page, text });

test("the VAWA sample: 'I told the nurse I fell' against the police report's and the intake notes' push, each quote with its document and page", () => {
  const found = findContradictions(chunksOf(vawa));
  const cause = found.filter((c) => c.kind === "cause");
  assert.deepEqual(cause.map((c) => [c.first.file, c.first.page, c.first.quote, c.second.file, c.second.page]).sort(), [
    ["personal-statement.pdf", 2, "I told the nurse I fell.", "intake-notes.pdf", 2],
    ["personal-statement.pdf", 2, "I told the nurse I fell.", "police-report-scan.pdf", 1],
  ]);
  const police = cause.find((c) => c.second.file === "police-report-scan.pdf")!;
  assert.equal(police.second.quote, "Victim stated the suspect pushed her against a wall during an argument.");
  // Tied by the month: the police report's day falls in the statement's March 2019.
  assert.equal(police.event, "2019-03");
  assert.match(cause.find((c) => c.second.file === "intake-notes.pdf")!.event, /^wrist, 2019-03$/);
  // The personal statement's own "he pushed me" is the same document: never set against itself.
  assert.ok(found.every((c) => c.first.file !== c.second.file));
  assert.deepEqual(
    found.filter((c) => c.kind === "date"),
    [],
    "the sample's dates agree",
  );
});

test("the Spanish sample tells no accident: no contradiction is invented", () => {
  assert.deepEqual(findContradictions(chunksOf(vawaEs)), []);
});

test("not keyed to the sample: other words, other injuries, Spanish against English, a redacted date compared by its value", () => {
  const found = findContradictions(
    [
      chunk("er-record.pdf", 3, "Patient seen on May 10, 2020. Patient states she slipped in the shower and bruised her ribs."),
      chunk("statement.pdf", 1, "On May 10, 2020 my husband kicked me in the ribs until I could not breathe."),
      chunk("carta.pdf", 2, "El [DATE_4] me caí de la escalera, le dije a la doctora. Me dolía el brazo."),
      chunk("policia.pdf", 1, "Fecha: 7 de julio de 2021. La víctima declaró que su esposo la empujó y le torció el brazo."),
    ],
    { dateOf: (p) => (p === "[DATE_4]" ? "7 de julio de 2021" : undefined) },
  );
  const pairs = found.filter((c) => c.kind === "cause").map((c) => [c.first.file, c.second.file, c.event]);
  assert.deepEqual(pairs, [
    ["er-record.pdf", "statement.pdf", "rib, 2020-05-10"],
    ["carta.pdf", "policia.pdf", "2021-07-07"],
  ]);
  // The quote keeps the placeholder (Reinject maps it); only the comparison saw the value.
  assert.equal(found[1]!.first.quote, "El [DATE_4] me caí de la escalera, le dije a la doctora.");
});

test("no contradiction where there is none: denied accidents, both causes in one sentence, other body parts in other months, one document", () => {
  const found = findContradictions([
    chunk("a.pdf", 1, "It was not an accident. In June 2020 he pushed me and I hurt my knee."),
    chunk("b.pdf", 1, "In June 2020 I said I fell, but really he pushed me. No me caí: él me empujó."),
    chunk("c.pdf", 1, "In January 2018 I slipped on ice and hurt my ankle."),
    chunk("d.pdf", 1, "In March 2019 he punched me in the eye. Later I told my sister I walked into a door and hurt my eye."),
  ]);
  assert.deepEqual(found, []);
});

test("the same injury dated differently by two documents is reported as a date to confirm", () => {
  const found = findContradictions([
    chunk("police.pdf", 1, "On June 3, 2020 the suspect punched her in the eye."),
    chunk("letter.pdf", 1, "In August 2020 he punched me in the eye."),
  ]);
  assert.deepEqual(
    found.map((c) => [c.kind, c.event, c.first.file, c.second.file]),
    [["date", "eye: 2020-06-03 against 2020-08", "police.pdf", "letter.pdf"]],
  );
  assert.deepEqual(datesIn("03/14/1990, 2019-03-22, 22 de marzo de 2019, octubre del 2020, in 2017"), [
    { year: 2019, month: 3, day: 22 },
    { year: 1990, month: 3, day: 14 },
    { year: 2019, month: 3, day: 22 },
    { year: 2020, month: 10 },
    { year: 2017 },
  ]);
});

test("facts to confirm: undated or 'unknown' dates, a fact one document says, unsupported sentences, a person with no role, dates that disagree; each with why and where", () => {
  const chunks = [
    chunk("[DOCUMENT_1]", 1, "[PERSON_2] took my passport in 2017. He would not let me see my friends."),
    chunk("[DOCUMENT_2]", 2, "Client reports [PERSON_2] took her passport in 2017 and kept it."),
  ];
  const contradictions = findContradictions([
    chunk("[DOCUMENT_1]", 1, "On June 3, 2020 he hit me in the face."),
    chunk("[DOCUMENT_2]", 2, "In May 2020 he hit her in the face."),
  ]);
  const out = factsToConfirm({
    facts: [
      { element: "abuse", statement: "[PERSON_2] took the passport of [PERSON_1]", source: "[DOCUMENT_1]#p1-1", date: "2017" },
      { element: "abuse", statement: "[PERSON_2] would not let [PERSON_1] see friends", source: "[DOCUMENT_1]#p1-1", date: "unknown" },
      { element: "residence", statement: "[PERSON_4] lived with them", source: "[DOCUMENT_2]#p2-1" },
      { element: "abuse", statement: "[PERSON_2] sold the car", source: "none", date: "2019" },
    ],
    chunks,
    unsupported: [{ paragraph: 2, text: "He broke my arm." }],
    paragraphs: [{ number: 1, text: "[PERSON_2] and [PERSON_4] lived with me." }],
    legend: {
      declarant: "[PERSON_1]",
      parties: [{ placeholder: "[PERSON_2]", role: "abuser" }],
      placeholders: ["[PERSON_1]", "[PERSON_2]", "[PERSON_4]"],
    },
    contradictions,
    exhibitOf: (file, page) => `Exhibit ${file === "[DOCUMENT_1]" ? "A" : "B"}, p. ${page}`,
  });
  assert.deepEqual(out, [
    // The passport fact is dated and two documents say it: nothing to confirm.
    {
      item: "[PERSON_2] would not let [PERSON_1] see friends",
      why: ['its date is "unknown"', "only one document says it"],
      where: ["Exhibit A, p. 1"],
    },
    { item: "[PERSON_4] lived with them", why: ["it has no date", "only one document says it"], where: ["Exhibit B, p. 2"] },
    { item: "[PERSON_2] sold the car", why: ["no document in the file says it"], where: ["cited source none is not in the index"] },
    { item: "He broke my arm.", why: ["the sources it cites do not support it"], where: ["paragraph 2"] },
    {
      item: "[PERSON_4]",
      why: ["named in the draft or the facts but has no role in case.json (roles.json): who is this?"],
      where: ["paragraph 1", "Exhibit B, p. 2"],
    },
    {
      item: "On June 3, 2020 he hit me in the face. / In May 2020 he hit her in the face.",
      why: ["the documents date the same injury differently (face: 2020-06-03 against 2020-05), or tell two events"],
      where: ["Exhibit A, p. 1", "Exhibit B, p. 2"],
    },
  ]);
});

const draftWith = (sentences: boolean): Draft => ({
  caseType: "VAWA",
  round: 0,
  paragraphs: [
    {
      element: "abuse",
      title: "Battery or extreme cruelty",
      text: "In March 2019 [PERSON_2] pushed me against a wall. My wrist broke.",
      sources: ["police-report-scan.pdf#p1-1", "personal-statement.pdf#p2-1"],
      citations: [],
      ...(sentences
        ? {
            sentences: [
              { text: "In March 2019 [PERSON_2] pushed me against a wall.", sources: ["police-report-scan.pdf#p1-1"] },
              { text: "My wrist broke.", sources: ["personal-statement.pdf#p2-1"] },
            ],
          }
        : {}),
    },
  ],
});

test("the review document: per-sentence exhibits when the draft cites per sentence, per paragraph when it does not; facts to confirm and contradictions in Markdown, mapped by Reinject", () => {
  const chunks = chunksOf(vawa);
  const inputs = {
    review: { status: "failing-review" as const, failures: ["x"] },
    elements: [],
    chunks,
    score: { unsupported: [{ i: 1, support: 0.1 }] },
    placeholderProblems: [],
  };
  const perSentence = buildReviewDocument({
    ...inputs,
    draft: draftWith(true),
    facts: [{ element: "abuse", statement: "[PERSON_2] pushed [PERSON_1]", source: "police-report-scan.pdf#p1-1" }],
  });
  const exhibit = (file: string) => perSentence.exhibits.find((e) => e.title === file)!.letter;
  assert.deepEqual(perSentence.paragraphs[0]!.sentences, [
    { text: "In March 2019 [PERSON_2] pushed me against a wall.", exhibits: [`Exhibit ${exhibit("police-report-scan.pdf")}, p. 1`] },
    { text: "My wrist broke.", exhibits: [`Exhibit ${exhibit("personal-statement.pdf")}, p. 2`] },
  ]);
  assert.deepEqual(perSentence.paragraphs[0]!.unsupported, [{ sentence: 2, text: "My wrist broke.", support: 0.1 }]);
  assert.equal(perSentence.contradictions.length, 2);
  assert.deepEqual(perSentence.contradictions[0]!.first, {
    exhibit: `Exhibit ${exhibit("personal-statement.pdf")}, p. 2`,
    document: "personal-statement.pdf",
    quote: "I told the nurse I fell.",
  });
  assert.deepEqual(
    perSentence.factsToConfirm.map((f) => f.item),
    ["[PERSON_2] pushed [PERSON_1]", "My wrist broke."],
  );

  const perParagraph = buildReviewDocument({ ...inputs, draft: draftWith(false) });
  assert.equal(perParagraph.paragraphs[0]!.sentences, undefined);
  assert.deepEqual(perParagraph.paragraphs[0]!.exhibits, perSentence.paragraphs[0]!.exhibits);
  assert.deepEqual(perParagraph.paragraphs[0]!.unsupported, perSentence.paragraphs[0]!.unsupported);

  const real = mapReviewText(perSentence, (t) => t.replaceAll("[PERSON_2]", "Derek").replaceAll("personal-statement.pdf", "Statement"));
  const md = renderReviewMarkdown(real);
  assert.match(md, /1\. In March 2019 Derek pushed me against a wall\. _\(Exhibit [A-D], p\. 1\)_/);
  assert.match(
    md,
    /## Facts to confirm with the client\n\n- “Derek pushed \[PERSON_1\]”: it has no date; only one document says it \(Exhibit [A-D], p\. 1\)/,
  );
  assert.match(
    md,
    /## Contradictions between sources\n\n- Same event \(wrist, 2019-03\) told as an accident in Exhibit [A-D], p\. 2 \(Statement\): “I told the nurse I fell\.” and as inflicted in Exhibit [A-D], p\. 2 \(intake-notes\.pdf\)/,
  );
});

test("the Markdown renditions carry raw HTML from a PDF as text, never as a tag", async () => {
  const { renderDocumentMarkdown, escapeRawHtml } = await import("../../core/declaration.ts");
  const hostile = `He wrote <svg onload=alert(1)> and <img src=x onerror=alert(2)> on the wall.`;
  const doc = {
    title: "Declaration <script>x</script>",
    intro: hostile,
    sections: [{ number: 1, heading: "Abuse <b>", text: hostile, drafted: true, citations: ["Exhibit A <i>"] }],
    verification: "I declare.",
    signatory: "[PERSON_1]",
  } as unknown as Parameters<typeof renderDocumentMarkdown>[0];
  const md = renderDocumentMarkdown(doc);
  assert.ok(!md.includes("<"), md);
  assert.match(md, /&lt;svg onload=alert\(1\)>/);
  assert.equal(escapeRawHtml(md), md, "escaping twice changes nothing");
  const review = renderReviewMarkdown({
    title: "Review",
    review: { status: "failed", failures: ["<svg onload=x>"] },
    roles: [{ role: "abuser <b>", name: "<i>x</i>", placeholder: "[PERSON_2]" }],
    versions: ["English (filing version)"],
    paragraphs: [
      {
        number: 1,
        heading: "H",
        citation: "c",
        supports: ["<u>element</u>"],
        texts: [hostile],
        exhibits: [],
        unsupported: [{ sentence: 1, support: 0, text: "<iframe src=x>" }],
      },
    ],
    judges: [{ stage: "Judge", score: 3, reasons: "<script>alert(1)</script>" }],
    placeholderProblems: [],
    elementsNotDrafted: ["<b>"],
    elementsJudgedNotCovered: ["<b>"],
    documentsNeverCited: [],
    factsToConfirm: [],
    contradictions: [],
    exhibits: [],
    unfiledSources: [],
    interviewSentences: [{ paragraph: 1, sentence: 1, text: "<img src=x onerror=alert(3)>", sources: ["Interview 1, p. 1"] }],
    translationCertificates: [],
    notChecked: [],
    evidenceChecklist: [],
  } as unknown as Parameters<typeof renderReviewMarkdown>[0]);
  assert.ok(!review.includes("<"), review);
});

test("the review document lists the evidence to gather for the case's variant, each item to tick", () => {
  const inputs = {
    review: { status: "passed" as const, failures: [] },
    elements: [],
    chunks: chunksOf(vawa),
    score: null,
    placeholderProblems: [],
    draft: draftWith(false),
  };
  const evidence = evidenceChecklist("VAWA", "spouse", "citizen");
  const doc = buildReviewDocument({ ...inputs, evidence });
  assert.deepEqual(doc.evidenceChecklist, evidence);
  const md = renderReviewMarkdown(doc);
  assert.match(md, /## Evidence to gather\n\n- \[ \] Marriage certificate, and proof that any earlier marriage of either spouse ended/);
  assert.ok(
    md.includes(
      "- [ ] Police clearance or state criminal background check from each place the self-petitioner lived six months or more in the three years before filing (8 CFR 204.2(c)(2)(v))",
    ),
  );
  assert.ok(md.indexOf("## Evidence to gather") < md.indexOf("## Exhibit list"));
  assert.match(renderReviewMarkdown(buildReviewDocument(inputs)), /## Evidence to gather\n\n- none listed\n/);
});

test("a story draft: per paragraph the elements it supports with their provisions and when it happened; an element drafted when any paragraph supports it; a judged-uncovered element names every paragraph that supports it", () => {
  const elements = elementsFor("VAWA").filter((e) => ["relationship", "residence", "abuse", "moral-character"].includes(e.id));
  const of = (id: string) => elements.find((e) => e.id === id)!;
  const draft: Draft = {
    caseType: "VAWA",
    round: 0,
    paragraphs: [
      {
        element: "story-1",
        title: "2016 to 2020",
        supports: ["relationship", "residence"],
        period: "2016/2020",
        text: "We married and lived together.",
        sources: [],
        citations: [],
      },
      {
        element: "story-2",
        title: "March 2019",
        supports: ["abuse"],
        period: "2019-03",
        undatedFacts: 1,
        text: "He pushed me.",
        sources: [],
        citations: [],
      },
      { element: "story-3", title: "2020", supports: ["abuse"], period: "2020", text: "He hit me.", sources: [], citations: [] },
      // Nothing drafted: it supports nothing the filing holds.
      {
        element: "moral-character",
        title: of("moral-character").title,
        supports: ["moral-character"],
        text: "",
        sources: [],
        citations: [],
      },
    ],
  };
  const doc = buildReviewDocument({
    draft,
    review: { status: "failing-review", failures: ["x"] },
    elements,
    chunks: chunksOf(vawa),
    score: {
      uncovered: [
        { element: "abuse", reason: "no date of the push" },
        { element: "moral-character", reason: "nothing drafted" },
      ],
    },
    placeholderProblems: [],
    opening: "My name is [PERSON_1].",
  });
  assert.deepEqual(
    doc.paragraphs.map((p) => [p.number, p.element, p.supports, p.when ?? null]),
    [
      [1, "", [], null],
      [
        2,
        "story-1",
        [`${of("relationship").title} (${of("relationship").citation})`, `${of("residence").title} (${of("residence").citation})`],
        "2016 to 2020",
      ],
      [
        3,
        "story-2",
        [`${of("abuse").title} (${of("abuse").citation})`],
        "March 2019; 1 undated fact placed by its source's order: check where it falls",
      ],
      [4, "story-3", [`${of("abuse").title} (${of("abuse").citation})`], "2020"],
    ],
  );
  assert.deepEqual(doc.elementsNotDrafted, [`${of("moral-character").title} (${of("moral-character").citation})`]);
  assert.deepEqual(doc.elementsJudgedNotCovered, [`${of("abuse").title} (paragraphs 3, 4): no date of the push`]);
  const md = renderReviewMarkdown(doc);
  assert.ok(
    md.includes(`## 3. March 2019\n\n_Supports: ${of("abuse").title} (${of("abuse").citation})_\n\n_When: March 2019; 1 undated fact`),
    md,
  );
});
