/** The legal elements a declaration must establish, per case type. */
import type { CaseType } from "./case-file.ts";

export interface LegalElement {
  id: string;
  title: string;
  /** Words used to retrieve the chunks that speak to this element. */
  query: string;
  /**
   * The same in Spanish, added to the query for a declarant who reads Spanish, whose file
   * mixes their own Spanish (letters, statements) with US records in English.
   */
  queryEs: string;
}

export const caseTypeNames: Record<CaseType, string> = {
  VAWA: "VAWA self-petition (Form I-360)",
  T: "T visa application (Form I-914)",
};

export const legalElements: Record<CaseType, LegalElement[]> = {
  VAWA: [
    { id: "relationship", title: "Qualifying relationship", query: "married marriage husband wife citizen permanent resident", queryEs: "casado casada matrimonio esposo esposa ciudadano residente permanente" },
    { id: "abuse", title: "Battery or extreme cruelty", query: "abuse pushed hit threatened shouted control cruelty injury police", queryEs: "abuso maltrato empujó golpeó pegó amenazó gritó control crueldad lesión policía" },
    { id: "good-faith-marriage", title: "Good-faith marriage", query: "met married love family joint account wedding", queryEs: "conocimos casamos amor familia cuenta conjunta boda" },
    { id: "residence", title: "Shared residence", query: "lived together home address residence", queryEs: "vivimos juntos casa domicilio dirección residencia" },
    { id: "moral-character", title: "Good moral character", query: "moral character volunteer work taxes arrests", queryEs: "carácter moral voluntaria trabajo impuestos arrestos" },
  ],
  T: [
    { id: "recruitment", title: "Recruitment, harbouring or transport", query: "recruited promise work transport brought fee", queryEs: "reclutaron promesa trabajo transporte trajeron cuota" },
    { id: "force-fraud-coercion", title: "Force, fraud or coercion", query: "passport taken debt threatened locked force", queryEs: "pasaporte quitaron deuda amenazaron encerrado fuerza" },
    { id: "purpose", title: "Labour or commercial sex", query: "worked hours paid labor farm", queryEs: "trabajé horas pagaban trabajo granja campo" },
    { id: "presence", title: "Physical presence on account of trafficking", query: "present United States on account of trafficking remained", queryEs: "presente Estados Unidos a causa de la trata permanecí" },
    { id: "law-enforcement", title: "Compliance with law-enforcement requests", query: "police HSI reported cooperated interview law enforcement", queryEs: "policía HSI denuncié cooperé entrevista autoridades" },
    { id: "hardship", title: "Extreme hardship on removal", query: "fear returned hardship family counselling debt", queryEs: "miedo regresar penuria familia consejería deuda" },
  ],
};
