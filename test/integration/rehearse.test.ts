/**
 * CI runs the cloud rehearsal (`npm run rehearse`, rehearsal/main.ts) as part of `npm test`:
 * the stack synthesized for the production registry, every Lambda bundled and loaded from an
 * empty folder, every AWS call judged with iam-simulate. It needs .sst/platform (Pulumi),
 * as test/unit/infra.test.ts does.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { root } from "../helpers.ts";

interface Row {
  area: string;
  check: string;
  ok: boolean;
  detail: string;
}

const present = existsSync(path.join(root, ".sst", "platform", "node_modules", "@pulumi", "pulumi"));

if (!present && process.env.CI) {
  test("the rehearsal needs .sst/platform (run: npm run sst:install)", () => assert.fail("CI is set and .sst/platform is absent"));
} else if (!present) {
  test("the cloud rehearsal", { skip: ".sst/platform is absent (run: npm run sst:install)" }, () => {});
} else {
  test("npm run rehearse passes every check, and covers each finding it exists for", { timeout: 900_000 }, () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "affiant-rehearse-")), "rows.json");
    const run = spawnSync(process.execPath, ["--import", "tsx", "rehearsal/main.ts", "--json", out], { cwd: root, encoding: "utf8", env: { ...process.env } });
    const rows = JSON.parse(readFileSync(out, "utf8")) as Row[];
    const failed = rows.filter((r) => !r.ok);
    assert.deepEqual(failed, [], run.stdout.slice(-4000));
    assert.equal(run.status, 0, run.stderr.slice(-2000));
    const has = (area: string, pattern: RegExp) => assert.ok(rows.some((r) => r.area === area && pattern.test(r.check)), `no ${area} check matching ${pattern}`);
    has("secret", /placeholder, is linked/); // finding 1
    has("iam", /README: model upload without flags/); // finding 2
    has("iam", /presigned upload/); // finding 2
    has("image", /USER exists/); // finding 3
    has("registry", /production profile/); // finding 4
    has("registry", /refuses stage production/); // finding 4
    has("bundle", /build-index: handler loads from a folder holding only its bundle/); // finding 5
    has("bundle", /no node-llama-cpp/); // finding 5
    has("timeouts", /each Lambda state outlasts its function/); // finding 6
    has("timeouts", /execution's TimeoutSeconds/); // finding 6
    has("image", /by digest/); // finding 7
    has("iam", /SST-rendered function roles keep kms:ViaService/); // finding 8
    has("synth", /models\/registry\.g5\.json/); // finding 10
    has("run", /API \(bundled\) starts the first execution/);
    has("run", /deployed definition runs the started execution/);
    has("run", /names no document file/); // finding 9
    has("run", /Acquire \(acquire Lambda → ECS RunTask, ready queue\) answered by a warm worker/);
    has("run", /slow start: the first ECS task starts 120 s late/); // issue 16: provisioning is not a stall
    has("run", /stall: .* reaches the fallback within HeartbeatSeconds/); // issue 16: a stall still is
    assert.ok(rows.filter((r) => r.area === "bundle").length >= 24, "three checks for each of the eight functions");
  });
}
