/**
 * A BERTScore-style grounding score with sentences and chunks as the units (BERTScore
 * matches tokens): each draft sentence is matched greedily to its most similar cited
 * chunk (precision: is what the draft says in its sources?) and each cited chunk to its
 * most similar sentence of the paragraph citing it (recall: did the paragraph use what it
 * was given?); F1 is their harmonic mean. Similarities are cosines of unit vectors,
 * rescaled against a baseline as BERTScore does: (cos − b) / (1 − b), floored at 0.
 */
import { dot } from "../../core/vectors.ts";

export interface GroundingParagraph {
  element: string;
  /** One unit vector per sentence of the paragraph. */
  sentences: Float32Array[];
  /** One unit vector per chunk the paragraph cites. */
  sources: Float32Array[];
  /**
   * Per sentence, the indexes into `sources` of the chunks it cites itself: its precision is
   * its best match among those. Absent: every sentence against all of the paragraph's.
   */
  cites?: number[][];
}

export interface GroundingScores {
  precision: number;
  recall: number;
  f1: number;
}

export interface ElementGrounding extends GroundingScores {
  element: string;
  sentences: number;
  sources: number;
}

export interface GroundingResult extends GroundingScores {
  elements: ElementGrounding[];
  /** The weakest paragraph: a declaration is as credible as its least supported part. */
  min: { element: string; f1: number } | null;
}

export interface GroundingOptions {
  /** Cosine that counts as no similarity. Default: 0. */
  baseline?: number;
}

const f1Of = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Each row's best match among `columns` (0 when there are none). */
function greedy(rows: Float32Array[], columns: Float32Array[], sim: (a: Float32Array, b: Float32Array) => number): number[] {
  return rows.map((r) => columns.reduce((best, c) => Math.max(best, sim(r, c)), 0));
}

/**
 * Per paragraph and overall. Overall precision pools every sentence and overall recall
 * every (paragraph, cited chunk) pair, so an empty paragraph that cites chunks lowers
 * recall and a paragraph that cites nothing lowers precision.
 */
export function groundingScore(paragraphs: GroundingParagraph[], options: GroundingOptions = {}): GroundingResult {
  const b = options.baseline ?? 0;
  const sim = (x: Float32Array, y: Float32Array) => Math.min(1, Math.max(0, (dot(x, y) - b) / (1 - b)));
  const allP: number[] = [];
  const allR: number[] = [];
  const elements = paragraphs.map((p) => {
    const pBest = p.cites
      ? p.sentences.map(
          (v, i) =>
            greedy(
              [v],
              p.cites![i]!.map((j) => p.sources[j]!),
              sim,
            )[0]!,
        )
      : greedy(p.sentences, p.sources, sim);
    const rBest = greedy(p.sources, p.sentences, sim);
    allP.push(...pBest);
    allR.push(...rBest);
    const precision = mean(pBest);
    const recall = mean(rBest);
    return { element: p.element, precision, recall, f1: f1Of(precision, recall), sentences: p.sentences.length, sources: p.sources.length };
  });
  const precision = mean(allP);
  const recall = mean(allR);
  const weakest = elements.reduce<ElementGrounding | null>((m, e) => (m === null || e.f1 < m.f1 ? e : m), null);
  return { precision, recall, f1: f1Of(precision, recall), elements, min: weakest && { element: weakest.element, f1: weakest.f1 } };
}
