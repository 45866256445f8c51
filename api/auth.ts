/**
 * Who calls the API, established before any route runs: the attorney's decision is recorded
 * under this name and never under one the request body gives. Locally (`affiant serve`) a
 * bearer token names its holder: `AFFIANT_API_TOKENS_FILE`, a JSON object mapping each token
 * to its holder's name, and/or `AFFIANT_API_TOKEN`, whose holder is the user running the
 * server. In AWS API Gateway has authorised the request with IAM and passes the signer's
 * identity in the request context; the caller is that principal's ARN.
 */

import { timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Context, MiddlewareHandler } from "hono";
import { InvalidInputError, UnauthorizedError } from "../core/errors.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The authenticated caller: a token's holder, or the IAM principal's ARN. */
    caller: string | undefined;
  }
}

/** Shortest token accepted (the same floor as AFFIANT_API_TOKEN's). */
export const minTokenChars = 24;
const maxHolderChars = 200;

/**
 * Reads a tokens file: `{"<token>": "<holder's name>", …}`. Every mistake names the file and
 * which entry (by position, never the token itself).
 */
export function loadApiTokens(file: string): Map<string, string> {
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch (err) {
    throw new InvalidInputError(`AFFIANT_API_TOKENS_FILE ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidInputError(`AFFIANT_API_TOKENS_FILE ${file}: not valid JSON (a JSON object mapping each token to its holder's name)`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new InvalidInputError(`AFFIANT_API_TOKENS_FILE ${file}: expected a JSON object mapping each token to its holder's name`);
  const tokens = new Map<string, string>();
  for (const [i, [token, holder]] of Object.entries(parsed as Record<string, unknown>).entries()) {
    const where = `AFFIANT_API_TOKENS_FILE ${file}, entry ${i + 1}`;
    if (token.length < minTokenChars)
      throw new InvalidInputError(`${where}: the token must be at least ${minTokenChars} characters (got ${token.length}, not shown)`);
    if (typeof holder !== "string" || !holder.trim() || holder.length > maxHolderChars)
      throw new InvalidInputError(`${where}: the holder's name must be 1 to ${maxHolderChars} characters`);
    tokens.set(token, holder.trim());
  }
  if (tokens.size === 0) throw new InvalidInputError(`AFFIANT_API_TOKENS_FILE ${file}: names no token`);
  return tokens;
}

/** `Authorization: Bearer <token>` for one of `tokens`; the caller is its holder. */
export function bearerAuth(tokens: ReadonlyMap<string, string>): MiddlewareHandler {
  const known = [...tokens].map(([token, holder]) => ({ token: Buffer.from(token), holder }));
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
    // Every token compared, in constant time each: the answer's timing names none of them.
    let holder: string | undefined;
    for (const k of known) if (given.length === k.token.length && timingSafeEqual(given, k.token)) holder ??= k.holder;
    if (holder === undefined) {
      c.header("www-authenticate", 'Bearer realm="affiant"');
      throw new UnauthorizedError(
        "missing or wrong bearer token (Authorization: Bearer <token from AFFIANT_API_TOKEN or AFFIANT_API_TOKENS_FILE>)",
      );
    }
    c.set("caller", holder);
    await next();
  };
}

/** The IAM principal API Gateway authorised (HTTP API, `auth: { iam: true }`): its ARN, or undefined. */
export function iamPrincipal(c: Context): string | undefined {
  const env = c.env as { requestContext?: { authorizer?: { iam?: { userArn?: unknown } } } } | undefined;
  const arn = env?.requestContext?.authorizer?.iam?.userArn;
  return typeof arn === "string" && arn.startsWith("arn:") ? arn : undefined;
}

/** In AWS: the caller is the signer API Gateway checked. */
export function iamAuth(): MiddlewareHandler {
  return async (c, next) => {
    c.set("caller", iamPrincipal(c));
    await next();
  };
}

/** The authenticated caller, or a 401 naming why a decision needs one. */
export function requireCaller(c: Context, what: string): string {
  const caller = c.get("caller");
  if (!caller)
    throw new UnauthorizedError(`${what} needs an authenticated caller (a named API token, or an IAM principal in AWS); none was given`);
  return caller;
}
