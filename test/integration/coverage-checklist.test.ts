/**
 * The coverage judge answers against the element checklist of the case's variant, on the real
 * VAWA sample (Extract, Redact, Index for real): its prompt lists the elements, the real tiny
 * model answers under the grammar with a verdict for every element (structure only), hosted
 * answers (recording providers, scripted model output) are checked the same way, and an
 * element judged not covered fails the gate by name and reaches the rewrite's prompt.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { ModelSession, openLlama } from "../../containers/llama-worker/model-session.ts";
import { getJson, LocalBlobStore, putJson } from "../../core/blob-store.ts";
import { elementsFor } from "../../core/legal-elements.ts";
import type { JudgeReport } from "../../core/stages/judge.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import { generateFallback } from "../../functions/generate-fallback.ts";
import { scoreDraft } from "../../functions/score-draft.ts";
import { startRecordingProviders } from "../../workflows/recording-providers.ts";
import { preparedState, root, scriptedReport, stageInputOf } from "../helpers.ts";

const { state, env } = await preparedState();
const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
const ids = elementsFor("VAWA").map((e) => e.id);

// A draft (scripted model output): a short sentence per element, words of the first chunk, citing it.
const index = await getJson<{ chunks: Array<{ id: string; file: string; page: number; text: string }> }>(store, state.index!.indexKey);
const chunk = index.chunks[0]!;
const said = `${chunk.text.split(/\s+/).slice(0, 6).join(" ")}.`;
const draft = {
  caseType: "VAWA",
  round: 0,
  paragraphs: elementsFor("VAWA").map((e) => ({
    element: e.id,
    title: e.title,
    text: said,
    sources: [chunk.id],
    citations: [`${chunk.file} p.${chunk.page}`],
    sentences: [{ text: said, sources: [chunk.id] }],
  })),
};
await putJson(store, `${state.runKey}/draft-0.json`, draft);
state.draft = scriptedReport("DraftDeclaration", `${state.runKey}/draft-0.json`);
const input = stageInputOf("JudgeCoverage", state, { draftKey: state.draft.outputKey });

test("the coverage prompt lists the variant's checklist; its grammar asks a verdict for every element by id", async () => {
  const job = await planStage({
    stage: "JudgeCoverage",
    input,
    store,
    countTokens: (t) => Math.ceil(t.length / 4),
    contextLimit: 8192,
    maxTokens: 400,
  });
  const prompt = job.calls[0]!.prompt;
  for (const e of elementsFor("VAWA")) assert.ok(prompt.includes(`- ${e.id}: ${e.title} (${e.citation})`), e.id);
  const elements = (job.calls[0]!.schema as any).properties.elements;
  assert.deepEqual(Object.keys(elements.properties), ids);
  assert.deepEqual(elements.required, ids);
  assert.equal(elements.additionalProperties, false);
});

test("the real tiny model answers the checklist under the grammar: a pass/fail verdict for every element (structure only)", async () => {
  const session = await ModelSession.load({
    llama: await openLlama(),
    modelPath: path.join(root, "models/stories260K.gguf"),
    modelId: "stories-260k",
    stage: "JudgeCoverage",
    contextSize: 1024,
    threads: 1,
  });
  after(() => session.dispose());
  // The test registry's budget: a 1024-token context less the margin, 560 output tokens.
  const job = await planStage({
    stage: "JudgeCoverage",
    input,
    store,
    countTokens: (t) => session.model.tokenize(t).length,
    contextLimit: 1008,
    maxTokens: 560,
  });
  const call = job.calls[0]!;
  const r = await session.generate({
    prompt: call.prompt,
    maxTokens: call.maxTokens,
    temperature: 0,
    grammar: await session.createJsonGrammar(call.schema!),
  });
  assert.equal(r.hitBudget, false, `the JSON ended within its budget (${r.tokens.length} tokens)`);
  const verdict = await getJson<JudgeReport>(store, await job.finish([r.text]));
  assert.deepEqual(Object.keys(verdict.elements!), ids);
  for (const v of Object.values(verdict.elements!)) assert.equal(typeof v.pass, "boolean");
});

test("hosted coverage judge (recording providers, scripted model output): a verdict missing an element is Affiant.InvalidModelOutput; an element judged not covered fails the gate by name and reaches the rewrite prompt", async () => {
  const registryPath = path.join(env.AFFIANT_HOME!, "registry.json");
  const registry = JSON.parse(readFileSync(registryPath, "utf8"));
  registry.stages.JudgeCoverage.fallback = ["openrouter:acme/judge"];
  writeFileSync(registryPath, JSON.stringify(registry));
  const event = { stage: "JudgeCoverage", state, failure: { Error: "Affiant.WorkerCrashed" }, executionName: state.executionName };
  const verdicts = (failing: string | null, leave?: string) =>
    JSON.stringify({
      score: 5,
      reasons: "fine",
      elements: Object.fromEntries(
        ids
          .filter((id) => id !== leave)
          .map((id) => [
            id,
            id === failing
              ? { pass: false, reason: "the draft never says where [PERSON_1] lived" }
              : { pass: true, reason: `the draft says "${said.slice(0, -1)}"` },
          ]),
      ),
    });
  const saved = { ...process.env };
  let answer = verdicts(null, "residence");
  const providers = await startRecordingProviders({
    answer: (prompt) => (prompt.includes("Checklist verdicts as JSON") ? answer : undefined),
  });
  Object.assign(process.env, providers.env);
  try {
    await assert.rejects(
      generateFallback(event),
      (err: Error) => err.name === "Affiant.NoProviderAvailable" && /openrouter:acme\/judge: Affiant\.InvalidModelOutput/.test(err.message),
    );
    answer = verdicts("residence");
    const metrics = await generateFallback(event);
    const stored = await getJson<JudgeReport>(store, metrics.outputKey);
    assert.deepEqual(stored.elements!.residence, { pass: false, reason: "the draft never says where [PERSON_1] lived" });

    // Faithfulness and tone 5, coverage's score 5 too: the failed element alone fails the gate.
    const judges = [scriptedReport("JudgeCoverage", metrics.outputKey)];
    for (const stage of ["JudgeFaithfulness", "JudgeTone"]) {
      await putJson(store, `${state.runKey}/judges/${stage}-r0.json`, { score: 5, reasons: "scripted" });
      judges.push(scriptedReport(stage, `${state.runKey}/judges/${stage}-r0.json`));
    }
    Object.assign(state, { judges, scoreThreshold: 0, rewrites: { n: 0 }, maxRewrites: 1 });
    const score = await scoreDraft({ state }, store, { mode: "off" });
    assert.deepEqual({ passed: score.passed, rewrite: score.rewrite }, { passed: false, rewrite: true });
    const record = await getJson<{ failures: string[] }>(store, score.scoreKey);
    assert.deepEqual(record.failures, [
      "element residence (Residence with the abuser) not covered: the draft never says where [PERSON_1] lived",
    ]);

    const rewrite = await planStage({
      stage: "GuardrailsRewrite",
      input: { ...input, stage: "GuardrailsRewrite", judgeKeys: judges.map((j) => j.outputKey) },
      store,
      countTokens: (t) => Math.ceil(t.length / 4),
      contextLimit: 8192,
      maxTokens: 1200,
    });
    assert.match(
      rewrite.calls.find((c) => c.id === "residence")!.prompt,
      /Reviewers said: (Placeholders: [^/]+ \/ )?Not covered: the draft never says where \[PERSON_1\] lived \//,
    );
    assert.doesNotMatch(rewrite.calls.find((c) => c.id === "abuse")!.prompt, /Not covered/);

    // A pass whose reason quotes nothing the draft says proves nothing: that element is not covered.
    const unquoted = JSON.parse(verdicts(null));
    unquoted.elements.abuse = { pass: true, reason: "the abuse is described in detail" };
    answer = JSON.stringify(unquoted);
    judges[0] = scriptedReport("JudgeCoverage", (await generateFallback(event)).outputKey);
    const again = await getJson<{ failures: string[] }>(
      store,
      (await scoreDraft({ state: { ...state, judges } }, store, { mode: "off" })).scoreKey,
    );
    assert.deepEqual(
      again.failures.filter((f) => f.startsWith("element ")),
      [
        `element abuse (${elementsFor("VAWA").find((e) => e.id === "abuse")!.title}) not covered: judged covered, but the reason quotes nothing the draft says`,
      ],
    );
  } finally {
    await providers.close();
    process.env = saved;
  }
});
