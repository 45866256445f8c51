/**
 * The sample cases (examples/cases/) as data, the writer that turns one into a case folder,
 * and seeded variants of them: the same story with other people, numbers and dates, for
 * game days, where every case must be redacted on its own values, not on values that an
 * earlier run already showed to work. Every person, number and place is invented; the
 * PDFs say so on every page.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PDFParse } from "pdf-parse";
import { writeImagePdf, writePdf } from "./pdf-writer.ts";

export interface SampleDocument {
  file: string;
  title: string;
  pages: string[][];
}

export interface SampleCase {
  dir: string;
  /**
   * Every person named in the case, case.json or documents only: what a variant renames.
   * Organisations (the employer) are not listed: they stay as they are.
   */
  people: Array<{ name: string; given: "female" | "male" }>;
  /**
   * Numbers that identify the client or a witness, as they are written (A-numbers,
   * receipts, phones, house numbers): a variant gives each new digits, keeping the first
   * `keep` (the fictional 555-010 phone range) and every other character.
   */
  identifiers: Array<{ text: string; keep?: number }>;
  /** The declarant's date of birth as written in the documents (MM/DD/YYYY; case.json holds ISO). */
  dateOfBirthAsWritten?: string;
  caseJson: Record<string, unknown>;
  documents: SampleDocument[];
  /** Documents written as image-only PDFs, like a scanner makes: no text layer, OCR needed. */
  scans?: SampleDocument[];
}

export const vawa: SampleCase = {
  dir: "vawa-sample",
  people: [
    { name: "Elena Fictitia Marsh", given: "female" },
    { name: "Derek Samplefield", given: "male" },
    { name: "Rosa Exampleton", given: "female" },
    { name: "Jordan Testwell", given: "female" },
    { name: "Morgan Fakerly", given: "male" },
  ],
  identifiers: [
    { text: "A123456789" },
    { text: "(555) 010-4477", keep: 6 },
    { text: "(555) 010-9000", keep: 6 },
    { text: "4417 Placeholder" },
    { text: "88 Fictional" },
  ],
  dateOfBirthAsWritten: "03/14/1990",
  caseJson: {
    caseId: "vawa-sample-0001",
    caseType: "VAWA",
    language: "en",
    declarant: { name: "Elena Fictitia Marsh", aNumber: "A123456789", dateOfBirth: "1990-03-14" },
    parties: [
      { role: "abuser", name: "Derek Samplefield", status: "U.S. citizen" },
      { role: "witness", name: "Rosa Exampleton" },
    ],
    // Exhibits lettered in this order; the declarant's own account and the attorney's notes are sources, never filed.
    documents: [
      { file: "police-report-scan.pdf", role: "exhibit" },
      { file: "shelter-letter.pdf", role: "exhibit" },
      { file: "personal-statement.pdf", role: "interview" },
      { file: "intake-notes.pdf", role: "work-product" },
    ],
    notes: "Fictional sample case for Affiant. No real person is described.",
  },
  documents: [
    {
      file: "intake-notes.pdf",
      title: "Intake notes (FICTIONAL SAMPLE)",
      pages: [
        [
          "Client: Elena Fictitia Marsh. A-Number: A123456789. Date of birth: 03/14/1990.",
          "Phone: (555) 010-4477. Email: elena.marsh@example.com.",
          "Address: 4417 Placeholder Avenue, Apt 2B, Springfield, IL 62704.",
          "Matter: VAWA self-petition, Form I-360, under 8 U.S.C. § 1154(a)(1)(A)(iii).",
          "Elena married Derek Samplefield, a U.S. citizen, on June 2, 2016 in Springfield.",
          "They lived together at 88 Fictional Lane, Springfield, IL 62701 from 2016 to 2021.",
          "Elena reports that Derek began shouting at her and taking her passport in 2017.",
        ],
        [
          "In March 2019 Derek pushed Elena against a wall and broke her wrist; she was treated at the county hospital.",
          "Derek told her that he would call ICE and have her deported if she left him.",
          "He controlled all money and did not allow her to see her friend Rosa Exampleton.",
          "Elena left the home in August 2021 and stayed at a shelter for six weeks.",
          "Good moral character: no arrests; volunteers at a food pantry; pays taxes (ITIN).",
          "Documents requested: marriage certificate, police report, shelter letter, photos.",
        ],
      ],
    },
    {
      file: "personal-statement.pdf",
      title: "Personal statement draft notes (FICTIONAL SAMPLE)",
      pages: [
        [
          "I met Derek in 2015 at my cousin's wedding. He was kind and we talked every day.",
          "We married because we loved each other and wanted a family. We opened a joint bank account.",
          "After the wedding he changed. He checked my phone and said I could not work.",
          "He called me stupid in front of his family and said no one would believe an immigrant.",
        ],
        [
          "One night in March 2019 he pushed me so hard that my wrist broke. I told the nurse I fell.",
          "He said if I called the police he would have ICE take me away from my home.",
          "My friend Rosa helped me find the shelter. I was afraid but I left in August 2021.",
          "Now I work at a bakery and I volunteer on weekends. I want to live without fear.",
        ],
      ],
    },
    {
      file: "shelter-letter.pdf",
      title: "Letter from Safe Harbor Shelter (FICTIONAL SAMPLE)",
      pages: [
        [
          "To whom it may concern: Elena Fictitia Marsh resided at our shelter from August 9, 2021",
          "to September 20, 2021. She arrived with visible bruising and a healing wrist injury.",
          "Staff observed that she was frightened of her husband, Derek Samplefield.",
          "Contact: advocate Jordan Testwell, (555) 010-9000, jtestwell@example.org.",
        ],
        [
          "During her stay she attended counselling and a domestic violence support group.",
          "We believe her account of abuse is credible and consistent over time.",
          "Signed, Jordan Testwell, Senior Advocate.",
        ],
      ],
    },
  ],
  scans: [
    {
      file: "police-report-scan.pdf",
      title: "Springfield Police incident report (FICTIONAL SAMPLE, scanned)",
      pages: [
        [
          "Incident no. 19-004410. Date: March 22, 2019.",
          "Victim: Elena Fictitia Marsh. Suspect: Derek Samplefield (husband).",
          "Victim stated the suspect pushed her against a wall during an argument.",
          "Officer observed swelling of the right wrist. Victim was taken to the county hospital.",
          "Victim declined to press charges, stating she was afraid of immigration consequences.",
          "Reporting officer: Ofc. Morgan Fakerly.",
        ],
      ],
    },
  ],
};

export const tvisa: SampleCase = {
  dir: "tvisa-sample",
  people: [
    { name: "Tomas Imaginario Vela", given: "male" },
    { name: "Victor Fakename", given: "male" },
    { name: "Casey Nobody", given: "female" },
  ],
  identifiers: [
    { text: "A-987-654-321" },
    { text: "555-010-3321", keep: 6 },
    { text: "EAC2190012345" },
    { text: "1200 County Road" },
    // The identifiers of redaction's second round: each a type of its own in the vault, so
    // the game day's leak check looks for them too.
    { text: "912-78-1234", keep: 1 },
    { text: "12345678901" },
    { text: "23-000417" },
    { text: "2023-CR-004417" },
    { text: "Badge #4471" },
    { text: "D123-4567-8901" },
    { text: "7ABC123" },
    { text: "+502 5555-1234", keep: 3 },
  ],
  dateOfBirthAsWritten: "11/02/1994",
  caseJson: {
    caseId: "tvisa-sample-0001",
    caseType: "T",
    language: "en",
    declarant: { name: "Tomas Imaginario Vela", aNumber: "A-987-654-321", dateOfBirth: "1994-11-02" },
    parties: [
      { role: "trafficker", name: "Victor Fakename" },
      { role: "employer", name: "Sunfield Example Farms LLC" },
    ],
    // The police report is the one exhibit; the intake and hardship notes are the attorney's work product.
    documents: [
      { file: "police-report.pdf", role: "exhibit" },
      { file: "intake-notes.pdf", role: "work-product" },
      { file: "hardship-notes.pdf", role: "work-product" },
    ],
    notes: "Fictional sample case for Affiant. No real person is described.",
  },
  documents: [
    {
      file: "intake-notes.pdf",
      title: "Intake notes (FICTIONAL SAMPLE)",
      pages: [
        [
          "Client: Tomas Imaginario Vela. A-Number: A-987-654-321. DOB 11/02/1994.",
          "Phone: 555-010-3321. Receipt number for prior filing: EAC2190012345.",
          "ITIN 912-78-1234. I-94 No. 12345678901.",
          "Matter: T nonimmigrant status, Form I-914 with Supplement B, INA § 101(a)(15)(T).",
          "In 2022 Victor Fakename recruited Tomas in his home town with a promise of farm work",
          "paying fifteen dollars an hour and free housing. Tomas paid a recruitment fee of $4,000.",
        ],
        [
          "On arrival Victor took his passport and said he owed $12,000 for travel and housing.",
          "Tomas worked fourteen hours a day at Sunfield Example Farms and was paid almost nothing.",
          "Workers were locked in a trailer at night. Victor threatened to hurt his family at home.",
          "Tomas escaped in May 2023 and reported Victor to the local police and to HSI.",
          "He has complied with every request from law enforcement and gave two interviews.",
        ],
      ],
    },
    {
      file: "police-report.pdf",
      title: "Police incident report (FICTIONAL SAMPLE)",
      pages: [
        [
          "Incident no. 23-000417. Reporting party: Tomas Imaginario Vela.",
          "Reporting party states he was forced to work without pay by Victor Fakename",
          "at a farm property at 1200 County Road Example, Fresno, CA 93706.",
          "Reporting party states his passport was taken and his family was threatened.",
          "Suspect vehicle: license plate 7ABC123. Suspect's driver's license No. D123-4567-8901.",
        ],
        [
          "Officer referred the matter to Homeland Security Investigations (HSI).",
          "Reporting party cooperated fully and provided names of other workers.",
          "Case status: referred, Case No. 2023-CR-004417. Reporting officer: Ofc. Casey Nobody, Badge #4471.",
        ],
      ],
    },
    {
      file: "hardship-notes.pdf",
      title: "Hardship notes (FICTIONAL SAMPLE)",
      pages: [
        [
          "If returned, Tomas fears Victor's associates who know his family's address.",
          "He still owes the invented debt and has been told it passed to his brother.",
          "He receives trauma counselling here that is not available in his home town.",
          "Su madre vive en Calle Morelos 123, Col. Centro; su teléfono es +502 5555-1234.",
          "Victor la amenazó por teléfono el 3 de mayo de 2023.",
        ],
        [
          "He is present in the United States on account of the trafficking: he was brought",
          "here by Victor and has remained to assist the investigation.",
        ],
      ],
    },
  ],
};

export const sampleCases = [vawa, tvisa];

// Given names by the pronouns the stories use for each person, so a variant still reads right.
const givenNames = {
  female: [
    "Amira",
    "Lucia",
    "Nadia",
    "Irene",
    "Beatriz",
    "Carmen",
    "Daniela",
    "Farah",
    "Ines",
    "Julia",
    "Leila",
    "Marisol",
    "Noor",
    "Paula",
    "Selin",
    "Yara",
  ],
  male: [
    "Andres",
    "Bruno",
    "Cyrus",
    "Emil",
    "Hugo",
    "Ivan",
    "Karim",
    "Luca",
    "Mateo",
    "Nico",
    "Omar",
    "Rafael",
    "Stefan",
    "Tariq",
    "Joaquin",
    "Dmitri",
  ],
};
const surnames = [
  "Castellano",
  "Okafor",
  "Lindqvist",
  "Haddad",
  "Moreau",
  "Brennan",
  "Takeda",
  "Novak",
  "Quintero",
  "Albright",
  "Delacroix",
  "Ferreira",
  "Galloway",
  "Hollis",
  "Iwata",
  "Kowalski",
  "Marchetti",
  "Nakamura",
  "Oyelaran",
  "Petrov",
  "Rinaldi",
  "Sorensen",
  "Valdivia",
  "Whitcombe",
];

/** A seeded Fisher-Yates shuffle (a copy). */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** One pattern for all the keys, longest first, so that no key is cut short by its own prefix. */
function alternation(map: Map<string, string>, wrap: (alternatives: string) => string = (a) => a): RegExp | undefined {
  const keys = [...map.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return keys.length ? new RegExp(wrap(keys.join("|")), "g") : undefined;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const pad = (n: number) => String(n).padStart(2, "0");

/**
 * The sample under a new case id with everyone renamed (given, middle and family names each
 * replaced everywhere they stand, e-mail addresses included), every identifier given new
 * digits and the declarant born on another day. `random` decides all of it: the same seed
 * writes the same variant.
 */
export function caseVariant(sample: SampleCase, random: () => number, caseId: string): SampleCase {
  const given = { female: shuffled(givenNames.female, random), male: shuffled(givenNames.male, random) };
  const family = shuffled(surnames, random);
  const names = new Map<string, string>();
  for (const person of sample.people) {
    const parts = person.name.split(/\s+/);
    parts.forEach((part, i) => {
      if (names.has(part)) return;
      const pick = i === parts.length - 1 ? family.pop() : given[person.given].pop();
      if (!pick) throw new Error(`caseVariant: ${sample.dir} names more people than the name lists can rename`);
      names.set(part, pick);
    });
  }
  const values = new Map<string, string>();
  for (const { text, keep = 0 } of sample.identifiers) {
    let seen = 0;
    values.set(
      text,
      text.replace(/\d/g, (d) => (seen++ < keep ? d : String(Math.floor(random() * 10)))),
    );
  }
  const dob = String((sample.caseJson.declarant as { dateOfBirth?: string } | undefined)?.dateOfBirth ?? "");
  if (dob) {
    const [y, m, d] = [1975 + Math.floor(random() * 28), 1 + Math.floor(random() * 12), 1 + Math.floor(random() * 28)];
    values.set(dob, `${y}-${pad(m)}-${pad(d)}`);
    if (sample.dateOfBirthAsWritten) values.set(sample.dateOfBirthAsWritten, `${pad(m)}/${pad(d)}/${y}`);
  }
  // One pass each, so that a new value is never replaced again by a later rule.
  const lowerNames = new Map([...names].map(([from, to]) => [from.toLowerCase(), to.toLowerCase()]));
  const nameWord = alternation(names, (a) => `\\b(${a})\\b`);
  const lowerName = alternation(lowerNames);
  const identifier = alternation(values);
  // Nothing to replace is no rule at all: an empty alternation would match everywhere.
  const apply = (text: string, pattern: RegExp | undefined, map: Map<string, string>) =>
    pattern ? text.replace(pattern, (m) => map.get(m)!) : text;
  const rewrite = (text: string) => {
    const mailed = text.replace(/[\w.+-]+(?=@)/g, (local) => apply(local, lowerName, lowerNames));
    return apply(apply(mailed, nameWord, names), identifier, values);
  };
  const rewriteDoc = (doc: SampleDocument): SampleDocument => ({ ...doc, pages: doc.pages.map((lines) => lines.map(rewrite)) });
  return {
    dir: caseId,
    caseJson: { ...(JSON.parse(rewrite(JSON.stringify(sample.caseJson))) as Record<string, unknown>), caseId },
    people: sample.people.map((p) => ({ ...p, name: rewrite(p.name) })),
    identifiers: sample.identifiers.map(({ text, keep }) => ({ text: values.get(text)!, keep })),
    ...(sample.dateOfBirthAsWritten ? { dateOfBirthAsWritten: rewrite(sample.dateOfBirthAsWritten) } : {}),
    documents: sample.documents.map(rewriteDoc),
    ...(sample.scans ? { scans: sample.scans.map(rewriteDoc) } : {}),
  };
}

/** Writes a case folder: case.json, the text PDFs, and the scans as image-only PDFs. */
export async function writeCase(sample: SampleCase, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "case.json"), `${JSON.stringify(sample.caseJson, null, 2)}\n`);
  for (const doc of sample.documents) {
    const pages = doc.pages.map((lines, i) => [
      `${doc.title} - page ${i + 1} of ${doc.pages.length}`,
      "",
      ...lines,
      "",
      "This document is a fictional sample generated for software testing.",
    ]);
    await writePdf(path.join(dir, doc.file), pages, { title: doc.title });
  }
  for (const scan of sample.scans ?? []) {
    // Typeset the page, render it to an image, and keep only the image: a scan.
    const typeset = path.join(dir, `.${scan.file}.tmp`);
    await writePdf(
      typeset,
      scan.pages.map((lines) => [scan.title, "", ...lines, "", "This document is a fictional sample generated for software testing."]),
    );
    const parser = new PDFParse({ data: readFileSync(typeset) });
    try {
      const shot = await parser.getScreenshot({ scale: 2, imageBuffer: true, imageDataUrl: false });
      await writeImagePdf(
        path.join(dir, scan.file),
        shot.pages.map((p) => p.data),
      );
    } finally {
      await parser.destroy();
      rmSync(typeset, { force: true });
    }
  }
}
