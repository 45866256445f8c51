/**
 * Injected worker faults (drills), validated once: the CLI's `--fault`, the API's and
 * /sfn's execution input, Extract's execution input and the worker's AFFIANT_FAULTS all
 * parse with `faultsSchema`, so each rejects a bad fault with the same message.
 */
import { z } from "zod";
import { config, type Env } from "./config.ts";
import { InvalidInputError } from "./errors.ts";
import { gpuStages, isGpuStage } from "./state-names.ts";

/**
 * Drills: `stall` a JS promise that never settles (the token watchdog's case); `hang-native`
 * a thread stuck inside native code (only the lifeline thread or a SIGKILL ends it);
 * `slow-start` a worker whose provisioning (instance, image, model) takes
 * AFFIANT_SLOW_START_SECONDS before its model loads, in the stage's Acquire state;
 * `hang-load` a model load stuck inside native code (the worker's preload deadline ends it).
 */
export const faultKinds = ["stall", "crash", "oom", "slow", "loop", "hang-native", "slow-start", "hang-load"] as const;
export type FaultKind = (typeof faultKinds)[number];
export type Faults = Record<string, FaultKind>;

const isFaultKind = (v: unknown): v is FaultKind => typeof v === "string" && (faultKinds as readonly string[]).includes(v);

/** The one message form (after `faults.<State>: `): what is wrong, and what is allowed. */
export function faultProblem(state: string, kind: unknown): string | undefined {
  const allowed = `(GPU states: ${gpuStages.join(", ")}; fault kinds: ${faultKinds.join(", ")})`;
  if (!isGpuStage(state)) return `${state} is not a GPU state ${allowed}`;
  if (!isFaultKind(kind)) return `${JSON.stringify(kind)} is not a fault kind ${allowed}`;
  return undefined;
}

/** `{ <GPU state>: <fault kind> }`. */
export const faultsSchema = z
  .record(z.string(), z.unknown(), { error: "expected an object of <GPU state>: <fault kind>" })
  .superRefine((faults, ctx) => {
    for (const [state, kind] of Object.entries(faults)) {
      const problem = faultProblem(state, kind);
      if (problem) ctx.addIssue({ code: "custom", message: problem, input: kind, path: [state] });
    }
  })
  .transform((faults) => faults as Faults);

/** Parses faults or throws InvalidInputError `<where>: faults.<State>: … (GPU states: …; fault kinds: …)`. */
export function parseFaults(raw: unknown, where: string, state?: string): Faults {
  const parsed = faultsSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`${where}: ${faultsErrorMessage(parsed.error)}`, state ? { state } : {});
  return parsed.data;
}

/** The message of a failed `faultsSchema` parse (its first issue): `faults.<State>: …`. */
export function faultsErrorMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${["faults", ...(issue?.path ?? [])].join(".")}: ${issue?.message ?? "invalid"}`;
}

/** `--fault <State>=<kind>` flags, repeatable. */
export function parseFaultFlags(specs: string[]): Faults {
  const raw: Record<string, string> = {};
  for (const spec of specs) {
    const [state, kind, ...rest] = spec.split("=");
    if (!state || !kind || rest.length) throw new InvalidInputError(`--fault ${spec}: expected <State>=<kind>`);
    raw[state] = kind;
  }
  return parseFaults(raw, "--fault");
}

/**
 * The fault a game day or `--fault` injected into this stage's primary worker (a drill),
 * or undefined. A fallback never runs one. A drill's outcome says nothing about the model,
 * so it is not recorded for the circuit breaker: a game day that opened the breaker with its
 * own faults would stop injecting them.
 */
export function injectedFault(stage: string, env?: Env): FaultKind | undefined {
  const settings = config(env);
  if (settings.AFFIANT_FALLBACK_REASON) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(settings.AFFIANT_FAULTS ?? "{}");
  } catch {
    return undefined;
  }
  const parsed = faultsSchema.safeParse(raw);
  return parsed.success ? parsed.data[stage] : undefined;
}
