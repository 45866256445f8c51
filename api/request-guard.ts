/**
 * Host and Origin checks for `affiant serve`, ahead of every route. A page in the user's
 * browser can reach a loopback server two ways: DNS rebinding (its own name resolving to
 * 127.0.0.1, so the browser treats our answers as same-origin: the Host header gives it
 * away) and a "simple" cross-site request such as a form post, which needs no preflight
 * (the Origin header gives it away). Both are refused before auth, body or routing.
 */
import os from "node:os";
import type { MiddlewareHandler } from "hono";
import { ForbiddenHostError, ForbiddenOriginError } from "../core/errors.ts";
import { errorResponse } from "./error-response.ts";
import { isLoopback } from "./loopback.ts";

export interface RequestGuardOptions {
  /** `host[:port]` values the Host header may carry, lower case. */
  allowedHosts: ReadonlySet<string>;
  /** Origins (`scheme://host[:port]`) a browser request may come from. */
  allowedOrigins: ReadonlySet<string>;
}

export interface ServedAt {
  /** The address bound (`127.0.0.1`, `0.0.0.0`, `::`, a name). */
  host: string;
  port: number;
  tls: boolean;
  /** Where users reach the server when a TLS proxy stands in front (`https://affiant.example.org`). */
  publicOrigin?: string;
}

/** The names this server answers to: loopback, the bound address, and with a wildcard bind every local address. */
export function guardOptionsFor(at: ServedAt): RequestGuardOptions {
  const names = new Set<string>(["127.0.0.1", "localhost", "[::1]"]);
  const bracket = (h: string) => (h.includes(":") ? `[${h}]` : h);
  if (!isLoopback(at.host)) {
    if (at.host === "0.0.0.0" || at.host === "::") {
      for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(bracket(a.address));
      names.add(os.hostname().toLowerCase());
    } else names.add(bracket(at.host.toLowerCase()));
  }
  const scheme = at.tls ? "https" : "http";
  const defaultPort = at.tls ? 443 : 80;
  const hosts = new Set<string>();
  const origins = new Set<string>();
  for (const n of names) {
    hosts.add(`${n}:${at.port}`);
    origins.add(`${scheme}://${n}:${at.port}`);
    if (at.port === defaultPort) {
      hosts.add(n);
      origins.add(`${scheme}://${n}`);
    }
  }
  if (at.publicOrigin) {
    const u = new URL(at.publicOrigin);
    hosts.add(u.host.toLowerCase());
    origins.add(u.origin.toLowerCase());
  }
  return { allowedHosts: hosts, allowedOrigins: origins };
}

export function requestGuard(options: RequestGuardOptions): MiddlewareHandler {
  return async function requestGuard(c, next) {
    const host = (c.req.header("host") ?? "").toLowerCase();
    if (!options.allowedHosts.has(host)) {
      // Not echoed whole: a Host header is attacker-chosen text.
      return errorResponse(
        c,
        new ForbiddenHostError(
          `Host ${JSON.stringify(host.slice(0, 100))} is not a name this server answers to (DNS rebinding?); use ${[...options.allowedHosts][0]}`,
        ),
      );
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !options.allowedOrigins.has(origin.toLowerCase())) {
      return errorResponse(
        c,
        new ForbiddenOriginError(
          `cross-origin request from ${JSON.stringify(origin.slice(0, 100))} refused: only this server's own pages may call it from a browser`,
        ),
      );
    }
    await next();
  };
}
