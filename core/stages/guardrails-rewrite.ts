/**
 * GuardrailsRewrite: each paragraph of the draft rewritten with the judges' reasons and the
 * placeholder check's findings, when the score or CheckPlaceholders asks. Each prompt names the
 * paragraph by the filing version's number, which the attorney's notes use. Within an attorney's
 * review round only the paragraphs the notes name are rewritten (each with its own note), and
 * a paragraph locked as verified never is: those are kept byte for byte (core/review-paragraphs.ts).
 */
import { getJson } from "../blob-store.ts";
import { filingNumbers } from "../declaration.ts";
import { keptByScope, readRewriteScope } from "../review-paragraphs.ts";
import { checkPlaceholders, describeProblems } from "../roles.ts";
import { type JudgeReport, readJudgeOutput, uncoveredElements } from "./judge.ts";
import { paragraphOutputSchema, paragraphSample, planParagraphs } from "./paragraphs.ts";
import { readDraft } from "./plan-context.ts";
import { renderTemplate } from "./prompts.ts";
import { gpuStageModule } from "./stage.ts";

export const guardrailsRewrite = gpuStageModule({
  name: "GuardrailsRewrite",
  templates: ["rewrite-paragraph"],
  // The facts key is passed too (the deployed definition has always given it), though the
  // rewrite works from the draft and the judges' reasons.
  reads: ["facts", "draft", "judges"],
  slot: "draft",
  outputSchema: paragraphOutputSchema,
  sample: paragraphSample,
  phase: "rewrite",
  async plan(ctx) {
    const { input, store } = ctx;
    const previous = input.draftKey ? await readDraft(store, input.draftKey) : undefined;
    const verdicts: JudgeReport[] = [];
    for (const key of input.judgeKeys ?? []) verdicts.push(await readJudgeOutput(store, key));
    const reasons = verdicts.map((v) => v.reasons).join(" / ");
    // The placeholder check's findings on the previous draft, per element: the first thing to fix.
    const problems = previous && ctx.legend ? checkPlaceholders(previous, ctx.legend) : [];
    // Score's record of this round, when the judges ran (a rewrite CheckPlaceholders asked for
    // comes before them): the sentences its sources did not support, per element.
    const scoreKey = `${input.runKey}/score-r${input.round}.json`;
    const score = (await store.exists(scoreKey))
      ? await getJson<{ unsupported?: Array<{ element: string; sentence: number; text: string }> }>(store, scoreKey)
      : undefined;
    const unsupported = (element: string) =>
      (score?.unsupported ?? [])
        .filter((u) => u.element === element && typeof u.text === "string")
        .map((u) => `sentence ${u.sentence + 1} "${u.text}" is not supported by the sources it cites`)
        .join("; ");
    // The previous draft's order (chronological, from Draft); elements it lacks after.
    const position = (id: string) => {
      const i = previous?.paragraphs.findIndex((p) => p.element === id) ?? -1;
      return i < 0 ? ctx.elements.length : i;
    };
    const elements = [...ctx.elements].sort((a, b) => position(a.id) - position(b.id));
    // The filing version's paragraph numbers, which the attorney's notes use ("paragraph 3: …").
    const numbers = previous ? filingNumbers(previous) : [];
    const numberOf = (id: string) => numbers[previous?.paragraphs.findIndex((p) => p.element === id) ?? -1];
    const scope = await readRewriteScope(store, input.runKey);
    const attorneyNote = (element: string) => scope?.rewrite?.find((r) => r.element === element)?.note;
    return planParagraphs(ctx, {
      round: input.round + 1,
      elements,
      keep: (element) => (keptByScope(scope, element.id) ? previous?.paragraphs.find((p) => p.element === element.id) : undefined),
      render: (element, sources) => {
        const paragraph = previous?.paragraphs.find((p) => p.element === element.id)?.text ?? "";
        const elementProblems = describeProblems(problems.filter((x) => x.element === element.id));
        const notSupported = unsupported(element.id);
        const notCovered = verdicts
          .flatMap((v) => uncoveredElements(v, previous))
          .filter((u) => u.element === element.id)
          .map((u) => `Not covered: ${u.reason}`)
          .join("; ");
        const note = attorneyNote(element.id);
        const said = [
          note && `Attorney's note on this paragraph: ${note}`,
          elementProblems && `Placeholders: ${elementProblems}`,
          notCovered,
          notSupported && `Unsupported: ${notSupported}`,
          reasons,
        ]
          .filter(Boolean)
          .join(" / ");
        const number = numberOf(element.id);
        return renderTemplate("rewrite-paragraph", {
          element: number !== undefined ? `${element.title} (paragraph ${number} of the declaration)` : element.title,
          reasons: said || "(none)",
          roles: ctx.roles,
          paragraph: paragraph || "(empty)",
          sources,
        });
      },
    });
  },
  readOutput: readDraft,
});
