/**
 * The worker's generation loop on the committed model: chat templates, the thought budget,
 * grammar-constrained answers, the loop detector and context sizing.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import path from "node:path";
import { after, test } from "node:test";
import { type Llama, LlamaLogLevel } from "node-llama-cpp";
import { placeModel, planModel, sizeContext } from "../../containers/llama-worker/context-plan.ts";
import { repeatsItself } from "../../containers/llama-worker/loop-detector.ts";
import { ModelSession, openLlama } from "../../containers/llama-worker/model-session.ts";
import { formatPrompt } from "../../containers/llama-worker/prompt-format.ts";
import { setEnv } from "../../core/config.ts";
import { openCpuLlama, testedBinding } from "../../core/llama-binding.ts";
import { root } from "../helpers.ts";

const modelPath = path.join(root, "models/stories260K.gguf");
const session = await ModelSession.load({
  llama: await openLlama(),
  modelPath,
  modelId: "stories-260k",
  stage: "Test",
  contextSize: 1024,
  threads: 1,
});
after(() => session.dispose());

test("a model without a chat template gets the raw prompt; a named template wraps it", () => {
  const raw = formatPrompt(session.model, "Once upon a time", { chatWrapper: "auto", thoughtBudget: 0 });
  assert.equal(raw.wrapper, "none");
  assert.deepEqual(raw.tokens, session.model.tokenize("Once upon a time"));
  const qwen = formatPrompt(session.model, "Once upon a time", { chatWrapper: "qwen", thoughtBudget: 0 });
  assert.equal(qwen.wrapper, "Qwen");
  const text = session.model.detokenize(qwen.tokens, true);
  assert.match(text, /<\|im_start\|>user\nOnce upon a time ?<\|im_end\|>/);
  assert.match(text, /<think>\n\n<\/think>\n\n$/, "thinking off: an empty, closed thought");
  assert.ok(qwen.stopTriggers.includes("<|im_end|>"));
});

test("the thought budget closes a thought that runs long, and the answer comes after it", async () => {
  const r = await session.generate({
    prompt: "Tell me a story.",
    maxTokens: 40,
    temperature: 0,
    format: { chatWrapper: "qwen", thoughtBudget: 24 },
  });
  const suffixLength = session.model.tokenize("\n</think>").length;
  assert.equal(r.thoughtTokens, 24 + suffixLength, "exactly the budget, then the forced closing");
  assert.ok(r.tokens.length > r.thoughtTokens, "an answer follows the thought");
  assert.doesNotMatch(r.text, /<\/?think>/);
  assert.ok(r.tokens.length - r.thoughtTokens <= 40);
});

test("a JSON answer after a capped thought is still grammar-constrained", async () => {
  const grammar = await session.createJsonGrammar({ type: "object", properties: { score: { enum: [1, 2, 3, 4, 5] } } });
  const r = await session.generate({
    prompt: "Score it.",
    maxTokens: 60,
    temperature: 0,
    grammar,
    format: { chatWrapper: "qwen", thoughtBudget: 16 },
  });
  assert.ok(r.thoughtTokens >= 16);
  const parsed = JSON.parse(r.text) as { score: number };
  assert.ok([1, 2, 3, 4, 5].includes(parsed.score), r.text);
});

test("an injected loop is stopped by the loop detector, not by the token cap", async () => {
  await assert.rejects(
    session.generate({ prompt: "Once upon a time", maxTokens: 500, fault: "loop" }),
    (e: Error) =>
      e.name === "Affiant.GenerationRunaway" &&
      /repeating itself after (\d+) tokens/.test(e.message) &&
      Number(/after (\d+)/.exec(e.message)![1]) < 100,
  );
});

test("loop detection ignores short repeats and catches long ones", () => {
  assert.equal(repeatsItself([1, 2, 1, 2, 1, 2]), false, "three short repeats are prose");
  assert.equal(repeatsItself(Array.from({ length: 30 }, (_, i) => i % 5)), true);
  assert.equal(repeatsItself(Array.from({ length: 60 }, (_, i) => (i * 7919) % 97)), false);
});

test("the context is prompt + output + margin, and too much is refused, not truncated", async () => {
  const plan = await planModel({ modelId: "stories-260k", modelPath, stage: "Test", memoryBudgetBytes: 2 ** 30 });
  assert.equal(
    await sizeContext({ stage: "Test", modelId: "stories-260k", promptTokens: 500, maxTokens: 200, plan, memoryBudgetBytes: 2 ** 30 }),
    716,
  );
  await assert.rejects(
    sizeContext({
      stage: "DraftDeclaration",
      modelId: "stories-260k",
      promptTokens: 1900,
      maxTokens: 400,
      plan,
      memoryBudgetBytes: 2 ** 30,
    }),
    (e: Error & { state?: string; model?: string }) =>
      e.name === "Affiant.ContextTooLarge" &&
      e.state === "DraftDeclaration" &&
      e.model === "stories-260k" &&
      /needs 2316 tokens .* trained maximum is 2048/.test(e.message),
  );
  await assert.rejects(
    sizeContext({ stage: "Test", modelId: "stories-260k", promptTokens: 100, maxTokens: 100, plan, memoryBudgetBytes: 1024 }),
    (e: Error) => e.name === "Affiant.ContextTooLarge" && /MiB; one GPU of its host class has 0 MiB/.test(e.message),
  );
});

test("a registry model's flashAttention reaches llama.cpp: off where the shipped registry turns it off (the committed model), llama.cpp's choice when unset", async () => {
  const shipped = JSON.parse(readFileSync(path.join(root, "models/registry.json"), "utf8")) as {
    models: Record<string, { flashAttention?: boolean }>;
  };
  assert.equal(shipped.models["stories-260k"]?.flashAttention, false);
  assert.equal(session.model.defaultContextFlashAttention, "auto");
  const off = await ModelSession.load({
    llama: await openLlama(),
    modelPath,
    modelId: "stories-260k",
    stage: "Test",
    contextSize: 256,
    threads: 1,
    flashAttention: shipped.models["stories-260k"]?.flashAttention,
  });
  try {
    assert.equal(off.model.defaultContextFlashAttention, false);
    const answer = await off.generate({ prompt: "Once upon a time", maxTokens: 8, temperature: 0 });
    assert.ok(answer.tokens.length > 0, "the model generates without flash attention");
  } finally {
    await off.dispose();
  }
});

test("on the CPU build no layer goes on a GPU, and the stage metrics say so", () => {
  assert.deepEqual(session.placement, { gpuLayers: 0 });
});

test("a context that fills up throws ContextTooLarge instead of erasing the prompt's start", async () => {
  const small = await ModelSession.load({
    llama: await openLlama(),
    modelPath,
    modelId: "stories-260k",
    stage: "Test",
    contextSize: 48,
    threads: 1,
  });
  try {
    // llama.cpp rounds a context up to 256 tokens; a prompt longer than that must overflow it.
    const prompt = "Once upon a time there was a little girl who lived in a village near the forest. ".repeat(20);
    assert.ok(small.countTokens(prompt) > 256);
    await assert.rejects(small.generate({ prompt, maxTokens: 20, temperature: 0 }), (e: Error) => {
      assert.equal(e.name, "Affiant.ContextTooLarge");
      assert.match(e.message, /filled its 256-token context; the prompt's start is not erased/);
      return true;
    });
  } finally {
    await small.dispose();
  }
});

test("on a GPU every layer must fit in the VRAM free now, or Affiant.ModelDoesNotFit (llama.cpp's VRAM report stubbed: no GPU here)", async () => {
  const plan = await planModel({ modelId: "stories-260k", modelPath, stage: "Test", memoryBudgetBytes: 2 ** 30 });
  const gpu = (free: number) =>
    ({
      gpu: "cuda",
      getVramState: async () => ({ total: 24 * 2 ** 30, used: 24 * 2 ** 30 - free, free, unifiedSize: 0 }),
    }) as unknown as Llama;
  assert.equal(
    await placeModel(gpu(2 ** 30), { stage: "DraftDeclaration", modelId: "stories-260k", contextSize: 1024, plan }),
    plan.insights.totalLayers,
    "all layers",
  );
  await assert.rejects(
    placeModel(gpu(1024), { stage: "DraftDeclaration", modelId: "stories-260k", contextSize: 1024, plan }),
    (e: Error & { state?: string; model?: string }) => {
      assert.equal(e.name, "Affiant.ModelDoesNotFit");
      assert.equal(e.state, "DraftDeclaration");
      assert.match(e.message, /needs ~\d+ MiB of GPU memory for all \d+ layers at 1024 tokens of context; 0 MiB of 24576 MiB is free/);
      return true;
    },
  );
  assert.equal(
    await placeModel(await openLlama(), { stage: "Test", modelId: "stories-260k", contextSize: 1024, plan }),
    0,
    "the CPU build places nothing",
  );
});

test("the CPU binary tested once is loaded without node-llama-cpp's test child; a changed file is tested again", async () => {
  // Counts the processes node-llama-cpp forks (its binary test is a fork of testBindingBinary.js).
  const childProcess = createRequire(import.meta.url)("node:child_process") as typeof import("node:child_process");
  const fork = childProcess.fork;
  const forked: string[] = [];
  childProcess.fork = ((modulePath: string, ...rest: unknown[]) => {
    forked.push(path.basename(String(modulePath)));
    return (fork as (...a: unknown[]) => unknown)(modulePath, ...rest);
  }) as typeof fork;
  syncBuiltinESMExports();
  try {
    const tested = await testedBinding(LlamaLogLevel.error);
    assert.ok(tested, "the binary getLlama tested is the one this process mapped");
    assert.equal(path.basename(tested.bindingPath), "llama-addon.node");
    assert.ok(
      forked.some((f) => f.startsWith("testBindingBinary")),
      `getLlama tested the binary in a child: ${forked.join(", ")}`,
    );

    forked.splice(0);
    let restore = setEnv({ AFFIANT_LLAMA_BINDING: JSON.stringify(tested) });
    try {
      const llama = await openCpuLlama(LlamaLogLevel.error);
      assert.equal(forked.length, 0, `no test child for a binary already tested: ${forked.join(", ")}`);
      assert.equal(llama.gpu, false);
      assert.equal(llama.buildType, "prebuilt");
      const model = await llama.loadModel({ modelPath });
      assert.deepEqual(model.tokenize("Once upon a time"), session.model.tokenize("Once upon a time"), "the same model, the same tokens");
      await model.dispose();
      await llama.dispose();
    } finally {
      restore();
    }

    restore = setEnv({ AFFIANT_LLAMA_BINDING: JSON.stringify({ ...tested, mtimeMs: tested.mtimeMs + 1 }) });
    try {
      const llama = await openCpuLlama(LlamaLogLevel.error);
      assert.ok(
        forked.some((f) => f.startsWith("testBindingBinary")),
        "a file that changed since its test is tested again",
      );
      await llama.dispose();
    } finally {
      restore();
    }
  } finally {
    childProcess.fork = fork;
    syncBuiltinESMExports();
  }
});
