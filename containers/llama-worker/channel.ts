/**
 * How the worker talks to whoever started it. Locally the engine forks it and listens on
 * IPC; in ECS, Step Functions started it with a task token and the worker answers with
 * SendTaskHeartbeat / SendTaskSuccess / SendTaskFailure. The stage code never knows which.
 */
import type { SFNClient } from "@aws-sdk/client-sfn";
import { awsClientTimeouts } from "../../core/aws-timeouts.ts";
import { config } from "../../core/config.ts";
import { log } from "../../core/log.ts";
import type { StageMetrics } from "../../core/stages/report.ts";
import { killSelf } from "./lifeline.ts";

/** How far a stage has come: what a heartbeat carries (ids and counts only). */
export interface Progress {
  phase: "start" | "plan" | "load" | "prompt" | "generate";
  /** Output tokens so far. */
  tokens: number;
  tokensPerSecond: number;
  loadProgress?: number;
  /** Prompt tokens evaluated so far (phase "prompt"). */
  promptTokens?: number;
}

export interface TaskChannel {
  heartbeat(progress: Progress): Promise<void>;
  succeed(metrics: StageMetrics): Promise<void>;
  fail(error: string, cause: string): Promise<void>;
}

/** Messages on the local IPC channel, engine side and worker side. */
export type WorkerMessage =
  | { type: "heartbeat"; progress: Progress }
  | { type: "success"; metrics: StageMetrics }
  | { type: "failure"; error: string; cause: string }
  /** A worker started by an Acquire state has its model loaded and waits for the task. */
  | { type: "loaded"; model: string; loadMs: number };

/** Engine to worker: a warm model worker's next task, as the whole environment a cold worker would get. */
export type EngineMessage = { type: "assign"; env: NodeJS.ProcessEnv };

export class IpcChannel implements TaskChannel {
  private send(message: WorkerMessage): Promise<void> {
    return new Promise((resolve) => {
      if (!process.send || !process.connected) return resolve();
      process.send(message, undefined, {}, () => resolve());
    });
  }
  heartbeat(progress: Progress) {
    return this.send({ type: "heartbeat", progress });
  }
  succeed(metrics: StageMetrics) {
    return this.send({ type: "success", metrics });
  }
  fail(error: string, cause: string) {
    return this.send({ type: "failure", error, cause });
  }
}

const taskGone = new Set(["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"]);

export interface SfnChannelOptions {
  taskToken: string;
  /** Default: the SDK's own resolution (AWS_REGION etc.); `AFFIANT_SFN_ENDPOINT` overrides. */
  client?: SFNClient;
}

export class SfnChannel implements TaskChannel {
  /**
   * The SDK, imported when the channel opens (in ECS, at the process's start, so a failure's
   * report never waits on a module load); a worker under the local engine never loads it.
   */
  private readonly sdk = import("@aws-sdk/client-sfn");
  private readonly client: Promise<SFNClient>;
  constructor(private readonly options: SfnChannelOptions) {
    this.client = options.client
      ? Promise.resolve(options.client)
      : this.sdk.then(
          ({ SFNClient }) =>
            new SFNClient({
              ...awsClientTimeouts(),
              ...(config().AFFIANT_SFN_ENDPOINT ? { endpoint: config().AFFIANT_SFN_ENDPOINT } : {}),
            }),
        );
  }
  async heartbeat(): Promise<void> {
    try {
      const { SendTaskHeartbeatCommand } = await this.sdk;
      await (await this.client).send(new SendTaskHeartbeatCommand({ taskToken: this.options.taskToken }));
    } catch (err) {
      // Step Functions has already ended this task (timed out, stopped, or its execution
      // ended): the fallback runs elsewhere, so this GPU is freed now, not at the task's limits.
      if (taskGone.has((err as Error).name)) {
        log("warn", "worker.task_gone", { stage: config().AFFIANT_STAGE ?? null, error: (err as Error).name });
        killSelf();
      }
      throw err;
    }
  }
  async succeed(metrics: StageMetrics): Promise<void> {
    // All the metrics (ids and numbers only): the state's ResultSelector keeps just the
    // report in the execution state; the task's output in the history keeps the rest.
    const { SendTaskSuccessCommand } = await this.sdk;
    await (await this.client).send(new SendTaskSuccessCommand({ taskToken: this.options.taskToken, output: JSON.stringify(metrics) }));
  }
  async fail(error: string, cause: string): Promise<void> {
    const { SendTaskFailureCommand } = await this.sdk;
    await (await this.client).send(
      new SendTaskFailureCommand({ taskToken: this.options.taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32768) }),
    );
  }
}
