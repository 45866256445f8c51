/**
 * A word-level redline of one text against another: the longest common subsequence of their
 * words (whitespace runs kept as tokens, so joining every part's text gives each side back
 * exactly). Paragraphs are a few hundred words; past `maxCells` comparisons the redline says
 * the whole text was replaced rather than spending quadratic time.
 */

export type RedlineOp = "equal" | "insert" | "delete";

/** A run of words: kept, added in the new text, or taken out of the old one. */
export interface RedlinePart {
  op: RedlineOp;
  text: string;
}

/** Words times words above which the redline is a whole replacement. */
const maxCells = 4_000_000;

const tokens = (text: string) => text.match(/\s+|\S+/g) ?? [];

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
  if (a.length * b.length > maxCells) {
    push("delete", before);
    push("insert", after);
    return out;
  }
  // lcs[i][j]: the common length of a[i..] and b[j..], one row per token of `a`.
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
  let i = 0;
  let j = 0;
  const pendingDelete: string[] = [];
  const pendingInsert: string[] = [];
  const flush = () => {
    push("delete", pendingDelete.splice(0).join(""));
    push("insert", pendingInsert.splice(0).join(""));
  };
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      flush();
      push("equal", a[i]!);
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)) pendingDelete.push(a[i++]!);
    else pendingInsert.push(b[j++]!);
  }
  flush();
  return out;
}

/** True when the redline changes nothing. */
export const unchanged = (parts: RedlinePart[]) => parts.every((p) => p.op === "equal");
