/**
 * The viewer's entry point (bundled by bin/build.mjs into /viewer/app.js): the token
 * gate, the executions list, the hash router and polling (every 2 s while something shown is
 * RUNNING; stopped on every navigation).
 */
import { ApiError, apiJson, getToken, setToken, takeTokenFromFragment } from "./api.ts";
import { renderDetail } from "./detail.ts";
import { byId, h, replaceChildren } from "./dom.ts";
import { errorText, fmtDuration, fmtTime, statusBadge } from "./format.ts";
import type { ExecutionListItem, ExecutionPage, ExecutionSummary, StateMachine } from "./types.ts";

const POLL_MS = 2000;
let pollTimer: ReturnType<typeof setTimeout> | null = null;
/** Bumped on every navigation: an answer for an older view is dropped. */
let generation = 0;
let definitionCache: StateMachine | null = null;

function view(): HTMLElement {
  return byId("view");
}

function stopPolling(): void {
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
  byId("live").hidden = true;
}

function schedule(fn: () => void): void {
  byId("live").hidden = false;
  pollTimer = setTimeout(fn, POLL_MS);
}

function crumbs(items: Array<{ text: string; href?: string }>): void {
  replaceChildren(
    byId("crumbs"),
    items.map((it, i) => [
      i ? h("span", { class: "sep" }, "/") : null,
      it.href ? h("a", { href: it.href }, it.text) : h("span", null, it.text),
    ]),
  );
}

/** Shown instead of any data when the API answers 401: no token, or a wrong one. */
function renderTokenGate(rejected: boolean): void {
  stopPolling();
  crumbs([]);
  byId("signout").hidden = true;
  const input = h("input", {
    type: "password",
    id: "token-input",
    name: "token",
    autocomplete: "off",
    required: "required",
    placeholder: "AFFIANT_API_TOKEN",
    "aria-label": "API token",
  });
  const form = h(
    "form",
    {
      class: "token-form",
      id: "token-form",
      onsubmit: (ev) => {
        ev.preventDefault();
        setToken(input.value.trim());
        route();
      },
    },
    [input, h("button", { type: "submit", class: "button" }, "Open runs")],
  );
  replaceChildren(
    view(),
    h("section", { class: "card gate", id: "token-required", "data-reason": rejected ? "rejected" : "missing" }, [
      h("h1", null, rejected ? "Token rejected" : "API token required"),
      h(
        "p",
        null,
        rejected
          ? "The server refused this token. Enter the AFFIANT_API_TOKEN that affiant serve was started with."
          : "This server protects its runs with a bearer token. Enter the AFFIANT_API_TOKEN that affiant serve was started with, or open the page as /#token=<token>.",
      ),
      form,
      h(
        "p",
        { class: "muted small" },
        "The token stays in this browser tab (sessionStorage) and is sent only as an Authorization header to this server.",
      ),
    ]),
  );
  input.focus();
}

function handleError(err: unknown, gen: number): void {
  if (gen !== generation) return;
  if (err instanceof ApiError && err.status === 401) {
    const had = !!getToken();
    setToken("");
    renderTokenGate(had);
    return;
  }
  stopPolling();
  const e = errorText(err);
  replaceChildren(
    view(),
    h("section", { class: "card error-box", id: "load-error" }, [
      h("strong", null, e.name || "Error"),
      h("p", null, e.message || "The request failed."),
      h("button", { type: "button", class: "button", onclick: () => route() }, "Retry"),
    ]),
  );
}

function showList(gen: number): void {
  crumbs([{ text: "Executions" }]);
  apiJson<ExecutionPage>("/executions?limit=100")
    .then((page) => {
      if (gen !== generation) return;
      byId("signout").hidden = !getToken();
      const list = page.executions || [];
      replaceChildren(view(), renderList(list, !!page.nextToken));
      if (list.some((e) => e.status === "RUNNING")) schedule(() => showList(gen));
      else stopPolling();
    })
    .catch((err: unknown) => handleError(err, gen));
}

function renderList(list: ExecutionListItem[], more: boolean): HTMLElement {
  // Waiting for the attorney is RUNNING to the engine; the list says what it is.
  const shown = (e: ExecutionListItem) => (e.status === "RUNNING" && e.waitingFor ? "WAITING" : e.status);
  const counts: Record<string, number> = {};
  for (const e of list) counts[shown(e)] = (counts[shown(e)] || 0) + 1;
  const rows = list.map((e) => {
    const href = `#/executions/${encodeURIComponent(e.executionId)}`;
    return h(
      "tr",
      {
        class: "execution",
        "data-execution": e.executionId,
        "data-status": e.status,
        "data-waiting": e.waitingFor && e.status === "RUNNING" ? e.waitingFor : null,
        tabindex: 0,
        onclick: () => {
          window.location.hash = href;
        },
        onkeydown: (ev) => {
          if (ev.key === "Enter") window.location.hash = href;
        },
      },
      [
        h("td", null, shown(e) === "WAITING" ? waitingBadge(e) : statusBadge(e.status)),
        h("td", null, h("a", { href, class: "case-link" }, e.caseId)),
        h("td", null, h("code", { class: "exec-id" }, e.executionId)),
        h("td", null, fmtTime(e.startedAt)),
        h("td", null, e.endedAt ? fmtTime(e.endedAt) : h("span", { class: "muted" }, "–")),
        h("td", { class: "num" }, fmtDuration(e.startedAt, e.endedAt)),
      ],
    );
  });
  return h("section", { class: "card" }, [
    h("div", { class: "card-head" }, [
      h("h1", null, "Executions"),
      h(
        "ul",
        { class: "counts" },
        Object.keys(counts)
          .sort()
          .map((k) =>
            h("li", null, [k === "WAITING" ? h("span", { class: "badge badge-waiting" }, "WAITING") : statusBadge(k), ` ${counts[k]}`]),
          ),
      ),
    ]),
    list.length
      ? h(
          "div",
          { class: "table-wrap" },
          h("table", { class: "executions", id: "executions" }, [
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                ["Status", "Case", "Execution", "Started", "Ended", "Duration"].map((t, i) =>
                  h("th", { class: i === 5 ? "num" : null }, t),
                ),
              ),
            ),
            h("tbody", null, rows),
          ]),
        )
      : h(
          "p",
          { class: "muted empty", id: "no-executions" },
          "No executions yet. Start one with POST /cases/{caseId}/executions or affiant run.",
        ),
    more ? h("p", { class: "muted small" }, `Showing the latest ${list.length} executions; affiant runs list shows them all.`) : null,
  ]);
}

/** An execution waiting in AttorneyReview: for whom, and since when (not RUNNING: nothing runs until the attorney decides). */
function waitingBadge(e: ExecutionListItem): HTMLElement {
  return h("span", { class: "waiting" }, [
    h("span", { class: "badge badge-waiting", title: `waiting in ${e.waitingFor}` }, "WAITING FOR ATTORNEY"),
    e.waitingSince ? h("span", { class: "muted small waiting-since" }, ` since ${fmtTime(e.waitingSince)}`) : null,
  ]);
}

function showDetail(id: string, gen: number): void {
  crumbs([{ text: "Executions", href: "#/" }, { text: id }]);
  const def: Promise<StateMachine | null> = definitionCache
    ? Promise.resolve(definitionCache)
    : apiJson<StateMachine>("/workflow").then(
        (d) => {
          definitionCache = d;
          return d;
        },
        (err: unknown) => {
          if (err instanceof ApiError && err.status === 404) return null;
          throw err;
        },
      );
  Promise.all([apiJson<ExecutionSummary>(`/executions/${encodeURIComponent(id)}`), def])
    .then(([summary, definition]) => {
      if (gen !== generation) return;
      byId("signout").hidden = !getToken();
      const scrollX = document.getElementById("graph")?.scrollLeft || 0;
      replaceChildren(
        view(),
        renderDetail(summary, definition, () => route()),
      );
      const graph = document.getElementById("graph");
      if (graph) graph.scrollLeft = scrollX;
      // Waiting for the attorney changes nothing until they decide: no polling under the form.
      if (summary.status === "RUNNING" && !summary.waitingFor) schedule(() => showDetail(id, gen));
      else stopPolling();
    })
    .catch((err: unknown) => handleError(err, gen));
}

function route(): void {
  generation++;
  stopPolling();
  const hash = window.location.hash || "#/";
  // An id ends at the first separator: `&` starts the fragment's next parameter.
  const m = /^#\/executions\/([^/?#&]+)/.exec(hash);
  if (m?.[1]) showDetail(decodeURIComponent(m[1]), generation);
  else showList(generation);
}

function start(): void {
  takeTokenFromFragment();
  byId("signout").addEventListener("click", () => {
    setToken("");
    window.location.hash = "#/";
    route();
  });
  window.addEventListener("hashchange", () => {
    takeTokenFromFragment();
    route();
  });
  route();
}

document.addEventListener("DOMContentLoaded", start);
