/** `affiant models pull` against a local HTTP server: download, resume, checksum. */

import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { test } from "node:test";
import { makeTestHome, root, runCli } from "../helpers.ts";

const model = readFileSync(path.join(root, "models/stories260K.gguf"));

/** Serves the model with Range support; `cutFirst` drops the first full GET halfway. */
async function modelServer(options: { cutFirst?: boolean } = {}) {
  const requests: Array<{ method: string; range?: string }> = [];
  let cut = options.cutFirst ?? false;
  const server = createServer((req: IncomingMessage, res) => {
    requests.push({ method: req.method!, range: req.headers.range });
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : model.length - 1;
    const headers = {
      "content-type": "application/octet-stream",
      "accept-ranges": "bytes",
      "content-length": String(end - start + 1),
      etag: '"stories260k"',
    };
    if (range) res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${end}/${model.length}` });
    else res.writeHead(200, headers);
    if (req.method === "HEAD") return res.end();
    if (cut && !range && req.method === "GET") {
      cut = false;
      res.write(model.subarray(0, Math.floor(model.length / 2)));
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    }
    res.end(model.subarray(start, end + 1));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    requests,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stories260K.gguf`,
    close: () => new Promise((r) => server.close(r)),
  };
}

function pointRegistryAt(registry: string, url: string, sha256?: string) {
  const r = JSON.parse(readFileSync(registry, "utf8"));
  for (const m of Object.values<any>(r.models)) {
    m.url = url;
    if (sha256) m.sha256 = sha256;
  }
  writeFileSync(registry, JSON.stringify(r));
}

test("pull downloads a missing model, checks its sha256, and leaves a present one alone", async () => {
  const server = await modelServer();
  try {
    const { home, registry, env } = makeTestHome();
    const file = path.join(home, "stories260K.gguf");
    rmSync(file);
    pointRegistryAt(registry, server.url);
    let out = await runCli(["models", "pull"], env);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /stories-260k: downloaded/);
    assert.match(out.stdout, /stories-260k-greedy: present/);
    assert.ok(readFileSync(file).equals(model));
    assert.match(out.stderr, /stories-260k: 100% of 1\.1 MiB/);
    const gets = server.requests.filter((r) => r.method === "GET").length;
    out = await runCli(["models", "pull"], env);
    assert.equal(out.code, 0);
    assert.match(out.stdout, /stories-260k: present/);
    assert.equal(server.requests.filter((r) => r.method === "GET").length, gets, "a present, verified model is not fetched again");
  } finally {
    await server.close();
  }
});

test("a download whose sha256 does not match is removed and reported", async () => {
  const server = await modelServer();
  try {
    const { home, registry, env } = makeTestHome();
    rmSync(path.join(home, "stories260K.gguf"));
    pointRegistryAt(registry, server.url, "f".repeat(64));
    const out = await runCli(["models", "pull"], env);
    assert.equal(out.code, 1);
    assert.match(
      out.stdout,
      /stories-260k: failed — model stories-260k: downloaded file's sha256 270cba1b\S* does not match the registry's f{64}; removed/,
    );
    assert.equal(existsSync(path.join(home, "stories260K.gguf")), false);
  } finally {
    await server.close();
  }
});

test("an interrupted download resumes with a Range request", async () => {
  const server = await modelServer({ cutFirst: true });
  try {
    const { home, registry, env } = makeTestHome();
    rmSync(path.join(home, "stories260K.gguf"));
    pointRegistryAt(registry, server.url);
    let out = await runCli(["models", "pull"], env);
    if (out.code !== 0) out = await runCli(["models", "pull"], env);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.ok(readFileSync(path.join(home, "stories260K.gguf")).equals(model));
    assert.ok(
      server.requests.some((r) => r.method === "GET" && r.range && !r.range.startsWith("bytes=0-")),
      `no resuming Range request in ${JSON.stringify(server.requests)}`,
    );
  } finally {
    await server.close();
  }
});

test("pulling a model the registry does not have is refused by name", async () => {
  const { registry, env } = makeTestHome();
  const out = await runCli(["models", "pull", "--only", "no-such-model"], env);
  assert.equal(out.code, 1);
  assert.match(out.stderr, new RegExp(`--only no-such-model: not in the registry ${registry}`));
});

test("a model with no url and no file is named", async () => {
  const { home, registry, env } = makeTestHome();
  rmSync(path.join(home, "stories260K.gguf"));
  const r = JSON.parse(readFileSync(registry, "utf8"));
  for (const m of Object.values<any>(r.models)) delete m.url;
  writeFileSync(registry, JSON.stringify(r));
  const out = await runCli(["models", "pull"], env);
  assert.equal(out.code, 1);
  assert.match(out.stdout, /stories-260k: failed — model stories-260k has no url in the registry/);
});
