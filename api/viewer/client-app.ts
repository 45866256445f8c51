/**
 * Browser code: the token gate, the executions list, the hash router and polling (every
 * 2 s while something shown is RUNNING; stopped on every navigation).
 */
export const clientApp = String.raw`
var POLL_MS = 2000;
var view = null;
var pollTimer = null;
var generation = 0;
var definitionCache = null;

function stopPolling() {
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
  document.getElementById("live").hidden = true;
}

function schedule(fn) {
  document.getElementById("live").hidden = false;
  pollTimer = setTimeout(fn, POLL_MS);
}

function crumbs(items) {
  replaceChildren(document.getElementById("crumbs"), items.map(function (it, i) {
    return [i ? h("span", { class: "sep" }, "/") : null, it.href ? h("a", { href: it.href }, it.text) : h("span", null, it.text)];
  }));
}

function showToast(message) {
  var t = h("div", { class: "toast", role: "alert" }, message);
  document.body.appendChild(t);
  setTimeout(function () { t.remove(); }, 6000);
}

/** Shown instead of any data when the API answers 401: no token, or a wrong one. */
function renderTokenGate(rejected) {
  stopPolling();
  crumbs([]);
  document.getElementById("signout").hidden = true;
  var input = h("input", { type: "password", id: "token-input", name: "token", autocomplete: "off", required: "required", placeholder: "AFFIANT_API_TOKEN", "aria-label": "API token" });
  var form = h("form", { class: "token-form", id: "token-form", onsubmit: function (ev) {
    ev.preventDefault();
    setToken(input.value.trim());
    route();
  } }, [input, h("button", { type: "submit", class: "button" }, "Open runs")]);
  replaceChildren(view, h("section", { class: "card gate", id: "token-required", "data-reason": rejected ? "rejected" : "missing" }, [
    h("h1", null, rejected ? "Token rejected" : "API token required"),
    h("p", null, rejected
      ? "The server refused this token. Enter the AFFIANT_API_TOKEN that affiant serve was started with."
      : "This server protects its runs with a bearer token. Enter the AFFIANT_API_TOKEN that affiant serve was started with, or open the page as /#token=<token>."),
    form,
    h("p", { class: "muted small" }, "The token stays in this browser tab (sessionStorage) and is sent only as an Authorization header to this server."),
  ]));
  input.focus();
}

function handleError(err, gen) {
  if (gen !== generation) return;
  if (err instanceof ApiError && err.status === 401) {
    var had = !!getToken();
    setToken("");
    renderTokenGate(had);
    return;
  }
  stopPolling();
  replaceChildren(view, h("section", { class: "card error-box", id: "load-error" }, [
    h("strong", null, (err && err.name) || "Error"),
    h("p", null, (err && err.message) || "The request failed."),
    h("button", { type: "button", class: "button", onclick: route }, "Retry"),
  ]));
}

function showList(gen) {
  crumbs([{ text: "Executions" }]);
  apiJson("/executions?limit=100").then(function (page) {
    if (gen !== generation) return;
    document.getElementById("signout").hidden = !getToken();
    var list = page.executions || [];
    replaceChildren(view, renderList(list, !!page.nextToken));
    if (list.some(function (e) { return e.status === "RUNNING"; })) schedule(function () { showList(gen); });
    else stopPolling();
  }).catch(function (err) { handleError(err, gen); });
}

function renderList(list, more) {
  var counts = {};
  list.forEach(function (e) { counts[e.status] = (counts[e.status] || 0) + 1; });
  var rows = list.map(function (e) {
    var href = "#/executions/" + encodeURIComponent(e.executionId);
    return h("tr", { class: "execution", "data-execution": e.executionId, "data-status": e.status, tabindex: 0, onclick: function () { window.location.hash = href; }, onkeydown: function (ev) { if (ev.key === "Enter") window.location.hash = href; } }, [
      h("td", null, statusBadge(e.status)),
      h("td", null, h("a", { href: href, class: "case-link" }, e.caseId)),
      h("td", null, h("code", { class: "exec-id" }, e.executionId)),
      h("td", null, fmtTime(e.startedAt)),
      h("td", null, e.endedAt ? fmtTime(e.endedAt) : h("span", { class: "muted" }, "–")),
      h("td", { class: "num" }, fmtDuration(e.startedAt, e.endedAt)),
    ]);
  });
  return h("section", { class: "card" }, [
    h("div", { class: "card-head" }, [
      h("h1", null, "Executions"),
      h("ul", { class: "counts" }, Object.keys(counts).sort().map(function (k) { return h("li", null, [statusBadge(k), " " + counts[k]]); })),
    ]),
    list.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "executions", id: "executions" }, [
          h("thead", null, h("tr", null, ["Status", "Case", "Execution", "Started", "Ended", "Duration"].map(function (t, i) { return h("th", { class: i === 5 ? "num" : null }, t); }))),
          h("tbody", null, rows),
        ]))
      : h("p", { class: "muted empty", id: "no-executions" }, "No executions yet. Start one with POST /cases/{caseId}/executions or affiant run."),
    more ? h("p", { class: "muted small" }, "Showing the latest " + list.length + " executions; affiant runs list shows them all.") : null,
  ]);
}

function showDetail(id, gen) {
  crumbs([{ text: "Executions", href: "#/" }, { text: id }]);
  var def = definitionCache
    ? Promise.resolve(definitionCache)
    : apiJson("/workflow").then(function (d) { definitionCache = d; return d; }, function (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      });
  Promise.all([apiJson("/executions/" + encodeURIComponent(id)), def]).then(function (res) {
    if (gen !== generation) return;
    document.getElementById("signout").hidden = !getToken();
    var scrollX = (document.getElementById("graph") || {}).scrollLeft || 0;
    replaceChildren(view, renderDetail(res[0], res[1]));
    var graph = document.getElementById("graph");
    if (graph) graph.scrollLeft = scrollX;
    if (res[0].status === "RUNNING") schedule(function () { showDetail(id, gen); });
    else stopPolling();
  }).catch(function (err) { handleError(err, gen); });
}

function route() {
  generation++;
  stopPolling();
  var hash = window.location.hash || "#/";
  var m = /^#\/executions\/([^/?#]+)/.exec(hash);
  if (m) showDetail(decodeURIComponent(m[1]), generation);
  else showList(generation);
}

function start() {
  view = document.getElementById("view");
  takeTokenFromFragment();
  document.getElementById("signout").addEventListener("click", function () {
    setToken("");
    window.location.hash = "#/";
    route();
  });
  window.addEventListener("hashchange", function () {
    takeTokenFromFragment();
    route();
  });
  route();
}

document.addEventListener("DOMContentLoaded", start);
`;
