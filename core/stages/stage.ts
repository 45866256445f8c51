/**
 * What a GPU stage module declares. The state names, the stage inputs the definition and
 * the fallback write, the pipeline state's result slots, the definition's GPU states, the
 * planner and the stand-in hosted models all derive from these declarations (index.ts lists
 * the modules), so a new GPU stage is its module, a line in index.ts, its prompt file and its
 * registry entries.
 */
import type { z } from "zod";
import type { BlobStore } from "../blob-store.ts";
import type { PlanContext, StageJob } from "./plan-context.ts";
import type { TemplateName } from "./prompts.ts";

/**
 * The execution-state fields GPU stages fill with their report (a StageReport: the output
 * blob's key and the run's metrics) that later stages read (core/stages/task-env.ts gives each an
 * environment variable). "judges" is a list: each judge's Parallel branch adds one report. A
 * stage whose report only the Lambdas read (Reinject) names a slot of its own, outside this list.
 */
export type ResultSlot = "facts" | "draft" | "judges";

export type StagePhase = "prepare" | "judge" | "rewrite" | "finish";

/**
 * When a stage runs only for some cases: a Choice state (`<Stage>Needed`) ahead of it tests
 * one string field of the execution state, and skips the stage when it is absent or differs.
 */
export interface StageCondition {
  /** A top-level field of the execution state (a JSONPath such as `$.language`). */
  readonly variable: `$.${string}`;
  readonly equals: string;
  /** Why, for the Choice state's Comment. */
  readonly because: string;
}

export interface GpuStageModule<
  Name extends string = string,
  Output = unknown,
  Slot extends string = string,
  Phase extends StagePhase = StagePhase,
> {
  /** Its state name in the definition (and the registry's `stages` key). */
  readonly name: Name;
  /** Its prompt templates, files under prompts/<version>/ (without `.txt`). */
  readonly templates: readonly TemplateName[];
  /**
   * Reports of earlier stages it reads, besides the case's own ids and keys: each one
   * reaches the worker as an environment variable (core/stages/task-env.ts).
   */
  readonly reads: readonly ResultSlot[];
  /**
   * Where its report goes in the execution state (the definition's ResultPath): a ResultSlot
   * when later stages read it, else a name of its own (the pipeline state derives the field).
   */
  readonly slot: Slot;
  /**
   * Where it runs: "prepare" stages run one after another (in index.ts order) between Index
   * and the judges; "judge" stages run side by side in the Judges Parallel, and again after
   * each rewrite; the "rewrite" stage runs when the score asks for one; "finish" stages run
   * one after another (in index.ts order) once the quality gate lets the draft through, before
   * Reinject.
   */
  readonly phase: Phase;
  /** Runs only when this holds (a Choice ahead of it); absent: always. */
  readonly when?: StageCondition;
  /** The shape of its model's JSON answer; absent for a free-text stage. */
  readonly outputSchema?: z.ZodType;
  /**
   * A stand-in answer in the shape its prompt asks for, recognised by a phrase of that
   * prompt: the recording providers (workflows/recording-providers.ts) give it; not a model.
   */
  readonly sample?: { promptMarker: string; answer: string | ((prompt: string) => string) };
  /** The model calls for this case, and how their outputs are checked and stored. */
  plan(context: PlanContext): Promise<StageJob>;
  /** Reads the output blob its `finish` stored. */
  readOutput(store: BlobStore, key: string): Promise<Output>;
}

/** Declares a stage module, keeping the literal types of its name, slot and phase. */
export function gpuStageModule<const Name extends string, Output, const Slot extends string, const Phase extends StagePhase>(
  module: GpuStageModule<Name, Output, Slot, Phase>,
): GpuStageModule<Name, Output, Slot, Phase> {
  return module;
}
