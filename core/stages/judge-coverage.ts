/** JudgeCoverage: scores the draft's coverage of the legal elements the case type requires. */
import { judgeStage } from "./judge.ts";

export const judgeCoverage = judgeStage("JudgeCoverage", "coverage of the legal elements the case type requires");
