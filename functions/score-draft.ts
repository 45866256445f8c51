/**
 * Score (Lambda): combines the three judges' votes, lexical support of each draft
 * sentence by the chunks it cites, and, when the index has vectors, a BERTScore-style
 * grounding F1 (scoring/grounding.ts). Decides whether a rewrite round is due.
 *
 *   base  = 0.5 · judges + 0.5 · support
 *   value = (1 − w) · base + w · groundingF1   (w: registry embedding.grounding.weight)
 *   value = base                                (no vectors: the report says why)
 */
import { type BlobStore, blobStore, getJson, openBlobStore, putJson } from "../core/blob-store.ts";
import { type Draft, paragraphLabel } from "../core/declaration.ts";
import { InvalidInputError } from "../core/errors.ts";
import { caseElements } from "../core/legal-elements.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { loadRegistry, type Registry } from "../core/registry.ts";
import { loadIndexVectors, type StoredIndex } from "../core/retrieval.ts";
import type { PlaceholderProblem } from "../core/roles.ts";
import { type JudgeOutput, uncoveredElements } from "../core/stages/judge.ts";
import { withTelemetry } from "../core/telemetry.ts";
import { type CheckOutput, checkDraftPlaceholders } from "./check-placeholders.ts";
import { embeddingGuard } from "./embeddings/guard.ts";
import { type EmbeddingsMode, embeddingsMode, openEmbedder } from "./embeddings/open.ts";
import { type GroundingResult, groundingScore } from "./scoring/grounding.ts";
import { draftSentences, paragraphSentences, support, supportThreshold } from "./scoring/support.ts";

export interface ScoreEvent {
  state: PipelineState;
  /** "placeholders": the CheckPlaceholders state, which shares this function. */
  check?: "placeholders";
}

export interface ScoreOutput {
  value: number;
  /** The gate: the value reached the threshold and no hard failure (see {@link gateFailures}). */
  passed: boolean;
  rewrite: boolean;
  scoreKey: string;
}

export { sentencesOf, support, supportThreshold } from "./scoring/support.ts";

export interface ScoreOptions {
  /** Default: the registry in force. */
  registry?: Registry;
  /** Default: AFFIANT_EMBEDDINGS; "off" skips grounding. The index's vectors decide the provider. */
  mode?: EmbeddingsMode;
}

export interface GroundingReport extends GroundingResult {
  provider: string;
  model: string;
  weight: number;
  baseline: number;
  /** Sentences too long for the model's window, embedded in parts. */
  split: number;
}

/**
 * Embeds the draft's sentences with the model that embedded the index (another model's
 * vectors would not be comparable) and scores them against the cited chunks' vectors.
 */
async function grounding(
  state: PipelineState,
  draft: Draft,
  index: StoredIndex,
  store: BlobStore,
  options: ScoreOptions,
): Promise<GroundingReport | { skipped: string }> {
  const e = index.embedding;
  if (!e) return { skipped: index.embeddingSkipped ?? "the index has no vectors" };
  if ((options.mode ?? embeddingsMode()) === "off") return { skipped: "AFFIANT_EMBEDDINGS=off" };
  const registry = options.registry ?? loadRegistry();
  const guard = e.provider === "bedrock" ? await embeddingGuard(store, state, "Score") : undefined;
  const choice = await openEmbedder(registry, { mode: e.provider, guard });
  if ("skipped" in choice) return { skipped: choice.skipped };
  const { embedder, documentPrefix, config } = choice;
  try {
    if (embedder.model !== e.model) return { skipped: `the index was embedded with ${e.model}; the registry now names ${embedder.model}` };
    const vectors = (await loadIndexVectors(store, index))!;
    const position = new Map(index.chunks.map((c, i) => [c.id, i]));
    const sentences = draft.paragraphs.map((p) => paragraphSentences(p));
    const flat = await embedder.embed(sentences.flat().map((s) => documentPrefix + s.text));
    let next = 0;
    const paragraphs = draft.paragraphs.map((p, i) => {
      const cited = p.sources.filter((id) => position.has(id));
      return {
        element: p.element,
        sentences: sentences[i]!.map(() => flat[next++]!),
        sources: cited.map((id) => vectors.chunks[position.get(id)!]!),
        // Each sentence against the chunks it cites itself.
        cites: sentences[i]!.map((s) => s.sources.flatMap((id) => (cited.includes(id) ? [cited.indexOf(id)] : []))),
      };
    });
    const { weight, baseline } = config.grounding;
    return {
      ...groundingScore(paragraphs, { baseline }),
      provider: embedder.provider,
      model: embedder.model,
      weight,
      baseline,
      split: embedder.truncations.length,
    };
  } finally {
    await embedder.dispose();
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Faithfulness at or below this fails the gate whatever the average. */
export const faithfulnessFloor = 2;

/**
 * Why the draft fails the gate, each named; empty when it passes. Faithfulness cannot be
 * outvoted by coverage and tone: a score of 2 or less, or one unsupported sentence, fails
 * it whatever the average, as does a placeholder problem the rewrites left.
 */
export function gateFailures(g: {
  value: number;
  threshold: number;
  faithfulness?: number;
  sentences: number;
  unsupported: number;
  placeholderProblems: number;
  /** Elements the coverage judge's checklist failed: each fails the gate by name. */
  uncovered?: Array<{ element: string; title?: string; reason: string }>;
}): string[] {
  const out: string[] = [];
  for (const u of g.uncovered ?? []) out.push(`element ${u.element}${u.title ? ` (${u.title})` : ""} not covered: ${u.reason}`);
  if (g.faithfulness !== undefined && g.faithfulness <= faithfulnessFloor)
    out.push(`faithfulness ${g.faithfulness} of 5 (at most ${faithfulnessFloor} fails)`);
  if (g.sentences === 0) out.push("no sentence drafted");
  if (g.unsupported > 0) out.push(`${g.unsupported} of ${g.sentences} sentence(s) not supported by their sources`);
  if (g.placeholderProblems > 0) out.push(`${g.placeholderProblems} placeholder problem(s) left by the rewrites`);
  if (g.value < g.threshold) out.push(`score ${g.value} below the threshold ${g.threshold}`);
  return out;
}

export async function scoreDraft(event: ScoreEvent, store: BlobStore = blobStore(), options: ScoreOptions = {}): Promise<ScoreOutput> {
  const { state } = event;
  if (!state.draft || !state.judges || !state.index)
    throw new InvalidInputError("Score needs $.draft, $.judges and $.index", { state: "Score" });
  const draft = await getJson<Draft>(store, state.draft.outputKey);
  const index = await getJson<StoredIndex>(store, state.index.indexKey);
  const byId = new Map(index.chunks.map((c) => [c.id, c.text]));
  const verdicts: Array<JudgeOutput & { stage: string }> = [];
  for (const report of state.judges) verdicts.push({ stage: report.stage, ...(await getJson<JudgeOutput>(store, report.outputKey)) });
  const judgeScore = verdicts.reduce((n, v) => n + (v.score - 1) / 4, 0) / Math.max(1, verdicts.length);

  // Each sentence against its own sources (the ones it cites), placeholders kept.
  const sentences = draftSentences(draft).map((s) => ({
    ...s,
    support: support(
      s.text,
      s.sources.map((id) => byId.get(id) ?? ""),
    ),
  }));
  const supported = sentences.filter((s) => s.support >= supportThreshold).length;
  const supportScore = sentences.length ? supported / sentences.length : 0;
  const base = 0.5 * judgeScore + 0.5 * supportScore;
  const ground = await grounding(state, draft, index, store, options);
  const value = round3("skipped" in ground ? base : (1 - ground.weight) * base + ground.weight * ground.f1);
  // The coverage judge's checklist: an element it failed fails the gate, named.
  const titles = new Map((await caseElements(store, state.runKey, state.caseType)).elements.map((e) => [e.id, e.title]));
  const uncovered = verdicts.flatMap((v) => uncoveredElements(v, draft)).map((u) => ({ ...u, title: titles.get(u.element) }));
  const failures = gateFailures({
    value,
    threshold: state.scoreThreshold,
    faithfulness: verdicts.find((v) => v.stage === "JudgeFaithfulness")?.score,
    sentences: sentences.length,
    unsupported: sentences.length - supported,
    placeholderProblems: state.placeholders?.problems ?? 0,
    uncovered,
  });
  // Name what the rewrites left (placeholders, element ids and kinds: no value), for the banner.
  if (state.placeholders?.problems) {
    const check = await getJson<{ problems: PlaceholderProblem[] }>(store, state.placeholders.checkKey);
    failures.push(...check.problems.slice(0, 5).map((p) => `${paragraphLabel(draft, p.element)}: ${p.detail}`));
  }
  const sentenceScores = sentences.map((s) => ({
    i: s.i,
    paragraph: s.paragraph,
    element: s.element,
    sentence: s.sentence,
    text: s.text,
    sources: s.sources,
    support: Math.round(s.support * 100) / 100,
    supported: s.support >= supportThreshold,
  }));
  const passed = failures.length === 0;
  const rewrite = !passed && state.rewrites.n < state.maxRewrites;

  const scoreKey = `${state.runKey}/score-r${state.rewrites.n}.json`;
  await putJson(store, scoreKey, {
    value,
    passed,
    // Rounds spent and the gate still failing: the declaration ships marked as failing review.
    failures,
    placeholdersKey: state.placeholders?.checkKey ?? null,
    judgeScore,
    supportScore,
    // Numbers and element ids only, like the rest of the report.
    grounding:
      "skipped" in ground
        ? { skipped: ground.skipped }
        : {
            ...ground,
            precision: round3(ground.precision),
            recall: round3(ground.recall),
            f1: round3(ground.f1),
            elements: ground.elements.map((x) => ({ ...x, precision: round3(x.precision), recall: round3(x.recall), f1: round3(x.f1) })),
            min: ground.min && { element: ground.min.element, f1: round3(ground.min.f1) },
          },
    threshold: state.scoreThreshold,
    round: state.rewrites.n,
    judges: verdicts.map((v) => ({ stage: v.stage, score: v.score, reasons: v.reasons, ...(v.elements ? { elements: v.elements } : {}) })),
    // Elements the checklist failed, with the judge's reason.
    uncovered,
    // Every sentence's score against the sources it cites, and the unsupported ones: `i` across
    // the draft, `paragraph` and `sentence` (0-based) within it, the redacted text (placeholders,
    // as the draft blob holds it) and the cited chunk ids.
    sentenceScores,
    unsupported: sentenceScores.filter((s) => !s.supported),
  });
  const groundingF1 = "skipped" in ground ? null : round3(ground.f1);
  if ("skipped" in ground)
    log("warn", "score.grounding_skipped", { caseId: state.caseId, execution: state.executionName, reason: ground.skipped });
  log("info", "score.done", {
    caseId: state.caseId,
    execution: state.executionName,
    value,
    passed,
    failures: failures.length,
    judgeScore,
    supportScore,
    groundingF1,
    sentences: sentences.length,
    rewrite,
  });
  return { value, passed, rewrite, scoreKey };
}

export const handler = withTelemetry(
  "Score",
  async (event: ScoreEvent): Promise<ScoreOutput | CheckOutput> =>
    event.check === "placeholders" ? checkDraftPlaceholders(event.state, await openBlobStore()) : scoreDraft(event, await openBlobStore()),
);
