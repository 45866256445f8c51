/**
 * The identifier rules. Every numeric rule is anchored on its own shape (a receipt's
 * prefix, an SSN's groups) or on a labelling word in English or Spanish ("Badge #",
 * "número de registro de extranjero"), so legal vocabulary (8 U.S.C. § 1154, Form I-94,
 * INA § 101(a)(15)(T)) is never matched: only the number after the label goes.
 */
import { stopWords } from "./cues.ts";
import type { EntityType } from "./detect.ts";

export interface Rule {
  type: EntityType;
  pattern: RegExp;
  /** Capture group holding the value; 0 for the whole match. */
  group?: number;
  canonical?: (value: string) => string;
  /** A last look at the value (labels are matched case-insensitively, some values may not be). */
  accept?: (value: string) => boolean;
}

const digits = (v: string) => v.replace(/\D/g, "");
const upperAlnum = (v: string) => v.toUpperCase().replace(/[^A-Z0-9]/g, "");
const digitCount =
  (min: number, max = 99) =>
  (v: string) =>
    digits(v).length >= min && digits(v).length <= max;

const monthEn =
  "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)";
const monthEs = "(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre)";
const month = `(?:${monthEn}|${monthEs})`;
const datePattern = `(?:\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{2,4}|\\d{4}-\\d{2}-\\d{2}|${month}\\.?\\s+\\d{1,2},?\\s+\\d{4}|\\d{1,2}\\s+(?:de\\s+)?${month}\\s+(?:de(?:l)?\\s+)?\\d{4})`;
const streetSuffix =
  "(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|Terrace|Circle|Highway|Hwy|Parkway|Pkwy|Calle|Avenida|Camino)";
const streetSuffixWord = new RegExp(`^${streetSuffix}$`, "i");
const streetSuffixCaps = streetSuffix.replace(/[a-z]/g, (c) => c.toUpperCase());

/** "No.", "number", "#", "núm.", "número" between a label and its value. */
const numberWords = "(?:no\\.?|nos\\.?|nr\\.?|number|num\\.?|n[úu]m\\.?|n[úu]mero|#|nº|n°)";
/** "... number is 12-345678", "... número es 12-345678". */
const copula = "(?:(?:is|es|was|era|fue)\\s*:?\\s*)?";
const numberWord = `(?:\\s*${numberWords})?\\s*[:#]?\\s*${copula}`;
/** The same, not optional: "case 2019" is a year, "Case No. 2019-123" a case. */
const requiredNumberWord = `\\s*${numberWords}\\s*[:#]?\\s*${copula}`;
/** A label's value: letters, digits, dashes, with at least three digits ("2023-DV-004512", "23-004512"). */
const idValue = "((?=(?:[A-Z:/-]*\\d){3})[A-Z0-9]+(?:[-:/][A-Z0-9]+)*)";

/** Spanish street types, as written in a sentence and in an ALL-CAPS form. */
const viaWords = [
  "Calle",
  "C/",
  "Avenida",
  "Av.",
  "Avda.",
  "Calzada",
  "Calz.",
  "Bulevar",
  "Boulevard",
  "Blvd.",
  "Camino",
  "Carretera",
  "Privada",
  "Priv.",
  "Callejón",
  "Andador",
  "Cerrada",
  "Paseo",
  "Diagonal",
  "Circuito",
  "Prolongación",
  "Prol.",
];
const via = `(?:${[...viaWords, ...viaWords.map((w) => w.toUpperCase())].map((w) => w.replace(/[./]/g, "\\$&")).join("|")})`;
/** A capitalised word, or a short abbreviation before another ("Gral. Prim", "Sta. María"). */
const placeCap = "(?:\\p{Lu}\\p{L}{0,3}\\.(?=\\s+\\p{Lu})|\\p{Lu}\\p{L}*)";
const placeWord = `(?:${placeCap}|de|del|la|las|los|y|DE|DEL|LA|LAS|LOS|Y)`;
const placeName = `(?:(?:\\d{1,2}\\s+de\\s+)?${placeCap}(?:\\s+${placeWord}){0,4})`;
const neighbourhood = "(?:Col\\.|Colonia|COL\\.|COLONIA|Barrio|BARRIO|Fracc\\.|Fraccionamiento|FRACC\\.|Residencial|Zona|ZONA)";

// Order matters: earlier rules win ties between spans of one length.
export const identifierRules: Rule[] = [
  { type: "EMAIL", pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, canonical: (v) => v.toLowerCase() },
  {
    type: "RECEIPT_NUMBER",
    pattern: /\b(?:EAC|WAC|LIN|SRC|IOE|MSC|NBC|YSC)(?:[\s-]?\d){10}\b/g,
    canonical: (v) => v.slice(0, 3).toUpperCase() + digits(v),
  },
  {
    // A123456789, A-123-456-789, A# 123 456 789, A 12345678: the letter is part of the number.
    // A group may wrap onto the next line in extracted text ("A-123-456-\n789").
    type: "A_NUMBER",
    pattern: /\bA\s?(?:#|No\.?|-)?\s?(?:\d(?:[\s-]|-\n)?){7,8}\d\b/g,
    canonical: (v) => digits(v).padStart(9, "0"),
  },
  {
    // "A-Number: 123-456-789", "Alien Registration No. 123 456 789", "número de registro de
    // extranjero: 123456789", "USCIS #": the label stays, the digits go.
    type: "A_NUMBER",
    pattern:
      /\b(?:A-?Number|A-?Nr\.?|n[úu]mero\s+A|alien\s+(?:registration\s+)?(?:no\.?|number|#)|alien\s+reg(?:istration|\.)?\s*(?:no\.?|#)|USCIS\s*(?:#|no\.?|number)|(?:n[úu]mero\s+de\s+)?registro\s+de\s+extranjero(?:\s+(?:no\.?|n[úu]m\.?|n[úu]mero|#))?|n[úu]mero\s+de\s+extranjero)\s*[:#]?\s*(?:(?:is|es|era|was)\s+)?(?:A[\s-]?)?((?:\d(?:[\s-]|-\n)?){7,8}\d)\b/gi,
    group: 1,
    canonical: (v) => digits(v).padStart(9, "0"),
  },
  { type: "SSN", pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g, canonical: digits },
  {
    type: "SSN",
    pattern: /\b(?:SSN|Social Security(?: No\.?| Number)?|Seguro Social):?\s*(\d{9}|\d{3}\s\d{2}\s\d{4})\b/gi,
    group: 1,
    canonical: digits,
  },
  // ITINs are nine digits starting with 9, the middle group 50–65, 70–88, 90–92 or 94–99.
  { type: "ITIN", pattern: /\b9\d{2}[-\s](?:5\d|6[0-5]|7\d|8[0-8]|9[0-24-9])[-\s]\d{4}\b/g, canonical: digits },
  {
    type: "ITIN",
    pattern: /\bITIN\s*(?:no\.?|number|n[úu]mero|#)?\s*:?\s*(9\d{2}[\s-]?\d{2}[\s-]?\d{4})\b/gi,
    group: 1,
    canonical: digits,
  },
  {
    // I-94 admission numbers: 11 digits, or 9 digits, a letter and a digit (since 2013).
    type: "ADMISSION_NUMBER",
    pattern:
      /\b(?:I-?94|admission|admisi[óo]n)(?:\s+(?:record|form|registro))?(?:\s+(?:no\.?|number|n[úu]mero|#))?(?:\s+(?:is|es))?\s*[:#]?\s*(\d{3}[\s-]?\d{4}[\s-]?\d{4}|\d{9}[A-Z]\d)\b/gi,
    group: 1,
    canonical: upperAlnum,
  },
  {
    type: "PASSPORT",
    pattern: /\b(?:passport|pasaporte)(?:\s+(?:no\.?|number|n[úu]mero|#))?\s*:?\s*((?=[A-Z0-9]*\d)[A-Z0-9]{6,9})\b/gi,
    group: 1,
    canonical: (v) => v.toUpperCase(),
  },
  {
    type: "INCIDENT_NUMBER",
    pattern: new RegExp(
      `\\b(?:incident|police\\s+report|report|event|RD|CR|CAD|complaint|n[úu]mero\\s+de\\s+(?:incidente|reporte|informe|denuncia|folio)|(?:incidente|reporte|informe|denuncia)|folio)${numberWord}${idValue}`,
      "gi",
    ),
    group: 1,
    canonical: upperAlnum,
    accept: (v) => !/[a-z]/.test(v),
  },
  // A police "case number" is the police report's number, not a court's.
  {
    type: "INCIDENT_NUMBER",
    pattern: new RegExp(`\\bpolice\\s+case${requiredNumberWord}${idValue}`, "gi"),
    group: 1,
    canonical: upperAlnum,
  },
  {
    // Federal dockets carry lower-case letters ("1:23-cv-01234").
    type: "CASE_NUMBER",
    pattern: new RegExp(
      `\\b(?:(?:court\\s+)?case${requiredNumberWord}|docket${numberWord}|cause${requiredNumberWord}|expediente${numberWord}|causa${requiredNumberWord}|n[úu]mero\\s+de\\s+(?:caso|expediente|causa)\\s*:?\\s*)${idValue}`,
      "gi",
    ),
    group: 1,
    canonical: upperAlnum,
  },
  {
    type: "BADGE_NUMBER",
    pattern:
      /\b(?:badge|shield|placa\s+(?:del?\s+(?:la\s+)?)?(?:oficial|agente|polic[íi]a)|n[úu]mero\s+de\s+placa\s+(?:del?\s+(?:la\s+)?)?(?:oficial|agente|polic[íi]a))(?:\s*(?:no\.?|number|num\.?|n[úu]m\.?|n[úu]mero|#))?\s*[:#]?\s*([A-Z]{0,3}-?\d{2,8})\b/gi,
    group: 1,
    canonical: upperAlnum,
  },
  {
    type: "DRIVERS_LICENSE",
    pattern: new RegExp(
      `\\b(?:driver['’]?s?\\s+licen[cs]e|DL|D\\.L\\.|OLN|licencia\\s+de\\s+(?:conducir|manejo|manejar))${numberWord}${idValue}`,
      "gi",
    ),
    group: 1,
    canonical: upperAlnum,
    accept: (v) => !/[a-z]/.test(v) && upperAlnum(v).length >= 5,
  },
  {
    type: "LICENSE_PLATE",
    pattern:
      /\b(?:licen[cs]e\s+plate|plates?|tag|placas?(?:\s+(?:del?|de\s+la)\s+(?:veh[íi]culo|carro|auto|coche|camioneta))?|matr[íi]cula)(?:\s*(?:no\.?|number|num\.?|n[úu]m\.?|n[úu]mero|#))?\s*[:#]?\s*((?=[A-Z0-9 -]*\d)[A-Z0-9]{1,8}(?:[ -][A-Z0-9]{1,4}){0,2})\b/gi,
    group: 1,
    canonical: upperAlnum,
    accept: (v) => !/[a-z]/.test(v) && /[A-Z]/.test(v) && upperAlnum(v).length >= 4 && upperAlnum(v).length <= 8,
  },
  {
    type: "DATE_OF_BIRTH",
    pattern: new RegExp(
      `\\b(?:DOB|D\\.O\\.B\\.|date of birth|birth ?date|born(?: on)?|fecha de nacimiento|f\\. de nac\\.|naci[óo](?: el)?)\\s*:?\\s*(${datePattern})`,
      "gi",
    ),
    group: 1,
  },
  {
    // Dates written in Spanish ("14 de marzo de 1990", "3 de mayo del 2019", "marzo de 2019").
    type: "DATE",
    pattern: new RegExp(
      `\\b(?:(?:\\d{1,2}|primero)\\s+de\\s+${monthEs}(?:\\s+(?:de|del)\\s+\\d{4})?|${monthEs}\\s+(?:de|del)\\s+\\d{4}|\\d{1,2}[/-](?:ene|feb|mar|abr|may|jun|jul|ago|sep|set|oct|nov|dic)[a-z]*\\.?[/-]\\d{2,4})\\b`,
      "gi",
    ),
    canonical: (v) => v.toLowerCase().replace(/\s+/g, " "),
  },
  {
    type: "PHONE",
    pattern: /(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b/g,
    canonical: (v) => digits(v).slice(-10),
  },
  {
    // Foreign numbers with their country code: +52 55 1234 5678, +502 5555-1234.
    type: "PHONE",
    pattern: /(?<![\w+])\+(?!1[\s.-])[2-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}\)?){2,5}\b/g,
    canonical: digits,
    accept: digitCount(8, 15),
  },
  {
    // A labelled number without a country code ("Tel.: 55 1234 5678", "celular 5555-1234").
    type: "PHONE",
    pattern:
      /\b(?:tel(?:[ée]fono)?|cel(?:ular)?|m[óo]vil|whats ?app|phone|cell)\.?\s*(?:no\.?|number|n[úu]mero|#)?\s*:?\s*((?:\d[\s.-]?){7,12}\d)\b/gi,
    group: 1,
    canonical: (v) => digits(v).slice(-10),
    accept: digitCount(8, 13),
  },
  {
    type: "ADDRESS",
    pattern: new RegExp(
      `\\b\\d{1,6}[ \\t]+(?:[A-Z][A-Za-z]*\\.?[ \\t]+){0,3}(?:${streetSuffix}|${streetSuffixCaps})\\b\\.?(?:[ \\t]+[A-Z][a-z]+){0,2}(?:,?\\s*(?:Apt|Apartment|Unit|Suite|APT|UNIT|#)\\.?\\s*[A-Za-z0-9-]+)?`,
      "g",
    ),
    canonical: (v) => v.toLowerCase().replace(/\s+/g, " "),
  },
  {
    // The same in any case, as people type it ("4417 placeholder ave", "12 elm st."): the
    // street's words may not be everyday grammar, so "12 on the way" is not an address.
    type: "ADDRESS",
    pattern: new RegExp(
      `\\b\\d{1,6}[ \\t]+((?:[a-z][a-z'-]*\\.?[ \\t]+){1,3})${streetSuffix}\\b\\.?(?:,?\\s*(?:apt|apartment|unit|suite|#)\\.?\\s*[a-z0-9-]+)?`,
      "gi",
    ),
    canonical: (v) => v.toLowerCase().replace(/\s+/g, " "),
    accept: (v) => {
      const words = v
        .replace(/^\d+\s+/, "")
        .split(/\s+/)
        .map((w) => w.toLowerCase().replace(/[.,]+$/, ""));
      const suffix = words.findIndex((w, i) => i > 0 && streetSuffixWord.test(w));
      return suffix > 0 && !words.slice(0, suffix).some((w) => stopWords.has(w));
    },
  },
  {
    // Spanish order: the street type, its name, then the number ("Calle Morelos 123, Col. Centro").
    type: "ADDRESS",
    pattern: new RegExp(
      `\\b${via}\\s+${placeName}\\s*,?\\s+(?:#|No\\.?|Núm\\.?|Num\\.?|NO\\.?)?\\s*\\d{1,5}[A-Z]?(?:-\\d{1,4})?(?:\\s*,?\\s*(?:Int\\.?|Interior|Depto\\.?|Departamento|Apto\\.?|INT\\.?)\\s*[A-Z0-9-]+)?(?:\\s*,\\s*${neighbourhood}\\s+(?:${placeName}|\\d{1,2}))?`,
      "gu",
    ),
    canonical: (v) => v.toLowerCase().replace(/\s+/g, " "),
  },
  {
    // Central American order: "4a. Calle 3-25, Zona 1".
    type: "ADDRESS",
    pattern: /\b\d{1,2}(?:a|ª|o|º)\.?\s+(?:Calle|Avenida|Av\.|CALLE|AVENIDA)\s+\d{1,3}-\d{1,3}(?:\s*,?\s*(?:Zona|ZONA)\s+\d{1,2})?/g,
    canonical: (v) => v.toLowerCase().replace(/\s+/g, " "),
  },
  // A neighbourhood on its own ("Colonia Las Flores", "Barrio El Centro").
  {
    type: "ADDRESS",
    pattern: new RegExp(`\\b${neighbourhood}\\s+${placeName}`, "gu"),
    canonical: (v) => v.toLowerCase().replace(/\s+/g, " "),
  },
  // A ZIP only counts after a state abbreviation ("IL 62704") or "C.P.": a bare five-digit
  // number is as likely a statute section or a dollar amount.
  {
    type: "ZIP",
    pattern:
      /\b(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[TA]|W[AVIY]|PR)\s+(\d{5}(?:-\d{4})?)\b/g,
    group: 1,
  },
  { type: "ZIP", pattern: /\bC\.\s?P\.\s*(\d{5})\b/g, group: 1 },
  // Fail closed: any nine digits in the SSN/ITIN shape (NNN-NN-NNNN, with spaces, dots or
  // no separators) is an identifier, whatever its groups. Last, so a labelled rule of the
  // same span (a passport's nine digits) keeps its type.
  { type: "SSN", pattern: /(?<![\d.-])\d{3}([ .-]?)\d{2}\1\d{4}(?![\d]|[.-]\d)/g, canonical: digits },
];
