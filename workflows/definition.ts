/**
 * The Affiant state machine as Amazon States Language (JSONPath). This is the single
 * source of truth: `affiant workflow export` prints it, `sst.config.ts` deploys it with the
 * real ARNs, and the local engine runs it with local ones.
 *
 * The state carries blob keys and small reports only, never document text: Step Functions
 * caps a payload at 256 KB and execution history is readable by anyone with console access.
 */
import { localAccount, localFunctionArn, localRegion } from "../core/local-aws.ts";
import { type Registry, stageEntry } from "../core/registry.ts";
import { reviewExpirySeconds } from "../core/review.ts";
import { type StageModule, stageModule, stageModules } from "../core/stages/index.ts";
import { stageReportFields } from "../core/stages/report.ts";
import { stageEnvParameters } from "../core/stages/task-env.ts";
import {
  acquireStateName,
  admitStateName,
  fallbackStateName,
  type GpuStage,
  gpuStages,
  isGpuStage,
  type LambdaFunction,
  lambdaFunctions,
  stageOfAcquire,
  stateNames,
} from "../core/state-names.ts";
import { maxReviewRounds, reviewStates } from "./review-states.ts";

/** The GPU stages by where they run (core/stages/: each module's `phase`), in pipeline order. */
const stagesIn = (phase: StageModule["phase"]): GpuStage[] => stageModules.filter((m) => m.phase === phase).map((m) => m.name);

/** ARNs and names the definition refers to; deploy-time values in AWS, fixed ones locally. */
export interface DefinitionResources {
  functionArn: (fn: LambdaFunction) => string;
  /**
   * The Step Functions activity a GPU stage's generation is: one per registry model (infra),
   * polled by the warm workers of that model.
   */
  activityArn: (model: string) => string;
}

/** An activity's name for a registry model (activity names allow letters, digits, - and _). */
export function activityName(model: string): string {
  return `affiant-${model}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 80);
}

import { CircuitOpenError, FallbackFailedError } from "../core/errors.ts";
import type { AslState } from "./asl.ts";

export type { AslState } from "./asl.ts";
export { collectTaskStates } from "./asl.ts";
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, AslState>;
}

/** The resources the local engine runs against; the ARNs are well-formed but never called. */
export const localResources: DefinitionResources = {
  functionArn: localFunctionArn,
  activityArn: (model) => `arn:aws:states:${localRegion}:${localAccount}:activity:${activityName(model)}`,
};

const transientLambdaErrors = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
];
/** Where a caught failure is recorded, for the fallback state to read and report. */
const failurePath = "$.lastFailure";
/**
 * Each pipeline Lambda's own timeout, the one number both the deployed function
 * (infra/functions.ts) and its state take: the state waits `lambdaStateMarginSeconds` longer,
 * so a slow invoke or cold start never turns a Lambda that is still working into
 * States.Timeout, and the Lambda's own timeout error is what reaches the history.
 */
const lambdaBudgetSeconds = {
  "extract-documents": 600,
  "redact-pii": 120,
  "build-index": 300,
  "score-draft": 120,
  "reinject-pii": 60,
  "admit-gpu": 10,
  "acquire-worker": 30,
  "request-review": 30,
  "review-notes": 60,
  "check-decision": 30,
  "record-approval": 60,
} as const;
/**
 * The deployed Lambdas outside the state machine, in the same table: the reaper's sweeper (a
 * sweep is a few API calls), the API (API Gateway gives up at 30 s), and the
 * scheduled backfill (Lambda's ceiling: it pages through every case).
 */
const otherLambdaSeconds = { "gpu-sweeper": 60, api: 30, backfill: 900 } as const;
export type OtherLambda = keyof typeof otherLambdaSeconds;
/** Lambda's hard ceiling. */
export const lambdaMaxSeconds = 900;
/** What a Task state adds over its Lambda's timeout (invoke, cold start, VPC attach). */
export const lambdaStateMarginSeconds = 30;

/** The timeout of every deployed Lambda, in one table; the fallback's covers the longest stage chain. */
export function lambdaTimeoutSeconds(registry: Registry): Record<LambdaFunction | OtherLambda, number> {
  const fallback = Math.max(...gpuStages.map((stage) => fallbackBudgetSeconds(registry, stage)));
  return { ...lambdaBudgetSeconds, ...otherLambdaSeconds, [lambdaFunctions.fallback]: fallback } as Record<
    LambdaFunction | OtherLambda,
    number
  >;
}

function fallbackBudgetSeconds(registry: Registry, stage: GpuStage): number {
  const entry = stageEntry(registry, stage);
  return Math.min(lambdaMaxSeconds, entry.fallbackTimeoutSeconds ?? entry.timeoutSeconds);
}

/**
 * The longest path through the pipeline, given each Task state's budget by name: Extract,
 * Redact and Index; each prepare stage's Admit, Acquire, generate state and then its fallback;
 * per round (the first and `maxRewrites` more) the slowest judge, CheckPlaceholders and Score,
 * and each rewrite round's rewrite stages; the finish stages; Reinject. The stages come from
 * their modules (core/stages/). The execution's TimeoutSeconds is built on it over the
 * registry's budgets; the infra test and the rehearsal check it over the definition's own states.
 */
export function longestPathSeconds(maxRewrites: number, seconds: (state: string) => number): number {
  const gpuWithFallback = (stage: GpuStage) =>
    seconds(admitStateName(stage)) + seconds(acquireStateName(stage)) + seconds(stage) + seconds(fallbackStateName(stage));
  const sum = (stages: GpuStage[]) => stages.reduce((n, stage) => n + gpuWithFallback(stage), 0);
  const judges = Math.max(...stagesIn("judge").map(gpuWithFallback));
  const rounds = 1 + maxRewrites;
  return (
    seconds(stateNames.extract) +
    seconds(stateNames.redact) +
    seconds(stateNames.index) +
    sum(stagesIn("prepare")) +
    rounds * (judges + seconds(stateNames.checkPlaceholders) + seconds(stateNames.score)) +
    maxRewrites * sum(stagesIn("rewrite")) +
    sum(stagesIn("finish")) +
    seconds(stateNames.reinject)
  );
}

/**
 * The execution's TimeoutSeconds: the worst case of one pass (every Lambda to its timeout,
 * every GPU stage to its acquire budget, its timeout and then its fallback to its own) plus `maxRewrites` more
 * rounds of judges, Score and the rewrite ({@link longestPathSeconds}), plus ten minutes for GPU capacity and retries.
 * Below that sum a slow but healthy run would be cut off by the execution, not by a stage.
 */
export function executionTimeoutSeconds(registry: Registry): number {
  const lambdas = lambdaTimeoutSeconds(registry);
  const lambdaState = (fn: LambdaFunction) => lambdas[fn] + lambdaStateMarginSeconds;
  // The Lambda behind each Task state on the path (CheckPlaceholders and Score are both the score Lambda).
  const lambdaOf = new Map<string, LambdaFunction>([
    [stateNames.extract, lambdaFunctions.extract],
    [stateNames.redact, lambdaFunctions.redact],
    [stateNames.index, lambdaFunctions.index],
    [stateNames.checkPlaceholders, lambdaFunctions.score],
    [stateNames.score, lambdaFunctions.score],
    [stateNames.reinject, lambdaFunctions.reinject],
    ...gpuStages.flatMap((stage): [string, LambdaFunction][] => [
      [admitStateName(stage), lambdaFunctions.admit],
      [fallbackStateName(stage), lambdaFunctions.fallback],
    ]),
  ]);
  const seconds = (state: string): number => {
    const fn = lambdaOf.get(state);
    if (fn) return lambdaState(fn);
    if (stageOfAcquire(state)) return registry.workers.acquireSeconds;
    if (isGpuStage(state)) return stageEntry(registry, state).timeoutSeconds;
    throw new Error(`no budget for state ${state}`);
  };
  return longestPathSeconds(registry.pipeline.maxRewrites, seconds) + 600;
}

export interface BuildDefinitionOptions {
  registry: Registry;
  /** Default: {@link localResources}. */
  resources?: DefinitionResources;
  /** How long AttorneyReview waits. Default: `AFFIANT_REVIEW_EXPIRY_SECONDS`, else 14 days. */
  reviewExpirySeconds?: number;
}

export function buildDefinition({
  registry,
  resources = localResources,
  reviewExpirySeconds: expiry = reviewExpirySeconds(),
}: BuildDefinitionOptions): AslDefinition {
  const timeouts = lambdaTimeoutSeconds(registry);
  const lambda = (fn: LambdaFunction, payload: Record<string, unknown>) => ({
    Type: "Task",
    Resource: "arn:aws:states:::lambda:invoke",
    Parameters: { FunctionName: resources.functionArn(fn), Payload: payload },
    TimeoutSeconds: timeouts[fn] + lambdaStateMarginSeconds,
    Retry: [{ ErrorEquals: transientLambdaErrors, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "FULL" }],
  });
  const stateOnly = { "state.$": "$" };

  // Catch as every GPU state has it: any failure, a missed heartbeat or timeout included, goes to the fallback.
  const toFallback = (stage: GpuStage) => [
    // AWS documents both names for a missed heartbeat; list both so neither slips through.
    { ErrorEquals: ["States.Timeout", "States.HeartbeatTimeout"], ResultPath: failurePath, Next: fallbackStateName(stage) },
    { ErrorEquals: ["States.ALL"], ResultPath: failurePath, Next: fallbackStateName(stage) },
  ];

  /**
   * Get a worker of the stage's model with the model loaded: the acquire Lambda queues the
   * token for the model's warm workers and starts an ECS task of the model when none can take
   * it; a worker answers with the token once its model is loaded. Waiting for an instance, the
   * image, the model sync and load is this state's time, under the registry's acquireSeconds:
   * no short HeartbeatSeconds here, so capacity arriving slowly is not a stall.
   */
  const acquireTask = (stage: GpuStage) => ({
    Type: "Task",
    Comment: `Gets a worker of ${stageEntry(registry, stage).model} with the model loaded for ${stage} (warm, or started now): waiting for capacity has its own budget`,
    Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
    Parameters: {
      FunctionName: resources.functionArn(lambdaFunctions.acquire),
      Payload: { stage, "taskToken.$": "$$.Task.Token", "executionName.$": "$$.Execution.Name", "faults.$": "$.faults" },
    },
    TimeoutSeconds: registry.workers.acquireSeconds,
    // The worker's answer (worker id, loadMs, reused) is in the history; the state carries none of it.
    ResultPath: null,
    Retry: [{ ErrorEquals: transientLambdaErrors, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "FULL" }],
    Catch: toFallback(stage),
    Next: stage,
  });

  /**
   * Generate: the model's activity, polled by its warm workers (the one that answered the
   * Acquire polls at once). The stage's own HeartbeatSeconds and TimeoutSeconds: a stalled
   * generation is caught by Step Functions itself, whatever the worker's own watchdog does.
   */
  const gpuTask = (stage: GpuStage, resultPath: string, next: { Next: string } | { End: true }) => {
    const entry = stageEntry(registry, stage);
    return {
      Type: "Task",
      Comment: `GPU stage ${stage}: a warm llama.cpp worker of ${entry.model} (activity); heartbeats only while tokens flow`,
      Resource: resources.activityArn(entry.model),
      Parameters: {
        // The worker takes the task with GetActivityTask and its token from there.
        Environment: [
          ...stageEnvParameters(stage),
          // The worker kills itself at the state's deadline and after HeartbeatSeconds
          // (+ grace) with no progress: a stuck task must not hold the GPU.
          { Name: "AFFIANT_STATE_ENTERED_AT", "Value.$": "$$.State.EnteredTime" },
          { Name: "AFFIANT_TIMEOUT_SECONDS", Value: String(entry.timeoutSeconds) },
          { Name: "AFFIANT_HEARTBEAT_SECONDS", Value: String(entry.heartbeatSeconds) },
        ],
      },
      TimeoutSeconds: entry.timeoutSeconds,
      HeartbeatSeconds: entry.heartbeatSeconds,
      // The worker answers with all its metrics (for the history and the viewer); only the
      // report enters the execution state.
      ResultSelector: Object.fromEntries(stageReportFields.map((f) => [`${f}.$`, `$.${f}`])),
      ResultPath: resultPath,
      Catch: toFallback(stage),
      ...next,
    };
  };

  const fallbackTask = (stage: GpuStage, resultPath: string, next: { Next: string } | { End: true }) => ({
    ...lambda(lambdaFunctions.fallback, { stage, "state.$": "$", "failure.$": failurePath, "executionName.$": "$$.Execution.Name" }),
    Comment: `Fallback for ${stage}: the stage's provider chain (Bedrock, OpenRouter, or a second local model)`,
    ResultSelector: Object.fromEntries(stageReportFields.map((f) => [`${f}.$`, `$.Payload.${f}`])),
    ResultPath: resultPath,
    // A fallback that fails ends the execution with a named error; what earlier stages
    // wrote stays where it is, and the history says which stages completed.
    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.fallbackFailure", Next: fallbackFailedStateName(stage) }],
    ...next,
  });

  // Asked before the task is placed: an open circuit costs no g5 task, only this Lambda call.
  const admitTask = (stage: GpuStage) => ({
    ...lambda(lambdaFunctions.admit, { admit: stage, "executionName.$": "$$.Execution.Name" }),
    Comment: `Circuit breaker for ${stage}'s model, before its GPU task is placed`,
    ResultPath: null,
    Catch: [
      { ErrorEquals: [CircuitOpenError.errorName], ResultPath: failurePath, Next: fallbackStateName(stage) },
      // The breaker itself failed (its table unreachable): run the model rather than skip it.
      { ErrorEquals: ["States.ALL"], ResultPath: failurePath, Next: acquireStateName(stage) },
    ],
    Next: acquireStateName(stage),
  });

  // A GPU stage and its fallback write the same ResultPath, so what follows never cares which ran.
  const gpuPair = (stage: GpuStage, resultPath: string, next: { Next: string } | { End: true }) => ({
    [admitStateName(stage)]: admitTask(stage),
    [acquireStateName(stage)]: acquireTask(stage),
    [stage]: gpuTask(stage, resultPath, next),
    [fallbackStateName(stage)]: fallbackTask(stage, resultPath, next),
    [fallbackFailedStateName(stage)]: {
      Type: "Fail",
      Comment: `${stage} and its whole fallback chain failed`,
      Error: FallbackFailedError.errorName,
      CausePath: "$.fallbackFailure.Cause",
    },
  });

  // Where each stage's report goes: its module's slot; a judge's, inside its branch, to the
  // Pass that hands it to the Parallel (which collects them in $.judges).
  const resultPath = (stage: GpuStage) => {
    const slot = stageModule(stage).slot;
    return slot === "judges" ? "$.judge" : `$.${slot}`;
  };

  const judgeBranch = (stage: GpuStage) => ({
    StartAt: admitStateName(stage),
    States: gpuPair(stage, resultPath(stage), { Next: `${stage}Result` }),
  });

  /** Stages that run one after another, the last going on to `then`. */
  const chain = (stages: GpuStage[], then: string) =>
    Object.assign(
      {},
      ...stages.map((stage, i) =>
        gpuPair(stage, resultPath(stage), { Next: i + 1 < stages.length ? admitStateName(stages[i + 1]!) : then }),
      ),
    ) as Record<string, AslState>;
  const prepare = stagesIn("prepare");
  const rewrite = stagesIn("rewrite");
  const finish = stagesIn("finish");

  /**
   * The finish stages, one after another, the last going on to Reinject. A stage with a
   * `when` is entered through a Choice that skips it (to the next) unless the condition holds;
   * IsPresent first, so an execution state without the field skips rather than fails.
   */
  const entryOf = (stage: GpuStage) => (stageModule(stage).when ? neededStateName(stage) : admitStateName(stage));
  const finishStates = (then: string): Record<string, AslState> => {
    const states: Record<string, AslState> = {};
    finish.forEach((stage, i) => {
      const next = i + 1 < finish.length ? entryOf(finish[i + 1]!) : then;
      const when = stageModule(stage).when;
      if (when) {
        states[neededStateName(stage)] = {
          Type: "Choice",
          Comment: `Runs ${stage} only when ${when.variable} is "${when.equals}": ${when.because}`,
          Choices: [
            {
              And: [
                { Variable: when.variable, IsPresent: true },
                { Variable: when.variable, StringEquals: when.equals },
              ],
              Next: admitStateName(stage),
            },
          ],
          Default: next,
        };
      }
      Object.assign(states, gpuPair(stage, resultPath(stage), { Next: next }));
    });
    return states;
  };
  const afterQuality = finish.length ? entryOf(finish[0]!) : stateNames.reinject;

  const states: Record<string, AslState> = {
    [stateNames.extract]: {
      ...lambda(lambdaFunctions.extract, { "input.$": "$", "executionName.$": "$$.Execution.Name" }),
      Comment: "Reads every PDF of the case (text layer; OCR for scanned pages) into a blob",
      // No ResultPath: the default ("$") replaces the input with the result.
      OutputPath: "$.Payload",
      Next: stateNames.warmUp,
    },
    // After Extract: a case whose documents cannot be read (an encrypted PDF) fails before any GPU starts.
    [stateNames.warmUp]: {
      ...lambda(lambdaFunctions.acquire, {}),
      Comment:
        "Asks for warm workers of the first GPU stages' models whose circuit breaker is closed, without waiting (an Event invoke): capacity starts while Redact and Index run",
      Parameters: {
        FunctionName: resources.functionArn(lambdaFunctions.acquire),
        InvocationType: "Event",
        // The state (the case id and any drills), so a drill's slow start applies here too.
        Payload: { warm: warmUpModels(registry), "input.$": "$", "executionName.$": "$$.Execution.Name" },
      },
      ResultPath: null,
      // Warming is an optimisation: its failure never fails the case.
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: null, Next: stateNames.redact }],
      Next: stateNames.redact,
    },
    [stateNames.redact]: {
      ...lambda(lambdaFunctions.redact, stateOnly),
      Comment: "Replaces PII with typed placeholders; the mapping goes to the encrypted vault",
      ResultSelector: { "redactedKey.$": "$.Payload.redactedKey", "entityCount.$": "$.Payload.entityCount" },
      ResultPath: "$.redact",
      Next: stateNames.index,
    },
    [stateNames.index]: {
      ...lambda(lambdaFunctions.index, stateOnly),
      Comment: "Chunks the redacted text (document and page kept for citations) and indexes it",
      ResultSelector: { "indexKey.$": "$.Payload.indexKey", "chunkCount.$": "$.Payload.chunkCount" },
      ResultPath: "$.index",
      Next: admitStateName(prepare[0]!),
    },
    ...chain(prepare, stateNames.checkPlaceholders),
    ...placeholderCheckStates(lambda(lambdaFunctions.score, { "state.$": "$", check: "placeholders" }), admitStateName(rewrite[0]!)),
    [stateNames.judges]: {
      Type: "Parallel",
      Comment: "Three judges, three models: faithfulness, legal-element coverage, tone",
      Branches: stagesIn("judge").map((stage) => withResultPass(judgeBranch(stage), stage)),
      ResultPath: "$.judges",
      Next: stateNames.score,
    },
    [stateNames.score]: {
      ...lambda(lambdaFunctions.score, stateOnly),
      Comment: "Combines the judges' votes with the draft's support in the sources",
      ResultSelector: {
        "value.$": "$.Payload.value",
        "passed.$": "$.Payload.passed",
        "rewrite.$": "$.Payload.rewrite",
        "scoreKey.$": "$.Payload.scoreKey",
      },
      ResultPath: "$.score",
      Next: stateNames.enoughQuality,
    },
    [stateNames.enoughQuality]: {
      Type: "Choice",
      Comment: "Below threshold with rewrites left: rewrite with the judges' reasons, then judge again",
      Choices: [{ Variable: "$.score.rewrite", BooleanEquals: true, Next: admitStateName(rewrite[0]!) }],
      Default: afterQuality,
    },
    ...finishStates(stateNames.reinject),
    ...chain(rewrite, stateNames.countRewrite),
    [stateNames.countRewrite]: {
      Type: "Pass",
      Parameters: { "n.$": "States.MathAdd($.rewrites.n, 1)" },
      ResultPath: "$.rewrites",
      Next: stateNames.checkPlaceholders,
    },
    [stateNames.reinject]: {
      ...lambda(lambdaFunctions.reinject, stateOnly),
      Comment: "Puts real values back inside the account; any leftover placeholder fails the run",
      // The whole state stays: a "changes" decision rewrites from it.
      ResultSelector: { "output.$": "$.Payload" },
      ResultPath: "$.reinject",
      Next: stateNames.openReview,
    },
    ...reviewStates(lambda, expiry, admitStateName(rewrite[0]!)),
    [stateNames.done]: { Type: "Succeed" },
  };

  return {
    Comment: "Affiant: case file (PDFs) to a draft sworn declaration (VAWA self-petition / T visa)",
    StartAt: stateNames.extract,
    // A pass of the pipeline and a review window per round, for `maxReviewRounds` rounds
    // of changes and the approval; Step Functions caps an execution at a year.
    TimeoutSeconds: Math.min(31_536_000, (1 + maxReviewRounds) * (executionTimeoutSeconds(registry) + expiry)),
    States: states,
  };
}

/**
 * What WarmUp asks for: a worker of each model the stages before the first judging use
 * (distinct, in order), with the first such stage (whose drills apply to its start).
 */
export function warmUpModels(registry: Registry): Array<{ model: string; stage: GpuStage }> {
  if (!registry.workers.warmUp) return [];
  const seen = new Set<string>();
  return stagesIn("prepare").flatMap((stage) => {
    const model = stageEntry(registry, stage).model;
    if (seen.has(model)) return [];
    seen.add(model);
    return [{ model, stage }];
  });
}

/** The Choice ahead of a stage that runs only for some cases (its module's `when`). */
export function neededStateName(stage: GpuStage): string {
  return `${stage}Needed`;
}

/**
 * After Draft and every Rewrite, before any judge: the placeholders against the role legend
 * (the score Lambda, `check: "placeholders"`). Problems with rewrites left go to rewrite
 * (with no judges' reasons: the rewrite reads the problems itself); with none left an unknown
 * placeholder fails the execution as Affiant.PlaceholderCheckFailed, naming it, and any other
 * problem goes on to the judges and counts against the gate.
 */
function placeholderCheckStates(task: AslState, rewrite: string): Record<string, AslState> {
  return {
    [stateNames.checkPlaceholders]: {
      ...task,
      Comment: "Unknown, malformed, missing or swapped placeholders go back to rewrite before anything else runs",
      ResultSelector: { "problems.$": "$.Payload.problems", "rewrite.$": "$.Payload.rewrite", "checkKey.$": "$.Payload.checkKey" },
      ResultPath: "$.placeholders",
      Next: stateNames.placeholdersOk,
    },
    [stateNames.placeholdersOk]: {
      Type: "Choice",
      Choices: [{ Variable: "$.placeholders.rewrite", BooleanEquals: true, Next: stateNames.placeholderRewrite }],
      Default: stateNames.judges,
    },
    [stateNames.placeholderRewrite]: {
      Type: "Pass",
      Comment: "No judge has run on this draft: the rewrite gets no judges' reasons",
      Result: [],
      ResultPath: "$.judges",
      Next: rewrite,
    },
  };
}

/** The Fail state a stage's failed fallback ends the execution in. */
export function fallbackFailedStateName(stage: GpuStage): string {
  return `${stage}FallbackFailed`;
}

/**
 * Each judge branch ends in a Pass that keeps only the judge's report, so the Parallel
 * result is three small reports rather than three copies of the whole state.
 */
function withResultPass(branch: { StartAt: string; States: Record<string, AslState> }, stage: GpuStage) {
  return {
    StartAt: branch.StartAt,
    States: {
      ...branch.States,
      [`${stage}Result`]: { Type: "Pass", InputPath: "$.judge", End: true },
    },
  };
}
