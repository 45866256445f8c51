/**
 * The side-by-side review of a declaration and its Spanish version (one HTML page): each
 * section's English and Spanish in two columns, with the placeholders the Spanish dropped
 * flagged, so the attorney and the interpreter can check the translation paragraph by
 * paragraph before the declarant signs. Built from the re-injected documents; small on
 * purpose (the fuller review document of the English draft is its own rendition).
 */
import type { DeclarationDocument } from "../../core/declaration.ts";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export interface BilingualReviewInput {
  english: DeclarationDocument;
  spanish: DeclarationDocument;
  /** Per section number: what the Spanish dropped (real values, for the reviewer). */
  missing: Map<number, string[]>;
}

export function renderBilingualReview({ english, spanish, missing }: BilingualReviewInput): string {
  const cell = (text: string, lang: string) => `<td lang="${lang}">${escapeHtml(text)}</td>`;
  const row = (en: string, es: string, className = "") =>
    `<tr${className ? ` class="${className}"` : ""}>${cell(en, "en")}${cell(es, "es")}</tr>`;
  const rows = [row(english.title, spanish.title, "title"), row(english.intro, spanish.intro)];
  english.sections.forEach((section, i) => {
    const es = spanish.sections[i];
    rows.push(row(`${section.number}. ${section.heading}`, es ? `${es.number}. ${es.heading}` : "", "heading"));
    rows.push(row(section.drafted ? section.text : "(not drafted)", es?.drafted ? es.text : "(sin traducción)"));
    const dropped = missing.get(section.number) ?? [];
    if (dropped.length)
      rows.push(
        `<tr class="flag"><td colspan="2">The Spanish of section ${section.number} leaves out: ${dropped.map(escapeHtml).join(", ")}</td></tr>`,
      );
  });
  rows.push(row(english.verification, spanish.verification));
  if (english.readBack) rows.push(row(english.readBack, ""));
  const flagged = [...missing.values()].filter((m) => m.length).length;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(english.title)}: English and Spanish</title>`,
    "<style>body{font-family:serif;margin:2em}table{border-collapse:collapse;width:100%}td{vertical-align:top;border:1px solid #bbb;padding:.5em;width:50%}tr.heading td{font-weight:bold;background:#f3f3f3}tr.title td{font-size:1.3em;font-weight:bold}tr.flag td{background:#fde2e1}</style>",
    "</head><body>",
    `<p>${escapeHtml(english.notice)}</p>`,
    `<p>Sections whose Spanish leaves something out: ${flagged}</p>`,
    '<table><thead><tr><th>English (filing version)</th><th lang="es">Español (para el declarante)</th></tr></thead><tbody>',
    ...rows,
    "</tbody></table>",
    "</body></html>",
    "",
  ].join("\n");
}
