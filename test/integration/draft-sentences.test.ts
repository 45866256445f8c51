/**
 * Every sentence cites its evidence, on the real VAWA sample (Extract, Redact, Index for real):
 * DraftDeclaration's calls carry a schema whose `sources` enum is exactly the chunk ids of
 * that call's prompt; the real tiny model decodes under it; answers written here (scripted
 * model output) and answers from the recording hosted endpoints are checked the same way, a
 * chunk id that was not in the prompt failing with Affiant.CitationOutsidePrompt.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { ModelSession, openLlama } from "../../containers/llama-worker/model-session.ts";
import { getJson, LocalBlobStore, putJson } from "../../core/blob-store.ts";
import type { Draft } from "../../core/declaration.ts";
import type { StageJob } from "../../core/stages/plan-context.ts";
import { planStage } from "../../core/stages/plan-stage.ts";
import { generateFallback } from "../../functions/generate-fallback.ts";
import { startRecordingProviders } from "../../workflows/recording-providers.ts";
import { preparedState, root, scriptedReport, stageInputOf } from "../helpers.ts";

const { state, env } = await preparedState();
const store = new LocalBlobStore(path.join(env.AFFIANT_HOME!, "blobs"));
const input = stageInputOf("DraftDeclaration", state);

/** The ids a call's grammar allows: its schema's `sources` enum. */
const allowed = (call: StageJob["calls"][number]) =>
  (call.schema as any).properties.sentences.items.properties.sources.items.enum as string[];
/** The chunk ids placed in a prompt, as its Sources section lists them. */
const idsInPrompt = (prompt: string) => [...prompt.slice(prompt.lastIndexOf("Sources:")).matchAll(/^\[(.+?)\] \(/gm)].map((m) => m[1]!);

const plan = () =>
  planStage({ stage: "DraftDeclaration", input, store, countTokens: (t) => Math.ceil(t.length / 4), contextLimit: 4096, maxTokens: 1200 });

test("DraftDeclaration's grammar lets each sentence cite only the chunk ids in its own prompt, at least one", async () => {
  const job = await plan();
  assert.ok(job.calls.length > 1);
  for (const call of job.calls) {
    const ids = idsInPrompt(call.prompt);
    assert.ok(ids.length > 0, `${call.id}: sources fit`);
    assert.deepEqual(allowed(call), ids, `${call.id}: the enum is exactly the prompt's ids`);
    assert.equal((call.schema as any).properties.sentences.items.properties.sources.minItems, 1);
    assert.match(call.prompt, /Paragraph as JSON:\n$/);
  }
});

test("a scripted answer (scripted model output): each sentence keeps its sources, the text is the sentences joined, the citation line lists only the cited chunks", async () => {
  const job = await plan();
  const outputs = job.calls.map((call) => {
    const ids = allowed(call);
    return JSON.stringify({
      sentences: [
        { text: "I, [PERSON_1], remember this.", sources: [ids[0]] },
        { text: "It  happened  then.", sources: [ids[0], ids[0]] },
      ],
    });
  });
  const key = await job.finish(outputs);
  const draft = await getJson<Draft>(store, key);
  const index = await getJson<{ chunks: Array<{ id: string; file: string; page: number }> }>(store, state.index!.indexKey);
  for (const [i, p] of draft.paragraphs.entries()) {
    const first = allowed(job.calls[i]!)[0]!;
    assert.deepEqual(p.sentences, [
      { text: "I, [PERSON_1], remember this.", sources: [first] },
      { text: "It happened then.", sources: [first] },
    ]);
    assert.equal(p.text, "I, [PERSON_1], remember this. It happened then.");
    assert.deepEqual(p.sources, [first], "only what a sentence cites, not every chunk picked");
    const chunk = index.chunks.find((c) => c.id === first)!;
    assert.deepEqual(p.citations, [`${chunk.file} p.${chunk.page}`]);
    assert.ok(allowed(job.calls[i]!).length > 1, "the prompt held more than the one cited");
  }
});

test("a chunk id that was not in the prompt is Affiant.CitationOutsidePrompt naming the element and sentence; invalid JSON is Affiant.InvalidModelOutput (scripted model output)", async () => {
  const job = await plan();
  const good = job.calls.map((call) => JSON.stringify({ sentences: [{ text: "I remember.", sources: [allowed(call)[0]] }] }));
  const foreign = [...good];
  foreign[1] = JSON.stringify({
    sentences: [
      { text: "I remember.", sources: [allowed(job.calls[1]!)[0]] },
      { text: "It was so.", sources: ["[DOCUMENT_9]#p99-1"] },
    ],
  });
  await assert.rejects(job.finish(foreign), (err: Error) => {
    assert.equal(err.name, "Affiant.CitationOutsidePrompt");
    assert.equal(
      err.message,
      `DraftDeclaration: ${job.calls[1]!.id} sentence 2 cites [DOCUMENT_9]#p99-1, not among the ${allowed(job.calls[1]!).length} source(s) in its prompt`,
    );
    return true;
  });
  const broken = [...good];
  broken[0] = '{"sentences":[{"text":"I rem';
  await assert.rejects(job.finish(broken), { name: "Affiant.InvalidModelOutput" });
  const noSources = [...good];
  noSources[0] = JSON.stringify({ sentences: [{ text: "I remember.", sources: [] }] });
  await assert.rejects(
    job.finish(noSources),
    (err: Error) => err.name === "Affiant.InvalidModelOutput" && /sentences\.0\.sources/.test(err.message),
  );
});

test("the real tiny model decodes under each call's grammar: JSON the schema accepts, every cited id from its prompt (structure only)", async () => {
  const session = await ModelSession.load({
    llama: await openLlama(),
    modelPath: path.join(root, "models/stories260K.gguf"),
    modelId: "stories-260k",
    stage: "DraftDeclaration",
    contextSize: 1024,
    threads: 1,
  });
  after(() => session.dispose());
  // The tiny model's own budget: a 1024-token context, the registry's 400 output tokens.
  const job = await planStage({
    stage: "DraftDeclaration",
    input,
    store,
    countTokens: (t) => session.model.tokenize(t).length,
    contextLimit: 1024,
    maxTokens: 400,
  });
  const outputs: string[] = [];
  for (const call of job.calls) {
    const r = await session.generate({
      prompt: call.prompt,
      maxTokens: call.maxTokens,
      temperature: 0,
      grammar: await session.createJsonGrammar(call.schema!),
    });
    assert.equal(r.hitBudget, false, `${call.id}: the JSON ended within ${call.maxTokens} tokens`);
    outputs.push(r.text);
  }
  const draft = await getJson<Draft>(store, await job.finish(outputs));
  for (const [i, p] of draft.paragraphs.entries()) {
    const ids = allowed(job.calls[i]!);
    if (job.calls[i]!.chunksUsed === 0) continue;
    assert.ok(p.sentences!.length >= 1, `${p.element}: at least one sentence`);
    for (const s of p.sentences!) {
      assert.ok(
        s.sources.length >= 1 && s.sources.every((id) => ids.includes(id)),
        `${p.element}: ${JSON.stringify(s.sources)} within its prompt's ids`,
      );
    }
  }
  assert.ok(
    draft.paragraphs.some((p) => p.sentences!.length > 0),
    "some paragraph had sources and sentences",
  );
});

/**
 * DraftDeclaration's chain as one hosted entry (so its failure is the chain's), with no facts
 * from ExtractFacts (scripted model output): the fallback Lambda's event for it.
 */
async function hostedDraftChain(entry: string) {
  const registryPath = path.join(env.AFFIANT_HOME!, "registry.json");
  const registry = JSON.parse(readFileSync(registryPath, "utf8"));
  registry.stages.DraftDeclaration.fallback = [entry];
  writeFileSync(registryPath, JSON.stringify(registry));
  await putJson(store, `${state.runKey}/facts.json`, { facts: [] });
  state.facts = scriptedReport("ExtractFacts", `${state.runKey}/facts.json`);
  return { stage: "DraftDeclaration", state, failure: { Error: "Affiant.WorkerCrashed" }, executionName: state.executionName };
}

test("hosted fallback (recording providers, fixed answers): the canned answer is stored with its citations; an answer citing a chunk not in the prompt fails that entry with Affiant.CitationOutsidePrompt", async () => {
  const event = await hostedDraftChain("openrouter:acme/case-model");

  const canned = await startRecordingProviders();
  const saved = { ...process.env };
  Object.assign(process.env, canned.env);
  try {
    const metrics = await generateFallback(event);
    assert.equal(metrics.provider, "openrouter");
    const draft = await getJson<Draft>(store, metrics.outputKey);
    const withSources = draft.paragraphs.filter((p) => p.sentences!.length > 0);
    assert.ok(withSources.length > 0);
    for (const p of withSources) {
      assert.equal(p.text, "I, [PERSON_1], remember this clearly. It happened as the records say.");
      assert.equal(p.sources.length, 1, "the one chunk the canned answer cites");
    }
    // The schema went with the prompt: as OpenRouter's response_format json_schema, its sources
    // limited to the prompt's own chunk ids, and in words.
    const body = JSON.parse(canned.requests.find((r) => r.body.includes("Paragraph as JSON"))!.body);
    assert.equal(body.response_format.type, "json_schema");
    assert.equal(body.response_format.json_schema.name, "answer");
    const ids: string[] = body.response_format.json_schema.schema.properties.sentences.items.properties.sources.items.enum;
    assert.ok(ids.length > 0 && ids.every((id) => body.messages[0].content.includes(id)), "every id the schema allows is in the prompt");
    assert.match(body.messages[0].content, /"sources":\{"type":"array","minItems":1/);
  } finally {
    await canned.close();
    process.env = saved;
  }

  const foreign = await startRecordingProviders({
    answer: (prompt) =>
      prompt.includes("Paragraph as JSON")
        ? JSON.stringify({ sentences: [{ text: "I remember.", sources: ["[DOCUMENT_9]#p99-1"] }] })
        : undefined,
  });
  Object.assign(process.env, foreign.env);
  try {
    await assert.rejects(generateFallback(event), (err: Error) => {
      assert.equal(err.name, "Affiant.NoProviderAvailable");
      assert.match(err.message, /openrouter:acme\/case-model: Affiant\.CitationOutsidePrompt/);
      return true;
    });
  } finally {
    await foreign.close();
    process.env = saved;
  }
});

test("hosted fallback on Bedrock (recording provider, canned answer): the schema is Converse's forced `answer` tool, the model's tool input is the answer, checked like any other", async () => {
  const event = await hostedDraftChain("bedrock:anthropic.claude-haiku-4-5-20251001-v1:0");
  const canned = await startRecordingProviders();
  const saved = { ...process.env };
  Object.assign(process.env, canned.env);
  try {
    const metrics = await generateFallback(event);
    assert.equal(metrics.provider, "bedrock");
    const draft = await getJson<Draft>(store, metrics.outputKey);
    const withSources = draft.paragraphs.filter((p) => p.sentences!.length > 0);
    assert.ok(withSources.length > 0, "the tool input became the paragraphs' sentences");
    for (const p of withSources)
      assert.deepEqual(
        p.sentences!.map((s) => s.text),
        ["I, [PERSON_1], remember this clearly.", "It happened as the records say."],
      );
    const calls = canned.requests
      .filter((r) => r.provider === "bedrock" && r.body.includes("Paragraph as JSON"))
      .map((r) => JSON.parse(r.body));
    assert.ok(calls.length > 0);
    for (const body of calls) {
      const tool = body.toolConfig.tools[0].toolSpec;
      assert.equal(tool.name, "answer");
      assert.deepEqual(body.toolConfig.toolChoice, { tool: { name: "answer" } }, "Claude takes a forced tool");
      const ids: string[] = tool.inputSchema.json.properties.sentences.items.properties.sources.items.enum;
      assert.ok(
        ids.length > 0 && ids.every((id) => body.messages[0].content[0].text.includes(id)),
        "the tool's schema allows only the prompt's chunk ids",
      );
    }
  } finally {
    await canned.close();
    process.env = saved;
  }
});
