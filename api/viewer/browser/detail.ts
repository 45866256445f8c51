/**
 * One execution. The header (status, error and cause, cost, score, the declaration
 * download), the state graph and one row per state run with its timing bars on a common
 * scale — what the Step Functions console shows, plus model, provider, fallback reason,
 * tokens/s, queue wait, context, peak memory and cost, and the case's GPU-seconds with the
 * warm idle time charged to it.
 */
import { apiFetch } from "./api.ts";
import { type Child, h, showToast } from "./dom.ts";
import { causeMessage, errorText, fmtCost, fmtDuration, fmtMs, fmtNum, fmtTime, statusBadge } from "./format.ts";
import { findState, type GraphStatus, renderGraph, STATUS_TEXT } from "./graph.ts";
import { renderAuditLog, renderReviewForm } from "./review.ts";
import { renderReviewDocumentSection } from "./review-document.ts";
import type { ExecutionSummary, StateMachine, StateRun } from "./types.ts";

type SegmentKey = "queueMs" | "loadMs" | "promptMs" | "genMs";

const SEGMENTS: Array<{ key: SegmentKey; label: string }> = [
  { key: "queueMs", label: "queue" },
  { key: "loadMs", label: "model load" },
  { key: "promptMs", label: "prompt eval" },
  { key: "genMs", label: "generation" },
];

function runMs(run: StateRun): number {
  const start = Date.parse(run.startedAt);
  const end = run.endedAt ? Date.parse(run.endedAt) : Date.now();
  return Number.isNaN(start) || Number.isNaN(end) ? 0 : Math.max(0, end - start);
}

export function renderDetail(
  summary: ExecutionSummary,
  definition: StateMachine | null,
  onDecided: () => void = () => undefined,
): HTMLDivElement {
  const output: Record<string, unknown> =
    summary.output && typeof summary.output === "object" ? (summary.output as Record<string, unknown>) : {};
  const runs = summary.states || [];
  const fallbacks = runs.filter((r) => r.fallbackReason || /Fallback$/.test(r.name)).length;
  const gpuRuns = runs.filter((r) => r.model);
  const stateCost = runs.reduce((n, r) => n + (typeof r.costUsd === "number" ? r.costUsd : 0), 0);
  const totalCost = typeof output.costUsd === "number" ? output.costUsd : gpuRuns.length ? stateCost : null;

  const score = typeof output.score === "number" ? output.score : summary.review?.score;
  const facts = h("dl", { class: "facts" }, [
    fact("Status", statusBadge(summary.status), "status"),
    fact("Started", fmtTime(summary.startedAt), "started"),
    fact("Duration", fmtDuration(summary.startedAt, summary.endedAt) + (summary.endedAt ? "" : " so far"), "duration"),
    fact("Total cost", fmtCost(totalCost), "cost"),
    // Warm model workers' idle time is charged to the case that takes them: shown, not hidden.
    fact(
      "GPU-seconds",
      summary.gpu ? `${fmtNum(summary.gpu.seconds, 1)} s (warm idle ${fmtNum(summary.gpu.warmIdleSeconds, 1)} s)` : "–",
      "gpu-seconds",
    ),
    // A waiting execution has no output yet: the score is the draft under review's.
    fact("Score", typeof score === "number" ? score.toFixed(3) : "–", "score"),
    fact("Review", reviewBadge(summary.quality), "review"),
    fact("State runs", String(runs.length), "runs"),
    fact("Fallbacks", String(fallbacks), "fallbacks"),
    summary.waitingFor ? fact("Waiting in", summary.waitingFor, "waiting") : null,
  ]);

  const actions = h("div", { class: "actions" });
  if (summary.status === "SUCCEEDED") {
    const button = h("button", { type: "button", class: "button", id: "declaration" }, "Download declaration (.md)");
    button.addEventListener("click", () => downloadDeclaration(summary.executionId, button));
    actions.appendChild(button);
  }

  let errorBox: HTMLDivElement | null = null;
  if (summary.error || summary.cause) {
    errorBox = h("div", { class: "error-box", id: "execution-error" }, [
      h("strong", null, summary.error || "Error"),
      summary.cause ? h("p", null, causeMessage(summary.cause)) : null,
      // What the failed run leaves behind: the stages whose outputs are stored.
      summary.completedStages
        ? h("p", { id: "completed-stages" }, `Completed stages: ${summary.completedStages.join(", ") || "none"}`)
        : null,
    ]);
  }

  // A declaration that failed the gate with no rewrite left ships, but never looks clean.
  const reviewBox =
    summary.quality?.status === "failing-review"
      ? h("div", { class: "error-box", id: "failing-review" }, [
          h("strong", null, "Failing review: the draft did not pass the quality gate and no rewrite was left"),
          ...summary.quality.failures.map((f) => h("p", null, f)),
        ])
      : null;

  return h("div", { class: "detail" }, [
    h("section", { class: "card summary-card" }, [
      h("div", { class: "card-head" }, [
        h("div", null, [h("h1", null, summary.caseId), h("code", { class: "exec-id" }, summary.executionId)]),
        actions,
      ]),
      facts,
      reviewBox,
      errorBox,
    ]),
    summary.waitingFor ? renderReviewForm(summary, onDecided) : null,
    summary.reviewAudit?.length ? renderAuditLog(summary.reviewAudit) : null,
    // Reinject has written it by the time the execution waits for the attorney or has succeeded.
    summary.waitingFor || summary.status === "SUCCEEDED"
      ? renderReviewDocumentSection(summary.executionId, summary.status + (summary.review ? `:${summary.review.round}` : ""))
      : null,
    h("section", { class: "card" }, [
      h("div", { class: "card-head" }, [h("h2", null, "State graph"), graphLegend()]),
      h(
        "div",
        { class: "graph-wrap", id: "graph" },
        definition ? renderGraph(definition, summary) : h("p", { class: "muted" }, "The definition is not available from this API."),
      ),
    ]),
    h("section", { class: "card" }, [
      h("div", { class: "card-head" }, [h("h2", null, "State runs"), timingLegend()]),
      renderRunsTable(runs, summary.startedAt, definition),
    ]),
  ]);
}

function reviewBadge(review: ExecutionSummary["quality"]): HTMLSpanElement | string {
  if (!review) return "–";
  return review.status === "passed"
    ? h("span", { class: "badge badge-succeeded" }, "passed")
    : h("span", { class: "badge badge-failed" }, "FAILING REVIEW");
}

function fact(label: string, value: Child, key: string): HTMLDivElement {
  return h("div", { class: "fact", "data-fact": key }, [h("dt", null, label), h("dd", null, value)]);
}

function graphLegend(): HTMLUListElement {
  const keys: GraphStatus[] = ["not-run", "running", "succeeded", "caught", "failed", "aborted"];
  return h(
    "ul",
    { class: "legend" },
    keys
      .map((k) => h("li", null, [h("span", { class: `swatch status-${k}` }), STATUS_TEXT[k]]))
      .concat([h("li", null, [h("span", { class: "line-swatch dashed" }), "catch → fallback"])]),
  );
}

function timingLegend(): HTMLUListElement {
  return h(
    "ul",
    { class: "legend" },
    SEGMENTS.map((seg) => h("li", null, [h("span", { class: `swatch seg-${seg.key}` }), seg.label])).concat([
      h("li", null, [h("span", { class: "swatch seg-other" }), "other (wall time)"]),
    ]),
  );
}

function renderRunsTable(runs: StateRun[], executionStart: string, definition: StateMachine | null): HTMLDivElement {
  let scale = 1;
  for (const r of runs) {
    const sum = SEGMENTS.reduce((n, seg) => n + (r[seg.key] || 0), 0);
    scale = Math.max(scale, runMs(r), sum);
  }
  const t0 = Date.parse(executionStart);
  const head = h(
    "thead",
    null,
    h(
      "tr",
      null,
      [
        "State",
        "Status",
        `Timing (scale ${fmtMs(scale)})`,
        "Wall",
        "Model",
        "Provider",
        "Fallback reason",
        "Tokens in/out",
        "Tok/s",
        "Ctx · RSS",
        "Cost",
      ].map((t, i) => h("th", { class: i >= 7 || i === 3 ? "num" : null }, t)),
    ),
  );
  const body = h("tbody");
  runs.forEach((r, i) => {
    const status =
      r.status === "SUCCEEDED"
        ? "succeeded"
        : r.status === "RUNNING"
          ? "running"
          : r.status === "ABORTED"
            ? "aborted"
            : wasCaught(runs, i, definition)
              ? "caught"
              : "failed";
    const tps = typeof r.tokensPerSecond === "number" ? r.tokensPerSecond : r.genMs && r.tokensOut ? r.tokensOut / (r.genMs / 1000) : null;
    body.appendChild(
      h("tr", { class: `run status-row-${status}`, "data-state": r.name, "data-run": i }, [
        h("td", { class: "state-name" }, [
          r.name,
          h("span", { class: "run-start" }, Number.isNaN(t0) ? "" : `started +${fmtMs(Date.parse(r.startedAt) - t0)}`),
        ]),
        h("td", { "data-col": "status" }, statusBadge(status === "caught" ? "CAUGHT" : r.status)),
        h("td", { class: "timing" }, timingBar(r, scale)),
        h("td", { class: "num", "data-col": "wall" }, r.endedAt ? fmtMs(runMs(r)) : "running"),
        h("td", { "data-col": "model" }, r.model ? h("code", null, r.model) : dash()),
        h("td", { "data-col": "provider" }, r.provider ? h("span", { class: "provider" }, r.provider) : dash()),
        h("td", { "data-col": "fallback", class: r.fallbackReason ? "fallback" : null }, r.fallbackReason || dash()),
        h(
          "td",
          { class: "num", "data-col": "tokens" },
          r.tokensIn === null && r.tokensOut === null ? dash() : `${fmtNum(r.tokensIn)} / ${fmtNum(r.tokensOut)}`,
        ),
        h("td", { class: "num", "data-col": "tps" }, tps === null ? dash() : fmtNum(tps, 1)),
        h(
          "td",
          { class: "num", "data-col": "context" },
          r.contextSize || r.peakRssMb ? `${fmtNum(r.contextSize)} · ${r.peakRssMb ? `${fmtNum(r.peakRssMb)} MB` : "–"}` : dash(),
        ),
        h("td", { class: "num", "data-col": "cost" }, r.costUsd === null || r.costUsd === undefined ? dash() : fmtCost(r.costUsd)),
      ]),
    );
    if (r.error || r.cause) {
      body.appendChild(
        h(
          "tr",
          { class: "run-error" },
          h("td", { colspan: 11 }, [h("strong", null, r.error || "Error"), r.cause ? ` — ${causeMessage(r.cause)}` : ""]),
        ),
      );
    }
  });
  if (!runs.length) body.appendChild(h("tr", null, h("td", { colspan: 11, class: "muted" }, "No state has started yet.")));
  return h("div", { class: "table-wrap" }, h("table", { class: "runs" }, [head, body]));
}

/** Failed into its Catch: a later run is one of the state's Catch targets. */
function wasCaught(runs: StateRun[], i: number, definition: StateMachine | null): boolean {
  const run = runs[i];
  const def = definition && run ? findState(definition.States, run.name) : undefined;
  const targets = (def?.Catch || []).map((c) => c.Next);
  for (let j = i + 1; j < runs.length; j++) if (targets.indexOf(runs[j]?.name) >= 0) return true;
  return false;
}

function dash(): HTMLSpanElement {
  return h("span", { class: "muted" }, "–");
}

/** Stacked bar: queue, load, prompt, generation, then the rest of the wall time, one scale. */
function timingBar(r: StateRun, scale: number): HTMLDivElement {
  const bar = h("div", { class: "bar", title: "" });
  let used = 0;
  const tips: string[] = [];
  for (const seg of SEGMENTS) {
    const ms = r[seg.key];
    if (typeof ms !== "number" || ms <= 0) continue;
    used += ms;
    tips.push(`${seg.label} ${fmtMs(ms)}`);
    const el = h("span", { class: `seg seg-${seg.key}`, "data-seg": seg.key });
    el.style.width = pct(ms, scale);
    bar.appendChild(el);
  }
  const rest = runMs(r) - used;
  if (rest > 0) {
    const other = h("span", { class: "seg seg-other", "data-seg": "other" });
    other.style.width = pct(rest, scale);
    bar.appendChild(other);
    tips.push(`other ${fmtMs(rest)}`);
  }
  bar.setAttribute("title", tips.join(" · ") || "no timing");
  return bar;
}

/** A non-zero segment keeps a visible sliver even beside a long OCR step. */
function pct(ms: number, scale: number): string {
  return `max(3px, ${Math.min(100, (ms / scale) * 100).toFixed(3)}%)`;
}

function downloadDeclaration(executionId: string, button: HTMLButtonElement): void {
  button.disabled = true;
  apiFetch(`/executions/${encodeURIComponent(executionId)}/declaration`)
    .then((res) => res.blob())
    .then((blob) => {
      const url = URL.createObjectURL(blob);
      const a = h("a", { href: url, download: `declaration-${executionId}.md` });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    })
    .catch((err: unknown) => {
      const e = errorText(err);
      showToast((e.name ? `${e.name}: ` : "") + (e.message || "download failed"));
    })
    .then(() => {
      button.disabled = false;
    });
}
