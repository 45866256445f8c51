/**
 * A labelled set of attorney notes written as people type them, for the bench's redaction
 * rows: the case's own people in lower case and without accents, identifiers with spaces,
 * dots or no separators (an A-number without its "A"), a lower-case street address, people
 * nobody listed (in lower case and capitalised), and agency names in English and Spanish
 * that must survive. Each note goes through AttorneyNotes' redaction (`redactNotes`: the
 * vault's values in any form, the detector, then the fail-closed word-list pass) and the
 * privacy guard a hosted call passes. Names from the narrative set's lists, not the
 * gazetteer's. Seeded, so every run scores the same set.
 */

import { fold, particles } from "../functions/redaction/fold.ts";
import { privacyGuard } from "../functions/redaction/privacy-guard.ts";
import { Redactor } from "../functions/redaction/redactor.ts";
import { redactNotes } from "../functions/review-notes.ts";
import { seededRandom } from "../workflows/gameday.ts";
import { type AgencyScore, agencyNames, agencyTally, narrativeNames } from "./redaction-narratives.ts";

/** What a labelled value is: a name part of a party case.json lists, of someone nobody listed, or an identifier. */
export type NoteLabelKind = "party name" | "unlisted name" | "identifier";

export interface NoteDoc {
  text: string;
  /** The case's parties as case.json names them (the Redactor's known people). */
  parties: string[];
  /** What Redact's vault holds for the case: placeholder → value as the documents wrote it. */
  vault: Map<string, string>;
  labels: Array<{ kind: NoteLabelKind; value: string }>;
  /** Agency names written into the note: they must come out whole. */
  agencies: string[];
}

const streets = ["Bellaire", "Airline", "Gessner", "Westheimer", "Kirkwood", "Fondren", "Veterans Memorial"];

export function buildNotesSet(size = 120, seed = 29): NoteDoc[] {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const digits = (n: number) => Array.from({ length: n }, () => int(0, 9)).join("");
  const person = () => {
    const first = pick(narrativeNames.given);
    const a = pick(narrativeNames.surnames);
    const b = pick(narrativeNames.surnames.filter((s) => s !== a));
    const last = random() < 0.5 ? `${a} ${b}` : a;
    return { first, last, full: `${first} ${last}` };
  };
  // As people type: lower case, and half the time without the accents.
  const typed = (s: string) => (random() < 0.5 ? fold(s) : s.toLowerCase());
  const docs: NoteDoc[] = [];
  for (let i = 0; i < size; i++) {
    const decl = person();
    const abuser = person();
    const cousin = person();
    const witness = person();
    const anum = digits(9);
    const ssn = `${digits(3)}-${digits(2)}-${digits(4)}`;
    const phone = `(${digits(3)}) ${digits(3)}-${digits(4)}`;
    const address = `${int(100, 9999)} ${pick(streets)} ${pick(["Ave", "St", "Blvd", "Dr"])}`;
    const vault = new Map([
      ["[PERSON_1]", decl.full],
      ["[PERSON_2]", abuser.full],
      ["[A_NUMBER_1]", `A${anum}`],
      ["[SSN_1]", ssn],
      ["[PHONE_1]", phone],
      ["[ADDRESS_1]", address],
    ]);
    const ssnDigits = ssn.replace(/-/g, "");
    const ssnTyped = [
      `${ssnDigits.slice(0, 3)} ${ssnDigits.slice(3, 5)} ${ssnDigits.slice(5)}`,
      `${ssnDigits.slice(0, 3)}.${ssnDigits.slice(3, 5)}.${ssnDigits.slice(5)}`,
      ssnDigits,
    ][i % 3]!;
    const anumTyped = [
      `${anum.slice(0, 3)}.${anum.slice(3, 6)}.${anum.slice(6)}`,
      `a-${anum.slice(0, 3)} ${anum.slice(3, 6)} ${anum.slice(6)}`,
      anum,
    ][(i >> 1) % 3]!;
    const phoneTyped = phone.replace(/\D/g, "");
    const en = pick(agencyNames.filter((a) => a.language === "en")).phrase;
    const es = pick(agencyNames.filter((a) => a.language === "es")).phrase;
    const text =
      i % 2 === 0
        ? `paragraph ${int(1, 6)}: say more about what ${typed(abuser.full)} did to ${typed(decl.first)} in ${2015 + (i % 8)}. ` +
          `her ssn is ${ssnTyped} and her a-number ${anumTyped}; she lived at ${address.toLowerCase()}. ` +
          `her cousin ${typed(cousin.full)} (${phoneTyped}) and ${witness.full} saw it. ` +
          `she reported it to the ${en} and to the ${es}.`
        : `párrafo ${int(1, 6)}: falta decir qué le hizo ${typed(abuser.last)} a ${typed(decl.first)}. ` +
          `su seguro social es ${ssnTyped} y su número de extranjero ${anumTyped}; vivía en ${address.toLowerCase()}. ` +
          `su prima ${typed(cousin.full)} y ${witness.full} lo vieron; llamaba al ${phoneTyped}. ` +
          `lo denunció ante la ${es} y ante el ${en}.`;
    const parts = (name: string) => name.split(/\s+/).filter((w) => !particles.has(w.toLowerCase()));
    const labels: NoteDoc["labels"] = [
      ...parts(i % 2 === 0 ? abuser.full : abuser.last).map((value) => ({ kind: "party name" as const, value })),
      ...parts(decl.first).map((value) => ({ kind: "party name" as const, value })),
      ...parts(cousin.full).map((value) => ({ kind: "unlisted name" as const, value })),
      ...parts(witness.full).map((value) => ({ kind: "unlisted name" as const, value })),
      { kind: "identifier", value: ssnDigits },
      { kind: "identifier", value: anum },
      { kind: "identifier", value: phoneTyped },
      { kind: "identifier", value: address.split(" ")[0]! },
      ...address
        .split(" ")
        .slice(1, -1)
        .map((value) => ({ kind: "identifier" as const, value })),
    ];
    docs.push({ text, parties: [decl.full, abuser.full], vault, labels, agencies: [en, es] });
  }
  return docs;
}

export interface NotesScore {
  kind: NoteLabelKind;
  labels: number;
  /** Labelled values no longer in the text after redaction. */
  removed: number;
}

/** The digit runs of a text, separators (space, dot, dash) inside a run dropped: "123 45.6789" → "123456789". */
const digitRuns = (text: string) => [...text.matchAll(/\d(?:[\s.-]?\d)*/g)].map((m) => m[0].replace(/\D/g, ""));

/**
 * Each note as AttorneyNotes redacts it for a hosted rewrite: a name part stays when the
 * redacted text still has it as a word (folded); an identifier when its digits are still in
 * one run, or its street word is still a word. The privacy guard's refusals are counted
 * (a refused hosted call fails closed, at the cost of the fallback).
 */
export function scoreNotes(docs: NoteDoc[]): { kinds: NotesScore[]; agencies: AgencyScore[]; guardRefused: number; notes: number } {
  const by = new Map<NoteLabelKind, NotesScore>();
  const agencies = agencyTally();
  let guardRefused = 0;
  for (const doc of docs) {
    const out = redactNotes(doc.text, doc.vault, new Redactor(doc.parties.map((name) => ({ name }))));
    const words = new Set(fold(out).match(/[\p{L}\p{M}'’-]+/gu) ?? []);
    const runs = digitRuns(out);
    for (const l of doc.labels) {
      const s = by.get(l.kind) ?? by.set(l.kind, { kind: l.kind, labels: 0, removed: 0 }).get(l.kind)!;
      s.labels++;
      const left = /^\d+$/.test(l.value) ? runs.some((r) => r.includes(l.value)) : words.has(fold(l.value));
      if (!left) s.removed++;
    }
    for (const phrase of doc.agencies) agencies.count(phrase, out.includes(phrase));
    try {
      privacyGuard(doc.vault).check("GuardrailsRewriteFallback", `Attorney review: ${out}`);
    } catch {
      guardRefused++;
    }
  }
  return { kinds: [...by.values()], agencies: agencies.scores(), guardRefused, notes: docs.length };
}
