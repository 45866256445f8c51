/**
 * The deployed definition (the synthesized ASL, real ARNs) run by the library the local
 * engine runs on (aws-local-stepfunctions): every Lambda state runs its bundled handler
 * (rehearsal/run.ts) with the stack's environment against the emulators, and every hosted
 * call goes to the recording Bedrock/OpenRouter stand-ins. GPU states do not start the
 * worker here (see README, "Not yet rehearsed"): each fails as a task with no capacity would,
 * so its Catch runs the bundled fallback, which is the path every GPU failure in AWS takes.
 */
import "../workflows/engine/polyfill.ts";
import { StateMachine } from "aws-local-stepfunctions";
import { StatesError } from "../core/errors.ts";
import type { DeployedFunction } from "../infra/permissions.ts";
import { collectTaskStates } from "../workflows/definition.ts";
import { startRecordingProviders, type RecordingProviders } from "../workflows/recording-providers.ts";
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
  providers: RecordingProviders["requests"];
}

export async function runDeployedDefinition(
  s: Synthesized,
  bundles: Partial<Record<DeployedFunction, Bundle>>,
  endpoints: string,
  execution: { name: string; input: unknown },
  extraEnv: Record<string, string>,
): Promise<ExecutionRun> {
  const providers = await startRecordingProviders();
  const byArn = new Map(Object.entries(s.functionArns).map(([fn, arn]) => [arn, fn as DeployedFunction]));
  const results = new Map<string, unknown>();
  const states: string[] = [];
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const hosted = { AFFIANT_BEDROCK_ENDPOINT: providers.env.AFFIANT_BEDROCK_ENDPOINT!, AFFIANT_OPENROUTER_BASE_URL: providers.env.AFFIANT_OPENROUTER_BASE_URL! };
  for (const [name, state] of collectTaskStates(s.definition)) {
    if (String(state.Resource).includes(":ecs:runTask")) {
      handlers[name] = async () => {
        states.push(name);
        throw new StatesError("States.TaskFailed", JSON.stringify({ reason: "rehearsal: no GPU capacity (the worker is not started here)" }));
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
  const machine = new StateMachine(structuredClone(s.definition) as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const run = machine.run(execution.input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: {
      Execution: { Id: `${s.stateMachine.arn.replace(":stateMachine:", ":execution:")}:${execution.name}`, Name: execution.name, Input: execution.input, StartTime: new Date().toISOString() },
      Task: { Token: `rehearsal-${execution.name}` },
    } as never,
  });
  try {
    const output = await run.result;
    return { status: "SUCCEEDED", output, results, states, providers: providers.requests };
  } catch (err) {
    const e = err as Error & { cause?: unknown };
    return { status: "FAILED", error: `${e.name}: ${e.message}`.slice(0, 400), results, states, providers: providers.requests };
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
