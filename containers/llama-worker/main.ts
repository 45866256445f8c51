/**
 * The llama worker: runs one GPU stage with one model, then exits so the OS takes the
 * memory back. The same entry runs as a child process of the local engine (IPC) and as
 * the ECS task's command (task token). Environment:
 *
 * - AFFIANT_STAGE: the state name (ExtractFacts, DraftDeclaration, Judge…, GuardrailsRewrite)
 * - AFFIANT_CASE_ID, AFFIANT_RUN_KEY, AFFIANT_INDEX_KEY…: ids and blob keys (core/stages/task-env.ts)
 * - AFFIANT_TASK_TOKEN: the Step Functions task token (ECS path)
 * - AFFIANT_MODEL: registry model id to use instead of the stage's own (local fallback)
 * - AFFIANT_FALLBACK_REASON: set when running as a fallback; faults are not injected then
 * - AFFIANT_STATE_ENTERED_AT, AFFIANT_TIMEOUT_SECONDS, AFFIANT_HEARTBEAT_SECONDS: the state's
 *   entry time and limits; the worker kills itself at the deadline or when no progress of
 *   any kind was made for HeartbeatSeconds + grace (lifeline.ts)
 *
 * Under the local engine it may be a warm model worker (AFFIANT_WARM_MAX_TASKS): after
 * answering it keeps its one model loaded and takes later tasks of that model, each with a
 * fresh context (warm-model.ts); any failure still ends the process.
 *
 * This file is the process: the channel, the lifeline, the answer and the exit. The stage
 * itself is run-stage.ts; a warm model's wait, warm-model.ts.
 */

import { recordRun } from "../../core/breaker.ts";
import { capped } from "../../core/capped.ts";
import { childEnv, config, replaceEnv, type SettingName, settingText } from "../../core/config.ts";
import { AffiantError, describeError, InvalidInputError } from "../../core/errors.ts";
import { injectedFault } from "../../core/faults.ts";
import { log } from "../../core/log.ts";
import { loadRegistry, stageEntry } from "../../core/registry.ts";
import { stageInputFromEnv } from "../../core/stages/task-env.ts";
import { isGpuStage } from "../../core/state-names.ts";
import { emitMetrics, MetricUnit, withContext } from "../../core/telemetry.ts";
import { IpcChannel, SfnChannel, type TaskChannel } from "./channel.ts";
import { deadlineFromEnv, exitWithin, killSelf, Lifeline } from "./lifeline.ts";
import { runStage } from "./run-stage.ts";
import { tagAcquired, tagLoaded, tagStage, untagStage } from "./task-tags.ts";
import { activityMode, awaitNextTask, preloadModel, stayWarm, type WarmModel, warmMode } from "./warm-model.ts";

/** This process's start: when a cold worker took its stage. */
const processStartedAt = Date.now();
/** A warm model worker's model between tasks (warm-model.ts), and its channel (opened once). */
const process_ = { held: undefined as WarmModel | undefined, channel: undefined as TaskChannel | undefined };

function requireEnv(name: SettingName): string {
  const value = settingText(name);
  if (!value) throw new InvalidInputError(`llama worker: environment variable ${name} is not set`);
  return value;
}

function openChannel(): TaskChannel {
  if (process.send) {
    // The engine that started us is gone (crashed, killed): nobody will take the answer,
    // and a model left running here would hold memory and cores for nothing.
    process.once("disconnect", () => {
      log("warn", "worker.orphaned", { stage: config().AFFIANT_STAGE ?? null });
      killSelf();
    });
    return new IpcChannel();
  }
  return new SfnChannel({ taskToken: requireEnv("AFFIANT_TASK_TOKEN") });
}

async function failAndExit(channel: TaskChannel, err: unknown): Promise<never> {
  const { name, message } = describeError(err);
  const cause = err instanceof AffiantError ? err.toCause() : JSON.stringify({ errorType: name, errorMessage: message });
  log("error", "worker.failed", { stage: config().AFFIANT_STAGE, error: name, model: (err as AffiantError).model });
  emitMetrics([
    { name: "WorkerErrors", unit: MetricUnit.Count, value: 1, dimensions: { Stage: config().AFFIANT_STAGE ?? "unknown", Error: name } },
  ]);
  // The report is best effort and capped; the exit is SIGKILL, which no stuck thread delays.
  await capped(channel.fail(name, cause));
  killSelf();
}

/** Runs the task in this process's environment; true when it answered and stays warm for another. */
async function main(task: { startedAt: number; warmIdleMs: number }): Promise<boolean> {
  const channel = (process_.channel ??= openChannel());
  try {
    const input = stageInputFromEnv();
    const stage = input.stage;
    if (!isGpuStage(stage)) throw new InvalidInputError(`llama worker: ${stage} is not a GPU stage`);
    const heartbeatSeconds = config().AFFIANT_HEARTBEAT_SECONDS ?? stageEntry(loadRegistry(), stage).heartbeatSeconds;
    const lifeline = new Lifeline({
      stage,
      heartbeatSeconds,
      deadlineAt: deadlineFromEnv(),
      task: process.send ? undefined : { token: requireEnv("AFFIANT_TASK_TOKEN"), endpoint: config().AFFIANT_SFN_ENDPOINT },
    });
    // The breaker was asked before this task was placed (the stage's Admit state). In ECS
    // the worker records its success in the shared routing table; a failure of any kind
    // (its own, or a stall or crash it could not report) is recorded by the fallback.
    // A drill (an injected fault) is not the model's outcome: the breaker does not hear of it.
    const routing =
      !process.send && config().AFFIANT_ROUTING_TABLE && !injectedFault(stage)
        ? (await import("../../core/routing-store.ts")).openRoutingStore()
        : undefined;
    const model = config().AFFIANT_MODEL ?? stageEntry(loadRegistry(), stage).model;
    const worker = {
      startedAt: task.startedAt,
      held: process_.held,
      warmIdleMs: task.warmIdleMs,
      lifeline,
      failAndExit: (err: unknown) => failAndExit(channel, err),
    };
    process_.held = undefined;
    const metrics = await runStage(stage, input, channel, worker);
    process_.held = worker.held;
    await capped(routing ? recordRun(routing, model, stage, null) : Promise.resolve());
    log("info", "worker.done", {
      stage,
      execution: input.executionName,
      model: metrics.model,
      tokensIn: metrics.tokensIn,
      tokensOut: metrics.tokensOut,
      loadMs: metrics.loadMs,
      promptMs: metrics.promptMs,
      genMs: metrics.genMs,
      tokensPerSecond: metrics.tokensPerSecond,
      peakRssMb: metrics.peakRssMb,
    });
    emitMetrics([
      {
        name: "TokensPerSecond",
        unit: MetricUnit.CountPerSecond,
        value: metrics.tokensPerSecond,
        dimensions: { Stage: stage, Model: metrics.model },
      },
      { name: "ModelLoadTime", unit: MetricUnit.Milliseconds, value: metrics.loadMs, dimensions: { Stage: stage } },
      { name: "GenerationTime", unit: MetricUnit.Milliseconds, value: metrics.genMs, dimensions: { Stage: stage } },
    ]);
    // A warm worker says in its answer whether it stays, so the engine pools it before the
    // next state starts (the judges start as soon as the draft answers).
    const stay = warmMode() ? stayWarm(process_.held) : undefined;
    await channel.succeed(stay ? { ...metrics, stayWarm: stay } : metrics);
    if (stay) {
      // Waiting warm is no state's time: the next task starts its own lifeline.
      lifeline.stop();
      return true;
    }
    exitWithin(0);
    return false;
  } catch (err) {
    return failAndExit(channel, err);
  }
}

if (activityMode()) await activityWorker();

/**
 * ECS: load the model once, then answer Acquire tokens and run generate tasks of the model
 * (activity-loop.ts), each with its own token and environment, until maxTasks, idleSeconds,
 * RSS growth or any failure (failAndExit) ends the process.
 */
async function activityWorker(): Promise<never> {
  // The SQS and Step Functions SDKs it polls with: loaded here, never by a worker under the local engine.
  const { nextActivityTask } = await import("./activity-loop.ts");
  const model = config().AFFIANT_PRELOAD_MODEL;
  if (!model) throw new InvalidInputError("llama worker: AFFIANT_ACTIVITY_ARN is set but AFFIANT_PRELOAD_MODEL is not");
  const base = childEnv();
  // The task says it is this model's worker, loading since its start, before the load can
  // hang: the sweeper stops it past the acquire budget even if this process never speaks again.
  await tagAcquired(processStartedAt);
  // The load has the Acquire's budget, on a thread of its own: a load stuck inside native code
  // (where no timer of this thread runs) still ends the process, and ECS stops the task.
  const acquireSeconds = config().AFFIANT_ACQUIRE_SECONDS ?? loadRegistry().workers.acquireSeconds;
  const lifeline = new Lifeline({
    stage: "Preload",
    heartbeatSeconds: acquireSeconds,
    deadlineAt: processStartedAt + acquireSeconds * 1000,
  });
  try {
    process_.held = await preloadModel(model);
  } catch (err) {
    log("error", "worker.preload_failed", { model, error: describeError(err).name });
    return killSelf();
  }
  lifeline.stop();
  await tagLoaded();
  // The GPU held with no task (waiting for a token or for the activity) is charged to the next task, as locally.
  let idleSince = Date.now();
  for (let first = true; ; first = false) {
    const next = await nextActivityTask(process_.held!, first);
    if (!next) return exitWithin(0) as never;
    const warmIdleMs = Date.now() - idleSince;
    // This task's environment and token on top of the task definition's, as a fresh task's would be.
    replaceEnv({ ...base, ...next.env, AFFIANT_TASK_TOKEN: next.taskToken });
    process_.channel = undefined;
    const env = config();
    // The task is this execution's stage's until it answers (task-tags.ts): not awaited before the stage starts.
    const tagged = tagStage(env.AFFIANT_EXECUTION ?? "unknown", env.AFFIANT_STAGE ?? "unknown");
    const stays = await withContext(
      { state: env.AFFIANT_STATE ?? env.AFFIANT_STAGE, execution: env.AFFIANT_EXECUTION, caseId: env.AFFIANT_CASE_ID },
      () => main({ startedAt: Date.now(), warmIdleMs }),
    );
    if (!stays) return exitWithin(0) as never;
    await tagged;
    await untagStage();
    idleSince = Date.now();
  }
}

let task = { startedAt: processStartedAt, warmIdleMs: 0 };
const preload = config().AFFIANT_PRELOAD_MODEL;
if (preload) {
  // Started by an Acquire state: the model first, then the task (warm-model.ts).
  process.once("disconnect", () => killSelf());
  try {
    process_.held = await preloadModel(preload);
  } catch (err) {
    log("error", "worker.preload_failed", { model: preload, error: describeError(err).name });
    killSelf();
  }
  const idleSince = Date.now();
  if (!(await awaitNextTask(process_.held))) exitWithin(0);
  task = { startedAt: Date.now(), warmIdleMs: config().AFFIANT_WARM_IDLE_MS ?? Date.now() - idleSince };
}
for (;;) {
  const env = config();
  const stays = await withContext(
    { state: env.AFFIANT_STATE ?? env.AFFIANT_STAGE, execution: env.AFFIANT_EXECUTION, caseId: env.AFFIANT_CASE_ID },
    () => main(task),
  );
  const idleSince = Date.now();
  if (!stays || !(await awaitNextTask(process_.held))) {
    exitWithin(0);
  }
  // The GPU was held while this worker waited: the engine says how long, and the task pays.
  task = { startedAt: Date.now(), warmIdleMs: config().AFFIANT_WARM_IDLE_MS ?? Date.now() - idleSince };
}
