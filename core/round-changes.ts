/**
 * The redline of a review round, as the review document carries it: types only, shared by
 * the code that builds it (functions/review/redline.ts) and the viewer that draws it
 * (api/viewer/browser/), whose browser project may import this module and word-diff.ts
 * (neither touches Node) but nothing from functions/.
 */
import type { RedlinePart } from "./word-diff.ts";

export type { RedlinePart };

export interface RedlineParagraph {
  element: string;
  heading: string;
  /** Its number in the filing version last round and now (null: nothing drafted in that version). */
  before: number | null;
  after: number | null;
  /** rewritten: the round rewrote it and its words changed; unchanged: rewritten to the same words; kept: the notes named others; locked: verified. */
  status: "rewritten" | "unchanged" | "kept" | "locked";
  /** The attorney's note on this paragraph, as the rewrite read it (redacted, then re-injected). */
  note?: string;
  redline: RedlinePart[];
}

export interface RoundChanges {
  /** The draft the attorney reviewed last round (its blob key): the redline's "before". */
  against: string;
  /** True when the notes named paragraphs (only those were rewritten); false: every paragraph not locked was. */
  scoped: boolean;
  paragraphs: RedlineParagraph[];
}
