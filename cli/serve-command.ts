/**
 * `affiant serve [--port N] [--host H]`: the HTTP API, the run viewer and the Step
 * Functions endpoint on one local server. Always behind a token: AFFIANT_API_TOKEN, or one
 * generated at start and printed with the viewer's link, because the API hands out
 * declarations that hold real names and other local users (and web pages) can reach
 * loopback too. Binds loopback by default; beyond it, only over TLS.
 */

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { type ServerType, serve } from "@hono/node-server";
import type { Hono } from "hono";
import { createApp } from "../api/app.ts";
import { loadApiTokens } from "../api/auth.ts";
import { LocalExecutions } from "../api/local-executions.ts";
import { isLoopback } from "../api/loopback.ts";
import { guardOptionsFor } from "../api/request-guard.ts";
import { mountSfnEndpoint } from "../api/sfn-endpoint.ts";
import { mountViewer } from "../api/viewer.ts";
import { config } from "../core/config.ts";
import { describeError, InvalidInputError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { LocalEngine } from "../workflows/engine/local-engine.ts";
import { TaskTokenBroker } from "../workflows/engine/task-tokens.ts";
import { localUser } from "./run-command.ts";

export { isLoopback };

export interface ServeOptions {
  port: string;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  /** The origin users reach through a TLS proxy, e.g. https://affiant.example.org. */
  publicOrigin?: string;
  maxRunning?: string;
  /** Approve every execution at the AttorneyReview gate (demos, tests). */
  approve?: boolean;
}

/** A shorter token can be guessed; 24 characters of base64 is 144 bits. */
export const minTokenLength = 24;

/**
 * Node's defaults let a client hold a connection open for minutes without sending a
 * request; these bound what a slow or idle client can hold.
 */
export const serverLimits = {
  /** Headers must arrive whole within this (slowloris). */
  headersTimeoutMs: 10_000,
  /** A whole request, body included: a 50 MB upload at ~200 KB/s. */
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
  /** How often node checks the two timeouts above. */
  checkIntervalMs: 1_000,
  maxConnections: 128,
};

function httpOptions() {
  return {
    headersTimeout: serverLimits.headersTimeoutMs,
    requestTimeout: serverLimits.requestTimeoutMs,
    keepAliveTimeout: serverLimits.keepAliveTimeoutMs,
    connectionsCheckingInterval: serverLimits.checkIntervalMs,
  };
}

function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  port: number,
  hostname: string,
  tls?: { key: Buffer; cert: Buffer },
): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve, reject) => {
    const s = tls
      ? serve(
          { fetch, port, hostname, createServer: createHttpsServer, serverOptions: { ...httpOptions(), key: tls.key, cert: tls.cert } },
          (info) => resolve({ server: s, port: info.port }),
        )
      : serve({ fetch, port, hostname, serverOptions: httpOptions() }, (info) => resolve({ server: s, port: info.port }));
    (s as { maxConnections: number }).maxConnections = serverLimits.maxConnections;
    s.once("error", reject);
  });
}

export async function serveCommand(opts: ServeOptions): Promise<number> {
  let engine: LocalEngine | undefined;
  const servers: ServerType[] = [];
  try {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new InvalidInputError(`--port ${opts.port}: a port number from 0 to 65535`);
    const maxRunning = Number(opts.maxRunning ?? 4);
    if (!Number.isInteger(maxRunning) || maxRunning < 1 || maxRunning > 64)
      throw new InvalidInputError(`--max-running ${opts.maxRunning}: an integer from 1 to 64`);
    const given = config().AFFIANT_API_TOKEN;
    // Its length (at least 24 characters) is checked by core/config.ts.
    const token = given ?? randomBytes(32).toString("base64url");
    // Each token names its holder, the reviewer a decision is recorded under: the tokens file's
    // holders, and for AFFIANT_API_TOKEN (or the generated one) the user running this server.
    const tokensFile = config().AFFIANT_API_TOKENS_FILE;
    const tokens = new Map<string, string>(tokensFile ? loadApiTokens(tokensFile) : []);
    if (!tokens.has(token)) tokens.set(token, localUser());
    if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new InvalidInputError("--tls-cert and --tls-key go together");
    const tls = opts.tlsCert && opts.tlsKey ? { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) } : undefined;
    if (!isLoopback(opts.host) && !tls) {
      throw new InvalidInputError(
        `--host ${opts.host}: beyond this machine the token and declarations would cross the network in clear; give --tls-cert and --tls-key, or bind 127.0.0.1 behind a TLS proxy (README: "Serving beyond this machine")`,
      );
    }
    if (opts.publicOrigin !== undefined && !/^https:\/\/[^/]+$/.test(opts.publicOrigin))
      throw new InvalidInputError(`--public-origin ${opts.publicOrigin}: an https origin such as https://affiant.example.org (no path)`);

    let app: Hono | undefined;
    const fetch = (req: Request) => (app ? app.fetch(req) : new Response("starting", { status: 503 }));
    // Listen first: the engine's workers need the real port to reach /sfn.
    const main = await listen(fetch, port, opts.host, tls);
    servers.push(main.server);
    // Workers reach /sfn on a listener of their own, on plain loopback: a client filling the
    // main port's connection cap cannot cut a running execution's heartbeats, and with TLS
    // on the main port they would otherwise have to trust its certificate.
    const internal = await listen(fetch, 0, "127.0.0.1");
    servers.push(internal.server);
    const local = `http://127.0.0.1:${internal.port}`;

    const broker = new TaskTokenBroker();
    // The workers get their own key, good only for answering tasks: a worker's environment
    // (readable by anything it runs) never holds the API token.
    const worker = { accessKeyId: "affiant-worker", secretAccessKey: randomBytes(32).toString("base64url") };
    engine = new LocalEngine({ taskTokens: { broker, sfnEndpoint: `${local}/sfn`, credentials: worker } });
    const executions = new LocalExecutions({
      engine,
      maxRunning,
      approve: opts.approve ? { via: "serve --approve" } : undefined,
    });
    // Gates left waiting by earlier processes expire on time while this one serves.
    engine.reviews.watch();
    const definition = engine.definition;
    const guard = guardOptionsFor({ host: opts.host, port: main.port, tls: Boolean(tls), publicOrigin: opts.publicOrigin });
    for (const h of guardOptionsFor({ host: "127.0.0.1", port: internal.port, tls: false }).allowedHosts)
      (guard.allowedHosts as Set<string>).add(h);
    app = createApp({
      executions,
      auth: { kind: "bearer", tokens },
      guard,
      definition,
      mount: (a) => {
        mountSfnEndpoint(a, {
          executions,
          broker,
          definition,
          keys: new Map([
            ["affiant", token],
            [worker.accessKeyId, worker.secretAccessKey],
          ]),
          workerAccessKeyId: worker.accessKeyId,
        });
        mountViewer(a);
      },
    });
    const shown = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
    const base = `${tls ? "https" : "http"}://${shown}:${main.port}`;
    // The token goes to this terminal only (never the log file): it is the key to the API.
    process.stderr.write(
      `affiant serve: ${base}  (API, run viewer at /, Step Functions at /sfn)  bearer/SigV4 auth on\n` +
        `affiant serve: run viewer ${opts.publicOrigin ?? base}/#token=${given ? "<AFFIANT_API_TOKEN>" : token}\n`,
    );
    log("info", "serve.started", { port: main.port, tls: Boolean(tls), generatedToken: !given, namedTokens: tokens.size, maxRunning });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    process.stderr.write("affiant serve: stopping; running executions are recorded ABORTED\n");
    return 0;
  } catch (err) {
    const { name, message } = describeError(err);
    process.stderr.write(`affiant serve: ${name === InvalidInputError.errorName ? "" : `${name}: `}${message}\n`);
    return 1;
  } finally {
    for (const s of servers) s.close();
    engine?.dispose();
  }
}
