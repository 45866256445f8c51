/**
 * A labelled synthetic set for redaction: sentences built from templates with every PII
 * span known, in the forms case files use (A-numbers written four ways, receipts, phones,
 * names after a full mention…), mixed with legal vocabulary that must survive untouched.
 * Seeded, so every run scores the same set.
 */

import { detectPii, type EntityType } from "../functions/redaction/detect.ts";
import { Redactor } from "../functions/redaction/redactor.ts";
import { seededRandom } from "../workflows/gameday.ts";

export interface Label {
  type: EntityType;
  start: number;
  end: number;
}

export interface LabelledDoc {
  text: string;
  labels: Label[];
  /** Legal phrases in the text that must come out unchanged. */
  legal: string[];
  people: Array<{ name: string }>;
}

const firstNames = [
  "Elena",
  "Tomas",
  "Maria",
  "Jose",
  "Ana",
  "Luis",
  "Rosa",
  "Carmen",
  "Pedro",
  "Lucia",
  "Grace",
  "Omar",
  "Fatima",
  "Ivan",
  "Mei",
];
const lastNames = [
  "Marsh",
  "Vela",
  "Quintero",
  "Okafor",
  "Haddad",
  "Novak",
  "Castillo",
  "Brennan",
  "Saldana",
  "Ferreira",
  "Lindqvist",
  "Achebe",
];
const streets = ["Placeholder Avenue", "Fictional Lane", "Example Street", "Sample Road", "Testing Boulevard"];
const legalPhrases = [
  "8 U.S.C. § 1154(a)(1)(A)(iii)",
  "INA § 101(a)(15)(T)",
  "Form I-360",
  "Form I-914, Supplement B",
  "8 C.F.R. § 214.11",
  "USCIS",
  "DHS",
  "ICE",
  "Form I-765",
  "22 U.S.C. § 7102",
];

export function buildRedactionSet(size = 400, seed = 7): LabelledDoc[] {
  const random = seededRandom(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join("");
  const docs: LabelledDoc[] = [];
  for (let i = 0; i < size; i++) {
    const first = pick(firstNames);
    const last = pick(lastNames);
    const abuserFirst = pick(firstNames.filter((f) => f !== first));
    const abuserLast = pick(lastNames.filter((l) => l !== last));
    let text = "";
    const labels: Label[] = [];
    const legal: string[] = [];
    const put = (s: string, type?: EntityType) => {
      if (type) labels.push({ type, start: text.length, end: text.length + s.length });
      text += s;
    };
    const a = digits(9);
    const aForms = [
      `A${a}`,
      `A-${a.slice(0, 3)}-${a.slice(3, 6)}-${a.slice(6)}`,
      `A# ${a.slice(0, 3)} ${a.slice(3, 6)} ${a.slice(6)}`,
      `A ${a}`,
    ];
    const phone = `(${digits(3)}) ${digits(3)}-${digits(4)}`;
    const ssn = `${1 + Math.floor(random() * 5)}${digits(2)}-${10 + Math.floor(random() * 89)}-${1000 + Math.floor(random() * 8999)}`;
    const receipt = `${pick(["EAC", "WAC", "LIN", "SRC", "IOE", "MSC", "NBC", "YSC"])}${digits(10)}`;
    const dob = `${1 + Math.floor(random() * 12)}/${1 + Math.floor(random() * 28)}/19${60 + Math.floor(random() * 40)}`;
    const street = `${1 + Math.floor(random() * 9000)} ${pick(streets)}`;
    const zip = `${10000 + Math.floor(random() * 89999)}`;
    const law = pick(legalPhrases);

    const months = ["January", "March", "June", "September", "November"];
    const mesES = ["enero", "marzo", "junio", "septiembre", "noviembre"];
    const phoneForms = [
      phone,
      `+1 ${digits(3)} ${digits(3)} ${digits(4)}`,
      `${digits(3)}.${digits(3)}.${digits(4)}`,
      `${digits(3)}-${digits(3)}-${digits(4)}`,
    ];
    const dobForms = [
      dob,
      `${pick(months)} ${1 + Math.floor(random() * 28)}, 19${60 + Math.floor(random() * 40)}`,
      `19${60 + Math.floor(random() * 40)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`,
    ];
    const spanish = random() < 0.3;

    if (spanish) {
      put("La cliente ");
      put(`${first} ${last}`, "PERSON");
      put(" nació el ");
      put(`${1 + Math.floor(random() * 28)} de ${pick(mesES)} de 19${60 + Math.floor(random() * 40)}`, "DATE_OF_BIRTH");
      put(". Teléfono: ");
      put(pick(phoneForms), "PHONE");
      put(". Número A: ");
      put(`${a.slice(0, 3)}-${a.slice(3, 6)}-${a.slice(6)}`, "A_NUMBER");
      put(". ");
    } else {
      put("Client ");
      put(`${first} ${last}`, "PERSON");
      put(" (A-Number: ");
      put(`${a.slice(0, 3)}-${a.slice(3, 6)}-${a.slice(6)}`, "A_NUMBER");
      put(") was born on ");
      put(pick(dobForms), "DATE_OF_BIRTH");
      put(". ");
    }
    put(`${pick(["She", "He"])} filed under `);
    put(law);
    legal.push(law);
    put(" and cites ");
    const law2 = pick(legalPhrases.filter((l) => l !== law));
    put(law2);
    legal.push(law2);
    // An A-number may wrap at the end of a line in extracted text.
    const wrapped = random() < 0.25;
    put(wrapped ? ". Her prior number is\n" : ". Her prior number ");
    put(wrapped ? `A-${a.slice(0, 3)}-${a.slice(3, 6)}-\n${a.slice(6)}` : pick(aForms), "A_NUMBER");
    put(" appears on receipt ");
    put(
      random() < 0.3 ? `${receipt.slice(0, 3)}-${receipt.slice(3, 5)}-${receipt.slice(5, 8)}-${receipt.slice(8)}` : receipt,
      "RECEIPT_NUMBER",
    );
    put(". Incident no. ");
    put(`${digits(2)}-${digits(6)}`, "INCIDENT_NUMBER");
    put(" was filed. ");
    put(abuserFirst, "PERSON");
    put(" ");
    put(abuserLast, "PERSON");
    put(" threatened ");
    put(first, "PERSON");
    put(" at ");
    put(random() < 0.4 ? `${street}, Apt ${1 + Math.floor(random() * 20)}${pick(["A", "B", ""])}` : street, "ADDRESS");
    put(", Springfield, IL ");
    put(random() < 0.2 ? `${zip}-${digits(4)}` : zip, "ZIP");
    put(". Later ");
    put(last, "PERSON");
    put(" called ");
    put(pick(phoneForms), "PHONE");
    put(" and wrote to ");
    put(`${first.toLowerCase()}.${last.toLowerCase()}${digits(2)}@example.com`, "EMAIL");
    put(". SSN ");
    put(ssn, "SSN");
    put(". The fee was $4,000 in 2022. ");
    // A witness the case file does not name: only the cue word gives them away.
    put(`${pick(["Officer", "Advocate", "Dr."])} `);
    put(`${pick(firstNames)} ${pick(lastNames)}`, "PERSON");
    put(" confirmed it.");
    docs.push({ text, labels, legal, people: [{ name: `${first} ${last}` }, { name: `${abuserFirst} ${abuserLast}` }] });
  }
  return docs;
}

export interface TypeScore {
  type: string;
  labels: number;
  found: number;
  detections: number;
  correct: number;
  recall: number;
  precision: number;
}

/** Recall and precision per entity type (span overlap, same type), and legal vocabulary kept. */
export function scoreRedaction(docs: LabelledDoc[]): { types: TypeScore[]; legalKept: number } {
  const by = new Map<string, { labels: number; found: number; detections: number; correct: number }>();
  const get = (t: string) => by.get(t) ?? by.set(t, { labels: 0, found: 0, detections: 0, correct: 0 }).get(t)!;
  let legalTotal = 0;
  let legalKept = 0;
  for (const doc of docs) {
    // The spans the redactor replaces, in the input's coordinates.
    const spans = detectPii(doc.text, doc.people);
    for (const l of doc.labels) {
      const s = get(l.type);
      s.labels++;
      if (spans.some((d) => d.type === l.type && d.start < l.end && l.start < d.end)) s.found++;
    }
    for (const d of spans) {
      const s = get(d.type);
      s.detections++;
      if (doc.labels.some((l) => l.type === d.type && d.start < l.end && l.start < d.end)) s.correct++;
    }
    const out = new Redactor(doc.people).redact(doc.text).text;
    for (const phrase of doc.legal) {
      legalTotal++;
      if (out.includes(phrase)) legalKept++;
    }
  }
  const types = [...by.entries()]
    .map(([type, s]) => ({ type, ...s, recall: s.labels ? s.found / s.labels : 1, precision: s.detections ? s.correct / s.detections : 1 }))
    .sort((a, b) => a.type.localeCompare(b.type));
  return { types, legalKept: legalTotal ? legalKept / legalTotal : 1 };
}
