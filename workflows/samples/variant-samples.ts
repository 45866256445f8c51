/**
 * Sample cases for the VAWA variants the first samples do not show: an abused parent of a U.S.
 * citizen son aged 21 or over (a Spanish-speaking declarant who reads a written Spanish copy
 * before signing, inside the United States), an abused child of a U.S. citizen father, and an
 * abused spouse of a lawful permanent resident (INA 204(a)(1)(B)(ii)). Text PDFs only: each is
 * run end to end by the tests, and OCR is the first samples' concern. Every person, number and
 * place is invented; the PDFs say so on every page.
 */
import type { SampleCase } from "./sample-cases.ts";

export const vawaParent: SampleCase = {
  dir: "vawa-parent-sample",
  people: [
    { name: "Rosario Inventada Quiroga", given: "female" },
    { name: "Julián Ficticio Quiroga", given: "male" },
    { name: "Paula Ejemplo Soto", given: "female" },
  ],
  identifiers: [{ text: "A345678912" }, { text: "(555) 010-3321", keep: 6 }, { text: "1510 Example Road" }],
  dateOfBirthAsWritten: "02/11/1961",
  caseJson: {
    caseId: "vawa-parent-sample-0001",
    caseType: "VAWA",
    variant: "parent",
    language: "es",
    interpretation: "written-copy",
    signing: "Houston, Texas",
    declarant: { name: "Rosario Inventada Quiroga", aNumber: "A345678912", dateOfBirth: "1961-02-11" },
    parties: [
      { role: "abuser", name: "Julián Ficticio Quiroga", status: "U.S. citizen" },
      { role: "witness", name: "Paula Ejemplo Soto" },
    ],
    notes: "Fictional sample case for Affiant. No real person is described. The declarant reads Spanish.",
  },
  documents: [
    {
      file: "intake-notes.pdf",
      title: "Intake notes (FICTIONAL SAMPLE)",
      pages: [
        [
          "Client: Rosario Inventada Quiroga. A-Number: A345678912. Date of birth: 02/11/1961.",
          "Phone: (555) 010-3321. Matter: VAWA self-petition, Form I-360, abused parent of a U.S. citizen son.",
          "Her son Julián Ficticio Quiroga is a U.S. citizen (born in Houston in 1990).",
          "Rosario lived with her son at 1510 Example Road, Houston, TX 77000 from 2018 to 2023.",
          "From 2019 Julián took her wages and locked her in her room. She reads Spanish.",
        ],
      ],
    },
    {
      file: "personal-statement.pdf",
      title: "Personal statement notes, taken in Spanish (FICTIONAL SAMPLE)",
      pages: [
        [
          "I came to live with my son in Houston in 2018 to care for my grandchildren.",
          "In 2019 he started taking the money I earned and shouting that I was worth nothing.",
          "In December 2021 he locked me in my room for two days without food.",
          "My neighbor Paula Ejemplo Soto took me to her home in March 2023.",
        ],
      ],
    },
    {
      file: "neighbor-letter.pdf",
      title: "Letter from a neighbor (FICTIONAL SAMPLE)",
      pages: [
        [
          "To whom it may concern: I am Paula Ejemplo Soto, a neighbor of Rosario since 2018.",
          "In December 2021 I heard her calling for help from a locked room in her son's house.",
          "In March 2023 she came to my home frightened and with no money.",
        ],
      ],
    },
  ],
};

export const vawaChild: SampleCase = {
  dir: "vawa-child-sample",
  people: [
    { name: "Daniel Ficticio Orr", given: "male" },
    { name: "Gregory Samplewood Orr", given: "male" },
    { name: "Alma Testimonia", given: "female" },
  ],
  identifiers: [{ text: "A456789123" }, { text: "(555) 010-5540", keep: 6 }, { text: "73 Imaginary Court" }],
  dateOfBirthAsWritten: "09/30/2006",
  caseJson: {
    caseId: "vawa-child-sample-0001",
    caseType: "VAWA",
    variant: "child",
    language: "en",
    declarant: { name: "Daniel Ficticio Orr", aNumber: "A456789123", dateOfBirth: "2006-09-30" },
    parties: [
      { role: "abuser", name: "Gregory Samplewood Orr", status: "U.S. citizen" },
      { role: "witness", name: "Alma Testimonia" },
    ],
    notes: "Fictional sample case for Affiant. No real person is described.",
  },
  documents: [
    {
      file: "intake-notes.pdf",
      title: "Intake notes (FICTIONAL SAMPLE)",
      pages: [
        [
          "Client: Daniel Ficticio Orr. A-Number: A456789123. Date of birth: 09/30/2006. Unmarried.",
          "Phone: (555) 010-5540. Matter: VAWA self-petition, Form I-360, abused child of a U.S. citizen parent.",
          "His father Gregory Samplewood Orr is a U.S. citizen (naturalized 2004).",
          "Daniel lived with his father at 73 Imaginary Court, Dayton, OH 45400 from 2015 to 2024.",
          "From 2017 Gregory beat him with a belt and kept him home from school.",
        ],
      ],
    },
    {
      file: "personal-statement.pdf",
      title: "Personal statement notes (FICTIONAL SAMPLE)",
      pages: [
        [
          "I came to live with my father in Dayton when I was eight.",
          "When I was eleven he started hitting me with his belt when he was angry.",
          "In 2022 he broke my arm and told the doctor I fell off my bike.",
          "My teacher Ms. Alma Testimonia asked about my bruises. I moved in with my aunt in 2024.",
        ],
      ],
    },
    {
      file: "school-counselor-letter.pdf",
      title: "Letter from the school counselor (FICTIONAL SAMPLE)",
      pages: [
        [
          "To whom it may concern: I am Alma Testimonia, counselor at Example Middle School.",
          "In 2019 and 2020 I saw bruises on Daniel's arms and back on several occasions.",
          "I reported my concerns to child protective services in October 2020.",
        ],
      ],
    },
  ],
};

export const vawaLpr: SampleCase = {
  dir: "vawa-lpr-sample",
  people: [
    { name: "Mira Fictiva Castell", given: "female" },
    { name: "Victor Examplar Lund", given: "male" },
    { name: "Nora Samplesby", given: "female" },
  ],
  identifiers: [{ text: "A567891234" }, { text: "(555) 010-8812", keep: 6 }, { text: "902 Pretend Avenue" }],
  dateOfBirthAsWritten: "12/05/1992",
  caseJson: {
    caseId: "vawa-lpr-sample-0001",
    caseType: "VAWA",
    variant: "spouse",
    language: "en",
    declarant: { name: "Mira Fictiva Castell", aNumber: "A567891234", dateOfBirth: "1992-12-05" },
    parties: [
      { role: "abuser", name: "Victor Examplar Lund", status: "lawful permanent resident" },
      { role: "witness", name: "Nora Samplesby" },
    ],
    notes: "Fictional sample case for Affiant. No real person is described.",
  },
  documents: [
    {
      file: "intake-notes.pdf",
      title: "Intake notes (FICTIONAL SAMPLE)",
      pages: [
        [
          "Client: Mira Fictiva Castell. A-Number: A567891234. Date of birth: 12/05/1992.",
          "Phone: (555) 010-8812. Matter: VAWA self-petition, Form I-360, spouse of a lawful permanent resident.",
          "Mira married Victor Examplar Lund, a lawful permanent resident (green card since 2012), on May 14, 2018.",
          "They lived together at 902 Pretend Avenue, Tucson, AZ 85700 from 2018 to 2023.",
          "In 2020 Victor began hitting Mira and told her he would never file her papers.",
        ],
      ],
    },
    {
      file: "personal-statement.pdf",
      title: "Personal statement notes (FICTIONAL SAMPLE)",
      pages: [
        [
          "I met Victor in 2017 at work. We married in 2018 because we loved each other.",
          "We signed a lease together and shared our bank account.",
          "In 2020 he slapped me and said he would keep me without papers forever.",
          "In June 2023 he choked me. My friend Nora Samplesby took me to a shelter.",
        ],
      ],
    },
    {
      file: "police-report.pdf",
      title: "Tucson Police incident report (FICTIONAL SAMPLE)",
      pages: [
        [
          "Incident no. 23-118804. Date: June 11, 2023.",
          "Victim: Mira Fictiva Castell. Suspect: Victor Examplar Lund (husband).",
          "Officer observed red marks on the victim's neck. Suspect left before officers arrived.",
        ],
      ],
    },
  ],
};

/** The variant samples, written by examples/generate-samples.ts beside the first ones. */
export const variantSamples = [vawaParent, vawaChild, vawaLpr];
