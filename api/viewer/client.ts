/** The viewer's one script, assembled from its parts into a strict-mode IIFE. */
import { clientApp } from "./client-app.ts";
import { clientCore } from "./client-core.ts";
import { clientDetail } from "./client-detail.ts";
import { clientGraph } from "./client-graph.ts";

export const viewerJs = `(function () {\n"use strict";\n${clientCore}\n${clientGraph}\n${clientDetail}\n${clientApp}\n})();\n`;
