/**
 * The deployed definition (the synthesized ASL, real ARNs) run by the library the local
 * engine runs on (aws-local-stepfunctions): every Lambda state runs its bundled handler
 * (rehearsal/run.ts) with the stack's environment against the emulators, and every hosted
 * call goes to the recording Bedrock/OpenRouter stand-ins. A GPU stage's Acquire runs the
 * bundled acquire Lambda, which starts workers through the ECS stand-in and queues its token
 * on the model's ready queue (rehearsal/gpu-pool.ts); a worker answers it and polls its
 * model's activity, where the generate state is scheduled under its HeartbeatSeconds and
 * TimeoutSeconds. stories260K stands in for each model file.
 */

import { contextObject } from "../workflows/engine/context-object.ts";
import { withTimerRange } from "../workflows/engine/local-engine.ts";
import "../workflows/engine/polyfill.ts";
import { StateMachine } from "aws-local-stepfunctions";
import { StatesError } from "../core/errors.ts";
import type { DeployedFunction } from "../infra/permissions.ts";
import { collectTaskStates } from "../workflows/definition.ts";
import type { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";
import { type RecordingProviders, startRecordingProviders } from "../workflows/recording-providers.ts";
import type { Bundle } from "./bundle.ts";
import type { AwsCall } from "./evaluate.ts";
import type { GpuPool } from "./gpu-pool.ts";
import { accessKeyOf, runBundledHandler } from "./run.ts";
import { account, region, type Synthesized } from "./synth.ts";

export interface ExecutionRun {
  status: "SUCCEEDED" | "FAILED";
  output?: unknown;
  error?: string;
  /** Each state's result as the history would hold it. */
  results: Map<string, unknown>;
  /** States that ran, in order. */
  states: string[];
  /** GPU states that failed, with the error name (their Catch ran the fallback). */
  failures: Map<string, string>;
  /** When each task state was entered (its last entry), epoch ms. */
  enteredAt: Map<string, number>;
  providers: RecordingProviders["requests"];
}

export interface EcsStandIn {
  broker: TaskTokenBroker;
  /** ECS, the ready queues and the activities (rehearsal/gpu-pool.ts). */
  pool: GpuPool;
  /**
   * A `lambda:invoke.waitForTaskToken` state's function has returned and the task waits for
   * SendTask* (AttorneyReview): whoever answers it in AWS answers it here (the bundled API).
   */
  /** A callback task is waiting: its state and the Payload its Lambda was given (the round, the gate's verdict). */
  onTaskWaiting?: (state: string, payload: Record<string, unknown>) => void;
}

export async function runDeployedDefinition(
  s: Synthesized,
  bundles: Partial<Record<DeployedFunction, Bundle>>,
  endpoints: string,
  execution: { name: string; input: unknown },
  extraEnv: Record<string, string>,
  ecs: EcsStandIn,
): Promise<ExecutionRun> {
  const providers = await startRecordingProviders();
  const byArn = new Map(Object.entries(s.functionArns).map(([fn, arn]) => [arn, fn as DeployedFunction]));
  const results = new Map<string, unknown>();
  const failures = new Map<string, string>();
  const states: string[] = [];
  const enteredAt = new Map<string, number>();
  const background: Array<Promise<unknown>> = [];
  const enter = (name: string) => {
    states.push(name);
    enteredAt.set(name, Date.now());
  };
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const hosted = {
    AFFIANT_BEDROCK_ENDPOINT: providers.env.AFFIANT_BEDROCK_ENDPOINT!,
    AFFIANT_OPENROUTER_BASE_URL: providers.env.AFFIANT_OPENROUTER_BASE_URL!,
  };
  for (const [name, state] of collectTaskStates(s.definition)) {
    if (/^arn:aws:states:[^:]*:[^:]*:activity:/.test(String(state.Resource))) {
      handlers[name] = async (input) => {
        enter(name);
        try {
          const metrics = await ecs.pool.runActivity(
            name,
            String(state.Resource),
            input,
            Number(state.HeartbeatSeconds),
            Number(state.TimeoutSeconds),
          );
          results.set(name, metrics);
          return metrics;
        } catch (err) {
          failures.set(name, (err as Error).name);
          throw err;
        }
      };
      continue;
    }
    if (String(state.Resource).includes(":lambda:invoke.waitForTaskToken")) {
      // The callback pattern as Step Functions runs it: a token of its own in the payload,
      // the function's return ignored, the task's result whatever SendTaskSuccess carries.
      handlers[name] = async (input) => {
        enter(name);
        const params = input as { FunctionName: string; Payload: Record<string, unknown> };
        const fn = byArn.get(params.FunctionName);
        const bundle = fn ? bundles[fn] : undefined;
        if (!fn || !bundle) throw new StatesError("Lambda.ResourceNotFoundException", `no bundled function for ${params.FunctionName}`);
        let taskToken = "";
        // TimeoutSeconds as Step Functions enforces it (the Acquire's budget; AttorneyReview's window).
        let timer: NodeJS.Timeout | undefined;
        const answered = new Promise<unknown>((resolve, reject) => {
          taskToken = ecs.broker.issue({
            heartbeat: () => undefined,
            succeed: resolve,
            fail: (error, cause) => reject(new StatesError(error, cause)),
          });
          if (state.TimeoutSeconds) {
            timer = setTimeout(
              () => {
                ecs.broker.close(taskToken);
                reject(new StatesError("States.Timeout", JSON.stringify({ state: name, reason: `${state.TimeoutSeconds} s` })));
              },
              Math.min(Number(state.TimeoutSeconds) * 1000, 2 ** 31 - 1),
            ).unref();
          }
        });
        answered.finally(() => clearTimeout(timer)).catch(() => undefined);
        await runBundledHandler(bundle, s, fn, { ...params.Payload, taskToken }, endpoints, { ...extraEnv, ...hosted });
        ecs.onTaskWaiting?.(name, params.Payload as Record<string, unknown>);
        try {
          const output = await answered;
          results.set(name, output);
          return output;
        } catch (err) {
          failures.set(name, (err as Error).name);
          throw err;
        }
      };
      continue;
    }
    handlers[name] = async (input) => {
      enter(name);
      const params = input as { FunctionName: string; Payload: unknown; InvocationType?: string };
      const fn = byArn.get(params.FunctionName);
      const bundle = fn ? bundles[fn] : undefined;
      if (!fn || !bundle) throw new StatesError("Lambda.ResourceNotFoundException", `no bundled function for ${params.FunctionName}`);
      if (params.InvocationType === "Event") {
        // Queued by Lambda: the state gets 202 and an empty payload at once; the function's outcome is its own.
        const started = runBundledHandler(bundle, s, fn, params.Payload, endpoints, { ...extraEnv, ...hosted });
        background.push(
          started.then(
            (r) => results.set(name, r.result),
            (err: Error) => failures.set(name, err.name),
          ),
        );
        return { Payload: "", StatusCode: 202 };
      }
      const run = await runBundledHandler(bundle, s, fn, params.Payload, endpoints, { ...extraEnv, ...hosted });
      results.set(name, run.result);
      return { Payload: run.result, StatusCode: 200 };
    };
  }
  // The review window and the execution's timeout outrun setTimeout's range: clamped as the local engine clamps them.
  const machine = new StateMachine(withTimerRange(s.definition) as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const run = machine.run(execution.input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: contextObject({
      executionArn: `${s.stateMachine.arn.replace(":stateMachine:", ":execution:")}:${execution.name}`,
      executionName: execution.name,
      input: execution.input,
      taskToken: `rehearsal-${execution.name}`,
    }) as never,
  });
  try {
    const output = await run.result;
    return { status: "SUCCEEDED", output, results, states, failures, enteredAt, providers: providers.requests };
  } catch (err) {
    const e = err as Error & { cause?: unknown };
    return {
      status: "FAILED",
      error: `${e.name}: ${e.message}`.slice(0, 400),
      results,
      states,
      failures,
      enteredAt,
      providers: providers.requests,
    };
  } finally {
    await Promise.allSettled(background);
    await providers.close();
  }
}

/** The Bedrock calls the stand-in recorded, as IAM calls of the function that signed them. */
export function bedrockCalls(requests: RecordingProviders["requests"], s: Synthesized): AwsCall[] {
  const byKey = new Map(Object.keys(s.functionRoles).map((fn) => [accessKeyOf(fn as DeployedFunction), fn as DeployedFunction]));
  const calls: AwsCall[] = [];
  for (const r of requests.filter((x) => x.provider === "bedrock")) {
    const akid = /Credential=([^/]+)\//.exec(String(r.headers.authorization ?? ""))?.[1] ?? "";
    const fn = byKey.get(akid);
    const id = decodeURIComponent(/^\/model\/([^/]+)\//.exec(r.url)?.[1] ?? "");
    const profile = /^(us|eu|apac|global)\.(.+)$/.exec(id);
    const resource = profile
      ? `arn:aws:bedrock:${region}:${account}:inference-profile/${id}`
      : `arn:aws:bedrock:${region}::foundation-model/${id}`;
    if (!fn) {
      calls.push({
        caller: `unknown signer ${akid}`,
        principal: `arn:aws:iam::${account}:role/unknown`,
        identityPolicies: [],
        action: "bedrock:InvokeModel",
        resource,
      });
      continue;
    }
    const role = s.functionRoles[fn];
    calls.push({
      caller: `Fn ${fn} (recorded)`,
      principal: role.arn,
      identityPolicies: [{ name: `${fn}-role-policy`, policy: role.policy }],
      action: "bedrock:InvokeModel",
      resource,
    });
  }
  return calls;
}
