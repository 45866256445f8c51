/**
 * The state graph's layout, no DOM: the ASL top to bottom (a spine from StartAt along
 * Next/Default; Catch targets beside their state; Choice branches to the right; a Parallel
 * as a frame with its branches side by side; loops routed up a lane on the right).
 */
import type { AslState, ChoiceRule, StateMachine } from "./types.ts";

export const G = { nodeW: 192, nodeH: 46, passH: 34, colGap: 36, rowGap: 40, pad: 16, lane: 22, head: 30 };

export interface Edge {
  from: string;
  to: string;
  kind: "next" | "choice" | "default" | "catch";
  label?: string;
  /** The ErrorEquals of every Catch rule from `from` to `to`. */
  errors?: string[];
  /** Closes a cycle: drawn up a lane on the right. */
  back?: boolean;
  laneX?: number;
  /** The lane enters its target from below (a wide Parallel), else from the right. */
  fromBelow?: boolean;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Box {
  w: number;
  h: number;
  branches?: Layout[];
}

export interface Layout {
  sm: StateMachine;
  states: Record<string, AslState>;
  order: string[];
  at: Record<string, Rect>;
  box: Record<string, Box>;
  edges: Edge[];
  width: number;
  height: number;
  /** A Parallel branch's offset inside its frame. */
  dx: number;
}

/** A lookup the layout guarantees (every state in `order` has a rank, a column and a box). */
export function get<T>(record: Record<string, T>, key: string): T {
  const v = record[key];
  if (v === undefined) throw new Error(`graph layout: no entry for state ${key}`);
  return v;
}

function graphEdges(states: Record<string, AslState>): Edge[] {
  const edges: Edge[] = [];
  for (const name of Object.keys(states)) {
    const st = get(states, name);
    if (st.Next) edges.push({ from: name, to: st.Next, kind: "next" });
    for (const c of st.Choices ?? []) if (c.Next) edges.push({ from: name, to: c.Next, kind: "choice", label: choiceLabel(c) });
    if (st.Default) edges.push({ from: name, to: st.Default, kind: "default", label: "default" });
    const caught: Record<string, Edge> = {};
    for (const c of st.Catch ?? []) {
      if (!c.Next) continue;
      const seen = caught[c.Next];
      if (seen) {
        seen.errors = (seen.errors ?? []).concat(c.ErrorEquals ?? []);
        continue;
      }
      const edge: Edge = { from: name, to: c.Next, kind: "catch", errors: (c.ErrorEquals ?? []).slice() };
      caught[c.Next] = edge;
      edges.push(edge);
    }
  }
  for (const e of edges) if (e.kind === "catch") e.label = "catch";
  return edges.filter((e) => states[e.to]);
}

const choiceOps: Record<string, string> = {
  BooleanEquals: "=",
  StringEquals: "=",
  NumericEquals: "=",
  NumericLessThan: "<",
  NumericGreaterThan: ">",
  NumericLessThanEquals: "≤",
  NumericGreaterThanEquals: "≥",
};

function choiceLabel(rule: ChoiceRule): string {
  // An And of tests (TranslateDeclarationNeeded: present and "es") reads as its comparisons.
  if (Array.isArray(rule.And))
    return (
      (rule.And as ChoiceRule[])
        .filter((r) => !("IsPresent" in r))
        .map(choiceLabel)
        .join(" and ") || "choice"
    );
  const v = String(rule.Variable || "").replace(/^\$\./, "");
  for (const op in choiceOps) if (op in rule) return `${v} ${choiceOps[op]} ${String(rule[op])}`;
  return v || "choice";
}

/** Lays out one state machine (the top level or a Parallel branch) at the origin. */
export function layoutMachine(sm: StateMachine): Layout {
  const states = sm.States || {};
  const names = Object.keys(states);
  const edges = graphEdges(states);
  const out: Record<string, Edge[]> = {};
  for (const n of names) out[n] = [];
  for (const e of edges) get(out, e.from).push(e);

  // Back edges: those closing a cycle in a depth-first walk from StartAt.
  const mark: Record<string, 1 | 2> = {};
  const dfs = (n: string): void => {
    mark[n] = 1;
    for (const e of get(out, n)) {
      if (mark[e.to] === 1) e.back = true;
      else if (!mark[e.to]) dfs(e.to);
    }
    mark[n] = 2;
  };
  dfs(sm.StartAt);

  // Rank = longest path over forward edges; a Catch target shares its state's row.
  const rank: Record<string, number> = {};
  rank[sm.StartAt] = 0;
  const order = topoOrder(sm.StartAt, out);
  for (const n of order) {
    for (const e of get(out, n)) {
      if (e.back) continue;
      const r = get(rank, n) + (e.kind === "catch" ? 0 : 1);
      const current = rank[e.to];
      if (current === undefined || current < r) rank[e.to] = r;
    }
  }

  // Columns: the spine (Next/Default from StartAt) is column 0; side paths step right.
  const col: Record<string, number> = {};
  let spine: string | undefined = sm.StartAt;
  while (spine && col[spine] === undefined && states[spine]) {
    col[spine] = 0;
    const st: AslState = get(states, spine);
    spine = st.Next || st.Default;
  }
  const taken: Record<string, boolean> = {};
  const place = (name: string, start: number): void => {
    let c = start;
    while (taken[`${get(rank, name)}:${c}`]) c++;
    col[name] = c;
    taken[`${get(rank, name)}:${c}`] = true;
  };
  for (const name of order) if (col[name] === 0) taken[`${get(rank, name)}:0`] = true;
  for (const name of order) {
    const from = col[name];
    if (from === undefined) continue;
    for (const e of get(out, name)) {
      if (e.back || col[e.to] !== undefined) continue;
      place(e.to, e.kind === "next" ? from : from + 1);
    }
  }

  // Box sizes; a Parallel is a frame around its branches' own layouts.
  const box: Record<string, Box> = {};
  for (const name of order) {
    const st = get(states, name);
    if (st.Type === "Parallel") {
      const branches = (st.Branches ?? []).map(layoutMachine);
      let w = G.pad;
      let hgt = 0;
      for (const b of branches) {
        b.dx = w;
        w += b.width + G.pad;
        hgt = Math.max(hgt, b.height);
      }
      box[name] = { w: Math.max(w, G.nodeW), h: G.head + hgt + G.pad / 2, branches };
    } else {
      box[name] = { w: G.nodeW, h: st.Type === "Pass" || st.Type === "Succeed" || st.Type === "Fail" ? G.passH : G.nodeH };
    }
  }

  let rows = 0;
  let cols = 0;
  for (const name of order) {
    rows = Math.max(rows, get(rank, name) + 1);
    cols = Math.max(cols, get(col, name) + 1);
  }
  const rowH: number[] = [];
  const rowY: number[] = [];
  let y = G.pad;
  for (let r = 0; r < rows; r++) rowH[r] = 0;
  for (const name of order) {
    const r = get(rank, name);
    rowH[r] = Math.max(rowH[r] ?? 0, get(box, name).h);
  }
  for (let r = 0; r < rows; r++) {
    rowY[r] = y;
    y += (rowH[r] ?? 0) + G.rowGap;
  }

  let axis = G.pad;
  const left: number[] = [];
  for (const name of order) if (col[name] === 0) axis = Math.max(axis, G.pad + get(box, name).w / 2);
  const at: Record<string, Rect> = {};
  for (let c = 0; c < cols; c++) {
    let x = c === 0 ? 0 : G.pad;
    for (const name of order) {
      if (col[name] !== c) continue;
      if (c === 0) continue;
      const prev = order.filter((o) => rank[o] === rank[name] && col[o] === c - 1)[0];
      const edge = prev ? get(at, prev).x + get(box, prev).w : (left[c - 1] ?? 0) + G.nodeW;
      x = Math.max(x, edge + G.colGap);
    }
    left[c] = c === 0 ? axis - G.nodeW / 2 : x;
    for (const name of order) {
      if (col[name] !== c) continue;
      const b = get(box, name);
      const r = get(rank, name);
      const nx = c === 0 ? axis - b.w / 2 : x;
      at[name] = { x: nx, y: (rowY[r] ?? 0) + ((rowH[r] ?? 0) - b.h) / 2, w: b.w, h: b.h };
    }
  }

  let width = 0;
  for (const name of order) width = Math.max(width, get(at, name).x + get(at, name).w);
  // A loop climbs a lane just right of the rows it passes, and enters its target from below
  // when that lane is still under the target (a wide Parallel); else from the right.
  const backs = edges.filter((e) => e.back);
  let outer = width;
  backs.forEach((e, i) => {
    const lo = get(rank, e.to) + 1;
    const hi = get(rank, e.from);
    let right = 0;
    for (const name of order) {
      const r = get(rank, name);
      if (r >= lo && r <= hi) right = Math.max(right, get(at, name).x + get(at, name).w);
    }
    const lane = right + G.lane * (i + 1);
    const b = get(at, e.to);
    if (lane < b.x + b.w - 12) {
      e.laneX = lane;
      e.fromBelow = true;
    } else {
      outer += G.lane;
      e.laneX = outer;
    }
  });
  width = Math.max(width, outer);
  for (const e of backs) width = Math.max(width, e.laneX ?? 0);
  return { sm, states, order, at, box, edges, width: width + G.pad, height: y - G.rowGap + G.pad, dx: 0 };
}

function topoOrder(start: string, out: Record<string, Edge[]>): string[] {
  const seen: Record<string, boolean> = {};
  const post: string[] = [];
  const visit = (n: string): void => {
    if (seen[n]) return;
    seen[n] = true;
    for (const e of get(out, n)) if (!e.back) visit(e.to);
    post.push(n);
  };
  visit(start);
  return post.reverse();
}
