/**
 * Browser code: one execution. The header (status, error and cause, cost, score, the
 * declaration download), the state graph and one row per state run with its timing bars on
 * a common scale — what the Step Functions console shows, plus model, provider, fallback
 * reason, tokens/s, queue wait, context, peak memory and cost.
 */
export const clientDetail = String.raw`
var SEGMENTS = [
  { key: "queueMs", label: "queue" },
  { key: "loadMs", label: "model load" },
  { key: "promptMs", label: "prompt eval" },
  { key: "genMs", label: "generation" },
];

function runMs(run) {
  var start = Date.parse(run.startedAt);
  var end = run.endedAt ? Date.parse(run.endedAt) : Date.now();
  return isNaN(start) || isNaN(end) ? 0 : Math.max(0, end - start);
}

function renderDetail(summary, definition) {
  var output = summary.output && typeof summary.output === "object" ? summary.output : {};
  var runs = summary.states || [];
  var fallbacks = runs.filter(function (r) { return r.fallbackReason || /Fallback$/.test(r.name); }).length;
  var gpuRuns = runs.filter(function (r) { return r.model; });
  var stateCost = runs.reduce(function (n, r) { return n + (typeof r.costUsd === "number" ? r.costUsd : 0); }, 0);
  var totalCost = typeof output.costUsd === "number" ? output.costUsd : gpuRuns.length ? stateCost : null;

  var facts = h("dl", { class: "facts" }, [
    fact("Status", statusBadge(summary.status), "status"),
    fact("Started", fmtTime(summary.startedAt), "started"),
    fact("Duration", fmtDuration(summary.startedAt, summary.endedAt) + (summary.endedAt ? "" : " so far"), "duration"),
    fact("Total cost", fmtCost(totalCost), "cost"),
    fact("Score", typeof output.score === "number" ? output.score.toFixed(3) : "–", "score"),
    fact("State runs", String(runs.length), "runs"),
    fact("Fallbacks", String(fallbacks), "fallbacks"),
  ]);

  var actions = h("div", { class: "actions" });
  if (summary.status === "SUCCEEDED") {
    actions.appendChild(h("button", { type: "button", class: "button", id: "declaration", onclick: function () { downloadDeclaration(summary.executionId, this); } }, "Download declaration (.md)"));
  }

  var errorBox = null;
  if (summary.error || summary.cause) {
    errorBox = h("div", { class: "error-box", id: "execution-error" }, [
      h("strong", null, summary.error || "Error"),
      summary.cause ? h("p", null, causeMessage(summary.cause)) : null,
      // What the failed run leaves behind: the stages whose outputs are stored.
      summary.completedStages ? h("p", { id: "completed-stages" }, "Completed stages: " + (summary.completedStages.join(", ") || "none")) : null,
    ]);
  }

  return h("div", { class: "detail" }, [
    h("section", { class: "card summary-card" }, [
      h("div", { class: "card-head" }, [
        h("div", null, [h("h1", null, summary.caseId), h("code", { class: "exec-id" }, summary.executionId)]),
        actions,
      ]),
      facts,
      errorBox,
    ]),
    h("section", { class: "card" }, [
      h("div", { class: "card-head" }, [h("h2", null, "State graph"), graphLegend()]),
      h("div", { class: "graph-wrap", id: "graph" }, definition ? renderGraph(definition, summary) : h("p", { class: "muted" }, "The definition is not available from this API.")),
    ]),
    h("section", { class: "card" }, [
      h("div", { class: "card-head" }, [h("h2", null, "State runs"), timingLegend()]),
      renderRunsTable(runs, summary.startedAt, definition),
    ]),
  ]);
}

function fact(label, value, key) {
  return h("div", { class: "fact", "data-fact": key }, [h("dt", null, label), h("dd", null, value)]);
}

function graphLegend() {
  return h("ul", { class: "legend" }, ["not-run", "running", "succeeded", "caught", "failed", "aborted"].map(function (k) {
    return h("li", null, [h("span", { class: "swatch status-" + k }), STATUS_TEXT[k]]);
  }).concat([h("li", null, [h("span", { class: "line-swatch dashed" }), "catch → fallback"])]));
}

function timingLegend() {
  return h("ul", { class: "legend" }, SEGMENTS.map(function (seg) {
    return h("li", null, [h("span", { class: "swatch seg-" + seg.key }), seg.label]);
  }).concat([h("li", null, [h("span", { class: "swatch seg-other" }), "other (wall time)"])]));
}

function renderRunsTable(runs, executionStart, definition) {
  var scale = 1;
  runs.forEach(function (r) {
    var sum = SEGMENTS.reduce(function (n, seg) { return n + (r[seg.key] || 0); }, 0);
    scale = Math.max(scale, runMs(r), sum);
  });
  var t0 = Date.parse(executionStart);
  var head = h("thead", null, h("tr", null, ["State", "Status", "Timing (scale " + fmtMs(scale) + ")", "Wall", "Model", "Provider", "Fallback reason", "Tokens in/out", "Tok/s", "Ctx · RSS", "Cost"].map(function (t, i) {
    return h("th", { class: i >= 7 || i === 3 ? "num" : null }, t);
  })));
  var body = h("tbody");
  runs.forEach(function (r, i) {
    var status = r.status === "SUCCEEDED" ? "succeeded" : r.status === "RUNNING" ? "running" : r.status === "ABORTED" ? "aborted" : wasCaught(runs, i, definition) ? "caught" : "failed";
    var tps = typeof r.tokensPerSecond === "number" ? r.tokensPerSecond : r.genMs && r.tokensOut ? r.tokensOut / (r.genMs / 1000) : null;
    body.appendChild(h("tr", { class: "run status-row-" + status, "data-state": r.name, "data-run": i }, [
      h("td", { class: "state-name" }, [r.name, h("span", { class: "run-start" }, isNaN(t0) ? "" : "started +" + fmtMs(Date.parse(r.startedAt) - t0))]),
      h("td", { "data-col": "status" }, statusBadge(status === "caught" ? "CAUGHT" : r.status)),
      h("td", { class: "timing" }, timingBar(r, scale)),
      h("td", { class: "num", "data-col": "wall" }, r.endedAt ? fmtMs(runMs(r)) : "running"),
      h("td", { "data-col": "model" }, r.model ? h("code", null, r.model) : dash()),
      h("td", { "data-col": "provider" }, r.provider ? h("span", { class: "provider" }, r.provider) : dash()),
      h("td", { "data-col": "fallback", class: r.fallbackReason ? "fallback" : null }, r.fallbackReason || dash()),
      h("td", { class: "num", "data-col": "tokens" }, r.tokensIn === null && r.tokensOut === null ? dash() : fmtNum(r.tokensIn) + " / " + fmtNum(r.tokensOut)),
      h("td", { class: "num", "data-col": "tps" }, tps === null ? dash() : fmtNum(tps, 1)),
      h("td", { class: "num", "data-col": "context" }, r.contextSize || r.peakRssMb ? fmtNum(r.contextSize) + " · " + (r.peakRssMb ? fmtNum(r.peakRssMb) + " MB" : "–") : dash()),
      h("td", { class: "num", "data-col": "cost" }, r.costUsd === null || r.costUsd === undefined ? dash() : fmtCost(r.costUsd)),
    ]));
    if (r.error || r.cause) {
      body.appendChild(h("tr", { class: "run-error" }, h("td", { colspan: 11 }, [h("strong", null, r.error || "Error"), r.cause ? " — " + causeMessage(r.cause) : ""])));
    }
  });
  if (!runs.length) body.appendChild(h("tr", null, h("td", { colspan: 11, class: "muted" }, "No state has started yet.")));
  return h("div", { class: "table-wrap" }, h("table", { class: "runs" }, [head, body]));
}

/** Failed into its Catch: a later run is one of the state's Catch targets. */
function wasCaught(runs, i, definition) {
  var def = definition ? findState(definition.States, runs[i].name) : null;
  var targets = ((def && def.Catch) || []).map(function (c) { return c.Next; });
  for (var j = i + 1; j < runs.length; j++) if (targets.indexOf(runs[j].name) >= 0) return true;
  return false;
}

function dash() {
  return h("span", { class: "muted" }, "–");
}

/** Stacked bar: queue, load, prompt, generation, then the rest of the wall time, one scale. */
function timingBar(r, scale) {
  var bar = h("div", { class: "bar", title: "" });
  var used = 0, tips = [];
  SEGMENTS.forEach(function (seg) {
    var ms = r[seg.key];
    if (typeof ms !== "number" || ms <= 0) return;
    used += ms;
    tips.push(seg.label + " " + fmtMs(ms));
    var el = h("span", { class: "seg seg-" + seg.key, "data-seg": seg.key });
    el.style.width = pct(ms, scale);
    bar.appendChild(el);
  });
  var rest = runMs(r) - used;
  if (rest > 0) {
    var other = h("span", { class: "seg seg-other", "data-seg": "other" });
    other.style.width = pct(rest, scale);
    bar.appendChild(other);
    tips.push("other " + fmtMs(rest));
  }
  bar.setAttribute("title", tips.join(" · ") || "no timing");
  return bar;
}

/** A non-zero segment keeps a visible sliver even beside a long OCR step. */
function pct(ms, scale) {
  return "max(3px, " + Math.min(100, (ms / scale) * 100).toFixed(3) + "%)";
}

function downloadDeclaration(executionId, button) {
  button.disabled = true;
  apiFetch("/executions/" + encodeURIComponent(executionId) + "/declaration").then(function (res) {
    return res.blob();
  }).then(function (blob) {
    var url = URL.createObjectURL(blob);
    var a = h("a", { href: url, download: "declaration-" + executionId + ".md" });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }).catch(function (err) {
    showToast((err && err.name ? err.name + ": " : "") + ((err && err.message) || "download failed"));
  }).then(function () { button.disabled = false; });
}
`;
