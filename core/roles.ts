/**
 * Who is who in a redacted case: the roles case.json gives (declarant, abuser and status,
 * children, witnesses, officers) against the placeholders the redactor gave them. Redact
 * writes the legend (placeholders, roles and statuses only: no name, no value), every prompt
 * carries it, and {@link checkPlaceholders} reads a draft against it before anything else runs,
 * so a swapped or invented placeholder goes back to rewrite instead of failing at Reinject.
 */
import { type Draft, supportsOf } from "./declaration.ts";

export interface RoleLegend {
  declarant: string;
  parties: Array<{ placeholder: string; role: string; status?: string }>;
  /** Every placeholder the vault holds (keys only): anything else in a draft is invented. */
  placeholders: string[];
}

export const rolesKey = (runKey: string) => `${runKey}/roles.json`;

/** One line per person: what a model needs to know who did what. */
export function legendText(legend: RoleLegend | undefined): string {
  if (!legend) return "(no roles recorded)";
  // Terse on purpose: the legend is in every prompt, and small models have small contexts.
  const lines = [`${legend.declarant}: declarant ("I")`];
  for (const p of legend.parties) lines.push(`${p.placeholder}: ${p.role}${p.status ? ` (${p.status})` : ""}`);
  return lines.join("\n");
}

/** A role's kind, from the free text case.json allows ("abuser", "Abusive spouse", "trafficker"). */
export type RoleKind = "abuser" | "trafficker" | "child" | "witness" | "officer" | "employer" | "other";
export function roleKind(role: string): RoleKind {
  const r = role.toLowerCase();
  if (/abus|batter|perpetrat/.test(r)) return "abuser";
  if (/traffick|smuggl|recruit/.test(r)) return "trafficker";
  if (/child|son|daughter/.test(r)) return "child";
  if (/witness|friend|neighbo/.test(r)) return "witness";
  if (/officer|police|detective|agent/.test(r)) return "officer";
  if (/employer|company|farm/.test(r)) return "employer";
  return "other";
}

/**
 * What an element needs of the roles: who must appear in it, and who must be the one doing
 * the harm (the subject of the sentence pattern, never its object: the abuser as the one who
 * abused). Only roles case.json names are required.
 */
export const elementRoles: Record<string, { requires: RoleKind[]; actor?: RoleKind }> = {
  relationship: { requires: ["abuser"] },
  abuse: { requires: ["abuser"], actor: "abuser" },
  "good-faith-marriage": { requires: ["abuser"] },
  residence: { requires: ["abuser"] },
  recruitment: { requires: ["trafficker"], actor: "trafficker" },
  "force-fraud-coercion": { requires: ["trafficker"], actor: "trafficker" },
};

/** What a paragraph supporting these elements needs of the roles: every role any of them requires, and an actor if one names it. */
export function paragraphRoles(elements: string[]): { requires: RoleKind[]; actor?: RoleKind } | undefined {
  const each = elements.flatMap((e) => (elementRoles[e] ? [elementRoles[e]!] : []));
  if (!each.length) return undefined;
  const actor = each.find((n) => n.actor)?.actor;
  return { requires: [...new Set(each.flatMap((n) => n.requires))], ...(actor ? { actor } : {}) };
}

/** Verbs of harm: the actor is their subject, never their object. */
const harmVerbs =
  "hit|hits|hitting|pushed|pushes|shoved|beat|beats|beaten|abused|abuses|abusing|threatened|threatens|choked|chokes|slapped|slaps|kicked|kicks|hurt|hurts|insulted|insults|controlled|controls|isolated|isolates|raped|strangled|punched|punches|assaulted|recruited|recruits|trafficked|forced|forces|coerced|locked|exploited|confined|deceived|tricked";

export interface PlaceholderProblem {
  kind: "unknown" | "malformed" | "missing-role" | "wrong-slot";
  element: string;
  /** The placeholder as written (placeholders are not PII: they replace it). */
  placeholder?: string;
  role?: string;
  detail: string;
}

/** Anything that looks like an attempt at a placeholder: `[Person_2]`, `PERSON_2`, `[PERSON 2]`. */
const lookalike = /\[?\b([A-Za-z]+(?:_[A-Za-z]+)*)[_ ](\d+)\b\]?/g;
const exact = /^\[[A-Z]+(?:_[A-Z]+)*_\d+\]$/;

export function checkPlaceholders(draft: Draft, legend: RoleLegend): PlaceholderProblem[] {
  const known = new Set([legend.declarant, ...legend.placeholders, ...legend.parties.map((p) => p.placeholder)]);
  const types = new Set([...known].map((p) => p.slice(1, p.lastIndexOf("_"))));
  for (const t of ["PERSON", "ORG", "A_NUMBER", "ADDRESS", "PHONE", "EMAIL", "SSN", "DATE"]) types.add(t);
  const problems: PlaceholderProblem[] = [];
  for (const p of draft.paragraphs) {
    const text = p.text;
    const seen = new Set<string>();
    for (const m of text.matchAll(lookalike)) {
      const written = m[0];
      if (!types.has(m[1]!.toUpperCase())) continue;
      if (!exact.test(written)) {
        problems.push({
          kind: "malformed",
          element: p.element,
          placeholder: written,
          detail: `"${written}" is not a placeholder; write [${m[1]!.toUpperCase()}_${m[2]}] exactly`,
        });
      } else if (!known.has(written) && !seen.has(written)) {
        problems.push({
          kind: "unknown",
          element: p.element,
          placeholder: written,
          detail: `${written} is not in the case; use only the placeholders of the sources and the legend`,
        });
      }
      seen.add(written);
    }
    // What the paragraph's elements need of the roles, together (a story paragraph supports several).
    const needs = paragraphRoles(supportsOf(p));
    if (!needs || !text.trim()) continue;
    for (const kind of needs.requires) {
      const holders = legend.parties.filter((x) => roleKind(x.role) === kind).map((x) => x.placeholder);
      if (holders.length && !holders.some((h) => text.includes(h))) {
        problems.push({
          kind: "missing-role",
          element: p.element,
          role: kind,
          placeholder: holders[0],
          detail: `the ${kind} (${holders.join(" or ")}) must appear in this paragraph`,
        });
      }
    }
    if (needs.actor) {
      for (const x of legend.parties.filter((y) => roleKind(y.role) === needs.actor)) {
        const ph = x.placeholder.replace(/[[\]]/g, "\\$&");
        // The actor as the object of a harm verb ("I hit [PERSON_2]") or its passive subject ("[PERSON_2] was hit").
        const asObject = new RegExp(`\\b(?:${harmVerbs})\\s+(?:\\w+ly\\s+)?${ph}`, "i");
        const asPatient = new RegExp(`${ph}\\s+(?:was|were|got|had been)\\s+(?:\\w+ly\\s+)?(?:${harmVerbs})\\b`, "i");
        if (asObject.test(text) || asPatient.test(text)) {
          problems.push({
            kind: "wrong-slot",
            element: p.element,
            role: needs.actor,
            placeholder: x.placeholder,
            detail: `${x.placeholder} is the ${needs.actor}: the one who did it, not the one it was done to`,
          });
        }
      }
    }
  }
  return problems;
}

/** The problems as a rewrite prompt reads them, and as a failure names them. */
export function describeProblems(problems: PlaceholderProblem[]): string {
  return problems.map((p) => `${p.element}: ${p.detail}`).join("; ");
}
