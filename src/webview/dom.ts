// The only way the webview builds its page: elements by name and text nodes, so no report string is ever parsed as markup.
import { displayText } from '../report/presentation';

const SVG_NS = 'http://www.w3.org/2000/svg';

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined>;

function apply(node: Element, attrs: Attrs | undefined): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === false) continue;
    // Attribute names are ours (literals in this code); values are set as data, which is never parsed as markup.
    node.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(node: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** `h('td', {class: 'num'}, '12')`: an HTML element; string children become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  apply(node, attrs);
  append(node, children);
  return node;
}

/** An SVG element (createElementNS), for the chart. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, attrs);
  append(node, children);
  return node;
}

/**
 * AWS-derived text for the page: displayText, cut at `max` characters with a "show all" button so that
 * a 100 KB string neither freezes layout nor hides the rest of the page. Returns a span of text nodes.
 */
export function textOf(value: unknown, max = 400): HTMLSpanElement {
  const full = displayText(value);
  const span = h('span', { class: 'text' });
  if (full.length <= max) {
    span.textContent = full;
    return span;
  }
  const more = full.length - max;
  span.textContent = full.slice(0, max);
  const button = h(
    'button',
    { type: 'button', class: 'link more', title: 'Show the whole text' },
    `… ${more.toLocaleString('en-US')} more characters`,
  );
  button.addEventListener('click', () => {
    span.textContent = full;
  });
  span.appendChild(button);
  return span;
}

/** Removes every child: used before each render. */
export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}
