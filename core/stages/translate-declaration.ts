/**
 * TranslateDeclaration: the final English declaration in Spanish, a call per paragraph, for
 * a declarant who reads Spanish (case.json `"language": "es"`), so they can read what they
 * swear to. The English stays the filing version; the Spanish keeps every placeholder, and one
 * it invents or mangles fails the stage (Affiant.PlaceholderMismatch), as at Reinject.
 */
import { getJson, putJson } from "../blob-store.ts";
import { InvalidInputError } from "../errors.ts";
import { caseElements } from "../legal-elements.ts";
import { periodLabel } from "../story.ts";
import { assertTranslatedPlaceholders, checkTranslatedPlaceholders, paragraphsToTranslate, type Translation } from "../translation.ts";
import { readDraft, tidyParagraph } from "./plan-context.ts";
import { renderTemplate } from "./prompts.ts";
import { gpuStageModule } from "./stage.ts";

export const translateDeclaration = gpuStageModule({
  name: "TranslateDeclaration",
  templates: ["translate-paragraph"],
  reads: ["draft"],
  slot: "translation",
  phase: "finish",
  when: {
    variable: "$.language",
    equals: "es",
    because: "the declarant reads Spanish (case.json language es): translate the final English declaration",
  },
  // A stand-in answer for the recording providers: Spanish, with the declarant's placeholder kept.
  sample: { promptMarker: "Spanish translation:", answer: "Yo, [PERSON_1], lo recuerdo con claridad. Ocurrió como dicen los registros." },
  async plan(ctx) {
    const { input, store } = ctx;
    if (!input.draftKey)
      throw new InvalidInputError("TranslateDeclaration needs the final draft (AFFIANT_DRAFT_KEY)", { state: "TranslateDeclaration" });
    const draftKey = input.draftKey;
    const draft = await readDraft(store, draftKey);
    const paragraphs = paragraphsToTranslate(draft);
    const wanted = paragraphs.filter((p) => p.english.length > 0);
    // Each heading in Spanish as the case's variant words it (the parent's abuser is a citizen aged 21 or over, no one else).
    const titlesEs = new Map((await caseElements(store, input.runKey, draft.caseType)).elements.map((e) => [e.id, e.titleEs]));
    // Spanish runs about a fifth longer than English; the stage's budget is shared by its paragraphs.
    const perCall = Math.max(16, Math.floor(ctx.maxTokens / Math.max(1, wanted.length)));
    ctx.onProgress?.();
    return {
      calls: wanted.map((p) => ({
        id: p.element,
        prompt: renderTemplate("translate-paragraph", { paragraph: p.english }),
        maxTokens: perCall,
        chunksUsed: 0,
        chunksOmitted: 0,
      })),
      finish: async (outputs) => {
        const translated = new Map(wanted.map((p, i) => [p.element, tidyParagraph(outputs[i] ?? "")]));
        const checked = paragraphs.map((p) => ({
          element: p.element,
          check: checkTranslatedPlaceholders(p.english, translated.get(p.element) ?? ""),
        }));
        assertTranslatedPlaceholders("TranslateDeclaration", checked);
        const translation: Translation = {
          language: "es",
          caseType: draft.caseType,
          draftKey,
          round: draft.round,
          paragraphs: paragraphs.map((p, i) => ({
            element: p.element,
            // A story paragraph is headed by its date or period, in Spanish; an element's paragraph by the element's Spanish title.
            title:
              draft.paragraphs[i]!.period !== undefined
                ? periodLabel(draft.paragraphs[i]!.period!, "es")
                : (titlesEs.get(p.element) ?? draft.paragraphs[i]!.title),
            text: translated.get(p.element) ?? "",
            missingPlaceholders: checked[i]!.check.missing,
          })),
        };
        const key = `${input.runKey}/translation-${draft.round}.json`;
        await putJson(store, key, translation);
        return key;
      },
    };
  },
  readOutput: (store, key) => getJson<Translation>(store, key),
});
