/**
 * Whether every AWS API a component calls can be reached from where it runs. The VPC has
 * private subnets only: a GPU worker, a GPU instance or a Lambda placed in the VPC reaches a
 * service through its interface endpoint, the S3 and DynamoDB gateway endpoints, or a NAT
 * gateway, and through nothing else; IAM simulation allows a call that then times out. The
 * calls are the rehearsal's recorded and declared ones (rehearsal/calls.ts); the agents the
 * instance role's managed policies serve (ECS, Session Manager) are declared in
 * infra/network.ts. Lambdas outside the VPC, the state machine and people reach AWS directly.
 */
import { managedPolicyEndpoints } from "../infra/network.ts";
import type { AwsCall } from "./evaluate.ts";
import type { Synthesized } from "./synth.ts";

/** An IAM action's service prefix → the endpoint (interface or gateway) that carries the API. */
const endpointForPrefix: Record<string, string> = { ecr: "ecr.api", bedrock: "bedrock-runtime" };
export const endpointFor = (action: string): string => {
  const prefix = action.split(":")[0]!;
  return endpointForPrefix[prefix] ?? prefix;
};

/** Where a principal's code runs: in the VPC (with a name for the report) or outside it. */
export function placeOf(s: Synthesized, principal: string): { inVpc: boolean; component: string } | undefined {
  for (const [fn, role] of Object.entries(s.functionRoles))
    if (role.arn === principal) return { inVpc: s.table[fn as keyof typeof s.table].vpc, component: `Fn ${fn}` };
  const taskRoles = new Set(s.worker.taskDefinitions.map((t) => t.inputs.taskRoleArn as string));
  if (principal === s.worker.taskRoleArn || taskRoles.has(principal)) return { inVpc: true, component: "worker task" };
  if (principal === s.worker.instanceRoleArn) return { inVpc: true, component: "GPU instance" };
  return undefined;
}

export interface Reachability {
  /** The VPC's endpoints by service (`sqs`, `s3`…). */
  endpoints: Set<string>;
  nat: boolean;
  checked: number;
  /** "<component>: <action> (no <endpoint> endpoint)", one per component and action. */
  unreachable: string[];
  outside: number;
}

export function vpcEndpoints(s: Synthesized): Set<string> {
  return new Set(
    s.resources
      .filter((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint")
      .map((r) => String(r.inputs.serviceName).replace(/^com\.amazonaws\.[a-z0-9-]+\./, "")),
  );
}

/** Judges each call made from inside the VPC, plus the instance role's managed agents. */
export function judgeReachability(s: Synthesized, calls: AwsCall[], endpoints: Set<string> = vpcEndpoints(s)): Reachability {
  const nat = s.resources.some((r) => r.type === "aws:ec2/natGateway:NatGateway");
  const seen = new Set<string>();
  const unreachable: string[] = [];
  let outside = 0;
  const judge = (component: string, action: string, endpoint: string) => {
    const key = `${component}: ${action}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (!nat && !endpoints.has(endpoint)) unreachable.push(`${key} (no ${endpoint} endpoint)`);
  };
  for (const call of calls) {
    if (call.expect === "denied") continue;
    const place = placeOf(s, call.principal);
    if (!place?.inVpc) {
      outside++;
      continue;
    }
    // iam:PassRole is an authorisation of the RunTask call, not an API call of its own.
    if (call.action.startsWith("iam:")) continue;
    judge(place.component, call.action, endpointFor(call.action));
  }
  const instanceRole = s.resources.find((r) => r.type === "aws:iam/role:Role" && r.state.arn === s.worker.instanceRoleArn);
  for (const arn of (instanceRole?.inputs.managedPolicyArns ?? []) as string[]) {
    const needed = managedPolicyEndpoints[arn];
    if (!needed) {
      unreachable.push(`GPU instance: managed policy ${arn} has no declared endpoints (infra/network.ts managedPolicyEndpoints)`);
      continue;
    }
    for (const endpoint of needed) judge("GPU instance agent", `${arn.split("/").pop()} → ${endpoint}`, endpoint);
  }
  return { endpoints, nat, checked: seen.size, unreachable, outside };
}
