/**
 * One way to report a failed AWS document-service call (Textract, Comprehend, KMS): the
 * service, the action, the HTTP status and the SDK's error name, never the request body
 * (which holds case text or key material).
 */
import { type AffiantErrorFields, AwsServiceError } from "../core/errors.ts";

export interface AwsFailureDetails {
  status: number | "timeout" | "network";
  /** The service's exception name, e.g. `ThrottlingException`. */
  code: string;
}

export function awsFailureDetails(err: unknown): AwsFailureDetails {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const code = e?.name ?? "Error";
  const status = e?.$metadata?.httpStatusCode ?? (code === "TimeoutError" || code === "AbortError" ? "timeout" : "network");
  return { status, code };
}

/** An `AwsServiceError` naming the service (as `provider`) and the call that failed. */
export function awsServiceError(
  service: string,
  action: string,
  err: unknown,
  fields: AffiantErrorFields = {},
): InstanceType<typeof AwsServiceError> {
  const { status, code } = awsFailureDetails(err);
  const where = [fields.file, fields.page !== undefined ? `page ${fields.page}` : undefined].filter(Boolean).join(" ");
  return new AwsServiceError(
    `${fields.state ? `${fields.state}: ` : ""}${service} ${action} failed${where ? ` for ${where}` : ""} (${status}: ${code})`,
    { ...fields, provider: service },
    { cause: err },
  );
}
