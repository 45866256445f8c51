// The worker-thread entry of functions/pdf-isolated.ts: reads one PDF and posts the result,
// handing the PNGs over without a copy.
import { parentPort, workerData } from "node:worker_threads";
import { readPdf } from "./pdf-read.mjs";

const result = await readPdf(workerData.data, workerData.limits);
parentPort.postMessage(result, result.kind === "ok" ? result.renders.map((r) => r.png.buffer) : []);
