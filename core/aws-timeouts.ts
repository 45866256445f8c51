/**
 * Bounds on every AWS SDK call the worker and the functions make. The SDK's default is no
 * request timeout at all: a call to an endpoint that accepts the connection and never
 * answers waits forever, and a worker waiting on it holds its GPU. These settings go into
 * each client's constructor (`{ ...awsClientTimeouts() }`).
 */
export interface AwsClientTimeouts {
  requestHandler: { connectionTimeout: number; requestTimeout: number };
  maxAttempts: number;
}

/** Defaults: 3 s to connect, 10 s per request, 3 attempts. `requestTimeoutMs` overrides the second. */
export function awsClientTimeouts(requestTimeoutMs = 10_000): AwsClientTimeouts {
  return { requestHandler: { connectionTimeout: 3_000, requestTimeout: requestTimeoutMs }, maxAttempts: 3 };
}
