// `affiant gameday`: seeded fault injection over many cases, every case completes, and the leak check finds no vault value outside the vault.

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { gamedayCommand } from "../../cli/gameday-command.ts";
import { LocalBlobStore } from "../../core/blob-store.ts";
import { extractDocuments } from "../../functions/extract-documents.ts";
import { redactCase } from "../../functions/redact-pii.ts";
import { ingestCase, readCaseFolder } from "../../workflows/engine/case-intake.ts";
import { seededRandom, valueMatcher } from "../../workflows/gameday.ts";
import { caseVariant, type SampleCase, tvisa, vawa, writeCase } from "../../workflows/samples/sample-cases.ts";
import { makeTestHome, runCli } from "../helpers.ts";

test("a seeded game day injects real faults into cases running side by side, every case completes, nothing leaks", async () => {
  const { env } = makeTestHome();
  const r = await runCli(["gameday", "--cases", "2", "--fault-rate", "0.5", "--seed", "3", "--concurrency", "2", "--json"], env);
  assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
  const report = JSON.parse(r.stdout) as {
    cases: number;
    completed: number;
    failed: number;
    faultsInjected: number;
    fallbacksByReason: Record<string, number>;
    worstFaultCostSeconds: number;
    leaks: number;
    leakCheckedByType: Record<string, number>;
  };
  assert.deepEqual(Object.keys(report).sort(), [
    "cases",
    "completed",
    "failed",
    "fallbacksByReason",
    "faultsInjected",
    "leakCheckedByType",
    "leaks",
    "worstFaultCostSeconds",
  ]);
  // The leak check looked for values of every kind redaction knows, the second round's included.
  for (const type of [
    "PERSON",
    "A_NUMBER",
    "ITIN",
    "ADMISSION_NUMBER",
    "INCIDENT_NUMBER",
    "CASE_NUMBER",
    "BADGE_NUMBER",
    "DRIVERS_LICENSE",
    "LICENSE_PLATE",
    "PHONE",
    "ADDRESS",
    "DATE",
    "DOCUMENT",
  ]) {
    assert.ok((report.leakCheckedByType[type] ?? 0) >= 1, `the leak check looked for ${type}: ${JSON.stringify(report.leakCheckedByType)}`);
  }
  assert.equal(report.cases, 2);
  assert.equal(report.completed, 2);
  assert.equal(report.failed, 0);
  assert.equal(report.leaks, 0);
  assert.ok(report.faultsInjected >= 2, `faults injected: ${report.faultsInjected}`);
  // The drills' failures do not open the circuit breaker, so every fault picked reaches a worker.
  assert.equal(report.fallbacksByReason["Affiant.CircuitOpen"], undefined, JSON.stringify(report.fallbacksByReason));
  assert.doesNotMatch(r.stderr, /skipped ahead of time by an open circuit breaker/);
  const fallbacks = Object.values(report.fallbacksByReason).reduce((a, b) => a + b, 0);
  assert.ok(
    fallbacks >= 2 && fallbacks <= report.faultsInjected,
    `${fallbacks} fallbacks for ${report.faultsInjected} faults (a slow one may finish in time)`,
  );
  assert.ok(report.worstFaultCostSeconds > 0);
  assert.match(r.stderr, /gameday: case 2\/2 SUCCEEDED/);
  // Faulted stages fell back to the stand-in hosted models, and what they were sent was checked.
  const sent = Number(/gameday: (\d+) request\(s\) reached the stand-in/.exec(r.stderr)?.[1]);
  assert.ok(sent >= 1, r.stderr);
});

test("the leak check finds a value as a value, not a four-digit badge number inside a timestamp", () => {
  const badge = valueMatcher("0761");
  // Coincidences in logs and the history database: timestamps, durations, scores.
  assert.equal(badge('{"ts":1764660761123,"ms":20761}'), false);
  assert.equal(badge('{"score":0.07615}'), false);
  // Leaks, whatever surrounds them.
  assert.equal(badge("Badge #0761 responded"), true);
  assert.equal(badge('"badge":"0761"'), true);
  assert.equal(badge("0761"), true);
  const zip = valueMatcher("62704");
  assert.equal(zip("Springfield, IL62704"), true, "letters next to a number do not hide it");
  assert.equal(zip("Springfield, IL 62704-1234"), true);
  const name = valueMatcher("Farah Lucia Haddad");
  assert.equal(name("declarant Farah Lucia Haddad's statement"), true);
  assert.equal(name("Farah Lucia Haddadi"), false, "a longer name is another person");
  // Regular-expression characters in a value are matched literally.
  assert.equal(valueMatcher("(555) 010-9958")("call (555) 010-9958."), true);
  assert.equal(valueMatcher("A.B")("AxB"), false);
});

test("the same seed picks the same faults", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(
    xs,
    Array.from({ length: 5 }, () => b()),
  );
  assert.notDeepEqual(xs, Array.from({ length: 5 }, seededRandom(43)));
});

test("bad game day options are refused", async () => {
  const { env } = makeTestHome();
  const r = await runCli(["gameday", "--fault-rate", "2"], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--fault-rate 2: expected a number from 0 to 1/);
  // Refused before anything is written or started: called in-process.
  for (const [concurrency, message] of [
    ["0", /--concurrency 0: expected a whole number ≥ 1/],
    ["1.5", /--concurrency 1\.5: expected a whole number ≥ 1/],
  ] as const)
    await assert.rejects(gamedayCommand({ cases: "1", faultRate: "0.5", seed: "1", concurrency }), message);
});

test("a game day variant renames everyone and renumbers everything, and the redactor still finds each of its values", async () => {
  const variant = caseVariant(vawa, seededRandom(7), "gameday-variant-7");
  assert.deepEqual(caseVariant(vawa, seededRandom(7), "gameday-variant-7"), variant, "the same seed writes the same variant");
  assert.notDeepEqual(caseVariant(vawa, seededRandom(8), "gameday-variant-7").people, variant.people);
  const text = (c: SampleCase) => JSON.stringify([c.caseJson, c.documents, c.scans]);
  const before = text(vawa);
  const after = text(variant);
  // Nothing of the original identities is left: every name part, number and the birth date.
  const originals = [
    ...vawa.people.flatMap((p) => p.name.split(" ")),
    ...vawa.identifiers.map((i) => i.text),
    "1990-03-14",
    "03/14/1990",
    "elena.marsh",
    "jtestwell",
  ];
  for (const o of originals) {
    assert.ok(before.includes(o), `the sample holds ${o}`);
    assert.ok(!after.includes(o), `the variant still holds ${o}`);
  }
  assert.equal(variant.caseJson.caseId, "gameday-variant-7");
  assert.equal((variant.caseJson.declarant as { name: string }).name, variant.people[0]!.name);
  // Each person is renamed the same way everywhere; the phone keeps the fictional 555-010 range.
  assert.ok(
    variant.identifiers.find((i) => i.text.startsWith("(555) 010-")),
    JSON.stringify(variant.identifiers),
  );
  // The story is untouched: the statute, the form, the events.
  for (const kept of ["8 U.S.C. § 1154(a)(1)(A)(iii)", "Form I-360", "March 2019", "Safe Harbor Shelter"])
    assert.ok(after.includes(kept), kept);

  // Through the real PDFs, OCR of the scan included, the redactor finds the new values.
  const { home, env } = makeTestHome();
  Object.assign(process.env, env);
  const dir = path.join(home, "variant");
  await writeCase(variant, dir);
  const store = new LocalBlobStore(path.join(home, "blobs"));
  await ingestCase(readCaseFolder(dir), store);
  const state = await extractDocuments({ input: { caseId: "gameday-variant-7", faults: {} }, executionName: "variant-test" }, store);
  const redact = await redactCase({ state }, store);
  const redacted = (await store.get(redact.redactedKey)).toString("utf8");
  const values = [
    ...variant.people.flatMap((p) => p.name.split(" ")),
    ...variant.identifiers.map((i) => i.text),
    variant.dateOfBirthAsWritten!,
  ];
  for (const v of values) assert.ok(!redacted.includes(v), `${v} survived redaction`);
  assert.match(redacted, /\[PERSON_1\]/);

  // The T visa variant holds the second round's identifiers (ITIN, I-94, incident, case, badge,
  // licence, plate, a Guatemalan phone): each renumbered, each redacted.
  const tv = caseVariant(tvisa, seededRandom(7), "gameday-variant-tv");
  const tvDir = path.join(home, "variant-tv");
  await writeCase(tv, tvDir);
  await ingestCase(readCaseFolder(tvDir), store);
  const tvState = await extractDocuments({ input: { caseId: "gameday-variant-tv", faults: {} }, executionName: "variant-tv" }, store);
  const tvRedacted = (await store.get((await redactCase({ state: tvState }, store)).redactedKey)).toString("utf8");
  for (const v of [...tv.people.flatMap((p) => p.name.split(" ")), ...tv.identifiers.map((i) => i.text.replace(/^Badge #/, ""))]) {
    assert.ok(!tvRedacted.includes(v), `${v} survived redaction`);
  }
  for (const type of [
    "ITIN",
    "ADMISSION_NUMBER",
    "INCIDENT_NUMBER",
    "CASE_NUMBER",
    "BADGE_NUMBER",
    "DRIVERS_LICENSE",
    "LICENSE_PLATE",
    "PHONE",
    "ADDRESS",
    "DATE",
  ])
    assert.match(tvRedacted, new RegExp(`\\[${type}_\\d+\\]`), type);
});
