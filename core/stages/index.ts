/**
 * The GPU stages, in pipeline order: the prepare stages run in this order between Index and
 * the judges, the judges side by side in this order, the finish stages in this order after the
 * quality gate (each only when its `when` holds), before Reinject. A new stage is its module here, its
 * prompt file under prompts/<version>/ and its entry in each models/registry*.json (the
 * registry is checked for one at load). test/unit/stages.test.ts checks all of that, and
 * test/unit/extension-points.test.ts adds a throwaway stage that way and finds it everywhere.
 */

import { draftDeclaration } from "./draft-declaration.ts";
import { extractFacts } from "./extract-facts.ts";
import { guardrailsRewrite } from "./guardrails-rewrite.ts";
import { judgeCoverage } from "./judge-coverage.ts";
import { judgeFaithfulness } from "./judge-faithfulness.ts";
import { judgeTone } from "./judge-tone.ts";
import { translateDeclaration } from "./translate-declaration.ts";

export const stageModules = [
  extractFacts,
  draftDeclaration,
  judgeFaithfulness,
  judgeCoverage,
  judgeTone,
  guardrailsRewrite,
  translateDeclaration,
] as const;

export type StageModule = (typeof stageModules)[number];
export type GpuStage = StageModule["name"];
/** The execution-state fields the stages fill (PipelineState has one per slot). */
export type StageSlot = StageModule["slot"];

export function stageModule(name: GpuStage): StageModule {
  return stageModules.find((m) => m.name === name)!;
}
