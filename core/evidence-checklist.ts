/**
 * The evidence an attorney gathers beside the declaration, per variant, each item with the
 * provision that asks for it: the review document lists it. The T visa's bar on traffickers
 * (8 CFR 214.202(e)) is here too: it is not something the declarant establishes, but the
 * attorney must confirm it before filing. Where each quoted provision was read: beside the
 * elements in core/legal-elements.ts, and below.
 *
 * Good moral character: "The applicant's declaration is primary evidence of their good moral
 * character. It must be accompanied by police clearances from each place where the
 * self-petitioner has lived for six months or more during the past three years" (CLINIC,
 * quoted at https://www.sarrafgentile.com/winning-a-vawa-case-with-a-good-moral-character/;
 * 8 CFR 204.2(c)(2)(v)); a child under 14 is presumed to be of good moral character (8 CFR
 * 204.2(e)(2)). Divorce: "Self-petitions filed within 2 years of the legal termination of the
 * marriage must include evidence that the marriage was legally terminated, such as a final
 * divorce decree or annulment, and that the termination was connected to the battery or
 * extreme cruelty" (https://uscis.gov/policy-manual/volume-3-part-d-chapter-3). T visa: "The
 * applicant's personal statement … Any other credible evidence, including … Police reports or
 * other documentation from an LEA … Affidavits from case managers, therapists, medical
 * professionals, witnesses … Documents used in furtherance of the trafficking scheme such as
 * recruitment materials, advertisements, pay stubs, logbooks, or contracts"
 * (8 CFR 214.206(a)(3), https://checkoutapi.com/regulations/8/214.206).
 */
import type { AbuserStatus, CaseType } from "./case-file.ts";

const abuserProof = (status: AbuserStatus | undefined, who: string) =>
  status === "lpr"
    ? `Proof of ${who}'s lawful permanent residence (permanent resident card, or the A-number for USCIS to check its records); if it was lost within the past two years, proof of the loss and of its connection to an incident of domestic violence`
    : status === "citizen"
      ? `Proof of ${who}'s U.S. citizenship (birth certificate, passport, naturalization certificate); if it was lost or renounced within the past two years, proof of that and of its connection to an incident of domestic violence`
      : `Proof of ${who}'s status: U.S. citizenship (birth certificate, passport, naturalization certificate) or lawful permanent residence (permanent resident card, A-number); case.json does not say which`;

const policeClearances =
  "Police clearance or state criminal background check from each place the self-petitioner lived six months or more in the three years before filing (8 CFR 204.2(c)(2)(v))";
const abuseEvidence =
  "Evidence of the battery or extreme cruelty: police reports, protection orders, medical records, photographs, affidavits of witnesses, shelter or counsellor letters";

/** The checklist for a case's type, variant and abuser's status (VAWA). */
export function evidenceChecklist(caseType: CaseType, variant: string, abuserStatus?: AbuserStatus): string[] {
  if (caseType === "T") {
    return [
      "The applicant's personal statement describing the victimization (8 CFR 214.206(a)(3)(i)): this declaration",
      "Other credible evidence of the trafficking: police reports or other LEA documentation, court documents, affidavits of case managers, therapists, medical professionals or witnesses, recruitment materials, pay stubs, contracts (8 CFR 214.206(a)(3)(ii))",
      ...(variant === "minor"
        ? [
            "Proof of the applicant's age when at least one act of trafficking occurred (birth certificate): under 18 exempts from the law-enforcement requirement (8 CFR 214.202(c)(1))",
          ]
        : variant === "trauma-exception"
          ? [
              "Evidence of the physical or psychological trauma that prevents cooperation with law enforcement: therapist's or medical letters (8 CFR 214.202(c)(2))",
            ]
          : [
              "Evidence of compliance with reasonable requests from law enforcement: an LEA declaration, correspondence with the agency (8 CFR 214.202(c), 214.208)",
            ]),
      "Evidence of extreme hardship involving unusual and severe harm upon removal: country conditions, medical or counselling records, threats of retaliation (8 CFR 214.209)",
      "Eligibility bar to confirm: no substantial reason to believe the applicant committed an act of a severe form of trafficking in persons (8 CFR 214.202(e))",
    ];
  }
  const spouse = (extra: string[]) => [
    ...extra,
    abuserProof(abuserStatus, "the abuser"),
    abuseEvidence,
    "Evidence of residence with the abuser: leases, mail, bills, school or medical records at the shared address",
    "Evidence of the good-faith marriage: joint bank accounts, lease, insurance, photographs, birth certificates of children born of the marriage, affidavits of people who knew the couple",
    policeClearances,
  ];
  switch (variant) {
    case "intended-spouse":
      return spouse([
        "Marriage certificate of the ceremony, and proof of the abuser's earlier marriage that made it invalid (bigamy) (INA 101(a)(50))",
      ]);
    case "divorced":
      return spouse([
        "Marriage certificate",
        "Final divorce decree dated within two years before filing, and evidence that the divorce was connected to the battery or extreme cruelty",
      ]);
    case "deceased-abuser":
      return spouse(["Marriage certificate", "Death certificate of the U.S. citizen spouse, dated within two years before filing"]);
    case "child":
      return [
        "Birth certificate of the self-petitioner naming the abusive parent (parentage, age); for a stepchild, the marriage that created the step-relationship",
        "Proof that the self-petitioner is unmarried and under 21, or, filing at 21 to 25, evidence that the abuse was at least one central reason for the delay (INA 204(a)(1)(D)(v))",
        abuserProof(abuserStatus, "the abusive parent"),
        abuseEvidence,
        "Evidence of residence with the abusive parent: school records, medical records, leases",
        "Police clearances as for an adult (8 CFR 204.2(c)(2)(v)) only if the self-petitioner is 14 or older: under 14, good moral character is presumed (8 CFR 204.2(e)(2))",
      ];
    case "parent":
      return [
        "Birth certificate of the son or daughter naming the self-petitioner as parent (for a stepparent or adoptive parent, the marriage or adoption that created the relationship)",
        "Proof that the son or daughter is a U.S. citizen aged 21 or over (birth certificate, passport, naturalization certificate); if they died or lost or renounced citizenship within the past two years, the death certificate or proof of the loss",
        abuseEvidence,
        "Evidence of residence with the son or daughter: leases, mail, bills at the shared address",
        policeClearances,
      ];
    default:
      return spouse([
        "Marriage certificate, and proof that any earlier marriage of either spouse ended (divorce decree, death certificate)",
      ]);
  }
}
