/**
 * Facts carry dates and the draft follows them, on the real VAWA sample (Extract, Redact, Index
 * for real): ExtractFacts' schema asks a date per fact and more than three facts when the
 * budget holds them; its answers (scripted model output, and the stand-in hosted models'
 * canned answer) keep ISO dates and record anything else as unknown; DraftDeclaration orders
 * its paragraphs and each prompt's facts by date, undated last, and the rewrite keeps that order.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { getJson, LocalBlobStore, putJson } from "../../core/blob-store.ts";
import type { Draft } from "../../core/declaration.ts";
import { elementsFor } from "../../core/legal-elements.ts";
import type { FactsOutput } from "../../core/stages/extract-facts.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import { cannedAnswer } from "../../workflows/recording-providers.ts";
import { preparedState } from "../helpers.ts";

const { state, env } = await preparedState();
const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
const base = {
  executionName: state.executionName,
  caseId: state.caseId,
  caseType: state.caseType,
  runKey: state.runKey,
  faults: {},
  indexKey: state.index!.indexKey,
  round: 0,
};
const countTokens = (t: string) => Math.ceil(t.length / 4);

test("ExtractFacts asks a date per fact and as many facts as its budget holds; ISO dates are kept, anything else is unknown (scripted model output)", async () => {
  const job = await planStage({
    stage: "ExtractFacts",
    input: { ...base, stage: "ExtractFacts" },
    store,
    countTokens,
    contextLimit: 8192,
    maxTokens: 1200,
  });
  const facts = (job.calls[0]!.schema as any).properties.facts;
  assert.deepEqual(facts.items.properties.date, { type: "string", maxLength: 10 });
  assert.ok(facts.maxItems > 3, `more than three facts: ${facts.maxItems}`);
  assert.match(job.calls[0]!.prompt, /with its date as the sources give it \(YYYY-MM-DD, YYYY-MM or YYYY\) or "unknown"/);
  const source = facts.items.properties.source.enum[0];
  const answer = {
    facts: [
      { element: "abuse", statement: "[PERSON_2] pushed me", source, date: "2021-03-14" },
      { element: "relationship", statement: "we married", source, date: "2016" },
      { element: "residence", statement: "we lived together", source, date: "last spring" },
      { element: "abuse", statement: "he took my passport", source, date: "unknown" },
      { element: "good-faith-marriage", statement: "we met at church", source },
    ],
  };
  const stored = await getJson<FactsOutput>(store, await job.finish([JSON.stringify(answer)]));
  assert.deepEqual(
    stored.facts.map((f) => f.date),
    ["2021-03-14", "2016", "unknown", "unknown", "unknown"],
  );
  // The stand-in hosted models' canned answer carries a date too.
  assert.equal(JSON.parse(cannedAnswer("Facts as JSON").replace(/^```json\n|\n```$/g, "")).facts[0].date, "2021-03-14");
});

test("DraftDeclaration orders paragraphs and facts by date, undated last; the rewrite keeps the draft's order (scripted model output)", async () => {
  const source = "unused";
  await putJson(store, `${state.runKey}/facts-dated.json`, {
    facts: [
      { element: "abuse", statement: "[PERSON_2] pushed me", source, date: "2021-03-14" },
      { element: "abuse", statement: "he took my passport", source, date: "unknown" },
      { element: "abuse", statement: "he first shouted", source, date: "2019-06" },
      { element: "residence", statement: "we moved in", source, date: "2017-01-05" },
      { element: "relationship", statement: "we married", source, date: "2016" },
    ],
  });
  const job = await planStage({
    stage: "DraftDeclaration",
    input: { ...base, stage: "DraftDeclaration", factsKey: `${state.runKey}/facts-dated.json` },
    store,
    countTokens,
    contextLimit: 8192,
    maxTokens: 1200,
  });
  const undated = elementsFor("VAWA")
    .map((e) => e.id)
    .filter((id) => !["relationship", "residence", "abuse"].includes(id));
  assert.deepEqual(
    job.calls.map((c) => c.id),
    ["relationship", "residence", "abuse", ...undated],
  );
  assert.match(
    job.calls[2]!.prompt,
    /Facts:\n- 2019-06: he first shouted \[unused\]\n- 2021-03-14: \[PERSON_2\] pushed me \[unused\]\n- unknown: he took my passport \[unused\]\n/,
  );

  const outputs = job.calls.map((c) =>
    JSON.stringify({
      sentences: [{ text: "I remember.", sources: [(c.schema as any).properties.sentences.items.properties.sources.items.enum[0]] }],
    }),
  );
  const draftKey = await job.finish(outputs);
  assert.deepEqual(
    (await getJson<Draft>(store, draftKey)).paragraphs.map((p) => p.element),
    ["relationship", "residence", "abuse", ...undated],
  );
  const rewrite = await planStage({
    stage: "GuardrailsRewrite",
    input: { ...base, stage: "GuardrailsRewrite", draftKey, judgeKeys: [] },
    store,
    countTokens,
    contextLimit: 8192,
    maxTokens: 1200,
  });
  assert.deepEqual(
    rewrite.calls.map((c) => c.id),
    ["relationship", "residence", "abuse", ...undated],
  );
});
