/**
 * Attorney notes as people type them go through the documents' detector and then the
 * fail-closed pass: lower-case names, spaced and dotted numbers, a missing "A", lower-case
 * addresses, names nobody listed. Nothing of them is left; legal vocabulary and placeholders are.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import { SortedWordList } from "../../functions/redaction/common-words.ts";
import { detectVaultValues } from "../../functions/redaction/detect.ts";
import { redactUnvouched } from "../../functions/redaction/fail-closed.ts";
import { privacyGuard } from "../../functions/redaction/privacy-guard.ts";
import { Redactor } from "../../functions/redaction/redactor.ts";
import { redactNotes } from "../../functions/review-notes.ts";

export const notesVault = new Map([
  ["[PERSON_1]", "Elena Fictitia Marsh"],
  ["[PERSON_2]", "Derek Samplefield"],
  ["[PERSON_3]", "Ángela Quispe"],
  ["[A_NUMBER_1]", "A123456789"],
  ["[SSN_1]", "321-54-9876"],
  ["[ADDRESS_1]", "4417 Placeholder Ave"],
  ["[PHONE_1]", "(555) 010-4477"],
]);

export const typedNotes =
  "Paragraph 2: say more about what derek did to elena in march, and what angela saw. her ssn is 321 54 9876, a-number 123.456.789 (or 123 456 789); " +
  "she lived at 4417 placeholder ave. Her cousin okafor lindqvist (call 555 010 4477 or 5550104477) helped, and so did Brennan Tolliver. " +
  "Don't forget the I-914 Supplement B and the police report from the Fiscalía General del Estado.";

/** Every value the notes above hold, as typed. */
export const typedValues = [
  "derek",
  "elena",
  "angela",
  "321 54 9876",
  "9876",
  "123.456.789",
  "123 456 789",
  "placeholder",
  "okafor",
  "lindqvist",
  "010 4477",
  "5550104477",
  "Brennan",
  "Tolliver",
];

test("notes as people type them: known values in any case and number format become their placeholders, unlisted names [REDACTED]", () => {
  const out = redactNotes(typedNotes, notesVault, new Redactor([{ name: "Elena Fictitia Marsh" }, { name: "Derek Samplefield" }]));
  for (const v of typedValues) assert.ok(!out.toLowerCase().includes(v.toLowerCase()), `${v} survived: ${out}`);
  assert.match(out, /what \[PERSON_2\] did to \[PERSON_1\] in march, and what \[PERSON_3\] saw/);
  assert.match(out, /ssn is \[SSN_1\], a-number \[A_NUMBER_1\] \(or \[A_NUMBER_1\]\)/);
  assert.match(out, /lived at \[ADDRESS_1\]/);
  assert.match(out, /call \[PHONE_1\] or \[PHONE_1\]/);
  assert.match(out, /Her cousin \[REDACTED\] \(/, "a name nobody listed, in lower case");
  assert.match(out, /so did \[REDACTED\]\./);
  // Legal vocabulary, everyday words and placeholders stay.
  assert.match(out, /Don't forget the I-914 Supplement B and the police report from the Fiscalía General del Estado\./);
});

test("the vault's values are matched folded and by digits; every part of a name in any case, everyday word or not", () => {
  const vault = new Map([
    ["[PERSON_1]", "Will Marsh Okafor"],
    ["[A_NUMBER_1]", "A-123-456-789"],
  ]);
  const spans = (text: string) => detectVaultValues(text, vault).map((d) => [text.slice(d.start, d.end), d.placeholder]);
  assert.deepEqual(spans("WILL MARSH OKAFOR; will marsh okafor; okafor; A 123 456 789; 123456789"), [
    ["WILL MARSH OKAFOR", "[PERSON_1]"],
    ["will marsh okafor", "[PERSON_1]"],
    ["okafor", "[PERSON_1]"],
    ["A 123 456 789", "[A_NUMBER_1]"],
    ["123456789", "[A_NUMBER_1]"],
  ]);
  // Fail closed: the vault says these words are the case's people, so free text loses them
  // even where they are everyday words (documents keep "will" and "marsh": redaction-people).
  assert.deepEqual(spans("I will walk by the marsh."), [
    ["will", "[PERSON_1]"],
    ["marsh", "[PERSON_1]"],
  ]);
});

test("notes: a party's name parts that are everyday words go in any case and without accents (santos, cruz, río, ángel)", () => {
  const vault = new Map([
    ["[PERSON_1]", "José Ángel de los Santos"],
    ["[PERSON_2]", "Rosa Cruz del Río"],
  ]);
  const notes = "ask angel what santos did; su esposa rosa cruz del rio lo vio, y la CRUZ ROJA no. Ángel lo dijo.";
  const out = redactNotes(notes, vault, new Redactor([...vault.values()].map((name) => ({ name }))));
  assert.equal(out, "ask [PERSON_1] what [PERSON_1] did; su esposa [PERSON_2] lo vio, y la [PERSON_2] ROJA no. [PERSON_1] lo dijo.");
  assert.doesNotThrow(() => privacyGuard(vault).check("GuardrailsRewriteFallback", out));
});

test("notes: a word right after a relative or a naming verb is a name whatever it spells; grammar after the cue stays", () => {
  const unlisted = redactUnvouched(
    "her cousin tyler portillo chicas saw it. su prima chicas de la cruz y su hermano lo vieron. a man named santos called. " +
      "OFFICER CRUZ wrote it down.",
  );
  assert.equal(
    unlisted.text,
    "her cousin [REDACTED] saw it. su prima [REDACTED] y su hermano lo vieron. a man named [REDACTED] called. OFFICER [REDACTED] wrote it down.",
  );
  // A placeholder may stand right after the cue (a cousin who shares the declarant's name).
  assert.equal(
    redactUnvouched("her cousin [PERSON_1] santos saw it; mi tío, llamado cruz, vino.").text,
    "her cousin [PERSON_1] [REDACTED] saw it; mi tío, llamado [REDACTED], vino.",
  );
  // Verbs, pronouns and adjectives after a relative are not names; a title followed by a
  // common noun ("attorney notes") is not a name either.
  const kept =
    "her cousin saw it and my brother came home drunk; su hermano llegó borracho y su esposo le pegó; la madre del niño lo vio. attorney notes: the victim advocate called.";
  assert.equal(redactUnvouched(kept).text, kept);
});

test("notes: a capitalised everyday word joined to a name already removed is the rest of that name", () => {
  const out = redactUnvouched("and Itzel Ostrowski Chicas saw it. Ask [PERSON_1] Santos about [PERSON_2] County records.");
  assert.equal(out.text, "and [REDACTED] saw it. Ask [PERSON_1] [REDACTED] about [PERSON_2] County records.");
});

test("notes: the place in an agency's name is kept, in English and Spanish", () => {
  const agencies = [
    "Harris County Sheriff's Office",
    "Houston Police Department",
    "Cook County State's Attorney",
    "Los Angeles Superior Court",
    "Policía Municipal de San Pedro Sula",
    "Juzgado Segundo de lo Familiar de Tegucigalpa",
  ];
  const notes = `she reported it to the ${agencies.join(", to the ")}; her cousin tyler went too.`;
  const out = redactNotes(notes, notesVault, new Redactor([{ name: "Elena Fictitia Marsh" }]));
  for (const a of agencies) assert.ok(out.includes(a), `${a} was redacted: ${out}`);
  assert.match(out, /her cousin \[REDACTED\] went too\.$/);
});

test("the fail-closed pass keeps everyday English and Spanish, legal vocabulary and placeholders, and nothing else", () => {
  const kept = "El juez de inmigración pidió más pruebas; USCIS sent an RFE about the I-918 for [PERSON_1] at [ADDRESS_2], see [REDACTED].";
  assert.deepEqual(redactUnvouched(kept), { text: kept, redacted: 0 });
  const out = redactUnvouched("ask zyxwort quimbleton about case 88812345 and jolvanny");
  assert.equal(out.text, "ask [REDACTED] about case [REDACTED] and [REDACTED]");
  assert.equal(out.redacted, 4);
});

test("the word lists are searched in place: both are sorted as JavaScript compares strings, and a search finds every word", () => {
  const require = createRequire(import.meta.url);
  for (const name of ["an-array-of-english-words", "an-array-of-spanish-words"]) {
    const file = require.resolve(name);
    const words = JSON.parse(readFileSync(file, "utf8")) as string[];
    for (let i = 1; i < words.length; i++) assert.ok(words[i - 1]! < words[i]!, `${name} is not sorted at word ${i}`);
    const list = new SortedWordList(readFileSync(file, "utf8"), file);
    assert.equal(list.size, words.length, name);
    for (let i = 0; i < words.length; i += 997) assert.ok(list.has(words[i]!), `${name}: ${words[i]} not found`);
    assert.equal(list.has(`${words[0]}zzzz-not-a-word`), false);
    assert.equal(list.has(""), false);
  }
  assert.throws(() => new SortedWordList('["a\\"b"]', "escaped.json"), /escaped\.json: the word list holds escapes/);
});
