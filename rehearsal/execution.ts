/**
 * The deployed definition (the synthesized ASL, real ARNs) run by the library the local
 * engine runs on (aws-local-stepfunctions): every Lambda state runs its bundled handler
 * (rehearsal/run.ts) with the stack's environment against the emulators, and every hosted
 * call goes to the recording Bedrock/OpenRouter stand-ins. GPU states start the worker the way
 * ECS would (startTaskAsEcs), with stories260K standing in for each model file.
 */
import { withTimerRange } from "../workflows/engine/local-engine.ts";
import { contextObject } from "../workflows/engine/context-object.ts";
import "../workflows/engine/polyfill.ts";
import { StateMachine } from "aws-local-stepfunctions";
import { StatesError } from "../core/errors.ts";
import type { DeployedFunction } from "../infra/permissions.ts";
import { collectTaskStates } from "../workflows/definition.ts";
import { startRecordingProviders, type RecordingProviders } from "../workflows/recording-providers.ts";
import { spawnWorker } from "../workflows/engine/worker-supervisor.ts";
import type { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";
import type { GpuStage } from "../core/state-names.ts";
import type { Bundle } from "./bundle.ts";
import type { AwsCall } from "./evaluate.ts";
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
  providers: RecordingProviders["requests"];
}

export interface EcsStandIn {
  broker: TaskTokenBroker;
  /** The emulators' door: S3, DynamoDB and the Step Functions endpoint the worker answers on. */
  endpoints: string;
  /** Host folder mounted at the task definition's /models (stories260K under each model's file name). */
  modelsDir: string;
  /** What the image sets (its Dockerfile ENV and the registry it copies), as paths on this machine. */
  imageEnv: Record<string, string>;
  /**
   * A `lambda:invoke.waitForTaskToken` state's function has returned and the task waits for
   * SendTask* (AttorneyReview): whoever answers it in AWS answers it here (the bundled API).
   */
  onTaskWaiting?: (state: string) => void;
}

/** The access key the worker task signs with (its task role, WorkerTaskRole). */
export const workerAccessKey = "AKIAREHEARSALWORKER";

/**
 * `ecs:runTask.waitForTaskToken` as ECS runs it: the task definition's container, its
 * environment with the state's ContainerOverrides on top, and the task token the state sent;
 * the worker answers with SendTask* on the Step Functions endpoint, which resolves the state.
 */
async function startTaskAsEcs(s: Synthesized, input: unknown, timeoutSeconds: number, heartbeatSeconds: number, ecs: EcsStandIn): Promise<unknown> {
  const params = input as { TaskDefinition: string; Overrides: { ContainerOverrides: Array<{ Name: string; Environment: Array<{ Name: string; Value: string }> }> } };
  const taskDef = s.worker.taskDefinitions.find((t) => t.state.arn === params.TaskDefinition);
  if (!taskDef) throw new StatesError("ECS.InvalidParameterException", `no task definition ${params.TaskDefinition}`);
  const container = JSON.parse(taskDef.inputs.containerDefinitions)[0] as { name: string; environment: Array<{ name: string; value: string }> };
  const override = params.Overrides.ContainerOverrides.find((c) => c.Name === container.name);
  if (!override) throw new StatesError("ECS.InvalidParameterException", `the overrides name no container ${container.name}`);
  const env: Record<string, string> = {
    ...ecs.imageEnv,
    ...Object.fromEntries(container.environment.map((e) => [e.name, e.value])),
    ...Object.fromEntries(override.Environment.map((e) => [e.Name, String(e.Value)])),
    // This machine's differences from a g5 task: no CUDA, the host folder for the /models volume, the emulators.
    AFFIANT_GPU: "cpu",
    AFFIANT_MODELS_DIR: ecs.modelsDir,
    AWS_ENDPOINT_URL_S3: ecs.endpoints,
    AWS_ENDPOINT_URL_DYNAMODB: ecs.endpoints,
  };
  return spawnWorker({
    stage: env.AFFIANT_STAGE as GpuStage,
    env,
    timeoutSeconds,
    heartbeatSeconds,
    taskToken: { broker: ecs.broker, sfnEndpoint: ecs.endpoints, credentials: { accessKeyId: workerAccessKey, secretAccessKey: "rehearsal" } },
  });
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
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const hosted = { AFFIANT_BEDROCK_ENDPOINT: providers.env.AFFIANT_BEDROCK_ENDPOINT!, AFFIANT_OPENROUTER_BASE_URL: providers.env.AFFIANT_OPENROUTER_BASE_URL! };
  for (const [name, state] of collectTaskStates(s.definition)) {
    if (String(state.Resource).includes(":ecs:runTask")) {
      handlers[name] = async (input) => {
        states.push(name);
        try {
          const metrics = await startTaskAsEcs(s, input, Number(state.TimeoutSeconds), Number(state.HeartbeatSeconds), ecs);
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
        states.push(name);
        const params = input as { FunctionName: string; Payload: Record<string, unknown> };
        const fn = byArn.get(params.FunctionName);
        const bundle = fn ? bundles[fn] : undefined;
        if (!fn || !bundle) throw new StatesError("Lambda.ResourceNotFoundException", `no bundled function for ${params.FunctionName}`);
        let taskToken = "";
        const answered = new Promise<unknown>((resolve, reject) => {
          taskToken = ecs.broker.issue({ heartbeat: () => undefined, succeed: resolve, fail: (error, cause) => reject(new StatesError(error, cause)) });
        });
        await runBundledHandler(bundle, s, fn, { ...params.Payload, taskToken }, endpoints, { ...extraEnv, ...hosted });
        ecs.onTaskWaiting?.(name);
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
      states.push(name);
      const params = input as { FunctionName: string; Payload: unknown };
      const fn = byArn.get(params.FunctionName);
      const bundle = fn ? bundles[fn] : undefined;
      if (!fn || !bundle) throw new StatesError("Lambda.ResourceNotFoundException", `no bundled function for ${params.FunctionName}`);
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
    return { status: "SUCCEEDED", output, results, states, failures, providers: providers.requests };
  } catch (err) {
    const e = err as Error & { cause?: unknown };
    return { status: "FAILED", error: `${e.name}: ${e.message}`.slice(0, 400), results, states, failures, providers: providers.requests };
  } finally {
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
    const resource = profile ? `arn:aws:bedrock:${region}:${account}:inference-profile/${id}` : `arn:aws:bedrock:${region}::foundation-model/${id}`;
    if (!fn) {
      calls.push({ caller: `unknown signer ${akid}`, principal: `arn:aws:iam::${account}:role/unknown`, identityPolicies: [], action: "bedrock:InvokeModel", resource });
      continue;
    }
    const role = s.functionRoles[fn];
    calls.push({ caller: `Fn ${fn} (recorded)`, principal: role.arn, identityPolicies: [{ name: `${fn}-role-policy`, policy: role.policy }], action: "bedrock:InvokeModel", resource });
  }
  return calls;
}
