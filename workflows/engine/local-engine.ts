/**
 * The local engine: the exported definition, run by aws-local-stepfunctions. Lambda
 * states call the handlers in functions/ in-process (lambda-runner.ts); GPU states start
 * the worker from containers/ as a child process (gpu-task.ts). History goes to SQLite
 * (event-recorder.ts); a success's files to the outputs folder (outputs.ts).
 */

import { executionArn } from "../../core/local-aws.ts";
import { contextObject } from "./context-object.ts";
import "./polyfill.ts";
import type { ChildProcess } from "node:child_process";

import { EventEmitter } from "node:events";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { StateMachine } from "aws-local-stepfunctions";
import type { Progress } from "../../containers/llama-worker/model-session.ts";
import { type BlobStore, blobStore } from "../../core/blob-store.ts";
import { warmableModels } from "../../core/breaker.ts";
import { config } from "../../core/config.ts";
import { ExecutionAlreadyExistsError, InterruptedError, InvalidInputError, OutputWriteFailedError } from "../../core/errors.ts";
import { newExecutionName } from "../../core/execution-name.ts";
import type { FaultKind } from "../../core/faults.ts";
import { localWorkerLimits } from "../../core/gpu-pool-policy.ts";
import { log } from "../../core/log.ts";
import { homePaths } from "../../core/paths.ts";
import { pipelineVersion } from "../../core/pipeline-state.ts";
import { loadRegistry, type Registry } from "../../core/registry.ts";
import { defaultBreaker, openRoutingStore, type RoutingStore } from "../../core/routing-store.ts";
import type { StageMetrics } from "../../core/stages/report.ts";
import { stageOfAcquire, stateNames } from "../../core/state-names.ts";
import { holdSharedPageReaders } from "../../functions/ocr.ts";
import { collectTaskStates } from "../asl.ts";
import { type AslDefinition, type AslState, buildDefinition } from "../definition.ts";
import { acquireWorker, warmUp } from "./acquire.ts";
import { recordEvents, type StateEvent } from "./event-recorder.ts";
import { isGpuStateResource, runGpuTask } from "./gpu-task.ts";
import { type ExecutionStatus, HistoryDb } from "./history-db.ts";
import { functionForArn, invokeLambda } from "./lambda-runner.ts";
import { writeOutputs } from "./outputs.ts";
import { ReviewGates, type ReviewRequest, type StartApproval } from "./review-gates.ts";
import { type ExecutionSummary, summarizeExecution } from "./summary.ts";
import type { TaskTokenBroker } from "./task-tokens.ts";
import { validatedMachine } from "./validated-machine.ts";
import type { WarmLimits } from "./warm-pool.ts";
import { killAllWorkers, withWorkerScope } from "./worker-supervisor.ts";

export interface LocalEngineOptions {
  /** Default: the registry in force (`AFFIANT_REGISTRY` or models/registry.json). */
  registry?: Registry;
  /** Default: the folder store under AFFIANT_HOME. */
  store?: BlobStore;
  /** Default: the SQLite database under AFFIANT_HOME. */
  db?: HistoryDb;
  /**
   * GPU tasks answer through the Step Functions API with a task token (as in ECS) instead
   * of IPC: `affiant serve` passes its own `/sfn` endpoint here.
   */
  taskTokens?: { broker: TaskTokenBroker; sfnEndpoint: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
  /**
   * Warm model workers (IPC only): a worker keeps its model loaded for later stages of that
   * model, from any execution, under the registry's `workers` limits. Default: on;
   * `AFFIANT_WARM_WORKERS=0` (or false here) gives each worker one task (maxTasks 1), after
   * which it exits. Under `taskTokens` each generate state starts its own worker, as an ECS task does.
   */
  warmWorkers?: boolean;
}

export interface StartExecutionOptions {
  caseId: string;
  caseDir?: string;
  faults?: Record<string, FaultKind>;
  /** Default: `<caseId>-<timestamp>-<random>`. */
  executionName?: string;
  /**
   * Approve at the AttorneyReview gate without waiting (`affiant run --approve`, demos, the
   * e2e tests); the audit log records who and how. Default: the execution waits there.
   */
  approve?: StartApproval;
}

export type EngineEvent =
  | ({ type: "state"; executionId: string } & StateEvent)
  | { type: "progress"; executionId: string; state: string; progress: Progress }
  /** A worker process started for a state (a GPU state's, or a fallback's local model). */
  | { type: "worker"; executionId: string; state: string; pid: number };

interface EngineEvents {
  event: [EngineEvent];
}

export class LocalEngine extends EventEmitter<EngineEvents> {
  readonly registry: Registry;
  readonly definition: AslDefinition;
  readonly store: BlobStore;
  readonly db: HistoryDb;
  readonly routing: RoutingStore;
  private readonly ownsDb: boolean;
  private readonly machine: StateMachine;
  private readonly children = new Map<string, Set<ChildProcess>>();
  /** Aborted when an execution ends: its workers still running stop as `States.Aborted`. */
  private readonly ended = new Map<string, AbortController>();
  private readonly aborts = new Map<string, () => void>();
  private readonly stopReasons = new Map<string, { error?: string; cause?: string }>();
  private readonly taskTokens: LocalEngineOptions["taskTokens"];
  /** The limits the engine's workers run under; undefined under task tokens. */
  private readonly warmLimits: WarmLimits | undefined;
  private releaseOcr: (() => Promise<void>) | undefined;
  private disposed = false;
  /** The attorney's gate: tokens, decisions, resumption, expiry (review-gates.ts). */
  readonly reviews: ReviewGates;
  /** The same definition entered at AttorneyReview: how a waiting execution runs on. */
  private resumeMachine: StateMachine | undefined;

  constructor(options: LocalEngineOptions = {}) {
    super();
    const warmWorkers = options.warmWorkers ?? config().AFFIANT_WARM_WORKERS !== "0";
    this.registry = options.registry ?? loadRegistry();
    this.warmLimits = options.taskTokens ? undefined : localWorkerLimits(this.registry.workers, warmWorkers);
    this.definition = buildDefinition({ registry: this.registry });
    this.store = options.store ?? blobStore();
    this.ownsDb = !options.db;
    this.db = options.db ?? new HistoryDb();
    this.routing = openRoutingStore();
    this.taskTokens = options.taskTokens;
    // Executions a crashed process left RUNNING would otherwise block re-runs forever.
    const reaped = this.db.reapOrphans();
    if (reaped.length) log("warn", "execution.orphans_reaped", { count: reaped.length });
    // The library annotates the definition it is given (QueryLanguage…); keep ours exact.
    this.machine = validatedMachine(withTimerRange(this.definition));
    this.reviews = new ReviewGates(this);
  }

  /** Starts an execution and resolves when it has ended, successfully or not. */
  async run(options: StartExecutionOptions): Promise<ExecutionSummary> {
    return this.start(options).done;
  }

  /**
   * Starts an execution and returns at once: the id, and a promise of the summary when it
   * ends. A name already used is an `ExecutionAlreadyExistsError` (names are how starts
   * stay idempotent).
   */
  start(options: StartExecutionOptions): { executionId: string; done: Promise<ExecutionSummary> } {
    if (this.disposed) throw new Error("LocalEngine was disposed");
    const executionId = options.executionName ?? newExecutionName(options.caseId);
    if (this.db.getExecution(executionId)) throw new ExecutionAlreadyExistsError(`execution ${executionId} already exists`);
    const input = { caseId: options.caseId, ...(options.faults && Object.keys(options.faults).length ? { faults: options.faults } : {}) };
    const outputDir = path.join(homePaths.outputs(), executionId);
    this.db.createExecution({
      id: executionId,
      caseId: options.caseId,
      caseDir: options.caseDir ?? null,
      input,
      pipelineVersion,
      outputDir,
    });
    if (options.approve) this.reviews.approveAtGate(executionId, options.approve);
    return { executionId, done: this.execute(executionId, options, input, outputDir) };
  }

  /**
   * Runs an execution waiting in AttorneyReview on from that state, in this process: the
   * same definition, entered at the gate with the state the gate kept (review-gates.ts).
   */
  resumeAtGate(executionId: string, state: unknown): Promise<ExecutionSummary> {
    if (this.disposed) throw new Error("LocalEngine was disposed");
    const row = this.db.getExecution(executionId)!;
    this.db.adoptExecution(executionId);
    // Validated whole by the constructor; entered at the gate, the states before it are
    // unreachable, which the validator would refuse.
    this.resumeMachine ??= new StateMachine({ ...withTimerRange(this.definition), StartAt: stateNames.attorneyReview } as never, {
      validationOptions: { noValidate: true },
    });
    const outputDir = row.outputDir ?? path.join(homePaths.outputs(), executionId);
    return this.execute(executionId, { caseId: row.caseId }, state as Record<string, unknown>, outputDir, {
      machine: this.resumeMachine,
      executionInput: row.input,
    });
  }

  /** Stops an execution's run in this process at the gate (it stays RUNNING, waiting). */
  suspendAtGate(executionId: string): void {
    this.aborts.get(executionId)?.();
  }

  private async execute(
    executionId: string,
    options: StartExecutionOptions,
    input: Record<string, unknown>,
    outputDir: string,
    resumed?: { machine: StateMachine; executionInput: unknown },
  ): Promise<ExecutionSummary> {
    this.children.set(executionId, new Set());
    this.ended.set(executionId, new AbortController());
    // The OCR engine, like a warm Lambda container's, serves every execution of this engine.
    this.releaseOcr ??= holdSharedPageReaders();
    log("info", "execution.started", { execution: executionId, caseId: options.caseId, faults: Object.keys(options.faults ?? {}).length });

    const execution = (resumed?.machine ?? this.machine).run(input as never, {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(executionId) as never },
      // The local worker answers over IPC, not by token; the token is there so `$$.Task.Token` resolves.
      context: contextObject({
        executionArn: executionArn(executionId),
        executionName: executionId,
        input: resumed?.executionInput ?? input,
        taskToken: `local-${executionId}`,
      }) as never,
    });
    this.aborts.set(executionId, execution.abort);
    // Stopping at the gate is how this engine waits, and resuming is no new start: neither is history.
    let reentered = false;
    const skip = (e: { type: string; state?: { name: string } }) => {
      if (
        resumed &&
        (e.type === "ExecutionStarted" || (!reentered && e.type === "StateEntered" && e.state?.name === stateNames.attorneyReview))
      ) {
        if (e.type === "StateEntered") reentered = true;
        return true;
      }
      return (
        this.reviews.suspended(executionId) &&
        (e.type === "ExecutionAborted" || (e.state?.name === stateNames.attorneyReview && e.type !== "StateEntered"))
      );
    };
    const recording = recordEvents(
      this.db,
      executionId,
      execution.eventLogs,
      (e) => this.emit("event", { type: "state", executionId, ...e }),
      skip,
    );

    let status: ExecutionStatus = "SUCCEEDED";
    let output: unknown;
    let error: string | undefined;
    let cause: string | undefined;
    try {
      output = await execution.result;
    } catch (err) {
      const e = err as Error & { cause?: unknown };
      status = e.name === "ExecutionAbortedError" ? "ABORTED" : e.name === "ExecutionTimeoutError" ? "TIMED_OUT" : "FAILED";
    }
    const failure = await recording;
    if (status === "FAILED" || status === "TIMED_OUT") {
      error = failure?.Error ?? (status === "TIMED_OUT" ? "States.Timeout" : "States.Runtime");
      cause = failure?.Cause ?? "";
    }
    if (status === "ABORTED") {
      const reason = this.stopReasons.get(executionId);
      error = reason?.error;
      cause = reason?.cause;
      this.stopReasons.delete(executionId);
    }
    this.killChildren(executionId);
    this.aborts.delete(executionId);
    // Stopped at the gate, not ended: the execution stays RUNNING, waiting for the attorney,
    // and the draft under review is where the final one will be.
    if (status === "ABORTED" && this.reviews.suspended(executionId)) {
      this.reviews.settled(executionId);
      this.stopReasons.delete(executionId);
      const state = this.reviews.task(executionId)?.state as { reinject?: { output?: unknown } } | undefined;
      if (state?.reinject?.output) await writeOutputs(this.store, outputDir, state.reinject.output);
      log("info", "execution.waiting", { execution: executionId, state: stateNames.attorneyReview });
      return this.summary(executionId)!;
    }

    if (status === "SUCCEEDED") {
      try {
        await writeOutputs(this.store, outputDir, output);
      } catch (err) {
        // A declaration that could not be written is not a success.
        status = "FAILED";
        error = OutputWriteFailedError.errorName;
        cause = (err as Error).message;
      }
    }
    this.db.finishExecution(executionId, { status, output, error, cause });
    log(status === "SUCCEEDED" ? "info" : "error", "execution.ended", { execution: executionId, status, error: error ?? null });
    const summary = this.summary(executionId)!;
    // The per-state report (timings, models, fallbacks) beside the declaration.
    if (status === "SUCCEEDED") writeFileSync(path.join(outputDir, "execution.json"), JSON.stringify(summary, null, 2));
    return summary;
  }

  /** True once dispose() ran: executions still in flight were recorded ABORTED by it. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  summary(executionId: string): ExecutionSummary | undefined {
    const row = this.db.getExecution(executionId);
    if (!row) return undefined;
    return this.reviews.annotate(summarizeExecution(row, this.db.events(executionId), this.db.reports(executionId)));
  }

  /** Stops a running execution (StopExecution); false when it is not running here. */
  abort(executionId: string, reason: { error?: string; cause?: string } = {}): boolean {
    const abort = this.aborts.get(executionId);
    if (!abort) return false;
    this.stopReasons.set(executionId, reason);
    abort();
    this.killChildren(executionId);
    return true;
  }

  private taskHandlers(executionId: string): Record<string, (input: unknown) => Promise<unknown>> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of collectTaskStates(this.definition)) {
      if (name === stateNames.warmUp) {
        // The acquire Lambda's Event invoke in AWS: start workers, wait for none (acquire.ts).
        handlers[name] = async (input) => {
          const payload = (input as { Payload?: { warm?: Array<{ model: string; stage: string }>; input?: { faults?: unknown } } }).Payload;
          const wanted = payload?.warm ?? [];
          // Only models the breaker would admit, as the acquire Lambda's warm-up asks it.
          const gate = await warmableModels(
            this.routing,
            wanted.map((w) => w.model),
            (model) => this.registry.models[model]?.breaker ?? defaultBreaker,
          );
          return {
            Payload: await warmUp(
              { warm: this.warmLimits, poolSize: this.registry.workers.poolSize },
              wanted.filter((w) => gate.warmable.includes(w.model)),
              payload?.input?.faults,
            ),
            StatusCode: 202,
          };
        };
        continue;
      }
      const acquires = stageOfAcquire(name);
      if (acquires) {
        // What the acquire Lambda and a worker's SendTaskSuccess do in AWS (acquire.ts).
        handlers[name] = (input) =>
          acquireWorker(
            {
              registry: this.registry,
              warm: this.warmLimits,
              signal: this.ended.get(executionId)?.signal,
              adopt: (child) => this.adopt(executionId, name, child),
            },
            executionId,
            acquires,
            (input as { Payload?: { faults?: unknown } }).Payload ?? {},
            Number(state.TimeoutSeconds),
          );
        continue;
      }
      handlers[name] = isGpuStateResource(state.Resource)
        ? (input) =>
            runGpuTask(
              {
                registry: this.registry,
                routing: this.routing,
                db: this.db,
                taskTokens: this.taskTokens,
                signal: this.ended.get(executionId)?.signal,
                adopt: (child) => this.adopt(executionId, name, child),
                onProgress: (progress) => this.emit("event", { type: "progress", executionId, state: name, progress }),
                warm: this.warmLimits,
                release: (child) => this.children.get(executionId)?.delete(child),
              },
              executionId,
              name,
              state,
              input,
            )
        : (input) => this.runLambdaTask(executionId, name, state, input);
    }
    // The callback task: the token is kept here, and the decision comes back through reviews.
    handlers[stateNames.attorneyReview] = (input) => this.reviews.enterGate(executionId, input as ReviewRequest);
    return handlers;
  }

  private async runLambdaTask(executionId: string, stateName: string, state: AslState, input: unknown): Promise<unknown> {
    const params = input as { FunctionName?: string; Payload?: unknown };
    const fn = params.FunctionName ? functionForArn(params.FunctionName) : undefined;
    if (!fn)
      throw new InvalidInputError(`${stateName}: no local handler for function ${params.FunctionName ?? "(none)"}`, { state: stateName });
    try {
      // The fallback Lambda starts local workers of its own; they belong to this execution.
      // (No controller left: the execution is over, and nothing may start for it.)
      const scope = {
        signal: this.ended.get(executionId)?.signal ?? AbortSignal.abort(),
        onSpawn: (child: ChildProcess) => this.adopt(executionId, stateName, child),
        warm: this.warmLimits && { limits: this.warmLimits, poolSize: this.registry.workers.poolSize },
      };
      const result = await withWorkerScope(scope, () => invokeLambda(fn, params.Payload, Number(state.TimeoutSeconds ?? 60)));
      if (fn === "generate-fallback") this.db.addReport(executionId, stateName, "SUCCEEDED", result.Payload as StageMetrics);
      return result;
    } catch (err) {
      this.db.addReport(executionId, stateName, "FAILED", { error: (err as Error).name, cause: (err as Error).message });
      throw err;
    }
  }

  private adopt(executionId: string, stateName: string, child: ChildProcess): void {
    this.children.get(executionId)?.add(child);
    if (child.pid) this.emit("event", { type: "worker", executionId, state: stateName, pid: child.pid });
  }

  private killChildren(executionId: string): void {
    // Aborted first: a worker killed because its execution ended is not the model's failure.
    this.ended.get(executionId)?.abort();
    this.ended.delete(executionId);
    for (const child of this.children.get(executionId) ?? []) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    this.children.delete(executionId);
  }

  /** Safe to call twice. Kills workers still running and closes the database it opened. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const [id, abort] of this.aborts) {
      abort();
      this.killChildren(id);
      // Interrupted (Ctrl-C, SIGTERM): recorded as such, never left RUNNING.
      this.db.finishExecution(id, {
        status: "ABORTED",
        error: InterruptedError.errorName,
        cause: "the local engine was stopped before the execution ended",
      });
    }
    this.reviews.dispose();
    void this.releaseOcr?.();
    // Workers started outside a GPU state (the local fallback model) die with the engine too.
    killAllWorkers();
    if (this.ownsDb) this.db.dispose();
    this.routing.dispose();
  }
}

/**
 * A copy of the definition the library can time (it uses setTimeout, which holds at most
 * ~24.8 days): the execution's and the review gate's long timeouts are clamped to that
 * (review-gates.ts keeps the gate's own window). The library annotates the definition it is
 * given (QueryLanguage…), hence the copy.
 */
export function withTimerRange(definition: AslDefinition): AslDefinition {
  const maxSeconds = Math.floor((2 ** 31 - 1) / 1000);
  const copy = structuredClone(definition);
  copy.TimeoutSeconds = Math.min(copy.TimeoutSeconds, maxSeconds);
  const gate = copy.States[stateNames.attorneyReview];
  if (gate) gate.TimeoutSeconds = Math.min(Number(gate.TimeoutSeconds), maxSeconds);
  return copy;
}
