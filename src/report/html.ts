// The self-contained HTML report: the report view model and the shared presentation decisions written out as one document with no script.
import type { Finding, FindingEvidence, FunctionReport, MetricsSummary, ScanReport } from '../core/model';
import { escapeHtml as e } from './escape';
import { formatBytes, formatCount, formatTime, plural } from './format';
import {
  CHART_MAX_WIDTH,
  chartDrawing,
  coverageText,
  deploySentence,
  evidenceLayout,
  metricTotals,
  readsLine,
  SENTENCES,
  seenRange,
  severityTone,
  STATUS_LABEL,
  type ChartLegendKey,
} from './presentation';
import {
  apiDiffRows,
  coverageLines,
  diffCounts,
  evidenceEntries,
  incompleteCoverage,
  orderFunctions,
  peerDiffRows,
  reportTotals,
  SEVERITIES_DESC,
  sortFindings,
  summaryLine,
  windowSpans,
  type ApiDiffRow,
  type DiffStatus,
  type PeerDiffRow,
} from './view-model';

/** No script, no remote anything: the report is opened from disk, mailed, attached to tickets. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'";

/**
 * Neutral colours after VS Code's default light and dark themes. Inside a webview the `--vscode-*`
 * variables win, so the same CSS follows the user's theme; standalone, the fallbacks and the
 * prefers-color-scheme variant apply.
 */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --lb-bg: #ffffff; --lb-fg: #3b3b3b; --lb-muted: #717171; --lb-border: #e5e5e5; --lb-subtle: #f5f5f5;
  --lb-high: #c72e0f; --lb-medium: #9a6700; --lb-low: #005fb8; --lb-ok: #2f7d32;
  --lb-added: #2f7d32; --lb-removed: #b42318;
  --lb-line: #005fb8; --lb-band: rgba(0, 95, 184, 0.13); --lb-mean: #8a8a8a; --lb-err: #c72e0f; --lb-thr: #9a6700;
}
@media (prefers-color-scheme: dark) {
  :root {
    --lb-bg: #1f1f1f; --lb-fg: #cccccc; --lb-muted: #9d9d9d; --lb-border: #3c3c3c; --lb-subtle: #2a2a2a;
    --lb-high: #f48771; --lb-medium: #cca700; --lb-low: #75beff; --lb-ok: #89d185;
    --lb-added: #89d185; --lb-removed: #f48771;
    --lb-line: #4daafc; --lb-band: rgba(77, 170, 252, 0.18); --lb-mean: #8a8a8a; --lb-err: #f48771; --lb-thr: #cca700;
  }
}
body {
  margin: 0 auto; padding: 16px 24px 48px; max-width: 1200px;
  background: var(--vscode-editor-background, var(--lb-bg)); color: var(--vscode-foreground, var(--lb-fg));
  font: 13px/1.5 var(--vscode-font-family, system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif);
}
h1 { font-size: 20px; font-weight: 600; margin: 8px 0 12px; }
h2 { font-size: 16px; font-weight: 600; margin: 0 0 4px; }
h3 { font-size: 13px; font-weight: 600; margin: 16px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--lb-muted); }
h4 { font-size: 13px; font-weight: 600; margin: 10px 0 4px; }
code, .mono { font-family: var(--vscode-editor-font-family, ui-monospace, "SF Mono", Menlo, Consolas, monospace); font-size: 12px; }
.muted { color: var(--vscode-descriptionForeground, var(--lb-muted)); }
.lb-summary, .lb-function, .lb-warnings { border: 1px solid var(--vscode-panel-border, var(--lb-border)); border-radius: 6px; padding: 12px 16px; margin: 16px 0; }
.lb-summary-line { font-size: 15px; font-weight: 600; margin: 8px 0; }
dl.lb-facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.lb-facts dt { color: var(--vscode-descriptionForeground, var(--lb-muted)); }
dl.lb-facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--vscode-panel-border, var(--lb-border)); vertical-align: top; }
th { font-weight: 600; color: var(--vscode-descriptionForeground, var(--lb-muted)); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.lb-removed td { color: var(--vscode-descriptionForeground, var(--lb-muted)); }
tr.lb-flagged td:first-child { box-shadow: inset 3px 0 0 var(--lb-sev-color, var(--lb-medium)); }
.lb-badge { display: inline-block; min-width: 52px; text-align: center; padding: 0 6px; border-radius: 9px; font-size: 11px; font-weight: 600; border: 1px solid currentColor; }
.lb-sev-high { color: var(--vscode-errorForeground, var(--lb-high)); }
.lb-sev-medium { color: var(--vscode-editorWarning-foreground, var(--lb-medium)); }
.lb-sev-low { color: var(--vscode-editorInfo-foreground, var(--lb-low)); }
.lb-sev-unknown { color: var(--lb-muted); }
.lb-tone-high { --lb-sev-color: var(--vscode-errorForeground, var(--lb-high)); }
.lb-tone-medium { --lb-sev-color: var(--vscode-editorWarning-foreground, var(--lb-medium)); }
.lb-tone-low { --lb-sev-color: var(--vscode-editorInfo-foreground, var(--lb-low)); }
.lb-tone-unknown { --lb-sev-color: var(--lb-muted); }
.lb-status-added { color: var(--lb-added); }
.lb-status-removed { color: var(--lb-removed); }
.lb-status-unchanged { color: var(--lb-muted); }
.lb-ok { color: var(--lb-ok); }
.lb-gap { color: var(--vscode-editorWarning-foreground, var(--lb-medium)); }
ul.lb-findings { list-style: none; padding: 0; margin: 0; }
li.lb-finding { border-left: 3px solid var(--lb-sev-color, var(--lb-border)); background: var(--vscode-textBlockQuote-background, var(--lb-subtle)); padding: 6px 10px; margin: 6px 0; border-radius: 0 4px 4px 0; }
li.lb-finding .lb-title { font-weight: 600; margin-left: 6px; }
li.lb-finding .lb-detail { margin: 4px 0; white-space: pre-wrap; }
li.lb-finding .lb-recommendation { margin: 4px 0; }
details { margin: 2px 0; }
summary { cursor: default; color: var(--vscode-descriptionForeground, var(--lb-muted)); }
pre { margin: 4px 0; padding: 6px 8px; overflow-x: auto; background: var(--vscode-textCodeBlock-background, var(--lb-subtle)); border-radius: 4px; }
svg.lb-chart { width: 100%; max-width: 760px; height: auto; display: block; }
svg.lb-chart text { font-size: 10px; fill: var(--vscode-descriptionForeground, var(--lb-muted)); }
svg.lb-chart .lb-axis-title { font-size: 10.5px; }
svg.lb-chart .lb-grid { stroke: var(--vscode-panel-border, var(--lb-border)); stroke-width: 1; stroke-dasharray: 2 3; }
svg.lb-chart .lb-axis { stroke: var(--lb-muted); stroke-width: 1; }
svg.lb-chart .lb-band { fill: var(--lb-band); stroke: none; }
svg.lb-chart .lb-mean { fill: none; stroke: var(--lb-mean); stroke-width: 1; stroke-dasharray: 4 3; }
svg.lb-chart .lb-inv { fill: none; stroke: var(--lb-line); stroke-width: 2; }
svg.lb-chart .lb-err { fill: none; stroke: var(--lb-err); stroke-width: 1.5; }
svg.lb-chart .lb-thr { fill: none; stroke: var(--lb-thr); stroke-width: 1.5; stroke-dasharray: 2 2; }
svg.lb-chart .lb-over { fill: var(--lb-err); }
ul.lb-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0; margin: 4px 0; }
.lb-swatch { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 6px; background: var(--lb-line); }
.lb-swatch.lb-over { width: 8px; height: 8px; border-radius: 50%; background: var(--lb-err); }
.lb-swatch.lb-band { height: 10px; background: var(--lb-band); }
.lb-swatch.lb-mean { background: var(--lb-mean); }
.lb-swatch.lb-err { background: var(--lb-err); }
.lb-swatch.lb-thr { background: var(--lb-thr); }
a { color: var(--vscode-textLink-foreground, var(--lb-low)); }
`;

export function renderHtml(report: ScanReport): string {
  const title = `Lambda Behavior: ${report.accountId} ${report.region}`;
  const functions = orderFunctions(report.functions);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${e(REPORT_CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${e(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    renderSummary(report),
    renderWarnings(report.warnings),
    ...functions.map((fn) => renderFunctionSection(fn, windowSpans(report.window).detectHours)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- summary

function renderSummary(report: ScanReport): string {
  const w = report.window;
  const totals = reportTotals(report);
  const facts: Array<[string, string]> = [
    ['Account', e(report.accountId)],
    ['Region', e(report.region)],
  ];
  if (report.source) facts.push(['Source', e(report.source)]);
  facts.push(['Baseline', `${e(formatTime(w.baselineStart))} → ${e(formatTime(w.baselineEnd))}`]);
  facts.push(['Detection', `${e(formatTime(w.detectStart))} → ${e(formatTime(w.detectEnd))}`]);
  if (report.generatedAt) facts.push(['Generated', e(formatTime(report.generatedAt))]);
  if (report.stats) {
    const s = report.stats;
    facts.push([
      'Data',
      `${e(plural(s.flowRecords, 'flow record'))} (${e(formatCount(s.flowRecordsAttributed))} attributed, ` +
        `${e(formatCount(s.malformedFlowRecords))} malformed), ${e(plural(s.trailEvents, 'CloudTrail event'))}`,
    ]);
  }
  const chips = SEVERITIES_DESC.filter((s) => totals.bySeverity[s] > 0)
    .map((s) => `${renderSeverityBadge(s)} ${e(formatCount(totals.bySeverity[s]))}`)
    .join(' ');
  return [
    '<header class="lb-summary">',
    '<h1>Lambda Behavior report</h1>',
    renderFacts(facts),
    `<p class="lb-summary-line">${e(summaryLine(report))}${chips ? ` <span>${chips}</span>` : ''}</p>`,
    ...(report.reads ? [`<p class="lb-reads muted">${e(readsLine(report.reads))}</p>`] : []),
    ...(report.reads?.estimates ?? []).map((x) => `<p class="lb-reads muted">Estimated before the queries: ${e(x)}</p>`),
    renderFunctionIndex(report.functions),
    '</header>',
  ].join('\n');
}

/** One row per function, linking to its section: the table of contents of the report. */
function renderFunctionIndex(functions: readonly FunctionReport[]): string {
  if (functions.length === 0) return '<p class="muted">No functions in this account and region.</p>';
  const rows = orderFunctions(functions).map((fn) => {
    const sev = SEVERITIES_DESC.map((s) => [s, fn.findings.filter((f) => f.severity === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${renderSeverityBadge(s)} ${e(formatCount(n))}`)
      .join(' ');
    const peers = diffCounts(peerDiffRows(fn));
    const api = diffCounts(apiDiffRows(fn).filter((r) => r.caller === 'function'));
    const gaps = incompleteCoverage(fn);
    return (
      `<tr><td><a href="#${e(functionAnchor(fn))}">${e(fn.name)}</a></td>` +
      `<td>${sev || '<span class="lb-ok">none</span>'}</td>` +
      `<td class="num">${renderCountWithChanges(peers)}</td>` +
      `<td class="num">${renderCountWithChanges(api)}</td>` +
      `<td>${gaps.length === 0 ? '<span class="lb-ok">complete</span>' : `<span class="lb-gap">gaps: ${e(gaps.map((g) => g.source).join(', '))}</span>`}</td></tr>`
    );
  });
  return [
    '<table class="lb-index">',
    '<thead><tr><th>Function</th><th>Findings</th><th class="num">Peers</th><th class="num">API calls</th><th>Coverage</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

function renderCountWithChanges(c: { total: number; added: number; removed: number }): string {
  const parts = [e(formatCount(c.total))];
  if (c.added > 0) parts.push(`<span class="lb-status-added">+${e(formatCount(c.added))}</span>`);
  if (c.removed > 0) parts.push(`<span class="lb-status-removed">−${e(formatCount(c.removed))}</span>`);
  return parts.join(' ');
}

function renderWarnings(warnings: readonly string[]): string {
  if (warnings.length === 0) return '';
  return [
    '<section class="lb-warnings">',
    `<h3>Warnings (${e(formatCount(warnings.length))})</h3>`,
    `<ul>${warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul>`,
    '</section>',
  ].join('\n');
}

function renderFacts(facts: ReadonlyArray<[string, string]>): string {
  // Values arrive already escaped (they may hold markup of ours); labels are escaped here.
  return `<dl class="lb-facts">${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

// ---------------------------------------------------------------- one function

/** A fragment id that is valid and stable whatever the function is called. */
function functionAnchor(fn: FunctionReport): string {
  return `fn-${fn.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function renderFunctionSection(fn: FunctionReport, detectHours: number): string {
  return [
    `<section class="lb-function" id="${e(functionAnchor(fn))}">`,
    `<h2>${e(fn.name)}</h2>`,
    renderFunctionFacts(fn),
    '<h3>Findings</h3>',
    renderFindings(fn.findings),
    '<h3>Network peers</h3>',
    renderPeerDiff(fn),
    '<h3>AWS API calls</h3>',
    renderApiDiff(fn),
    fn.metrics ? '<h3>Invocations</h3>' : '',
    fn.metrics ? renderMetricsChart(fn.metrics, detectHours) : '',
    '<h3>Coverage</h3>',
    renderCoverage(fn),
    '</section>',
  ]
    .filter((part) => part !== '')
    .join('\n');
}

function renderFunctionFacts(fn: FunctionReport): string {
  const facts: Array<[string, string]> = [['ARN', `<code>${e(fn.arn)}</code>`]];
  if (fn.runtime) facts.push(['Runtime', e(fn.runtime)]);
  if (fn.handler) facts.push(['Handler', `<code>${e(fn.handler)}</code>`]);
  if (fn.role) facts.push(['Role', `<code>${e(fn.role)}</code>`]);
  facts.push(['VPC', fn.inVpc ? 'attached' : 'not attached']);
  if (fn.enis.length > 0) {
    const enis = fn.enis.map((eni) => {
      const shared = eni.sharedWith.length > 0 ? ` <span class="muted">shared with ${e(eni.sharedWith.join(', '))}</span>` : '';
      return `<code>${e(eni.id)}</code> ${e(eni.privateIp)}${eni.subnetId ? ` <span class="muted">${e(eni.subnetId)}</span>` : ''}${shared}`;
    });
    facts.push(['ENIs', enis.join('<br>')]);
  }
  const tags = Object.entries(fn.tags ?? {});
  if (tags.length > 0) facts.push(['Tags', tags.map(([k, v]) => `<code>${e(k)}=${e(v)}</code>`).join(' ')]);
  return renderFacts(facts);
}

/** A severity as a badge; an unknown value (a report from a newer engine) is shown, never used as a class. */
function renderSeverityBadge(severity: string): string {
  return `<span class="lb-badge lb-sev-${severityTone(severity)}">${e(severity)}</span>`;
}

function renderFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return `<p class="lb-ok">${e(SENTENCES.noFindings)}</p>`;
  return `<ul class="lb-findings">\n${sortFindings(findings).map(renderFinding).join('\n')}\n</ul>`;
}

function renderFinding(f: Finding): string {
  const sev = severityTone(f.severity);
  const attribution = f.attribution && f.attribution !== 'exact' ? ` <span class="muted">(${e(f.attribution)} attribution)</span>` : '';
  return [
    `<li class="lb-finding lb-tone-${sev}">`,
    `<div>${renderSeverityBadge(f.severity)}<span class="lb-title">${e(f.title)}</span></div>`,
    `<div class="muted"><code>${e(f.kind)}</code> <code>${e(f.subject)}</code>${attribution}</div>`,
    f.detail ? `<p class="lb-detail">${e(f.detail)}</p>` : '',
    deployLine(f.evidence),
    f.recommendation ? `<p class="lb-recommendation"><strong>What to do:</strong> ${e(f.recommendation)}</p>` : '',
    renderEvidence(f.evidence),
    '</li>',
  ]
    .filter((part) => part !== '')
    .join('\n');
}

/** The change the finding started after (or that there was none), worded as in every other view. */
function deployLine(evidence: FindingEvidence | undefined): string {
  const sentence = deploySentence(evidence);
  return sentence ? `<p class="lb-deploy muted">${e(sentence)}</p>` : '';
}

/** The evidence's facts inline; its lists (samples, event ids, long ones) collapsed, shown on demand, capped. */
function renderEvidence(evidence: FindingEvidence | undefined): string {
  const { facts, lists } = evidenceLayout(evidenceEntries(evidence));
  if (facts.length === 0 && lists.length === 0) return '';
  const inline = facts.length > 0 ? renderFacts(facts.map((f): [string, string] => [f.label, e(f.text)])) : '';
  const collapsed = lists.map(
    (l) =>
      `<details><summary>${e(l.label)} (${e(formatCount(l.total))})</summary><pre>${e([...l.shown, ...(l.more ? [l.more] : [])].join('\n'))}</pre></details>`,
  );
  return `<div class="lb-evidence">${inline}${collapsed.join('')}</div>`;
}

// ---------------------------------------------------------------- behaviour diff

function renderStatus(status: DiffStatus): string {
  return `<span class="lb-status-${status}">${STATUS_LABEL[status]}</span>`;
}

function rowClass(status: DiffStatus, severity: string | undefined): string {
  return `lb-${status}${severity ? ` lb-flagged lb-tone-${severityTone(severity)}` : ''}`;
}

function nowVsBaseline(now: number | undefined, baseline: number | undefined, fmt: (n: number) => string): string {
  const n = now === undefined ? '-' : fmt(now);
  const b = baseline === undefined ? '-' : fmt(baseline);
  return `${e(n)} <span class="muted">/ ${e(b)}</span>`;
}

export function renderPeerDiff(fn: FunctionReport): string {
  const rows = peerDiffRows(fn);
  if (rows.length === 0) {
    return `<p class="muted">${e(fn.inVpc ? SENTENCES.noPeers : SENTENCES.notInVpc)}</p>`;
  }
  return [
    '<table class="lb-peers">',
    '<thead><tr><th>Status</th><th>Peer</th><th>Resource</th><th class="num">Flows now / baseline</th>' +
      '<th class="num">Bytes now / baseline</th><th class="num">Rejected</th><th>First / last seen</th></tr></thead>',
    `<tbody>\n${rows.map(renderPeerRow).join('\n')}\n</tbody>`,
    '</table>',
  ].join('\n');
}

function renderPeerRow(r: PeerDiffRow): string {
  const shared =
    r.attribution && r.attribution !== 'exact'
      ? `<br><span class="muted">${e(r.attribution)}${r.candidates.length > 0 ? `: ${e(r.candidates.join(', '))}` : ''}</span>`
      : '';
  return (
    `<tr class="${rowClass(r.status, r.severity)}">` +
    `<td>${renderStatus(r.status)}</td>` +
    `<td><code>${e(r.subject)}</code>${r.addresses ? `<br><span class="muted">${e(r.addresses.text)}</span>` : ''}</td>` +
    `<td>${e(r.resource)}${shared}</td>` +
    `<td class="num">${nowVsBaseline(r.now.flows, r.baseline?.flows, formatCount)}</td>` +
    `<td class="num">${nowVsBaseline(r.now.bytes, r.baseline?.bytes, formatBytes)}</td>` +
    `<td class="num">${e(formatCount(r.now.rejected))}</td>` +
    `<td>${e(seenRange(r.firstSeen, r.lastSeen))}</td></tr>`
  );
}

export function renderApiDiff(fn: FunctionReport): string {
  const rows = apiDiffRows(fn);
  const own = rows.filter((r) => r.caller === 'function');
  const service = rows.filter((r) => r.caller === 'lambda-service');
  if (rows.length === 0) return `<p class="muted">${e(SENTENCES.noApiCalls)}</p>`;
  const parts: string[] = [];
  parts.push(own.length > 0 ? renderApiTable(own, 'lb-api') : `<p class="muted">${e(SENTENCES.noOwnApiCalls)}</p>`);
  if (service.length > 0) {
    parts.push(`<h4>${e(SENTENCES.serviceCallsHeading)}</h4>`);
    parts.push(`<p class="muted">${e(SENTENCES.serviceCallsNote)}</p>`);
    parts.push(renderApiTable(service, 'lb-api lb-api-service'));
  }
  return parts.join('\n');
}

function renderApiTable(rows: readonly ApiDiffRow[], cls: string): string {
  return [
    `<table class="${cls}">`,
    '<thead><tr><th>Status</th><th>Service</th><th>Action</th><th class="num">Calls now / baseline</th>' +
      '<th class="num">Errors now / baseline</th><th class="num">Denied</th><th>First / last seen</th></tr></thead>',
    `<tbody>\n${rows.map(renderApiRow).join('\n')}\n</tbody>`,
    '</table>',
  ].join('\n');
}

function renderApiRow(r: ApiDiffRow): string {
  return (
    `<tr class="${rowClass(r.status, r.severity)}">` +
    `<td>${renderStatus(r.status)}</td>` +
    `<td><code>${e(r.eventSource)}</code></td>` +
    `<td><code>${e(r.eventName)}</code></td>` +
    `<td class="num">${nowVsBaseline(r.count, r.baseline?.count, formatCount)}</td>` +
    `<td class="num">${nowVsBaseline(r.errors, r.baseline?.errors, formatCount)}</td>` +
    `<td class="num">${r.denied > 0 ? `<span class="lb-sev-high">${e(formatCount(r.denied))}</span>` : '0'}</td>` +
    `<td>${e(seenRange(r.firstSeen, r.lastSeen))}</td></tr>`
  );
}

function renderCoverage(fn: FunctionReport): string {
  const facts = coverageLines(fn).map(({ source, covered, value }): [string, string] => [
    source,
    `<span class="${covered ? 'lb-ok' : 'lb-gap'}">${e(coverageText(value))}</span>`,
  ]);
  return renderFacts(facts);
}

// ---------------------------------------------------------------- metrics chart

const LEGEND_SWATCH: Record<ChartLegendKey, string> = {
  invocations: 'lb-swatch',
  over: 'lb-swatch lb-over',
  band: 'lb-swatch lb-band',
  mean: 'lb-swatch lb-mean',
  errors: 'lb-swatch lb-err',
  throttles: 'lb-swatch lb-thr',
};

/**
 * The chart the diff webview draws (presentation.ts's chartDrawing), as markup at its widest: the SVG scales
 * down with the page. Each point has a tooltip through SVG `<title>`, which needs no script.
 */
export function renderMetricsChart(metrics: MetricsSummary, detectHours?: number): string {
  const totals = renderMetricTotals(metrics);
  const d = chartDrawing(metrics, CHART_MAX_WIDTH, detectHours);
  if (!d) return `<p class="muted">${e(SENTENCES.noMetrics)}</p>${totals}`;
  const { plot } = d;
  const parts: string[] = [];
  d.yTicks.forEach((t, i) => {
    parts.push(`<line class="${i === 0 ? 'lb-axis' : 'lb-grid'}" x1="${plot.left}" x2="${plot.right}" y1="${t.y}" y2="${t.y}"/>`);
    parts.push(`<text x="${plot.left - 6}" y="${t.y}" text-anchor="end" dominant-baseline="middle">${e(t.text)}</text>`);
  });
  parts.push(
    `<text class="lb-axis-title" x="${d.yTitle.x}" y="${d.yTitle.y}" text-anchor="middle" transform="rotate(-90 ${d.yTitle.x} ${d.yTitle.y})">${e(d.yTitle.text)}</text>`,
  );
  parts.push(`<line class="lb-axis" x1="${plot.left}" x2="${plot.left}" y1="${plot.top}" y2="${plot.bottom}"/>`);
  for (const t of d.xTicks) {
    parts.push(`<line class="lb-axis" x1="${t.x}" x2="${t.x}" y1="${plot.bottom}" y2="${plot.bottom + 4}"/>`);
    parts.push(`<text x="${t.x}" y="${plot.bottom + 16}" text-anchor="middle">${e(t.hour)}</text>`);
    if (t.day) parts.push(`<text x="${t.x}" y="${plot.bottom + 29}" text-anchor="middle">${e(t.day)}</text>`);
  }
  parts.push(`<text class="lb-axis-title" x="${d.xTitle.x}" y="${d.xTitle.y}" text-anchor="middle">${e(d.xTitle.text)}</text>`);
  for (const b of d.bands) {
    parts.push(`<polygon class="lb-band" points="${b.area}"/>`);
    parts.push(`<polyline class="lb-mean" points="${b.mean}"/>`);
  }
  parts.push(`<polyline class="lb-err" points="${d.errors}"/>`);
  if (d.throttles) parts.push(`<polyline class="lb-thr" points="${d.throttles}"/>`);
  parts.push(`<polyline class="lb-inv" points="${d.invocations}"/>`);
  for (const p of d.points) {
    parts.push(
      `<circle class="${p.over ? 'lb-over' : 'lb-inv'}" cx="${p.cx}" cy="${p.cy}" r="${p.over ? 3.5 : 2}"><title>${e(p.tip)}</title></circle>`,
    );
  }
  const legend = `<ul class="lb-legend">${d.legend.map((l) => `<li><span class="${LEGEND_SWATCH[l.key]}"></span>${e(l.text)}</li>`).join('')}</ul>`;
  return [
    `<svg class="lb-chart" viewBox="0 0 ${d.width} ${d.height}" role="img" aria-label="${e(d.label)}">`,
    `<title>${e(d.label)}</title>`,
    ...parts,
    '</svg>',
    legend,
    totals,
  ].join('\n');
}

function renderMetricTotals(metrics: MetricsSummary): string {
  const rows = metricTotals(metrics);
  if (rows.length === 0) return '';
  return [
    '<table class="lb-metric-totals">',
    '<thead><tr><th>Metric</th><th class="num">Detection window</th><th class="num">Baseline daily mean</th></tr></thead>',
    `<tbody>${rows.map((r) => `<tr><td>${e(r.name)}</td><td class="num">${e(r.detect)}</td><td class="num">${e(r.dailyMean)}</td></tr>`).join('')}</tbody>`,
    '</table>',
  ].join('\n');
}
