/**
 * A judge: scores the draft for one criterion, 1 to 5 with short reasons, as JSON. The
 * judges differ only in their criterion; each is a module of its own (judge-*.ts) made here.
 */
import { z } from "zod";
import { getJson, putJson, type BlobStore } from "../blob-store.ts";
import { centroid } from "../vectors.ts";
import { renderTemplate } from "./prompts.ts";
import { parseJson, readDraft } from "./planning.ts";
import { gpuStageModule, type GpuStageModule } from "./stage.ts";

export const judgeOutputSchema = z.object({ score: z.number().int().min(1).max(5), reasons: z.string() });
export type JudgeOutput = z.infer<typeof judgeOutputSchema>;
/** What a judge stores: its verdict and the criterion it judged. */
export type JudgeReport = JudgeOutput & { criterion: string };

export const readJudgeOutput = (store: BlobStore, key: string): Promise<JudgeReport> => getJson<JudgeReport>(store, key);

export type JudgeStageModule<Name extends string = string> = GpuStageModule<Name, JudgeReport, "judges", "judge"> & { readonly criterion: string };

export function judgeStage<const Name extends string>(name: Name, criterion: string): JudgeStageModule<Name> {
  const module = gpuStageModule({
    name,
    templates: ["judge"],
    reads: ["draft"],
    slot: "judges",
    phase: "judge",
    outputSchema: judgeOutputSchema,
    sample: { promptMarker: "Score as JSON", answer: '{"score":4,"reasons":"Supported by the intake notes."}' },
    async plan(ctx) {
      const { input, store, index, vectors } = ctx;
      if (!input.draftKey) throw new Error(`${ctx.stage} needs the draft (AFFIANT_DRAFT_KEY)`);
      const draft = await readDraft(store, input.draftKey);
      // Element ids, not titles: the titles carry citations-length wording that a small context cannot spare.
      const draftText = draft.paragraphs.map((p) => `${p.element}: ${p.text}`).join("\n");
      // The draft itself was never embedded (that would need a second model here): the
      // vector side ranks by the centroid of the chunks the draft drew on.
      const position = new Map(index.chunks.map((c, i) => [c.id, i]));
      const cited = vectors && centroid([...new Set(draft.paragraphs.flatMap((p) => p.sources))].flatMap((id) => (position.has(id) ? [vectors.chunks[position.get(id)!]!] : [])));
      const render = (roles: string) => (sources: string) => renderTemplate("judge", { criterion, roles, draft: draftText, sources });
      const roles = ctx.rolesFor((r) => render(r)(""), ctx.budgetFor(ctx.maxTokens));
      const { prompt, picked, omitted } = await ctx.fit(
        render(roles),
        ctx.rank(draftText.slice(0, 2000), cited),
        ctx.budgetFor(ctx.maxTokens),
      );
      const schema = {
        type: "object",
        properties: { score: { enum: [1, 2, 3, 4, 5] }, reasons: { type: "string", maxLength: 120 } },
      };
      return {
        calls: [{ id: "judge", prompt, maxTokens: ctx.maxTokens, schema, chunksUsed: picked.length, chunksOmitted: omitted }],
        finish: async ([raw]) => {
          const verdict = parseJson(ctx.stage, raw!, judgeOutputSchema);
          const key = `${input.runKey}/judges/${ctx.stage}-r${input.round}.json`;
          await putJson(store, key, { criterion, ...verdict });
          return key;
        },
      };
    },
    readOutput: readJudgeOutput,
  });
  return { ...module, criterion };
}
