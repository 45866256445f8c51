/**
 * The loop detector on legal text, with the committed model's real tokenizer: a repeated
 * paragraph longer than 64 tokens, dot leaders and signature lines, and the thought's
 * closing marker as a special token (token ids scripted where the tiny model has none).
 */

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { closesThought, fillerByText, repeatsItself } from "../../containers/llama-worker/loop-detector.ts";
import { openLlama } from "../../containers/llama-worker/model-session.ts";
import { formatPrompt } from "../../containers/llama-worker/prompt-format.ts";
import { loadRegistry, modelFilePath } from "../../core/registry.ts";

const llama = await openLlama();
const model = await llama.loadModel({ modelPath: modelFilePath(loadRegistry(), "stories-260k"), vocabOnly: true });
after(async () => {
  await model.dispose();
  await llama.dispose();
});
const tok = (text: string) => [...model.tokenize(text)] as number[];
const isFiller = fillerByText((t) => model.detokenize([t as never], true));

const paragraph =
  "On the night of March third my husband locked the front door, took my passport and my phone, and told me that if I called the police he would make sure I was sent back and never saw my children again. I stayed in the bedroom until morning because I was afraid of him.";

test("a paragraph of more than 64 tokens said twice in a row is a loop; said once, or once more after other text, it is not", () => {
  const p = tok(` ${paragraph}`);
  assert.ok(p.length > 64, `the paragraph is ${p.length} tokens`);
  const intro = tok("I, the declarant, state the following.");
  assert.equal(repeatsItself([...intro, ...p], { isFiller }), false);
  assert.equal(repeatsItself([...intro, ...p, ...p], { isFiller }), true);
  assert.equal(repeatsItself([...intro, ...p, ...tok(" Later that week"), ...p.slice(0, 40)], { isFiller }), false);
  // Before, only units up to 64 tokens were looked for.
  assert.equal(repeatsItself([...intro, ...p, ...p], { isFiller, maxPeriod: 64 }), false);
});

test("dot leaders and signature lines are layout, not a loop; words repeating among them still are", () => {
  const toc = tok("Statement of facts ............................................................................ 3");
  assert.equal(repeatsItself(toc.slice(0, -1), { isFiller }), false, "a dot leader");
  const signature = tok("Signature: ______________________________________________________________________");
  assert.equal(repeatsItself(signature, { isFiller }), false, "a signature line");
  const dashes = tok("- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -");
  assert.equal(repeatsItself(dashes, { isFiller }), false);
  assert.equal(repeatsItself(dashes), true, "without the filler rule the same tokens read as a loop");
  assert.equal(
    repeatsItself(tok(" and then he said again that and then he said again that and then he said again that and then he said again that"), {
      isFiller,
    }),
    true,
  );
});

test("the thought closes on its marker as a special token (scripted ids: the marker has no plain text), or as text", () => {
  const close = 32001;
  const detok = (tokens: number[]) => tokens.map((t) => (t === close ? "</think>" : model.detokenize([t as never], true))).join("");
  const thinking = tok("Let me think about the dates");
  assert.equal(closesThought([...thinking, close], [close], "\n</think>", detok), true, "the special token alone, no newline before it");
  assert.equal(closesThought(thinking, [close], "\n</think>", detok), false);
  assert.equal(closesThought([...thinking, ...tok(" </think>")], [close], "\n</think>", detok), true, "spelled as text");
});

test("with a <think> chat template (qwen), the markers the prompt carries are what closesThought looks for", () => {
  const f = formatPrompt(model, "Tell me what happened.", { chatWrapper: "qwen", thoughtBudget: 16 });
  assert.ok(f.thought, "the qwen template has a thought segment");
  assert.match(f.thought.suffix, /<\/think>/);
  const detok = (t: number[]) => model.detokenize(t as never, true);
  assert.equal(
    closesThought(
      [...tok("I recall"), ...(f.thought.suffixTokens as number[])],
      f.thought.suffixTokens as number[],
      f.thought.suffix,
      detok,
    ),
    true,
  );
  assert.equal(closesThought(tok("I recall the"), f.thought.suffixTokens as number[], f.thought.suffix, detok), false);
});
