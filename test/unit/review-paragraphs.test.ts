/**
 * Changes aimed at paragraphs, as pure functions: the filing numbering the notes use (the
 * filing rendition's own), a decision's paragraph numbers and locks resolved or refused, the
 * round's scope, the word-level redline and its Markdown.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Draft, declarationDocument, filingNumbers } from "../../core/declaration.ts";
import { InvalidInputError, ParagraphLockedError } from "../../core/errors.ts";
import {
  filingParagraphs,
  keptByScope,
  type ParagraphDecision,
  parseNotesMarkdown,
  parseParagraphList,
  type RewriteScope,
  resolveParagraphs,
} from "../../core/review-paragraphs.ts";
import { wordDiff } from "../../core/word-diff.ts";
import { buildRoundChanges, renderRoundChangesMarkdown } from "../../functions/review/redline.ts";

const paragraph = (element: string, text: string) => ({ element, title: `Title ${element}`, text, sources: [], citations: [] });
/** Five elements, the third with nothing drafted: filing paragraphs 2–5 are a, b, d, e. */
const draft: Draft = {
  caseType: "VAWA",
  round: 0,
  paragraphs: [
    paragraph("a", "We met in 2015."),
    paragraph("b", "We married in 2018."),
    paragraph("c", ""),
    paragraph("d", "He pushed me."),
    paragraph("e", "I left in 2021."),
  ],
};

test("the filing numbering is the filing rendition's: 1 the introduction, then each drafted paragraph", () => {
  const filing = filingParagraphs(draft);
  assert.deepEqual(filing, [
    { number: 1, element: null },
    { number: 2, element: "a" },
    { number: 3, element: "b" },
    { number: 4, element: "d" },
    { number: 5, element: "e" },
  ]);
  const sections = declarationDocument(draft, undefined, "filing").sections;
  assert.deepEqual(
    sections.map((s) => s.number),
    filing.map((p) => p.number),
  );
  for (const p of filing.slice(1)) assert.equal(sections[p.number - 1]!.text, draft.paragraphs.find((x) => x.element === p.element)!.text);
  // One numbering: the review rendition's and the rewrite prompts' (filingNumbers) give each element the same number.
  const numbers = filingNumbers(draft);
  for (const p of filing.slice(1)) assert.equal(numbers[draft.paragraphs.findIndex((x) => x.element === p.element)], p.number);
  // A paragraph whose text lives only in its sentences is drafted too: it has a number in both.
  const bySentence: Draft = {
    ...draft,
    paragraphs: [
      draft.paragraphs[0]!,
      { ...paragraph("s", ""), sentences: [{ text: "He took my passport.", sources: [] }] } as never,
      ...draft.paragraphs.slice(1),
    ],
  };
  assert.deepEqual(
    filingParagraphs(bySentence).map((p) => p.element),
    [null, "a", "s", "b", "d", "e"],
  );
  assert.deepEqual(filingNumbers(bySentence), [2, 3, 4, undefined, 5, 6]);
});

test("notes and locks resolve to elements; locks accumulate across rounds; a repeated paragraph's notes join", () => {
  const r = resolveParagraphs(
    draft,
    "run/draft-0.json",
    {
      decision: "changes",
      paragraphNotes: [
        { paragraph: 3, text: "We married in March 2019." },
        { paragraph: 3, text: "At the courthouse." },
      ],
      lock: [2, 1],
    },
    ["e"],
  );
  assert.deepEqual(r.record, {
    version: "run/draft-0.json",
    general: "",
    paragraphs: [{ paragraph: 3, element: "b", text: "We married in March 2019.\nAt the courthouse." }],
    locked: [
      { paragraph: 5, element: "e" },
      { paragraph: 2, element: "a" },
    ],
  });
  assert.deepEqual(r.locks, ["e", "a"]);
  // Nothing new locked: nothing to write.
  assert.equal(resolveParagraphs(draft, "k", { decision: "approve", lock: [5] }, ["e"]).locks, undefined);
});

test("bad paragraph numbers are refused, naming the field and the range; notes on locked paragraphs are ParagraphLocked", () => {
  const resolve =
    (input: Parameters<typeof resolveParagraphs>[2], before: string[] = []) =>
    () =>
      resolveParagraphs(draft, "k", input, before);
  assert.throws(resolve({ decision: "changes", paragraphNotes: [{ paragraph: 9, text: "x" }] }), (e: Error) => {
    assert.ok(e instanceof InvalidInputError);
    assert.equal(e.message, "notes[0].paragraph: no paragraph 9 in the filing version under review (paragraphs 1–5)");
    return true;
  });
  assert.throws(resolve({ decision: "approve", lock: [2, 6] }), /^InvalidInput|lock\[1\]: no paragraph 6 in the filing version/);
  assert.throws(
    resolve({ decision: "changes", paragraphNotes: [{ paragraph: 1, text: "x" }] }),
    /notes\[0\]\.paragraph: paragraph 1 is the declarant's introduction/,
  );
  // Locked in an earlier round, or in this same decision.
  const cases: Array<[ParagraphDecision, string[]]> = [
    [{ decision: "changes", paragraphNotes: [{ paragraph: 4, text: "x" }] }, ["d"]],
    [{ decision: "changes", paragraphNotes: [{ paragraph: 4, text: "x" }], lock: [4] }, []],
  ];
  for (const [input, before] of cases) {
    assert.throws(resolve(input, before), (e: Error) => {
      assert.ok(e instanceof ParagraphLockedError);
      assert.equal(ParagraphLockedError.status, 409);
      assert.match(e.message, /notes\[0\]\.paragraph: paragraph 4 is locked as verified/);
      return true;
    });
  }
  // General notes with every drafted paragraph locked: nothing left to rewrite.
  assert.throws(resolve({ decision: "changes", notes: "tighten it" }, ["a", "b", "d", "e"]), ParagraphLockedError);
  assert.doesNotThrow(resolve({ decision: "approve" }, ["a", "b", "d", "e"]));
});

test("the scope keeps locked paragraphs and, when the notes name paragraphs, every other one", () => {
  const named: RewriteScope = {
    reviewedVersion: "k",
    rewrite: [{ paragraph: 3, element: "b", note: "n" }],
    locked: [{ paragraph: 2, element: "a" }],
  };
  assert.deepEqual(
    ["a", "b", "c", "d"].map((e) => keptByScope(named, e)),
    [true, false, true, true],
  );
  const all: RewriteScope = { ...named, rewrite: null };
  assert.deepEqual(
    ["a", "b", "c", "d"].map((e) => keptByScope(all, e)),
    [true, false, false, false],
  );
  assert.equal(keptByScope(undefined, "a"), false, "no review round yet: everything may be rewritten");
});

test("the word diff gives the new text back exactly, the old one up to its spacing, and marks only the words that changed", () => {
  const before = "We married in 2018 at  the courthouse.";
  const after = "We married in March 2019 at the courthouse in Reno.";
  const parts = wordDiff(before, after);
  const side = (op: string) =>
    parts
      .filter((p) => p.op === "equal" || p.op === op)
      .map((p) => p.text)
      .join("");
  assert.equal(side("insert"), after);
  assert.equal(side("delete").replace(/\s+/g, ""), before.replace(/\s+/g, ""));
  assert.deepEqual(parts, [
    { op: "equal", text: "We married in " },
    { op: "delete", text: "2018 " },
    { op: "insert", text: "March 2019 " },
    { op: "equal", text: "at the courthouse " },
    { op: "insert", text: "in Reno" },
    { op: "equal", text: "." },
  ]);
  assert.deepEqual(wordDiff("same words", "same words"), [{ op: "equal", text: "same words" }]);
  assert.deepEqual(wordDiff("", "new"), [{ op: "insert", text: "new" }]);
  assert.deepEqual(wordDiff("old", ""), [{ op: "delete", text: "old" }]);
});

test("a round's redline: rewritten, kept and locked paragraphs, by filing number, in Markdown", () => {
  const next: Draft = {
    ...draft,
    round: 1,
    paragraphs: draft.paragraphs.map((p) => (p.element === "b" ? { ...p, text: "We married in March 2019." } : p)),
  };
  const scope: RewriteScope = {
    reviewedVersion: "run/draft-0.json",
    rewrite: [{ paragraph: 3, element: "b", note: "the date is March 2019" }],
    locked: [{ paragraph: 2, element: "a" }],
  };
  const changes = buildRoundChanges(draft, next, scope);
  assert.equal(changes.against, "run/draft-0.json");
  assert.deepEqual(
    changes.paragraphs.map((p) => [p.element, p.after, p.status]),
    [
      ["a", 2, "locked"],
      ["b", 3, "rewritten"],
      ["c", null, "kept"],
      ["d", 4, "kept"],
      ["e", 5, "kept"],
    ],
  );
  const md = renderRoundChangesMarkdown(changes).join("\n");
  assert.match(md, /- Rewritten: 3\n/);
  assert.match(md, /- Locked as verified: 2\n/);
  assert.match(md, /### 3\. Title b\n\n_Attorney's note: the date is March 2019_\n\nWe married in ~~2018~~\*\*March 2019\*\*\.\n/);
});

test("a notes file (affiant review --changes): '## Paragraph N' headings aim notes; text before them is on the whole draft; --lock lists numbers", () => {
  assert.deepEqual(parseNotesMarkdown("Paragraph 2: say more.\n"), { notes: "Paragraph 2: say more.\n", paragraphNotes: [] });
  assert.deepEqual(
    parseNotesMarkdown("Keep it short.\n\n## Paragraph 3\nWe married in March 2019.\n\n### ¶ 5:\nHe took my passport.\n## paragraph 6\n"),
    {
      notes: "Keep it short.",
      paragraphNotes: [
        { paragraph: 3, text: "We married in March 2019." },
        { paragraph: 5, text: "He took my passport." },
      ],
    },
  );
  assert.deepEqual(parseParagraphList("--lock", "2, 3 4"), [2, 3, 4]);
  assert.throws(() => parseParagraphList("--lock", "2,x"), /--lock 2,x: expected paragraph numbers of the filing version/);
});
