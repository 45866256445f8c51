/**
 * One faults schema (core/faults.ts): a bad fault is refused with the same message, naming
 * the state and the allowed states and kinds, whether it comes as `--fault` flags, as an
 * execution's input (Extract, which every run starts with) or as the worker's AFFIANT_FAULTS.
 * The CLI and /sfn paths are driven end to end in cli-input and sfn-endpoint tests.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { LocalBlobStore } from "../../core/blob-store.ts";
import { faultKinds, injectedFault, parseFaultFlags } from "../../core/faults.ts";
import { stageInputFromEnv } from "../../core/stages/task-env.ts";
import { extractDocuments } from "../../functions/extract-documents.ts";
import { ingestCase, readCaseFolder } from "../../workflows/engine/case-intake.ts";
import { makeTestHome, samples } from "../helpers.ts";

const notGpuState =
  /faults\.Redact: Redact is not a GPU state \(GPU states: ExtractFacts, .*; fault kinds: stall, crash, oom, slow, loop, hang-native, slow-start, hang-load\)/;
const notKind =
  /faults\.JudgeTone: "explode" is not a fault kind \(GPU states: .*; fault kinds: stall, crash, oom, slow, loop, hang-native, slow-start, hang-load\)/;

test("--fault flags: each bad one names the state and what is allowed", () => {
  assert.deepEqual(parseFaultFlags(["JudgeTone=stall", "ExtractFacts=hang-native"]), { JudgeTone: "stall", ExtractFacts: "hang-native" });
  assert.throws(
    () => parseFaultFlags(["Redact=stall"]),
    (e: Error) => e.name === "Affiant.InvalidInput" && /^--fault: /.test(e.message) && notGpuState.test(e.message),
  );
  assert.throws(
    () => parseFaultFlags(["JudgeTone=explode"]),
    (e: Error) => notKind.test(e.message),
  );
  assert.throws(() => parseFaultFlags(["JudgeTone"]), /--fault JudgeTone: expected <State>=<kind>/);
});

test("an execution's input: Extract refuses a bad fault with the same message", async () => {
  const home = makeTestHome();
  const store = new LocalBlobStore(path.join(home.home, "blobs"));
  await ingestCase(readCaseFolder(samples.vawa), store);
  const run = (faults: unknown) => extractDocuments({ input: { caseId: "vawa-sample-0001", faults }, executionName: "fault-input" }, store);
  await assert.rejects(
    run({ Redact: "stall" }),
    (e: Error & { state?: string }) => e.name === "Affiant.InvalidInput" && e.state === "Extract" && notGpuState.test(e.message),
  );
  await assert.rejects(run({ JudgeTone: "explode" }), (e: Error) => notKind.test(e.message));
  await assert.rejects(run(["JudgeTone"]), /execution input: faults: expected an object of <GPU state>: <fault kind>/);
  const state = await run({ JudgeTone: "slow" });
  assert.deepEqual(state.faults, { JudgeTone: "slow" });
});

test("the worker's AFFIANT_FAULTS: a bad fault fails the stage with the same message; a drill is read back", () => {
  const env = {
    AFFIANT_STAGE: "JudgeTone",
    AFFIANT_EXECUTION: "e",
    AFFIANT_CASE_ID: "c",
    AFFIANT_CASE_TYPE: "VAWA",
    AFFIANT_RUN_KEY: "runs/c/e",
    AFFIANT_INDEX_KEY: "i",
    AFFIANT_ROUND: "0",
    AFFIANT_DRAFT_KEY: "d",
  };
  assert.throws(
    () => stageInputFromEnv({ ...env, AFFIANT_FAULTS: JSON.stringify({ JudgeTone: "explode" }) }),
    (e: Error & { state?: string }) => e.state === "JudgeTone" && /AFFIANT_FAULTS: /.test(e.message) && notKind.test(e.message),
  );
  assert.throws(() => stageInputFromEnv({ ...env, AFFIANT_FAULTS: JSON.stringify({ Redact: "stall" }) }), notGpuState);
  const faults = JSON.stringify({ JudgeTone: faultKinds[0] });
  assert.deepEqual(stageInputFromEnv({ ...env, AFFIANT_FAULTS: faults }).faults, { JudgeTone: "stall" });
  assert.equal(injectedFault("JudgeTone", { AFFIANT_FAULTS: faults }), "stall");
  assert.equal(injectedFault("JudgeCoverage", { AFFIANT_FAULTS: faults }), undefined);
  assert.equal(
    injectedFault("JudgeTone", { AFFIANT_FAULTS: faults, AFFIANT_FALLBACK_REASON: "Affiant.WorkerCrashed" }),
    undefined,
    "a fallback never runs a drill",
  );
});
