/**
 * A second labelled set for redaction, built NOT from the detector's patterns: whole
 * documents written from templates of what case files hold (Spanish first-person
 * narratives, bilingual police reports in ALL CAPS, English intake summaries, court
 * captions), with people drawn from name lists that are not the gazetteer's (Mayan and
 * Andean surnames, compound given names, two surnames with particles), and identifiers in
 * the formats those documents use. Every sensitive span is labelled as it is written;
 * scoring counts name parts word by word. Seeded, so every run scores the same set.
 */

import { type Detection, detectPii, type EntityType, type KnownPerson } from "../functions/redaction/detect.ts";
import { particles } from "../functions/redaction/fold.ts";
import { Redactor } from "../functions/redaction/redactor.ts";
import { seededRandom } from "../workflows/gameday.ts";

export interface NarrativeLabel {
  type: EntityType;
  start: number;
  end: number;
}

export interface NarrativeDoc {
  kind: "spanish-narrative" | "police-report" | "intake-summary" | "court-caption";
  text: string;
  labels: NarrativeLabel[];
  legal: string[];
  /** case.json's parties for half the documents; none for the rest (as `affiant redact` without --case). */
  people: KnownPerson[];
}

const given = [
  "Xóchitl",
  "Yareli",
  "Brayden",
  "Itzel",
  "Anahí",
  "Josué",
  "Wilmer",
  "Yesica",
  "Darwin",
  "Keila",
  "Marvin",
  "Elvia",
  "Osmín",
  "Nayeli",
  "Dulce María",
  "José Ángel",
  "María José",
  "Ángela",
  "Álvaro",
  "Lucía",
  "Héctor",
  "Nicole",
  "Tyler",
  "Shanice",
  "Bogdan",
  "Priya",
  "Kevin",
  "Glenda",
  "Ingrid",
  "Edwin",
];
const surnames = [
  "Quispe",
  "Mamani",
  "Tzul",
  "Ajú",
  "Chavarría",
  "Ostrowski",
  "Okonkwo",
  "Zelaya",
  "Portillo",
  "Cáceres",
  "Banegas",
  "Hernández",
  "Pérez",
  "Gómez",
  "López",
  "de la Cruz",
  "del Río",
  "de los Santos",
  "Nguyen",
  "Whitfield",
  "Ibáñez",
  "Argueta",
  "Chicas",
  "Coc",
  "Caal",
  "Maldonado",
];
/** The name lists the set's people are drawn from (not the gazetteer's): the notes set draws from them too. */
export const narrativeNames = { given, surnames } as const;
const cities = ["Houston", "San Pedro Sula", "Tegucigalpa", "Ciudad de México", "Quetzaltenango", "Los Angeles", "Chicago"];
const mesES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"];
const monthEN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const streetsES = ["Morelos", "Benito Juárez", "Hidalgo", "5 de Mayo", "Reforma", "Los Pinos", "Francisco Morazán"];
const coloniasES = ["Centro", "Las Flores", "San Rafael", "El Carmen", "Kennedy"];
/**
 * Names of government offices, courts, prosecutors' offices and police departments, labelled
 * by language: legal vocabulary a redactor must keep, never take for people.
 */
export const agencyNames: ReadonlyArray<{ phrase: string; language: "en" | "es" }> = [
  ...[
    "Fiscalía General del Estado",
    "Procuraduría General de la República",
    "Juzgado Segundo de lo Familiar",
    "Secretaría de Seguridad Pública",
    "Policía Nacional Civil",
    "Ministerio Público",
    "Instituto Nacional de Migración",
    "Comisión Nacional de los Derechos Humanos",
    "Fiscalía Especializada en Delitos Sexuales",
    "Tribunal Superior de Justicia",
    "Policía Municipal de San Pedro Sula",
    "Procuraduría de la Defensa del Menor y la Familia",
  ].map((phrase) => ({ phrase, language: "es" as const })),
  ...[
    "Office of the District Attorney",
    "Department of Homeland Security",
    "Executive Office for Immigration Review",
    "Attorney General",
    "Department of Public Safety",
    "Harris County Sheriff's Office",
    "Houston Police Department",
    "Board of Immigration Appeals",
    "Cook County State's Attorney",
    "Los Angeles Superior Court",
  ].map((phrase) => ({ phrase, language: "en" as const })),
];

const legalPhrases = [
  "Violence Against Women Act",
  "8 U.S.C. § 1101(a)(15)(U)",
  "INA § 240A(b)(2)",
  "Formulario I-918, Suplemento B",
  "Form I-94",
  "Form I-360",
  "8 C.F.R. § 214.14",
  "USCIS",
  "ICE",
  "Ley de Protección a Víctimas de la Trata",
  "Corte de Inmigración",
  "Order of Protection",
  "22 U.S.C. § 7102",
  // Government offices, courts, prosecutors and police in both languages: kept, never people.
  ...agencyNames.map((a) => a.phrase),
];

type Put = (s: string, type?: EntityType) => void;

export function buildNarrativeSet(size = 240, seed = 19): NarrativeDoc[] {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const digits = (n: number) => Array.from({ length: n }, () => int(0, 9)).join("");
  const letters = (n: number) => Array.from({ length: n }, () => "ABCDEFGHJKLMNPRSTUVWXYZ"[int(0, 22)]).join("");
  const person = () => {
    const first = pick(given);
    const two = random() < 0.5;
    const a = pick(surnames);
    const b = pick(surnames.filter((s) => s !== a));
    return { first, last: two ? `${a} ${b}` : a, full: `${first} ${two ? `${a} ${b}` : a}` };
  };
  const caps = (s: string) => s.toUpperCase();
  const docs: NarrativeDoc[] = [];
  for (let i = 0; i < size; i++) {
    let text = "";
    const labels: NarrativeLabel[] = [];
    const legal: string[] = [];
    const put: Put = (s, type) => {
      if (type) labels.push({ type, start: text.length, end: text.length + s.length });
      text += s;
    };
    const law = () => {
      const l = pick(legalPhrases);
      legal.push(l);
      return l;
    };
    const decl = person();
    const abuser = person();
    const child = { first: pick(given) };
    const sister = person();
    const officer = person();
    const year = int(2012, 2023);
    const anum = digits(9);
    const kind = (["spanish-narrative", "police-report", "intake-summary", "court-caption"] as const)[i % 4]!;
    if (kind === "spanish-narrative") {
      put("Me llamo ");
      put(decl.full, "PERSON");
      put(` y vengo de ${pick(cities)}. El `);
      put(`${int(1, 28)} de ${pick(mesES)} de ${year}`, "DATE");
      put(" conocí a ");
      put(abuser.full, "PERSON");
      put(". Vivíamos en ");
      put(
        `${pick(["Calle", "Avenida", "Av.", "Calzada"])} ${pick(streetsES)} ${random() < 0.3 ? "#" : ""}${int(1, 999)}${random() < 0.5 ? `, Col. ${pick(coloniasES)}` : ""}`,
        "ADDRESS",
      );
      put(". Mi hijo ");
      put(child.first, "PERSON");
      put(` nació en ${year + 1}. Mi hermana `);
      put(sister.full, "PERSON");
      put(" me llamaba al ");
      put(random() < 0.5 ? `+52 ${digits(2)} ${digits(4)} ${digits(4)}` : `+502 ${digits(4)}-${digits(4)}`, "PHONE");
      put(". En ");
      put(`${pick(mesES)} de ${year + 2}`, "DATE");
      put(" ");
      put(abuser.first.split(" ")[0]!, "PERSON");
      put(" me quitó mi pasaporte. Mi número de registro de extranjero es ");
      put(`${anum.slice(0, 3)}-${anum.slice(3, 6)}-${anum.slice(6)}`, "A_NUMBER");
      put(`. Mi abogada presentó el ${law()} ante ${law()}. `);
      put("Cuando llegó la policía, el oficial ");
      put(officer.last, "PERSON");
      put(" anotó el número de reporte ");
      put(`${year}-${digits(6)}`, "INCIDENT_NUMBER");
      put(".");
    } else if (kind === "police-report") {
      put("INCIDENT REPORT / REPORTE DE INCIDENTE\nINCIDENT NO.: ");
      put(`${pick(["HPD", "LAPD", "CPD"])}-${year}-${digits(6)}`, "INCIDENT_NUMBER");
      put("\nREPORTING OFFICER: OFC. ");
      put(caps(officer.full), "PERSON");
      put(" BADGE #");
      put(digits(4), "BADGE_NUMBER");
      put("\nVICTIM / VÍCTIMA: ");
      put(caps(decl.full), "PERSON");
      put(", DOB ");
      put(`${int(1, 12)}/${int(1, 28)}/19${int(70, 99)}`, "DATE_OF_BIRTH");
      put("\nSUSPECT / SOSPECHOSO: ");
      put(caps(abuser.full), "PERSON");
      put("\nDL# ");
      put(`${letters(1)}${digits(3)}-${digits(4)}-${digits(4)}`, "DRIVERS_LICENSE");
      put(" VEHICLE PLATE: ");
      put(`${letters(3)}-${digits(4)}`, "LICENSE_PLATE");
      put("\nNARRATIVE: R/O MADE CONTACT WITH ");
      put(caps(decl.first.split(" ")[0]!), "PERSON");
      put(" AT ");
      put(`${int(100, 9999)} ${caps(pick(["Elm", "Bellaire", "Airline", "Cedar"]))} ${pick(["ST", "AVE", "DR", "BLVD"])}`, "ADDRESS");
      put(". SHE STATED SHE WAS STRUCK BY ");
      put(caps(abuser.last), "PERSON");
      put(". WITNESS ");
      put(caps(sister.full), "PERSON");
      put(" CONFIRMED. LA VÍCTIMA DIJO QUE ");
      put(caps(abuser.first.split(" ")[0]!), "PERSON");
      put(` LA AMENAZÓ CON LLAMAR A ${law()}. CONTACT TEL `);
      put(`(${digits(3)}) ${digits(3)}-${digits(4)}`, "PHONE");
      put(".");
    } else if (kind === "intake-summary") {
      put("Intake summary. The client, ");
      put(decl.full, "PERSON");
      put(", married ");
      put(abuser.full, "PERSON");
      put(` in ${year}. Their son, `);
      put(child.first, "PERSON");
      put(", lives with her. ITIN ");
      put(`9${digits(2)}-${int(70, 88)}-${digits(4)}`, "ITIN");
      put("; I-94 No. ");
      put(digits(11), "ADMISSION_NUMBER");
      put("; Alien Registration No. ");
      put(`${anum.slice(0, 3)} ${anum.slice(3, 6)} ${anum.slice(6)}`, "A_NUMBER");
      put(`. She seeks relief under ${law()} and ${law()}. Her cousin `);
      put(sister.full, "PERSON");
      put(" can be reached at ");
      put(`+52 1 ${digits(2)} ${digits(4)} ${digits(4)}`, "PHONE");
      put(". The police case number is ");
      put(`${digits(2)}-${digits(6)}`, "INCIDENT_NUMBER");
      put(" (Incident No. reference). ");
      put(decl.first.split(" ")[0]!, "PERSON");
      put(" says ");
      put(
        abuser.last
          .split(" ")
          .filter((w) => !particles.has(w.toLowerCase()))
          .at(-1)!,
        "PERSON",
      );
      put(" kept her documents.");
    } else {
      put("IN THE DISTRICT COURT OF HARRIS COUNTY, TEXAS\nCase No. ");
      put(`${year}-${pick(["DV", "FM", "OP"])}-${digits(5)}`, "CASE_NUMBER");
      put("\nPetitioner: ");
      put(decl.full, "PERSON");
      put("\nRespondent: ");
      put(abuser.full, "PERSON");
      put("\nDocket No. ");
      put(`${digits(1)}:${digits(2)}-cv-${digits(5)}`, "CASE_NUMBER");
      put(`\nThe Court enters an ${law()} protecting Petitioner and her daughter, `);
      put(child.first, "PERSON");
      put(`, pursuant to ${law()}. Hearing set for `);
      put(`${int(1, 28)} de ${pick(mesES)} de ${year + 1}`, "DATE");
      put(` (${pick(monthEN)} ${int(1, 28)}, ${year + 1} in English). Respondent's license plate `);
      put(`${digits(1)}${letters(3)}${digits(3)}`, "LICENSE_PLATE");
      put(".");
    }
    const people: KnownPerson[] = i % 2 === 0 ? [{ name: decl.full }, { name: abuser.full }] : [];
    docs.push({ kind, text, labels, legal, people });
  }
  return docs;
}

export interface NarrativeScore {
  type: string;
  labels: number;
  found: number;
  detections: number;
  correct: number;
  recall: number;
  precision: number;
}

/** Words of a span that count as name parts (particles are not). */
function nameWords(text: string, start: number, end: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of text.slice(start, end).matchAll(/[\p{L}\p{M}'’-]+/gu)) {
    if (particles.has(m[0].toLowerCase())) continue;
    out.push([start + m.index!, start + m.index! + m[0].length]);
  }
  return out;
}

/**
 * Identifiers: recall and precision by span overlap of the same type. Names: word by word:
 * a labelled name part is found when a PERSON detection covers it; a word a PERSON detection
 * covers is correct when it is a labelled name part. Legal vocabulary: phrases kept whole.
 */
export function scoreNarratives(docs: NarrativeDoc[]): {
  types: NarrativeScore[];
  legalKept: number;
  legalTotal: number;
  /** The agency names among the legal phrases, by language: kept whole / met. */
  agencies: AgencyScore[];
} {
  const agencies = agencyTally();
  const by = new Map<string, { labels: number; found: number; detections: number; correct: number }>();
  const get = (t: string) => by.get(t) ?? by.set(t, { labels: 0, found: 0, detections: 0, correct: 0 }).get(t)!;
  let legalTotal = 0;
  let legalKept = 0;
  for (const doc of docs) {
    const spans: Detection[] = detectPii(doc.text, doc.people);
    const persons = spans.filter((d) => d.type === "PERSON");
    const covered = (a: number, b: number, ds: Array<{ start: number; end: number }>) => ds.some((d) => d.start < b && a < d.end);
    const partLabels = doc.labels.filter((l) => l.type === "PERSON").flatMap((l) => nameWords(doc.text, l.start, l.end));
    const names = get("PERSON (name parts)");
    for (const [a, b] of partLabels) {
      names.labels++;
      if (covered(a, b, persons)) names.found++;
    }
    for (const p of persons) {
      for (const [a, b] of nameWords(doc.text, p.start, p.end)) {
        names.detections++;
        if (partLabels.some(([x, y]) => x < b && a < y)) names.correct++;
      }
    }
    for (const l of doc.labels.filter((l) => l.type !== "PERSON")) {
      const s = get(l.type);
      s.labels++;
      if (
        covered(
          l.start,
          l.end,
          spans.filter((d) => d.type === l.type),
        )
      )
        s.found++;
    }
    for (const d of spans.filter((d) => d.type !== "PERSON")) {
      const s = get(d.type);
      s.detections++;
      if (
        covered(
          d.start,
          d.end,
          doc.labels.filter((l) => l.type === d.type),
        )
      )
        s.correct++;
    }
    const redactor = new Redactor(doc.people);
    const out = redactor.redact(doc.text).text;
    for (const phrase of doc.legal) {
      legalTotal++;
      if (out.includes(phrase)) legalKept++;
      agencies.count(phrase, out.includes(phrase));
    }
  }
  const types = [...by.entries()]
    .map(([type, s]) => ({ type, ...s, recall: s.labels ? s.found / s.labels : 1, precision: s.detections ? s.correct / s.detections : 1 }))
    .sort((a, b) => a.type.localeCompare(b.type));
  return { types, legalKept: legalTotal ? legalKept / legalTotal : 1, legalTotal, agencies: agencies.scores() };
}

export interface AgencyScore {
  language: "en" | "es";
  total: number;
  kept: number;
}

/** Counts agency names met and kept whole, by language (other phrases are not counted). */
export function agencyTally() {
  const languageOf = new Map(agencyNames.map((a) => [a.phrase, a.language]));
  const by = { en: { total: 0, kept: 0 }, es: { total: 0, kept: 0 } };
  return {
    count(phrase: string, kept: boolean) {
      const language = languageOf.get(phrase);
      if (!language) return;
      by[language].total++;
      if (kept) by[language].kept++;
    },
    scores: (): AgencyScore[] => (["en", "es"] as const).map((language) => ({ language, ...by[language] })),
  };
}
