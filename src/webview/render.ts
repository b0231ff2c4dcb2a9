// Lays out one function's behaviour diff (header, findings, peers, API calls, chart) from the host's view model, as DOM nodes.
import { formatBytes, formatCount, formatTime, plural } from '../report/format';
import {
  callName,
  coverageText,
  displayText,
  evidenceLayout,
  SENTENCES,
  seenRange,
  severityTone,
  STATUS_LABEL,
  STATUS_SIGN,
  statusLabel,
  statusSign,
} from '../report/presentation';
import type { ApiDiffRow, DiffCounts, DiffStatus, PeerDiffRow } from '../report/view-model';
import type { DiffViewModel, FindingView, WebviewToHost } from '../shared/protocol';
import { renderChart } from './chart';
import { h, textOf } from './dom';
import { renderPermissions } from './permissions';

/** What the page can ask the host to do; main.ts posts it. */
export type Post = (message: WebviewToHost) => void;

export function renderView(view: DiffViewModel, post: Post): Node[] {
  return [
    renderHeader(view, post),
    renderFindings(view, post),
    renderPeers(view),
    renderApiCalls(view, post),
    renderPermissions(view),
    renderMetrics(view),
  ];
}

export function renderMissing(functionName: string, reason: string, post: Post): Node[] {
  return [
    h(
      'header',
      { id: 'header' },
      h(
        'div',
        { class: 'title-row' },
        h('h1', { id: 'title' }, textOf(functionName, 200)),
        h('div', { class: 'actions' }, rescanButton(post)),
      ),
      h('p', { id: 'missing', class: 'notice', role: 'status' }, textOf(reason, 400)),
    ),
  ];
}

// ---------------------------------------------------------------- header

function rescanButton(post: Post): HTMLButtonElement {
  const b = h('button', { type: 'button', id: 'rescan', class: 'secondary', title: 'Scan this function again' }, 'Scan again');
  b.addEventListener('click', () => post({ type: 'rescan' }));
  return b;
}

function renderHeader(view: DiffViewModel, post: Post): Node {
  const open = h(
    'button',
    {
      type: 'button',
      id: 'open-source',
      class: 'secondary',
      title: view.sourceFound ? 'Open the handler in the editor' : 'Find the handler source in this workspace',
    },
    view.sourceFound && view.sourceFile ? h('span', undefined, 'Open ', textOf(view.sourceFile, 80)) : 'Open source',
  );
  open.addEventListener('click', () => post({ type: 'openSource' }));

  const counts = new Map<string, number>();
  for (const f of view.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  const chips = [...counts].map(([sev, n]) => h('span', { class: `badge sev-${severityTone(sev)}` }, `${formatCount(n)} ${sev}`));

  const facts = [
    `account ${view.accountId}`,
    view.region,
    view.source,
    view.runtime,
    view.handler ? `handler ${view.handler}` : undefined,
    view.inVpc ? 'in a VPC' : 'not in a VPC',
  ].filter((x): x is string => !!x);

  const w = view.window;
  const windowLine = h(
    'p',
    { id: 'window', class: 'window' },
    h('span', { class: 'label' }, 'Baseline '),
    h('time', { datetime: w.baselineStart }, formatTime(w.baselineStart)),
    ' → ',
    h('time', { datetime: w.baselineEnd }, formatTime(w.baselineEnd)),
    view.baselineDays > 0 ? ` (${plural(view.baselineDays, 'day')})` : '',
    h('span', { class: 'vs' }, ' vs '),
    h('strong', undefined, `last ${formatCount(view.detectHours)} h`),
    ` (${formatTime(w.detectStart)} → ${formatTime(w.detectEnd)})`,
  );

  const gaps =
    view.coverageGaps.length > 0
      ? h(
          'ul',
          { id: 'coverage-gaps', class: 'gaps', 'aria-label': 'Coverage gaps' },
          ...view.coverageGaps.map((g) =>
            h('li', undefined, h('span', { class: 'gap-source' }, `${g.source}: `), textOf(coverageText(g.value), 300)),
          ),
        )
      : null;

  const noSource = view.sourceFound
    ? null
    : h(
        'p',
        { id: 'no-source', class: 'notice' },
        'No handler source found for this function in the workspace: "Open source" lets you choose it.',
      );

  return h(
    'header',
    { id: 'header' },
    h(
      'div',
      { class: 'title-row' },
      h('h1', { id: 'title' }, textOf(view.functionName, 200)),
      h('span', { class: 'chips' }, ...(chips.length > 0 ? chips : [h('span', { class: 'badge ok' }, 'no findings')])),
      h('div', { class: 'actions' }, open, rescanButton(post)),
    ),
    h(
      'p',
      { id: 'facts', class: 'facts' },
      ...facts.flatMap((f, i) => [i > 0 ? h('span', { class: 'sep', 'aria-hidden': 'true' }, ' · ') : null, textOf(f, 200)]),
    ),
    windowLine,
    gaps,
    noSource,
  );
}

// ---------------------------------------------------------------- findings

function renderFindings(view: DiffViewModel, post: Post): Node {
  const heading = h(
    'h2',
    { id: 'findings-heading' },
    view.findings.length === 0 ? 'Findings' : `Findings (${formatCount(view.findings.length)})`,
  );
  if (view.findings.length === 0) {
    return h('section', { id: 'findings', 'aria-labelledby': 'findings-heading' }, heading, h('p', { class: 'ok' }, SENTENCES.noFindings));
  }
  return h(
    'section',
    { id: 'findings', 'aria-labelledby': 'findings-heading' },
    heading,
    h('ol', { class: 'findings' }, ...view.findings.map((f) => renderFinding(f, view, post))),
  );
}

function renderFinding(f: FindingView, view: DiffViewModel, post: Post): Node {
  const sev = severityTone(f.severity);
  const accept = h(
    'button',
    { type: 'button', class: 'accept', title: 'Write it to the accepted-behaviour file: it will not be reported again' },
    'Accept as normal',
  );
  accept.addEventListener('click', () => {
    accept.disabled = true;
    accept.textContent = 'Accepting…';
    post({ type: 'accept', findingId: f.id });
  });
  const actions = h('div', { class: 'finding-actions' }, accept);
  if (f.apiCall) {
    const call = f.apiCall;
    const reveal = h(
      'button',
      {
        type: 'button',
        class: 'secondary reveal',
        title: view.sourceFound ? 'Select the line that makes this call' : 'Find the line that makes this call',
      },
      'Show in code',
    );
    reveal.addEventListener('click', () => post({ type: 'revealApiCall', eventSource: call.eventSource, eventName: call.eventName }));
    actions.appendChild(reveal);
  }
  const attribution =
    f.attribution && f.attribution !== 'exact' ? h('span', { class: 'attribution' }, textOf(`${f.attribution} attribution`, 80)) : null;
  return h(
    'li',
    { class: `finding sev-${sev}`, 'data-finding-id': f.id, 'data-severity': f.severity, 'data-kind': f.kind, tabindex: -1 },
    h(
      'div',
      { class: 'finding-head' },
      h('span', { class: `badge sev-${sev}` }, textOf(f.severity, 20)),
      h('h3', { class: 'finding-title' }, textOf(f.title, 300)),
    ),
    h(
      'div',
      { class: 'finding-subject muted' },
      h('code', undefined, textOf(f.kind, 60)),
      ' ',
      h('code', undefined, textOf(f.subject, 300)),
      attribution ? ' ' : null,
      attribution,
    ),
    f.detail ? h('p', { class: 'detail' }, textOf(f.detail, 3000)) : null,
    f.deploy ? h('p', { class: 'deploy muted' }, textOf(f.deploy, 600)) : null,
    f.recommendation ? h('p', { class: 'todo' }, h('strong', undefined, 'What to do: '), textOf(f.recommendation, 2000)) : null,
    renderEvidence(f.evidence),
    actions,
  );
}

/** The evidence's facts as a list of terms; its lists (samples, event ids, long ones) each in a closed <details>, capped. */
function renderEvidence(entries: FindingView['evidence']): Node | null {
  if (entries.length === 0) return null;
  const layout = evidenceLayout(entries);
  const facts = h('dl', { class: 'evidence' });
  for (const f of layout.facts)
    facts.append(h('dt', undefined, f.label), f.numeric ? h('dd', { class: 'num' }, f.text) : h('dd', undefined, textOf(f.text, 600)));
  const lists = layout.lists.map((l) =>
    h(
      'details',
      { class: 'evidence-list' },
      h('summary', undefined, `${l.label} (${formatCount(l.total)})`),
      h('ul', undefined, ...l.shown.map((v) => h('li', undefined, h('code', undefined, textOf(v, 600))))),
      l.more ? h('p', { class: 'muted' }, l.more) : null,
    ),
  );
  // Closed by default: the title, detail and what to do are the finding; the evidence backs it up on demand.
  return h(
    'details',
    { class: 'evidence-block' },
    h('summary', undefined, 'Evidence'),
    facts.childNodes.length > 0 ? facts : null,
    ...lists,
  );
}

// ---------------------------------------------------------------- diff tables

function countsLine(c: DiffCounts): Node {
  const part = (status: DiffStatus, n: number) =>
    h(
      'span',
      { class: n > 0 ? `status-${status}` : 'status-unchanged' },
      `${status === 'unchanged' ? '' : STATUS_SIGN[status]}${formatCount(n)} ${STATUS_LABEL[status]}`,
    );
  const sep = () => h('span', { class: 'sep', 'aria-hidden': 'true' }, ' · ');
  return h('p', { class: 'counts' }, part('added', c.added), sep(), part('removed', c.removed), sep(), part('unchanged', c.unchanged));
}

function statusCell(status: string, severity: string | undefined): HTMLTableCellElement {
  return h(
    'td',
    { class: `status status-${status}` },
    h('span', { class: 'sign', 'aria-hidden': 'true' }, statusSign(status)),
    ' ',
    statusLabel(status),
    severity ? ' ' : null,
    // A row a finding is about carries its severity, so the table reads on its own.
    severity ? h('span', { class: `badge small sev-${severityTone(severity)}`, title: `${severity} finding` }, textOf(severity, 20)) : null,
  );
}

function nowVsBaseline(now: number | undefined, baseline: number | undefined, fmt: (n: number) => string): HTMLTableCellElement {
  return h(
    'td',
    { class: 'num' },
    h('span', { class: 'now' }, now === undefined ? '-' : fmt(now)),
    h('span', { class: 'baseline' }, ` / ${baseline === undefined ? '-' : fmt(baseline)}`),
  );
}

/** Rejected connections under the flows they belong to, only when there are any: a column of zeros is noise in a narrow panel. */
function withRejected(cell: HTMLTableCellElement, now: number, baseline: number | undefined): HTMLTableCellElement {
  if (now > 0 || (baseline ?? 0) > 0) {
    cell.appendChild(
      h(
        'span',
        { class: now > 0 ? 'rejected' : 'rejected none' },
        `${formatCount(now)} rejected${baseline ? ` / ${formatCount(baseline)}` : ''}`,
      ),
    );
  }
  return cell;
}

function seenCell(first: string | undefined, last: string | undefined): HTMLTableCellElement {
  return h('td', { class: 'seen' }, textOf(seenRange(first, last), 80));
}

/** A column heading with its unit on a second, quieter line. */
function headCell(label: string, sub: string | undefined, cls?: string): HTMLTableCellElement {
  return h('th', { scope: 'col', class: cls }, label, sub ? h('span', { class: 'sub' }, sub) : null);
}

function rowAttrs(status: string, subject: string, severity: string | undefined, extra: Record<string, string | number | undefined> = {}) {
  const cls = [`row-${status}`, severity ? `flagged sev-${severityTone(severity)}` : '', extra.class ?? ''].filter(Boolean).join(' ');
  return { ...extra, class: cls, 'data-status': status, 'data-subject': subject, 'data-severity': severity };
}

function head(...cols: Array<[string, string | undefined, string?]>): HTMLTableSectionElement {
  return h('thead', undefined, h('tr', undefined, ...cols.map(([label, sub, cls]) => headCell(label, sub, cls))));
}

function renderPeers(view: DiffViewModel): Node {
  const section = h('section', { id: 'peers', 'aria-labelledby': 'peers-heading' }, h('h2', { id: 'peers-heading' }, 'Network peers'));
  if (view.peers.length === 0) {
    section.appendChild(h('p', { class: 'muted' }, view.inVpc ? SENTENCES.noPeers : SENTENCES.notInVpc));
    return section;
  }
  section.append(
    countsLine(view.peerCounts),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'diff peers' },
        head(
          ['Status', undefined],
          ['Peer', 'address:port/protocol, resource'],
          ['Flows', 'now / baseline', 'num'],
          ['Bytes', 'now / baseline', 'num'],
          ['Seen', 'first – last', 'seen'],
        ),
        h('tbody', undefined, ...view.peers.map(peerRow)),
      ),
    ),
  );
  return section;
}

/** `10.0.1.5:5432/tcp`, allowed to break before the port when the column is narrow. */
function addressCode(subject: string): HTMLElement {
  const text = textOf(subject, 120);
  const full = text.textContent ?? '';
  const at = full.lastIndexOf(':');
  if (at <= 0 || text.childElementCount > 0) return h('code', undefined, text);
  return h('code', undefined, full.slice(0, at), h('wbr'), full.slice(at));
}

function peerRow(r: PeerDiffRow): HTMLTableRowElement {
  const shared =
    r.attribution && r.attribution !== 'exact'
      ? h('div', { class: 'muted' }, textOf(`${r.attribution}${r.candidates.length > 0 ? `: ${r.candidates.join(', ')}` : ''}`, 300))
      : null;
  return h(
    'tr',
    rowAttrs(r.status, r.subject, r.severity),
    statusCell(r.status, r.severity),
    h(
      'td',
      { class: 'peer' },
      addressCode(r.subject),
      ' ',
      h('span', { class: 'resource' }, textOf(r.resource, 200)),
      // A service peer: how many of the service's addresses, not one of them.
      r.addresses ? h('div', { class: 'muted' }, r.addresses.text) : null,
      shared,
    ),
    withRejected(nowVsBaseline(r.now.flows, r.baseline?.flows, formatCount), r.now.rejected, r.baseline?.rejected),
    nowVsBaseline(r.now.bytes, r.baseline?.bytes, formatBytes),
    seenCell(r.firstSeen, r.lastSeen),
  );
}

function renderApiCalls(view: DiffViewModel, post: Post): Node {
  const section = h('section', { id: 'api-calls', 'aria-labelledby': 'api-heading' }, h('h2', { id: 'api-heading' }, 'AWS API calls'));
  if (view.apiCalls.length === 0) {
    section.appendChild(h('p', { class: 'muted' }, view.serviceCalls.length === 0 ? SENTENCES.noApiCalls : SENTENCES.noOwnApiCalls));
  } else {
    section.append(
      countsLine(view.apiCounts),
      h(
        'p',
        { class: 'hint muted' },
        view.sourceFound
          ? 'Select a call (click or Enter) to reveal the line that makes it.'
          : 'Select a call (click or Enter) to look for the line that makes it.',
      ),
      apiTable(view.apiCalls, 'api', post),
    );
  }
  const fragment = document.createDocumentFragment();
  fragment.appendChild(section);
  if (view.serviceCalls.length > 0) {
    fragment.appendChild(
      h(
        'section',
        { id: 'service-calls', 'aria-labelledby': 'service-heading' },
        h('h3', { id: 'service-heading' }, SENTENCES.serviceCallsHeading),
        h('p', { class: 'muted' }, SENTENCES.serviceCallsNote),
        apiTable(view.serviceCalls, 'service', post),
      ),
    );
  }
  return fragment;
}

function apiTable(rows: readonly ApiDiffRow[], kind: 'api' | 'service', post: Post): Node {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: `diff ${kind}` },
      head(
        ['Status', undefined],
        ['Call', 'service:action'],
        ['Calls', 'now / baseline', 'num'],
        ['Errors', 'now / baseline', 'num'],
        ['Denied', 'now', 'num'],
        ['Seen', 'first – last', 'seen'],
      ),
      h('tbody', undefined, ...rows.map((r) => apiRow(r, post))),
    ),
  );
}

function apiRow(r: ApiDiffRow, post: Post): HTMLTableRowElement {
  const own = r.caller === 'function';
  const tr = h(
    'tr',
    rowAttrs(
      r.status,
      r.subject,
      r.severity,
      own ? { class: 'revealable', tabindex: 0, 'data-caller': r.caller } : { 'data-caller': r.caller },
    ),
    statusCell(r.status, r.severity),
    h('td', { class: 'call', title: displayText(r.subject) }, h('code', undefined, textOf(callName(r.eventSource, r.eventName), 160))),
    nowVsBaseline(r.count, r.baseline?.count, formatCount),
    nowVsBaseline(r.errors, r.baseline?.errors, formatCount),
    h('td', { class: r.denied > 0 ? 'num denied' : 'num' }, formatCount(r.denied)),
    seenCell(r.firstSeen, r.lastSeen),
  );
  if (own) {
    const seen = seenRange(r.firstSeen, r.lastSeen);
    tr.title = displayText(`Reveal the code that makes this call${seen ? ` (seen ${seen})` : ''}`);
    tr.setAttribute(
      'aria-label',
      displayText(`${callName(r.eventSource, r.eventName)}, ${statusLabel(r.status)}: reveal the code that makes this call`),
    );
    const reveal = () => post({ type: 'revealApiCall', eventSource: r.eventSource, eventName: r.eventName });
    tr.addEventListener('click', (event) => {
      // Selecting text in a row is not a request to jump to the code.
      if (window.getSelection()?.toString()) return;
      if ((event.target as Element | null)?.closest('button')) return;
      reveal();
    });
    tr.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        reveal();
      } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        const rows = [...document.querySelectorAll<HTMLTableRowElement>('tr.revealable')];
        const next = rows[rows.indexOf(tr) + (event.key === 'ArrowDown' ? 1 : -1)];
        if (next) {
          event.preventDefault();
          next.focus();
        }
      }
    });
  }
  return tr;
}

// ---------------------------------------------------------------- metrics

function renderMetrics(view: DiffViewModel): Node {
  return h(
    'section',
    { id: 'chart', 'aria-labelledby': 'chart-heading' },
    h('h2', { id: 'chart-heading' }, 'Invocations and errors'),
    ...renderChart(view.metrics, view.detectHours),
  );
}
