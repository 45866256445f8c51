/**
 * A list answer cut at its last complete item (containers/llama-worker/json-cut.ts), and
 * ExtractFacts' repeated facts kept once: what lets a model that starts repeating its facts, or
 * reaches its cap mid-fact, keep the facts it completed. Pure functions on fixed text.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { cutAfterLastItem } from "../../containers/llama-worker/json-cut.ts";
import { distinctFacts, factsOutputSchema } from "../../core/stages/extract-facts.ts";

const fact = (statement: string) => `{"element":"abuse","statement":"${statement}","date":"2021","source":"[DOCUMENT_1]#p1-1"}`;

test("a facts list that repeats itself is cut after its last complete fact and closed; the schema accepts it", () => {
  const looping = `{"facts":[${fact("he hit me")},${fact("he took my passport")},${fact("he took my passport")},{"element":"abuse","statement":"he took my pass`;
  const cut = cutAfterLastItem(looping)!;
  assert.equal(cut, `{"facts":[${fact("he hit me")},${fact("he took my passport")},${fact("he took my passport")}]}`);
  const parsed = factsOutputSchema.parse(JSON.parse(cut));
  assert.deepEqual(
    distinctFacts(parsed).facts.map((f) => f.statement),
    ["he hit me", "he took my passport"],
    "a repeated fact is one fact",
  );
});

test("brackets and quotes inside strings are text, not structure; a list of strings is cut after its last whole string", () => {
  const tricky = `{"facts":[{"element":"abuse","statement":"he said \\"[no]\\" and {left}","date":"unknown","source":"x"},{"element":"ab`;
  assert.equal(
    cutAfterLastItem(tricky),
    `{"facts":[{"element":"abuse","statement":"he said \\"[no]\\" and {left}","date":"unknown","source":"x"}]}`,
  );
  assert.equal(cutAfterLastItem(`{"a":{"b":["one","two","thr`), `{"a":{"b":["one","two"]}}`);
});

test("nothing completed, nothing kept: the caller fails the stage (no partial list)", () => {
  assert.equal(cutAfterLastItem(`{"facts":[{"element":"abuse","statement":"he he he he he`), undefined);
  assert.equal(cutAfterLastItem(`{"facts":`), undefined);
  assert.equal(cutAfterLastItem(""), undefined);
});
