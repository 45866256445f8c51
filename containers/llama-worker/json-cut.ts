/**
 * Ends a JSON answer at its last complete list item: for a stage whose answer is a list of items
 * that each stand alone (ExtractFacts' facts), a model that starts repeating itself, or reaches
 * its token cap mid-item, has still given the items before that point whole. The cut keeps
 * them and closes every container still open; the stage's schema then checks the result as it
 * checks any answer. A paragraph is not such a list (a sentence cut from its neighbours changes
 * what it says), so only calls that ask for it are cut.
 */

/**
 * The text up to the end of its last complete item of a list, with the lists and objects still
 * open closed after it; undefined when no list item was completed (nothing worth keeping).
 */
export function cutAfterLastItem(text: string): string | undefined {
  const stack: string[] = [];
  let inString = false;
  let escaped = false;
  let cut: { at: number; open: string[] } | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === "\\") escaped = true;
      else if (ch === '"') {
        inString = false;
        // A string that is itself an item of a list.
        if (stack.at(-1) === "[") cut = { at: i, open: [...stack] };
      }
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") stack.push(ch);
    else if (ch === "}" || ch === "]") {
      if (stack.pop() !== (ch === "}" ? "{" : "[")) return cut && close(text, cut);
      if (stack.at(-1) === "[") cut = { at: i, open: [...stack] };
    }
  }
  return cut && close(text, cut);
}

function close(text: string, cut: { at: number; open: string[] }): string {
  return (
    text.slice(0, cut.at + 1) +
    [...cut.open]
      .reverse()
      .map((c) => (c === "{" ? "}" : "]"))
      .join("")
  );
}
