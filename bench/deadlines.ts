/**
 * Bench rows for "a stuck worker never holds a GPU", each measured:
 *
 * - native hang → worker process gone, on the ECS path (the worker answers a local
 *   HTTP endpoint speaking the Step Functions protocol; only its own lifeline can end it);
 * - seconds that worker lives after Step Functions would have failed its state (last
 *   heartbeat + HeartbeatSeconds);
 * - a worker that dies before answering → its fallback state started (the local engine,
 *   which sees the child's exit; in AWS the state's missed heartbeat does).
 *
 * Expects the bench home (AFFIANT_HOME, AFFIANT_REGISTRY, AFFIANT_LOG_FILE) set up by run.ts.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { lifelineGraceSeconds } from "../containers/llama-worker/lifeline.ts";
import { LocalBlobStore } from "../core/blob-store.ts";
import { childEnv, config, setEnv } from "../core/config.ts";
import { stageEnvFromState } from "../core/stages/task-env.ts";
import { buildIndex } from "../functions/build-index.ts";
import { extractDocuments } from "../functions/extract-documents.ts";
import { redactCase } from "../functions/redact-pii.ts";
import { type CaseFolder, ingestCase } from "../workflows/engine/case-intake.ts";
import { LocalEngine } from "../workflows/engine/local-engine.ts";
import { workerLaunch } from "../workflows/engine/worker-launch.ts";

export interface BenchRow {
  figure: string;
  value: string;
  target: string;
  pass: boolean;
}

function lastInjected(stage: string): number | undefined {
  return readFileSync(config().AFFIANT_LOG_FILE!, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { event: string; stage?: string; at?: number })
    .filter((l) => l.event === "fault.injected" && l.stage === stage)
    .at(-1)?.at;
}

export async function deadlineRows(folder: CaseFolder, heartbeatSeconds: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const base = config().AFFIANT_HOME!;

  // ECS path: a worker stuck in native code, answering over the Step Functions API.
  setEnv({ AFFIANT_HOME: path.join(base, "deadline-ecs") });
  const store = new LocalBlobStore(path.join(config().AFFIANT_HOME!, "blobs"));
  await ingestCase(folder, store);
  const state = await extractDocuments(
    { input: { caseId: folder.caseFile.caseId, faults: { ExtractFacts: "hang-native" } }, executionName: "bench-hang" },
    store,
  );
  state.redact = await redactCase({ state }, store);
  state.index = await buildIndex({ state }, store);
  let lastHeartbeatAt = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (String(req.headers["x-amz-target"]) === "AWSStepFunctions.SendTaskHeartbeat") lastHeartbeatAt = Date.now();
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const launch = await workerLaunch();
  const child = spawn(process.execPath, [...launch.execArgv, launch.entry], {
    env: childEnv({
      ...stageEnvFromState("ExtractFacts", state),
      AFFIANT_TASK_TOKEN: "bench-token",
      AFFIANT_SFN_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDBENCH",
      AWS_SECRET_ACCESS_KEY: "bench-secret",
      AFFIANT_STATE_ENTERED_AT: new Date().toISOString(),
      AFFIANT_TIMEOUT_SECONDS: "600",
      AFFIANT_HEARTBEAT_SECONDS: String(heartbeatSeconds),
    }),
    stdio: ["ignore", "ignore", "ignore"],
  });
  const exitAt = await new Promise<number>((r) => child.on("exit", () => r(Date.now())));
  server.close();
  const injectedAt = lastInjected("ExtractFacts");
  const gone = injectedAt ? (exitAt - injectedAt) / 1000 : Number.NaN;
  rows.push({
    figure: `native hang → worker process gone, ECS path (its lifeline; HeartbeatSeconds ${heartbeatSeconds}, grace ${lifelineGraceSeconds} s)`,
    value: `${gone.toFixed(2)} s`,
    target: `≤ ${heartbeatSeconds + 5} s`,
    pass: gone <= heartbeatSeconds + 5,
  });
  const after = lastHeartbeatAt ? (exitAt - (lastHeartbeatAt + heartbeatSeconds * 1000)) / 1000 : Number.NaN;
  rows.push({
    figure: "seconds a worker lives after its state failed (ECS path: last heartbeat + HeartbeatSeconds)",
    value: `${after.toFixed(2)} s`,
    target: "≤ 5 s",
    pass: after <= 5,
  });

  // A worker that dies before answering: the fallback starts from the exit, not a heartbeat.
  setEnv({ AFFIANT_HOME: path.join(base, "deadline-crash") });
  const engine = new LocalEngine();
  await ingestCase(folder, engine.store);
  const summary = await engine.run({
    caseId: folder.caseFile.caseId,
    faults: { ExtractFacts: "crash" },
    approve: { via: "bench" },
  });
  engine.dispose();
  setEnv({ AFFIANT_HOME: base });
  const crashedAt = lastInjected("ExtractFacts");
  const fallback = summary.states.find((s) => s.name === "ExtractFactsFallback");
  const toFallback = fallback && crashedAt ? (Date.parse(fallback.startedAt) - crashedAt) / 1000 : Number.NaN;
  rows.push({
    figure: "worker dies before answering → fallback state started (local engine; in AWS the missed heartbeat)",
    value: `${toFallback.toFixed(2)} s`,
    target: "≤ 10 s",
    pass: toFallback <= 10,
  });
  return rows;
}
