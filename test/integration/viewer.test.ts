/**
 * The run viewer in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against the real `affiant serve`: the VAWA sample submitted through the HTTP API, one run
 * plain and one with DraftDeclaration crashing (started through the /sfn endpoint with the
 * real @aws-sdk/client-sfn), the list auto-refreshing while they run, then each execution's
 * graph, timing bars and per-state figures checked against the API's own summary.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { Hono } from "hono";
import { type Browser, chromium, type Page } from "playwright-core";
import { mountViewer } from "../../api/viewer.ts";
import { gpuStages } from "../../core/state-names.ts";
import { viewerJs } from "../../dist/viewer/app-js.ts";
import { makeTestHome, root, samples, testTmp } from "../helpers.ts";

const chromiumPath = "/usr/bin/chromium";
const skip =
  !existsSync(chromiumPath) && !process.env.CI
    ? `${chromiumPath} is absent (apt-get install chromium); the viewer test needs a real browser and always runs in CI`
    : false;
const token = "viewer-test-token-4f1c9a";
const screenshotPath = path.join(testTmp, "viewer.png");

interface StateRun {
  name: string;
  status: string;
  model: string | null;
  provider: string | null;
  fallbackReason: string | null;
  tokensOut: number | null;
  genMs: number | null;
  costUsd: number | null;
  error?: string;
}
interface Summary {
  executionId: string;
  status: string;
  states: StateRun[];
  output: { costUsd?: number; score?: number } | null;
}

/** `affiant serve --port 0` as a user starts it; the port is read from its stderr line. */
async function startServe(
  env: Record<string, string>,
  args: string[] = ["--approve"],
): Promise<{ child: ChildProcess; base: string; stderr: () => string }> {
  // --approve: these runs go through the gate at once (the viewer's review form has its own test).
  const child = spawn(process.execPath, [path.join(root, "bin/affiant.js"), "serve", "--port", "0", ...args], {
    cwd: root,
    env: { ...process.env, ...env, AFFIANT_API_TOKEN: token },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`affiant serve printed no address in 60 s:\n${stderr}`)), 60_000);
    child.stderr!.on("data", (d) => {
      stderr += d;
      const m = /affiant serve: http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => reject(new Error(`affiant serve exited (${code}):\n${stderr}`)));
  });
  return { child, base: `http://127.0.0.1:${port}`, stderr: () => stderr };
}

async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

const auth = { authorization: `Bearer ${token}` };

async function api<T>(base: string, route: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(base + route, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
  return { status: res.status, body: (await res.json()) as T };
}

async function submitCase(base: string, caseJson: string, files: { name: string; bytes: Uint8Array }[]): Promise<string> {
  const form = new FormData();
  form.append("case", new Blob([caseJson], { type: "application/json" }), "case.json");
  for (const f of files) form.append("files", new Blob([f.bytes], { type: "application/pdf" }), f.name);
  const res = await api<{ caseId: string }>(base, "/cases", { method: "POST", body: form });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.caseId;
}

async function waitFinished(base: string, id: string, timeoutMs: number): Promise<Summary> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api<Summary>(base, `/executions/${id}`);
    if (body.status !== "RUNNING") return body;
    if (Date.now() > until) throw new Error(`execution ${id} still RUNNING after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Every state name of the definition, Parallel branches included. */
function allStateNames(states: Record<string, { Branches?: { States: Record<string, unknown> }[] }>): string[] {
  return Object.entries(states).flatMap(([name, s]) => [
    name,
    ...(s.Branches ?? []).flatMap((b) => allStateNames(b.States as typeof states)),
  ]);
}

const nodeStatus = (page: Page, state: string) => page.locator(`#graph svg g.node[data-state="${state}"]`).getAttribute("data-status");

/** The runs-table row of a state's latest run. */
const runRow = (page: Page, state: string) => page.locator(`table.runs tr.run[data-state="${state}"]`).last();

/**
 * Polls the page from the test. Not page.waitForFunction: it runs its predicate through eval,
 * which the viewer's CSP (no 'unsafe-eval') refuses once it has to poll (an EvalError), so it
 * passed only when the condition already held at the first try.
 */
async function waitForPage(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`the page did not show ${what} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function openExecution(page: Page, id: string): Promise<void> {
  await page.locator(`#executions tr.execution[data-execution="${id}"]`).click();
  await page.waitForSelector(`#graph svg g.node[data-state="Extract"]`);
  await waitForPage(async () => (await page.locator(".summary-card .exec-id").textContent()) === id, 30_000, `execution ${id}`);
}

/** Asserts each GPU stage's row against the API: model, provider, tokens/s, cost, bar widths. */
async function assertGpuRows(page: Page, summary: Summary): Promise<void> {
  const ran = summary.states.filter((s) => s.model && s.status === "SUCCEEDED");
  assert.ok(ran.length >= 4, `at least four GPU stage runs with a model (got ${ran.map((s) => s.name).join(", ")})`);
  for (const s of ran) {
    const row = runRow(page, s.name);
    assert.equal((await row.locator('[data-col="model"]').textContent())?.trim(), s.model, `${s.name} model`);
    assert.equal((await row.locator('[data-col="provider"]').textContent())?.trim(), s.provider, `${s.name} provider`);
    const tps = (await row.locator('[data-col="tps"]').textContent())?.trim() ?? "";
    assert.match(tps, /^[\d,.]+$/, `${s.name} tokens/s shown (${tps})`);
    assert.ok(Number(tps.replace(/,/g, "")) > 0, `${s.name} tokens/s > 0`);
    assert.match((await row.locator('[data-col="cost"]').textContent()) ?? "", /^\$[\d.]+$|^<\$0\.0001$/, `${s.name} cost`);
    assert.match((await row.locator('[data-col="tokens"]').textContent()) ?? "", /^[\d,]+ \/ [\d,]+$/, `${s.name} tokens in/out`);
    for (const seg of ["loadMs", "promptMs", "genMs"]) {
      const box = await row.locator(`.seg[data-seg="${seg}"]`).boundingBox();
      assert.ok(box && box.width > 0 && box.height > 0, `${s.name} ${seg} bar is drawn`);
    }
  }
}

test("the viewer's page, script and styles are served without auth and carry no data", async () => {
  const app = new Hono();
  mountViewer(app);
  app.use("*", async (c) => c.json({ error: "the API's auth would answer here" }, 401));
  for (const [route, type] of [
    ["/", /^text\/html/],
    ["/viewer/app.js", /^text\/javascript/],
    ["/viewer/app.css", /^text\/css/],
  ] as const) {
    const res = await app.request(route);
    assert.equal(res.status, 200, route);
    assert.match(res.headers.get("content-type") ?? "", type);
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'.*script-src 'self'/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  }
  assert.equal((await app.request("/executions")).status, 401);
  // The script must at least parse; it runs only in the browser test.
  assert.doesNotThrow(() => new Function(viewerJs));
  assert.doesNotMatch(viewerJs, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, "data goes into the DOM as text only");
  const html = await (await app.request("/")).text();
  assert.doesNotMatch(html, /<script>|\son\w+=/, "no inline script or handler (the CSP forbids them)");
});

test("the run viewer shows executions, the state graph by status and per-state timings in Chromium", {
  skip,
  timeout: 15 * 60_000,
}, async () => {
  // Prepare: a real server, the sample case, one plain run and one with a crashing draft.
  const home = makeTestHome({ stages: Object.fromEntries(gpuStages.map((s) => [s, { heartbeatSeconds: 30 }])) });
  const serve = await startServe(home.env);
  let browser: Browser | undefined;
  try {
    const { base } = serve;
    const vawaPdfs = readdirSync(samples.vawa)
      .filter((f) => f.endsWith(".pdf"))
      .map((name) => ({ name, bytes: readFileSync(path.join(samples.vawa, name)) }));
    const vawaJson = readFileSync(path.join(samples.vawa, "case.json"), "utf8");
    const caseId = await submitCase(base, vawaJson, vawaPdfs);
    const started = await api<{ executionId: string }>(base, `/cases/${caseId}/executions`, { method: "POST" });
    assert.equal(started.status, 202);
    const plainId = started.body.executionId;
    // One running execution per case (the server refuses a second): the faulted run, going at
    // the same time, is the same case file under another id.
    const faultCase = await submitCase(base, JSON.stringify({ ...JSON.parse(vawaJson), caseId: "viewer-fault-0001" }), vawaPdfs);
    const sfn = new SFNClient({
      endpoint: `${base}/sfn`,
      region: "us-east-1",
      credentials: { accessKeyId: "affiant", secretAccessKey: token },
    });
    const faultId = "viewer-fault-draft-crash";
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:affiant",
        name: faultId,
        input: JSON.stringify({ caseId: faultCase, faults: { DraftDeclaration: "crash" } }),
      }),
    );
    sfn.destroy();
    // A third case whose only PDF is corrupt past its header: the execution fails in Extract.
    const brokenPdf = Buffer.concat([vawaPdfs[0]!.bytes.subarray(0, 200), Buffer.from("garbage".repeat(50))]);
    // Its case.json lists no documents: the sample's roles name files this case does not hold.
    const brokenCase = await submitCase(
      base,
      JSON.stringify({ ...JSON.parse(vawaJson), caseId: "viewer-broken-0001", documents: undefined }),
      [{ name: "broken.pdf", bytes: brokenPdf }],
    );
    const brokenId = (await api<{ executionId: string }>(base, `/cases/${brokenCase}/executions`, { method: "POST" })).body.executionId;

    // The page's files carry no data and need no token; the API still does.
    const pageRes = await fetch(`${base}/`);
    assert.equal(pageRes.status, 200);
    assert.match(pageRes.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(pageRes.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal((await fetch(`${base}/viewer/app.js`)).status, 200);
    assert.equal((await fetch(`${base}/viewer/app.css`)).status, 200);
    assert.equal((await fetch(`${base}/executions`)).status, 401);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    // Without a token: a clear gate, and not one execution id on the page.
    await page.goto(`${base}/`);
    const gate = page.locator("#token-required");
    await gate.waitFor();
    assert.equal(await gate.getAttribute("data-reason"), "missing");
    assert.match((await gate.textContent()) ?? "", /API token required/);
    assert.equal(await page.locator("#executions").count(), 0);
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees, which is what this checks
    const gateText = await page.locator("body").innerText();
    assert.ok(!gateText.includes(plainId) && !gateText.includes(faultId), "no execution shown without a token");

    // A wrong token is refused as such; the form then takes the right one.
    await page.goto(`${base}/#token=not-the-token`);
    await page.waitForSelector('#token-required[data-reason="rejected"]');
    await page.fill("#token-input", token);
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector("#executions");

    // The fragment form: the token leaves the address bar at once.
    await page.evaluate("sessionStorage.clear()");
    await page.goto(`${base}/?fresh#token=${token}`);
    await page.waitForSelector("#executions");
    assert.ok(!page.url().includes(token), `token wiped from the URL (${page.url()})`);

    // While the runs are going, the list says so and refreshes itself.
    const rows = page.locator("#executions tr.execution");
    assert.equal(await rows.count(), 3);
    for (const id of [plainId, faultId])
      assert.equal(await page.locator(`#executions tr.execution[data-execution="${id}"]`).getAttribute("data-status"), "RUNNING");
    assert.ok(await page.locator("#live").isVisible(), "the live indicator shows while runs are RUNNING");

    // A RUNNING execution's page follows it by itself: a state that was running finishes.
    await openExecution(page, plainId);
    assert.equal((await page.locator('[data-fact="status"] dd').textContent())?.trim(), "RUNNING");
    assert.ok(await page.locator("#live").isVisible(), "the detail page polls while RUNNING");
    const runningNow = await page.locator('#graph svg g.node[data-status="running"]').first().getAttribute("data-state");
    assert.ok(runningNow, "a node is shown running");
    await page.waitForSelector(`#graph svg g.node[data-state="${runningNow}"][data-status="succeeded"]`, { timeout: 4 * 60_000 });
    await page.screenshot({ path: path.join(testTmp, "viewer-running.png"), fullPage: true });
    await page.click('#crumbs a[href="#/"]');
    await page.waitForSelector("#executions");

    const [plain, faulted, broken] = await Promise.all([
      waitFinished(base, plainId, 5 * 60_000),
      waitFinished(base, faultId, 5 * 60_000),
      waitFinished(base, brokenId, 5 * 60_000),
    ]);
    assert.equal(broken.status, "FAILED");
    assert.equal(plain.status, "SUCCEEDED", JSON.stringify(plain.states.filter((s) => s.status !== "SUCCEEDED")));
    assert.equal(faulted.status, "SUCCEEDED", JSON.stringify(faulted.states.filter((s) => s.status !== "SUCCEEDED")));
    // No reload: the page's own polling brings the final statuses, then stops.
    const shown = (status: string) => page.locator(`#executions tr.execution[data-status="${status}"]`).count();
    await waitForPage(
      async () => (await shown("SUCCEEDED")) === 2 && (await shown("FAILED")) === 1,
      15_000,
      "two SUCCEEDED and one FAILED execution",
    );
    await page.waitForSelector("#live", { state: "hidden", timeout: 5_000 });
    await page.screenshot({ path: path.join(testTmp, "viewer-list.png") });
    for (const id of [plainId, faultId]) {
      const row = page.locator(`#executions tr.execution[data-execution="${id}"]`);
      assert.equal(await row.locator("td").nth(1).textContent(), id === faultId ? faultCase : caseId);
      assert.match((await row.locator("td").nth(5).textContent()) ?? "", /\d+(\.\d+)? (ms|s)|min/);
    }

    // The faulted run: a node per state, the crash caught and its fallback succeeded.
    const { body: definition } = await api<{ States: Record<string, { Branches?: { States: Record<string, unknown> }[] }> }>(
      base,
      "/workflow",
    );
    await openExecution(page, faultId);
    const names = allStateNames(definition.States);
    assert.equal(await page.locator("#graph svg g.node").count(), names.length, "one node per state");
    for (const name of names) assert.equal(await page.locator(`#graph svg g.node[data-state="${name}"]`).count(), 1, `node ${name}`);
    assert.equal(await nodeStatus(page, "Extract"), "succeeded");
    assert.equal(await nodeStatus(page, "DraftDeclaration"), "caught");
    assert.equal(await nodeStatus(page, "DraftDeclarationFallback"), "succeeded");
    assert.equal(await nodeStatus(page, "ExtractFactsFallback"), "not-run");
    assert.equal(await nodeStatus(page, "Judges"), "succeeded");
    assert.equal(await nodeStatus(page, "GuardrailsRewrite"), "not-run");
    assert.equal(await nodeStatus(page, "Done"), "succeeded");
    for (const stage of gpuStages)
      assert.equal(
        await page.locator(`#graph svg g.edge-catch[data-from="${stage}"]`).count(),
        1,
        `${stage}: one Catch edge, to its fallback`,
      );
    // Per GPU stage: its Catch to the fallback, its Admit state's two (open circuit → the
    // fallback; breaker unreachable → the Acquire), its Acquire's (no worker within the
    // acquire budget → the fallback) and the fallback's, to its named failure.
    for (const stage of gpuStages) {
      const from = [stage, `${stage}Admit`, `${stage}Acquire`, `${stage}Fallback`]
        .map((n) => `#graph svg g.edge-catch[data-from="${n}"]`)
        .join(", ");
      assert.equal(await page.locator(from).count(), 5, `${stage}: five Catch edges (stage, Admit, Acquire, fallback)`);
    }
    // Besides those, three: AttorneyReview's two (its expiry, States.Timeout → AuditExpiry; any
    // other error sent to its token → AuditReviewFailure) and WarmUp's (a failed warm-up goes on
    // to Extract: it never fails the case).
    assert.equal(
      await page.locator('#graph svg g.edge-catch[data-from="AttorneyReview"][data-to="AuditExpiry"]').count(),
      1,
      "AttorneyReview: its expiry Catch",
    );
    assert.equal(
      await page.locator('#graph svg g.edge-catch[data-from="AttorneyReview"][data-to="AuditReviewFailure"]').count(),
      1,
      "AttorneyReview: its Catch of a failure sent to the gate",
    );
    assert.equal(
      await page.locator('#graph svg g.edge-catch[data-from="WarmUp"][data-to="Redact"]').count(),
      1,
      "WarmUp: its Catch, on to Redact",
    );
    assert.equal(
      await page.locator("#graph svg g.edge-catch").count(),
      gpuStages.length * 5 + 3,
      "five Catch edges per GPU stage, AttorneyReview's two and WarmUp's",
    );
    assert.equal(await page.locator("#graph svg g.edge-catch.edge-taken").count(), 1, "only the crashed stage's Catch is taken");
    assert.equal(await page.locator('#graph svg g.edge-catch.edge-taken[data-from="DraftDeclaration"]').count(), 1);
    const dash = await page
      .locator("#graph svg g.edge-catch path")
      .first()
      .evaluate(
        (el) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { strokeDasharray: string } }).getComputedStyle(el).strokeDasharray,
      );
    assert.notEqual(dash, "none", "Catch edges are dashed");
    assert.equal(await page.locator('#graph svg g.edge-choice[data-from="QualityGate"]').count(), 1, "the Choice edge");

    await assertGpuRows(page, faulted);
    const crashed = faulted.states.find((s) => s.name === "DraftDeclaration")!;
    assert.equal(crashed.error, "Affiant.WorkerCrashed");
    assert.equal((await runRow(page, "DraftDeclaration").locator('[data-col="status"]').textContent())?.trim(), "CAUGHT");
    const errorRow = page.locator("table.runs tr.run-error").first();
    assert.match(
      (await errorRow.textContent()) ?? "",
      /Affiant\.WorkerCrashed — the worker exited without a result/,
      "the cause's message, not its JSON",
    );
    const fallback = faulted.states.find((s) => s.name === "DraftDeclarationFallback")!;
    assert.equal(
      (await runRow(page, "DraftDeclarationFallback").locator('[data-col="fallback"]').textContent())?.trim(),
      fallback.fallbackReason,
    );
    assert.equal(await page.locator('[data-fact="fallbacks"] dd').textContent(), "1");
    assert.equal(await page.locator('[data-fact="score"] dd').textContent(), faulted.output!.score!.toFixed(3));
    assert.match((await page.locator('[data-fact="cost"] dd').textContent()) ?? "", /^\$/);

    // The declaration only through its authenticated download, byte for byte the API's.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#declaration")]);
    const expected = await (await fetch(`${base}/executions/${faultId}/declaration`, { headers: auth })).text();
    assert.equal(readFileSync(await download.path(), "utf8"), expected);
    assert.ok(expected.length > 100);

    // No case content on the page: not the declarant, not any party (the review document stays closed until asked for).
    assert.equal(await page.locator("#review-document-show").count(), 1);
    const caseJson = JSON.parse(vawaJson) as { declarant: { name: string }; parties?: { name: string }[] };
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees, which is what this checks
    const text = await page.locator("body").innerText();
    for (const person of [caseJson.declarant.name, ...(caseJson.parties ?? []).map((p) => p.name)])
      assert.ok(!text.includes(person), "no client name on the page");

    await page.mouse.move(0, 0);
    await page.screenshot({ path: screenshotPath, fullPage: true });
    const png = readFileSync(screenshotPath);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG");
    assert.ok(statSync(screenshotPath).size > 20_000, "a real screenshot, not an empty image");

    // The failed run: Extract failed (no Catch), nothing after it ran, the cause is readable.
    await page.click('#crumbs a[href="#/"]');
    await page.waitForSelector("#executions");
    assert.equal(await page.locator(`#executions tr.execution[data-execution="${brokenId}"]`).getAttribute("data-status"), "FAILED");
    await openExecution(page, brokenId);
    assert.equal(await nodeStatus(page, "Extract"), "failed");
    assert.equal(await nodeStatus(page, "Redact"), "not-run");
    assert.equal(await page.locator("#declaration").count(), 0, "no declaration for a failed run");
    const executionError = (await page.locator("#execution-error").textContent()) ?? "";
    assert.match(executionError, /Affiant\.DocumentUnreadable/);
    assert.match(executionError, /\[DOCUMENT_\d+\]/, "the cause names the document by index");
    assert.doesNotMatch(executionError, /broken\.pdf/, "the cause names no file name");
    assert.doesNotMatch(executionError, /"errorMessage"|\{"/, "the cause's message, not its JSON");
    assert.equal((await runRow(page, "Extract").locator('[data-col="status"]').textContent())?.trim(), "FAILED");
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(testTmp, "viewer-failed.png"), fullPage: true });

    // The plain run: the draft succeeded, so its fallback never ran.
    await page.click('#crumbs a[href="#/"]');
    await page.waitForSelector("#executions");
    await openExecution(page, plainId);
    assert.equal(await nodeStatus(page, "DraftDeclaration"), "succeeded");
    assert.equal(await nodeStatus(page, "DraftDeclarationFallback"), "not-run");
    assert.equal(await page.locator("#graph svg g.edge-catch.edge-taken").count(), 0);
    await assertGpuRows(page, plain);

    assert.deepEqual(pageErrors, [], "no script errors");
  } catch (err) {
    // What the server said (ids, statuses, no case text) is what explains a failure here.
    (err as Error).message += `\n--- affiant serve stderr ---\n${serve.stderr().slice(-4000)}`;
    throw err;
  } finally {
    await browser?.close();
    await stopServe(serve.child);
  }
});
