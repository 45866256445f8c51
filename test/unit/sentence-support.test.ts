/**
 * Lexical support of a sentence by its cited sources, placeholders kept in the comparison:
 * a swapped role, or someone the source never names, is not support.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { draftSentences, support, supportThreshold } from "../../functions/scoring/support.ts";

const police = "Officer report: [PERSON_2] pushed [PERSON_1] against the kitchen wall and twisted her wrist.";

test("the roles as the source has them are support; swapped, they are not", () => {
  assert.ok(support("[PERSON_2] pushed me against the kitchen wall and twisted my wrist.", [police]) >= supportThreshold);
  assert.ok(support("[PERSON_2] pushed [PERSON_1] against the kitchen wall.", [police]) >= supportThreshold);
  // Same words, roles swapped: the declarant as the one who pushed.
  assert.equal(support("I pushed [PERSON_2] against the kitchen wall and twisted his wrist.", [police]), 0);
  assert.equal(support("[PERSON_1] pushed [PERSON_2] against the kitchen wall.", [police]), 0);
});

test("a sentence naming someone its source never names is unsupported by it; the declarant may be 'I'", () => {
  assert.equal(support("[PERSON_3] pushed me against the kitchen wall.", [police]), 0);
  assert.ok(support("I married [PERSON_2] in 2016.", ["Client married [PERSON_2] in 2016 at city hall."]) >= supportThreshold);
  assert.ok(support("I married [PERSON_2] in 2016.", ["The garden has tomatoes."]) < supportThreshold);
});

test("the draft's sentences are its paragraphs' own, each with the sources it cites; an older draft's text is cut and cites the paragraph's", () => {
  const rows = draftSentences({
    caseType: "VAWA",
    round: 0,
    paragraphs: [
      {
        element: "relationship",
        title: "",
        text: "A. B.",
        sources: ["x#1", "x#2"],
        citations: [],
        sentences: [
          { text: "A.", sources: ["x#1"] },
          { text: "B.", sources: ["x#2"] },
        ],
      },
      { element: "abuse", title: "", text: "C. D.", sources: ["y#1"], citations: [] },
    ],
  });
  assert.deepEqual(rows, [
    { i: 0, paragraph: 0, element: "relationship", sentence: 0, text: "A.", sources: ["x#1"] },
    { i: 1, paragraph: 0, element: "relationship", sentence: 1, text: "B.", sources: ["x#2"] },
    { i: 2, paragraph: 1, element: "abuse", sentence: 0, text: "C.", sources: ["y#1"] },
    { i: 3, paragraph: 1, element: "abuse", sentence: 1, text: "D.", sources: ["y#1"] },
  ]);
});
