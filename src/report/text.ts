// The terminal report: a readable summary of a scan, every AWS-derived string sanitised, colour optional.
import type { Finding, FunctionReport, ScanReport, Severity } from '../core/model';
import { sanitizeForTerminal } from './escape';
import { formatCount, formatTime, plural } from './format';
import { coverageText, deploySentence, formatEvidenceNumber, readsLine, STATUS_LABEL } from './presentation';
import {
  apiDiffRows,
  diffCounts,
  evidenceEssentials,
  evidenceLabel,
  incompleteCoverage,
  knownSeverity,
  orderFunctions,
  peerDiffRows,
  sortFindings,
  summaryLine,
} from './view-model';

export interface TextOptions {
  color: boolean;
}

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  cyan: '\x1b[36m',
} as const;

type Style = keyof typeof ANSI;

const SEVERITY_STYLE: Record<Severity, Style[]> = {
  high: ['bold', 'red'],
  medium: ['yellow'],
  low: ['cyan'],
};

/** Indent of a finding's detail lines: under the title, past the severity and kind columns. */
const DETAIL_INDENT = ' '.repeat(4);

export function renderText(report: ScanReport, options: TextOptions): string {
  // Styles are applied to text that is already sanitised, so the only escapes in the output are ours.
  const paint = (text: string, ...styles: Style[]) =>
    options.color && styles.length > 0 && text !== '' ? `${styles.map((s) => ANSI[s]).join('')}${text}${ANSI.reset}` : text;
  const s = (value: unknown) => sanitizeForTerminal(value);
  const lines: string[] = [];

  // ---- header
  lines.push(paint(`Lambda Behavior: account ${s(report.accountId)}, region ${s(report.region)}`, 'bold'));
  if (report.source) lines.push(`  source     ${s(report.source)}`);
  const w = report.window;
  lines.push(`  baseline   ${s(formatTime(w.baselineStart))} -> ${s(formatTime(w.baselineEnd))}`);
  lines.push(`  detection  ${s(formatTime(w.detectStart))} -> ${s(formatTime(w.detectEnd))}`);
  if (report.generatedAt) lines.push(`  generated  ${s(formatTime(report.generatedAt))}`);
  if (report.stats) {
    const st = report.stats;
    const malformed = st.malformedFlowRecords > 0 ? `, ${formatCount(st.malformedFlowRecords)} malformed` : '';
    lines.push(
      `  data       ${plural(st.flowRecords, 'flow record')} (${formatCount(st.flowRecordsAttributed)} attributed${malformed}), ` +
        `${plural(st.trailEvents, 'CloudTrail event')}`,
    );
  }
  if (report.reads) {
    lines.push(`  ${s(readsLine(report.reads))}`);
    for (const e of report.reads.estimates ?? []) lines.push(`  estimated before the queries: ${s(e)}`);
  }

  // ---- functions with findings, then a compact line per clean function
  const ordered = orderFunctions(report.functions);
  const flagged = ordered.filter((fn) => fn.findings.length > 0);
  const clean = ordered.filter((fn) => fn.findings.length === 0);

  for (const fn of flagged) {
    lines.push('');
    lines.push(`${paint(s(fn.name), 'bold')}${paint(` ${functionFacts(fn)}`, 'dim')}  ${plural(fn.findings.length, 'finding')}`);
    for (const f of sortFindings(fn.findings)) lines.push(...renderFinding(f, paint));
    lines.push(paint(`  ${behaviourSummary(fn)}`, 'dim'));
    lines.push(...coverageLines(fn, paint));
  }

  if (clean.length > 0) {
    lines.push('');
    lines.push(paint(`No findings (${clean.length}):`, 'green'));
    for (const fn of clean) {
      lines.push(`  ${paint('ok', 'green')}  ${s(fn.name)}${paint(` ${functionFacts(fn)}`, 'dim')}  ${behaviourSummary(fn)}`);
      lines.push(...coverageLines(fn, paint).map((l) => `    ${l.trimStart()}`));
    }
  }
  if (report.functions.length === 0) {
    lines.push('');
    lines.push('No functions in this account and region.');
  }

  if (report.warnings.length > 0) {
    lines.push('');
    lines.push(paint(`Warnings (${report.warnings.length}):`, 'yellow'));
    for (const warning of report.warnings) lines.push(`  ! ${s(warning)}`);
  }

  lines.push('');
  const total = report.functions.reduce((n, fn) => n + fn.findings.length, 0);
  lines.push(paint(summaryLine(report), 'bold', total > 0 ? 'red' : 'green'));
  return `${lines.join('\n')}\n`;
}

type Paint = (text: string, ...styles: Style[]) => string;

/** `(nodejs20.x, in VPC)`: what a reader needs to place the function. */
function functionFacts(fn: FunctionReport): string {
  const facts = [fn.runtime ? sanitizeForTerminal(fn.runtime) : undefined, fn.inVpc ? 'in VPC' : 'no VPC'].filter(Boolean);
  return `(${facts.join(', ')})`;
}

/** `peers 5 (1 new, 1 gone); API calls 7 (2 new; 2 by Lambda service)`. */
function behaviourSummary(fn: FunctionReport): string {
  const peers = diffCounts(peerDiffRows(fn));
  const api = apiDiffRows(fn);
  const own = diffCounts(api.filter((r) => r.caller === 'function'));
  const service = api.length - own.total;
  const changes = (c: { added: number; removed: number }) => {
    const parts = [
      c.added > 0 ? `${formatCount(c.added)} ${STATUS_LABEL.added}` : '',
      c.removed > 0 ? `${formatCount(c.removed)} ${STATUS_LABEL.removed}` : '',
    ].filter(Boolean);
    return parts.length > 0 ? ` (${parts.join(', ')})` : '';
  };
  const peerPart = fn.inVpc || peers.total > 0 ? `peers ${formatCount(peers.total)}${changes(peers)}` : 'peers n/a (no VPC)';
  const servicePart = service > 0 ? `; ${formatCount(service)} by Lambda service` : '';
  return `${peerPart}; API calls ${formatCount(own.total)}${changes(own)}${servicePart}`;
}

function coverageLines(fn: FunctionReport, paint: Paint): string[] {
  return incompleteCoverage(fn).map(
    ({ source, value }) => `  ${paint('coverage', 'yellow')} ${source}: ${coverageText(sanitizeForTerminal(value))}`,
  );
}

function renderFinding(f: Finding, paint: Paint): string[] {
  const severity = knownSeverity(f.severity);
  const label = sanitizeForTerminal(f.severity).toUpperCase().padEnd(6);
  const head =
    `  ${paint(label, ...(severity ? SEVERITY_STYLE[severity] : []))} ` +
    `${sanitizeForTerminal(f.kind)}  ${paint(sanitizeForTerminal(f.subject), 'bold')}  ${sanitizeForTerminal(f.title)}`;
  const out = [head];
  const indent = `  ${DETAIL_INDENT}`;
  for (const line of sanitizeForTerminal(f.detail, { allowNewline: true }).split('\n')) {
    if (line.trim() !== '') out.push(`${indent}${line}`);
  }
  const deploy = deploySentence(f.evidence);
  if (deploy) out.push(`${indent}${sanitizeForTerminal(deploy)}`);
  const evidence = evidenceLine(f);
  if (evidence) out.push(paint(`${indent}${evidence}`, 'dim'));
  if (f.recommendation) out.push(`${indent}-> ${sanitizeForTerminal(f.recommendation)}`);
  return out;
}

/** First and last seen, the numeric evidence, and for shared evidence who else it could be. */
function evidenceLine(f: Finding): string {
  const e = evidenceEssentials(f.evidence);
  const s = (v: unknown) => sanitizeForTerminal(v);
  const parts: string[] = [];
  if (e.firstSeen) parts.push(`first seen ${s(formatTime(e.firstSeen))}`);
  if (e.lastSeen && e.lastSeen !== e.firstSeen) parts.push(`last seen ${s(formatTime(e.lastSeen))}`);
  for (const [key, value] of e.counts) parts.push(`${s(evidenceLabel(key))} ${formatEvidenceNumber(key, value)}`);
  if (e.eventIds > 0) parts.push(plural(e.eventIds, 'event'));
  if (e.samples > 0) parts.push(plural(e.samples, 'sample'));
  if (f.attribution && f.attribution !== 'exact') {
    const who = e.candidates.length > 0 ? ` among ${e.candidates.map(s).join(', ')}` : '';
    parts.push(`${s(f.attribution)} attribution${who}`);
  }
  return parts.join('; ');
}
