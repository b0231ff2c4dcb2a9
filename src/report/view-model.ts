// Renderer-neutral views of a scan report (diff rows, ordered findings, counts) for the text, HTML and webview renderers.
import type {
  ApiCallReport,
  Attribution,
  CoverageSource,
  DeployEvidence,
  Finding,
  FindingEvidence,
  FindingKind,
  FunctionReport,
  MetricsSummary,
  PeerReport,
  ReportWindow,
  ScanReport,
  Severity,
} from '../core/model';
import { apiSubject, COVERAGE_SOURCES, peerReportSubject, SEVERITY_RANK } from '../core/model';
import { coverageStatusOf, isCovered } from '../core/coverage';
import { formatCount } from './format';
import { DAY_MS, HOUR_MS } from '../core/time';

export const SEVERITIES_DESC: readonly Severity[] = ['high', 'medium', 'low'];

/** A report read from disk may carry any string here; unknown severities sort last instead of throwing. */
export function severityRank(severity: string): number {
  return Object.hasOwn(SEVERITY_RANK, severity) ? SEVERITY_RANK[severity as Severity] : 0;
}

/** The severity as a known value (for CSS classes, colours, SARIF levels), or undefined. */
export function knownSeverity(severity: string): Severity | undefined {
  return Object.hasOwn(SEVERITY_RANK, severity) ? (severity as Severity) : undefined;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Most severe first, then by kind and subject, so the same report always reads the same way. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      compareText(a.kind, b.kind) ||
      compareText(a.subject, b.subject) ||
      compareText(a.id, b.id),
  );
}

export function highestSeverity(findings: readonly Finding[]): Severity | undefined {
  let best: Severity | undefined;
  for (const f of findings) {
    const s = knownSeverity(f.severity);
    if (s && (!best || SEVERITY_RANK[s] > SEVERITY_RANK[best])) best = s;
  }
  return best;
}

/**
 * Functions with findings first (most severe, then most findings), then the clean ones, each group by
 * name: the order both the terminal and the HTML report use.
 */
export function orderFunctions(functions: readonly FunctionReport[]): FunctionReport[] {
  // Each function's worst severity once, not on every comparison (1,000 functions: ~10,000 comparisons).
  const keyed = functions.map((fn) => ({ fn, worst: severityRank(highestSeverity(fn.findings) ?? '') }));
  return keyed
    .sort(
      (a, b) =>
        Number(b.fn.findings.length > 0) - Number(a.fn.findings.length > 0) ||
        b.worst - a.worst ||
        b.fn.findings.length - a.fn.findings.length ||
        compareText(a.fn.name, b.fn.name),
    )
    .map((k) => k.fn);
}

export type SeverityCounts = Record<Severity, number> & { other: number };

export function severityCounts(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { high: 0, medium: 0, low: 0, other: 0 };
  for (const f of findings) counts[knownSeverity(f.severity) ?? 'other']++;
  return counts;
}

export interface ReportTotals {
  functions: number;
  functionsWithFindings: number;
  findings: number;
  bySeverity: SeverityCounts;
}

export function reportTotals(report: ScanReport): ReportTotals {
  const all = report.functions.flatMap((fn) => fn.findings);
  return {
    functions: report.functions.length,
    functionsWithFindings: report.functions.filter((fn) => fn.findings.length > 0).length,
    findings: all.length,
    bySeverity: severityCounts(all),
  };
}

/** `3 findings (1 high, 2 medium) in 7 functions`: the last line of the terminal report and the HTML summary. */
export function summaryLine(report: ScanReport): string {
  const t = reportTotals(report);
  const parts = SEVERITIES_DESC.filter((s) => t.bySeverity[s] > 0).map((s) => `${formatCount(t.bySeverity[s])} ${s}`);
  if (t.bySeverity.other > 0) parts.push(`${formatCount(t.bySeverity.other)} other`);
  const findings = `${formatCount(t.findings)} finding${t.findings === 1 ? '' : 's'}`;
  const breakdown = parts.length > 0 ? ` (${parts.join(', ')})` : '';
  return `${findings}${breakdown} in ${formatCount(t.functions)} function${t.functions === 1 ? '' : 's'}`;
}

/** Whole days of baseline and hours of detection window (rounded; 0 when a time does not parse): how both views name the windows. */
export function windowSpans(w: ReportWindow): { baselineDays: number; detectHours: number } {
  return { baselineDays: wholeUnits(w.baselineStart, w.baselineEnd, DAY_MS), detectHours: wholeUnits(w.detectStart, w.detectEnd, HOUR_MS) };
}

function wholeUnits(startIso: string, endIso: string, unit: number): number {
  const ms = Date.parse(endIso) - Date.parse(startIso);
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms / unit) : 0;
}

// ---------------------------------------------------------------- coverage

/** One line per source: whether it covered the window (complete, or nothing to cover) and the engine's sentence about it. */
export interface CoverageLine {
  source: CoverageSource;
  covered: boolean;
  /** The sentence for people, as the engine wrote it (empty when the report has none). */
  value: string;
}

type CoverageOf = Pick<FunctionReport, 'coverage' | 'coverageStatus'>;

/** Every source's coverage, read from the structured status (coverageStatusOf); the sentence is only shown. */
export function coverageLines(fn: CoverageOf): CoverageLine[] {
  const status = coverageStatusOf(fn);
  return COVERAGE_SOURCES.map((source) => ({ source, covered: isCovered(status[source].status), value: fn.coverage?.[source] ?? '' }));
}

/** The sources that did not cover the window: what the reports and the panel show as gaps. A report without coverage has none to show. */
export function incompleteCoverage(fn: CoverageOf): Array<{ source: CoverageSource; value: string }> {
  if (!fn.coverage && !fn.coverageStatus) return [];
  return coverageLines(fn)
    .filter((line) => !line.covered)
    .map(({ source, value }) => ({ source, value }));
}

// ---------------------------------------------------------------- behaviour diff

export type DiffStatus = 'added' | 'removed' | 'unchanged';
const STATUS_ORDER: Record<DiffStatus, number> = { added: 0, removed: 1, unchanged: 2 };

export interface TrafficTotals {
  flows: number;
  bytes: number;
  packets: number;
  rejected: number;
}

export interface PeerDiffRow {
  status: DiffStatus;
  /** `<address>:<port>/<protocol>`, or `aws:<SERVICE>:<region>:<port>/<protocol>` for an AWS service peer: the subject findings about this peer use. */
  subject: string;
  address: string;
  port: number;
  protocol: string;
  resource: string;
  now: TrafficTotals;
  baseline?: TrafficTotals;
  firstSeen?: string;
  lastSeen?: string;
  attribution?: Attribution;
  candidates: string[];
  /** For an AWS service peer: how many distinct addresses it used now and in the baseline, and a few of them. */
  addresses?: PeerAddresses;
  /** The most severe finding about this peer, for highlighting the row. */
  severity?: Severity;
}

export interface PeerAddresses {
  now: number;
  baseline: number;
  samples: string[];
  /** `12 addresses (340 in the baseline)`: the same words in the tree, the HTML report and the webview. */
  text: string;
}

/** A service peer's addresses as the report holds them, when they are well formed (a report read from disk may hold anything). */
function peerAddresses(p: PeerReport): PeerAddresses | undefined {
  const a = p.service ? p.addresses : undefined;
  if (!a || typeof a !== 'object') return undefined;
  const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0);
  const samples = Array.isArray(a.samples) ? a.samples.filter((s): s is string => typeof s === 'string') : [];
  const now = count(a.detect);
  const baseline = count(a.baseline);
  const words = `${formatCount(now)} ${now === 1 ? 'address' : 'addresses'}`;
  return { now, baseline, samples, text: baseline > 0 ? `${words} (${formatCount(baseline)} in the baseline)` : words };
}

export interface ApiDiffRow {
  status: DiffStatus;
  /** `lambda-service` rows are Lambda acting with the role, not the function's code: show them apart. */
  caller: 'function' | 'lambda-service';
  /** `<eventSource>:<eventName>`. */
  subject: string;
  eventSource: string;
  eventName: string;
  count: number;
  errors: number;
  denied: number;
  baseline?: { count: number; errors: number };
  firstSeen?: string;
  lastSeen?: string;
  sampleEventIds: string[];
  severity?: Severity;
}

const PEER_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(['new-peer', 'rejected-traffic', 'traffic-spike']);
const API_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(['new-api-call', 'access-denied']);

function severityBySubject(findings: readonly Finding[], kinds: ReadonlySet<FindingKind>): Map<string, Severity> {
  const map = new Map<string, Severity>();
  for (const f of findings) {
    const s = knownSeverity(f.severity);
    if (!s || !kinds.has(f.kind)) continue;
    const prev = map.get(f.subject);
    if (!prev || SEVERITY_RANK[s] > SEVERITY_RANK[prev]) map.set(f.subject, s);
  }
  return map;
}

function totals(c: { flows: number; bytes: number; packets: number; rejected: number }): TrafficTotals {
  return { flows: c.flows, bytes: c.bytes, packets: c.packets, rejected: c.rejected };
}

/**
 * Seen now but not in the baseline: added. In the baseline with no flows now: removed (the engine
 * keeps such peers with zero counts and the baseline's). Otherwise unchanged, whatever the volume:
 * volume changes are the traffic-spike finding's business.
 */
export function peerStatus(p: PeerReport): DiffStatus {
  if (!p.inBaseline) return 'added';
  if (p.flows === 0 && p.baseline) return 'removed';
  return 'unchanged';
}

export function apiStatus(c: ApiCallReport): DiffStatus {
  if (!c.inBaseline) return 'added';
  if (c.count === 0 && c.baseline) return 'removed';
  return 'unchanged';
}

/** The network peers as diff rows: added, removed, unchanged; within each, most bytes first. */
export function peerDiffRows(fn: FunctionReport): PeerDiffRow[] {
  const severities = severityBySubject(fn.findings, PEER_KINDS);
  const rows = fn.peers.map((p): PeerDiffRow => {
    const subject = peerReportSubject(p);
    const addresses = peerAddresses(p);
    return {
      status: peerStatus(p),
      subject,
      address: p.address,
      port: p.port,
      protocol: p.protocol,
      resource: p.resource,
      now: totals(p),
      baseline: p.baseline ? totals(p.baseline) : undefined,
      firstSeen: p.firstSeen ?? p.baseline?.firstSeen,
      lastSeen: p.lastSeen ?? p.baseline?.lastSeen,
      attribution: p.attribution,
      candidates: p.candidates ?? [],
      ...(addresses ? { addresses } : {}),
      severity: severities.get(subject),
    };
  });
  const volume = (r: PeerDiffRow) => (r.status === 'removed' ? (r.baseline?.bytes ?? 0) : r.now.bytes);
  return rows.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || volume(b) - volume(a) || compareText(a.subject, b.subject));
}

/** The AWS API calls as diff rows: the function's own calls first, then the Lambda service's; within each as for peers. */
export function apiDiffRows(fn: FunctionReport): ApiDiffRow[] {
  const severities = severityBySubject(fn.findings, API_KINDS);
  const rows = fn.apiCalls.map((c): ApiDiffRow => {
    const subject = apiSubject(c.eventSource, c.eventName);
    const caller = c.caller === 'lambda-service' ? 'lambda-service' : 'function';
    return {
      status: apiStatus(c),
      caller,
      subject,
      eventSource: c.eventSource,
      eventName: c.eventName,
      count: c.count,
      errors: c.errors,
      denied: c.denied ?? 0,
      baseline: c.baseline ? { count: c.baseline.count, errors: c.baseline.errors } : undefined,
      firstSeen: c.firstSeen ?? c.baseline?.firstSeen,
      lastSeen: c.lastSeen ?? c.baseline?.lastSeen,
      sampleEventIds: c.sampleEventIds ?? [],
      // Findings are about the function's code; a Lambda-service call with the same name is not what they mean.
      severity: caller === 'function' ? severities.get(subject) : undefined,
    };
  });
  const volume = (r: ApiDiffRow) => (r.status === 'removed' ? (r.baseline?.count ?? 0) : r.count);
  return rows.sort(
    (a, b) =>
      Number(a.caller === 'lambda-service') - Number(b.caller === 'lambda-service') ||
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      volume(b) - volume(a) ||
      compareText(a.subject, b.subject),
  );
}

export interface DiffCounts {
  total: number;
  added: number;
  removed: number;
  unchanged: number;
}

export function diffCounts(rows: ReadonlyArray<{ status: DiffStatus }>): DiffCounts {
  const c: DiffCounts = { total: rows.length, added: 0, removed: 0, unchanged: 0 };
  for (const r of rows) c[r.status]++;
  return c;
}

// ---------------------------------------------------------------- evidence

export type EvidenceValue = string | number | boolean | string[];

export interface EvidenceEssentials {
  firstSeen?: string;
  lastSeen?: string;
  candidates: string[];
  /** The evidence's numeric fields (flows, bytes, counts, baseline means, ...), by key. */
  counts: Array<[string, number]>;
  samples: number;
  eventIds: number;
}

const EVIDENCE_LISTS = new Set(['firstSeen', 'lastSeen', 'candidates', 'samples', 'eventIds']);

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : (JSON.stringify(x) ?? ''))) : [];
}

/** What a one-glance summary of a finding's evidence shows: when, how much, who else could it be. */
export function evidenceEssentials(evidence: FindingEvidence | undefined): EvidenceEssentials {
  const e = evidence ?? {};
  const counts: Array<[string, number]> = Object.entries(e)
    .filter(
      (entry): entry is [string, number] => !EVIDENCE_LISTS.has(entry[0]) && typeof entry[1] === 'number' && Number.isFinite(entry[1]),
    )
    .sort((a, b) => compareText(a[0], b[0]));
  return {
    firstSeen: typeof e.firstSeen === 'string' ? e.firstSeen : undefined,
    lastSeen: typeof e.lastSeen === 'string' ? e.lastSeen : undefined,
    candidates: stringList(e.candidates),
    counts,
    samples: stringList(e.samples).length,
    eventIds: stringList(e.eventIds).length,
  };
}

/** `errorsInWindow` → `errors in window`: evidence keys read as words. */
export function evidenceLabel(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/\bIds\b/, 'ids')
    .toLowerCase();
}

export interface EvidenceEntry {
  key: string;
  label: string;
  value: EvidenceValue;
}

/**
 * The change a finding started after (`evidence.deploy`), when it has the shape the engine writes: a report from
 * elsewhere may carry anything there, and a malformed one is shown as data (evidenceEntries), never as a sentence.
 */
export function deployOf(evidence: FindingEvidence | undefined): DeployEvidence | undefined {
  const d: unknown = evidence?.deploy;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return undefined;
  const { eventName, time, by, eventId, minutesBefore } = d as Record<string, unknown>;
  if (typeof eventName !== 'string' || eventName === '' || typeof time !== 'string' || time === '') return undefined;
  if (typeof minutesBefore !== 'number' || !Number.isFinite(minutesBefore) || minutesBefore < 0) return undefined;
  return {
    eventName,
    time,
    ...(typeof by === 'string' && by !== '' ? { by } : {}),
    ...(typeof eventId === 'string' && eventId !== '' ? { eventId } : {}),
    minutesBefore,
  };
}

/**
 * Every evidence field as a displayable value, known fields first: the evidence is open-ended
 * (`[key: string]: unknown`), so nested objects are shown as compact JSON rather than dropped.
 * A well-formed deploy and `noChangeBefore` are said in a sentence of their own (deploySentence), so here
 * the deploy is only its CloudTrail event id, to look it up.
 */
export function evidenceEntries(evidence: FindingEvidence | undefined): EvidenceEntry[] {
  const e = evidence ?? {};
  const known = ['firstSeen', 'lastSeen', 'candidates'];
  const deploy = deployOf(e);
  const rest = Object.keys(e)
    .filter((k) => !known.includes(k) && k !== 'samples' && k !== 'eventIds')
    .filter((k) => !(k === 'noChangeBefore' && e.noChangeBefore === true) && !(k === 'deploy' && deploy))
    .sort(compareText);
  const out: EvidenceEntry[] = [];
  for (const key of [...known, ...rest, 'eventIds', 'samples']) {
    if (key === 'eventIds' && deploy?.eventId) out.push({ key: 'deployEventId', label: 'deploy event id', value: deploy.eventId });
    const label = evidenceLabel(key);
    const v = e[key];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push({ key, label, value: v });
    else if (Array.isArray(v)) {
      if (v.length > 0) out.push({ key, label, value: stringList(v) });
    } else out.push({ key, label, value: JSON.stringify(v) ?? '' });
  }
  return out;
}

// ---------------------------------------------------------------- chart

/** Items whose `i` follow one another, as runs: the hours a chart draws as one band or line without a gap. */
export function consecutiveRuns<T extends { i: number }>(items: readonly T[]): T[][] {
  const runs: T[][] = [];
  for (const item of items) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1]!.i === item.i - 1) last.push(item);
    else runs.push([item]);
  }
  return runs;
}

/** A metric chart's data, the same for the HTML report and the webview: per-period values (missing or odd ones as 0) and the baseline band. */
export interface ChartSeries {
  n: number;
  /** `hour`, or `5 min` for a finer period. */
  period: string;
  inv: number[];
  err: number[];
  thr: number[];
  band: Array<{ mean: number; low: number; high: number } | undefined>;
  /** Throttles are drawn only when there were any. */
  showThrottles: boolean;
}

function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function chartSeries(metrics: MetricsSummary): ChartSeries {
  const n = metrics.hours.length;
  const period = !metrics.periodSeconds || metrics.periodSeconds === 3600 ? 'hour' : `${formatCount(metrics.periodSeconds / 60)} min`;
  const inv = metrics.hours.map((_, i) => finite(metrics.invocations[i]));
  const err = metrics.hours.map((_, i) => finite(metrics.errors[i]));
  const thr = metrics.hours.map((_, i) => finite(metrics.throttles[i]));
  const band = metrics.hours.map((_, i) => {
    const x = metrics.expectedInvocations[i];
    return x ? { mean: finite(x.mean), low: finite(x.low), high: finite(x.high) } : undefined;
  });
  return { n, period, inv, err, thr, band, showThrottles: thr.some((v) => v > 0) };
}
