// Hover text for the tree's nodes. Every AWS-derived string goes in through plain(): it never renders as markdown, HTML, a link or a command.
import * as vscode from 'vscode';
import type { ApiCallReport, EniReport, Finding, FunctionReport, PeerReport, ScanReads, ScanReport, TrafficCounts } from '../../core/model';
import { formatBytes, formatCount, formatTime, plural } from '../../report/format';
import { deploySentence, displayText, readsLine, statusMeaning } from '../../report/presentation';
import type { ApiDiffRow, PeerDiffRow } from '../../report/view-model';
import type { AccountCacheState } from './nodes';
import { evidenceEntries } from '../../report/view-model';

const MAX_LIST = 5;
/** A hover is not a document: longer strings (a 100 KB error message) are cut, saying how much is left out. */
const MAX_TEXT = 1000;

/** Untrusted, no HTML: links in it cannot run commands and tags stay text. */
function markdown(): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Any string as markdown that renders as exactly that text. appendText alone is not enough: it leaves `<`, `>` and
 * `&` alone, so the renderer drops what looks like HTML (the user never sees `<img src=x onerror=...>`), and a bare
 * `https://…`, `www.…` or `a@b.c` becomes a live link (GFM autolinks). So `& < >` become entities first, and so do
 * the characters that start an autolink (`:` before `//`, the dot of `www.`, `@`), which appendText then keeps;
 * line breaks are spaces, control characters go, bidi controls are shown as `[U+202E]`, and a long string is cut,
 * saying how much is left.
 */
export function plain(value: unknown, max = MAX_TEXT): string {
  // Line breaks become spaces: inside `**…**` or `*label*: …` a paragraph break would leave the asterisks showing.
  let text = displayText(String(value ?? '').replace(/\r\n?|[\n\u2028\u2029]/g, ' '));
  if (text.length > max) {
    const cut = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
    text = `${text.slice(0, cut)}… (${(text.length - cut).toLocaleString('en-US')} more characters)`;
  }
  const inert = text
    .replace(/[&<>]/g, (ch) => ENTITIES[ch] ?? ch)
    .replace(/:(?=\/\/)/g, '&colon;')
    .replace(/\b(www)\./gi, '$1&period;')
    .replace(/@/g, '&commat;');
  return new vscode.MarkdownString().appendText(inert).value;
}

function heading(md: vscode.MarkdownString, text: string): void {
  md.appendMarkdown(`**${plain(text)}**\n\n`);
}

function line(md: vscode.MarkdownString, label: string, text: string): void {
  md.appendMarkdown(`*${plain(label)}*: ${plain(text)}\n\n`);
}

function seen(firstSeen: string | undefined, lastSeen: string | undefined): string {
  if (!firstSeen && !lastSeen) return 'no time recorded';
  return `first seen ${formatTime(firstSeen) || '-'}, last seen ${formatTime(lastSeen) || '-'}`;
}

function traffic(c: Pick<TrafficCounts, 'flows' | 'bytes' | 'packets' | 'rejected'>): string {
  return `${plural(c.flows, 'flow')}, ${formatBytes(c.bytes)}, ${plural(c.packets, 'packet')}, ${formatCount(c.rejected)} rejected`;
}

/** The last scan's cost line (`Read from AWS: …; the cache answered N of M hours`), the one every report shows; undefined when the scan recorded none. */
export function costLine(reads: ScanReads | undefined): string | undefined {
  return reads ? readsLine(reads) : undefined;
}

/** The cache node's label: what the cache holds for the account, or that it is off. */
export function cacheLabel(state: AccountCacheState): string {
  if (!state.enabled) return 'Cache off';
  const { summary } = state;
  return summary && summary.hours > 0
    ? `Cache: ${plural(summary.hours, 'hour')} · ${formatBytes(summary.bytes)}`
    : 'Cache: nothing held yet';
}

function cacheHeld(state: AccountCacheState): string {
  const { summary } = state;
  const held =
    summary && summary.hours > 0
      ? `${plural(summary.hours, 'hour')} held, ${formatBytes(summary.bytes)}${summary.oldest !== undefined && summary.newest !== undefined ? `, ${formatTime(new Date(summary.oldest).toISOString())} to ${formatTime(new Date(summary.newest).toISOString())}` : ''}`
      : 'nothing held yet';
  return state.enabled ? held : `off (lambdaBehavior.cache.enabled); ${held}`;
}

/** What the last scan of a live account read, what was estimated before it, and what the cache holds, where. */
export function cacheTooltip(report: ScanReport, state: AccountCacheState): vscode.MarkdownString {
  const md = markdown();
  heading(md, 'What the last scan read from AWS');
  md.appendMarkdown(`${plain(costLine(report.reads) ?? 'Not recorded for this scan.')}

`);
  for (const estimate of (report.reads?.estimates ?? []).slice(0, MAX_LIST)) line(md, 'Estimated before it ran', estimate);
  line(md, 'Cache of closed hours', cacheHeld(state));
  line(md, 'Kept in', state.location);
  md.appendMarkdown(
    `${plain('A closed hour is read from AWS once; each scan reads again only the hours the cache lacks and the last two (records arrive late). "Lambda Behavior: Clear Cache of Closed Hours" empties it.')}

`,
  );
  return md;
}

export function connectionTooltip(
  label: string,
  report: ScanReport,
  scannedAt: number | undefined,
  cache?: AccountCacheState,
): vscode.MarkdownString {
  const md = markdown();
  heading(md, label);
  line(md, 'Account', `${report.accountId} · ${report.region}`);
  if (scannedAt !== undefined) line(md, 'Scanned', new Date(scannedAt).toLocaleString());
  line(md, 'Baseline', `${formatTime(report.window.baselineStart)} to ${formatTime(report.window.baselineEnd)}`);
  line(md, 'Detection window', `${formatTime(report.window.detectStart)} to ${formatTime(report.window.detectEnd)}`);
  if (report.stats)
    line(md, 'Read', `${plural(report.stats.flowRecords, 'flow record')}, ${plural(report.stats.trailEvents, 'CloudTrail event')}`);
  const reads = costLine(report.reads);
  if (reads)
    md.appendMarkdown(`${plain(reads)}

`);
  if (cache) line(md, 'Cache of closed hours', `${cacheHeld(cache)} in ${cache.location}`);
  for (const warning of report.warnings.slice(0, MAX_LIST)) line(md, 'Warning', warning);
  if (report.warnings.length > MAX_LIST)
    md.appendMarkdown(plain(`and ${report.warnings.length - MAX_LIST} more warnings (see the Lambda Behavior log)`));
  return md;
}

export function functionTooltip(fn: FunctionReport): vscode.MarkdownString {
  const md = markdown();
  heading(md, fn.name);
  if (fn.runtime) line(md, 'Runtime', fn.runtime);
  if (fn.handler) line(md, 'Handler', fn.handler);
  const sharers = [...new Set(fn.enis.flatMap((e) => e.sharedWith))];
  line(md, 'Network', fn.inVpc ? `in a VPC, ${plural(fn.enis.length, 'ENI')}` : 'not in a VPC');
  if (sharers.length > 0) line(md, 'ENIs shared with', sharers.join(', '));
  line(md, 'Findings', formatCount(fn.findings.length));
  return md;
}

/** The node of functions without findings, or one of its ranges by name (`range` set). */
export function functionListTooltip(functions: readonly FunctionReport[], range: number | undefined): vscode.MarkdownString {
  const md = markdown();
  const count = plural(functions.length, 'function');
  if (range === undefined) {
    md.appendMarkdown(`${count} without findings in this scan, by name. *Scan Function* (the Command Palette) finds any of them by name.`);
  } else {
    md.appendMarkdown(
      `${count} without findings, from ${plain(functions[0]?.name ?? '')} to ${plain(functions[functions.length - 1]?.name ?? '')}.`,
    );
  }
  return md;
}

/** What changed, since when, the evidence, what to do. */
export function findingTooltip(finding: Finding): vscode.MarkdownString {
  const md = markdown();
  heading(md, finding.title);
  md.appendMarkdown(`${plain(`${finding.severity} · ${finding.kind} · ${finding.attribution} attribution`)}\n\n`);
  line(md, 'What changed', finding.detail);
  const since = finding.evidence?.firstSeen;
  if (typeof since === 'string') line(md, 'Since', formatTime(since));
  // Its own line: "this began right after your deploy" (or with no change before it) is what the developer reads first.
  const deploy = deploySentence(finding.evidence);
  if (deploy) md.appendMarkdown(`${plain(deploy)}\n\n`);
  const entries = evidenceEntries(finding.evidence).filter((e) => e.key !== 'firstSeen');
  if (entries.length > 0) {
    md.appendMarkdown('*Evidence*\n\n');
    for (const { key, label, value } of entries) {
      const shown = Array.isArray(value) ? value.slice(0, MAX_LIST) : [value];
      const more = Array.isArray(value) && value.length > MAX_LIST ? ` (and ${value.length - MAX_LIST} more)` : '';
      const text = key === 'lastSeen' ? formatTime(String(value)) : shown.map(String).join(', ');
      md.appendMarkdown(`- ${plain(`${label}: ${text}`)}${plain(more)}\n`);
    }
    md.appendMarkdown('\n');
  }
  if (finding.recommendation) line(md, 'What to do', finding.recommendation);
  return md;
}

export function peerTooltip(row: PeerDiffRow, peer: PeerReport | undefined): vscode.MarkdownString {
  const md = markdown();
  heading(md, row.resource);
  md.appendMarkdown(`${plain(row.subject)}\n\n`);
  line(md, 'Status', statusMeaning('peer', row.status));
  if (row.addresses) {
    const samples = row.addresses.samples.slice(0, MAX_LIST);
    line(md, 'Addresses', `${row.addresses.text}${samples.length > 0 ? `, for example ${samples.join(', ')}` : ''}`);
  }
  line(md, 'Now', `${traffic(row.now)}; ${seen(peer?.firstSeen, peer?.lastSeen)}`);
  if (row.baseline) line(md, 'Baseline', `${traffic(row.baseline)}; ${seen(peer?.baseline?.firstSeen, peer?.baseline?.lastSeen)}`);
  else line(md, 'Baseline', 'never seen');
  if (row.attribution) line(md, 'Attribution', row.attribution);
  if (row.candidates.length > 0) line(md, 'Could also be', row.candidates.join(', '));
  return md;
}

export function apiCallTooltip(row: ApiDiffRow, call: ApiCallReport | undefined): vscode.MarkdownString {
  const md = markdown();
  heading(md, row.subject);
  if (row.caller === 'lambda-service')
    md.appendMarkdown(`${plain("Made by the Lambda service with the function's role, not by its code.")}\n\n`);
  line(md, 'Status', statusMeaning('apiCall', row.status));
  line(
    md,
    'Now',
    `${plural(row.count, 'call')}, ${plural(row.errors, 'error')}, ${formatCount(row.denied)} denied; ${seen(call?.firstSeen, call?.lastSeen)}`,
  );
  if (row.baseline)
    line(
      md,
      'Baseline',
      `${plural(row.baseline.count, 'call')}, ${plural(row.baseline.errors, 'error')}; ${seen(call?.baseline?.firstSeen, call?.baseline?.lastSeen)}`,
    );
  else line(md, 'Baseline', 'never called');
  if (row.sampleEventIds.length > 0) line(md, 'Event ids', row.sampleEventIds.slice(0, MAX_LIST).join(', '));
  return md;
}

export function eniTooltip(eni: EniReport): vscode.MarkdownString {
  const md = markdown();
  heading(md, eni.id);
  line(md, 'Private IP', eni.privateIp);
  if (eni.subnetId) line(md, 'Subnet', eni.subnetId);
  if (eni.securityGroupIds?.length) line(md, 'Security groups', eni.securityGroupIds.join(', '));
  line(md, 'Shared with', eni.sharedWith.length > 0 ? eni.sharedWith.join(', ') : 'no other function');
  return md;
}
