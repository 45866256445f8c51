/** The privacy guard compares keyed hashes: it refuses what the vault holds without holding it. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { guardHashes, hashedGuard } from "../../functions/redaction/privacy-guard.ts";

const vault = new Map([
  ["[PERSON_1]", "Ángela de la Cruz Quispe"],
  ["[ITIN_1]", "912-78-1234"],
  ["[ADDRESS_1]", "Calle Morelos 123, Col. Centro"],
  ["[DOCUMENT_1]", "angela-quispe-police-report.pdf"],
]);

test("the guard's hashes hold no value, in any spelling, and another key's hashes do not match", () => {
  const hashes = guardHashes(vault);
  const json = JSON.stringify(hashes);
  for (const needle of ["Ángela", "angela", "Quispe", "quispe", "912", "1234", "Morelos", "morelos", "police"])
    assert.ok(!json.includes(needle), needle);
  const other = guardHashes(vault);
  assert.notDeepEqual(other.entries, hashes.entries, "a fresh key per case");
});

test("prompts holding a value in any case, accents or separators are refused, naming only the type", () => {
  const guard = hashedGuard(guardHashes(vault));
  const refused = (prompt: string, type: string) =>
    assert.throws(
      () => guard.check("DraftDeclarationFallback", prompt),
      (e: Error) => e.name === "Affiant.PrivacyViolation" && e.message.includes(type) && !/quispe|morelos|912/i.test(e.message),
    );
  refused("ANGELA DE LA CRUZ QUISPE signed", "PERSON");
  refused("then Quispe left", "PERSON");
  refused("ITIN 912 78 1234 on file", "ITIN");
  refused("she lived at calle morelos 123 col centro", "ADDRESS");
  refused("see angela-quispe-police-report.pdf p.2", "DOCUMENT");
  for (const ok of ["[PERSON_1] lived at [ADDRESS_1]", "de la casa", "the cruz family name is common", "8 U.S.C. § 1154(a)(1)(A)(iii)"])
    guard.check("S", ok);
});

test("the guard compares in redaction's normalised form: lower-case name parts no everyday word spells, numbers by digits with or without the A", () => {
  const guard = hashedGuard(
    guardHashes(
      new Map([
        ["[PERSON_1]", "Will Okafor"],
        ["[A_NUMBER_1]", "A-123-456-789"],
        ["[SSN_1]", "321-54-9876"],
      ]),
    ),
  );
  const refused = (prompt: string, type: string) =>
    assert.throws(
      () => guard.check("S", prompt),
      (e: Error) => e.name === "Affiant.PrivacyViolation" && e.message.includes(type) && !/okafor|123|321/i.test(e.message),
    );
  refused("then okafor left", "PERSON");
  refused("then ókafor left", "PERSON");
  refused("a-number 123.456.789", "A_NUMBER");
  refused("number 123 456 789", "A_NUMBER");
  refused("ssn 321 54 9876", "SSN");
  refused("ssn 321549876", "SSN");
  for (const ok of ["I will go home", "[PERSON_1] will testify"]) guard.check("S", ok);
});
