/**
 * The one circuit-breaker helper every caller shares (the Admit function before a g5 task is
 * placed, the fallback's own local entries, the worker and the local engine recording a
 * success): what counts against a model, whether a run may start now, and the one refusal,
 * Affiant.CircuitOpen.
 */
import { CircuitOpenError, ContextTooLargeError, InvalidInputError, ModelDoesNotFitError, PrivacyViolationError } from "./errors.ts";
import type { BreakerPolicy, ModelHealth, RoutingStore } from "./routing-store.ts";

/**
 * Failures that say nothing about the model: the input was too big or bad, the circuit was
 * already open, the execution was stopped, the host could not place it, or the prompt was
 * refused for privacy. Everything else (stall, heartbeat timeout, timeout, crash, runaway,
 * invalid output, unavailable) counts against it.
 */
const notTheModel = new Set([
  ContextTooLargeError.errorName,
  InvalidInputError.errorName,
  CircuitOpenError.errorName,
  ModelDoesNotFitError.errorName,
  PrivacyViolationError.errorName,
  "States.Aborted",
]);

export function countsAgainstModel(error: string): boolean {
  return !notTheModel.has(error);
}

export interface Admission {
  admitted: boolean;
  /** This run is the half-open circuit's one probe. */
  probe: boolean;
  health: ModelHealth;
}

/** Closed: run. Open: refuse. Half-open: exactly one caller wins the probe (a conditional write). */
export async function admit(store: RoutingStore, model: string, policy: BreakerPolicy): Promise<Admission> {
  const health = await store.health(model, policy);
  if (health.open) return { admitted: false, probe: false, health };
  if (!health.probeDue) return { admitted: true, probe: false, health };
  const won = await store.claimProbe(model, policy.cooldownSeconds * 1000);
  return { admitted: won, probe: won, health };
}

/** The cause of an Affiant.CircuitOpen, ids and counts only. */
export function circuitOpenReason(model: string, a: Admission): string {
  const h = a.health;
  const why = `circuit open: ${h.failures} of the last ${h.samples} runs of ${model} failed (${h.stalls} stalls)`;
  return h.probeDue ? `${why}; another run is probing it` : why;
}

/** The refusal every caller gives: Affiant.CircuitOpen with its cause (ids and counts only). */
export function circuitOpenError(stage: string, model: string, a: Admission): InstanceType<typeof CircuitOpenError> {
  return new CircuitOpenError(`${stage}: ${circuitOpenReason(model, a)}`, { state: stage, model });
}

/** Admitted (perhaps as the probe), or throws Affiant.CircuitOpen; `onRefused` sees the health first (for a log line). */
export async function admitOrRefuse(
  store: RoutingStore,
  stage: string,
  model: string,
  policy: BreakerPolicy,
  onRefused?: (a: Admission) => void,
): Promise<Admission> {
  const decision = await admit(store, model, policy);
  if (decision.admitted) return decision;
  onRefused?.(decision);
  throw circuitOpenError(stage, model, decision);
}

/**
 * Tells the breaker how a run of `model` ended: `null` for a success, else the error's name.
 * An error that says nothing about the model, and a drill (an injected fault), are not its
 * outcome and are not recorded.
 */
export async function recordRun(
  store: RoutingStore,
  model: string,
  stage: string,
  error: string | null,
  options: { drill?: boolean } = {},
): Promise<void> {
  if (options.drill || (error !== null && !countsAgainstModel(error))) return;
  await store.record(model, stage, error);
}

/**
 * A run under the breaker: admitted or Affiant.CircuitOpen, then its success or its failure
 * recorded (a failure's record never hides the failure itself).
 */
export async function underBreaker<T>(
  store: RoutingStore,
  stage: string,
  model: string,
  policy: BreakerPolicy,
  run: () => Promise<T>,
): Promise<T> {
  await admitOrRefuse(store, stage, model, policy);
  let result: T;
  try {
    result = await run();
  } catch (err) {
    await recordRun(store, model, stage, (err as Error).name).catch(() => undefined);
    throw err;
  }
  await recordRun(store, model, stage, null);
  return result;
}

/**
 * Of `models`, those WarmUp may start a worker of: the ones whose circuit is closed. Read
 * only (it claims no probe): a model whose circuit is open, or half-open with its probe to
 * come, gets its worker from the probe's own Acquire or not at all. `policyOf`: the model's
 * breaker policy. A model whose health cannot be read is left cold (warming is optional;
 * a GPU started without the breaker's word is not).
 */
export async function warmableModels(
  store: Pick<RoutingStore, "health">,
  models: string[],
  policyOf: (model: string) => BreakerPolicy,
): Promise<{ warmable: string[]; refused: Array<{ model: string; why: "open" | "probe" | "unreadable" }> }> {
  const warmable: string[] = [];
  const refused: Array<{ model: string; why: "open" | "probe" | "unreadable" }> = [];
  for (const model of models) {
    try {
      const health = await store.health(model, policyOf(model));
      if (health.open) refused.push({ model, why: "open" });
      else if (health.probeDue) refused.push({ model, why: "probe" });
      else warmable.push(model);
    } catch {
      refused.push({ model, why: "unreadable" });
    }
  }
  return { warmable, refused };
}
