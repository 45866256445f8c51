/** JudgeTone: scores the draft's consistency and a first-person, sober, credible tone. */
import { judgeStage } from "./judge.ts";

export const judgeTone = judgeStage("JudgeTone", "consistency and a first-person, sober, credible tone");
