// Redaction on case text: identifiers in their written forms, people and places to typed placeholders, and the encrypted vault.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Redactor } from "../../functions/redaction/redactor.ts";
import { openVault, sealVault } from "../../functions/redaction/vault.ts";
import { reinject } from "../../functions/reinject-pii.ts";
import { makeTestHome, runCli } from "../helpers.ts";

const types = (text: string, people = [] as Array<{ name: string }>) => new Redactor(people).redact(text).entities.map((e) => e.type);

test("A-numbers in their written forms share one placeholder", () => {
  const r = new Redactor();
  const out = r.redact("A123456789; A-123-456-789; A# 123 456 789; A-Number: 123-456-789.").text;
  assert.equal(out, "[A_NUMBER_1]; [A_NUMBER_1]; [A_NUMBER_1]; A-Number: [A_NUMBER_1].");
});

test("an A-number wrapped onto the next line is still one A-number", () => {
  const r = new Redactor();
  assert.equal(r.redact("Prior number A-123-456-\n789 and A123456789.").text, "Prior number [A_NUMBER_1] and [A_NUMBER_1].");
});

test("receipt numbers, SSNs, phones, emails, dates of birth, addresses and ZIP codes", () => {
  const text =
    "Receipt EAC2190012345 and WAC-21-900-12345. SSN 123-45-6789. Call (555) 010-4477 or 555.010.9000. " +
    "Mail jo@example.com. DOB: 03/14/1990. Lives at 4417 Placeholder Avenue, Apt 2B, Springfield, IL 62704.";
  const r = new Redactor();
  const { text: out, entities } = r.redact(text);
  for (const secret of ["EAC2190012345", "123-45-6789", "010-4477", "jo@example.com", "03/14/1990", "4417 Placeholder Avenue", "62704"]) {
    assert.ok(!out.includes(secret), `${secret} survived: ${out}`);
  }
  assert.deepEqual(
    [...new Set(entities.map((e) => e.type))].sort(),
    ["ADDRESS", "DATE_OF_BIRTH", "EMAIL", "PHONE", "RECEIPT_NUMBER", "SSN", "ZIP"].sort(),
  );
  assert.equal(r.entityCounts().RECEIPT_NUMBER, 2);
});

test("legal vocabulary is kept: statutes, forms, agencies, amounts", () => {
  const text =
    "Under 8 U.S.C. § 1154(a)(1)(A)(iii) and INA § 101(a)(15)(T), file Form I-914 with Supplement B and Form I-360 with USCIS; DHS and ICE; a fee of $4,000 in 2022.";
  assert.equal(new Redactor().redact(text).text, text);
});

test("names from case.json, including first-only and last-only mentions, and Spanish text", () => {
  const r = new Redactor([{ name: "Elena Fictitia Marsh" }, { name: "Derek Samplefield" }]);
  r.redact("Elena Fictitia Marsh");
  const a = r.redact("Derek Samplefield hit Elena. Later Marsh left; Derek's threats continued.").text;
  assert.equal(a, "[PERSON_2] hit [PERSON_1]. Later [PERSON_1] left; [PERSON_2]'s threats continued.");
  const b = r.redact("Elena nació el 14 de marzo de 1990. Teléfono: 555-010-3321.").text;
  assert.equal(b, "[PERSON_1] nació el [DATE_OF_BIRTH_1]. Teléfono: [PHONE_1].");
  assert.equal(r.mapping.get("[PERSON_1]"), "Elena Fictitia Marsh");
});

test("people named after a cue word are found without case.json", () => {
  const out = new Redactor().redact("Signed, Jordan Testwell, Senior Advocate. Reporting officer: Ofc. Casey Nobody.").text;
  assert.doesNotMatch(out, /Jordan|Testwell|Casey|Nobody/);
  assert.match(out, /Senior Advocate/);
});

test("re-injection restores values and refuses unknown placeholders", () => {
  const r = new Redactor([{ name: "Tomas Vela" }]);
  const { text } = r.redact("Tomas Vela, A-987-654-321.");
  assert.equal(reinject(text, r.mapping), "Tomas Vela, A-987-654-321.");
  assert.throws(
    () => reinject("[PERSON_9] said so", r.mapping),
    (e: Error) => e.name === "Affiant.PlaceholderMismatch" && /\[PERSON_9\]/.test(e.message),
  );
});

test("the vault is encrypted and tamper-evident", () => {
  makeTestHome();
  const key = randomBytes(32);
  const sealed = sealVault(new Map([["[PERSON_1]", "Elena Fictitia Marsh"]]), key);
  assert.ok(!sealed.includes(Buffer.from("Elena")));
  assert.equal(openVault(sealed, key).get("[PERSON_1]"), "Elena Fictitia Marsh");
  const last = sealed.length - 1;
  sealed.writeUInt8(sealed.readUInt8(last) ^ 1, last);
  assert.throws(() => openVault(sealed, key));
});

test("affiant redact reads stdin and prints text or JSON", async () => {
  const { env } = makeTestHome();
  const plain = await runCli(["redact"], env, { input: "Call 555-010-3321 about A123456789." });
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, "Call [PHONE_1] about [A_NUMBER_1].");
  const json = await runCli(["redact", "--json"], env, { input: "Email a@example.com" });
  const parsed = JSON.parse(json.stdout) as {
    text: string;
    entities: Array<{ type: string; placeholder: string; start: number; end: number }>;
  };
  assert.equal(parsed.text, "Email [EMAIL_1]");
  assert.deepEqual(parsed.entities, [{ type: "EMAIL", placeholder: "[EMAIL_1]", start: 6, end: 15 }]);
  assert.deepEqual(types("nothing here"), []);
});

test("affiant redact --case knows the case's parties as the pipeline does; a bad case file is a clear error", async () => {
  const { env, home } = makeTestHome();
  const caseJson = path.join(home, "case.json");
  writeFileSync(
    caseJson,
    JSON.stringify({
      caseId: "cli-case",
      caseType: "VAWA",
      declarant: { name: "Elena Fictitia Marsh" },
      parties: [{ role: "abuser", name: "Derek Samplefield" }],
    }),
  );
  const input = "SAMPLEFIELD hit her; Elena left. Derek's sister, Ana Quillby, saw it.";
  const withCase = await runCli(["redact", "--case", caseJson], env, { input });
  assert.equal(withCase.code, 0, withCase.stderr);
  assert.equal(withCase.stdout, "[PERSON_2] hit her; [PERSON_1] left. [PERSON_2]'s sister, [PERSON_3], saw it.");
  writeFileSync(caseJson, JSON.stringify({ caseId: "cli-case", caseType: "VAWA", declarant: {} }));
  const bad = await runCli(["redact", "--case", caseJson], env, { input });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Affiant\.InvalidInput: --case .*case\.json: declarant\.name/);
  assert.equal(bad.stdout, "");
});
