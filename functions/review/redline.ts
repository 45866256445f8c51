/**
 * The redline of a review round: each paragraph of the new draft against the draft the
 * attorney reviewed last round (a word-level diff), with what the round was allowed to do to
 * it: rewritten (the notes named it, or named none), kept as it was (the notes named others),
 * locked as verified. Built with placeholders from the round's scope (core/review-paragraphs.ts)
 * and re-injected with the rest of the review document.
 */
import type { Draft } from "../../core/declaration.ts";
import { filingParagraphs, keptByScope, type RewriteScope } from "../../core/review-paragraphs.ts";
import type { RedlineParagraph, RedlinePart, RoundChanges } from "../../core/round-changes.ts";
import { unchanged, wordDiff } from "../../core/word-diff.ts";

export type { RedlineParagraph, RoundChanges };

export function buildRoundChanges(previous: Draft, draft: Draft, scope: RewriteScope): RoundChanges {
  const numbers = (d: Draft) => new Map(filingParagraphs(d).flatMap((p) => (p.element ? [[p.element, p.number] as const] : [])));
  const before = numbers(previous);
  const after = numbers(draft);
  return {
    against: scope.reviewedVersion,
    scoped: scope.rewrite !== null,
    paragraphs: draft.paragraphs.map((p) => {
      const old = previous.paragraphs.find((q) => q.element === p.element);
      const redline = wordDiff(old?.text.trim() ?? "", p.text.trim());
      const locked = scope.locked.some((l) => l.element === p.element);
      const note = scope.rewrite?.find((r) => r.element === p.element)?.note;
      return {
        element: p.element,
        heading: p.title,
        before: before.get(p.element) ?? null,
        after: after.get(p.element) ?? null,
        status: locked ? "locked" : keptByScope(scope, p.element) ? "kept" : unchanged(redline) ? "unchanged" : "rewritten",
        ...(note ? { note } : {}),
        redline,
      };
    }),
  };
}

/** Every string through `f` (Reinject's placeholder → value mapping). */
export function mapRoundChanges(changes: RoundChanges, f: (text: string) => string): RoundChanges {
  return {
    ...changes,
    paragraphs: changes.paragraphs.map((p) => ({
      ...p,
      heading: f(p.heading),
      ...(p.note ? { note: f(p.note) } : {}),
      redline: p.redline.map((r) => ({ ...r, text: f(r.text) })),
    })),
  };
}

const numbered = (ps: RedlineParagraph[]) => ps.map((p) => p.after ?? p.before ?? "–").join(", ") || "none";

export const roundChangesTitle = "Changes since the last round";

/** What the round could touch and did, the same lines in Markdown and DOCX. */
export function roundChangesSummary(changes: RoundChanges): { lead: string; items: string[] } {
  const by = (s: RedlineParagraph["status"]) => changes.paragraphs.filter((p) => p.status === s);
  return {
    lead: `Against the draft reviewed last round. ${changes.scoped ? "The notes named paragraphs: only those were rewritten." : "The notes named no paragraph: every paragraph not locked was rewritten."}`,
    items: [
      `Rewritten: ${numbered(by("rewritten"))}`,
      `Rewritten to the same words: ${numbered(by("unchanged"))}`,
      `Kept as they were (not named by the notes): ${numbered(by("kept"))}`,
      `Locked as verified: ${numbered(by("locked"))}`,
    ],
  };
}

/** The redline in Markdown: deletions struck through (~~…~~), insertions in bold (**…**). */
export function renderRoundChangesMarkdown(changes: RoundChanges): string[] {
  const summary = roundChangesSummary(changes);
  const lines = [`## ${roundChangesTitle}`, "", summary.lead, "", ...summary.items.map((i) => `- ${i}`), ""];
  const mark = (r: RedlinePart) => {
    const text = r.text.trim() ? r.text.replace(/[~*]/g, "\\$&") : r.text;
    if (r.op === "equal" || !r.text.trim()) return text;
    const lead = text.match(/^\s*/)![0];
    const trail = text.match(/\s*$/)![0];
    const core = text.trim();
    return `${lead}${r.op === "delete" ? `~~${core}~~` : `**${core}**`}${trail}`;
  };
  for (const p of changes.paragraphs.filter((x) => x.status === "rewritten")) {
    lines.push(`### ${p.after ?? p.before ?? "–"}. ${p.heading}`, "");
    if (p.note) lines.push(`_Attorney's note: ${p.note}_`, "");
    lines.push(p.redline.map(mark).join(""), "");
  }
  return lines;
}
