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

/**
 * iam-simulate matches variable condition keys only in the `prefix/<name>` form
 * (`aws:PrincipalTag/<tag>`): it drops `kms:EncryptionContext:<key>` from the request as
 * unknown, so every grant that names a sealed kind's purpose would read as denied. Both
 * sides are renamed to a slash-variable global key it does evaluate, operator and values
 * untouched, so the comparison is the one KMS makes. No policy here uses principal tags.
 */
const encryptionContextKey = /^kms:EncryptionContext:(.+)$/i;
const evaluable = (key: string) => key.replace(encryptionContextKey, "aws:PrincipalTag/kms-encryption-context-$1");

function evaluablePolicy<T>(policy: T): T {
  const doc = structuredClone(policy) as { Statement?: unknown };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  for (const st of statements as Array<{ Condition?: Record<string, Record<string, unknown>> }>) {
    for (const [op, keys] of Object.entries(st.Condition ?? {})) {
      st.Condition![op] = Object.fromEntries(Object.entries(keys).map(([k, v]) => [evaluable(k), v]));
    }
  }
  return doc as T;
}

export async function evaluateCall(call: AwsCall, accountId: string): Promise<CallVerdict> {
  const context = Object.fromEntries(Object.entries(call.context ?? {}).map(([k, v]) => [evaluable(k), v]));
  const simulation: Simulation = {
    identityPolicies: call.identityPolicies.map((p) => ({ ...p, policy: evaluablePolicy(p.policy) })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(call.resourcePolicy ? { resourcePolicy: evaluablePolicy(call.resourcePolicy) } : {}),
    request: {
      principal: call.principal,
      action: call.action,
      resource: { resource: call.resource, accountId },
      contextVariables: { "aws:SecureTransport": "true", ...context },
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
    const a = response.result.analysis as unknown as Record<
      string,
      | { denyStatements?: Array<{ explain?: { identifier?: string } }>; allowStatements?: Array<{ explain?: { identifier?: string } }> }
      | undefined
    >;
    const ids = (kind: "denyStatements" | "allowStatements") =>
      Object.entries(a ?? {})
        .filter(([k]) => k.endsWith("Analysis"))
        .flatMap(([k, v]) => (v?.[kind] ?? []).map((s) => `${k.replace("Analysis", "")}:${s.explain?.identifier ?? "?"}`));
    const deny = ids("denyStatements");
    detail = deny.length
      ? `denied by ${deny.join(", ")}`
      : result === "Allowed"
        ? `allowed by ${ids("allowStatements").join(", ")}`
        : "no statement allows it";
  }
  return { call, result, ok, detail };
}
