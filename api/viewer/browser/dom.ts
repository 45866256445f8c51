/**
 * DOM building for the viewer: text nodes and attributes only, so data is never parsed as
 * markup (no innerHTML anywhere; test/integration/viewer.test.ts checks the bundle).
 */

const SVG_NS = "http://www.w3.org/2000/svg";

type AttrValue = string | number | boolean | null | undefined;

/** Attributes, plus the three event handlers the views use. */
export interface Attrs {
  onclick?: (ev: MouseEvent) => void;
  onsubmit?: (ev: SubmitEvent) => void;
  onkeydown?: (ev: KeyboardEvent) => void;
  [name: string]: AttrValue | ((ev: never) => void);
}

/** Strings and numbers become text nodes; null, undefined and false are skipped; arrays nest. */
export type Child = Node | string | number | null | undefined | false | Child[];

/** Builds an element; string children become text nodes, so data is always escaped. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, children?: Child): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs | null, children?: Child): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element & GlobalEventHandlers, attrs: Attrs | null | undefined): void {
  if (!attrs) return;
  for (const k of Object.keys(attrs)) {
    const v = attrs[k];
    if (v === undefined || v === null || v === false) continue;
    if (k === "onclick" && attrs.onclick) el.addEventListener("click", attrs.onclick);
    else if (k === "onsubmit" && attrs.onsubmit) el.addEventListener("submit", attrs.onsubmit);
    else if (k === "onkeydown" && attrs.onkeydown) el.addEventListener("keydown", attrs.onkeydown);
    else if (typeof v !== "function") el.setAttribute(k, String(v));
  }
}

export function append(el: Node, children: Child): void {
  if (children === undefined || children === null || children === false) return;
  const list = Array.isArray(children) ? children : [children];
  for (const c of list) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (typeof c === "string" || typeof c === "number") el.appendChild(document.createTextNode(String(c)));
    else el.appendChild(c);
  }
}

export function replaceChildren(el: Node, children: Child): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, children);
}

/** An element the page's HTML shell (api/viewer/page.ts) always has. */
export function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/** A message that goes away by itself (a failed download). */
export function showToast(message: string): void {
  const t = h("div", { class: "toast", role: "alert" }, message);
  document.body.appendChild(t);
  setTimeout(() => t.remove(), 6000);
}
