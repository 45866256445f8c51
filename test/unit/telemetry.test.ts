/**
 * Telemetry in the cloud shape: inside Lambda, log lines come from Powertools Logger and
 * metrics are EMF documents from Powertools Metrics on stdout, each with the execution and
 * state of the handler call that wrote it, even when two calls interleave.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { root } from "../helpers.ts";

const script = `
import { withTelemetry, emitMetrics, MetricUnit } from "./core/telemetry.ts";
import { log } from "./core/log.ts";
const handler = withTelemetry("Redact", async (event) => {
  await new Promise((r) => setTimeout(r, event.delay));
  log("info", "redact.done", { entities: 3 });
  if (event.fail) throw Object.assign(new Error("boom"), { name: "Affiant.DocumentUnreadable" });
  emitMetrics([{ name: "Entities", unit: MetricUnit.Count, value: 3, dimensions: { State: "Redact" } }]);
  return "ok";
});
await Promise.allSettled([
  handler({ state: { executionName: "exec-A", caseId: "case-A" }, delay: 30 }),
  handler({ state: { executionName: "exec-B", caseId: "case-B" }, delay: 5, fail: true }),
]);
`;

test("in Lambda: Powertools JSON logs and EMF metrics on stdout, each with its own execution and state", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root,
    env: {
      ...process.env,
      AWS_LAMBDA_FUNCTION_NAME: "affiant-redact-pii",
      AWS_REGION: "us-east-1",
      AFFIANT_LOG_FILE: "",
      POWERTOOLS_DEV: "false",
    },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const records = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, any>);
  const logs = records.filter((x) => x.message === "redact.done");
  assert.deepEqual(logs.map((l) => [l.execution, l.state, l.caseId, l.service, l.level]).sort(), [
    ["exec-A", "Redact", "case-A", "affiant", "INFO"],
    ["exec-B", "Redact", "case-B", "affiant", "INFO"],
  ]);
  const emf = records.filter((x) => x._aws);
  for (const m of emf) assert.equal(m._aws.CloudWatchMetrics[0].Namespace, "Affiant");
  const names = (m: Record<string, any>) => m._aws.CloudWatchMetrics[0].Metrics.map((x: { Name: string }) => x.Name);
  assert.ok(emf.some((m) => names(m).includes("Entities") && m.execution === "exec-A"));
  const errors = emf.filter((m) => names(m).includes("StateErrors"));
  assert.equal(errors.length, 1);
  assert.deepEqual([errors[0]!.State, errors[0]!.Error, errors[0]!.execution], ["Redact", "Affiant.DocumentUnreadable", "exec-B"]);
  assert.equal(emf.filter((m) => names(m).includes("StateDuration")).length, 2);
  // Nothing but ids, counts and names: the error message never reaches stdout.
  assert.ok(!r.stdout.includes("boom"));
});
