/**
 * `affiant serve [--port N] [--host H]`: the HTTP API, the run viewer and the Step
 * Functions endpoint on one local server. Binds loopback by default; a non-loopback
 * address is refused unless AFFIANT_API_TOKEN is set, because the API hands out
 * declarations that hold real names.
 */
import { serve, type ServerType } from "@hono/node-server";
import type { Hono } from "hono";
import { isIP } from "node:net";
import { createApp } from "../api/app.ts";
import { LocalExecutions } from "../api/local-executions.ts";
import { mountSfnEndpoint } from "../api/sfn-endpoint.ts";
import { mountViewer } from "../api/viewer.ts";
import { InvalidInputError, describeError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { LocalEngine } from "../workflows/engine/local-engine.ts";
import { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";

export interface ServeOptions {
  port: string;
  host: string;
}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

export async function serveCommand(opts: ServeOptions): Promise<number> {
  let engine: LocalEngine | undefined;
  let server: ServerType | undefined;
  try {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidInputError(`--port ${opts.port}: a port number from 0 to 65535`);
    const token = process.env.AFFIANT_API_TOKEN || undefined;
    if (!isLoopback(opts.host) && !token) {
      throw new InvalidInputError(`--host ${opts.host}: refusing to serve beyond this machine without AFFIANT_API_TOKEN (set it, or bind 127.0.0.1)`);
    }
    let app: Hono | undefined;
    // Listen first: the engine's workers need the real port to reach /sfn.
    const listening = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
      const s = serve({ fetch: (req) => (app ? app.fetch(req) : new Response("starting", { status: 503 })), port, hostname: opts.host }, (info) => resolve({ server: s, port: info.port }));
      s.once("error", reject);
    });
    server = listening.server;
    const local = `http://127.0.0.1:${listening.port}`;
    const broker = new TaskTokenBroker();
    engine = new LocalEngine({
      taskTokens: { broker, sfnEndpoint: `${local}/sfn`, credentials: { accessKeyId: "affiant", secretAccessKey: token ?? "local" } },
    });
    const executions = new LocalExecutions({ engine });
    const definition = engine.definition;
    app = createApp({
      executions,
      auth: token ? { kind: "bearer", token } : { kind: "none" },
      definition,
      mount: (a) => {
        mountSfnEndpoint(a, { executions, broker, definition, apiToken: token });
        mountViewer(a);
      },
    });
    const shown = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
    process.stderr.write(`affiant serve: http://${shown}:${listening.port}  (API, run viewer at /, Step Functions at /sfn)${token ? "  bearer/SigV4 auth on" : ""}\n`);
    log("info", "serve.started", { port: listening.port, auth: Boolean(token) });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    process.stderr.write("affiant serve: stopping; running executions are recorded ABORTED\n");
    return 0;
  } catch (err) {
    const { name, message } = describeError(err);
    process.stderr.write(`affiant serve: ${name === "Affiant.InvalidInput" ? "" : `${name}: `}${message}\n`);
    return 1;
  } finally {
    server?.close();
    engine?.dispose();
  }
}
