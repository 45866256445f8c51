/**
 * A judge: scores the draft for one criterion, 1 to 5 with short reasons, as JSON. The
 * judges differ only in their criterion; each is a module of its own (judge-*.ts) made here.
 */
import { z } from "zod";
import { type BlobStore, getJson, putJson } from "../blob-store.ts";
import { type Draft, filingNumbers, supportsOf } from "../declaration.ts";
import { InvalidInputError, InvalidModelOutputError } from "../errors.ts";
import { centroid } from "../vectors.ts";
import { parseJson, readDraft } from "./plan-context.ts";
import { renderTemplate } from "./prompts.ts";
import { type GpuStageModule, gpuStageModule } from "./stage.ts";

export const judgeOutputSchema = z.object({ score: z.number().int().min(1).max(5), reasons: z.string() });
/** A checklist judge's verdict on one legal element: covered or not, with a reason quoting the draft. */
export const elementVerdictSchema = z.object({ pass: z.boolean(), reason: z.string() });
/** A checklist judge (coverage) answers per element of the case's variant besides its score. */
export const checklistOutputSchema = judgeOutputSchema.extend({ elements: z.record(z.string(), elementVerdictSchema) });
export type JudgeOutput = z.infer<typeof judgeOutputSchema> & { elements?: Record<string, z.infer<typeof elementVerdictSchema>> };
/** What a judge stores: its verdict and the criterion it judged. */
export type JudgeReport = JudgeOutput & { criterion: string };

/** The checklist prompt's closing phrase (the stand-in hosted models recognise it). */
export const checklistMarker = "Checklist verdicts as JSON";

const normalized = (text: string) =>
  text
    .toLowerCase()
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, " ")
    .trim();

/** The quoted spans of a reason ("…" or “…”), three words or more: what a judge says the draft says. */
export function quotesOf(reason: string): string[] {
  return [...normalized(reason).matchAll(/"([^"]+)"/g)]
    .map((m) => m[1]!.replace(/^[\s.,;:…]+|[\s.,;:…]+$/g, ""))
    .filter((q) => q.split(" ").length >= 3);
}

/** Whether a reason quotes the draft: one of its quotes is, word for word, in the draft's text. */
export function quotesDraft(reason: string, draftText: string): boolean {
  const text = normalized(draftText);
  return quotesOf(reason).some((q) => text.includes(q));
}

/**
 * The elements a checklist verdict failed, each with its reason (for the gate and the
 * rewrite). Given the draft, a pass counts only when its reason quotes a paragraph that
 * supports the element (each paragraph carries the elements it supports): the checklist is
 * the proof every element is covered, and a pass that points at nothing in the draft, or at a
 * paragraph that does not claim the element, proves nothing for it.
 */
export function uncoveredElements(
  verdict: JudgeOutput,
  draft?: { paragraphs: ReadonlyArray<Pick<Draft["paragraphs"][number], "text" | "element" | "supports">> },
): Array<{ element: string; reason: string }> {
  const draftText = draft?.paragraphs.map((p) => p.text).join("\n");
  const supporting = (element: string) =>
    (draft?.paragraphs ?? [])
      .filter((p) => supportsOf(p).includes(element))
      .map((p) => p.text)
      .join("\n");
  return Object.entries(verdict.elements ?? {}).flatMap(([element, v]) => {
    if (!v.pass) return [{ element, reason: v.reason }];
    if (draftText === undefined) return [];
    if (!quotesDraft(v.reason, draftText)) return [{ element, reason: `judged covered, but the reason quotes nothing the draft says` }];
    if (!quotesDraft(v.reason, supporting(element)))
      return [{ element, reason: `judged covered, but the reason quotes no paragraph that supports it` }];
    return [];
  });
}

/**
 * The draft as a judge reads it: a line per drafted paragraph, in the filing's order, led by
 * the ids of the elements it supports ("abuse, residence: …"), so the checklist judge judges
 * each element on the paragraphs that claim it. Ids, not titles or numbers: a small model's
 * context cannot spare the tokens (a paragraph written for one element reads "abuse: …").
 */
export function judgeDraftText(draft: Pick<Draft, "paragraphs">): string {
  const numbers = filingNumbers(draft);
  return draft.paragraphs.flatMap((p, i) => (numbers[i] === undefined ? [] : [`${supportsOf(p).join(", ")}: ${p.text}`])).join("\n");
}

/** The texts of the {@link judgeDraftText} lines whose paragraph supports an element. */
export function judgedParagraphsFor(draftText: string, element: string): string[] {
  return [...draftText.matchAll(/^([a-z0-9-]+(?:, [a-z0-9-]+)*): (.*)$/gm)]
    .filter((m) => m[1]!.split(", ").includes(element))
    .map((m) => m[2]!);
}

export interface JudgeOptions {
  /**
   * Judge against the case's element checklist (core/legal-elements.ts, by variant): its
   * prompt lists the elements and its answer holds pass/fail per element.
   */
  checklist?: boolean;
}

export const readJudgeOutput = (store: BlobStore, key: string): Promise<JudgeReport> => getJson<JudgeReport>(store, key);

export type JudgeStageModule<Name extends string = string> = GpuStageModule<Name, JudgeReport, "judges", "judge"> & {
  readonly criterion: string;
  readonly checklist: boolean;
};

export function judgeStage<const Name extends string>(name: Name, criterion: string, options: JudgeOptions = {}): JudgeStageModule<Name> {
  const template = options.checklist ? "judge-checklist" : "judge";
  const module = gpuStageModule({
    name,
    templates: [template],
    reads: ["draft"],
    slot: "judges",
    phase: "judge",
    outputSchema: options.checklist ? checklistOutputSchema : judgeOutputSchema,
    sample: options.checklist
      ? {
          promptMarker: checklistMarker,
          // Not a model: an element with a paragraph that supports it passes, quoting that
          // paragraph's first words from the prompt's draft; one without fails, saying so.
          answer: (prompt: string) => {
            const ids = [...prompt.slice(prompt.indexOf("Checklist:"), prompt.indexOf("Draft:")).matchAll(/^- ([a-z0-9-]+): /gm)].map(
              (m) => m[1]!,
            );
            const draft = prompt.slice(prompt.indexOf("Draft:"), prompt.lastIndexOf("Sources:"));
            const verdict = (id: string) => {
              const text = judgedParagraphsFor(draft, id)[0]?.trim();
              const words = text?.split(/\s+/).slice(0, 6).join(" ");
              return words && words.split(" ").length >= 3
                ? { pass: true, reason: `the draft says "${words}"` }
                : { pass: false, reason: "no paragraph of the draft addresses it" };
            };
            return JSON.stringify({
              score: 4,
              reasons: "Each element is addressed.",
              elements: Object.fromEntries(ids.map((id) => [id, verdict(id)])),
            });
          },
        }
      : { promptMarker: "Score as JSON", answer: '{"score":4,"reasons":"Supported by the intake notes."}' },
    async plan(ctx) {
      const { input, store, index, vectors } = ctx;
      if (!input.draftKey) throw new InvalidInputError(`${ctx.stage} needs the draft (AFFIANT_DRAFT_KEY)`, { state: ctx.stage });
      const draft = await readDraft(store, input.draftKey);
      const draftText = judgeDraftText(draft);
      // The draft itself was never embedded (that would need a second model here): the
      // vector side ranks by the centroid of the chunks the draft drew on.
      const position = new Map(index.chunks.map((c, i) => [c.id, i]));
      const cited =
        vectors &&
        centroid(
          [...new Set(draft.paragraphs.flatMap((p) => p.sources))].flatMap((id) =>
            position.has(id) ? [vectors.chunks[position.get(id)!]!] : [],
          ),
        );
      // The checklist with titles and citations, or by id alone when a small context has no room for them.
      const full = ctx.elements.map((e) => `- ${e.id}: ${e.title} (${e.citation})`).join("\n");
      const byId = ctx.elements.map((e) => `- ${e.id}: `).join("\n");
      const fits = (checklist: string) =>
        ctx.countTokens(renderTemplate(template, { criterion, roles: "", draft: draftText, sources: "", checklist })) + 48 <=
        ctx.budgetFor(ctx.maxTokens);
      const checklist = fits(full) ? full : byId;
      const render = (roles: string) => (sources: string) =>
        renderTemplate(template, { criterion, roles, draft: draftText, sources, checklist });
      const roles = ctx.rolesFor((r) => render(r)(""), ctx.budgetFor(ctx.maxTokens));
      const { prompt, picked, omitted } = await ctx.fit(
        render(roles),
        ctx.rank(draftText.slice(0, 2000), cited),
        ctx.budgetFor(ctx.maxTokens),
      );
      // A checklist judge must answer every element, each by its id: an object with one property per element.
      // Each element's reason gets an equal share of the output budget left after the JSON itself
      // (a token per character at worst, two fifths more for the grammar's spacing), at most 120 characters.
      const skeleton = JSON.stringify({
        score: 4,
        reasons: "",
        elements: Object.fromEntries(ctx.elements.map((e) => [e.id, { pass: true, reason: "" }])),
      });
      const reasonChars = Math.max(
        8,
        Math.min(120, Math.floor((ctx.maxTokens - Math.ceil(ctx.countTokens(skeleton) * 1.4) - 20) / Math.max(1, ctx.elements.length))),
      );
      const verdict = { type: "object", properties: { pass: { type: "boolean" }, reason: { type: "string", maxLength: reasonChars } } };
      const schema = {
        type: "object",
        properties: {
          score: { enum: [1, 2, 3, 4, 5] },
          reasons: { type: "string", maxLength: options.checklist ? 20 : 120 },
          ...(options.checklist
            ? {
                elements: {
                  type: "object",
                  properties: Object.fromEntries(ctx.elements.map((e) => [e.id, verdict])),
                  required: ctx.elements.map((e) => e.id),
                  additionalProperties: false,
                },
              }
            : {}),
        },
      };
      return {
        calls: [{ id: "judge", prompt, maxTokens: ctx.maxTokens, schema, chunksUsed: picked.length, chunksOmitted: omitted }],
        finish: async ([raw]) => {
          const verdict: JudgeOutput = parseJson(ctx.stage, raw!, options.checklist ? checklistOutputSchema : judgeOutputSchema);
          if (options.checklist) {
            const missing = ctx.elements.filter((e) => !verdict.elements?.[e.id]).map((e) => e.id);
            if (missing.length)
              throw new InvalidModelOutputError(`${ctx.stage}: no verdict for element(s) ${missing.join(", ")} of the checklist`, {
                state: ctx.stage,
              });
            // Only the checklist's elements: an id the prompt did not list is dropped, not judged.
            verdict.elements = Object.fromEntries(ctx.elements.map((e) => [e.id, verdict.elements![e.id]!]));
          }
          const key = `${input.runKey}/judges/${ctx.stage}-r${input.round}.json`;
          await putJson(store, key, { criterion, ...verdict });
          return key;
        },
      };
    },
    readOutput: readJudgeOutput,
  });
  return { ...module, criterion, checklist: options.checklist ?? false };
}
