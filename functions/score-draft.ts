/**
 * Score (Lambda): combines the three judges' votes with how well each draft sentence is
 * supported by the sources it cites (lexical overlap here; embedding similarity joins when
 * an embedding model is configured, issue #5). Decides whether a rewrite round is due.
 */
import { blobStore, getJson, openBlobStore, putJson, type BlobStore } from "../core/blob-store.ts";
import type { Draft } from "../core/declaration.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import type { StoredIndex } from "../core/retrieval.ts";
import type { JudgeOutput } from "../containers/llama-worker/stages.ts";
import { withTelemetry } from "../core/telemetry.ts";

export interface ScoreEvent {
  state: PipelineState;
}

export interface ScoreOutput {
  value: number;
  rewrite: boolean;
  scoreKey: string;
}

const stopwords = new Set("a an the and or but of to in on at for with by from as is was were be been are it its this that he she they i my me we our you your his her their them not no so if then than".split(" "));

function words(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .replace(/\[[a-z_]+_\d+\]/g, " ")
      .split(/[^a-z0-9áéíóúñü]+/)
      .filter((w) => w.length > 2 && !stopwords.has(w)),
  );
}

/** Share of a sentence's content words found in its best-matching source chunk. */
export function support(sentence: string, sources: string[]): number {
  const s = words(sentence);
  if (s.size === 0) return 0;
  let best = 0;
  for (const src of sources) {
    const w = words(src);
    let hit = 0;
    for (const x of s) if (w.has(x)) hit++;
    best = Math.max(best, hit / s.size);
  }
  return best;
}

export const supportThreshold = 0.35;

export async function scoreDraft(event: ScoreEvent, store: BlobStore = blobStore()): Promise<ScoreOutput> {
  const { state } = event;
  if (!state.draft || !state.judges || !state.index) throw new Error("Score needs $.draft, $.judges and $.index");
  const draft = await getJson<Draft>(store, state.draft.outputKey);
  const index = await getJson<StoredIndex>(store, state.index.indexKey);
  const byId = new Map(index.chunks.map((c) => [c.id, c.text]));
  const verdicts: Array<JudgeOutput & { stage: string }> = [];
  for (const report of state.judges) verdicts.push({ stage: report.stage, ...(await getJson<JudgeOutput>(store, report.outputKey)) });
  const judgeScore = verdicts.reduce((n, v) => n + (v.score - 1) / 4, 0) / Math.max(1, verdicts.length);

  const sentences = draft.paragraphs.flatMap((p) =>
    p.text
      .split(/(?<=[.!?])\s+/)
      .filter((s) => s.trim().length > 0)
      .map((s) => ({ element: p.element, sentence: s, support: support(s, p.sources.map((id) => byId.get(id) ?? "")) })),
  );
  const supported = sentences.filter((s) => s.support >= supportThreshold).length;
  const supportScore = sentences.length ? supported / sentences.length : 0;
  const value = Math.round((0.5 * judgeScore + 0.5 * supportScore) * 1000) / 1000;
  const rewrite = value < state.scoreThreshold && state.rewrites.n < state.maxRewrites;

  const scoreKey = `${state.runKey}/score-r${state.rewrites.n}.json`;
  await putJson(store, scoreKey, {
    value,
    judgeScore,
    supportScore,
    threshold: state.scoreThreshold,
    round: state.rewrites.n,
    judges: verdicts.map((v) => ({ stage: v.stage, score: v.score, reasons: v.reasons })),
    // Indices only: the sentences themselves stay in the draft blob.
    unsupported: sentences.map((s, i) => ({ i, element: s.element, support: Math.round(s.support * 100) / 100 })).filter((s) => s.support < supportThreshold),
  });
  log("info", "score.done", { caseId: state.caseId, execution: state.executionName, value, judgeScore, supportScore, sentences: sentences.length, rewrite });
  return { value, rewrite, scoreKey };
}

export const handler = withTelemetry("Score", async (event: ScoreEvent): Promise<ScoreOutput> => scoreDraft(event, await openBlobStore()));
