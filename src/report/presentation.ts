// How a report is shown, decided once for the HTML report, the diff webview and the tree: labels, limits, the evidence layout, the chart's geometry. Pure: no DOM, no vscode.
import type { FindingEvidence, MetricsSummary, ScanReads, Severity } from '../core/model';
import { showBidiControls } from './escape';
import { formatBytes, formatCount, formatTime, plural } from './format';
import { chartSeries, consecutiveRuns, deployOf, knownSeverity, type DiffStatus, type EvidenceEntry } from './view-model';

// ---------------------------------------------------------------- diff status

/** The word for each status: in the tables, the counts line, the tree's descriptions and menus (`peer;new`). */
export const STATUS_LABEL: Readonly<Record<DiffStatus, string>> = { added: 'new', removed: 'gone', unchanged: 'same' };

/** Shown before the word, so that a row's status reads without colour. */
export const STATUS_SIGN: Readonly<Record<DiffStatus, string>> = { added: '+', removed: '−', unchanged: '=' };

function isStatus(status: string): status is DiffStatus {
  return Object.hasOwn(STATUS_LABEL, status);
}

/** The status's word; a status this version does not know (a report from a newer engine) is shown as it is. */
export function statusLabel(status: string): string {
  return isStatus(status) ? STATUS_LABEL[status] : status;
}

export function statusSign(status: string): string {
  return isStatus(status) ? STATUS_SIGN[status] : '?';
}

/** Where space is short (a tree description) only a change is worth a word. */
export function changeLabel(status: DiffStatus): string | undefined {
  return status === 'unchanged' ? undefined : STATUS_LABEL[status];
}

/** What a status means, in a sentence: for a hover. */
export function statusMeaning(row: 'peer' | 'apiCall', status: DiffStatus): string {
  const verb = row === 'peer' ? 'seen' : 'called';
  if (status === 'added') return `${STATUS_LABEL.added}: not ${verb} in the baseline`;
  if (status === 'removed') return `${STATUS_LABEL.removed}: ${verb} in the baseline, not now`;
  return `${verb} in the baseline`;
}

// ---------------------------------------------------------------- severity and text

/** A severity as a style name: a value this version does not know is `unknown`, never a class of its own. */
export type SeverityTone = Severity | 'unknown';

export function severityTone(severity: string | undefined): SeverityTone {
  return (severity !== undefined && knownSeverity(severity)) || 'unknown';
}

/** Control characters other than tab and line feed have no business on screen. */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * AWS-derived text as it is displayed outside a terminal and outside HTML source (DOM text nodes, hovers):
 * controls dropped, bidi controls shown as `[U+202E]`. Still a string: callers insert it as text.
 */
export function displayText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return showBidiControls(String(value).replace(CONTROLS, ''));
}

/** `iam.amazonaws.com` → `iam`: the suffix is the same on every call. */
export function shortService(eventSource: string): string {
  return eventSource.endsWith('.amazonaws.com') ? eventSource.slice(0, -'.amazonaws.com'.length) : eventSource;
}

/** `s3:ListBuckets`, as the findings' titles name calls; the subject (`s3.amazonaws.com:ListBuckets`) is the full name. */
export function callName(eventSource: string, eventName: string): string {
  return `${shortService(eventSource)}:${eventName}`;
}

/** `2026-11-22 20:07Z – 23:59Z`: the date once when both fall on the same day. */
export function seenRange(first: string | undefined, last: string | undefined): string {
  const a = formatTime(first);
  const b = formatTime(last);
  if (!a || !b || a === b) return a || b;
  return a.slice(0, 10) === b.slice(0, 10) ? `${a} – ${b.slice(11)}` : `${a} – ${b}`;
}

/** A coverage gap's sentence; an empty one (a report that says nothing) is named as such. */
export function coverageText(value: string | undefined): string {
  return value || 'not reported';
}

/** Sentences both renderers show in the same places. */
export const SENTENCES = {
  noFindings: 'Nothing new or abnormal against the baseline.',
  noPeers: "No traffic recorded on the function's network interfaces.",
  notInVpc: 'Not attached to a VPC: Lambda runs it on its own network, which has no flow logs.',
  noApiCalls: "No AWS API calls recorded with the function's role.",
  noOwnApiCalls: "The function's code made no AWS API calls.",
  serviceCallsHeading: "Made by the Lambda service with the function's role",
  serviceCallsNote:
    "Lambda itself uses the execution role (to poll an event source, decrypt environment variables, write logs): these are not the function's code and never findings.",
  noMetrics: 'No metrics: CloudWatch has no invocations of this function in the detection window.',
} as const;

// ---------------------------------------------------------------- deploy context

/** What a finding with `evidence.noChangeBefore` says: the behaviour began with no change to the function to explain it. */
export const NO_CHANGE_BEFORE = 'No code or configuration change in the 24 h before';

/** `101` → `1 h 41 min`: how long after the change, as a clock reads it. */
export function elapsed(minutes: number): string {
  if (minutes < 1) return 'less than a minute';
  const whole = Math.floor(minutes);
  const h = Math.floor(whole / 60);
  const m = whole % 60;
  return h === 0 ? `${m} min` : m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/**
 * The change a finding started after, in the words every view uses (tree tooltip, diff webview, HTML and text
 * reports): `Started 1 h 41 min after UpdateFunctionCode20150331v2 at 2026-11-22 04:07Z by deploy-pipeline/…`,
 * or NO_CHANGE_BEFORE; undefined when the report says neither. AWS strings are in it as they are: callers escape.
 */
export function deploySentence(evidence: FindingEvidence | undefined): string | undefined {
  const d = deployOf(evidence);
  if (d) {
    const what = d.eventName === 'LastModified' ? "the function was last modified (ListFunctions' LastModified)" : d.eventName;
    return `Started ${elapsed(d.minutesBefore)} after ${what} at ${formatTime(d.time)}${d.by ? ` by ${d.by}` : ''}`;
  }
  return evidence?.noChangeBefore === true ? NO_CHANGE_BEFORE : undefined;
}

// ---------------------------------------------------------------- evidence

/** Items of an evidence list shown; the rest are counted (`… 12 more`). */
export const EVIDENCE_LIST_LIMIT = 20;
/** A list inline among the facts has at most this many items, none longer than EVIDENCE_INLINE_MAX_CHARS. */
export const EVIDENCE_INLINE_MAX_ITEMS = 3;
export const EVIDENCE_INLINE_MAX_CHARS = 60;

/**
 * Raw samples and event ids are always collapsed (long, and only read on demand); any other list is inline
 * while it stays short enough to read in one line.
 */
export function collapsesEvidence(key: string, items: readonly string[]): boolean {
  return (
    key === 'samples' ||
    key === 'eventIds' ||
    items.length > EVIDENCE_INLINE_MAX_ITEMS ||
    items.some((item) => item.length > EVIDENCE_INLINE_MAX_CHARS)
  );
}

/** A numeric evidence field: bytes as bytes, anything else as a count. */
export function formatEvidenceNumber(key: string, value: number): string {
  return /bytes/i.test(key) ? formatBytes(value) : formatCount(value);
}

export interface EvidenceFact {
  key: string;
  label: string;
  text: string;
  numeric: boolean;
}

export interface EvidenceList {
  key: string;
  label: string;
  total: number;
  /** The first EVIDENCE_LIST_LIMIT items. */
  shown: string[];
  /** `… 12 more`, or empty when every item is shown. */
  more: string;
}

/** A finding's evidence as one-line facts and collapsible lists, in the order of the entries. */
export function evidenceLayout(entries: readonly EvidenceEntry[]): { facts: EvidenceFact[]; lists: EvidenceList[] } {
  const facts: EvidenceFact[] = [];
  const lists: EvidenceList[] = [];
  for (const { key, label, value } of entries) {
    if (Array.isArray(value)) {
      if (collapsesEvidence(key, value)) {
        const shown = value.slice(0, EVIDENCE_LIST_LIMIT);
        const more = value.length - shown.length;
        lists.push({ key, label, total: value.length, shown, more: more > 0 ? `… ${formatCount(more)} more` : '' });
      } else facts.push({ key, label, text: value.join(', '), numeric: false });
    } else if (typeof value === 'number') {
      facts.push({ key, label, text: formatEvidenceNumber(key, value), numeric: true });
    } else if (key === 'firstSeen' || key === 'lastSeen') {
      facts.push({ key, label, text: formatTime(String(value)), numeric: false });
    } else facts.push({ key, label, text: String(value), numeric: false });
  }
  return { facts, lists };
}

// ---------------------------------------------------------------- chart

/** The chart is drawn at the width it has, within these bounds; its height and margins are fixed so its text stays legible. */
export const CHART_MIN_WIDTH = 300;
export const CHART_MAX_WIDTH = 760;
const CHART_HEIGHT = 240;
const MARGIN = { left: 56, right: 16, top: 14, bottom: 54 } as const;
/** About one labelled hour per this many pixels. */
const X_TICK_SPACING = 64;
/** Hours between labelled ticks, the smallest that fits. */
const X_TICK_STEPS = [1, 2, 3, 4, 6, 12, 24, 48, 72, 168];

/** A round step (1, 2, 2.5 or 5 times a power of ten) that divides `max` into about `parts` gridlines. */
export function niceStep(max: number, parts: number): number {
  const raw = Math.max(max, 1) / parts;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** A coordinate to one decimal: enough for a screen, short in the markup. */
export function coord(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** `13:00` and `2026-11-22` for an hour start (the date is shown under the first tick of each day). */
function hourParts(iso: string | undefined): { hour: string; day: string } {
  const t = formatTime(iso);
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d)Z$/.exec(t);
  return m ? { day: m[1]!, hour: m[2]! } : { day: '', hour: t };
}

export type ChartLegendKey = 'invocations' | 'over' | 'band' | 'mean' | 'errors' | 'throttles';

/**
 * Everything a renderer needs to draw a metric chart, with coordinates already computed: the HTML report
 * writes it as SVG markup, the webview as SVG elements, so both draw the same chart.
 */
export interface ChartDrawing {
  width: number;
  height: number;
  /** The chart in one sentence: its accessible name and SVG title. */
  label: string;
  /** The plot area's edges. */
  plot: { left: number; right: number; top: number; bottom: number };
  /** Horizontal gridlines on round numbers; the first is the axis. */
  yTicks: Array<{ y: string; text: string }>;
  /** `per hour`, written up the left side at (x, y). */
  yTitle: { x: number; y: string; text: string };
  /** A labelled tick every few periods; `day` under the first tick of each day. */
  xTicks: Array<{ x: string; hour: string; day?: string }>;
  xTitle: { x: string; y: number; text: string };
  /** The expected band as areas with their mean line, over runs of consecutive periods that have an expectation. */
  bands: Array<{ area: string; mean: string }>;
  /** Polyline points. */
  invocations: string;
  errors: string;
  throttles?: string;
  /** One per period: above the band or not, and its tooltip. */
  points: Array<{ cx: string; cy: string; over: boolean; tip: string }>;
  legend: Array<{ key: ChartLegendKey; text: string }>;
}

/** The chart of a function's metrics at `width` pixels, or undefined when there is no period to draw. */
export function chartDrawing(metrics: MetricsSummary, width: number, detectHours?: number): ChartDrawing | undefined {
  const { n, period, inv, err, thr, band, showThrottles } = chartSeries(metrics);
  if (n === 0) return undefined;
  const W = Math.round(Math.min(CHART_MAX_WIDTH, Math.max(CHART_MIN_WIDTH, width)));
  const H = CHART_HEIGHT;
  const plot = { left: MARGIN.left, right: W - MARGIN.right, top: MARGIN.top, bottom: H - MARGIN.bottom };
  const plotW = plot.right - plot.left;
  const plotH = plot.bottom - plot.top;

  // Capped so that rounding up to the next step stays finite for values near Number.MAX_VALUE (a hostile report).
  const top = Math.min(Number.MAX_VALUE / 16, Math.max(1, ...inv, ...err, ...(showThrottles ? thr : []), ...band.map((b) => b?.high ?? 0)));
  const yStep = niceStep(top, 4);
  const yMax = Math.ceil(top / yStep) * yStep;
  const x = (i: number) => plot.left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => plot.bottom - (Math.max(0, v) / yMax) * plotH;
  const line = (values: readonly number[]) => values.map((v, i) => `${coord(x(i))},${coord(y(v))}`).join(' ');

  const yTicks: ChartDrawing['yTicks'] = [];
  // Counted, not accumulated: at very large values v += yStep no longer changes v.
  const tickCount = Math.round(yMax / yStep);
  for (let i = 0; i <= tickCount; i++) yTicks.push({ y: coord(y(i * yStep)), text: formatCount(i * yStep) });

  const fit = Math.max(2, Math.floor(plotW / X_TICK_SPACING));
  const step = X_TICK_STEPS.find((k) => Math.ceil(n / k) <= fit) ?? Math.ceil(n / fit);
  const xTicks: ChartDrawing['xTicks'] = [];
  let lastDay = '';
  for (let i = 0; i < n; i += step) {
    const { hour, day } = hourParts(metrics.hours[i]);
    xTicks.push({ x: coord(x(i)), hour, ...(day && day !== lastDay ? { day } : {}) });
    lastDay = day;
  }

  const withBand = band.flatMap((b, i) => (b ? [{ b, i }] : []));
  const bands = consecutiveRuns(withBand).map((run) => {
    const upper = run.map(({ b, i }) => `${coord(x(i))},${coord(y(b.high))}`);
    const lower = [...run].reverse().map(({ b, i }) => `${coord(x(i))},${coord(y(b.low))}`);
    return { area: [...upper, ...lower].join(' '), mean: run.map(({ b, i }) => `${coord(x(i))},${coord(y(b.mean))}`).join(' ') };
  });

  const points = inv.map((v, i) => {
    const b = band[i];
    const expected = b ? `, expected ${formatCount(b.low)}–${formatCount(b.high)}` : '';
    const tip =
      `${formatTime(metrics.hours[i])}: ${formatCount(v)} invocations${expected}, ${formatCount(err[i])} errors` +
      (showThrottles ? `, ${formatCount(thr[i])} throttles` : '');
    return { cx: coord(x(i)), cy: coord(y(v)), over: b !== undefined && v > b.high, tip };
  });

  const legend: ChartDrawing['legend'] = [
    { key: 'invocations', text: `invocations per ${period}` },
    { key: 'over', text: 'above the expected band' },
    { key: 'band', text: 'expected (baseline, same time of day)' },
    { key: 'mean', text: 'expected mean' },
    { key: 'errors', text: 'errors' },
  ];
  if (showThrottles) legend.push({ key: 'throttles', text: 'throttles' });

  const within = detectHours && detectHours > 0 ? `the last ${formatCount(detectHours)} h` : 'the detection window';
  const midY = coord(plot.top + plotH / 2);
  return {
    width: W,
    height: H,
    label: `Invocations per ${period} in ${within} against the baseline's expected band, with errors`,
    plot,
    yTicks,
    yTitle: { x: 12, y: midY, text: `per ${period}` },
    xTicks,
    xTitle: { x: coord(plot.left + plotW / 2), y: H - 6, text: 'hour (UTC), detection window' },
    bands,
    invocations: line(inv),
    errors: line(err),
    ...(showThrottles ? { throttles: line(thr) } : {}),
    points,
    legend,
  };
}

/** The metric totals table's rows: each metric's detection-window total and baseline daily mean. */
export function metricTotals(metrics: MetricsSummary): Array<{ name: string; detect: string; dailyMean: string }> {
  const detect = metrics.totals?.detect ?? {};
  const daily = metrics.totals?.baselineDailyMean ?? {};
  const names = [...new Set([...Object.keys(detect), ...Object.keys(daily)])];
  return names.map((name) => ({ name, detect: formatCount(detect[name]), dailyMean: formatCount(daily[name]) }));
}

// ---------------------------------------------------------------- reads

/**
 * What a live scan read from AWS, in one line for the reports and the panel: requests by service (one action named,
 * several counted together), the bytes the queries scanned and the records downloaded, and what the cache answered.
 * `Read from AWS: 3 requests to logs, 40 cloudtrail:LookupEvents; 1.2 GiB scanned; the cache answered 1,204 of 1,230 hours (cache: DIR)`.
 * Plain text, for the caller to escape or sanitise.
 */
export function readsLine(reads: ScanReads): string {
  const byService = new Map<string, Array<[string, number]>>();
  for (const [action, n] of Object.entries(reads.requests ?? {})) {
    if (typeof n !== 'number' || !(n > 0)) continue;
    const service = action.includes(':') ? action.slice(0, action.indexOf(':')) : action;
    byService.set(service, [...(byService.get(service) ?? []), [action, n]]);
  }
  const services = [...byService]
    .map(([service, actions]) => ({ service, actions, total: actions.reduce((a, [, n]) => a + n, 0) }))
    .sort((a, b) => b.total - a.total || (a.service < b.service ? -1 : 1));
  const requests = services.map(({ service, actions, total }) =>
    actions.length === 1 ? `${formatCount(total)} ${actions[0][0]}` : `${formatCount(total)} requests to ${service}`,
  );
  const bytes = [
    ...(reads.bytesScanned > 0 ? [`${formatBytes(reads.bytesScanned)} scanned`] : []),
    ...(reads.bytesDownloaded > 0 ? [`${formatBytes(reads.bytesDownloaded)} downloaded`] : []),
  ];
  const parts = [requests.length ? requests.join(', ') : 'no requests', ...(bytes.length ? [bytes.join(', ')] : [])];
  const cache = reads.cache;
  if (cache) {
    const hours = cache.hoursFromCache + cache.hoursFetched;
    parts.push(`the cache answered ${formatCount(cache.hoursFromCache)} of ${plural(hours, 'hour')} (cache: ${cache.location})`);
  }
  return `Read from AWS: ${parts.join('; ')}`;
}
