/**
 * The GPU side of the rehearsal, behind the emulators' front door: an ECS stand-in (RunTask
 * starts the real worker entry in its warm, activity mode with the task definition's
 * environment; ListTasks counts them by `startedBy`; StopTask kills one), an SQS stand-in
 * (ready-queues.ts: the model ready queues the acquire Lambda writes and the workers long-poll) and the Step
 * Functions activities (GetActivityTask for the workers, and the generate states scheduled
 * here under their HeartbeatSeconds and TimeoutSeconds, as Step Functions enforces them).
 * No such emulators exist in the registries for ECS or activities; these keep only what the
 * acquire Lambda and the worker use, with AWS's wire shapes (AWS JSON), so the real clients run,
 * and what AWS does that a kind stand-in would not (PoolBehaviour): RunTask failures[], slow or
 * endless provisioning, desiredStatus semantics, message retention and visibility, lost polls.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { childEnv } from "../core/config.ts";
import { StatesError } from "../core/errors.ts";
import type { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";
import { workerLaunch } from "../workflows/engine/worker-launch.ts";
import type { RecordedRequest } from "./emulators.ts";
import { ReadyQueues } from "./ready-queues.ts";

export interface Task {
  taskArn: string;
  cluster: string;
  startedBy: string;
  taskDefinitionArn: string;
  /** ECS's lifecycle as far as the worker sees it: PROVISIONING (no instance yet), PENDING (image pull), RUNNING, STOPPED. */
  lastStatus: "PROVISIONING" | "PENDING" | "RUNNING" | "STOPPED";
  child?: ChildProcess;
  createdAt: number;
  /** When provisioning ends (the stand-in's clock); Infinity: never (a task stuck in PROVISIONING). */
  readyAt: number;
  startedAt?: number;
  tags: Array<{ key: string; value: string }>;
  exitCode?: number | null;
  /** The end of the worker's stderr (its JSON log lines: ids, timings), for a task that stopped. */
  stderrTail?: string;
  stopRequested?: boolean;
  /** When the task stopped (its worker exited, or StopTask), on the stand-in's clock. */
  stoppedAt?: number;
}

/**
 * What ECS, SQS and Step Functions do that a kind stand-in would not (each a drill's lever):
 * `capacity` tasks at most can be placed (RunTask answers failures[] beyond it; 0 is a g5
 * quota of 0); each task provisions for `provisioningMs(n)` (its n-th RunTask; Infinity: it
 * never leaves PROVISIONING); a ready queue drops a message `retentionSeconds` after it was
 * sent (SQS MessageRetentionPeriod); the next `emptyPolls` GetActivityTask calls answer empty
 * although a task is scheduled (a lost poll); `now` is the clock (a drill's is simulated);
 * `spawnWorkers: false` marks a task RUNNING without starting a worker process.
 */
export interface PoolBehaviour {
  capacity?: number;
  provisioningMs?: (n: number) => number;
  retentionSeconds?: number;
  visibilitySeconds?: number;
  emptyPolls?: number;
  now?: () => number;
  spawnWorkers?: boolean;
}

/** ECS's default answer when no container instance can take a task. */
export const noCapacityReason = "RESOURCE:GPU";

/** What a RunTask needs to start a worker: the environment of the container, or undefined (no such task definition). */
export type Launcher = (taskDefinitionArn: string, taskArn: string) => Record<string, string> | undefined;

/** One generate state's timeline, for the drills' checks. */
export interface ActivityRun {
  scheduledAt: number;
  startedAt?: number;
  lastBeatAt?: number;
  endedAt?: number;
  error?: string;
}

export class GpuPool {
  readonly tasks: Task[] = [];
  private readonly activityTasks = new Map<string, Array<{ taskToken: string; input: string; run: ActivityRun }>>();
  private readonly pollers = new Map<string, Array<(t: { taskToken: string; input: string; run: ActivityRun }) => void>>();
  readonly activityRuns = new Map<string, ActivityRun[]>();
  /** Set once the front door's address is known. */
  launcher: Launcher | undefined;
  private runTasks = 0;

  private readonly now: () => number;
  private readonly readyQueues: ReadyQueues;
  private emptyPolls: number;
  private readonly envs = new Map<string, Record<string, string>>();

  /** `provisioningDelayMs`: the first RunTask's task starts this late (an instance launched from zero, the image pulled). */
  constructor(
    private readonly broker: TaskTokenBroker,
    private readonly provisioningDelayMs = 0,
    private readonly behaviour: PoolBehaviour = {},
  ) {
    this.now = behaviour.now ?? Date.now;
    this.emptyPolls = behaviour.emptyPolls ?? 0;
    this.readyQueues = new ReadyQueues(this.now, behaviour);
  }

  /** Tasks whose provisioning has ended by the clock start (a simulated clock moves only when a drill moves it). */
  private advance(): void {
    for (const t of this.tasks)
      if (t.lastStatus === "PROVISIONING" && t.readyAt <= this.now()) void this.start(t, this.envs.get(t.taskArn)!);
  }

  /** ECS (AWS JSON 1.1, AmazonEC2ContainerServiceV20141113.*). */
  ecs(operation: string, body: Record<string, any>): { status: number; payload: Record<string, unknown> } {
    this.advance();
    if (operation === "RunTask") {
      const taskArn = `${String(body.cluster).replace(":cluster/", ":task/")}/${randomUUID().replace(/-/g, "")}`;
      const env = this.launcher?.(String(body.taskDefinition), taskArn);
      if (!env) return { status: 400, payload: { __type: "ClientException", message: `TaskDefinition not found: ${body.taskDefinition}` } };
      const placed = this.tasks.filter((t) => t.lastStatus !== "STOPPED").length;
      if (this.behaviour.capacity !== undefined && placed >= this.behaviour.capacity) {
        // As ECS: HTTP 200, no task, the reason in failures[] (RunTask places nothing and says why).
        this.runTasks++;
        return { status: 200, payload: { tasks: [], failures: [{ arn: String(body.taskDefinition), reason: noCapacityReason }] } };
      }
      const n = this.runTasks++;
      const delay = this.behaviour.provisioningMs?.(n) ?? (n === 0 ? this.provisioningDelayMs : 0);
      const task: Task = {
        taskArn,
        cluster: String(body.cluster),
        startedBy: String(body.startedBy ?? ""),
        taskDefinitionArn: String(body.taskDefinition),
        lastStatus: "PROVISIONING",
        createdAt: this.now(),
        readyAt: this.now() + delay,
        tags: (body.tags ?? []) as Task["tags"],
      };
      this.tasks.push(task);
      this.envs.set(taskArn, env);
      // On the real clock the task starts by itself when its provisioning ends; a drill's clock moves it at its next call.
      if (!this.behaviour.now && Number.isFinite(delay)) setTimeout(() => void this.start(task, env), delay).unref();
      return {
        status: 200,
        payload: {
          tasks: [
            {
              taskArn: task.taskArn,
              lastStatus: task.lastStatus,
              desiredStatus: "RUNNING",
              startedBy: task.startedBy,
              taskDefinitionArn: task.taskDefinitionArn,
            },
          ],
          failures: [],
        },
      };
    }
    if (operation === "ListTasks") {
      // As ECS: a desired status is RUNNING or STOPPED; a task still provisioning or pending
      // has desired status RUNNING, so PENDING (a lastStatus only) lists none.
      const want = String(body.desiredStatus ?? "RUNNING");
      if (!["RUNNING", "PENDING", "STOPPED"].includes(want))
        return { status: 400, payload: { __type: "InvalidParameterException", message: `desiredStatus ${want} is not valid` } };
      const arns = this.tasks
        .filter((t) => t.cluster === String(body.cluster) && (!body.startedBy || t.startedBy === body.startedBy))
        .filter((t) => (want === "STOPPED" ? t.lastStatus === "STOPPED" : want === "RUNNING" ? t.lastStatus !== "STOPPED" : false))
        .map((t) => t.taskArn);
      return { status: 200, payload: { taskArns: arns } };
    }
    if (operation === "DescribeTasks") {
      const found = this.tasks.filter((t) => ((body.tasks ?? []) as string[]).includes(t.taskArn));
      return {
        status: 200,
        payload: {
          tasks: found.map((t) => ({
            taskArn: t.taskArn,
            lastStatus: t.lastStatus,
            startedBy: t.startedBy,
            taskDefinitionArn: t.taskDefinitionArn,
            desiredStatus: t.lastStatus === "STOPPED" ? "STOPPED" : "RUNNING",
            createdAt: t.createdAt / 1000,
            ...(t.startedAt ? { startedAt: t.startedAt / 1000 } : {}),
            ...(body.include?.includes("TAGS") ? { tags: t.tags } : {}),
          })),
          failures: [],
        },
      };
    }
    if (operation === "TagResource" || operation === "UntagResource") {
      const task = this.tasks.find((t) => t.taskArn === body.resourceArn);
      if (!task) return { status: 400, payload: { __type: "InvalidParameterException", message: "The specified resource is not found." } };
      const keys = new Set(
        operation === "TagResource" ? ((body.tags ?? []) as Task["tags"]).map((t) => t.key) : ((body.tagKeys ?? []) as string[]),
      );
      task.tags = [...task.tags.filter((t) => !keys.has(t.key)), ...(operation === "TagResource" ? (body.tags as Task["tags"]) : [])];
      return { status: 200, payload: {} };
    }
    if (operation === "StopTask") {
      const task = this.tasks.find((t) => t.taskArn === body.task);
      if (!task) return { status: 400, payload: { __type: "InvalidParameterException", message: "The referenced task was not found." } };
      this.stop(task);
      return { status: 200, payload: { task: { taskArn: task.taskArn, lastStatus: task.lastStatus } } };
    }
    return { status: 400, payload: { __type: "UnsupportedOperation", message: `${operation} is not in the ECS stand-in` } };
  }

  private async start(task: Task, env: Record<string, string>): Promise<void> {
    if (task.lastStatus !== "PROVISIONING") return;
    task.lastStatus = "PENDING";
    if (this.behaviour.spawnWorkers === false) {
      task.startedAt = this.now();
      task.lastStatus = "RUNNING";
      return;
    }
    const launch = await workerLaunch();
    if (task.lastStatus !== "PENDING") return;
    // No IPC channel: the worker runs as in ECS, on its task role's credentials and the endpoints.
    const child = spawn(process.execPath, [...launch.execArgv, launch.entry], { env: childEnv(env), stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (d: Buffer) => (task.stderrTail = ((task.stderrTail ?? "") + d.toString("utf8")).slice(-1500)));
    task.child = child;
    task.startedAt = Date.now();
    task.lastStatus = "RUNNING";
    child.once("exit", (code, signal) => {
      task.exitCode = code;
      task.lastStatus = "STOPPED";
      task.stoppedAt ??= this.now();
      // Said at once: an Acquire waiting on a worker that died would otherwise wait out its budget silently.
      if (code !== 0 && !task.stopRequested)
        process.stderr.write(
          `rehearsal: ECS task ${task.taskArn.split("/").pop()} exited (${code ?? signal}): ${(task.stderrTail ?? "").trim().split("\n").slice(-3).join(" | ").slice(0, 600)}\n`,
        );
    });
  }

  private stop(task: Task): void {
    task.stopRequested = true;
    task.lastStatus = "STOPPED";
    task.stoppedAt ??= this.now();
    if (task.child && task.child.exitCode === null && task.child.signalCode === null) task.child.kill("SIGKILL");
  }

  /** SQS (AWS JSON 1.0, AmazonSQS.*): the ready queues (ready-queues.ts), on this pool's clock. */
  sqs(operation: string, body: Record<string, any>, closed: () => boolean): Promise<{ status: number; payload: Record<string, unknown> }> {
    return this.readyQueues.call(operation, body, closed);
  }

  /** GetActivityTask: a scheduled task of the activity, or none after 60 s (AWS's long poll). */
  getActivityTask(activityArn: string, closed: () => boolean): Promise<Record<string, unknown>> {
    if (this.emptyPolls > 0) {
      // A lost poll: it comes back empty although a task is scheduled (the task stays scheduled).
      this.emptyPolls--;
      return Promise.resolve({});
    }
    const waiting = this.activityTasks.get(activityArn)?.shift();
    if (waiting) return Promise.resolve(this.deliver(waiting));
    return new Promise((resolve) => {
      const list = this.pollers.get(activityArn) ?? [];
      this.pollers.set(activityArn, list);
      const take = (t: { taskToken: string; input: string; run: ActivityRun }) => {
        clearInterval(timer);
        resolve(this.deliver(t));
      };
      list.push(take);
      const until = Date.now() + 60_000;
      const timer = setInterval(() => {
        if (Date.now() < until && !closed()) return;
        clearInterval(timer);
        const i = list.indexOf(take);
        if (i >= 0) list.splice(i, 1);
        resolve({});
      }, 250);
    });
  }

  private deliver(t: { taskToken: string; input: string; run: ActivityRun }): Record<string, unknown> {
    t.run.startedAt = Date.now();
    return { taskToken: t.taskToken, input: t.input };
  }

  /**
   * A generate state as Step Functions runs an activity task: scheduled for the activity's
   * pollers, failed with States.HeartbeatTimeout when HeartbeatSeconds pass with no
   * SendTaskHeartbeat (counted from scheduling, the stricter reading) and States.Timeout at
   * TimeoutSeconds; the token is dead after either, so a late answer is TaskTimedOut.
   */
  runActivity(state: string, activityArn: string, input: unknown, heartbeatSeconds: number, timeoutSeconds: number): Promise<unknown> {
    const run: ActivityRun = { scheduledAt: Date.now() };
    const runs = this.activityRuns.get(state) ?? [];
    runs.push(run);
    this.activityRuns.set(state, runs);
    return new Promise((resolve, reject) => {
      let beat: NodeJS.Timeout | undefined;
      const end = (err: StatesError | undefined, output?: unknown) => {
        clearTimeout(beat);
        clearTimeout(overall);
        run.endedAt = Date.now();
        const list = this.activityTasks.get(activityArn);
        const i = list?.findIndex((t) => t.taskToken === token) ?? -1;
        if (i >= 0) list!.splice(i, 1);
        this.broker.close(token);
        if (err) {
          run.error = err.name;
          reject(err);
        } else resolve(output);
      };
      const armBeat = () => {
        clearTimeout(beat);
        beat = setTimeout(
          () =>
            end(new StatesError("States.HeartbeatTimeout", JSON.stringify({ state, reason: `no heartbeat for ${heartbeatSeconds} s` }))),
          heartbeatSeconds * 1000,
        );
      };
      const token = this.broker.issue({
        heartbeat: () => {
          run.lastBeatAt = Date.now();
          armBeat();
        },
        succeed: (output) => end(undefined, output),
        fail: (error, cause) => end(new StatesError(error, cause)),
      });
      const overall = setTimeout(
        () => end(new StatesError("States.Timeout", JSON.stringify({ state, reason: `${timeoutSeconds} s` }))),
        timeoutSeconds * 1000,
      );
      armBeat();
      const task = { taskToken: token, input: JSON.stringify(input), run };
      const poller = this.pollers.get(activityArn)?.shift();
      if (poller) poller(task);
      else this.activityTasks.set(activityArn, [...(this.activityTasks.get(activityArn) ?? []), task]);
    });
  }

  /** The task metadata endpoint (v4) of a task: `GET <uri>/task`. */
  metadata(path: string): Record<string, unknown> | undefined {
    const id = /^\/ecs-metadata\/([0-9a-f]+)\/task$/.exec(path)?.[1];
    const task = id ? this.tasks.find((t) => t.taskArn.endsWith(`/${id}`)) : undefined;
    return task ? { TaskARN: task.taskArn, Cluster: task.cluster, KnownStatus: task.lastStatus } : undefined;
  }

  /** Every worker stopped (the rehearsal's end). */
  close(): void {
    for (const t of this.tasks) this.stop(t);
  }
}

/** Reads a request's JSON body. */
export function readJson(req: IncomingMessage): Promise<Record<string, any>> {
  return new Promise((resolve) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d));
    req.on("end", () => {
      try {
        resolve(JSON.parse(raw || "{}") as Record<string, any>);
      } catch {
        resolve({});
      }
    });
  });
}

/** Answers in AWS JSON. */
export function answerJson(
  res: ServerResponse,
  record: RecordedRequest,
  status: number,
  payload: Record<string, unknown>,
  version = "1.0",
): void {
  record.status = status;
  if (!res.writableEnded) res.writeHead(status, { "content-type": `application/x-amz-json-${version}` }).end(JSON.stringify(payload));
}
