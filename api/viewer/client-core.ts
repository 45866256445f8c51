/**
 * Browser code shared by the viewer's views: DOM building (text nodes and attributes only —
 * data is never parsed as markup), the token, the API client and number formatting. Kept as a string so
 * the page needs no bundler; plain ES2020, no template literals (this is one).
 */
export const clientCore = String.raw`
var SVG_NS = "http://www.w3.org/2000/svg";
var TOKEN_KEY = "affiant.apiToken";

/** Builds an element; string children become text nodes, so data is always escaped. */
function h(tag, attrs, children) {
  var el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function s(tag, attrs, children) {
  var el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  Object.keys(attrs).forEach(function (k) {
    var v = attrs[k];
    if (v === undefined || v === null || v === false) return;
    if (k === "onclick") el.addEventListener("click", v);
    else if (k === "onsubmit") el.addEventListener("submit", v);
    else if (k === "onkeydown") el.addEventListener("keydown", v);
    else el.setAttribute(k, String(v));
  });
}

function append(el, children) {
  if (children === undefined || children === null || children === false) return;
  if (!Array.isArray(children)) children = [children];
  children.forEach(function (c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) append(el, c);
    else if (typeof c === "string" || typeof c === "number") el.appendChild(document.createTextNode(String(c)));
    else el.appendChild(c);
  });
}

function replaceChildren(el, children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, children);
}

/** A #token=… fragment is moved to sessionStorage and wiped from the address bar at once. */
function takeTokenFromFragment() {
  var hash = window.location.hash || "";
  var m = /(?:^#|[&#])token=([^&]*)/.exec(hash);
  if (!m) return;
  try { sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1])); } catch (e) { /* storage off: form again */ }
  var rest = hash.replace(/(^#|&)token=[^&]*/, "$1").replace(/^#&/, "#");
  history.replaceState(null, "", window.location.pathname + (rest === "#" ? "#/" : rest));
}

function getToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
}

function setToken(t) {
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) { /* ignore */ }
}

function ApiError(status, name, message) {
  this.status = status;
  this.name = name;
  this.message = message;
}

function apiFetch(path) {
  var headers = { accept: "application/json" };
  var token = getToken();
  if (token) headers.authorization = "Bearer " + token;
  return fetch(path, { headers: headers, cache: "no-store" }).then(function (res) {
    if (res.ok) return res;
    return res.json().catch(function () { return {}; }).then(function (body) {
      var e = (body && body.error) || {};
      throw new ApiError(res.status, e.name || "HTTP " + res.status, e.message || res.statusText);
    });
  });
}

function apiJson(path) {
  return apiFetch(path).then(function (res) { return res.json(); });
}

function fmtMs(ms) {
  if (ms === null || ms === undefined || isNaN(ms)) return "–";
  if (ms < 1000) return Math.round(ms) + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
  var m = Math.floor(ms / 60000);
  return m + " min " + Math.round((ms - m * 60000) / 1000) + " s";
}

function fmtDuration(startedAt, endedAt) {
  var start = Date.parse(startedAt);
  var end = endedAt ? Date.parse(endedAt) : Date.now();
  if (isNaN(start) || isNaN(end)) return "–";
  return fmtMs(end - start);
}

function fmtTime(iso) {
  var d = new Date(iso);
  if (isNaN(d.getTime())) return "–";
  return d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

function fmtCost(usd) {
  if (usd === null || usd === undefined || isNaN(usd)) return "–";
  if (usd === 0) return "$0";
  if (usd < 0.0001) return "<$0.0001";
  return "$" + (usd < 0.01 ? usd.toFixed(4) : usd.toFixed(3));
}

function fmtNum(n, digits) {
  if (n === null || n === undefined || isNaN(n)) return "–";
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits || 0 });
}

/** A cause is often a JSON error object: show its message, not the wrapping. */
function causeMessage(cause) {
  if (typeof cause !== "string" || !cause) return "";
  var text = cause.trim();
  if (text.charAt(0) === "{") {
    try {
      var parsed = JSON.parse(text);
      var msg = parsed.errorMessage || parsed.message || parsed.Message || parsed.reason || parsed.cause;
      if (typeof msg === "string") return causeMessage(msg) || msg;
      if (parsed && typeof parsed === "object") {
        return Object.keys(parsed).filter(function (k) { return typeof parsed[k] !== "object"; }).map(function (k) { return k + ": " + parsed[k]; }).join(" · ");
      }
    } catch (e) { /* not JSON after all */ }
  }
  return text;
}

function statusBadge(status) {
  var st = String(status || "UNKNOWN");
  return h("span", { class: "badge badge-" + st.toLowerCase().replace(/_/g, "-") }, st.replace(/_/g, " "));
}
`;
