/**
 * The review document in Markdown (review.md), and the one-line forms of its items that the
 * DOCX rendition and the viewer share: a contradiction, a fact to confirm, a person of the
 * legend, what a paragraph supports, a sentence resting on the client interview. Reads the re-injected ReviewDocument
 * (functions/review-document.ts).
 */
import { escapeRawHtml } from "../../core/declaration.ts";
import type { ReviewDocument, ReviewParagraph, RoleLine } from "../review-document.ts";
import type { FactToConfirm } from "./facts-to-confirm.ts";
import { renderRoundChangesMarkdown } from "./redline.ts";
import { exhibitLine, unfiledLine } from "./sources.ts";

/** One line per contradiction, the same in Markdown, DOCX and the viewer. */
export const contradictionLine = (c: ReviewDocument["contradictions"][number]) =>
  c.kind === "cause"
    ? `Same event (${c.event}) told as an accident in ${c.first.exhibit} (${c.first.document}): “${c.first.quote}” and as inflicted in ${c.second.exhibit} (${c.second.document}): “${c.second.quote}”`
    : `Same injury dated differently (${c.event}): ${c.first.exhibit} (${c.first.document}): “${c.first.quote}” against ${c.second.exhibit} (${c.second.document}): “${c.second.quote}”`;
export const roleLine = (r: RoleLine) =>
  r.name === r.placeholder ? `${r.placeholder}: ${r.role}` : `${r.name} (${r.placeholder}): ${r.role}`;
/** What a paragraph supports, as one line. */
export const supportsLine = (p: ReviewParagraph) =>
  p.supports.length ? `Supports: ${p.supports.join("; ")}` : "Supports: (opening paragraph: who the declarant is)";
export const interviewLine = (x: ReviewDocument["interviewSentences"][number]) =>
  `Paragraph ${x.paragraph}, sentence ${x.sentence}: “${x.text}” (${x.sources.join("; ")}): confirm it with the declarant`;
export const factLine = (x: FactToConfirm) => `“${x.item}”: ${x.why.join("; ")} (${x.where.join("; ")})`;

const list = (items: string[], none: string) => (items.length ? items.map((i) => `- ${i}`) : [`- ${none}`]);

export function renderReviewMarkdown(doc: ReviewDocument): string {
  const lines = [`# ${doc.title}`, ""];
  lines.push(doc.review.status === "passed" ? "**Quality gate: passed.**" : `**FAILING REVIEW:** ${doc.review.failures.join("; ")}`, "");
  // After a "changes" round, what it changed comes first: the attorney checks that before anything else.
  if (doc.changes) lines.push(...renderRoundChangesMarkdown(doc.changes));
  lines.push("## Who is who", "", ...list(doc.roles.map(roleLine), "no roles recorded"), "");
  lines.push("_Paragraph numbers are the filing version's._", "");
  for (const p of doc.paragraphs) {
    lines.push(`## ${p.number}. ${p.heading}`, "", `_${supportsLine(p)}_`, "", ...(p.when ? [`_When: ${p.when}_`, ""] : []));
    if (doc.versions.length === 1) lines.push(p.texts[0] || "_(nothing drafted)_", "");
    // More than one version (a translation): side by side, a column each.
    else
      lines.push(
        `| ${doc.versions.join(" | ")} |`,
        `|${doc.versions.map(() => " --- ").join("|")}|`,
        `| ${p.texts.map((t) => t.replace(/\|/g, "\\|") || "—").join(" | ")} |`,
        "",
      );
    lines.push(`Cites: ${p.exhibits.join("; ") || "no exhibit"}`, "");
    if (p.sentences) lines.push(...p.sentences.map((s, i) => `${i + 1}. ${s.text} _(${s.exhibits.join("; ") || "no exhibit"})_`), "");
    for (const u of p.unsupported) lines.push(`- Unsupported sentence ${u.sentence} (support ${u.support}): “${u.text}”`);
    if (p.unsupported.length) lines.push("");
  }
  lines.push(
    "## Judges' notes",
    "",
    ...list(
      doc.judges.map((j) => `${j.stage}: ${j.score} of 5. ${j.reasons}`),
      "none recorded",
    ),
    "",
  );
  lines.push("## Facts to confirm with the client", "", ...list(doc.factsToConfirm.map(factLine), "none"), "");
  lines.push("## Contradictions between sources", "", ...list(doc.contradictions.map(contradictionLine), "none found"), "");
  lines.push("## Placeholder problems left", "", ...list(doc.placeholderProblems, "none"), "");
  lines.push("## Elements with nothing drafted", "", ...list(doc.elementsNotDrafted, "none: every element has a paragraph"), "");
  lines.push(
    "## Elements the coverage judge found not covered",
    "",
    ...list(doc.elementsJudgedNotCovered, "none: the judge found every drafted element covered, or did not run"),
    "",
  );
  lines.push("## Documents never cited", "", ...list(doc.documentsNeverCited, "none"), "");
  lines.push(
    "## Evidence to gather",
    "",
    ...doc.evidenceChecklist.map((i) => `- [ ] ${i}`),
    ...(doc.evidenceChecklist.length ? [] : ["- none listed"]),
    "",
  );
  lines.push("## Exhibit list", "", ...list(doc.exhibits.map(exhibitLine), "none"), "");
  lines.push("## Sources not filed", "", ...list(doc.unfiledSources.map(unfiledLine), "none"), "");
  lines.push("## Sentences resting on the client interview", "", ...list(doc.interviewSentences.map(interviewLine), "none"), "");
  for (const c of doc.translationCertificates) {
    lines.push(`## ${c.heading}`, "", c.statement, "");
    for (const blank of c.blanks) lines.push(`${blank}: ______________________________`, "");
  }
  lines.push(`_Not checked by Affiant yet: ${doc.notChecked.join("; ")}._`, "");
  return escapeRawHtml(lines.join("\n"));
}
