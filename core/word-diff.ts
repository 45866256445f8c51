/**
 * A word-level redline of one text against another: the longest common subsequence of their
 * words (a word, or one punctuation mark, with the whitespace after it). Kept and inserted
 * parts give the new text back exactly; kept and deleted parts give the old one back up to
 * its spacing. Paragraphs are a few hundred words; past `maxCells` comparisons the redline
 * says the whole text was replaced rather than spending quadratic time.
 */

export type RedlineOp = "equal" | "insert" | "delete";

/** A run of words: kept, added in the new text, or taken out of the old one. */
export interface RedlinePart {
  op: RedlineOp;
  text: string;
}

/** Words times words above which the redline is a whole replacement. */
const maxCells = 4_000_000;

interface Token {
  word: string;
  /** The word with the whitespace after it, as written. */
  text: string;
}

const tokens = (text: string): Token[] =>
  [...text.matchAll(/([\p{L}\p{N}][\p{L}\p{N}'’-]*|[^\s\p{L}\p{N}])(\s*)/gu)].map((m) => ({ word: m[1]!, text: m[0] }));

/** The parts, in reading order, adjacent parts of one kind merged; deletions before insertions at a change. */
export function wordDiff(before: string, after: string): RedlinePart[] {
  const a = tokens(before);
  const b = tokens(after);
  const out: RedlinePart[] = [];
  const push = (op: RedlineOp, text: string) => {
    if (!text) return;
    const last = out.at(-1);
    if (last && last.op === op) last.text += text;
    else out.push({ op, text });
  };
  // Whitespace before the first word of the new text is kept as written.
  push("equal", /^\s*/.exec(after)![0]);
  if (a.length * b.length > maxCells) {
    push("delete", a.map((t) => t.text).join(""));
    push("insert", b.map((t) => t.text).join(""));
    return out;
  }
  // lcs[i * width + j]: the common length of a[i..] and b[j..].
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * width + j] =
        a[i]!.word === b[j]!.word ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
  const deleted: string[] = [];
  const inserted: string[] = [];
  const flush = () => {
    push("delete", deleted.splice(0).join(""));
    push("insert", inserted.splice(0).join(""));
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i]!.word === b[j]!.word) {
      flush();
      push("equal", b[j]!.text);
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)) deleted.push(a[i++]!.text);
    else inserted.push(b[j++]!.text);
  }
  flush();
  return out;
}

/** True when the redline changes no word. */
export const unchanged = (parts: RedlinePart[]) => parts.every((p) => p.op === "equal");
