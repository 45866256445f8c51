/**
 * The legal elements a declaration must establish, with the provision each rests on, chosen
 * by the case's variant in case.json (`variant`; the default when absent is the commonest:
 * a VAWA spouse, an adult T visa applicant). The retrieval query of each element names what
 * that element looks like in a real case file: for abuse, not only blows but immigration
 * threats, documents taken, isolation and money kept from the declarant.
 *
 * VAWA self-petitions: 8 CFR 204.2(c) (spouses), 204.2(e) (children), INA 204(a)(1)(A)(vii)
 * (parents of U.S. citizen sons or daughters aged 21 or over). T visa: since 28 August 2024,
 * 8 CFR 214.200–214.216 (formerly 214.11; 89 FR 34864): 214.202 lists what a T-1 applicant
 * shows, and 214.206 (victim), 214.207 (physical presence), 214.208 (reasonable requests, with
 * the under-18 exemption and the trauma exception of 214.202(c)(1)–(2)) and 214.209 (extreme
 * hardship) govern each; the definitions of a severe form of trafficking are 22 U.S.C. 7102. The citations here are the drafter's pointers, to be
 * checked by the attorney against the rules in force on the filing date.
 */
import { getJson, type BlobStore } from "./blob-store.ts";
import { caseVariants, type CaseType } from "./case-file.ts";

export interface LegalElement {
  id: string;
  title: string;
  /** The provision the element rests on. */
  citation: string;
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

/** What abuse looks like in these files: the retrieval words every abuse element shares. */
const abuseQuery =
  "abuse battery extreme cruelty pushed hit slapped choked threatened shouted injury hospital nurse police " +
  "immigration threat deport report ICE papers passport documents took hid isolated not allowed friends family phone " +
  "money bank account paycheck control allowance";

/** The same in Spanish (a declarant's own letters and statements). */
const abuseQueryEs =
  "abuso maltrato crueldad empujó golpeó pegó bofetada ahorcó amenazó gritó lesión hospital enfermera policía " +
  "inmigración amenaza deportar denunciar papeles pasaporte documentos quitó escondió aislada no me dejaba amigos familia teléfono " +
  "dinero cuenta bancaria cheque control";

const el = (id: string, title: string, citation: string, query: string, queryEs: string): LegalElement => ({ id, title, citation, query, queryEs });

const goodMoralCharacter = (citation: string) =>
  el("moral-character", "Good moral character", citation, "moral character volunteer work church taxes arrests convictions police record", "carácter moral voluntaria trabajo iglesia impuestos arrestos condenas antecedentes policiales");

/** VAWA spouse elements, the citation of the relationship element varying by variant. */
function vawaSpouse(relationship: LegalElement, extra: LegalElement[] = []): LegalElement[] {
  return [
    relationship,
    el("abuser-status", "The abuser's U.S. citizenship or lawful permanent residence", "8 CFR 204.2(c)(1)(i)(A), (c)(2)(ii)", "citizen born naturalized green card permanent resident status passport certificate", "ciudadano nacido naturalizado tarjeta verde residente permanente estatus pasaporte certificado"),
    ...extra,
    el("abuse", "Battery or extreme cruelty during the marriage", "8 CFR 204.2(c)(1)(i)(E), (c)(1)(vi)", abuseQuery, abuseQueryEs),
    el("residence", "Residence with the abuser", "8 CFR 204.2(c)(1)(i)(D), (c)(2)(iii)", "lived together home address residence apartment lease moved", "vivimos juntos casa domicilio dirección residencia apartamento contrato de arrendamiento mudamos"),
    el("good-faith-marriage", "Good-faith marriage", "8 CFR 204.2(c)(1)(i)(H), (c)(1)(ix)", "met dated married love wedding family joint account lease photos", "conocimos novios casamos amor boda familia cuenta conjunta contrato fotos"),
    goodMoralCharacter("8 CFR 204.2(c)(1)(i)(F), (c)(1)(vii)"),
  ];
}

/**
 * Each variant's elements, in the order a declaration tells them. Ids are shared across
 * variants where the element is the same (the placeholder check keys on them: core/roles.ts).
 */
export const variantElements: { [T in CaseType]: Record<(typeof caseVariants)[T][number], LegalElement[]> } = {
  VAWA: {
    spouse: vawaSpouse(el("relationship", "Qualifying relationship: marriage to the abuser", "8 CFR 204.2(c)(1)(i)(A)-(B); INA 204(a)(1)(A)(iii)", "married marriage husband wife wedding certificate", "casado casada matrimonio esposo esposa boda acta de matrimonio")),
    "intended-spouse": vawaSpouse(
      el("relationship", "Qualifying relationship: intended spouse (the abuser's bigamy)", "INA 101(a)(50), 204(a)(1)(A)(iii)(II)(aa)(BB)", "married marriage ceremony believed valid already married bigamy other wife husband", "casado casada matrimonio ceremonia creí válido ya estaba casado bigamia otra esposa esposo"),
    ),
    divorced: vawaSpouse(el("relationship", "Qualifying relationship: marriage ended by divorce", "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(ccc)", "married marriage divorce decree ended", "casado casada matrimonio divorcio sentencia terminó"), [
      el("divorce-link", "Divorce within two years, connected to the abuse", "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(ccc)", "divorce filed decree date left because abuse separated within two years", "divorcio presenté sentencia fecha me fui por el abuso separados dentro de dos años"),
    ]),
    "deceased-abuser": vawaSpouse(el("relationship", "Qualifying relationship: marriage to a U.S. citizen", "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(aaa)", "married marriage husband wife citizen", "casado casada matrimonio esposo esposa ciudadano"), [
      el("abuser-death", "The U.S. citizen abuser's death within the last two years", "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(aaa)", "died death certificate funeral date passed away", "murió muerte acta de defunción funeral fecha falleció"),
    ]),
    child: [
      el("relationship", "Qualifying relationship: child of the abuser", "8 CFR 204.2(e)(1)(i)(A); INA 204(a)(1)(A)(iv)", "father mother parent stepfather stepmother son daughter birth certificate child", "padre madre padrastro madrastra hijo hija acta de nacimiento niño"),
      el("abuser-status", "The abusive parent's U.S. citizenship or lawful permanent residence", "8 CFR 204.2(e)(1)(i)(A), (e)(2)(ii)", "citizen born naturalized green card permanent resident status", "ciudadano nacido naturalizado tarjeta verde residente permanente estatus"),
      el("abuse", "Battery or extreme cruelty by the parent", "8 CFR 204.2(e)(1)(i)(E), (e)(1)(iv)", abuseQuery, abuseQueryEs),
      el("residence", "Residence with the abusive parent", "8 CFR 204.2(e)(1)(i)(D), (e)(2)(iii)", "lived together home address residence school records", "vivimos juntos casa domicilio dirección residencia registros escolares"),
      goodMoralCharacter("8 CFR 204.2(e)(1)(i)(F), (e)(2)(v)"),
    ],
    parent: [
      el("relationship", "Qualifying relationship: parent of the U.S. citizen son or daughter", "INA 204(a)(1)(A)(vii)(I)", "son daughter child birth certificate parent mother father", "hijo hija niño acta de nacimiento padre madre"),
      el("abuser-status", "The abuser is a U.S. citizen aged 21 or over", "INA 204(a)(1)(A)(vii)(I), 201(b)(2)(A)(i)", "citizen born naturalized age 21 older adult", "ciudadano nacido naturalizado edad 21 mayor adulto"),
      el("abuse", "Battery or extreme cruelty by the son or daughter", "INA 204(a)(1)(A)(vii)(II)", abuseQuery, abuseQueryEs),
      el("residence", "Residence with the abusive son or daughter", "INA 204(a)(1)(A)(vii)(IV)", "lived together home address residence", "vivimos juntos casa domicilio dirección residencia"),
      goodMoralCharacter("INA 204(a)(1)(A)(vii)(III)"),
    ],
  },
  T: {
    adult: tVisa(false),
    minor: tVisa(true),
    "trauma-exception": tVisa(false, true),
  },
};

function tVisa(minor: boolean, trauma = false): LegalElement[] {
  return [
    el("recruitment", "Recruitment, harbouring, transport, provision or obtaining", "8 CFR 214.202(a), 214.206; 214.201; 22 U.S.C. 7102(11)", "recruited promise job offer work visa transport brought fee smuggler", "reclutaron promesa oferta de trabajo visa transporte trajeron cuota coyote"),
    // A minor in sex trafficking needs no force, fraud or coercion (22 U.S.C. 7102(11)(A)).
    minor
      ? el("force-fraud-coercion", "Force, fraud or coercion (not required for a minor in sex trafficking)", "8 CFR 214.202(a), 214.206(a)(1); 22 U.S.C. 7102(11)(A)-(B)", "age under 18 minor passport taken debt threatened locked force lied", "edad menor de 18 menor pasaporte quitaron deuda amenazaron encerrado fuerza mintieron")
      : el("force-fraud-coercion", "Force, fraud or coercion", "8 CFR 214.202(a), 214.206(a)(1); 214.201 (coercion); 22 U.S.C. 7102(3), (11)(B)", "passport documents taken debt threatened deport immigration locked force beaten lied promised", "pasaporte documentos quitaron deuda amenazaron deportar inmigración encerrado fuerza golpearon mintieron prometieron"),
    el("purpose", "Sex trafficking, or labour or services for involuntary servitude, peonage, debt bondage or slavery", "8 CFR 214.202(a), 214.206; 22 U.S.C. 7102(11)", "worked hours paid wages debt owed could not leave labor farm sex commercial", "trabajé horas pagaban salario deuda debía no podía irme trabajo granja campo sexo comercial"),
    el("presence", "Physical presence on account of trafficking", "8 CFR 214.202(b), 214.207; INA 101(a)(15)(T)(i)(II)", "present United States on account of trafficking remained escaped arrived", "presente Estados Unidos a causa de la trata permanecí escapé llegué"),
    minor
      ? el("law-enforcement", "Under 18 at the time of victimization: exempt from the law-enforcement requirement", "8 CFR 214.202(c)(1), 214.208; INA 101(a)(15)(T)(i)(III)(cc)", "age under 18 minor birth date police HSI reported interview", "edad menor de 18 menor fecha de nacimiento policía HSI denuncié entrevista")
      : trauma
        ? el("law-enforcement", "Trauma exception to compliance with law-enforcement requests", "8 CFR 214.202(c)(2), 214.208; INA 101(a)(15)(T)(i)(III)(bb)", "trauma counselling therapist fear unable to talk police HSI interview", "trauma consejería terapeuta miedo no podía hablar policía HSI entrevista")
        : el("law-enforcement", "Compliance with reasonable requests from law enforcement", "8 CFR 214.202(c), 214.208(c); INA 101(a)(15)(T)(i)(III)(aa)", "police HSI reported cooperated interview law enforcement declaration certification", "policía HSI denuncié cooperé entrevista autoridades declaración certificación"),
    el("hardship", "Extreme hardship involving unusual and severe harm upon removal", "8 CFR 214.202(d), 214.209; INA 101(a)(15)(T)(i)(IV)", "fear returned retaliation hardship family counselling medical debt traffickers home country", "miedo regresar represalias penuria familia consejería médico deuda tratantes país de origen"),
  ];
}

export const defaultVariant: { [T in CaseType]: (typeof caseVariants)[T][number] } = { VAWA: "spouse", T: "adult" };

/** The case's elements: its variant's, or the default variant's when case.json names none. */
export function elementsFor(caseType: CaseType, variant?: string): LegalElement[] {
  const table = variantElements[caseType] as Record<string, LegalElement[]>;
  const elements = table[variant ?? defaultVariant[caseType]];
  if (!elements) throw new Error(`case.json: variant "${variant}" is not one of ${caseType}'s (${Object.keys(table).join(", ")})`);
  return elements;
}

/** The default variant's elements per case type (runs made before variants, tests). */
export const legalElements: Record<CaseType, LegalElement[]> = { VAWA: elementsFor("VAWA"), T: elementsFor("T") };

/** Where Redact writes the case's element checklist (ids, titles, citations: no client data). */
export const elementsKey = (runKey: string) => `${runKey}/elements.json`;

export interface CaseElements {
  caseType: CaseType;
  variant: string;
  elements: LegalElement[];
}

/** The checklist Redact wrote; the default variant's for runs made before it existed. */
export async function caseElements(store: BlobStore, runKey: string, caseType: CaseType): Promise<CaseElements> {
  if (await store.exists(elementsKey(runKey))) return getJson<CaseElements>(store, elementsKey(runKey));
  return { caseType, variant: defaultVariant[caseType], elements: legalElements[caseType] };
}
