/**
 * One AWS call, judged the way IAM would: `@cloud-copilot/iam-simulate` with the caller's
 * identity policy and the resource's policy (bucket policy, key policy). AGPL-3.0: a
 * devDependency of the rehearsal only, never imported by anything that is deployed.
 */
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import type { PolicyDocument } from "./synth.ts";

export interface AwsCall {
  /** Who makes it, for the report: "Fn extract-documents", "state machine", "README: model upload". */
  caller: string;
  principal: string;
  identityPolicies: Array<{ name: string; policy: PolicyDocument }>;
  action: string;
  resource: string;
  resourcePolicy?: PolicyDocument;
  context?: Record<string, string | string[]>;
  /** Default: allowed. A call that must be refused (proves a condition or a Deny renders). */
  expect?: "allowed" | "denied";
  why?: string;
}

export interface CallVerdict {
  call: AwsCall;
  result: string;
  ok: boolean;
  /** Statement ids that decided, or the simulator's errors. */
  detail: string;
}

export async function evaluateCall(call: AwsCall, accountId: string): Promise<CallVerdict> {
  const simulation: Simulation = {
    identityPolicies: call.identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(call.resourcePolicy ? { resourcePolicy: call.resourcePolicy } : {}),
    request: {
      principal: call.principal,
      action: call.action,
      resource: { resource: call.resource, accountId },
      contextVariables: { "aws:SecureTransport": "true", ...call.context },
    },
  } as Simulation;
  const response = await runSimulation(simulation, {});
  if (response.resultType === "error") {
    return { call, result: "Error", ok: false, detail: JSON.stringify(response.errors).slice(0, 400) };
  }
  const result = response.overallResult;
  const expect = call.expect ?? "allowed";
  const ok = expect === "allowed" ? result === "Allowed" : result !== "Allowed";
  let detail = "";
  if (response.resultType === "single") {
    const a = response.result.analysis as unknown as Record<string, { denyStatements?: Array<{ explain?: { identifier?: string } }>; allowStatements?: Array<{ explain?: { identifier?: string } }> } | undefined>;
    const ids = (kind: "denyStatements" | "allowStatements") =>
      Object.entries(a ?? {})
        .filter(([k]) => k.endsWith("Analysis"))
        .flatMap(([k, v]) => (v?.[kind] ?? []).map((s) => `${k.replace("Analysis", "")}:${s.explain?.identifier ?? "?"}`));
    const deny = ids("denyStatements");
    detail = deny.length ? `denied by ${deny.join(", ")}` : result === "Allowed" ? `allowed by ${ids("allowStatements").join(", ")}` : "no statement allows it";
  }
  return { call, result, ok, detail };
}
