/**
 * Every state of the pipeline, in one place: the definition, the local engine, the CLI's
 * `--fault` check and the tests all name states through this object, never by string.
 */
import { type GpuStage, type StageModule, stageModules } from "./stages/index.ts";

/** One entry per stage module, keyed by its name in camelCase (`ExtractFacts` → `extractFacts`). */
type GpuStateNames = { readonly [M in StageModule as Uncapitalize<M["name"]>]: M["name"] };

// Derived, so that a new stage module is a state name without editing this file.
const gpuStateNames = Object.fromEntries(
  stageModules.map((m) => [m.name.charAt(0).toLowerCase() + m.name.slice(1), m.name]),
) as GpuStateNames;

export const stateNames = {
  // Asks for warm workers of the first GPU stages' models, without waiting for them.
  warmUp: "WarmUp",
  extract: "Extract",
  redact: "Redact",
  index: "Index",
  ...gpuStateNames,
  checkPlaceholders: "CheckPlaceholders",
  placeholdersOk: "PlaceholdersOk",
  placeholderRewrite: "PlaceholderRewrite",
  judges: "Judges",
  score: "Score",
  enoughQuality: "QualityGate",
  countRewrite: "CountRewrite",
  reinject: "Reinject",
  done: "Done",
  // The attorney's gate after Reinject (workflows/review-states.ts).
  openReview: "OpenReview",
  attorneyReview: "AttorneyReview",
  checkDecision: "CheckDecision",
  reviewChecked: "ReviewChecked",
  recordApproval: "RecordApproval",
  auditExpiry: "AuditExpiry",
  auditReviewFailure: "AuditReviewFailure",
  reviewDecision: "ReviewDecision",
  reviewNotes: "AttorneyNotes",
  interviewFacts: "InterviewFacts",
  indexInterview: "IndexInterview",
  attorneyAsJudge: "AttorneyAsJudge",
  approved: "Approved",
  reviewExpired: "ReviewExpired",
  reviewRejected: "ReviewRejected",
  invalidDecision: "InvalidDecision",
} as const;

export type StateName = (typeof stateNames)[keyof typeof stateNames];

/**
 * The GPU stages: each runs the llama worker, each has a fallback state of its own. One
 * module each under core/stages/; this list is theirs, in pipeline order.
 */
export const gpuStages: readonly GpuStage[] = stageModules.map((m) => m.name);

export type { GpuStage } from "./stages/index.ts";

export function isGpuStage(name: string): name is GpuStage {
  return (gpuStages as readonly string[]).includes(name);
}

/** The state that runs when a GPU stage fails, times out or misses its heartbeat. */
export function fallbackStateName(stage: GpuStage): string {
  return `${stage}Fallback`;
}

/** The state that asks the circuit breaker before the stage's GPU task is placed. */
export function admitStateName(stage: GpuStage): string {
  return `${stage}Admit`;
}

/**
 * The state that gets a worker of the stage's model with the model loaded (a warm one, or
 * a new one started and loaded), under its own budget (the registry's workers.acquireSeconds):
 * waiting for capacity is not a stall of the stage.
 */
export function acquireStateName(stage: GpuStage): string {
  return `${stage}Acquire`;
}

/** The GPU stage an Acquire state gets a worker for, or undefined for any other state. */
export function stageOfAcquire(name: string): GpuStage | undefined {
  const stage = name.endsWith("Acquire") ? name.slice(0, -"Acquire".length) : "";
  return isGpuStage(stage) ? stage : undefined;
}

/** Lambda functions, keyed by the name the definition uses for each. */
export const lambdaFunctions = {
  extract: "extract-documents",
  redact: "redact-pii",
  index: "build-index",
  score: "score-draft",
  reinject: "reinject-pii",
  fallback: "generate-fallback",
  admit: "admit-gpu",
  acquire: "acquire-worker",
  requestReview: "request-review",
  reviewNotes: "review-notes",
  checkDecision: "check-decision",
  recordApproval: "record-approval",
} as const;

export type LambdaFunction = (typeof lambdaFunctions)[keyof typeof lambdaFunctions];

/** The container in every GPU task definition: the definition overrides it, the reaper finds it. */
export const workerContainerName = "llama-worker";

/**
 * Tags on a GPU worker's ECS task while it holds an activity task (a warm worker serves many
 * executions, so it sets and removes them itself): the fallback stops the task still holding
 * its execution's stage, and the sweeper stops a stage past its TimeoutSeconds (epoch ms start).
 */
export const workerTaskTags = {
  execution: "affiant:execution",
  stage: "affiant:stage",
  stageStarted: "affiant:stage-started",
  /** Epoch ms at which the worker process started, set before it loads its model: the sweeper's clock for a load. */
  acquiredAt: "affiant:acquired-at",
  /** Epoch ms at which its model finished loading: from then on it waits warm or runs stages. */
  loadedAt: "affiant:loaded-at",
} as const;
