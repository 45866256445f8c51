/**
 * The attorney's review form in the run viewer, in a real headless Chromium (Debian's
 * `chromium`, driven by playwright-core) against the real `affiant serve`: an execution that
 * waits in AttorneyReview shows the form; a refused decision shows the API's error and
 * changes nothing; an approval sent from the form ends the execution, and the audit log on
 * the page says who approved, from the viewer.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { caseForm, makeTestHome, patientStages, samples, startServe, waitFor } from "../helpers.ts";

const chromiumPath = "/usr/bin/chromium";
const skip = !existsSync(chromiumPath) && !process.env.CI ? `${chromiumPath} is absent (apt-get install chromium); the viewer test needs a real browser and always runs in CI` : false;
const token = "viewer-review-token-2b7d9e41c0";

test("the viewer's review form: a refused decision shows why, an approval ends the run and enters the audit log", { skip, timeout: 15 * 60_000 }, async () => {
  const home = makeTestHome({ stages: patientStages });
  const serve = await startServe({ ...home.env, AFFIANT_API_TOKEN: token });
  let browser: Browser | undefined;
  const auth = { authorization: `Bearer ${token}` };
  const get = async (route: string) => (await (await fetch(serve.url + route, { headers: auth })).json()) as any;
  try {
    assert.equal((await fetch(`${serve.url}/cases`, { method: "POST", body: caseForm(samples.vawa), headers: auth })).status, 201);
    const started = await fetch(`${serve.url}/cases/vawa-sample-0001/executions`, { method: "POST", headers: auth });
    const id = ((await started.json()) as { executionId: string }).executionId;
    const waiting = await waitFor("the execution to wait in AttorneyReview", async () => {
      const s = await get(`/executions/${id}`);
      return s.status !== "RUNNING" || s.waitingFor ? s : undefined;
    });
    assert.equal(waiting.waitingFor, "AttorneyReview", `${waiting.status}: ${waiting.error}`);

    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${serve.url}/#token=${token}`);
    await page.waitForSelector("#executions");
    await page.goto(`${serve.url}/#/executions/${id}`);
    await page.waitForSelector("#review-form");
    assert.equal((await page.locator('[data-fact="waiting"] dd').textContent())?.trim(), "AttorneyReview");
    assert.match((await page.locator("#review-window").textContent()) ?? "", /Round 0 · open until/);
    assert.equal(await page.locator("#review-audit").count(), 0, "no decision yet");

    // Changes without notes: the API refuses, the form says why, and the gate is as it was.
    await page.fill("#review-reviewer", "A. Attorney");
    await page.check("#review-changes");
    await page.click("#review-submit");
    await page.waitForSelector("#review-error:not([hidden])");
    assert.match((await page.locator("#review-error").textContent()) ?? "", /^Affiant\.InvalidInput: notes: a "changes" decision needs notes/);
    const still = await get(`/executions/${id}`);
    assert.deepEqual([still.waitingFor, still.review, still.reviewAudit], ["AttorneyReview", waiting.review, undefined]);
    // The form stays (no polling re-render under it): what was typed is still there.
    assert.equal(await page.inputValue("#review-reviewer"), "A. Attorney");

    // Approve from the form: accepted, the execution runs on and ends.
    await page.check("#review-approve");
    await page.click("#review-submit");
    await page.waitForSelector("#review-form", { state: "detached" });
    const done = await waitFor("the execution to end", async () => {
      const s = await get(`/executions/${id}`);
      return s.status === "RUNNING" ? undefined : s;
    });
    assert.equal(done.status, "SUCCEEDED", `${done.error}: ${done.cause}`);
    assert.deepEqual([done.output.approval.reviewer, done.output.approval.via], ["A. Attorney", "viewer"]);

    // The page follows it to the end and shows the audit log: who, when, what, which draft.
    await page.waitForSelector('[data-fact="status"] dd >> text=SUCCEEDED', { timeout: 60_000 });
    const entry = page.locator("#review-audit tr.audit-entry");
    assert.equal(await entry.count(), 1);
    const cells = await entry.locator("td").allTextContents();
    assert.deepEqual([cells[1], cells[2], cells[3], cells[4], cells[5]], ["approve", "A. Attorney", "viewer", "0", waiting.review.version]);
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser?.close();
    await serve.stop();
  }
});
