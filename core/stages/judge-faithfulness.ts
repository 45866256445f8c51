/** JudgeFaithfulness: scores the draft's faithfulness to the sources (no invented facts). */
import { judgeStage } from "./judge.ts";

export const judgeFaithfulness = judgeStage("JudgeFaithfulness", "faithfulness to the sources (no invented facts)");
