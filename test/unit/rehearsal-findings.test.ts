/**
 * The rehearsal (`npm run rehearse`, run once in CI by .ci/run) fails when a finding it exists
 * for has lost its check: rehearsal/findings.ts adds a failing row, and a failing row exits 1.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { record, rows } from "../../rehearsal/checklist.ts";
import { findings, recordFindingCoverage } from "../../rehearsal/findings.ts";

test("each finding needs a check of its area whose title matches; three bundle checks per function", () => {
  rows.length = 0;
  // A checklist with a row for every finding (titles built from the patterns' own examples).
  const titles: Record<string, string> = {
    "placeholder, is linked": "OpenRouterApiKey has a placeholder, is linked, and is in no plain environment",
    "README: model upload without flags": "README: model upload without flags: s3:PutObject",
    "presigned upload": "presigned upload: s3:PutObject",
  };
  for (const [area, pattern] of findings) {
    const title = titles[pattern.source.replace(/\\/g, "")] ?? pattern.source.replace(/\\(.)/g, "$1").replace(".*", "x");
    record(area, title, true);
    assert.ok(pattern.test(title), `${pattern} does not match the title made for it: ${title}`);
  }
  for (let i = 0; i < 6; i++) record("bundle", `fn${i % 2}: check ${i}`, true);
  recordFindingCoverage(2);
  assert.deepEqual(
    rows.filter((r) => !r.ok),
    [],
    "every finding has its row",
  );
  assert.equal(rows.filter((r) => r.area === "findings").length, findings.length + 1);

  // A finding whose check is gone, and too few bundle checks: failing rows.
  rows.length = 0;
  for (const [area, pattern] of findings.slice(1)) record(area, pattern.source.replace(/\\(.)/g, "$1").replace(".*", "x"), true);
  for (let i = 0; i < 6; i++) record("bundle", `fn${i % 2}: check ${i}`, true);
  recordFindingCoverage(3);
  const failed = rows.filter((r) => !r.ok).map((r) => r.check);
  assert.equal(failed.length, 2, failed.join("\n"));
  assert.match(failed[0]!, /finding 1/);
  assert.match(failed[1]!, /three bundle checks for each of the 3 functions/);
  rows.length = 0;
});
