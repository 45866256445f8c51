/** The run viewer page (placeholder until the viewer lands). */
import type { Hono } from "hono";

export function mountViewer(_app: Hono): void {}
