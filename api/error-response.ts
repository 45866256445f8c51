/**
 * The API's answer to an error: `{error: {name, message}}` with the status its class in
 * core/errors.ts carries. Anything else, and any error whose class says 500, is answered as an
 * `InternalError` that never echoes its detail (that goes to the server log).
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AffiantError, InternalError } from "../core/errors.ts";

/** The HTTP status for a thrown value: its error class's, or 500. */
export function errorStatus(err: unknown): number {
  return err instanceof AffiantError ? (err.constructor as typeof AffiantError).status : 500;
}

/** The body and status for an error the caller may see (a status under 500). */
export function errorResponse(c: Context, err: AffiantError): Response {
  return c.json({ error: { name: err.name, message: err.message } }, errorStatus(err) as ContentfulStatusCode);
}

/** The 500 answer: a fixed message, whatever went wrong. */
export function internalErrorResponse(c: Context): Response {
  return errorResponse(c, new InternalError("internal error; see the server log"));
}
