/**
 * A sample case of a declarant who reads Spanish (case.json `"language": "es"`): a VAWA
 * self-petition whose file mixes the attorney's English intake notes, the declarant's own
 * statement in Spanish and a scanned letter in Spanish (OCR with Spanish and English). The
 * declaration is drafted in English and TranslateDeclaration writes her Spanish version.
 * Every person, number and place is invented; the PDFs say so on every page.
 */
import type { SampleCase } from "./sample-cases.ts";

export const vawaSpanish: SampleCase = {
  dir: "vawa-es-sample",
  people: [
    { name: "Lucía Inventada Robles", given: "female" },
    { name: "Brandon Ficticio Hale", given: "male" },
    { name: "Marta Ejemplar", given: "female" },
    { name: "Tomás Muestra", given: "male" },
  ],
  identifiers: [
    { text: "A234567891" },
    { text: "(555) 010-6612", keep: 6 },
    { text: "(555) 010-7788", keep: 6 },
    { text: "2208 Sample Street" },
  ],
  dateOfBirthAsWritten: "07/21/1988",
  caseJson: {
    caseId: "vawa-es-sample-0001",
    caseType: "VAWA",
    language: "es",
    declarant: { name: "Lucía Inventada Robles", aNumber: "A234567891", dateOfBirth: "1988-07-21" },
    parties: [
      { role: "abuser", name: "Brandon Ficticio Hale", status: "U.S. citizen" },
      { role: "witness", name: "Marta Ejemplar" },
      { role: "witness", name: "Tomás Muestra" },
    ],
    // The parish letter is a Spanish exhibit (filed with a certified English translation); the
    // declarant's notes are her own account, the intake notes the attorney's: sources, never filed.
    documents: [
      { file: "carta-iglesia-escaneada.pdf", role: "exhibit" },
      { file: "declaracion-personal.pdf", role: "interview" },
      { file: "intake-notes.pdf", role: "work-product" },
    ],
    notes: "Fictional sample case for Affiant. No real person is described. The declarant reads Spanish.",
  },
  documents: [
    {
      file: "intake-notes.pdf",
      title: "Intake notes (FICTIONAL SAMPLE)",
      pages: [
        [
          "Client: Lucía Inventada Robles. A-Number: A234567891. Date of birth: 07/21/1988.",
          "Phone: (555) 010-6612. Preferred language: Spanish; interpreter needed for signing.",
          "Matter: VAWA self-petition, Form I-360, under 8 U.S.C. § 1154(a)(1)(A)(iii).",
          "Lucía married Brandon Ficticio Hale, a U.S. citizen, on April 9, 2017 in Riverton.",
          "They lived together at 2208 Sample Street, Riverton, OR 97000 from 2017 to 2022.",
          "Brandon hit Lucía in 2020 and threatened to have her deported if she called the police.",
          "Good moral character: no arrests; works at a laundry; pays taxes.",
        ],
      ],
    },
    {
      file: "declaracion-personal.pdf",
      title: "Declaración personal, notas (MUESTRA FICTICIA)",
      pages: [
        [
          "Conocí a Brandon en 2016 en la fiesta de mi prima. Nos casamos porque nos amábamos.",
          "Abrimos una cuenta conjunta en el banco y vivimos juntos en nuestra casa de Riverton.",
          "Después de la boda cambió. Me gritaba, revisaba mi teléfono y no me dejaba trabajar.",
          "En octubre de 2020 me empujó contra la puerta y me golpeó en la cara.",
          "Me dijo que si llamaba a la policía, inmigración me iba a deportar.",
          "Mi vecina Marta Ejemplar me ayudó a salir de la casa en enero de 2022.",
        ],
      ],
    },
  ],
  scans: [
    {
      file: "carta-iglesia-escaneada.pdf",
      title: "Carta de la parroquia (MUESTRA FICTICIA, escaneada)",
      pages: [
        [
          "A quien corresponda: conozco a Lucía Inventada Robles desde el año 2018.",
          "Es voluntaria en nuestra despensa de alimentos todos los sábados.",
          "En 2021 la vi con moretones en el brazo y me dijo que su esposo la había golpeado.",
          "Atentamente, Tomás Muestra, coordinador. Teléfono: (555) 010-7788.",
        ],
      ],
    },
  ],
};
