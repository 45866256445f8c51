/**
 * A local HTTP server that speaks the AWS JSON 1.1 protocol (POST /, `X-Amz-Target:
 * <Service>.<Action>`, JSON bodies, errors as `{"__type": ...}`), so tests drive the real
 * AWS SDK v3 clients over real HTTP with only the endpoint overridden.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface AwsRequest {
  target: string;
  action: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** Thrown by a handler to answer with an AWS error. */
export class AwsErrorReply extends Error {
  constructor(
    readonly type: string,
    readonly status = 400,
    message = type,
  ) {
    super(message);
  }
}

export type AwsHandler = (body: Record<string, unknown>, request: AwsRequest) => unknown | Promise<unknown>;

export interface AwsJsonServer {
  url: string;
  requests: AwsRequest[];
  /** Replaces (or adds) the handler for one action. */
  on(action: string, handler: AwsHandler): void;
  close(): Promise<void>;
}

export async function startAwsJsonServer(handlers: Record<string, AwsHandler> = {}): Promise<AwsJsonServer> {
  const table = new Map(Object.entries(handlers));
  const requests: AwsRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const action = target.split(".").pop() ?? "";
      const reply = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(value));
      };
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        return reply(400, { __type: "SerializationException", message: "body is not JSON" });
      }
      const request = { target, action, headers: req.headers, body };
      requests.push(request);
      const handler = table.get(action);
      if (req.method !== "POST" || !handler) return reply(400, { __type: "UnknownOperationException", message: target });
      try {
        reply(200, (await handler(body, request)) ?? {});
      } catch (err) {
        if (err instanceof AwsErrorReply) return reply(err.status, { __type: err.type, message: err.message });
        reply(500, { __type: "InternalFailure", message: (err as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (action, handler) => void table.set(action, handler),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Sets env for the duration of `fn`, then restores it exactly. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** Static credentials and a region, so the SDK signs requests without any AWS setup. */
export const fakeAwsEnv = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDTEST",
  AWS_SECRET_ACCESS_KEY: "secret-test",
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
};
