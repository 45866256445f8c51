/** The legal elements a declaration must establish, per case type. */
import type { CaseType } from "./case-file.ts";

export interface LegalElement {
  id: string;
  title: string;
  /** Words used to retrieve the chunks that speak to this element. */
  query: string;
}

export const caseTypeNames: Record<CaseType, string> = {
  VAWA: "VAWA self-petition (Form I-360)",
  T: "T visa application (Form I-914)",
};

export const legalElements: Record<CaseType, LegalElement[]> = {
  VAWA: [
    { id: "relationship", title: "Qualifying relationship", query: "married marriage husband wife citizen permanent resident" },
    { id: "abuse", title: "Battery or extreme cruelty", query: "abuse pushed hit threatened shouted control cruelty injury police" },
    { id: "good-faith-marriage", title: "Good-faith marriage", query: "met married love family joint account wedding" },
    { id: "residence", title: "Shared residence", query: "lived together home address residence" },
    { id: "moral-character", title: "Good moral character", query: "moral character volunteer work taxes arrests" },
  ],
  T: [
    { id: "recruitment", title: "Recruitment, harbouring or transport", query: "recruited promise work transport brought fee" },
    { id: "force-fraud-coercion", title: "Force, fraud or coercion", query: "passport taken debt threatened locked force" },
    { id: "purpose", title: "Labour or commercial sex", query: "worked hours paid labor farm" },
    { id: "presence", title: "Physical presence on account of trafficking", query: "present United States on account of trafficking remained" },
    { id: "law-enforcement", title: "Compliance with law-enforcement requests", query: "police HSI reported cooperated interview law enforcement" },
    { id: "hardship", title: "Extreme hardship on removal", query: "fear returned hardship family counselling debt" },
  ],
};
