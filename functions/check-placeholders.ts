/**
 * CheckPlaceholders (the Score Lambda, called with `check: "placeholders"`): reads the new
 * draft against the role legend before any judge runs. Problems with rewrites left go back
 * to GuardrailsRewrite, which reads them off the previous draft. With none left, an unknown
 * placeholder (it has no value to put back) ends the run here, naming it, not at Reinject
 * after the judges; any other problem goes on to the judges and the declaration is marked
 * as failing review with the problems named (Score's gate, Reinject's review status).
 */
import { type BlobStore, getJson, putJson } from "../core/blob-store.ts";
import type { Draft } from "../core/declaration.ts";
import { InvalidInputError, PlaceholderCheckFailedError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { checkPlaceholders, describeProblems, type RoleLegend, rolesKey } from "../core/roles.ts";

export interface CheckOutput {
  problems: number;
  rewrite: boolean;
  checkKey: string;
}

export async function checkDraftPlaceholders(state: PipelineState, store: BlobStore): Promise<CheckOutput> {
  if (!state.draft) throw new InvalidInputError("CheckPlaceholders needs $.draft", { state: "CheckPlaceholders" });
  const draft = await getJson<Draft>(store, state.draft.outputKey);
  const legend = (await store.exists(rolesKey(state.runKey))) ? await getJson<RoleLegend>(store, rolesKey(state.runKey)) : undefined;
  const problems = legend ? checkPlaceholders(draft, legend) : [];
  const checkKey = `${state.runKey}/placeholders-r${state.rewrites.n}.json`;
  await putJson(store, checkKey, { round: state.rewrites.n, legend: legend !== undefined, problems });
  const rewrite = problems.length > 0 && state.rewrites.n < state.maxRewrites;
  log("info", "placeholders.checked", {
    caseId: state.caseId,
    execution: state.executionName,
    round: state.rewrites.n,
    problems: problems.length,
    rewrite,
  });
  if (!rewrite && problems.some((p) => p.kind === "unknown")) {
    throw new PlaceholderCheckFailedError(
      `${problems.length} placeholder problem(s), unknown ones among them, remain after ${state.rewrites.n} rewrite(s): ${describeProblems(problems.slice(0, 5))}`,
      {
        state: "CheckPlaceholders",
      },
    );
  }
  return { problems: problems.length, rewrite, checkKey };
}
