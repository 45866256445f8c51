/**
 * What a GPU stage gets from the execution state, as container environment variables:
 * the definition writes them as `runTask` overrides (JSONPath into the state), the
 * fallback function writes the same from the state it holds, and the worker reads them.
 * One table here keeps the three in step; which stage gets which earlier report comes from
 * the stage modules' `reads` (core/stages/). Values are ids and keys only (ECS caps all
 * overrides at 8 KB), and every value is a string, as ECS requires.
 */
import { z } from "zod";
import { config, type Env, type SettingName, settingText } from "../config.ts";
import { InvalidInputError } from "../errors.ts";
import { type Faults, faultsErrorMessage, faultsSchema } from "../faults.ts";
import type { PipelineState } from "../pipeline-state.ts";
import { stageModules } from "./index.ts";
import type { ResultSlot } from "./stage.ts";

export interface StageInput {
  stage: string;
  executionName: string;
  caseId: string;
  caseType: "VAWA" | "T";
  runKey: string;
  faults: Faults;
  indexKey: string;
  /** Rewrite rounds done so far. */
  round: number;
  factsKey?: string;
  draftKey?: string;
  /** The judges' output keys (GuardrailsRewrite reads their reasons). */
  judgeKeys?: string[];
}

interface EnvField {
  name: SettingName;
  /** JSONPath or intrinsic the definition uses. */
  path: string;
  fromState: (s: PipelineState) => string | undefined;
  stages: "all" | readonly string[];
}

/** Every stage gets these: the case's ids and keys, its faults and the rewrite round. */
const common: EnvField[] = [
  { name: "AFFIANT_CASE_ID", path: "$.caseId", fromState: (s) => s.caseId, stages: "all" },
  { name: "AFFIANT_CASE_TYPE", path: "$.caseType", fromState: (s) => s.caseType, stages: "all" },
  { name: "AFFIANT_RUN_KEY", path: "$.runKey", fromState: (s) => s.runKey, stages: "all" },
  { name: "AFFIANT_FAULTS", path: "States.JsonToString($.faults)", fromState: (s) => JSON.stringify(s.faults ?? {}), stages: "all" },
  { name: "AFFIANT_INDEX_KEY", path: "$.index.indexKey", fromState: (s) => s.index?.indexKey, stages: "all" },
  { name: "AFFIANT_ROUND", path: "States.Format('{}', $.rewrites.n)", fromState: (s) => String(s.rewrites?.n ?? 0), stages: "all" },
];

/**
 * How an earlier stage's report reaches a stage that reads it (its module's `reads`). Only
 * slots a stage can read are here: a stage whose report only the Lambdas read needs no entry.
 */
const slotFields: Record<ResultSlot, Omit<EnvField, "stages">> = {
  facts: { name: "AFFIANT_FACTS_KEY", path: "$.facts.outputKey", fromState: (s) => s.facts?.outputKey },
  draft: { name: "AFFIANT_DRAFT_KEY", path: "$.draft.outputKey", fromState: (s) => s.draft?.outputKey },
  judges: {
    name: "AFFIANT_JUDGE_KEYS",
    path: "States.JsonToString($.judges)",
    fromState: (s) => (s.judges ? JSON.stringify(s.judges) : undefined),
  },
};

const fields: EnvField[] = [
  ...common,
  ...Object.entries(slotFields).map(([slot, field]) => ({
    ...field,
    stages: stageModules.filter((m) => (m.reads as readonly string[]).includes(slot)).map((m) => m.name),
  })),
];

const forStage = (stage: string) => fields.filter((f) => f.stages === "all" || f.stages.includes(stage));

/** The `Environment` entries of a GPU state's container override, for the definition. */
export function stageEnvParameters(stage: string): Array<Record<string, string>> {
  return [
    { Name: "AFFIANT_STAGE", Value: stage },
    { Name: "AFFIANT_EXECUTION", "Value.$": "$$.Execution.Name" },
    ...forStage(stage).map((f) => ({ Name: f.name, "Value.$": f.path })),
  ];
}

/** The same environment, built from a state in hand (the fallback function does this). */
export function stageEnvFromState(stage: string, state: PipelineState): Record<string, string> {
  const env: Record<string, string> = { AFFIANT_STAGE: stage, AFFIANT_EXECUTION: state.executionName };
  for (const f of forStage(stage)) {
    const value = f.fromState(state);
    if (value === undefined) throw new InvalidInputError(`${stage}: the state has no value for ${f.path}`, { state: stage });
    env[f.name] = value;
  }
  return env;
}

const reportKeys = z.array(z.object({ outputKey: z.string() }));

/** Reads and checks the environment in the worker. */
export function stageInputFromEnv(env?: Env): StageInput {
  const stage = config(env).AFFIANT_STAGE;
  if (!stage) throw new InvalidInputError("llama worker: AFFIANT_STAGE is not set");
  const need = (name: SettingName) => {
    const v = settingText(name, env);
    if (v === undefined || v === "") throw new InvalidInputError(`llama worker: ${name} is not set`, { state: stage });
    return v;
  };
  const json = (name: SettingName): unknown => {
    try {
      return JSON.parse(need(name));
    } catch (err) {
      if (err instanceof InvalidInputError) throw err;
      throw new InvalidInputError(`llama worker: ${name} is not valid JSON`, { state: stage });
    }
  };
  const wanted = new Set(forStage(stage).map((f) => f.name));
  const faults = faultsSchema.safeParse(json("AFFIANT_FAULTS"));
  if (!faults.success) throw new InvalidInputError(`llama worker: AFFIANT_FAULTS: ${faultsErrorMessage(faults.error)}`, { state: stage });
  const caseType = need("AFFIANT_CASE_TYPE");
  if (caseType !== "VAWA" && caseType !== "T") throw new InvalidInputError(`llama worker: unknown case type ${caseType}`, { state: stage });
  const judges = wanted.has("AFFIANT_JUDGE_KEYS") ? reportKeys.safeParse(json("AFFIANT_JUDGE_KEYS")) : undefined;
  if (judges && !judges.success) throw new InvalidInputError("llama worker: AFFIANT_JUDGE_KEYS is not a list of reports", { state: stage });
  return {
    stage,
    executionName: need("AFFIANT_EXECUTION"),
    caseId: need("AFFIANT_CASE_ID"),
    caseType,
    runKey: need("AFFIANT_RUN_KEY"),
    faults: faults.data,
    indexKey: need("AFFIANT_INDEX_KEY"),
    round: Number(need("AFFIANT_ROUND")),
    ...(wanted.has("AFFIANT_FACTS_KEY") ? { factsKey: need("AFFIANT_FACTS_KEY") } : {}),
    ...(wanted.has("AFFIANT_DRAFT_KEY") ? { draftKey: need("AFFIANT_DRAFT_KEY") } : {}),
    ...(judges?.success ? { judgeKeys: judges.data.map((j) => j.outputKey) } : {}),
  };
}
