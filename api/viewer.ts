/**
 * The run viewer: one dependency-free page (HTML and CSS from strings; the script is
 * api/viewer/browser/*.ts bundled by esbuild ahead of time into a string module, see
 * bin/build.mjs, so it works offline and needs no bundler at run time) that reads
 * the API with the user's bearer token. The page's own files hold no data, so they are
 * served without auth; every execution it shows comes from the authenticated API. The token
 * travels in the URL fragment (never sent to the server, never logged) or a form, and lives
 * in sessionStorage.
 */
import type { Context, Hono } from "hono";
import { viewerJs } from "../dist/viewer/app-js.ts";
import { viewerHtml } from "./viewer/page.ts";
import { viewerCss } from "./viewer/styles.ts";

/**
 * Scripts and styles only from this origin, no inline script, no frames, no outbound
 * requests: a string that slipped past escaping still could not run or phone home.
 */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function asset(c: Context, body: string, contentType: string): Response {
  c.header("content-security-policy", contentSecurityPolicy);
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "no-referrer");
  c.header("cache-control", "no-cache");
  return c.body(body, 200, { "content-type": contentType });
}

/** Routes registered here run before the API's bearer check: they must never return data. */
export function mountViewer(app: Hono): void {
  app.get("/", (c) => asset(c, viewerHtml, "text/html; charset=utf-8"));
  app.get("/viewer/app.css", (c) => asset(c, viewerCss, "text/css; charset=utf-8"));
  app.get("/viewer/app.js", (c) => asset(c, viewerJs, "text/javascript; charset=utf-8"));
}
