/**
 * JudgeCoverage: judges the draft against the element checklist of the case's variant
 * (core/legal-elements.ts), pass or fail per element with a reason quoting the draft; a failed
 * element fails the gate and goes to the rewrite by name.
 */
import { judgeStage } from "./judge.ts";

export const judgeCoverage = judgeStage("JudgeCoverage", "coverage of the legal elements the case type requires", { checklist: true });
