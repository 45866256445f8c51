/**
 * Bench rows for hostile input against a real `affiant serve` (a child process): the
 * server's RSS while four clients stream 1 GB each at /sfn, and the seconds a PDF bomb
 * (10,000 pages; huge-MediaBox pages) takes from the start of its execution to its refusal.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { childEnv } from "../core/config.ts";
import { DocumentTooLargeError } from "../core/errors.ts";
import { rssMb, streamBody, watchRss } from "../test/hostile-client.ts";
import { hugeMediaBoxPdf, manyPagesPdf } from "../test/pdf-bombs.ts";

export interface HostileRow {
  figure: string;
  value: string;
  target: string;
  pass: boolean;
}

async function startServe(root: string): Promise<{ port: number; token: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [path.join(root, "bin/affiant.js"), "serve", "--port", "0", "--approve"], {
    cwd: root,
    env: childEnv({ AFFIANT_API_TOKEN: "" }, { provider: true }),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d) => {
      stderr += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+).*\n.*#token=(\S+)\n/.exec(stderr);
      if (m) resolve({ port: Number(m[1]), token: m[2]!, pid: child.pid!, stop: () => child.kill("SIGTERM") });
    });
    child.once("exit", (code) => reject(new Error(`affiant serve exited (${code}): ${stderr}`)));
  });
}

async function secondsToRefusal(
  base: string,
  token: string,
  root: string,
  caseId: string,
  name: string,
  bytes: Buffer,
): Promise<{ seconds: number; error: string }> {
  const auth = { authorization: `Bearer ${token}` };
  const sample = path.join(root, "examples/cases/vawa-sample");
  const form = new FormData();
  const caseJson = JSON.parse(readFileSync(path.join(sample, "case.json"), "utf8"));
  // The bomb is the case's only file: the sample's document roles name files it does not hold.
  form.append("case", new Blob([JSON.stringify({ ...caseJson, caseId, documents: undefined })]), "case.json");
  form.append("files", new Blob([new Uint8Array(bytes)], { type: "application/pdf" }), name);
  const stored = await fetch(`${base}/cases`, { method: "POST", body: form, headers: auth });
  if (stored.status !== 201) throw new Error(`storing ${caseId}: ${stored.status} ${await stored.text()}`);
  const started = performance.now();
  const start = (await (await fetch(`${base}/cases/${caseId}/executions`, { method: "POST", headers: auth })).json()) as {
    executionId: string;
  };
  for (;;) {
    const d = (await (await fetch(`${base}/executions/${start.executionId}`, { headers: auth })).json()) as {
      status: string;
      states: Array<{ error?: string }>;
    };
    if (d.status !== "RUNNING")
      return { seconds: (performance.now() - started) / 1000, error: d.states.find((s) => s.error)?.error ?? d.status };
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function hostileRows(root: string): Promise<HostileRow[]> {
  const rows: HostileRow[] = [];
  const serve = await startServe(root);
  try {
    const before = rssMb(serve.pid);
    const rss = watchRss(serve.pid);
    const head = {
      method: "POST",
      path: "/sfn",
      headers: {
        host: `127.0.0.1:${serve.port}`,
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "AWSStepFunctions.ListStateMachines",
      },
    };
    await Promise.all(Array.from({ length: 4 }, () => streamBody(serve.port, head, 1024 ** 3, true, 5)));
    const growth = rss.stop() - before;
    rows.push({
      figure: `server RSS growth while 4 clients stream 1 GB each to /sfn (from ${Math.round(before)} MB)`,
      value: `${Math.round(growth)} MB`,
      target: "≤ 48 MB",
      pass: growth <= 48,
    });

    const base = `http://127.0.0.1:${serve.port}`;
    for (const [caseId, name, bytes] of [
      ["bench-bomb-pages", "many.pdf", await manyPagesPdf(10_000)],
      ["bench-bomb-area", "huge.pdf", await hugeMediaBoxPdf(3)],
    ] as const) {
      const r = await secondsToRefusal(base, serve.token, root, caseId, name, bytes);
      const refused = r.error === DocumentTooLargeError.errorName;
      rows.push({
        figure: `PDF bomb (${name === "many.pdf" ? "10,000 pages" : "200 × 200 in pages"}): start to refusal, ${refused ? DocumentTooLargeError.errorName : r.error}`,
        value: `${r.seconds.toFixed(1)} s`,
        target: "≤ 30 s",
        pass: refused && r.seconds <= 30,
      });
    }
  } finally {
    serve.stop();
  }
  return rows;
}
