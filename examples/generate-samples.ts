/**
 * Regenerates the sample cases in examples/cases/. Every person, number and place in them
 * is invented; the PDFs say so on every page. Run: `npm run samples`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { PDFParse } from "pdf-parse";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeImagePdf, writePdf } from "./pdf-writer.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const casesDir = path.join(here, "cases");

interface SampleDocument {
  file: string;
  title: string;
  pages: string[][];
}

interface SampleCase {
  dir: string;
  caseJson: Record<string, unknown>;
  documents: SampleDocument[];
  /** Documents written as image-only PDFs, like a scanner makes: no text layer, OCR needed. */
  scans?: SampleDocument[];
}

const vawa: SampleCase = {
  dir: "vawa-sample",
  caseJson: {
    caseId: "vawa-sample-0001",
    caseType: "VAWA",
    language: "en",
    declarant: { name: "Elena Fictitia Marsh", aNumber: "A123456789", dateOfBirth: "1990-03-14" },
    parties: [
      { role: "abuser", name: "Derek Samplefield", status: "U.S. citizen" },
      { role: "witness", name: "Rosa Exampleton" },
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

const tvisa: SampleCase = {
  dir: "tvisa-sample",
  caseJson: {
    caseId: "tvisa-sample-0001",
    caseType: "T",
    language: "en",
    declarant: { name: "Tomas Imaginario Vela", aNumber: "A-987-654-321", dateOfBirth: "1994-11-02" },
    parties: [
      { role: "trafficker", name: "Victor Fakename" },
      { role: "employer", name: "Sunfield Example Farms LLC" },
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
        ],
        [
          "Officer referred the matter to Homeland Security Investigations (HSI).",
          "Reporting party cooperated fully and provided names of other workers.",
          "Case status: referred. Reporting officer: Ofc. Casey Nobody, badge 0000.",
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
        ],
        [
          "He is present in the United States on account of the trafficking: he was brought",
          "here by Victor and has remained to assist the investigation.",
        ],
      ],
    },
  ],
};

async function writeCase(sample: SampleCase): Promise<void> {
  const dir = path.join(casesDir, sample.dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "case.json"), JSON.stringify(sample.caseJson, null, 2) + "\n");
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
    await writePdf(typeset, scan.pages.map((lines) => [scan.title, "", ...lines, "", "This document is a fictional sample generated for software testing."]));
    const parser = new PDFParse({ data: readFileSync(typeset) });
    try {
      const shot = await parser.getScreenshot({ scale: 2, imageBuffer: true, imageDataUrl: false });
      await writeImagePdf(path.join(dir, scan.file), shot.pages.map((p) => p.data));
    } finally {
      await parser.destroy();
      rmSync(typeset, { force: true });
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const sample of [vawa, tvisa]) {
    await writeCase(sample);
    console.log(`wrote ${path.join("examples/cases", sample.dir)}`);
  }
}
