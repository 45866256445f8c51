/**
 * <Stage>Fallback (Lambda): runs when a GPU stage failed, timed out or missed its
 * heartbeat. Walks the stage's fallback chain from the registry in order. `local:` runs
 * a second registry model in a fresh worker process, under the same timeout and heartbeat
 * rules as the primary. The others are the hosted providers (core/providers/index.ts): they get
 * the same prompts (built from redacted text only), each checked against keyed hashes of the
 * case's vault values before it leaves, and are skipped, with the reason logged, where not configured.
 *
 * It has a deadline: the Lambda's remaining time (locally, the engine's equivalent), less a
 * reserve for writing what it made. Each entry gets what is left; one that cannot finish in
 * it is skipped with the reason named. It also tells the breaker what happened to the
 * primary (stall, heartbeat timeout, timeout, crash, runaway: whatever the state caught),
 * which the primary itself often could not.
 */

import { awsClientTimeouts } from "../core/aws-timeouts.ts";
import { openBlobStore } from "../core/blob-store.ts";
import { countsAgainstModel, recordRun, underBreaker } from "../core/breaker.ts";
import { capped } from "../core/capped.ts";
import { config } from "../core/config.ts";
import { CircuitOpenError, GenerationStalledError, NoProviderAvailableError, PrivacyViolationError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import { type HostedProviderName, localProvider, providerModule, providers } from "../core/providers/index.ts";
import { extractJson, type HostedProvider, type ProviderModule } from "../core/providers/types.ts";
import type { Registry, StageEntry } from "../core/registry.ts";
import { loadRegistry, splitRef, stageEntry } from "../core/registry.ts";
import { defaultBreaker, openRoutingStore } from "../core/routing-store.ts";
import { recordStageCost, stageMetrics } from "../core/stages/metrics.ts";
import { planStage } from "../core/stages/plan-stage.ts";
import type { StageMetrics } from "../core/stages/report.ts";
import { stageEnvFromState, stageInputFromEnv } from "../core/stages/task-env.ts";
import type { GpuStage } from "../core/state-names.ts";
import { isGpuStage } from "../core/state-names.ts";
import { emitMetrics, MetricUnit, withTelemetry } from "../core/telemetry.ts";
import { readGuard } from "./redaction/privacy-guard.ts";

export interface FallbackEvent {
  stage: string;
  state: PipelineState;
  failure: { Error: string; Cause?: string };
  executionName: string;
}

/** Kept back from the deadline for writing outputs and answering. */
export const fallbackReserveMs = 5_000;
/** Less time than this left and an entry is not started. */
export const minEntryMs = { hosted: 10_000, local: 20_000 } as const;

/** What a `local:` entry asks of whoever can start a model worker on this machine. */
export interface LocalWorkerRequest {
  stage: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  heartbeatSeconds: number;
}

/**
 * Starts a model worker and resolves with its metrics. The local engine supplies its own
 * supervisor (through the invocation's context): this Lambda sits below the engine and must
 * not import it, and in AWS there is no worker to start (a Lambda has no GPU).
 */
export type LocalWorkerRunner = (request: LocalWorkerRequest) => Promise<StageMetrics>;

export interface FallbackOptions {
  /** Epoch ms by which the fallback must have answered. Default: none. */
  deadlineAt?: number;
  /** Runs `local:` entries; without one they are skipped with the reason named. */
  localWorker?: LocalWorkerRunner;
}

export async function generateFallback(event: FallbackEvent, options: FallbackOptions = {}): Promise<StageMetrics> {
  const { stage, state, failure } = event;
  if (!isGpuStage(stage)) throw new NoProviderAvailableError(`fallback called for ${stage}, which is not a GPU stage`, { state: stage });
  const registry = loadRegistry();
  const entry = stageEntry(registry, stage);
  await recordPrimaryFailure(stage, entry.model, failure?.Error, state);
  await stopPrimaryTask(stage, event.executionName, failure?.Error);
  const attempts: string[] = [];
  let privacyRefused = false;
  const leftMs = () => (options.deadlineAt === undefined ? Number.POSITIVE_INFINITY : options.deadlineAt - fallbackReserveMs - Date.now());
  for (const ref of entry.fallback) {
    const [provider, id] = splitRef(ref);
    const need = provider === localProvider ? minEntryMs.local : minEntryMs.hosted;
    if (leftMs() < need) {
      attempts.push(`${ref}: skipped, ${Math.max(0, Math.floor(leftMs() / 1000))} s left before the fallback's deadline`);
      log("warn", "fallback.skipped", {
        stage,
        execution: event.executionName,
        provider,
        model: id,
        reason: "deadline",
        leftMs: Math.max(0, Math.round(leftMs())),
      });
      continue;
    }
    if (provider !== localProvider) {
      const hosted = await hostedProvider(provider, id);
      if (!hosted || privacyRefused) {
        attempts.push(`${ref}: ${privacyRefused ? "skipped after a privacy refusal" : "not configured"}`);
        continue;
      }
      try {
        const metrics = await runHosted(
          hosted,
          stage,
          state,
          entry,
          failure.Error,
          event.executionName,
          registry,
          options.deadlineAt === undefined ? undefined : Date.now() + leftMs(),
        );
        log("info", "fallback.done", {
          stage,
          execution: event.executionName,
          provider,
          model: id,
          reason: failure.Error,
          tokensIn: metrics.tokensIn,
          tokensOut: metrics.tokensOut,
        });
        return metrics;
      } catch (err) {
        const name = (err as Error).name;
        attempts.push(`${ref}: ${name}`);
        log("warn", "fallback.failed", { stage, execution: event.executionName, provider, model: id, error: name });
        // A privacy refusal is not a provider problem: no hosted provider may get this case's
        // prompts now; a local model, inside the account, still may.
        if (name === PrivacyViolationError.errorName) privacyRefused = true;
        continue;
      }
    }
    if (config().AWS_LAMBDA_FUNCTION_NAME) {
      // A Lambda has no GPU, no llama.cpp build and no model files: in AWS the chain's
      // hosted entries are the fallback, and a local model is a deployment mistake to name.
      attempts.push(`${ref}: local models run on the GPU hosts, not inside Lambda`);
      log("warn", "fallback.skipped", { stage, execution: event.executionName, provider, model: id, reason: "local model in Lambda" });
      continue;
    }
    if (!options.localWorker) {
      attempts.push(`${ref}: no model worker can be started here (local models run under the local engine or on the GPU hosts)`);
      log("warn", "fallback.skipped", { stage, execution: event.executionName, provider, model: id, reason: "no local worker runner" });
      continue;
    }
    const routing = openRoutingStore();
    const localWorker = options.localWorker;
    try {
      const metrics = await underBreaker(routing, stage, id, registry.models[id]?.breaker ?? defaultBreaker, () =>
        localWorker({
          stage,
          env: { ...stageEnvFromState(stage, state), AFFIANT_MODEL: id, AFFIANT_FALLBACK_REASON: failure.Error },
          // The worker's own deadline is this one's, if sooner: it kills itself by then.
          timeoutSeconds: Math.max(1, Math.min(entry.fallbackTimeoutSeconds ?? entry.timeoutSeconds, Math.floor(leftMs() / 1000))),
          heartbeatSeconds: entry.heartbeatSeconds,
        }),
      );
      log("info", "fallback.done", { stage, execution: event.executionName, provider, model: id, reason: failure.Error });
      return { ...metrics, fallbackReason: failure.Error };
    } catch (err) {
      const name = (err as Error).name;
      // The execution ended under it (locally): nothing is left to fall back for, and the
      // model did not fail.
      if (name === "States.Aborted") throw err;
      // An open circuit says why (its counts); any other failure by its name.
      attempts.push(err instanceof CircuitOpenError ? `${ref}: ${(err as Error).message}` : `${ref}: ${name}`);
      log("warn", "fallback.failed", { stage, execution: event.executionName, provider, model: id, error: name });
    } finally {
      routing.dispose();
    }
  }
  throw new NoProviderAvailableError(`${stage}: every fallback failed after ${failure.Error} (${attempts.join("; ")})`, { state: stage });
}

/**
 * Tells the breaker what happened to the primary: the state's caught error names it (a
 * stall, heartbeat timeout, timeout, crash or runaway the worker may never have reported).
 * Input errors and an open circuit say nothing about the model; a drill is not its outcome.
 */
async function recordPrimaryFailure(stage: GpuStage, model: string, error: string | undefined, state: PipelineState): Promise<void> {
  // Nothing to tell: no store opened.
  if (!error || !countsAgainstModel(error) || state.faults?.[stage]) return;
  const routing = openRoutingStore();
  try {
    await capped(recordRun(routing, model, stage, error));
  } finally {
    routing.dispose();
  }
}

/**
 * In AWS, the primary's task may still be running (a stalled worker holds its GPU until its
 * own lifeline fires): stop it now. Not when it was never placed (an open circuit).
 */
async function stopPrimaryTask(stage: GpuStage, execution: string, error: string | undefined): Promise<void> {
  const cluster = config().AFFIANT_GPU_CLUSTER;
  if (!cluster || error === CircuitOpenError.errorName) return;
  const { ECSClient } = await import("@aws-sdk/client-ecs");
  const { stopStageTasks } = await import("./gpu-reaper.ts");
  const ecs = new ECSClient({ ...awsClientTimeouts() });
  try {
    await capped(
      stopStageTasks(ecs, cluster, execution, stage, `affiant: ${stage} failed (${error ?? "unknown"}); its fallback runs`).catch((err) =>
        log("warn", "fallback.stop_primary_failed", { stage, error: (err as Error).name }),
      ),
    );
  } finally {
    ecs.destroy();
  }
}

interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
  /** Present when the local engine invokes this handler: its worker supervisor. */
  localWorker?: LocalWorkerRunner;
}

export const handler = (event: FallbackEvent, context?: LambdaContextLike): Promise<StageMetrics> =>
  withTelemetry("Fallback", (e: FallbackEvent) => fallbackHandler(e, context))(event, context);

const fallbackHandler = async (event: FallbackEvent, context?: LambdaContextLike): Promise<StageMetrics> => {
  const reason = event.failure?.Error ?? "unknown";
  const stalled = ["States.HeartbeatTimeout", GenerationStalledError.errorName].includes(reason);
  emitMetrics([
    { name: "Fallbacks", unit: MetricUnit.Count, value: 1, dimensions: { Stage: event.stage, Reason: reason } },
    ...(stalled ? [{ name: "Stalls", unit: MetricUnit.Count, value: 1, dimensions: { Stage: event.stage } }] : []),
  ]);
  const remaining = context?.getRemainingTimeInMillis?.();
  const metrics = await generateFallback(event, {
    deadlineAt: remaining === undefined ? undefined : Date.now() + remaining,
    localWorker: context?.localWorker,
  });
  emitMetrics([
    {
      name: "TokensPerSecond",
      unit: MetricUnit.CountPerSecond,
      value: metrics.tokensPerSecond,
      dimensions: { Stage: event.stage, Provider: metrics.provider },
    },
  ]);
  return metrics;
};

/** The client for `<provider>:<model>` (a module of core/providers/index.ts), or undefined when not configured or unknown. */
export async function hostedProvider<M extends ProviderModule = (typeof providers)[number]>(
  provider: string,
  model: string,
  list: readonly M[] = providers as readonly ProviderModule[] as readonly M[],
): Promise<HostedProvider<M["name"]> | undefined> {
  return (providerModule(provider, list) as M | undefined)?.client(model) as Promise<HostedProvider<M["name"]> | undefined>;
}

/** Hosted models have large contexts; prompts are sized with a conservative estimate. */
const hostedContextTokens = 32_000;
const approxTokens = (text: string) => Math.ceil(text.length / 3);

async function runHosted(
  provider: HostedProvider<HostedProviderName>,
  stage: GpuStage,
  state: PipelineState,
  entry: StageEntry,
  reason: string,
  executionName: string,
  registry: Registry,
  deadlineAt?: number,
): Promise<StageMetrics> {
  const store = await openBlobStore();
  // The keyed hashes of the vault's values, never the vault: this Lambda talks to the internet.
  const guard = await readGuard(store, state.caseId, executionName, stage);
  const input = stageInputFromEnv(stageEnvFromState(stage, state));
  const job = await planStage({
    stage,
    input,
    store,
    countTokens: approxTokens,
    contextLimit: hostedContextTokens,
    maxTokens: entry.maxTokens,
  });
  const outputs: string[] = [];
  let tokensIn = 0;
  let tokensOut = 0;
  let ms = 0;
  for (const call of job.calls) {
    // Checked here, at the last moment before the network: nothing unredacted goes out.
    guard.check(stage, call.prompt);
    // Each call gets what is left of the fallback's time, not a fresh provider timeout.
    const signal = deadlineAt === undefined ? undefined : AbortSignal.timeout(Math.max(1, deadlineAt - Date.now()));
    const result = await provider.complete({
      stage,
      prompt: call.prompt,
      maxTokens: call.maxTokens,
      temperature: entry.temperature ?? 0.3,
      jsonSchema: call.schema,
      signal,
    });
    outputs.push(call.schema ? extractJson(result.text) : result.text);
    tokensIn += result.tokensIn;
    tokensOut += result.tokensOut;
    ms += result.ms;
  }
  const outputKey = await job.finish(outputs);
  const metrics = stageMetrics(registry, {
    outputKey,
    stage,
    model: provider.model,
    provider: provider.name,
    fallbackReason: reason,
    tokensIn,
    tokensOut,
    loadMs: 0,
    promptMs: 0,
    genMs: ms,
    wallMs: ms,
    queueMs: 0,
    contextSize: 0,
    calls: job.calls,
  });
  await recordStageCost(store, input, metrics);
  return metrics;
}
