/**
 * `npm run bench`'s redaction rows, runnable alone (`node --import tsx bench/redaction-rows.ts`):
 * - the pattern set (redaction-set.ts): sentences drawn from the shapes the rules know, so
 *   its scores are an upper bound;
 * - the narrative set (redaction-narratives.ts): documents from another generator (Spanish
 *   narratives, bilingual ALL-CAPS police reports, intake summaries, court captions), names
 *   from lists that are not the gazetteer's, name parts scored word by word.
 * Targets: identifiers ≥ 0.98 and name parts ≥ 0.95, recall and precision both; legal
 * vocabulary kept ≥ 0.99.
 */
import { fileURLToPath } from "node:url";
import { buildNarrativeSet, scoreNarratives } from "./redaction-narratives.ts";
import { buildRedactionSet, scoreRedaction } from "./redaction-set.ts";

export interface Row {
  figure: string;
  value: string;
  target: string;
  pass: boolean;
}

const targetFor = (type: string) => (type.startsWith("PERSON") ? 0.95 : 0.98);

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
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = redactionRows();
  process.stdout.write(
    `${["| figure | value | target | pass |", "|---|---|---|---|", ...rows.map((r) => `| ${r.figure} | ${r.value} | ${r.target} | ${r.pass ? "pass" : "FAIL"} |`)].join("\n")}\n`,
  );
  process.exit(rows.every((r) => r.pass) ? 0 : 1);
}
