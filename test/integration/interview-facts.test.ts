/**
 * Facts from the client, as the attorney writes them with a "changes" decision, on the real VAWA
 * sample (Extract, Redact, Index for real: a prepared state): AttorneyNotes redacts them like a
 * document into an interview source of the execution, IndexInterview's Index indexes them, the
 * rewrite (a recording hosted provider with fixed answers) cites them, and Reinject's review
 * document shows which sentences rest on them, with the exhibits lettered without the sources
 * that are not filed.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { getJson, LocalBlobStore, putJson } from "../../core/blob-store.ts";
import type { Draft } from "../../core/declaration.ts";
import { ReviewRejectedError } from "../../core/errors.ts";
import type { StoredIndex } from "../../core/retrieval.ts";
import { type ReviewOutput, reviewFactsKey, reviewNotesKey } from "../../core/review.ts";
import { buildIndex } from "../../functions/build-index.ts";
import { generateFallback } from "../../functions/generate-fallback.ts";
import { readVault } from "../../functions/redaction/vault.ts";
import { reinjectCase } from "../../functions/reinject-pii.ts";
import { reviewNotes } from "../../functions/review-notes.ts";
import { startRecordingProviders } from "../../workflows/recording-providers.ts";
import { preparedState, scriptedReport } from "../helpers.ts";

test("facts from the client (recording provider with fixed answers): redacted into an interview source, indexed, cited by the next round's rewrite, and shown in the review document as the sentences resting on it", async () => {
  const { state, env } = await preparedState();
  const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
  const caseKey = "vault/vawa-sample-0001/sfn-test.enc";

  // Round 0 under review: a draft and the facts ExtractFacts found (none: scripted).
  await putJson(store, `${state.runKey}/draft-0.json`, { caseType: "VAWA", round: 0, paragraphs: [] } satisfies Draft);
  await putJson(store, `${state.runKey}/facts.json`, { facts: [] });
  state.draft = scriptedReport("DraftDeclaration", `${state.runKey}/draft-0.json`);
  state.facts = scriptedReport("ExtractFacts", `${state.runKey}/facts.json`);
  state.rewrites = { n: 0 };

  // The attorney's decision as the review API stores it: notes and facts, each a blob inside the account.
  const factsKey = reviewFactsKey(state.runKey, 0);
  await store.put(
    factsKey,
    "Elena told me she married Derek Samplefield in a chapel in March 2019.\n\nHer sister Carla Nowhere drove her to the shelter.",
  );
  // The notes record as the decision writes it (core/review-paragraphs.ts): notes on the whole draft, nothing aimed or locked.
  const notesKey = reviewNotesKey(state.runKey, 0);
  await putJson(store, notesKey, {
    version: state.draft.outputKey,
    general: "Paragraph 1: say when we married.",
    paragraphs: [],
    locked: [],
  });
  assert.ok(factsKey.startsWith("private/"), `the facts as written hold real values: ${factsKey}`);
  const review: ReviewOutput = {
    decisionId: "0f6c1b9e-3d2a-4c57-9a51-8e0f2b7d4c19",
    executionId: state.executionName,
    round: 0,
    version: state.draft.outputKey,
    decision: "changes",
    reviewer: "A. Attorney",
    unattended: false,
    via: "api",
    decidedAt: new Date().toISOString(),
    gateStatus: "failing-review",
    notesKey,
    notesChars: 33,
    factsKey,
    factsChars: 120,
  };
  const before = await readVault(store, caseKey, { caseId: state.caseId });

  // Another execution's facts are never read: AttorneyNotes refuses the key before reading anything.
  const otherFacts = reviewFactsKey(state.runKey.replace(state.executionName, "another-execution"), 0);
  await assert.rejects(
    reviewNotes({ state: { ...state, review: { ...review, factsKey: otherFacts } } }, store),
    (err: Error) => err instanceof ReviewRejectedError && /names facts outside this execution's round 0/.test(err.message),
  );
  assert.deepEqual(await readVault(store, caseKey, { caseId: state.caseId }), before, "a refused key changed the vault");

  // AttorneyNotes: the facts become an interview document; a new name gets a new placeholder in the vault.
  const attorney = await reviewNotes({ state: { ...state, review } }, store);
  assert.equal(attorney.interview, true);
  assert.equal(attorney.redactedKey, `${state.runKey}/redacted-r0.json`);
  const vault = await readVault(store, caseKey, { caseId: state.caseId });
  const added = [...vault].filter(([k]) => !before.has(k));
  assert.deepEqual(
    added.map(([, v]) => v),
    ["Carla Nowhere", "facts from the client (review round 0)"],
  );
  const carla = added[0]![0];

  // IndexInterview: the Index Lambda over the new set, an index of the round's own.
  const withAttorney = { ...state, review, attorney };
  state.index = await buildIndex({ state: withAttorney, redactedKey: attorney.redactedKey }, store);
  assert.equal(state.index.indexKey, `${state.runKey}/index-r0.json`);
  const index = await getJson<StoredIndex>(store, state.index.indexKey);
  const interview = index.documents!.at(-1)!;
  assert.deepEqual({ ...interview, file: "…" }, { file: "…", role: "interview", language: "en", round: 0 });
  // The sample's own roles came through Extract, Redact and Index: its personal statement is an interview too.
  assert.deepEqual(
    index.documents!.map((d) => d.role),
    ["exhibit", "exhibit", "interview", "work-product", "interview"],
  );
  const factChunks = index.chunks.filter((c) => c.file === interview.file);
  assert.deepEqual(
    factChunks.map((c) => c.text),
    ["[PERSON_1] told me she married [PERSON_2] in a chapel in March 2019.", `Her sister ${carla} drove her to the shelter.`],
  );
  assert.ok(factChunks.every((c) => c.role === "interview" && c.round === 0));

  // The rewrite, on a hosted fallback that answers each paragraph with the fact it was given.
  const registryPath = path.join(env.AFFIANT_HOME!, "registry.json");
  const registry = JSON.parse(readFileSync(registryPath, "utf8"));
  registry.stages.GuardrailsRewrite.fallback = ["openrouter:acme/case-model"];
  writeFileSync(registryPath, JSON.stringify(registry));
  const married = factChunks[0]!;
  const providers = await startRecordingProviders({
    answer: (prompt) =>
      prompt.includes("Paragraph as JSON")
        ? JSON.stringify({ sentences: [{ text: "I married [PERSON_2] in a chapel in March 2019.", sources: [married.id] }] })
        : undefined,
  });
  const saved = { ...process.env };
  Object.assign(process.env, providers.env);
  let draftKey: string;
  try {
    const metrics = await generateFallback({
      stage: "GuardrailsRewrite",
      // As AttorneyAsJudge leaves it: the attorney's report is this round's judges; the index is IndexInterview's.
      state: { ...withAttorney, index: state.index, judges: attorney.reports.map((r) => scriptedReport("AttorneyNotes", r.outputKey)) },
      failure: { Error: "Affiant.WorkerCrashed" },
      executionName: state.executionName,
    });
    draftKey = metrics.outputKey;
    const prompts = providers.requests.filter((r) => r.body.includes("Paragraph as JSON")).map((r) => r.body);
    assert.ok(prompts.length > 1, "a prompt per paragraph");
    for (const body of prompts) {
      // Every paragraph's prompt holds the fact, marked as the declarant's own account, and the attorney's reasons.
      assert.ok(body.includes(`[${married.id}] (${married.file} p.1, interview: the declarant's own account)`), "the fact is a source");
      assert.match(body, /Attorney review: Paragraph 1: say when we married\..*facts from the client/);
      for (const value of ["Carla", "Nowhere", "Samplefield", "Elena", "facts from the client (review"])
        assert.ok(!body.includes(value), `${value} left in a request`);
    }
  } finally {
    await providers.close();
    process.env = saved;
  }
  const draft = await getJson<Draft>(store, draftKey);
  assert.ok(draft.paragraphs.length > 1);
  for (const p of draft.paragraphs)
    assert.deepEqual(
      p.sentences!.map((s) => s.sources),
      [[married.id]],
      p.element,
    );

  // Reinject: the review document says which sentences rest on the interview; the exhibits skip what is not filed.
  state.draft = scriptedReport("GuardrailsRewrite", draftKey);
  const output = await reinjectCase({ state }, store);
  const md = (await store.get(output.reviewDocument.markdownKey)).toString("utf8");
  assert.match(
    md,
    /## Sentences resting on the client interview\n\n- Paragraph 2, sentence 1: “I married Derek Samplefield in a chapel in March 2019\.” \(Interview 2, p\. 1\): confirm it with the declarant\n/,
  );
  assert.match(
    md,
    /## Exhibit list\n\n- Exhibit A: police-report-scan\.pdf \(pages 1[^\n]*\n- Exhibit B: shelter-letter\.pdf \(pages 1[^\n]*\n\n/,
  );
  assert.match(
    md,
    /## Sources not filed\n\n- Interview 1: personal-statement\.pdf [^\n]*\n- Work product 1: intake-notes\.pdf [^\n]*\n- Interview 2: facts from the client \(review round 0\) \(pages 1, 2; cited: 1\)\. Not filed: the declarant's own account taken by the attorney/,
  );
  assert.doesNotMatch(md, /Exhibit [A-Z]: (intake-notes|personal-statement)\.pdf/);
  // The review rendition's citation line names the source as the attorney reads it.
  const declaration = (await store.get(output.declarationKey)).toString("utf8");
  assert.match(declaration, /Sources: facts from the client \(review round 0\) p\.1/);
});
