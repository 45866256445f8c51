/**
 * `affiant serve` beyond loopback: only over TLS. With a certificate (self-signed here, by
 * openssl) it binds 0.0.0.0 and answers HTTPS; plain HTTP on that port is not spoken, and a
 * Host that is not one of this machine's names is still refused.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { test } from "node:test";
import { makeTestHome, root } from "../helpers.ts";

const openssl = "/usr/bin/openssl";
const skip = !existsSync(openssl) && !process.env.CI ? `${openssl} is absent; this test makes its certificate with it` : false;

function get(port: number, ca: Buffer, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port, path: "/health", ca, servername: "localhost", headers: { host } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("--host 0.0.0.0 serves HTTPS with --tls-cert/--tls-key; Host checks still hold", { skip, timeout: 120_000 }, async () => {
  const home = makeTestHome();
  const cert = path.join(home.home, "cert.pem");
  const key = path.join(home.home, "key.pem");
  const made = spawnSync(
    openssl,
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { encoding: "utf8" },
  );
  assert.equal(made.status, 0, made.stderr);
  const child = spawn(
    process.execPath,
    [path.join(root, "bin/affiant.js"), "serve", "--host", "0.0.0.0", "--port", "0", "--tls-cert", cert, "--tls-key", key],
    { cwd: root, env: { ...process.env, ...home.env, AFFIANT_API_TOKEN: "" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  try {
    let stderr = "";
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address in 60 s: ${stderr}`)), 60_000);
      child.stderr!.on("data", (d) => {
        stderr += d;
        const m = /affiant serve: https:\/\/0\.0\.0\.0:(\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    const ca = readFileSync(cert);
    const ok = await get(port, ca, `127.0.0.1:${port}`);
    assert.equal(ok.status, 200, ok.body);
    const rebound = await get(port, ca, `rebind.attacker.example:${port}`);
    assert.equal(rebound.status, 403);
    assert.equal(JSON.parse(rebound.body).error.name, "Affiant.ForbiddenHost");
    // Plain HTTP to the TLS port gets no answer from the API.
    const plain = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.status,
      () => 0,
    );
    assert.notEqual(plain, 200);
  } finally {
    child.kill("SIGTERM");
  }
});
