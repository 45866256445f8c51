/**
 * <Stage>Fallback (Lambda): runs when a GPU stage failed, timed out or missed its
 * heartbeat. Walks the stage's fallback chain from the registry in order. `local:` runs
 * a second registry model in a fresh worker process, under the same timeout and heartbeat
 * rules as the primary. `bedrock:` and `openrouter:` are the hosted providers: they get
 * the same prompts (built from redacted text only), each checked against keyed hashes of the
 * case's vault values before it leaves, and are skipped, with the reason logged, where not configured.
 */
import { NoProviderAvailableError } from "../core/errors.ts";
import { openRoutingStore } from "../core/routing-store.ts";
import { openBlobStore, putJson } from "../core/blob-store.ts";
import { costEntryKey, type CostEntry } from "../core/stage-report.ts";
import { stageInputFromEnv } from "../core/stage-input.ts";
import { planStage } from "../containers/llama-worker/stages.ts";
import { BedrockProvider } from "./providers/bedrock.ts";
import { OpenRouterProvider } from "./providers/openrouter.ts";
import { readGuard } from "./providers/privacy-guard.ts";
import { extractJson, type HostedProvider } from "./providers/types.ts";
import { stageCostUsd, type Registry, type StageEntry } from "../workflows/registry.ts";
import type { GpuStage } from "../workflows/state-names.ts";
import { stageEnvFromState } from "../core/stage-input.ts";
import { log } from "../core/log.ts";
import type { PipelineState } from "../core/pipeline-state.ts";
import type { StageMetrics } from "../core/stage-report.ts";
import { spawnWorker } from "../containers/llama-worker/spawn.ts";
import { loadRegistry, splitRef, stageEntry } from "../workflows/registry.ts";
import { isGpuStage } from "../workflows/state-names.ts";
import { emitMetrics, MetricUnit, withTelemetry } from "../core/telemetry.ts";

export interface FallbackEvent {
  stage: string;
  state: PipelineState;
  failure: { Error: string; Cause?: string };
  executionName: string;
}

export async function generateFallback(event: FallbackEvent): Promise<StageMetrics> {
  const { stage, state, failure } = event;
  if (!isGpuStage(stage)) throw new NoProviderAvailableError(`fallback called for ${stage}, which is not a GPU stage`, { state: stage });
  const registry = loadRegistry();
  const entry = stageEntry(registry, stage);
  const attempts: string[] = [];
  let privacyRefused = false;
  for (const ref of entry.fallback) {
    const [provider, id] = splitRef(ref);
    if (provider !== "local") {
      const hosted = hostedProvider(provider, id);
      if (!hosted || privacyRefused) {
        attempts.push(`${ref}: ${privacyRefused ? "skipped after a privacy refusal" : "not configured"}`);
        continue;
      }
      try {
        const metrics = await runHosted(hosted, stage, state, entry, failure.Error, event.executionName, registry);
        log("info", "fallback.done", { stage, execution: event.executionName, provider, model: id, reason: failure.Error, tokensIn: metrics.tokensIn, tokensOut: metrics.tokensOut });
        return metrics;
      } catch (err) {
        const name = (err as Error).name;
        attempts.push(`${ref}: ${name}`);
        log("warn", "fallback.failed", { stage, execution: event.executionName, provider, model: id, error: name });
        // A privacy refusal is not a provider problem: no hosted provider may get this case's
        // prompts now; a local model, inside the account, still may.
        if (name === "Affiant.PrivacyViolation") privacyRefused = true;
        continue;
      }
    }
    if (process.env.AWS_LAMBDA_FUNCTION_NAME) {
      // A Lambda has no GPU, no llama.cpp build and no model files: in AWS the chain's
      // hosted entries are the fallback, and a local model is a deployment mistake to name.
      attempts.push(`${ref}: local models run on the GPU hosts, not inside Lambda`);
      log("warn", "fallback.skipped", { stage, execution: event.executionName, provider, model: id, reason: "local model in Lambda" });
      continue;
    }
    const routing = openRoutingStore();
    try {
      const health = await routing.health(id, registry.models[id]!.breaker);
      if (health.open) {
        attempts.push(`${ref}: circuit open (${health.failures}/${health.samples} recent runs failed)`);
        continue;
      }
      const metrics = await spawnWorker({
        stage,
        env: { ...stageEnvFromState(stage, state), AFFIANT_MODEL: id, AFFIANT_FALLBACK_REASON: failure.Error },
        timeoutSeconds: entry.fallbackTimeoutSeconds ?? entry.timeoutSeconds,
        heartbeatSeconds: entry.heartbeatSeconds,
      });
      await routing.record(id, stage, null);
      log("info", "fallback.done", { stage, execution: event.executionName, provider, model: id, reason: failure.Error });
      return { ...metrics, fallbackReason: failure.Error };
    } catch (err) {
      const name = (err as Error).name;
      // The execution ended under it (locally): nothing is left to fall back for, and the
      // model did not fail.
      if (name === "States.Aborted") throw err;
      await routing.record(id, stage, name).catch(() => undefined);
      attempts.push(`${ref}: ${name}`);
      log("warn", "fallback.failed", { stage, execution: event.executionName, provider, model: id, error: name });
    } finally {
      routing.dispose();
    }
  }
  throw new NoProviderAvailableError(`${stage}: every fallback failed after ${failure.Error} (${attempts.join("; ")})`, { state: stage });
}

export const handler = withTelemetry("Fallback", async (event: FallbackEvent): Promise<StageMetrics> => {
  const reason = event.failure?.Error ?? "unknown";
  const stalled = ["States.HeartbeatTimeout", "Affiant.GenerationStalled"].includes(reason);
  emitMetrics([
    { name: "Fallbacks", unit: MetricUnit.Count, value: 1, dimensions: { Stage: event.stage, Reason: reason } },
    ...(stalled ? [{ name: "Stalls", unit: MetricUnit.Count, value: 1, dimensions: { Stage: event.stage } }] : []),
  ]);
  const metrics = await generateFallback(event);
  emitMetrics([{ name: "TokensPerSecond", unit: MetricUnit.CountPerSecond, value: metrics.tokensPerSecond, dimensions: { Stage: event.stage, Provider: metrics.provider } }]);
  return metrics;
});

/** A hosted provider for `bedrock:<model>` / `openrouter:<model>`, or undefined when not configured. */
export function hostedProvider(provider: string, model: string): HostedProvider | undefined {
  if (provider === "openrouter") {
    const apiKey = process.env.OPENROUTER_API_KEY;
    return apiKey ? new OpenRouterProvider({ model, apiKey }) : undefined;
  }
  if (provider === "bedrock") {
    const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    const credentials = ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"].some((v) => process.env[v]);
    return region && credentials ? new BedrockProvider({ model }) : undefined;
  }
  return undefined;
}

/** Hosted models have large contexts; prompts are sized with a conservative estimate. */
const hostedContextTokens = 32_000;
const approxTokens = (text: string) => Math.ceil(text.length / 3);

async function runHosted(provider: HostedProvider, stage: GpuStage, state: PipelineState, entry: StageEntry, reason: string, executionName: string, registry: Registry): Promise<StageMetrics> {
  const store = await openBlobStore();
  // The keyed hashes of the vault's values, never the vault: this Lambda talks to the internet.
  const guard = await readGuard(store, state.caseId, executionName, stage);
  const input = stageInputFromEnv(stageEnvFromState(stage, state));
  const job = await planStage({ stage, input, store, countTokens: approxTokens, contextLimit: hostedContextTokens, maxTokens: entry.maxTokens });
  const outputs: string[] = [];
  let tokensIn = 0;
  let tokensOut = 0;
  let ms = 0;
  for (const call of job.calls) {
    // Checked here, at the last moment before the network: nothing unredacted goes out.
    guard.check(stage, call.prompt);
    const result = await provider.complete({ stage, prompt: call.prompt, maxTokens: call.maxTokens, temperature: entry.temperature ?? 0.3, jsonSchema: call.schema });
    outputs.push(call.schema ? extractJson(result.text) : result.text);
    tokensIn += result.tokensIn;
    tokensOut += result.tokensOut;
    ms += result.ms;
  }
  const outputKey = await job.finish(outputs);
  const costUsd = stageCostUsd(registry, { provider: provider.name, model: provider.model, wallMs: ms, tokensIn, tokensOut });
  await putJson(store, costEntryKey(input.runKey, stage, input.round), { stage, provider: provider.name, model: provider.model, costUsd, tokensIn, tokensOut } satisfies CostEntry);
  return {
    outputKey,
    stage,
    model: provider.model,
    provider: provider.name,
    fallbackReason: reason,
    tokensIn,
    tokensOut,
    loadMs: 0,
    promptMs: 0,
    genMs: Math.round(ms),
    costUsd,
    queueMs: 0,
    tokensPerSecond: ms > 0 ? Math.round((tokensOut / ms) * 10000) / 10 : 0,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    contextSize: 0,
    chunksUsed: job.calls.reduce((n, c) => n + c.chunksUsed, 0),
    chunksOmitted: job.calls.reduce((n, c) => n + c.chunksOmitted, 0),
  };
}
