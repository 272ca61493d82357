// Building DOM safely: every piece of data becomes a text node or an attribute value, never
// markup (no innerHTML anywhere), so a hostile STIX name cannot inject script or style.

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') {
      el.addEventListener(k.replace(/^on/, ''), v);
    } else if (k === 'className') {
      el.setAttribute('class', String(v));
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function fmtInt(n: number): string {
  return n.toLocaleString('en-GB');
}

export function shortDate(ts: string | undefined): string {
  if (!ts) return '';
  return ts.slice(0, 10);
}

// A message region for errors and refusals, announced to screen readers.
export function notice(kind: 'error' | 'info' | 'ok', text: string): HTMLElement {
  return h('p', { className: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function loading(what: string): HTMLElement {
  return h('p', { className: 'loading', role: 'status' }, `Loading ${what}…`);
}

// Element.append that also skips null/false children (conditional parts of a view).
export function add(el: Element, ...children: Child[]): void {
  append(el, children);
}
