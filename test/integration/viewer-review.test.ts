/**
 * The attorney's review form in the run viewer, in a real headless Chromium (Debian's
 * `chromium`, driven by playwright-core) against the real `affiant serve`: an execution that
 * waits in AttorneyReview shows the form; a refused decision shows the API's error and
 * changes nothing; an approval sent from the form ends the execution, and the audit log on
 * the page says who approved, from the viewer. The review document is on the page while the
 * execution waits (the attorney reads it before deciding) and after it has succeeded, and the
 * tiny model's draft, which fails the quality gate, carries the "FAILING REVIEW" badge.
 * The list says which execution waits for the attorney and since when; a deep link with its
 * token opens the form; the form preselects no decision and shows the gate's verdict beside
 * it; a "changes" round aimed at one paragraph (another locked), with facts from the client
 * typed into the form, rewrites that paragraph alone, indexes the facts as an interview, and the
 * review document shows its redline and the facts as a source; the state graph starts at the
 * top of its card.
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { caseForm, makeTestHome, patientStages, samples, startServe, waitFor } from "../helpers.ts";

const chromiumPath = "/usr/bin/chromium";
const skip =
  !existsSync(chromiumPath) && !process.env.CI
    ? `${chromiumPath} is absent (apt-get install chromium); the viewer test needs a real browser and always runs in CI`
    : false;
const token = "viewer-review-token-2b7d9e41c0";

test("the viewer's review form and review document: the document (paragraphs, facts to confirm, the sample's fall-against-push contradiction, exhibit list) while waiting; a refused decision shows why; a changes round with facts from the client sent from the form (indexed as an interview); an approval ends the run, enters the audit log and shows the failing-review badge", {
  skip,
  timeout: 15 * 60_000,
}, async () => {
  const home = makeTestHome({ stages: patientStages });
  // The token names its holder: the reviewer every decision made with it is recorded under.
  const tokensFile = path.join(home.home, "tokens.json");
  writeFileSync(tokensFile, JSON.stringify({ [token]: "A. Attorney" }));
  const serve = await startServe({ ...home.env, AFFIANT_API_TOKEN: token, AFFIANT_API_TOKENS_FILE: tokensFile });
  let browser: Browser | undefined;
  const auth = { authorization: `Bearer ${token}` };
  // A GET is retried once when a kept-alive socket was reset: the server closes idle sockets
  // while in-process Lambda states (Redact) hold its event loop, and the client may reuse one.
  const get = async (route: string): Promise<any> => {
    const once = async () => (await fetch(serve.url + route, { headers: auth })).json();
    return once().catch((err: Error & { cause?: { code?: string } }) => {
      if (err.cause?.code !== "ECONNRESET") throw err;
      return once();
    });
  };
  try {
    assert.equal((await fetch(`${serve.url}/cases`, { method: "POST", body: caseForm(samples.vawa), headers: auth })).status, 201);
    const started = await fetch(`${serve.url}/cases/vawa-sample-0001/executions`, { method: "POST", headers: auth });
    const id = ((await started.json()) as { executionId: string }).executionId;
    const waiting = await waitFor("the execution to wait in AttorneyReview", async () => {
      const s = await get(`/executions/${id}`);
      return s.status !== "RUNNING" || s.waitingFor ? s : undefined;
    });
    assert.equal(waiting.waitingFor, "AttorneyReview", `${waiting.status}: ${waiting.error}`);

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${serve.url}/#token=${token}`);
    await page.waitForSelector("#executions");
    // The list says who the execution waits for, and since when: not RUNNING.
    const row = page.locator(`tr.execution[data-execution="${id}"]`);
    assert.equal(await row.getAttribute("data-waiting"), "AttorneyReview");
    assert.match((await row.locator("td").first().textContent()) ?? "", /^WAITING FOR ATTORNEY since /);
    assert.equal(await row.locator(".badge-running").count(), 0);
    const listed = (await get("/executions")).executions.find((e: { executionId: string }) => e.executionId === id);
    assert.equal(listed.waitingSince, waiting.review.openedAt);

    // A deep link with its token, in a fresh tab with nothing stored: the id has no stray "&".
    const deep = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    deep.on("pageerror", (e) => pageErrors.push(e.message));
    await deep.goto(`${serve.url}/#/executions/${id}&token=${token}`);
    await deep.waitForSelector("#review-form");
    assert.equal(new URL(deep.url()).hash, `#/executions/${id}`, "the token left the address bar, the id intact");
    await deep.close();

    await page.goto(`${serve.url}/#/executions/${id}`);
    await page.waitForSelector("#review-form");
    // No decision preselected; the quality gate's verdict and reasons beside the form.
    assert.deepEqual([await page.isChecked("#review-approve"), await page.isChecked("#review-changes")], [false, false]);
    assert.ok(waiting.quality, "a waiting execution's summary carries the gate's verdict on the draft under review");
    assert.equal(await page.getAttribute("#review .review-body #review-verdict", "data-status"), waiting.quality.status);
    assert.match(
      (await page.locator("#review-verdict").textContent()) ?? "",
      waiting.quality.status === "passed" ? /^quality gate passed/ : /^FAILING REVIEW/,
    );
    assert.equal(await page.locator("#review-verdict-reasons li").count(), waiting.quality.failures.length);
    // The state graph is drawn at its own size from the top of its card (no blank band above it).
    const graph = await page.evaluate(() => {
      // Runs in the page (this file is type-checked without the DOM's types).
      const doc = (globalThis as any).document;
      const wrap = doc.getElementById("graph").getBoundingClientRect();
      const svg = doc.querySelector("#graph svg");
      const top = Math.min(...Array.from(svg.querySelectorAll(".node") as ArrayLike<any>, (n) => n.getBoundingClientRect().top as number));
      return { height: svg.getBoundingClientRect().height as number, attr: Number(svg.getAttribute("height")), gap: top - wrap.top };
    });
    assert.equal(graph.height, graph.attr, "the graph's SVG was shrunk");
    assert.ok(graph.gap < 60, `blank band above the first state: ${graph.gap}px`);
    assert.equal((await page.locator('[data-fact="waiting"] dd').textContent())?.trim(), "AttorneyReview");
    assert.match((await page.locator("#review-window").textContent()) ?? "", /Round 0 · open until/);
    assert.equal(await page.locator("#review-audit").count(), 0, "no decision yet");

    // The review document, served by the API from what Reinject wrote, before the attorney decides.
    const doc = await get(`/executions/${id}/review-document`);
    assert.equal(doc.title, "Review of the draft declaration");
    // Closed until asked for: no client data on the page unless the attorney opens it.
    assert.equal(await page.locator("#review-document article.review-paragraph").count(), 0);
    await page.click("#review-document-show");
    await page.waitForSelector("#review-document #review-paragraphs article.review-paragraph");
    assert.equal(await page.locator("#review-document article.review-paragraph").count(), doc.paragraphs.length);
    assert.ok(doc.paragraphs.length >= 5, `a paragraph per incident, period or element left out of the story: ${doc.paragraphs.length}`);
    assert.match((await page.locator("#review-document article.review-paragraph").first().textContent()) ?? "", /^1\. .*Cites: /s);
    const contradictions = await page.locator("#review-contradictions li").allTextContents();
    assert.ok(
      contradictions.some((c) =>
        /told as an accident in Interview 1, p\. 2 \(personal-statement\.pdf\): “I told the nurse I fell\.” and as inflicted in Exhibit A, p\. 1 \(police-report-scan\.pdf\): “Victim stated the suspect pushed/.test(
          c,
        ),
      ),
      contradictions.join("\n"),
    );
    assert.equal(await page.locator("#review-facts li").count(), doc.factsToConfirm.length);
    assert.ok(doc.factsToConfirm.length > 0, "the tiny model's sentences are unsupported: there are facts to confirm");
    const exhibits = await page.locator("#review-exhibits li").allTextContents();
    assert.deepEqual(
      exhibits.map((e) => e.replace(/ \(pages .*$/, "")),
      ["A: police-report-scan.pdf", "B: shelter-letter.pdf"].map((e) => `Exhibit ${e}`),
    );
    // The sample's personal statement (the declarant's account) and intake notes (work product) are sources, never exhibits.
    const unfiled = await page.locator("#review-unfiled li").allTextContents();
    assert.deepEqual(
      unfiled.map((e) => e.replace(/ \(pages .*$/, "")),
      ["Interview 1: personal-statement.pdf", "Work product 1: intake-notes.pdf"],
    );
    assert.match(
      (await page.locator("#review-document-verdict").textContent()) ?? "",
      new RegExp(`^${doc.review.status === "passed" ? "quality gate passed" : "FAILING REVIEW"}`),
    );

    // No decision chosen: the form says so and sends nothing.
    await page.fill("#review-override-reason", "Checked every paragraph against the exhibits.");
    await page.click("#review-submit");
    await page.waitForSelector("#review-error:not([hidden])");
    assert.match((await page.locator("#review-error").textContent()) ?? "", /^Choose a decision/);
    // Changes without notes: the API refuses, the form says why, and the gate is as it was.
    await page.check("#review-changes");
    await page.click("#review-submit");
    await page.waitForSelector("#review-error:not([hidden])");
    assert.match(
      (await page.locator("#review-error").textContent()) ?? "",
      /^Affiant\.InvalidInput: notes: a "changes" decision needs notes/,
    );
    const still = await get(`/executions/${id}`);
    assert.deepEqual([still.waitingFor, still.review, still.reviewAudit], ["AttorneyReview", waiting.review, undefined]);
    // The form stays (no polling re-render under it): what was typed is still there.
    assert.equal(await page.inputValue("#review-override-reason"), "Checked every paragraph against the exhibits.");

    // Changes aimed at a paragraph, by its number in the filing version, another locked as verified.
    // Paragraph numbers are the filing version's: ¶1 is the opening, ¶2 and ¶3 drafted paragraphs.
    const numbered = (n: number) => doc.paragraphs.find((p: { number: number }) => p.number === n);
    assert.ok(numbered(2)?.element && numbered(3)?.element, `numbers: ${doc.paragraphs.map((p: { number: number }) => p.number)}`);
    const [lockedEl, aimedEl] = [numbered(2).element, numbered(3).element];
    await page.click("#review-add-paragraph-note");
    await page.fill("#review-aimed-paragraph-0", "99");
    await page.fill("#review-aimed-text-0", "Say when they married.");
    await page.fill("#review-lock", "2");
    // Facts from the client, typed into the form: they go with the "changes" decision.
    await page.fill("#review-facts", "We married in a chapel in March 2019.\n\nHer sister Carla Nowhere drove her to the shelter.");
    await page.click("#review-submit");
    await page.waitForSelector("#review-error:not([hidden]) >> text=/no paragraph 99/");
    assert.match(
      (await page.locator("#review-error").textContent()) ?? "",
      /^Affiant\.InvalidInput: notes\[0\]\.paragraph: no paragraph 99 in the filing version under review \(paragraphs 1–\d+\)/,
    );
    assert.equal((await get(`/executions/${id}`)).review.round, 0, "a refused decision changed the gate");
    await page.fill("#review-aimed-paragraph-0", "3");
    await page.click("#review-submit");
    await page.waitForSelector("#review-form", { state: "detached" });
    const round1 = await waitFor("the changes round to wait for review again", async () => {
      const s = await get(`/executions/${id}`);
      return s.status !== "RUNNING" || (s.waitingFor && s.review.round > 0) ? s : undefined;
    });
    assert.equal(round1.waitingFor, "AttorneyReview", `${round1.status}: ${round1.error}: ${round1.cause}`);
    const doc1 = await get(`/executions/${id}/review-document`);
    // Only paragraph 3 was open to the rewrite; every other paragraph reads as it did.
    const textOf = (d: any, element: string) => d.paragraphs.find((p: { element: string }) => p.element === element).texts[0];
    for (const p of doc.paragraphs)
      if (p.element !== aimedEl) assert.equal(textOf(doc1, p.element), p.texts[0], `${p.element} changed though no note named it`);
    const statusOf = (element: string) => doc1.changes.paragraphs.find((p: { element: string }) => p.element === element).status;
    assert.equal(doc1.changes.scoped, true);
    assert.equal(statusOf(lockedEl), "locked");
    assert.ok(["rewritten", "unchanged"].includes(statusOf(aimedEl)), statusOf(aimedEl));
    for (const p of doc1.changes.paragraphs) if (p.element !== aimedEl && p.element !== lockedEl) assert.equal(p.status, "kept", p.element);
    // The facts sent from the form landed: the round's own index holds them, redacted, as an
    // interview (not filed), and the review document (and the page) lists them as a source.
    const blobs = path.join(home.home, "blobs");
    const indexFile = (readdirSync(blobs, { recursive: true }) as string[]).find((f) => /index-r0\.json$/.test(f));
    assert.ok(indexFile, "IndexInterview wrote no index for round 0");
    const indexed = JSON.parse(readFileSync(path.join(blobs, indexFile), "utf8")) as {
      chunks: Array<{ text: string; role?: string; round?: number }>;
      documents: Array<{ role: string; round?: number }>;
    };
    assert.deepEqual(indexed.documents.at(-1), { ...indexed.documents.at(-1), role: "interview", round: 0 });
    const factChunks = indexed.chunks.filter((c) => c.round === 0);
    assert.ok(factChunks.length > 0 && factChunks.every((c) => c.role === "interview"), JSON.stringify(factChunks));
    assert.match(factChunks.map((c) => c.text).join(" "), /chapel in March 2019/);
    assert.doesNotMatch(JSON.stringify(factChunks), /Carla|Nowhere/, "the facts were indexed unredacted");
    const interview = doc1.unfiledSources.find(
      (u: { role: string; title: string }) => u.role === "interview" && /facts from the client/.test(u.title),
    );
    assert.ok(interview, JSON.stringify(doc1.unfiledSources));
    await page.waitForSelector("#review-document #review-unfiled li >> text=/facts from the client/");
    // The redline in the viewer: the summary, and the rewritten paragraph's deletions and insertions.
    await page.waitForSelector("#review-form");
    await page.waitForSelector("#review-document #review-changes");
    assert.match((await page.locator("#review-changes .redline-summary").textContent()) ?? "", /Locked as verified: 2\./);
    if (statusOf(aimedEl) === "rewritten") {
      const redline = page.locator(`#review-changes article.review-redline[data-element="${aimedEl}"] .redline`);
      assert.ok((await redline.locator("ins").count()) + (await redline.locator("del").count()) > 0, "no redline shown");
    }

    // Approve from the form (round 1's, a new one, with the override reason for a failing draft):
    // accepted, the execution runs on and ends.
    await page.fill("#review-override-reason", "Checked every paragraph against the exhibits.");
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
    assert.equal(await entry.count(), 2);
    const cells = await entry.nth(1).locator("td").allTextContents();
    assert.deepEqual([cells[1], cells[2], cells[3], cells[4], cells[5]], ["approve", "A. Attorney", "viewer", "1", round1.review.version]);
    assert.equal((await entry.nth(0).locator("td").allTextContents())[1], "changes");

    // The tiny model's draft fails the gate: the badge and the box say so, never a clean pass.
    assert.equal(done.output.review.status, "failing-review");
    assert.equal((await page.locator('[data-fact="review"] dd').textContent())?.trim(), "FAILING REVIEW");
    assert.match((await page.locator("#failing-review").textContent()) ?? "", /^Failing review: the draft did not pass the quality gate/);
    // The review document stays open once the run has ended, now from the execution's output.
    await page.waitForSelector("#review-document #review-contradictions li");
    assert.match((await page.locator("#review-document-verdict").textContent()) ?? "", /^FAILING REVIEW/);
    assert.equal(done.output.reviewDocument.jsonKey.endsWith("/review.json"), true);
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser?.close();
    await serve.stop();
  }
});
