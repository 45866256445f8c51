/**
 * A coverage verdict's pass counts only when its reason quotes a paragraph that supports the
 * element: the checklist is the proof that every element is covered, so a pass pointing at
 * nothing the draft says, or at a paragraph that does not claim the element, is an element not
 * covered, named, for the gate and the rewrite. The judge reads each paragraph led by the
 * elements it supports.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { judgeDraftText, judgedParagraphsFor, quotesDraft, quotesOf, uncoveredElements } from "../../core/stages/judge.ts";
import { judgeCoverage } from "../../core/stages/judge-coverage.ts";

// Two story paragraphs, each with the elements it supports.
const draft = {
  paragraphs: [
    { element: "story-1", supports: ["marriage", "residence"], text: "I married [PERSON_2] in [DATE_1].  We lived together in Riverton." },
    { element: "story-2", supports: ["abuse"], text: "He took my passport and said I would be deported." },
  ],
};

test("a reason's quotes: straight or curly quotes, three words or more, trimmed of punctuation", () => {
  assert.deepEqual(quotesOf('the draft says "We lived together in Riverton." and "yes"'), ["we lived together in riverton"]);
  assert.deepEqual(quotesOf("it says \u201cHe took my passport\u201d"), ["he took my passport"]);
  assert.deepEqual(quotesOf("covered throughout"), []);
});

test("a quote counts when it is word for word in the draft (case and spacing aside)", () => {
  assert.equal(quotesDraft('says "i married [PERSON_2] in"', draft.paragraphs.map((p) => p.text).join("\n")), true);
  assert.equal(
    quotesDraft('says "I married my neighbour"', draft.paragraphs.map((p) => p.text).join("\n")),
    false,
    "words the draft does not have",
  );
});

test("with the draft, a pass that quotes nothing in it is not covered; a quoting pass is; a fail stays a fail with its reason", () => {
  const verdict = {
    score: 5,
    reasons: "",
    elements: {
      marriage: { pass: true, reason: 'the draft says "I married [PERSON_2] in [DATE_1]"' },
      residence: { pass: true, reason: "the declarant lived with the abuser" },
      abuse: { pass: true, reason: 'it says "he hit me every night"' },
      "moral-character": { pass: false, reason: "nothing about character" },
      // A real quote, from a paragraph that supports abuse only.
      "good-faith-marriage": { pass: true, reason: 'it says "he took my passport"' },
    },
  };
  assert.deepEqual(uncoveredElements(verdict, draft), [
    { element: "residence", reason: "judged covered, but the reason quotes nothing the draft says" },
    { element: "abuse", reason: "judged covered, but the reason quotes nothing the draft says" },
    { element: "moral-character", reason: "nothing about character" },
    { element: "good-faith-marriage", reason: "judged covered, but the reason quotes no paragraph that supports it" },
  ]);
  assert.deepEqual(
    uncoveredElements(verdict),
    [{ element: "moral-character", reason: "nothing about character" }],
    "without the draft, the verdicts as given",
  );
  // A draft made before the story (a paragraph per element, no supports): each paragraph supports its own element.
  const byElement = { paragraphs: [{ element: "abuse", text: "He took my passport and said I would be deported." }] };
  assert.deepEqual(
    uncoveredElements({ score: 5, reasons: "", elements: { abuse: { pass: true, reason: 'says "he took my passport"' } } }, byElement),
    [],
  );
});

test("the judge reads each drafted paragraph led by the elements it supports; an empty paragraph is no paragraph of the filing and has no line", () => {
  const text = judgeDraftText({
    paragraphs: [
      { element: "story-1", title: "2016", supports: ["marriage", "residence"], text: "I married him.", sources: [], citations: [] },
      { element: "abuse", title: "Abuse", text: "", sources: [], citations: [] },
      { element: "story-2", title: "2021", supports: ["abuse"], text: "He hit me.", sources: [], citations: [] },
    ],
  });
  assert.equal(text, "marriage, residence: I married him.\nabuse: He hit me.");
  assert.deepEqual(judgedParagraphsFor(text, "residence"), ["I married him."]);
  assert.deepEqual(judgedParagraphsFor(text, "abuse"), ["He hit me."]);
  assert.deepEqual(judgedParagraphsFor(text, "moral-character"), []);
});

test("the stand-in hosted judge (canned answer, not a model) quotes a paragraph that supports each element, and fails an element with none", () => {
  const sample = judgeCoverage.sample!;
  const prompt = `Checklist:\n- marriage: Marriage (x)\n- residence: Residence (y)\n\nDraft:\nmarriage: I married [PERSON_2] in [DATE_1].\n\nSources:\n[c1] (a p.1)\n\n${sample.promptMarker}:`;
  const answer = JSON.parse(typeof sample.answer === "string" ? sample.answer : sample.answer(prompt));
  assert.equal(answer.elements.marriage.pass, true);
  assert.ok(quotesDraft(answer.elements.marriage.reason, "I married [PERSON_2] in [DATE_1]."));
  assert.deepEqual(answer.elements.residence, { pass: false, reason: "no paragraph of the draft addresses it" });
});
