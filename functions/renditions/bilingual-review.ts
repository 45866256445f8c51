/**
 * The side-by-side review of the filing version and its Spanish reading copy (one HTML page):
 * each numbered paragraph's English and Spanish in two columns (the two share one numbering,
 * so ¶n faces ¶n), with the placeholders the Spanish dropped flagged, so the attorney and the
 * interpreter can check the translation paragraph by paragraph before the declarant signs.
 * Built from the re-injected documents; small on purpose (the fuller review document of the
 * English draft is its own rendition).
 */
import type { DeclarationDocument } from "../../core/declaration.ts";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export interface BilingualReviewInput {
  /** The filing version (what the declarant signs). */
  english: DeclarationDocument;
  /** The Spanish reading copy, numbered as the filing version is. */
  spanish: DeclarationDocument;
  /** Per paragraph number: the placeholders' values the Spanish dropped (real values, for the reviewer). */
  missing: Map<number, string[]>;
}

export function renderBilingualReview({ english, spanish, missing }: BilingualReviewInput): string {
  const cell = (text: string, lang: string) => `<td lang="${lang}">${escapeHtml(text)}</td>`;
  const row = (en: string, es: string, className = "") =>
    `<tr${className ? ` class="${className}"` : ""}>${cell(en, "en")}${cell(es, "es")}</tr>`;
  const rows = [row(english.title, spanish.title, "title"), row(english.intro, spanish.intro)];
  const spanishByNumber = new Map(spanish.sections.map((s) => [s.number, s]));
  let untranslated = 0;
  for (const section of english.sections) {
    const es = spanishByNumber.get(section.number);
    if (!es?.drafted) untranslated++;
    rows.push(row(`${section.number}. ${section.text}`, es?.drafted ? `${es.number}. ${es.text}` : `${section.number}. (sin traducción)`));
    const dropped = section.number !== undefined ? (missing.get(section.number) ?? []) : [];
    if (dropped.length)
      rows.push(
        `<tr class="flag"><td colspan="2">The Spanish of paragraph ${section.number} leaves out: ${dropped.map(escapeHtml).join(", ")}</td></tr>`,
      );
  }
  if (english.verification) rows.push(row(english.verification, "(la traducción de cortesía no se firma)"));
  if (english.languageStatement) rows.push(row(english.languageStatement, ""));
  const flagged = [...missing.values()].filter((m) => m.length).length;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(english.title)}: English and Spanish</title>`,
    "<style>body{font-family:serif;margin:2em}table{border-collapse:collapse;width:100%}td{vertical-align:top;border:1px solid #bbb;padding:.5em;width:50%}tr.title td{font-size:1.3em;font-weight:bold}tr.flag td{background:#fde2e1}</style>",
    "</head><body>",
    `<p>${escapeHtml(spanish.notice)}</p>`,
    `<p>Paragraphs whose Spanish leaves out a placeholder's value (a name, a date, a number): ${flagged}</p>`,
    `<p>Paragraphs with no Spanish translation: ${untranslated}</p>`,
    '<table><thead><tr><th>English (filing version)</th><th lang="es">Español (copia de lectura, no se firma ni se presenta)</th></tr></thead><tbody>',
    ...rows,
    "</tbody></table>",
    "</body></html>",
    "",
  ].join("\n");
}
