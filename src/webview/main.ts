// The behaviour-diff webview's entry point: the "ready" handshake, rendering each message from the host, and the state kept across reloads.
import type { HostToWebview, WebviewToHost } from '../shared/protocol';
import { clear } from './dom';
import { renderMissing, renderView } from './render';
import { readRendered } from './summary';
import './webview.css';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PersistedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** What survives VS Code discarding the hidden webview (retainContextWhenHidden is off): where the user was. */
interface PersistedState {
  functionName?: string;
  scrollY?: number;
  /** `data-subject` of the focused row, or `finding:<id>`. */
  focused?: string;
  /** The handler file the host found, so that a panel restored after a reload says the same before it looks again. */
  sourceFile?: string;
}

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

function loadState(): PersistedState {
  const s = vscode.getState();
  return s && typeof s === 'object' ? (s as PersistedState) : {};
}

let state: PersistedState = loadState();
let restored = false;

function save(patch: Partial<PersistedState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

function post(message: WebviewToHost): void {
  vscode.postMessage(message);
}

function focusKey(el: Element | null): string | undefined {
  const row = el?.closest<HTMLElement>('tr[data-subject]');
  if (row) return `row:${row.closest('section')?.id ?? ''}:${row.dataset.subject}`;
  const finding = el?.closest<HTMLElement>('[data-finding-id]');
  return finding ? `finding:${finding.dataset.findingId}` : undefined;
}

function findByKey(key: string | undefined): HTMLElement | undefined {
  if (!key) return undefined;
  const [kind, ...rest] = key.split(':');
  if (kind === 'finding') {
    const id = rest.join(':');
    return [...document.querySelectorAll<HTMLElement>('[data-finding-id]')].find((el) => el.dataset.findingId === id);
  }
  const [section, ...subject] = rest;
  const wanted = subject.join(':');
  return [...document.querySelectorAll<HTMLElement>(`#${section} tr[data-subject]`)].find((el) => el.dataset.subject === wanted);
}

function render(message: HostToWebview): void {
  // The element that had focus is found again after the re-render (a rescan or an accept replaces the page).
  const hadFocus = focusKey(document.activeElement) ?? state.focused;
  const scrollY = window.scrollY;
  clear(app);
  app.removeAttribute('aria-busy');
  const name = message.type === 'show' ? message.view.functionName : message.functionName;
  if (message.type === 'show') app.append(...renderView(message.view, post));
  else app.append(...renderMissing(message.functionName, message.reason, post));

  if (message.type === 'show' && message.focusFindingId) {
    const target = findByKey(`finding:${message.focusFindingId}`);
    target?.scrollIntoView({ block: 'center' });
    target?.focus({ preventScroll: true });
  } else if (!restored && state.functionName === name && state.scrollY !== undefined) {
    // First render after VS Code re-created the webview: back to where the user was.
    window.scrollTo(0, state.scrollY);
    findByKey(state.focused)?.focus({ preventScroll: true });
  } else {
    window.scrollTo(0, state.functionName === name ? scrollY : 0);
    findByKey(hadFocus)?.focus({ preventScroll: true });
  }
  restored = true;
  save({
    functionName: name,
    scrollY: window.scrollY,
    ...(message.type === 'show' ? { sourceFile: message.view.sourceFound ? (message.view.sourceFile ?? '') : undefined } : {}),
  });
  post({ type: 'rendered', summary: readRendered(message.seq, message.type === 'show' ? 'diff' : 'missing', name) });
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data as HostToWebview | undefined;
  if (!message || typeof message !== 'object') return;
  if (message.type === 'show' || message.type === 'missing') render(message);
});

let scrollTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('scroll', () => {
  if (scrollTimer !== undefined) clearTimeout(scrollTimer);
  scrollTimer = setTimeout(() => save({ scrollY: window.scrollY }), 150);
});
document.addEventListener('focusin', (event) => {
  const key = focusKey(event.target as Element | null);
  if (key) save({ focused: key });
});

post({ type: 'ready' });
