/**
 * Browser code: the state graph. Lays the ASL out top to bottom (a spine from StartAt along
 * Next/Default; Catch targets beside their state; Choice branches to the right; a Parallel
 * as a frame with its branches side by side; loops routed up a lane on the right) and draws
 * it as inline SVG, each node classed by its latest status in the execution.
 */
export const clientGraph = String.raw`
var G = { nodeW: 192, nodeH: 46, passH: 34, colGap: 36, rowGap: 40, pad: 16, lane: 22, head: 30 };

function graphEdges(states) {
  var edges = [];
  Object.keys(states).forEach(function (name) {
    var st = states[name];
    if (st.Next) edges.push({ from: name, to: st.Next, kind: "next" });
    (st.Choices || []).forEach(function (c) { if (c.Next) edges.push({ from: name, to: c.Next, kind: "choice", label: choiceLabel(c) }); });
    if (st.Default) edges.push({ from: name, to: st.Default, kind: "default", label: "default" });
    var caught = {};
    (st.Catch || []).forEach(function (c) {
      if (!c.Next) return;
      if (caught[c.Next]) { caught[c.Next].errors = caught[c.Next].errors.concat(c.ErrorEquals || []); return; }
      caught[c.Next] = { from: name, to: c.Next, kind: "catch", errors: (c.ErrorEquals || []).slice() };
      edges.push(caught[c.Next]);
    });
  });
  edges.forEach(function (e) { if (e.kind === "catch") e.label = "catch"; });
  return edges.filter(function (e) { return states[e.to]; });
}

function choiceLabel(rule) {
  var v = String(rule.Variable || "").replace(/^\$\./, "");
  var ops = { BooleanEquals: "=", StringEquals: "=", NumericEquals: "=", NumericLessThan: "<", NumericGreaterThan: ">", NumericLessThanEquals: "≤", NumericGreaterThanEquals: "≥" };
  for (var op in ops) if (op in rule) return v + " " + ops[op] + " " + String(rule[op]);
  return v || "choice";
}

/** Lays out one state machine (the top level or a Parallel branch) at the origin. */
function layoutMachine(sm) {
  var states = sm.States || {};
  var names = Object.keys(states);
  var edges = graphEdges(states);
  var out = {};
  names.forEach(function (n) { out[n] = []; });
  edges.forEach(function (e) { out[e.from].push(e); });

  // Back edges: those closing a cycle in a depth-first walk from StartAt.
  var mark = {};
  (function dfs(n) {
    mark[n] = 1;
    out[n].forEach(function (e) {
      if (mark[e.to] === 1) e.back = true;
      else if (!mark[e.to]) dfs(e.to);
    });
    mark[n] = 2;
  })(sm.StartAt);

  // Rank = longest path over forward edges; a Catch target shares its state's row.
  var rank = {};
  rank[sm.StartAt] = 0;
  var order = topoOrder(sm.StartAt, out);
  order.forEach(function (n) {
    out[n].forEach(function (e) {
      if (e.back) return;
      var r = rank[n] + (e.kind === "catch" ? 0 : 1);
      if (rank[e.to] === undefined || rank[e.to] < r) rank[e.to] = r;
    });
  });

  // Columns: the spine (Next/Default from StartAt) is column 0; side paths step right.
  var col = {};
  var n = sm.StartAt;
  while (n && col[n] === undefined && states[n]) {
    col[n] = 0;
    n = states[n].Next || states[n].Default;
  }
  var taken = {};
  function place(name, c) {
    while (taken[rank[name] + ":" + c]) c++;
    col[name] = c;
    taken[rank[name] + ":" + c] = true;
  }
  order.forEach(function (name) { if (col[name] === 0) taken[rank[name] + ":0"] = true; });
  order.forEach(function (name) {
    if (col[name] === undefined) return;
    out[name].forEach(function (e) {
      if (e.back || col[e.to] !== undefined) return;
      place(e.to, e.kind === "next" ? col[name] : col[name] + 1);
    });
  });

  // Box sizes; a Parallel is a frame around its branches' own layouts.
  var box = {};
  order.forEach(function (name) {
    var st = states[name];
    if (st.Type === "Parallel") {
      var branches = (st.Branches || []).map(layoutMachine);
      var w = G.pad, hgt = 0;
      branches.forEach(function (b) { b.dx = w; w += b.width + G.pad; hgt = Math.max(hgt, b.height); });
      box[name] = { w: Math.max(w, G.nodeW), h: G.head + hgt + G.pad / 2, branches: branches };
    } else {
      box[name] = { w: G.nodeW, h: st.Type === "Pass" || st.Type === "Succeed" || st.Type === "Fail" ? G.passH : G.nodeH };
    }
  });

  var rows = 0, cols = 0;
  order.forEach(function (name) { rows = Math.max(rows, rank[name] + 1); cols = Math.max(cols, col[name] + 1); });
  var rowH = [], rowY = [], y = G.pad;
  for (var r = 0; r < rows; r++) rowH[r] = 0;
  order.forEach(function (name) { rowH[rank[name]] = Math.max(rowH[rank[name]], box[name].h); });
  for (r = 0; r < rows; r++) { rowY[r] = y; y += rowH[r] + G.rowGap; }

  var axis = G.pad, left = [];
  order.forEach(function (name) { if (col[name] === 0) axis = Math.max(axis, G.pad + box[name].w / 2); });
  var at = {};
  for (var c = 0; c < cols; c++) {
    var x = c === 0 ? 0 : G.pad;
    order.forEach(function (name) {
      if (col[name] !== c) return;
      if (c === 0) return;
      var prev = order.filter(function (o) { return rank[o] === rank[name] && col[o] === c - 1; })[0];
      var edge = prev ? at[prev].x + box[prev].w : left[c - 1] + G.nodeW;
      x = Math.max(x, edge + G.colGap);
    });
    left[c] = c === 0 ? axis - G.nodeW / 2 : x;
    order.forEach(function (name) {
      if (col[name] !== c) return;
      var b = box[name];
      var nx = c === 0 ? axis - b.w / 2 : left[c];
      at[name] = { x: nx, y: rowY[rank[name]] + (rowH[rank[name]] - b.h) / 2, w: b.w, h: b.h };
    });
  }

  var width = 0;
  order.forEach(function (name) { width = Math.max(width, at[name].x + at[name].w); });
  // A loop climbs a lane just right of the rows it passes, and enters its target from below
  // when that lane is still under the target (a wide Parallel); else from the right.
  var backs = edges.filter(function (e) { return e.back; });
  var outer = width;
  backs.forEach(function (e, i) {
    var lo = rank[e.to] + 1, hi = rank[e.from], right = 0;
    order.forEach(function (name) { if (rank[name] >= lo && rank[name] <= hi) right = Math.max(right, at[name].x + at[name].w); });
    var lane = right + G.lane * (i + 1);
    var b = at[e.to];
    if (lane < b.x + b.w - 12) { e.laneX = lane; e.fromBelow = true; }
    else { outer += G.lane; e.laneX = outer; }
  });
  width = Math.max(width, outer);
  backs.forEach(function (e) { width = Math.max(width, e.laneX); });
  return { sm: sm, states: states, order: order, at: at, box: box, edges: edges, width: width + G.pad, height: y - G.rowGap + G.pad };
}

function topoOrder(start, out) {
  var seen = {}, post = [];
  (function visit(n) {
    if (seen[n]) return;
    seen[n] = true;
    out[n].forEach(function (e) { if (!e.back) visit(e.to); });
    post.push(n);
  })(start);
  return post.reverse();
}

/** Per state name: its latest run's status (caught = failed into its Catch), and run count. */
function stateStatuses(summary, definitionStates) {
  var result = {};
  var runs = (summary && summary.states) || [];
  runs.forEach(function (run, i) {
    var entry = result[run.name] || (result[run.name] = { runs: 0 });
    entry.runs++;
    entry.run = run;
    entry.index = i;
    entry.status = run.status === "SUCCEEDED" ? "succeeded" : run.status === "RUNNING" ? "running" : run.status === "ABORTED" ? "aborted" : "failed";
  });
  Object.keys(result).forEach(function (name) {
    var entry = result[name];
    if (entry.status !== "failed") return;
    var def = findState(definitionStates, name);
    var targets = ((def && def.Catch) || []).map(function (c) { return c.Next; });
    var caught = runs.some(function (r, i) { return i > entry.index && targets.indexOf(r.name) >= 0; });
    if (caught) entry.status = "caught";
  });
  return result;
}

function findState(states, name) {
  if (!states) return undefined;
  if (states[name]) return states[name];
  for (var k in states) {
    var branches = states[k].Branches || [];
    for (var i = 0; i < branches.length; i++) {
      var found = findState(branches[i].States, name);
      if (found) return found;
    }
  }
  return undefined;
}

var STATUS_TEXT = { "not-run": "not run", running: "running", succeeded: "succeeded", failed: "failed", caught: "caught → fallback", aborted: "stopped with the execution" };

function renderGraph(definition, summary) {
  var statuses = stateStatuses(summary, definition.States);
  var layout = layoutMachine(definition);
  var svg = s("svg", { class: "graph", width: layout.width, height: layout.height, viewBox: "0 0 " + layout.width + " " + layout.height, role: "img", "aria-label": "State graph" });
  svg.appendChild(s("defs", null, ["next", "catch", "back", "taken"].map(function (k) {
    return s("marker", { id: "arrow-" + k, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, s("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead arrowhead-" + k }));
  })));
  drawLayout(svg, layout, 0, 0, statuses);
  return svg;
}

function drawLayout(svg, layout, ox, oy, statuses) {
  var edgeLayer = s("g", { class: "edges" });
  var nodeLayer = s("g", { class: "nodes" });
  svg.appendChild(edgeLayer);
  svg.appendChild(nodeLayer);
  layout.order.forEach(function (name) {
    var st = layout.states[name];
    var a = layout.at[name];
    var info = statuses[name] || { status: "not-run", runs: 0 };
    var x = ox + a.x, y = oy + a.y;
    var g = s("g", { class: "node node-" + st.Type.toLowerCase() + " status-" + info.status, "data-state": name, "data-status": info.status, transform: "translate(" + x + "," + y + ")" });
    g.appendChild(s("title", null, name + " (" + st.Type + "): " + STATUS_TEXT[info.status] + (info.runs > 1 ? ", " + info.runs + " runs" : "")));
    if (st.Type === "Parallel") {
      g.appendChild(s("rect", { class: "frame", width: a.w, height: a.h, rx: 10 }));
      g.appendChild(s("text", { class: "node-name", x: 12, y: 20 }, name));
      g.appendChild(s("text", { class: "node-sub", x: a.w - 12, y: 20, "text-anchor": "end" }, "Parallel · " + (st.Branches || []).length + " branches" + (info.runs > 1 ? " · ×" + info.runs : "")));
      nodeLayer.appendChild(g);
      layout.box[name].branches.forEach(function (b) { drawLayout(svg, b, x + b.dx, y + G.head - G.pad / 2, statuses); });
      return;
    }
    var small = a.h < G.nodeH;
    g.appendChild(s("rect", { class: "box", width: a.w, height: a.h, rx: small ? a.h / 2 : 8 }));
    g.appendChild(s("circle", { class: "dot", cx: 14, cy: a.h / 2, r: 4.5 }));
    if (small) {
      g.appendChild(s("text", { class: "node-name", x: 26, y: a.h / 2 + 4.5 }, clip(name, 24)));
    } else {
      g.appendChild(s("text", { class: "node-name", x: 26, y: 19 }, clip(name, 27)));
      g.appendChild(s("text", { class: "node-sub", x: 26, y: 35 }, clip(nodeSubtitle(st, info), 31)));
    }
    if (info.runs > 1) g.appendChild(s("text", { class: "node-runs", x: a.w - 8, y: 15, "text-anchor": "end" }, "×" + info.runs));
    nodeLayer.appendChild(g);
  });
  layout.edges.forEach(function (e) { edgeLayer.appendChild(drawEdge(layout, e, ox, oy, statuses)); });
}

function nodeSubtitle(st, info) {
  if (st.Type === "Choice") return "Choice" + (info.run ? " · " + STATUS_TEXT[info.status] : "");
  if (!info.run) return st.Type + " · not run";
  var parts = [STATUS_TEXT[info.status]];
  if (info.run.model) parts.push(info.run.model);
  else if (info.run.endedAt) parts.push(fmtDuration(info.run.startedAt, info.run.endedAt));
  return parts.join(" · ");
}

function clip(text, n) {
  text = String(text);
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}

function drawEdge(layout, e, ox, oy, statuses) {
  var a = layout.at[e.from], b = layout.at[e.to];
  var from = statuses[e.from], to = statuses[e.to];
  var took = from && to && (e.kind === "catch" ? from.status === "caught" : from.status !== "not-run" && to.status !== "not-run" && !(from.status === "caught" && e.kind === "next"));
  var d, lx, ly;
  if (e.back) {
    var sy = a.y + a.h / 2;
    var ty = e.fromBelow ? b.y + b.h : b.y + Math.min(b.h / 2, 22);
    d = "M" + (a.x + a.w) + " " + sy + " H" + e.laneX + " V" + ty + (e.fromBelow ? "" : " H" + (b.x + b.w));
    lx = e.laneX - 6; ly = (sy + ty) / 2;
  } else if (e.kind === "catch" && Math.abs(a.y + a.h / 2 - (b.y + b.h / 2)) < 1) {
    var cy = a.y + a.h / 2;
    d = "M" + (a.x + a.w) + " " + cy + " H" + b.x;
    lx = (a.x + a.w + b.x) / 2; ly = cy - 6;
  } else {
    var sx = a.x + a.w / 2, sy2 = a.y + a.h, tx = b.x + b.w / 2, ty2 = b.y;
    var my = ty2 - G.rowGap / 2;
    d = Math.abs(sx - tx) < 1 ? "M" + sx + " " + sy2 + " V" + ty2 : "M" + sx + " " + sy2 + " V" + my + " H" + tx + " V" + ty2;
    lx = Math.abs(sx - tx) < 1 ? sx + 6 : (sx + tx) / 2; ly = Math.abs(sx - tx) < 1 ? sy2 + 12 : my - 5;
  }
  var kind = e.back ? "back" : e.kind === "catch" ? "catch" : "next";
  var g = s("g", { class: "edge edge-" + e.kind + (e.back ? " edge-back" : "") + (took ? " edge-taken" : ""), "data-from": e.from, "data-to": e.to, transform: "translate(" + ox + "," + oy + ")" });
  g.appendChild(s("path", { d: d, "marker-end": "url(#arrow-" + (took ? "taken" : kind) + ")" }));
  if (e.back && !e.label) e.label = "loop";
  if (e.label && (e.kind !== "next" || e.back)) {
    g.appendChild(s("text", { class: "edge-label", x: lx, y: ly, "text-anchor": e.back ? "end" : e.kind === "catch" ? "middle" : Math.abs(a.x - b.x) < 1 ? "start" : "middle" }, e.label));
  }
  if (e.errors) g.appendChild(s("title", null, "Catch " + e.errors.join(", ")));
  return g;
}
`;
