/** Identifiers real case files hold beyond A-numbers and SSNs, in English and Spanish. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Redactor } from "../../functions/redaction/redactor.ts";

const redact = (text: string) => {
  const r = new Redactor();
  const result = r.redact(text);
  return { text: result.text, types: result.entities.map((e) => e.type), mapping: r.mapping };
};

test("ITINs (the SSN rule skips numbers starting with 9), with and without a label", () => {
  const out = redact("ITIN 912-78-1234; her ITIN number: 900701234; SSN 123-45-6789.");
  assert.equal(out.text, "ITIN [ITIN_1]; her ITIN number: [ITIN_2]; SSN [SSN_1].");
});

test("I-94 admission numbers (11 digits, or 9 digits, a letter, a digit); Form I-94 itself stays", () => {
  const out = redact("I-94 No. 12345678901. Admission number: 123456789A1. Número de admisión 987 6543 2109. File Form I-94 with it.");
  assert.equal(
    out.text,
    "I-94 No. [ADMISSION_NUMBER_1]. Admission number: [ADMISSION_NUMBER_2]. Número de admisión [ADMISSION_NUMBER_3]. File Form I-94 with it.",
  );
});

test("alien registration numbers written without the A, English and Spanish labels, share the A-number's placeholder", () => {
  const out = redact("Alien Registration No. 123 456 789. A123456789. Número de registro de extranjero: 123-456-789. USCIS # 987654321.");
  assert.equal(
    out.text,
    "Alien Registration No. [A_NUMBER_1]. [A_NUMBER_1]. Número de registro de extranjero: [A_NUMBER_1]. USCIS # [A_NUMBER_2].",
  );
});

test("police incident, court case and docket numbers, badges, driver's licences and plates", () => {
  const out = redact(
    "Incident No. 2023-004512; RD# JB-441235; número de denuncia: 778812. Case No. 23-DV-1187; Docket 1:23-cv-01234; expediente 456/2021. " +
      "Ofc. Lee, Badge #4471; placa del oficial 2231. Driver's License No. D123-4567-8901; licencia de conducir: GOMJ850101. License plate ABC-1234; placas del vehículo JKL 456 B.",
  );
  assert.deepEqual(
    out.types.filter((t) => t !== "PERSON"),
    [
      "INCIDENT_NUMBER",
      "INCIDENT_NUMBER",
      "INCIDENT_NUMBER",
      "CASE_NUMBER",
      "CASE_NUMBER",
      "CASE_NUMBER",
      "BADGE_NUMBER",
      "BADGE_NUMBER",
      "DRIVERS_LICENSE",
      "DRIVERS_LICENSE",
      "LICENSE_PLATE",
      "LICENSE_PLATE",
    ],
  );
  for (const secret of [
    "004512",
    "441235",
    "778812",
    "1187",
    "01234",
    "456/2021",
    "4471",
    "2231",
    "4567",
    "GOMJ850101",
    "ABC-1234",
    "JKL 456",
  ])
    assert.ok(!out.text.includes(secret), `${secret} survived: ${out.text}`);
  // Numbers without a label are statutes, years and amounts: they stay.
  const kept = "In case 2019 went badly; under 8 C.F.R. § 214.11 and 22 U.S.C. § 7102 she paid $4,000 for report 12.";
  assert.equal(redact(kept).text, kept);
});

test("foreign phone numbers with a country code, and labelled ones without", () => {
  const out = redact("Llamó al +52 55 1234 5678, luego al +502 5555-1234 y al +52 1 (33) 1234-5678. Celular: 55 8765 4321.");
  assert.equal(out.text, "Llamó al [PHONE_1], luego al [PHONE_2] y al [PHONE_3]. Celular: [PHONE_4].");
});

test("Spanish-order addresses, neighbourhoods, C.P. and Central American addresses", () => {
  const out = redact(
    "Vivía en Calle Morelos 123, Col. Centro, C.P. 06000. Después en Av. 5 de Mayo #45 Int. 3 y en 4a. Calle 3-25, Zona 1. CALLE HIDALGO NO. 77, COLONIA LAS FLORES.",
  );
  assert.equal(out.text, "Vivía en [ADDRESS_1], C.P. [ZIP_1]. Después en [ADDRESS_2] y en [ADDRESS_3]. [ADDRESS_4].");
});

test("dates written in Spanish are redacted without a date-of-birth cue; a birth date keeps its own type", () => {
  const out = redact(
    "El 3 de mayo de 2019 me golpeó; el 1 de junio del 2020 otra vez; en marzo de 2021 me fui. Nació el 14 de marzo de 1990.",
  );
  assert.equal(out.text, "El [DATE_1] me golpeó; el [DATE_2] otra vez; en [DATE_3] me fui. Nació el [DATE_OF_BIRTH_1].");
});

test("every nine-digit SSN/ITIN shape is an identifier, whatever its groups and separators (fail closed)", () => {
  const out = redact("Numbers: 912-45-6789, 666-12-3456, 000 12 3456, 987.65.4321, 123456789 and 123 45 6789.");
  for (const secret of ["912-45-6789", "666-12-3456", "000 12 3456", "987.65.4321", "123456789", "123 45 6789"])
    assert.ok(!out.text.includes(secret), `${secret} survived: ${out.text}`);
  assert.equal(out.types.length, 6);
  // Other digit shapes are not nine-digit identifiers: dates, phones, statutes, money, ZIP+4.
  const kept = "On 2019-03-14 she called 312-555-0188 about 8 U.S.C. § 1154 and $1,234,567 (IL 62704-1234 at 10.5.2019).";
  assert.equal(redact(kept).types.filter((t) => t === "SSN" || t === "ITIN").length, 0, redact(kept).text);
});

test("street addresses in any case, as people type them; everyday phrases with a street word stay", () => {
  const out = redact("she lived at 4417 placeholder ave. then at 1420 ELM STREET, and at 77 old mill rd, apt 3b.");
  assert.deepEqual(out.types, ["ADDRESS", "ADDRESS", "ADDRESS"], out.text);
  for (const secret of ["placeholder", "ELM", "mill"]) assert.ok(!out.text.includes(secret), `${secret} survived: ${out.text}`);
  for (const kept of ["12 on the way home", "moved 3 blocks down the road", "I was 5 when we left the main road"])
    assert.equal(redact(kept).text, kept);
});
