/**
 * `npm run bench`'s redaction rows, runnable alone (`node --import tsx bench/redaction-rows.ts`):
 * - the pattern set (redaction-set.ts): sentences drawn from the shapes the rules know, so
 *   its scores are an upper bound;
 * - the narrative set (redaction-narratives.ts): documents from another generator (Spanish
 *   narratives, bilingual ALL-CAPS police reports, intake summaries, court captions), names
 *   from lists that are not the gazetteer's, name parts scored word by word.
 * - the notes set (redaction-notes.ts): attorney notes as people type them (lower case,
 *   spaced and dotted numbers, names nobody listed), through AttorneyNotes' redaction for a
 *   hosted rewrite: every value removed, or the notes fail closed;
 * - agency names (courts, prosecutors, police, immigration offices), labelled by language, in
 *   the narrative set and the notes: kept whole.
 * Targets: identifiers ≥ 0.98 and name parts ≥ 0.95, recall and precision both; legal
 * vocabulary and agency names kept ≥ 0.99; notes: 1.000 of each kind of value removed.
 */
import { fileURLToPath } from "node:url";
import { type AgencyScore, buildNarrativeSet, scoreNarratives } from "./redaction-narratives.ts";
import { buildNotesSet, scoreNotes } from "./redaction-notes.ts";
import { buildRedactionSet, scoreRedaction } from "./redaction-set.ts";

export interface Row {
  figure: string;
  value: string;
  target: string;
  pass: boolean;
}

const targetFor = (type: string) => (type.startsWith("PERSON") ? 0.95 : 0.98);

/** Agency names kept whole, one row per language. */
function agencyRows(set: string, scores: AgencyScore[]): Row[] {
  return scores.map((a) => {
    const kept = a.total ? a.kept / a.total : 1;
    return {
      figure: `agency names kept, ${a.language === "en" ? "English" : "Spanish"} (${set}, ${a.total} names)`,
      value: kept.toFixed(3),
      target: "≥ 0.99",
      pass: kept >= 0.99,
    };
  });
}

export function redactionRows(): Row[] {
  const rows: Row[] = [];
  const pattern = scoreRedaction(buildRedactionSet(400, 7));
  for (const t of pattern.types) {
    const target = targetFor(t.type);
    rows.push({
      figure: `redaction ${t.type} (pattern set): recall (precision ${t.precision.toFixed(3)}, ${t.labels} labels)`,
      value: t.recall.toFixed(3),
      target: `≥ ${target}`,
      pass: t.recall >= target,
    });
  }
  rows.push({
    figure: "legal vocabulary kept (pattern set)",
    value: pattern.legalKept.toFixed(3),
    target: "≥ 0.99",
    pass: pattern.legalKept >= 0.99,
  });
  const narratives = scoreNarratives(buildNarrativeSet(240, 19));
  for (const t of narratives.types) {
    const target = targetFor(t.type);
    rows.push({
      figure: `redaction ${t.type} (narrative set): recall / precision (${t.labels} labels, ${t.detections} detections)`,
      value: `${t.recall.toFixed(3)} / ${t.precision.toFixed(3)}`,
      target: `≥ ${target} both`,
      pass: t.recall >= target && t.precision >= target,
    });
  }
  rows.push({
    figure: `legal vocabulary kept (narrative set, ${narratives.legalTotal} phrases)`,
    value: narratives.legalKept.toFixed(3),
    target: "≥ 0.99",
    pass: narratives.legalKept >= 0.99,
  });
  rows.push(...agencyRows("narrative set", narratives.agencies));
  const notes = scoreNotes(buildNotesSet(120, 29));
  for (const k of notes.kinds) {
    const removed = k.labels ? k.removed / k.labels : 1;
    rows.push({
      figure: `attorney notes as typed (${notes.notes} notes: lower case, spaced/dotted numbers, names nobody listed): ${k.kind} values removed (${k.labels} labels)`,
      value: removed.toFixed(3),
      target: "1.000",
      pass: k.removed === k.labels,
    });
  }
  rows.push({
    figure: `attorney notes as typed: hosted rewrites the privacy guard refuses after redaction (of ${notes.notes})`,
    value: String(notes.guardRefused),
    target: "0",
    pass: notes.guardRefused === 0,
  });
  rows.push(...agencyRows("notes set", notes.agencies));
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = redactionRows();
  process.stdout.write(
    `${["| figure | value | target | pass |", "|---|---|---|---|", ...rows.map((r) => `| ${r.figure} | ${r.value} | ${r.target} | ${r.pass ? "pass" : "FAIL"} |`)].join("\n")}\n`,
  );
  process.exit(rows.every((r) => r.pass) ? 0 : 1);
}
