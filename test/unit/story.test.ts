/**
 * The declaration's story (core/story.ts, core/stages/draft-declaration.ts), on fixed facts: dates
 * and periods kept as ISO and ordered as things happened; facts grouped into a paragraph per
 * incident or period, each with the elements it supports; undated facts placed beside the dated
 * fact their own document puts them next to, or told last, and counted so the review flags them;
 * too many groups coarsened and merged to the budget; an element no fact supports gets a
 * paragraph of its own after the story. Pure functions: no model, no index.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Draft } from "../../core/declaration.ts";
import { elementsFor } from "../../core/legal-elements.ts";
import { draftParagraphs } from "../../core/stages/draft-declaration.ts";
import { chronological } from "../../core/stages/extract-facts.ts";
import { comparePeriods, isoDateOrPeriod, periodLabel, planStory, type StoryFact } from "../../core/story.ts";
import { whenLine } from "../../functions/review-document.ts";

const elements = ["relationship", "good-faith-marriage", "residence", "abuse", "moral-character"];
/** Chunk ids in the case's order: `[DOCUMENT_d]#p<page>-<n>` ranks by document, page and number. */
const order = (id: string) => {
  const m = /^\[DOCUMENT_(\d+)\]#p(\d+)-(\d+)$/.exec(id);
  return m ? Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3]) : Number.MAX_SAFE_INTEGER;
};
const fact = (element: string, statement: string, source: string, date = "unknown"): StoryFact => ({ element, statement, source, date });

test("dates: a day, a month, a year or a period start/end are kept; anything else, or a period that ends before it starts, is unknown", () => {
  assert.equal(isoDateOrPeriod(" 2021-03-14 "), "2021-03-14");
  assert.equal(isoDateOrPeriod("2019-06"), "2019-06");
  assert.equal(isoDateOrPeriod("2018/2023"), "2018/2023");
  assert.equal(isoDateOrPeriod("2018-05/2019-01-02"), "2018-05/2019-01-02");
  for (const bad of ["last spring", "2023/2018", "2021-13", "2018/", "2018/2019/2020", "14/03/2021", ""])
    assert.equal(isoDateOrPeriod(bad), "unknown", bad);
});

test("periods in time order: by start, the coarser first at the same start, then by end; facts by date, undated last", () => {
  const periods = ["2021-03-14", "2018/2023", "2021", "2019-06", "2018", "2021-03"];
  assert.deepEqual([...periods].sort(comparePeriods), ["2018", "2018/2023", "2019-06", "2021", "2021-03", "2021-03-14"]);
  const facts = [
    { date: "2021-03-14", n: 1 },
    { date: "unknown", n: 2 },
    { date: "2018/2023", n: 3 },
    { date: "2016", n: 4 },
  ];
  assert.deepEqual(
    chronological(facts).map((f) => f.n),
    [4, 3, 1, 2],
  );
});

test("periods as headings read them, in English and Spanish", () => {
  assert.equal(periodLabel("2021-03-14"), "March 14, 2021");
  assert.equal(periodLabel("2021-03"), "March 2021");
  assert.equal(periodLabel("2018/2023"), "2018 to 2023");
  assert.equal(periodLabel("undated"), "Undated");
  assert.equal(periodLabel("2021-03-14", "es"), "14 de marzo de 2021");
  assert.equal(periodLabel("2018-05/2019", "es"), "De mayo de 2018 a 2019");
  assert.equal(periodLabel("undated", "es"), "Sin fecha");
});

test("a paragraph per incident or period in time order, each with the elements its facts support (an element in several paragraphs)", () => {
  const story = planStory(
    [
      fact("abuse", "[PERSON_2] pushed me", "[DOCUMENT_1]#p2-1", "2021-03-14"),
      fact("relationship", "we married", "[DOCUMENT_1]#p1-1", "2016-05-02"),
      fact("residence", "we lived in Riverton", "[DOCUMENT_1]#p1-2", "2016/2022"),
      fact("good-faith-marriage", "we had a wedding at church", "[DOCUMENT_2]#p1-1", "2016-05-02"),
      fact("abuse", "he took my passport", "[DOCUMENT_1]#p2-2", "2021-03-14"),
      fact("abuse", "he shouted at me daily", "[DOCUMENT_1]#p1-3", "2019-06"),
      fact("not-an-element", "ignored", "[DOCUMENT_1]#p1-1", "2015"),
    ],
    { elements, sourceOrder: order },
  );
  assert.deepEqual(
    story.map((p) => [p.key, p.period, p.supports, p.facts.map((f) => f.statement), p.undatedFacts]),
    [
      // A period that starts with a year comes before that year's days.
      ["story-1", "2016/2022", ["residence"], ["we lived in Riverton"], 0],
      ["story-2", "2016-05-02", ["relationship", "good-faith-marriage"], ["we married", "we had a wedding at church"], 0],
      ["story-3", "2019-06", ["abuse"], ["he shouted at me daily"], 0],
      ["story-4", "2021-03-14", ["abuse"], ["[PERSON_2] pushed me", "he took my passport"], 0],
    ],
  );
});

test("an undated fact joins the dated fact its own document places before it, else after it; with none in its document it is told last, in source order; each counted", () => {
  const story = planStory(
    [
      fact("relationship", "we married", "[DOCUMENT_1]#p1-1", "2016"),
      fact("abuse", "he hit me", "[DOCUMENT_1]#p3-1", "2020-02"),
      // After 2020-02 in document 1: with that incident.
      fact("abuse", "then he locked the door", "[DOCUMENT_1]#p3-2"),
      // Before anything dated in document 2, whose only dated fact is 2016: with that one.
      fact("good-faith-marriage", "we saved together", "[DOCUMENT_2]#p1-1"),
      fact("good-faith-marriage", "we bought a house", "[DOCUMENT_2]#p2-1", "2016"),
      // Document 3 dates nothing: told last, in source order.
      fact("moral-character", "I have no arrests", "[DOCUMENT_3]#p2-1"),
      fact("residence", "we lived on Elm Street", "[DOCUMENT_3]#p1-1"),
    ],
    { elements, sourceOrder: order },
  );
  assert.deepEqual(
    story.map((p) => [p.period, p.facts.map((f) => f.statement), p.supports, p.undatedFacts]),
    [
      ["2016", ["we married", "we bought a house", "we saved together"], ["relationship", "good-faith-marriage"], 1],
      ["2020-02", ["he hit me", "then he locked the door"], ["abuse"], 1],
      ["undated", ["we lived on Elm Street", "I have no arrests"], ["residence", "moral-character"], 2],
    ],
  );
});

test("more incidents than the budget: dates coarsened to months, then years, then neighbours merged into spans; the undated group keeps its place", () => {
  const days = ["2019-01-03", "2019-01-20", "2019-07-01", "2020-02-02", "2020-02-09", "2021-05-05", "2022-08-08"];
  const facts = days.map((d, i) => fact("abuse", `incident ${i + 1}`, `[DOCUMENT_1]#p${i + 1}-1`, d));
  assert.deepEqual(
    planStory(facts, { elements, sourceOrder: order, maxParagraphs: 7 }).map((p) => p.period),
    days,
    "within the budget: a paragraph per day",
  );
  assert.deepEqual(
    planStory(facts, { elements, sourceOrder: order, maxParagraphs: 5 }).map((p) => p.period),
    ["2019-01", "2019-07", "2020-02", "2021-05", "2022-08"],
    "by month",
  );
  assert.deepEqual(
    planStory(facts, { elements, sourceOrder: order, maxParagraphs: 4 }).map((p) => p.period),
    ["2019", "2020", "2021", "2022"],
    "by year",
  );
  const merged = planStory([...facts, fact("residence", "we lived together", "[DOCUMENT_9]#p1-1")], {
    elements,
    sourceOrder: order,
    maxParagraphs: 3,
  });
  assert.deepEqual(
    merged.map((p) => p.period),
    ["2019/2020", "2021/2022", "undated"],
    "years merged into spans; one paragraph kept for the undated facts",
  );
  assert.deepEqual(
    merged.flatMap((p) => p.facts.map((f) => f.statement)),
    [...days.map((_, i) => `incident ${i + 1}`), "we lived together"],
    "every fact kept, in time order",
  );
});

test("the draft's paragraphs: the story of the facts that cite a chunk of the case, then a paragraph for each element no such fact supports, in the checklist's order", () => {
  const vawa = elementsFor("VAWA");
  // A chunk of the case has a place; "none" (no source fit the model's prompt) has none.
  const inCase = (id: string) => (id === "none" ? undefined : order(id));
  const { story, paragraphs } = draftParagraphs(
    [
      fact("abuse", "[PERSON_2] pushed me", "[DOCUMENT_1]#p2-1", "2021-03-14"),
      fact("relationship", "we married", "[DOCUMENT_1]#p1-1", "2016"),
      fact("abuse", "he took my passport", "[DOCUMENT_1]#p2-2"),
      fact("residence", "we lived together", "none", "2017"),
    ],
    vawa,
    inCase,
  );
  assert.equal(story.length, 2);
  const rest = vawa.filter((e) => !["relationship", "abuse"].includes(e.id));
  assert.deepEqual(
    paragraphs.map((p) => [p.key, p.title, p.supports]),
    [["story-1", "2016", ["relationship"]], ["story-2", "March 14, 2021", ["abuse"]], ...rest.map((e) => [e.id, e.title, [e.id]])],
  );
  // A story paragraph's prompt puts the chunks its facts cite first.
  assert.deepEqual(paragraphs[1]!.cites, ["[DOCUMENT_1]#p2-1", "[DOCUMENT_1]#p2-2"]);
  assert.equal(paragraphs[1]!.undatedFacts, 1);
  // The story never takes more model calls than the elements it supports.
  const many = Array.from({ length: 9 }, (_, i) => fact("abuse", `incident ${i}`, `[DOCUMENT_1]#p${i + 1}-1`, `20${10 + i}-01-01`));
  assert.ok(draftParagraphs(many, vawa, inCase).story.length <= 2);
  // No facts at all: a paragraph per element, nothing to order.
  assert.deepEqual(
    draftParagraphs([], vawa, inCase).paragraphs.map((p) => p.key),
    vawa.map((e) => e.id),
  );
});

test("the review document says when each paragraph happened and flags the facts placed by their source's order", () => {
  const p = (over: Partial<Draft["paragraphs"][number]>): Draft["paragraphs"][number] => ({
    element: "story-1",
    title: "",
    text: "x",
    sources: [],
    citations: [],
    ...over,
  });
  assert.equal(whenLine(p({ supports: ["abuse"], period: "2021-03" })), "March 2021");
  assert.equal(
    whenLine(p({ supports: ["abuse"], period: "2021-03", undatedFacts: 2 })),
    "March 2021; 2 undated facts placed by their source's order: check where they fall",
  );
  assert.equal(
    whenLine(p({ supports: ["abuse"], period: "undated", undatedFacts: 1 })),
    "Undated: 1 fact no source dates, told last in its source's order: check where it falls",
  );
  assert.equal(whenLine(p({ element: "abuse", supports: ["abuse"] })), "Place in time not known: no extracted fact supports this element");
  assert.equal(whenLine(p({ element: "abuse" })), undefined, "a draft made before the story says nothing of time");
});
