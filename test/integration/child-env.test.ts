/**
 * Children get an allow-listed environment: the PDF reader (it parses untrusted files) and a
 * model worker, started while this process holds the API token, a provider key and AWS
 * credentials, hold none of them (read from /proc/<pid>/environ, what the child really got).
 */

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { setEnv } from "../../core/config.ts";
import { pdfLimits, readPdfLimited } from "../../functions/pdf-isolated.ts";
import { warmUp } from "../../workflows/engine/acquire.ts";
import { liveWorkers } from "../../workflows/engine/warm-pool.ts";
import { killAllWorkers } from "../../workflows/engine/worker-supervisor.ts";
import { writePdf } from "../../workflows/samples/pdf-writer.ts";
import { makeTestHome, waitFor } from "../helpers.ts";

const secrets = {
  AFFIANT_API_TOKEN: "api-token-that-must-stay-in-the-server",
  OPENROUTER_API_KEY: "sk-or-must-stay-in-the-engine",
  AWS_ACCESS_KEY_ID: "AKIDMUSTSTAY",
  AWS_SECRET_ACCESS_KEY: "aws-secret-must-stay",
};

const environOf = (pid: number) =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );

/** This process's children whose command line mentions `marker`. */
function childrenMatching(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(
        readFileSync(`/proc/${entry}/stat`, "utf8")
          .replace(/^.*\)\s+\S+\s+/, "")
          .split(" ")[0],
      );
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

function assertClean(pid: number, what: string) {
  const env = environOf(pid);
  for (const [key, value] of Object.entries(secrets)) {
    assert.ok(!(key in env), `${what} inherited ${key}`);
    assert.ok(!Object.values(env).some((v) => v.includes(value)), `${what} holds ${key}'s value under another name`);
  }
  assert.ok(env.PATH, `${what} still has PATH`);
  return env;
}

test("the PDF reader child and a model worker hold no API token, provider key or AWS credential", async () => {
  const { env } = makeTestHome();
  const restore = setEnv({ ...env, ...secrets });
  try {
    const dir = mkdtempSync(path.join(tmpdir(), "affiant-child-env-"));
    const file = path.join(dir, "doc.pdf");
    await writePdf(file, [["A page of text."]]);
    const read = await readPdfLimited("doc.pdf", readFileSync(file), pdfLimits, { value: 10, scope: "a document" });
    assert.match(read.pages.map((p) => p.text).join(" "), /A page of text/);
    // The reader kept ready for the next document was forked with the same environment.
    const readers = await waitFor(
      "the spare PDF reader",
      async () => (childrenMatching("pdf-read-child").length ? childrenMatching("pdf-read-child") : undefined),
      30_000,
      100,
    );
    for (const pid of readers) {
      const readerEnv = assertClean(pid, "the PDF reader");
      assert.deepEqual(
        Object.keys(readerEnv).filter((k) => k.startsWith("AFFIANT_")),
        [],
        "the PDF reader gets no Affiant setting",
      );
    }
    // A model worker started as the warm pool starts one (the WarmUp state's start).
    const { started } = await warmUp(
      { warm: { maxTasks: 1, idleSeconds: 60, maxRssGrowthMb: 4096 }, poolSize: 1 },
      [{ model: "stories-260k", stage: "ExtractFacts" }],
      {},
    );
    assert.deepEqual(started, ["stories-260k"]);
    const [worker] = [...liveWorkers].map((c) => c.pid);
    const workerEnv = assertClean(worker!, "the model worker");
    assert.equal(workerEnv.AFFIANT_HOME, env.AFFIANT_HOME, "the worker keeps the Affiant settings it needs");
  } finally {
    killAllWorkers();
    restore();
  }
});
