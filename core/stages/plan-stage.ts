/**
 * Plans a GPU stage: the prompts (built to fit the context budget by choosing whole chunks,
 * never cutting one), the JSON schema for structured stages, and where the output goes. Each
 * stage's own planning is in its module (index.ts lists them); the model plumbing is in the
 * worker (containers/llama-worker/).
 */
import type { GpuStage } from "../state-names.ts";
import { stageModule } from "./index.ts";
import { type PlanOptions, planContext, type StageJob } from "./plan-context.ts";

export type { ModelCall, StageJob } from "./plan-context.ts";

export async function planStage(opts: PlanOptions & { stage: GpuStage }): Promise<StageJob> {
  return stageModule(opts.stage).plan(await planContext(opts));
}
