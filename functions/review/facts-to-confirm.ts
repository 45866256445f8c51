/**
 * Facts to confirm with the client: what the file leaves open and only the declarant can
 * settle before signing. Each item says what, why and where (document and page, or the
 * declaration's paragraph):
 * - a fact with no date, or an "unknown" one (a filing's narrative is chronological);
 * - a fact only one document supports (nothing else in the file says it);
 * - a sentence of the draft its sources do not support;
 * - a person the draft or the facts name who has no role in roles.json (who is it?);
 * - the same injury dated differently by two documents (from the contradiction detector).
 * Pure: built from what the run wrote, with placeholders; Reinject maps them to real values.
 */
import type { RoleLegend } from "../../core/roles.ts";
import type { Contradiction, SourceChunk } from "./contradictions.ts";

/** A fact as ExtractFacts writes it; `date` and `sources` are read when the stage gives them. */
export interface ExtractedFact {
  element: string;
  statement: string;
  source: string;
  sources?: string[];
  date?: string;
}

export interface FactToConfirm {
  /** The fact or sentence in question (placeholders until Reinject). */
  item: string;
  why: string[];
  /** "Exhibit B, p. 2", or "paragraph 3". */
  where: string[];
}

export interface ConfirmInputs {
  facts: ExtractedFact[];
  chunks: SourceChunk[];
  /** Sentences Score found unsupported: paragraph number and text. */
  unsupported: Array<{ paragraph: number; text: string }>;
  /** Every paragraph's text, to find the people it names. */
  paragraphs: Array<{ number: number; text: string }>;
  legend?: RoleLegend;
  contradictions: Contradiction[];
  /** "Exhibit B, p. 2" for a document and page. */
  exhibitOf: (file: string, page: number) => string;
}

const undated = (date: string | undefined) => !date?.trim() || /^(?:unknown|unk|n\/?a|none|desconocid[ao]|\?+)$/i.test(date.trim());

// Words too common to tell whether another document says the same thing.
const stop = new Set(
  "that this with from they their them were have had been when then than into about after before over also only very said told went came just like what which while where there these those will would could should because".split(
    " ",
  ),
);
const contentWords = (text: string) => new Set((text.toLowerCase().match(/\[[a-z_]+_\d+\]|\p{L}{4,}/gu) ?? []).filter((w) => !stop.has(w)));

/** The documents that say a fact: those its sources name, and any other whose page holds most of its words. */
function documentsSaying(fact: ExtractedFact, chunks: SourceChunk[], fileOf: Map<string, SourceChunk>): Set<string> {
  const cited = (fact.sources ?? [fact.source]).map((id) => fileOf.get(id)?.file).filter((f): f is string => f !== undefined);
  const docs = new Set(cited);
  const words = [...contentWords(fact.statement)];
  if (words.length === 0) return docs;
  for (const c of chunks) {
    if (docs.has(c.file)) continue;
    const there = contentWords(c.text);
    if (words.filter((w) => there.has(w)).length / words.length >= 0.6) docs.add(c.file);
  }
  return docs;
}

export function factsToConfirm({
  facts,
  chunks,
  unsupported,
  paragraphs,
  legend,
  contradictions,
  exhibitOf,
}: ConfirmInputs): FactToConfirm[] {
  const byId = new Map(chunks.map((c) => [c.id, c]));
  const whereOf = (fact: ExtractedFact) => {
    const out = (fact.sources ?? [fact.source]).map((id) => byId.get(id)).map((c) => (c ? exhibitOf(c.file, c.page) : undefined));
    return [...new Set(out.filter((w): w is string => w !== undefined))];
  };
  const out: FactToConfirm[] = [];
  for (const fact of facts) {
    const why: string[] = [];
    if (undated(fact.date)) why.push(fact.date?.trim() ? `its date is "${fact.date.trim()}"` : "it has no date");
    const saying = chunks.length ? documentsSaying(fact, chunks, byId).size : 2;
    if (saying === 0) why.push("no document in the file says it");
    else if (saying === 1) why.push("only one document says it");
    if (why.length)
      out.push({
        item: fact.statement,
        why,
        where: whereOf(fact).length ? whereOf(fact) : [`cited source ${fact.source} is not in the index`],
      });
  }
  for (const u of unsupported)
    out.push({ item: u.text, why: ["the sources it cites do not support it"], where: [`paragraph ${u.paragraph}`] });

  // People named with no role: the legend knows the declarant and the parties case.json gives.
  if (legend) {
    const known = new Set([legend.declarant, ...legend.parties.map((p) => p.placeholder)]);
    const unknown = new Map<string, Set<string>>();
    const note = (text: string, where: string) => {
      for (const person of text.match(/\[PERSON_\d+\]/g) ?? [])
        if (!known.has(person)) (unknown.get(person) ?? unknown.set(person, new Set()).get(person)!).add(where);
    };
    for (const p of paragraphs) note(p.text, `paragraph ${p.number}`);
    for (const f of facts) for (const w of whereOf(f)) note(f.statement, w);
    for (const [person, where] of unknown)
      out.push({
        item: person,
        why: ["named in the draft or the facts but has no role in case.json (roles.json): who is this?"],
        where: [...where],
      });
  }
  for (const c of contradictions.filter((x) => x.kind === "date")) {
    out.push({
      item: `${c.first.quote} / ${c.second.quote}`,
      why: [`the documents date the same injury differently (${c.event}), or tell two events`],
      where: [exhibitOf(c.first.file, c.first.page), exhibitOf(c.second.file, c.second.page)],
    });
  }
  return out;
}
