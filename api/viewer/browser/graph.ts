/**
 * The state graph drawn as inline SVG (layout in graph-layout.ts), each node classed by its
 * latest status in the execution; Catch edges dashed, the path taken highlighted.
 */
import { s } from "./dom.ts";
import { fmtDuration } from "./format.ts";
import { type Edge, G, get, type Layout, layoutMachine } from "./graph-layout.ts";
import type { AslState, ExecutionSummary, StateMachine, StateRun } from "./types.ts";

/** A state's latest outcome; `caught` = failed into its Catch. */
export type GraphStatus = "not-run" | "running" | "succeeded" | "failed" | "caught" | "aborted";

export const STATUS_TEXT: Record<GraphStatus, string> = {
  "not-run": "not run",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  caught: "caught → fallback",
  aborted: "stopped with the execution",
};

interface StatusEntry {
  status: GraphStatus;
  runs: number;
  run?: StateRun;
  index?: number;
}

/** Per state name: its latest run's status (caught = failed into its Catch), and run count. */
function stateStatuses(
  summary: ExecutionSummary | null | undefined,
  definitionStates: Record<string, AslState>,
): Record<string, StatusEntry> {
  const result: Record<string, StatusEntry> = {};
  const runs = summary?.states || [];
  runs.forEach((run, i) => {
    const entry = result[run.name] ?? (result[run.name] = { status: "not-run", runs: 0 });
    entry.runs++;
    entry.run = run;
    entry.index = i;
    entry.status =
      run.status === "SUCCEEDED" ? "succeeded" : run.status === "RUNNING" ? "running" : run.status === "ABORTED" ? "aborted" : "failed";
  });
  for (const name of Object.keys(result)) {
    const entry = get(result, name);
    if (entry.status !== "failed") continue;
    const def = findState(definitionStates, name);
    const targets = (def?.Catch || []).map((c) => c.Next);
    const caught = runs.some((r, i) => i > (entry.index ?? 0) && targets.indexOf(r.name) >= 0);
    if (caught) entry.status = "caught";
  }
  return result;
}

/** A state by name, looking inside Parallel branches too. */
export function findState(states: Record<string, AslState> | undefined, name: string): AslState | undefined {
  if (!states) return undefined;
  const direct = states[name];
  if (direct) return direct;
  for (const k in states) {
    for (const branch of states[k]?.Branches || []) {
      const found = findState(branch.States, name);
      if (found) return found;
    }
  }
  return undefined;
}

export function renderGraph(definition: StateMachine, summary: ExecutionSummary): SVGSVGElement {
  const statuses = stateStatuses(summary, definition.States);
  const layout = layoutMachine(definition);
  const svg = s("svg", {
    class: "graph",
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    role: "img",
    "aria-label": "State graph",
  });
  svg.appendChild(
    s(
      "defs",
      null,
      ["next", "catch", "back", "taken"].map((k) =>
        s(
          "marker",
          { id: `arrow-${k}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
          s("path", { d: "M 0 0 L 10 5 L 0 10 z", class: `arrowhead arrowhead-${k}` }),
        ),
      ),
    ),
  );
  drawLayout(svg, layout, 0, 0, statuses);
  return svg;
}

function drawLayout(svg: SVGSVGElement, layout: Layout, ox: number, oy: number, statuses: Record<string, StatusEntry>): void {
  const edgeLayer = s("g", { class: "edges" });
  const nodeLayer = s("g", { class: "nodes" });
  svg.appendChild(edgeLayer);
  svg.appendChild(nodeLayer);
  for (const name of layout.order) {
    const st = get(layout.states, name);
    const a = get(layout.at, name);
    const info = statuses[name] || { status: "not-run", runs: 0 };
    const x = ox + a.x;
    const y = oy + a.y;
    const g = s("g", {
      class: `node node-${st.Type.toLowerCase()} status-${info.status}`,
      "data-state": name,
      "data-status": info.status,
      transform: `translate(${x},${y})`,
    });
    g.appendChild(s("title", null, `${name} (${st.Type}): ${STATUS_TEXT[info.status]}${info.runs > 1 ? `, ${info.runs} runs` : ""}`));
    if (st.Type === "Parallel") {
      g.appendChild(s("rect", { class: "frame", width: a.w, height: a.h, rx: 10 }));
      g.appendChild(s("text", { class: "node-name", x: 12, y: 20 }, name));
      g.appendChild(
        s(
          "text",
          { class: "node-sub", x: a.w - 12, y: 20, "text-anchor": "end" },
          `Parallel · ${(st.Branches || []).length} branches${info.runs > 1 ? ` · ×${info.runs}` : ""}`,
        ),
      );
      nodeLayer.appendChild(g);
      for (const b of get(layout.box, name).branches ?? []) drawLayout(svg, b, x + b.dx, y + G.head - G.pad / 2, statuses);
      continue;
    }
    const small = a.h < G.nodeH;
    g.appendChild(s("rect", { class: "box", width: a.w, height: a.h, rx: small ? a.h / 2 : 8 }));
    g.appendChild(s("circle", { class: "dot", cx: 14, cy: a.h / 2, r: 4.5 }));
    if (small) {
      g.appendChild(s("text", { class: "node-name", x: 26, y: a.h / 2 + 4.5 }, clip(name, 24)));
    } else {
      g.appendChild(s("text", { class: "node-name", x: 26, y: 19 }, clip(name, 27)));
      g.appendChild(s("text", { class: "node-sub", x: 26, y: 35 }, clip(nodeSubtitle(st, info), 31)));
    }
    if (info.runs > 1) g.appendChild(s("text", { class: "node-runs", x: a.w - 8, y: 15, "text-anchor": "end" }, `×${info.runs}`));
    nodeLayer.appendChild(g);
  }
  for (const e of layout.edges) edgeLayer.appendChild(drawEdge(layout, e, ox, oy, statuses));
}

function nodeSubtitle(st: AslState, info: StatusEntry): string {
  if (st.Type === "Choice") return `Choice${info.run ? ` · ${STATUS_TEXT[info.status]}` : ""}`;
  if (!info.run) return `${st.Type} · not run`;
  const parts = [STATUS_TEXT[info.status]];
  if (info.run.model) parts.push(info.run.model);
  else if (info.run.endedAt) parts.push(fmtDuration(info.run.startedAt, info.run.endedAt));
  return parts.join(" · ");
}

function clip(value: string, n: number): string {
  const text = String(value);
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

function drawEdge(layout: Layout, e: Edge, ox: number, oy: number, statuses: Record<string, StatusEntry>): SVGGElement {
  const a = get(layout.at, e.from);
  const b = get(layout.at, e.to);
  const from = statuses[e.from];
  const to = statuses[e.to];
  const took =
    !!from &&
    !!to &&
    (e.kind === "catch"
      ? from.status === "caught"
      : from.status !== "not-run" && to.status !== "not-run" && !(from.status === "caught" && e.kind === "next"));
  let d: string;
  let lx: number;
  let ly: number;
  if (e.back) {
    const laneX = e.laneX ?? 0;
    const sy = a.y + a.h / 2;
    const ty = e.fromBelow ? b.y + b.h : b.y + Math.min(b.h / 2, 22);
    d = `M${a.x + a.w} ${sy} H${laneX} V${ty}${e.fromBelow ? "" : ` H${b.x + b.w}`}`;
    lx = laneX - 6;
    ly = (sy + ty) / 2;
  } else if (e.kind === "catch" && Math.abs(a.y + a.h / 2 - (b.y + b.h / 2)) < 1) {
    const cy = a.y + a.h / 2;
    d = `M${a.x + a.w} ${cy} H${b.x}`;
    lx = (a.x + a.w + b.x) / 2;
    ly = cy - 6;
  } else {
    const sx = a.x + a.w / 2;
    const sy = a.y + a.h;
    const tx = b.x + b.w / 2;
    const ty = b.y;
    const my = ty - G.rowGap / 2;
    const straight = Math.abs(sx - tx) < 1;
    d = straight ? `M${sx} ${sy} V${ty}` : `M${sx} ${sy} V${my} H${tx} V${ty}`;
    lx = straight ? sx + 6 : (sx + tx) / 2;
    ly = straight ? sy + 12 : my - 5;
  }
  const kind = e.back ? "back" : e.kind === "catch" ? "catch" : "next";
  const g = s("g", {
    class: `edge edge-${e.kind}${e.back ? " edge-back" : ""}${took ? " edge-taken" : ""}`,
    "data-from": e.from,
    "data-to": e.to,
    transform: `translate(${ox},${oy})`,
  });
  g.appendChild(s("path", { d, "marker-end": `url(#arrow-${took ? "taken" : kind})` }));
  if (e.back && !e.label) e.label = "loop";
  if (e.label && (e.kind !== "next" || e.back)) {
    g.appendChild(
      s(
        "text",
        {
          class: "edge-label",
          x: lx,
          y: ly,
          "text-anchor": e.back ? "end" : e.kind === "catch" ? "middle" : Math.abs(a.x - b.x) < 1 ? "start" : "middle",
        },
        e.label,
      ),
    );
  }
  if (e.errors) g.appendChild(s("title", null, `Catch ${e.errors.join(", ")}`));
  return g;
}
