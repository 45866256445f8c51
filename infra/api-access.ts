/**
 * Who may call which API route in AWS. API Gateway authorises every route with IAM (SigV4),
 * and the review decision has a route of its own, so an identity policy decides separately
 * who may read executions, who may start them, and who may approve: three managed policies
 * an administrator attaches to people's roles (an attorney gets readers and reviewers). The
 * review route's caller is recorded as the reviewer (its IAM principal, api/auth.ts).
 */

/** The HTTP API's routes: the review decision apart from everything else. */
export const apiRoutes = {
  review: "POST /executions/{id}/review",
  other: "$default",
} as const;

export interface ApiAccessPolicy {
  Version: "2012-10-17";
  Statement: Array<{ Sid: string; Effect: "Allow"; Action: string[]; Resource: string[] }>;
}

/**
 * `apiArn`: `arn:aws:execute-api:<region>:<account>:<api id>`. Each route's resource is
 * `<apiArn>/<stage>/<METHOD>/<path>`; none of these policies reaches another's routes.
 */
export function apiAccessPolicies(apiArn: string): { readers: ApiAccessPolicy; operators: ApiAccessPolicy; reviewers: ApiAccessPolicy } {
  const invoke = (Sid: string, paths: string[]): ApiAccessPolicy => ({
    Version: "2012-10-17",
    Statement: [{ Sid, Effect: "Allow", Action: ["execute-api:Invoke"], Resource: paths.map((p) => `${apiArn}/*/${p}`) }],
  });
  return {
    // Executions, their declarations and review documents, the workflow: reading only.
    readers: invoke("ReadExecutions", ["GET/*"]),
    // Case files in, executions started; never a review decision.
    operators: invoke("StartCases", ["POST/cases", "POST/cases/*/executions"]),
    // The attorney's decision: the review route alone.
    reviewers: invoke("DecideReviews", ["POST/executions/*/review"]),
  };
}
