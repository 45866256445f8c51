/**
 * How the local engine starts a GPU worker process: containers/llama-worker/main.ts, from the
 * build or compiled once per process (core/child-entry.ts). The entry's path is named here,
 * above both core and the worker, so core never reaches into containers/.
 */
import { fileURLToPath } from "node:url";
import { compiledLaunch, currentLaunch, sourceLaunchOf } from "../../core/child-entry.ts";

export const workerSource = fileURLToPath(new URL("../../containers/llama-worker/main.ts", import.meta.url));
export const sourceLaunch = sourceLaunchOf(workerSource);
export const workerLaunch = () => compiledLaunch(workerSource);
export const currentWorkerLaunch = () => currentLaunch(workerSource);
