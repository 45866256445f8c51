/**
 * GuardrailsRewrite: each paragraph of the draft rewritten with the judges' reasons and the
 * placeholder check's findings, when the score or CheckPlaceholders asks. The draft keeps its
 * paragraphs (the story's incidents and periods, in their order, each with the elements it
 * supports): an element the coverage judge found wanting reaches every paragraph that supports
 * it. Each prompt names the
 * paragraph by the filing version's number, which the attorney's notes use. Within an attorney's
 * review round only the paragraphs the notes name are rewritten (each with its own note), and
 * a paragraph locked as verified never is: those are kept byte for byte (core/review-paragraphs.ts).
 */
import { getJson } from "../blob-store.ts";
import { filingNumbers, supportsOf } from "../declaration.ts";
import { keptByScope, readRewriteScope } from "../review-paragraphs.ts";
import { checkPlaceholders, describeProblems } from "../roles.ts";
import { type JudgeReport, readJudgeOutput, uncoveredElements } from "./judge.ts";
import { elementParagraph, type ParagraphSpec, paragraphOutputSchema, paragraphSample, planParagraphs } from "./paragraphs.ts";
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
    // The placeholder check's findings on the previous draft, per paragraph: the first thing to fix.
    const problems = previous && ctx.legend ? checkPlaceholders(previous, ctx.legend) : [];
    // Score's record of this round, when the judges ran (a rewrite CheckPlaceholders asked for
    // comes before them): the sentences its sources did not support, per paragraph.
    const scoreKey = `${input.runKey}/score-r${input.round}.json`;
    const score = (await store.exists(scoreKey))
      ? await getJson<{ unsupported?: Array<{ element: string; sentence: number; text: string }> }>(store, scoreKey)
      : undefined;
    const unsupported = (key: string) =>
      (score?.unsupported ?? [])
        .filter((u) => u.element === key && typeof u.text === "string")
        .map((u) => `sentence ${u.sentence + 1} "${u.text}" is not supported by the sources it cites`)
        .join("; ");
    // The previous draft's paragraphs in its order; an element no paragraph of it supports gets one after.
    const paragraphs: ParagraphSpec[] = (previous?.paragraphs ?? []).map((p) => ({
      key: p.element,
      title: p.title,
      supports: supportsOf(p),
      ...(p.period !== undefined ? { period: p.period } : {}),
      ...(p.undatedFacts ? { undatedFacts: p.undatedFacts } : {}),
      // A story paragraph keeps drawing on the sources it told; an element's paragraph ranks by its element, as it was drafted.
      cites: p.period !== undefined ? p.sources : [],
    }));
    const supported = new Set(paragraphs.flatMap((p) => p.supports));
    paragraphs.push(...ctx.elements.filter((e) => !supported.has(e.id)).map(elementParagraph));
    const titles = new Map(ctx.elements.map((e) => [e.id, e.title]));
    // The filing version's paragraph numbers, which the attorney's notes use ("paragraph 3: …").
    const numbers = previous ? filingNumbers(previous) : [];
    const numberOf = (key: string) => numbers[previous?.paragraphs.findIndex((p) => p.element === key) ?? -1];
    const scope = await readRewriteScope(store, input.runKey);
    const attorneyNote = (element: string) => scope?.rewrite?.find((r) => r.element === element)?.note;
    return planParagraphs(ctx, {
      round: input.round + 1,
      paragraphs,
      keep: (spec) => (keptByScope(scope, spec.key) ? previous?.paragraphs.find((p) => p.element === spec.key) : undefined),
      render: (spec, sources) => {
        const paragraph = previous?.paragraphs.find((p) => p.element === spec.key)?.text ?? "";
        const elementProblems = describeProblems(problems.filter((x) => x.element === spec.key));
        const notSupported = unsupported(spec.key);
        // Each element this paragraph supports that the judge found wanting, named by its title.
        const notCovered = verdicts
          .flatMap((v) => uncoveredElements(v, previous))
          .filter((u) => spec.supports.includes(u.element))
          .map((u) => `Not covered: ${spec.supports.length > 1 ? `${titles.get(u.element) ?? u.element}: ` : ""}${u.reason}`)
          .join("; ");
        const note = attorneyNote(spec.key);
        const said = [
          note && `Attorney's note on this paragraph: ${note}`,
          elementProblems && `Placeholders: ${elementProblems}`,
          notCovered,
          notSupported && `Unsupported: ${notSupported}`,
          reasons,
        ]
          .filter(Boolean)
          .join(" / ");
        const number = numberOf(spec.key);
        // A story paragraph: its date or period and the elements it shows; an element's paragraph: the element.
        const shows =
          spec.period !== undefined ? `${spec.title}, showing ${spec.supports.map((id) => titles.get(id) ?? id).join("; ")}` : spec.title;
        return renderTemplate("rewrite-paragraph", {
          element: number !== undefined ? `${shows} (paragraph ${number} of the declaration)` : shows,
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
