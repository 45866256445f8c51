/**
 * PDF bombs through the real `affiant serve`: a case with a 10,000-page PDF and one with
 * huge-MediaBox pages are stored (they are small files) and started; Extract refuses each
 * with Affiant.DocumentTooLarge naming the document ([DOCUMENT_n]) and the limit, quickly, and the server's
 * RSS stays bounded. A file with junk before `%PDF-` is refused at upload.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { caseForm, copyCase, makeTestHome, type ServeHandle, samples, startServe, waitFor } from "../helpers.ts";
import { rssMb, watchRss } from "../hostile-client.ts";
import { hugeMediaBoxPdf, manyPagesPdf } from "../pdf-bombs.ts";

let serve: ServeHandle;
let home: ReturnType<typeof makeTestHome>;

before(async () => {
  home = makeTestHome();
  serve = await startServe({ ...home.env, AFFIANT_API_TOKEN: "" });
});
after(async () => serve?.stop());

const auth = () => ({ authorization: `Bearer ${serve.token}` });

/** The sample case under a new id, plus one more PDF. */
function caseWith(caseId: string, name: string, bytes: Buffer): FormData {
  const dir = copyCase(samples.vawa, path.join(home.home, caseId));
  const caseJson = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8"));
  writeFileSync(path.join(dir, "case.json"), JSON.stringify({ ...caseJson, caseId }));
  writeFileSync(path.join(dir, name), bytes);
  return caseForm(dir);
}

async function refusedRun(
  caseId: string,
  name: string,
  bytes: Buffer,
): Promise<{ error: string; cause: string; ms: number; rssGrowthMb: number }> {
  const stored = await fetch(`${serve.url}/cases`, { method: "POST", body: caseWith(caseId, name, bytes), headers: auth() });
  assert.equal(stored.status, 201, await stored.text());
  const pid = serve.child.pid!;
  const before = rssMb(pid);
  const rss = watchRss(pid);
  const started = Date.now();
  const start = await fetch(`${serve.url}/cases/${caseId}/executions`, { method: "POST", headers: auth() });
  assert.equal(start.status, 202);
  const { executionId } = (await start.json()) as { executionId: string };
  const sfn = new SFNClient({
    endpoint: `${serve.url}/sfn`,
    region: "us-east-1",
    credentials: { accessKeyId: "affiant", secretAccessKey: serve.token },
    maxAttempts: 1,
  });
  const done = await waitFor(
    `${caseId} to end`,
    async () => {
      const d = await sfn.send(
        new DescribeExecutionCommand({ executionArn: `arn:aws:states:us-east-1:000000000000:execution:affiant:${executionId}` }),
      );
      return d.status === "RUNNING" ? undefined : d;
    },
    120_000,
    250,
  );
  const ms = Date.now() - started;
  const peak = rss.stop();
  assert.equal(done.status, "FAILED");
  return { error: done.error ?? "", cause: done.cause ?? "", ms, rssGrowthMb: peak - before };
}

test("a 10,000-page PDF: the run fails in Extract with Affiant.DocumentTooLarge naming the document ([DOCUMENT_n], never its file name) and the page limit", async () => {
  const r = await refusedRun("bomb-pages", "exhibit-many.pdf", await manyPagesPdf(10_000));
  assert.equal(r.error, "Affiant.DocumentTooLarge", r.cause);
  // exhibit-many.pdf sorts first among the case's files.
  assert.match(r.cause, /\[DOCUMENT_\d+\]: 10000 pages, over the limit of 500 pages a document/);
  assert.doesNotMatch(r.cause, /exhibit-many/);
  assert.ok(r.ms < 60_000, `refused after ${r.ms} ms`);
  assert.ok(r.rssGrowthMb < 200, `server RSS grew ${Math.round(r.rssGrowthMb)} MB`);
});

test("a PDF of huge-MediaBox pages: refused before a page is rendered, naming the document, the page and the area limit", async () => {
  const r = await refusedRun("bomb-area", "exhibit-huge.pdf", await hugeMediaBoxPdf(3));
  assert.equal(r.error, "Affiant.DocumentTooLarge", r.cause);
  assert.match(r.cause, /\[DOCUMENT_\d+\]: page 1 would render at 829440000 pixels, over the limit of 40000000 pixels a page/);
  assert.ok(r.ms < 60_000, `refused after ${r.ms} ms`);
  // Rendered, that page alone would be a 3.3 GB canvas.
  assert.ok(r.rssGrowthMb < 200, `server RSS grew ${Math.round(r.rssGrowthMb)} MB`);
});

test("a file with anything before %PDF- is refused at upload, by name", async () => {
  const real = readFileSync(path.join(samples.vawa, "intake-notes.pdf"));
  const res = await fetch(`${serve.url}/cases`, {
    method: "POST",
    body: caseWith("polyglot-case", "page.pdf", Buffer.concat([Buffer.from("<html><script>alert(1)</script></html>\n"), real])),
    headers: auth(),
  });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: { name: string; message: string } };
  assert.deepEqual(body.error, { name: "Affiant.InvalidInput", message: "files: page.pdf: not a PDF (it does not start with %PDF-)" });
});
