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
 * hardship) govern each; the definitions of a severe form of trafficking are 22 U.S.C. 7102.
 * A VAWA case whose abuser is a lawful permanent resident (case.json parties: the abuser's
 * `status`) rests on INA 204(a)(1)(B)(ii) (spouses) or (B)(iii) (children) instead of
 * 204(a)(1)(A)(iii)/(iv). Each provision is quoted beside the elements that cite it, with
 * where its text was read; the citations are the drafter's pointers, to be checked by the
 * attorney against the rules in force on the filing date.
 */
import { type BlobStore, getJson } from "./blob-store.ts";
import { type AbuserStatus, type CaseType, type caseVariants, citizenAbuserOnly } from "./case-file.ts";
import { InvalidInputError } from "./errors.ts";

export interface LegalElement {
  id: string;
  title: string;
  /** The title in Spanish: the heading of the Spanish copy a declarant reads. */
  titleEs: string;
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

export { type AbuserStatus, abuserStatusKind, caseAbuserStatus, citizenAbuserOnly } from "./case-file.ts";

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

const el = (id: string, title: string, titleEs: string, citation: string, query: string, queryEs: string): LegalElement => ({
  id,
  title,
  titleEs,
  citation,
  query,
  queryEs,
});

const goodMoralCharacter = (citation: string, title = "Good moral character", titleEs = "Buen carácter moral") =>
  el(
    "moral-character",
    title,
    titleEs,
    citation,
    "moral character volunteer work church taxes arrests convictions police record",
    "carácter moral voluntaria trabajo iglesia impuestos arrestos condenas antecedentes policiales",
  );

/*
 * The spouse's statute, INA 204(a)(1)(A)(iii) (8 U.S.C. 1154(a)(1)(A)(iii)), as published at
 * https://omb.report/icr/201301-1615-009/doc/37427301 and https://legalfix.com/uscode/text/8/1154:
 *   "(I) An alien who is described in subclause (II) may file a petition … if the alien
 *   demonstrates … that— (aa) the marriage or the intent to marry the United States citizen was
 *   entered into in good faith by the alien; and (bb) during the marriage or relationship
 *   intended by the alien to be legally a marriage, the alien or a child of the alien has been
 *   battered or has been the subject of extreme cruelty perpetrated by the alien's spouse or
 *   intended spouse. (II) … an alien— (aa)(AA) who is the spouse of a citizen of the United
 *   States; (BB) who believed that he or she had married a citizen of the United States and with
 *   whom a marriage ceremony was actually performed … but whose marriage is not legitimate
 *   solely because of the bigamy of such citizen of the United States; or (CC) who was a bona
 *   fide spouse of a United States citizen within the past 2 years and— (aaa) whose spouse died
 *   within the past 2 years; (bbb) whose spouse lost or renounced citizenship status within the
 *   past 2 years related to an incident of domestic violence; or …"
 * The third, (ccc), is the divorce within two years connected to the abuse (USCIS Policy Manual,
 * vol. 3, pt. D, ch. 3, https://uscis.gov/policy-manual/volume-3-part-d-chapter-3).
 * A lawful permanent resident abuser: "The provisions for VAWA self-petitioning spouses of U.S.
 * citizens are found in section 204(a)(1)(A)(iii) of the INA and the provisions for VAWA
 * self-petitioning spouses of LPRs are found in section 204(a)(1)(B)(ii) … Section
 * 204(a)(1)(B)(ii)(I)(aa)-(bb) sets for[th] the parallel requirements for the spouse of an LPR"
 * (https://myattorneyusa.com/immigration-blog/vawa-self-petitioning-for-battered-spouses).
 * The 8 CFR 204.2(c) paragraph pointers (the regulation's own text was not at hand where these
 * were written) are the drafter's, for the attorney to check.
 */
function vawaSpouse(relationship: LegalElement, lpr: boolean, extra: LegalElement[] = []): LegalElement[] {
  const ina = lpr ? "INA 204(a)(1)(B)(ii)" : "INA 204(a)(1)(A)(iii)";
  return [
    relationship,
    lpr
      ? el(
          "abuser-status",
          "The abuser's lawful permanent residence, or its loss within the past two years due to an incident of domestic violence",
          "Residencia permanente legal del agresor, o su pérdida en los últimos dos años por un incidente de violencia doméstica",
          "INA 204(a)(1)(B)(ii); 8 CFR 204.2(c)(1)(i)(A), (c)(2)(ii)",
          "green card permanent resident status lawful permanent resident card A-number lost status deported",
          "tarjeta verde residente permanente estatus tarjeta de residente número A perdió estatus deportado",
        )
      : el(
          "abuser-status",
          "The abuser's U.S. citizenship, or its loss or renunciation within the past two years related to an incident of domestic violence",
          "Ciudadanía estadounidense del agresor, o su pérdida o renuncia en los últimos dos años relacionada con un incidente de violencia doméstica",
          "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(bbb); 8 CFR 204.2(c)(1)(i)(A), (c)(2)(ii)",
          "citizen born naturalized status passport certificate lost renounced citizenship",
          "ciudadano nacido naturalizado estatus pasaporte certificado perdió renunció ciudadanía",
        ),
    ...extra,
    el(
      "abuse",
      "Battery or extreme cruelty during the marriage, against the self-petitioner or the self-petitioner's child",
      "Agresión o crueldad extrema durante el matrimonio, contra el autopeticionario o contra su hijo o hija",
      `${ina}(I)(bb); 8 CFR 204.2(c)(1)(i)(E), (c)(1)(vi)`,
      `${abuseQuery} child son daughter`,
      `${abuseQueryEs} hijo hija niño`,
    ),
    el(
      "residence",
      "Residence with the abuser",
      "Residencia compartida con el agresor",
      "8 CFR 204.2(c)(1)(i)(D), (c)(2)(iii)",
      "lived together home address residence apartment lease moved",
      "vivimos juntos casa domicilio dirección residencia apartamento contrato de arrendamiento mudamos",
    ),
    el(
      "good-faith-marriage",
      "Good-faith marriage",
      "Matrimonio de buena fe",
      `${ina}(I)(aa); 8 CFR 204.2(c)(1)(i)(H), (c)(1)(ix)`,
      "met dated married love wedding family joint account lease photos",
      "conocimos novios casamos amor boda familia cuenta conjunta contrato fotos",
    ),
    goodMoralCharacter("8 CFR 204.2(c)(1)(i)(F), (c)(1)(vii)"),
  ];
}

/*
 * The child's statute: "The provisions allowing the child of an abusive U.S. citizen parent to
 * self-petition … are found in section 204(a)(1)(A)(iv) of the INA. The parallel provisions for
 * the child of an LPR are found in section 204(a)(1)(B)(iii)"; the abusive parent may also be one
 * who "within the previous 2 years lost or renounced citizenship [or lost LPR status] due to an
 * incident of domestic violence"
 * (https://myattorneyusa.com/immigration-blog/vawa-self-petitioning-for-battered-children).
 * Age: "You are the child (unmarried and under 21 years old) of a USC/LPR …; or You are between
 * the ages of 21 and 25 and can show you qualified before you turned 21 and that the abuse was at
 * least one central reason for not filing a self-petition before turning 21 years old" (INA
 * 204(a)(1)(D)(v); https://www.womenslaw.org/laws/federal/immigration/vawa-abuse-victims/vawa-self-petition/what-are-some-additional-0);
 * "Child means a person described in section 101(b)(1) of the Act" (8 CFR 214.201, the same
 * definition). Good moral character: "A child who is less than 14 years of age is presumed to be
 * a person of good moral character and is not required to submit affidavits of good moral
 * character, police clearances, criminal background checks, or other evidence of good moral
 * character" (8 CFR 204.2(e)(2), quoted at https://nortontooby.com/category/books/sh-u?page=23).
 * Battery or extreme cruelty of a child is defined in 8 CFR 204.2(e)(1)(vi).
 */
function vawaChild(lpr: boolean): LegalElement[] {
  const ina = lpr ? "INA 204(a)(1)(B)(iii)" : "INA 204(a)(1)(A)(iv)";
  return [
    el(
      "relationship",
      "Qualifying relationship: child of the abuser",
      "Relación que califica: hijo o hija del agresor",
      `${ina}; 8 CFR 204.2(e)(1)(i)(A)`,
      "father mother parent stepfather stepmother son daughter birth certificate child",
      "padre madre padrastro madrastra hijo hija acta de nacimiento niño",
    ),
    el(
      "child-age",
      "Age and marital status: unmarried and under 21, or filing before 25 with the abuse at least one central reason for the delay",
      "Edad y estado civil: soltero y menor de 21 años, o solicitud antes de los 25 con el abuso como al menos una razón central del retraso",
      "INA 101(b)(1), 204(a)(1)(D)(v)",
      "born birth date age years old unmarried single under 21 delay filing",
      "nací fecha de nacimiento edad años soltero soltera menor de 21 retraso",
    ),
    lpr
      ? el(
          "abuser-status",
          "The abusive parent's lawful permanent residence, or its loss within the past two years due to an incident of domestic violence",
          "Residencia permanente legal del padre o la madre agresor, o su pérdida en los últimos dos años por un incidente de violencia doméstica",
          `${ina}; 8 CFR 204.2(e)(1)(i)(A), (e)(2)(ii)`,
          "green card permanent resident status lawful permanent resident card lost status deported",
          "tarjeta verde residente permanente estatus tarjeta de residente perdió estatus deportado",
        )
      : el(
          "abuser-status",
          "The abusive parent's U.S. citizenship, or its loss or renunciation within the past two years related to an incident of domestic violence",
          "Ciudadanía estadounidense del padre o la madre agresor, o su pérdida o renuncia en los últimos dos años relacionada con un incidente de violencia doméstica",
          `${ina}; 8 CFR 204.2(e)(1)(i)(A), (e)(2)(ii)`,
          "citizen born naturalized status passport lost renounced citizenship",
          "ciudadano nacido naturalizado estatus pasaporte perdió renunció ciudadanía",
        ),
    el(
      "abuse",
      "Battery or extreme cruelty by the parent",
      "Agresión o crueldad extrema por el padre o la madre",
      `${ina}; 8 CFR 204.2(e)(1)(i)(E), (e)(1)(vi)`,
      abuseQuery,
      abuseQueryEs,
    ),
    el(
      "residence",
      "Residence with the abusive parent",
      "Residencia compartida con el padre o la madre agresor",
      "8 CFR 204.2(e)(1)(i)(D), (e)(2)(iii)",
      "lived together home address residence school records",
      "vivimos juntos casa domicilio dirección residencia registros escolares",
    ),
    goodMoralCharacter(
      "8 CFR 204.2(e)(1)(i)(F), (e)(2)(v)",
      "Good moral character (presumed for a child under 14)",
      "Buen carácter moral (se presume en un menor de 14 años)",
    ),
  ];
}

/*
 * The parent's statute, INA 204(a)(1)(A)(vii), subclause by subclause as
 * https://myattorneyusa.com/immigration-blog/immigration-to-the-usa/vawa-self-petitioning-for-battered-parents
 * lists it: "I. Must be the parent of a U.S. citizen or of a son or daughter who, within the
 * past 2 years, lost or renounced U.S. citizenship related to an incident of domestic violence or
 * died; II. Must be of GMC; III. Must be eligible for classification as immediate relative parent
 * of U.S. citizen under section 201(b)(2)(A)(i); IV. Must reside or have resided with the U.S.
 * citizen son or daughter; V. Demonstrate that he or she was battered or subjected to extreme
 * cruelty by U.S. citizen son or daughter."
 */
const vawaParent: LegalElement[] = [
  el(
    "relationship",
    "Qualifying relationship: parent of a U.S. citizen son or daughter, or of one who within the past two years died or lost or renounced citizenship related to an incident of domestic violence",
    "Relación que califica: padre o madre de un hijo o hija ciudadano estadounidense, o de uno que en los últimos dos años murió o perdió o renunció a la ciudadanía en relación con un incidente de violencia doméstica",
    "INA 204(a)(1)(A)(vii)(I)",
    "son daughter child birth certificate parent mother father died lost renounced citizenship",
    "hijo hija niño acta de nacimiento padre madre murió perdió renunció ciudadanía",
  ),
  el(
    "abuser-status",
    "The son or daughter is a U.S. citizen aged 21 or over",
    "El hijo o la hija es ciudadano estadounidense de 21 años o más",
    "INA 204(a)(1)(A)(vii)(III), 201(b)(2)(A)(i)",
    "citizen born naturalized age 21 older adult",
    "ciudadano nacido naturalizado edad 21 mayor adulto",
  ),
  el(
    "abuse",
    "Battery or extreme cruelty by the son or daughter",
    "Agresión o crueldad extrema por el hijo o la hija",
    "INA 204(a)(1)(A)(vii)(V)",
    abuseQuery,
    abuseQueryEs,
  ),
  el(
    "residence",
    "Residence with the abusive son or daughter",
    "Residencia compartida con el hijo o la hija agresor",
    "INA 204(a)(1)(A)(vii)(IV)",
    "lived together home address residence",
    "vivimos juntos casa domicilio dirección residencia",
  ),
  goodMoralCharacter("INA 204(a)(1)(A)(vii)(II)"),
];

/** The relationship element of each spouse variant, by the abuser's status. */
function spouseRelationship(variant: "spouse" | "intended-spouse" | "divorced" | "deceased-abuser", lpr: boolean): LegalElement {
  const ina = lpr ? "INA 204(a)(1)(B)(ii)" : "INA 204(a)(1)(A)(iii)(II)(aa)";
  switch (variant) {
    case "spouse":
      return el(
        "relationship",
        "Qualifying relationship: marriage to the abuser",
        "Relación que califica: matrimonio con el agresor",
        `${lpr ? ina : `${ina}(AA)`}; 8 CFR 204.2(c)(1)(i)(A)-(B)`,
        "married marriage husband wife wedding certificate",
        "casado casada matrimonio esposo esposa boda acta de matrimonio",
      );
    case "intended-spouse":
      return el(
        "relationship",
        "Qualifying relationship: intended spouse (the abuser's bigamy)",
        "Relación que califica: cónyuge de buena fe (bigamia del agresor)",
        `INA 101(a)(50), ${ina.slice(4)}${lpr ? "" : "(BB)"}`,
        "married marriage ceremony believed valid already married bigamy other wife husband",
        "casado casada matrimonio ceremonia creí válido ya estaba casado bigamia otra esposa esposo",
      );
    case "divorced":
      return el(
        "relationship",
        "Qualifying relationship: marriage ended by divorce",
        "Relación que califica: matrimonio terminado por divorcio",
        lpr ? ina : `${ina}(CC)(ccc)`,
        "married marriage divorce decree ended",
        "casado casada matrimonio divorcio sentencia terminó",
      );
    case "deceased-abuser":
      return el(
        "relationship",
        "Qualifying relationship: marriage to a U.S. citizen",
        "Relación que califica: matrimonio con un ciudadano estadounidense",
        `${ina}(CC)(aaa)`,
        "married marriage husband wife citizen",
        "casado casada matrimonio esposo esposa ciudadano",
      );
  }
}

/** A VAWA variant's elements for an abuser of the given status (absent: the citizen's provisions). */
function vawa(variant: (typeof caseVariants)["VAWA"][number], status?: AbuserStatus): LegalElement[] {
  const lpr = status === "lpr";
  if (lpr && citizenAbuserOnly.includes(variant)) {
    throw new InvalidInputError(
      `case.json: variant "${variant}" needs a U.S. citizen abuser; the abuser's status reads as a lawful permanent resident`,
    );
  }
  switch (variant) {
    case "spouse":
    case "intended-spouse":
      return vawaSpouse(spouseRelationship(variant, lpr), lpr);
    case "divorced":
      return vawaSpouse(spouseRelationship(variant, lpr), lpr, [
        el(
          "divorce-link",
          "Divorce within two years, connected to the abuse",
          "Divorcio dentro de los dos años, relacionado con el abuso",
          lpr ? "INA 204(a)(1)(B)(ii)" : "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(ccc)",
          "divorce filed decree date left because abuse separated within two years",
          "divorcio presenté sentencia fecha me fui por el abuso separados dentro de dos años",
        ),
      ]);
    case "deceased-abuser":
      return vawaSpouse(spouseRelationship(variant, lpr), lpr, [
        el(
          "abuser-death",
          "The U.S. citizen abuser's death within the last two years",
          "Muerte del agresor ciudadano estadounidense en los últimos dos años",
          "INA 204(a)(1)(A)(iii)(II)(aa)(CC)(aaa)",
          "died death certificate funeral date passed away",
          "murió muerte acta de defunción funeral fecha falleció",
        ),
      ]);
    case "child":
      return vawaChild(lpr);
    case "parent":
      return vawaParent;
  }
}

/**
 * Each variant's elements, in the order a declaration tells them, for a citizen abuser (or one
 * whose status case.json does not say). Ids are shared across variants where the element is
 * the same (the placeholder check keys on them: core/roles.ts).
 */
export const variantElements: { [T in CaseType]: Record<(typeof caseVariants)[T][number], LegalElement[]> } = {
  VAWA: {
    spouse: vawa("spouse"),
    "intended-spouse": vawa("intended-spouse"),
    divorced: vawa("divorced"),
    "deceased-abuser": vawa("deceased-abuser"),
    child: vawa("child"),
    parent: vawa("parent"),
  },
  T: {
    adult: tVisa(false),
    minor: tVisa(true),
    "trauma-exception": tVisa(false, true),
  },
};

/*
 * T-1 eligibility, 8 CFR 214.202 (https://checkoutapi.com/regulations/title8_chapterI_part214_subpartC_section214.202):
 *   "(a) Victim. The applicant is or has been a victim of a severe form of trafficking in
 *   persons, according to § 214.206. (b) Physical presence. … according to § 214.207.
 *   (c) Compliance with any reasonable request for assistance. … (1) Exemption for minor victims.
 *   An applicant who was under 18 years of age at the time at least one act of trafficking
 *   occurred is not required to comply … (2) Exception for trauma. … (d) Hardship. The applicant
 *   would suffer extreme hardship involving unusual and severe harm upon removal, according to
 *   § 214.209. (e) Prohibition against traffickers in persons. No applicant will be eligible to
 *   receive T nonimmigrant status if there is substantial reason to believe that the applicant
 *   has committed an act of a severe form of trafficking in persons."
 * 8 CFR 214.206(a) (https://checkoutapi.com/regulations/8/214.206): "(1) … Except in instances of
 *   sex trafficking involving victims under 18 years of age, severe forms of trafficking in
 *   persons must involve both a particular means (force, fraud, or coercion) and a particular
 *   end … (2) If an applicant has not performed labor or services, or a commercial sex act, they
 *   must establish that they were recruited, transported, harbored, provided, or obtained for
 *   the purposes of subjection to sex trafficking, involuntary servitude, peonage, debt bondage,
 *   or slavery, or patronized or solicited for the purposes of subjection to sex trafficking."
 * 22 U.S.C. 7102: "sex trafficking" is "the recruitment, harboring, transportation, provision,
 *   obtaining, patronizing, or soliciting of a person for the purpose of a commercial sex act"
 *   (https://topics.law.cornell.edu/wex/sex_trafficking).
 * The bar of 214.202(e) is not an element the declarant establishes: it is on the attorney's
 * evidence checklist (core/evidence-checklist.ts).
 */
function tVisa(minor: boolean, trauma = false): LegalElement[] {
  return [
    el(
      "recruitment",
      "Recruitment, harbouring, transport, provision or obtaining",
      "Reclutamiento, acogida o transporte",
      "8 CFR 214.202(a), 214.206; 214.201; 22 U.S.C. 7102(11)",
      "recruited promise job offer work visa transport brought fee smuggler",
      "reclutaron promesa oferta de trabajo visa transporte trajeron cuota coyote",
    ),
    // A minor in sex trafficking needs no force, fraud or coercion (8 CFR 214.206(a)(1); 22 U.S.C. 7102(11)(A)).
    minor
      ? el(
          "force-fraud-coercion",
          "Force, fraud or coercion (not required for a minor in sex trafficking)",
          "Fuerza, fraude o coacción (no se exige a un menor en la trata sexual)",
          "8 CFR 214.202(a), 214.206(a)(1); 22 U.S.C. 7102(11)(A)-(B)",
          "age under 18 minor passport taken debt threatened locked force lied",
          "edad menor de 18 menor pasaporte quitaron deuda amenazaron encerrado fuerza mintieron",
        )
      : el(
          "force-fraud-coercion",
          "Force, fraud or coercion",
          "Fuerza, fraude o coacción",
          "8 CFR 214.202(a), 214.206(a)(1); 214.201 (coercion); 22 U.S.C. 7102(3), (11)(B)",
          "passport documents taken debt threatened deport immigration locked force beaten lied promised",
          "pasaporte documentos quitaron deuda amenazaron deportar inmigración encerrado fuerza golpearon mintieron prometieron",
        ),
    el(
      "purpose",
      "Sex trafficking (recruited, harboured, transported, provided, obtained, patronized or solicited for a commercial sex act), or labour or services for involuntary servitude, peonage, debt bondage or slavery",
      "Trata sexual (reclutamiento, acogida, transporte, entrega, obtención, o ser objeto de solicitud o pago por un acto sexual comercial), o trabajo o servicios en servidumbre involuntaria, peonaje, servidumbre por deudas o esclavitud",
      "8 CFR 214.202(a), 214.206(a)(1)-(2); 22 U.S.C. 7102(11)",
      "worked hours paid wages debt owed could not leave labor farm sex commercial customers patronized solicited",
      "trabajé horas pagaban salario deuda debía no podía irme trabajo granja campo sexo comercial clientes",
    ),
    el(
      "presence",
      "Physical presence on account of trafficking",
      "Presencia física a causa de la trata",
      "8 CFR 214.202(b), 214.207; INA 101(a)(15)(T)(i)(II)",
      "present United States on account of trafficking remained escaped arrived",
      "presente Estados Unidos a causa de la trata permanecí escapé llegué",
    ),
    minor
      ? el(
          "law-enforcement",
          "Under 18 at the time of victimization: exempt from the law-enforcement requirement",
          "Menor de 18 años en el momento de la trata: exento del requisito de cooperar con las autoridades",
          "8 CFR 214.202(c)(1), 214.208; INA 101(a)(15)(T)(i)(III)(cc)",
          "age under 18 minor birth date police HSI reported interview",
          "edad menor de 18 menor fecha de nacimiento policía HSI denuncié entrevista",
        )
      : trauma
        ? el(
            "law-enforcement",
            "Trauma exception to compliance with law-enforcement requests",
            "Excepción por trauma al requisito de cooperar con las autoridades",
            "8 CFR 214.202(c)(2), 214.208; INA 101(a)(15)(T)(i)(III)(bb)",
            "trauma counselling therapist fear unable to talk police HSI interview",
            "trauma consejería terapeuta miedo no podía hablar policía HSI entrevista",
          )
        : el(
            "law-enforcement",
            "Compliance with reasonable requests from law enforcement",
            "Cooperación con las solicitudes razonables de las autoridades",
            "8 CFR 214.202(c), 214.208(c); INA 101(a)(15)(T)(i)(III)(aa)",
            "police HSI reported cooperated interview law enforcement declaration certification",
            "policía HSI denuncié cooperé entrevista autoridades declaración certificación",
          ),
    el(
      "hardship",
      "Extreme hardship involving unusual and severe harm upon removal",
      "Penuria extrema que implica un daño inusual y grave en caso de deportación",
      "8 CFR 214.202(d), 214.209; INA 101(a)(15)(T)(i)(IV)",
      "fear returned retaliation hardship family counselling medical debt traffickers home country",
      "miedo regresar represalias penuria familia consejería médico deuda tratantes país de origen",
    ),
  ];
}

export const defaultVariant: { [T in CaseType]: (typeof caseVariants)[T][number] } = { VAWA: "spouse", T: "adult" };

/**
 * The case's elements: its variant's (the default variant's when case.json names none), on the
 * provisions the abuser's status calls for (VAWA; absent: a citizen abuser's).
 */
export function elementsFor(caseType: CaseType, variant?: string, abuserStatus?: AbuserStatus): LegalElement[] {
  const table = variantElements[caseType] as Record<string, LegalElement[]>;
  const name = variant ?? defaultVariant[caseType];
  const elements = table[name];
  if (!elements) throw new Error(`case.json: variant "${variant}" is not one of ${caseType}'s (${Object.keys(table).join(", ")})`);
  return caseType === "VAWA" && abuserStatus === "lpr" ? vawa(name as (typeof caseVariants)["VAWA"][number], "lpr") : elements;
}

/** The default variant's elements per case type (runs made before variants, tests). */
export const legalElements: Record<CaseType, LegalElement[]> = { VAWA: elementsFor("VAWA"), T: elementsFor("T") };

/** Where Redact writes the case's element checklist (ids, titles, citations: no client data). */
export const elementsKey = (runKey: string) => `${runKey}/elements.json`;

export interface CaseElements {
  caseType: CaseType;
  variant: string;
  /** The abuser's status as case.json says it (VAWA), when it says one. */
  abuserStatus?: AbuserStatus;
  elements: LegalElement[];
}

/** The checklist Redact wrote; the default variant's for runs made before it existed. */
export async function caseElements(store: BlobStore, runKey: string, caseType: CaseType): Promise<CaseElements> {
  if (await store.exists(elementsKey(runKey))) return getJson<CaseElements>(store, elementsKey(runKey));
  return { caseType, variant: defaultVariant[caseType], elements: legalElements[caseType] };
}
