/** People nobody listed: the finder (compromise, cues, gazetteer) and folded matching. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { agencySpans } from "../../functions/redaction/agencies.ts";
import { findPeople } from "../../functions/redaction/people.ts";
import { Redactor } from "../../functions/redaction/redactor.ts";
import { reinject } from "../../functions/reinject-pii.ts";

test("intake summaries: people introduced as the client, a spouse, a child, an officer are found without case.json", () => {
  const text =
    "The client, Rosa Elvira Quintero, married Derek Haddad in 2015. Their son, Mateo, was born in Texas. She told Officer Gomez that her sister Lucia Vela saw it.";
  const r = new Redactor();
  const out = r.redact(text).text;
  assert.equal(
    out,
    "The client, [PERSON_1], married [PERSON_2] in 2015. Their son, [PERSON_3], was born in Texas. She told Officer [PERSON_4] that her sister [PERSON_5] saw it.",
  );
  assert.equal(reinject(out, r.mapping), text);
});

test("kinship cues in Spanish and English introduce names, with particles and two surnames", () => {
  const found = findPeople(
    "Mi hijo Álvaro y mi hermana Ángela de la Cruz vivían conmigo. Conocí a José Luis García del Río en Chicago. My nephew Brayden Ostrowski came too.",
  );
  assert.deepEqual(found, ["Álvaro", "Ángela de la Cruz", "José Luis García del Río", "Brayden Ostrowski"]);
});

test("ALL-CAPS police reports: names after role cues and titles, without swallowing the words around them", () => {
  const found = findPeople(
    "THE SUSPECT, JUAN PÉREZ, FLED THE SCENE IN A RED TOYOTA. OFC. GÓMEZ ARRIVED AT 2300 HRS. REPORTING PARTY: MARIA DE LA CRUZ HERNANDEZ.",
  );
  assert.deepEqual(found, ["JUAN PÉREZ", "GÓMEZ", "MARIA DE LA CRUZ HERNANDEZ"]);
});

test("case.json names match in ALL CAPS and without accents; particles are never a match alone", () => {
  const r = new Redactor([{ name: "Álvaro de los Santos Ruiz" }]);
  const out = r.redact("ALVARO DE LOS SANTOS RUIZ signed. Later Álvaro and Mr. RUIZ spoke. Los niños del barrio y de la escuela.").text;
  assert.equal(out, "[PERSON_1] signed. Later [PERSON_1] and Mr. [PERSON_1] spoke. Los niños del barrio y de la escuela.");
  // A lower-case word is not a name part ("will" is not "Will").
  assert.equal(new Redactor([{ name: "Will Testwell" }]).redact("She will file. Will called.").text, "She will file. [PERSON_1] called.");
});

test("a surname two people share gets a placeholder of its own, not the longer name's", () => {
  const r = new Redactor([{ name: "Elena Fictitia Marsh" }, { name: "Derek Marsh" }]);
  r.redact("Elena Fictitia Marsh");
  const { text } = r.redact("Derek Marsh hit Elena. Mrs. Marsh left.");
  assert.equal(text, "[PERSON_2] hit [PERSON_1]. Mrs. [PERSON_3] left.");
  assert.equal(r.mapping.get("[PERSON_3]"), "Marsh");
});

test("a name found on a later page is redacted on every page under one placeholder (learn first)", () => {
  const pages = ["Vela called twice.", "Her sister, Lucia Vela, saw it. LUCIA VELA signed."];
  const r = new Redactor();
  r.learn(pages);
  assert.deepEqual(
    pages.map((p) => r.redact(p).text),
    ["[PERSON_1] called twice.", "Her sister, [PERSON_1], saw it. [PERSON_1] signed."],
  );
  assert.equal(r.mapping.get("[PERSON_1]"), "Lucia Vela");
});

test("legal vocabulary and places are not people", () => {
  const text =
    "Under 8 U.S.C. § 1154(a)(1)(A)(iii) and INA § 101(a)(15)(T), file Form I-914 with Supplement B and Form I-360 with USCIS; DHS and ICE. The Violence Against Women Act protects her. Springfield Police Department, Cook County Court.";
  assert.deepEqual(findPeople(text), []);
  assert.equal(new Redactor().redact(text).text, text);
});

test("case.json names match in lower case too: a full name always, a part where no everyday word spells it", () => {
  const r = new Redactor([{ name: "Elena Fictitia Marsh" }, { name: "Derek Okafor" }]);
  const out = r.redact("i saw elena fictitia marsh and derek yesterday; okafor will come. The marsh was wet. elena said so.").text;
  assert.equal(out, "i saw [PERSON_1] and [PERSON_2] yesterday; [PERSON_2] will come. The marsh was wet. [PERSON_1] said so.");
});

test("government offices, courts, prosecutors and police in Spanish and English are legal vocabulary, not people", () => {
  const agencies = [
    "Fiscalía General del Estado",
    "Procuraduría General de la República",
    "Juzgado Segundo de lo Familiar",
    "Secretaría de Seguridad Pública Municipal",
    "Policía Nacional Civil",
    "Ministerio Público",
    "Defensoría del Pueblo",
    "Instituto Nacional de Migración",
    "Comisión Nacional de los Derechos Humanos",
    "Dirección de Seguridad Ciudadana",
    "Fiscalía Especializada en Delitos Sexuales",
    "Office of the Attorney General",
    "Department of Public Safety",
  ];
  const text = `Denunció ante la ${agencies.join(", la ")}; su hermano Josué Tzul la acompañó.`;
  const out = new Redactor().redact(text).text;
  for (const a of agencies) assert.ok(out.includes(a), `${a} was redacted: ${out}`);
  assert.ok(!/Josué|Tzul/.test(out), out);
});

test("a place attached to an agency's name is the agency's, not a person: kept in documents, English and Spanish", () => {
  const agencies = [
    "Harris County Sheriff's Office",
    "Houston Police Department",
    "Cook County State's Attorney",
    "Los Angeles Superior Court",
    "HOUSTON POLICE DEPARTMENT",
    "Policía Municipal de San Pedro Sula",
    "Fiscalía Regional de San Pedro Sula",
    "Juzgado de Letras de Familia de Tegucigalpa",
  ];
  const text = `Lo denunció ante ${agencies.join("; ante ")}. Su hermano Josué Tzul la acompañó; vengo de San Pedro Sula.`;
  assert.deepEqual(
    agencySpans(text).map(([s, e]) => text.slice(s, e)),
    agencies,
  );
  const out = new Redactor().redact(text).text;
  for (const a of agencies) assert.ok(out.includes(a), `${a} was redacted: ${out}`);
  assert.ok(!/Josué|Tzul/.test(out), out);
  // Someone of the agency, named right after it, is a person; so is a listed party whose
  // name a place spells (the case's own people fail closed).
  assert.deepEqual(
    agencySpans("la Policía Nacional Civil Juan Pérez y el agente Ruiz").map(([s, e]) => [s, e]),
    [],
  );
  assert.equal(
    new Redactor([{ name: "Derek Harris" }]).redact("Derek went to the Harris County Sheriff's Office.").text,
    "[PERSON_1] went to the [PERSON_1] County Sheriff's Office.",
  );
});
