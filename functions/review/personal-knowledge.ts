/**
 * A declaration opens with "I make this declaration from my own personal knowledge", yet a
 * draft's sentences may rest on a police report, a shelter's letter or the attorney's intake
 * notes: things the declarant may know only because a document says them. A sentence whose
 * every cited source is some document other than the declarant's own account is such a
 * statement: the review document lists it for the attorney to confirm with the declarant (who
 * either knows it first-hand or states it on information and belief), and the opening paragraph
 * then allows for statements on information and belief rather than claiming personal knowledge
 * of everything. Pure: the caller says which documents are the declarant's own account.
 */
import { type Draft, filingNumbers, paragraphText } from "../../core/declaration.ts";

/**
 * Whether a document is the declarant's own account, by its file name: their personal statement
 * or declaration ("personal-statement.pdf", "declaracion-personal.pdf", "statement of …"), or an
 * interview the attorney took of them ("client-interview.pdf", "entrevista.pdf"). Intake notes,
 * police reports and letters are other people's accounts.
 */
export function isDeclarantAccount(fileName: string): boolean {
  return /personal[\s_-]*statement|declaraci[oó]n[\s_-]*personal|statement[\s_-]+of|declarant|\binterview|entrevista|testimonio[\s_-]*personal/i.test(
    fileName,
  );
}

export interface DocumentOnlySentence {
  /** The paragraph's number in the filing version. */
  paragraph: number;
  /** 1-based within the paragraph. */
  sentence: number;
  text: string;
  /** The documents its sources are in (as the index names them: placeholders until Reinject). */
  files: string[];
}

/**
 * The draft's sentences that rest on documents only: every source they cite is in the index
 * and none is in a document `ownAccount` accepts. A sentence citing nothing the index knows is
 * the gate's concern (unsupported), not this one's. A paragraph written before sentences
 * existed counts as one sentence citing the paragraph's sources.
 */
export function documentOnlySentences(
  draft: Pick<Draft, "paragraphs">,
  chunks: Array<{ id: string; file: string }>,
  ownAccount: (file: string) => boolean,
): DocumentOnlySentence[] {
  const fileOf = new Map(chunks.map((c) => [c.id, c.file]));
  const numbers = filingNumbers(draft);
  const out: DocumentOnlySentence[] = [];
  for (const [i, p] of draft.paragraphs.entries()) {
    const paragraph = numbers[i];
    if (paragraph === undefined) continue;
    const sentences = p.sentences?.length ? p.sentences : [{ text: paragraphText(p), sources: p.sources }];
    for (const [j, s] of sentences.entries()) {
      const files = s.sources.map((id) => fileOf.get(id));
      if (!files.length || files.some((f) => f === undefined)) continue;
      const known = [...new Set(files as string[])];
      if (known.some(ownAccount)) continue;
      out.push({ paragraph, sentence: j + 1, text: s.text.trim(), files: known });
    }
  }
  return out;
}
