/**
 * Facts carry dates and the draft tells them as one story, on the real VAWA sample (Extract,
 * Redact, Index for real): ExtractFacts' schema asks a date or period per fact and more than
 * three facts when the budget holds them; its answers (scripted model output, and the stand-in
 * hosted models' canned answer) keep ISO dates and periods and record anything else as unknown;
 * DraftDeclaration writes a paragraph per incident or period in date order, each with the
 * elements it supports and its facts' sources first, and the rewrite keeps those paragraphs.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { getJson, LocalBlobStore, putJson } from "../../core/blob-store.ts";
import type { Draft } from "../../core/declaration.ts";
import { elementsFor } from "../../core/legal-elements.ts";
import type { StoredIndex } from "../../core/retrieval.ts";
import type { FactsOutput } from "../../core/stages/extract-facts.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import { cannedAnswer } from "../../workflows/recording-providers.ts";
import { preparedState, stageInputOf } from "../helpers.ts";

const { state, env } = await preparedState();
const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
const countTokens = (t: string) => Math.ceil(t.length / 4);

test("ExtractFacts asks a date per fact and as many facts as its budget holds; ISO dates are kept, anything else is unknown (scripted model output)", async () => {
  const job = await planStage({
    stage: "ExtractFacts",
    input: stageInputOf("ExtractFacts", state),
    store,
    countTokens,
    contextLimit: 8192,
    maxTokens: 1200,
  });
  const facts = (job.calls[0]!.schema as any).properties.facts;
  assert.deepEqual(facts.items.properties.date, { type: "string", maxLength: 21 });
  assert.ok(facts.maxItems > 3, `more than three facts: ${facts.maxItems}`);
  assert.match(
    job.calls[0]!.prompt,
    /with its date as the sources give it \(YYYY-MM-DD, YYYY-MM or YYYY; a period as\nstart\/end, e\.g\. 2018\/2023\) or "unknown"/,
  );
  const source = facts.items.properties.source.enum[0];
  const answer = {
    facts: [
      { element: "abuse", statement: "[PERSON_2] pushed me", source, date: "2021-03-14" },
      { element: "relationship", statement: "we married", source, date: "2016" },
      { element: "residence", statement: "we lived together", source, date: "last spring" },
      { element: "residence", statement: "we lived in Riverton", source, date: "2016/2020" },
      { element: "abuse", statement: "he took my passport", source, date: "unknown" },
      { element: "good-faith-marriage", statement: "we met at church", source },
    ],
  };
  const stored = await getJson<FactsOutput>(store, await job.finish([JSON.stringify(answer)]));
  assert.deepEqual(
    stored.facts.map((f) => f.date),
    ["2021-03-14", "2016", "unknown", "2016/2020", "unknown", "unknown"],
  );
  // The stand-in hosted models' canned answer carries a date too.
  assert.equal(JSON.parse(cannedAnswer("Facts as JSON").replace(/^```json\n|\n```$/g, "")).facts[0].date, "2021-03-14");
});

test("DraftDeclaration tells one story: a paragraph per incident or period in date order, each with the elements it supports, an undated fact beside the one its source places it by; then a paragraph per element without facts; the rewrite keeps the paragraphs (scripted model output)", async () => {
  const index = await getJson<StoredIndex>(store, state.index!.indexKey);
  const [c0, c1, c2, c3] = index.chunks.map((c) => c.id);
  await putJson(store, `${state.runKey}/facts-dated.json`, {
    facts: [
      { element: "abuse", statement: "[PERSON_2] pushed me", source: c3, date: "2021-03-14" },
      // Undated, in the same chunk as the push: told with it.
      { element: "abuse", statement: "he took my passport", source: c3, date: "unknown" },
      { element: "abuse", statement: "he first shouted", source: c2, date: "2019-06" },
      { element: "residence", statement: "we moved in", source: c1, date: "2017-01-05" },
      { element: "relationship", statement: "we married", source: c0, date: "2016" },
      { element: "good-faith-marriage", statement: "we met at church", source: c0, date: "2016" },
    ],
  });
  const job = await planStage({
    stage: "DraftDeclaration",
    input: stageInputOf("DraftDeclaration", state, { factsKey: `${state.runKey}/facts-dated.json` }),
    store,
    countTokens,
    contextLimit: 8192,
    maxTokens: 1200,
  });
  const vawa = elementsFor("VAWA");
  const title = (id: string) => vawa.find((e) => e.id === id)!.title;
  const without = vawa.map((e) => e.id).filter((id) => !["relationship", "good-faith-marriage", "residence", "abuse"].includes(id));
  const story = ["story-1", "story-2", "story-3", "story-4"];
  assert.deepEqual(
    job.calls.map((c) => c.id),
    [...story, ...without],
  );
  const last = job.calls[3]!.prompt;
  assert.match(last, new RegExp(`When: March 14, 2021\\. It shows: ${title("abuse").replace(/[()]/g, "\\$&")}\\.`));
  assert.ok(
    last.includes(`Facts:\n- 2021-03-14: [PERSON_2] pushed me (abuse) [${c3}]\n- unknown: he took my passport (abuse) [${c3}]\n`),
    "the incident's facts, the undated one after the dated one its source places it by",
  );
  // The chunks its facts cite come first among its sources.
  assert.ok(last.slice(last.lastIndexOf("Sources:")).startsWith(`Sources:\n[${c3}] (`));
  assert.match(job.calls[0]!.prompt, new RegExp(`When: 2016\\. It shows: ${title("relationship").replace(/[()]/g, "\\$&")}; `));

  const outputs = job.calls.map((c) =>
    JSON.stringify({
      sentences: [{ text: "I remember.", sources: [(c.schema as any).properties.sentences.items.properties.sources.items.enum[0]] }],
    }),
  );
  const draftKey = await job.finish(outputs);
  const draft = await getJson<Draft>(store, draftKey);
  assert.deepEqual(
    draft.paragraphs.map((p) => [p.element, p.title, p.supports, p.period ?? null, p.undatedFacts ?? 0]),
    [
      ["story-1", "2016", ["relationship", "good-faith-marriage"], "2016", 0],
      ["story-2", "January 5, 2017", ["residence"], "2017-01-05", 0],
      ["story-3", "June 2019", ["abuse"], "2019-06", 0],
      ["story-4", "March 14, 2021", ["abuse"], "2021-03-14", 1],
      ...without.map((id) => [id, title(id), [id], null, 0]),
    ],
  );
  const rewrite = await planStage({
    stage: "GuardrailsRewrite",
    input: stageInputOf("GuardrailsRewrite", state, { draftKey, judgeKeys: [] }),
    store,
    countTokens,
    contextLimit: 8192,
    maxTokens: 1200,
  });
  assert.deepEqual(
    rewrite.calls.map((c) => c.id),
    [...story, ...without],
  );
  assert.ok(
    rewrite.calls[0]!.prompt.includes(
      `2016, showing ${title("relationship")}; ${title("good-faith-marriage")} (paragraph 2 of the declaration)`,
    ),
    "the rewrite names the paragraph by its period, its elements and its filing number",
  );
});
