// The Lambda Behavior tree: the open account, one node per scanned function (many without findings wait under one collapsed node, in ranges by name), under each Alerts, Network peers, AWS API calls and ENIs, from the session's last report; under a live account, what its last scan read and what the cache holds.
import * as vscode from 'vscode';
import { peerReportSubject, type FunctionReport, type ScanReport, type Severity } from '../../core/model';
import { formatCount, plural } from '../../report/format';
import { callName, changeLabel } from '../../report/presentation';
import { apiDiffRows, highestSeverity, orderFunctions, peerDiffRows, sortFindings } from '../../report/view-model';
import type { DiffStatus } from '../../report/view-model';
import type { Session } from '../session';
import { oneLine } from '../source/text';
import type { AccountCacheState, FunctionsTreeNode, GroupKind } from './nodes';
import { ApiCallNode, CacheNode, ConnectionNode, EniNode, FindingNode, FunctionListNode, FunctionNode, GroupNode, PeerNode } from './nodes';
import {
  apiCallTooltip,
  cacheLabel,
  cacheTooltip,
  connectionTooltip,
  costLine,
  eniTooltip,
  findingTooltip,
  functionListTooltip,
  functionTooltip,
  peerTooltip,
} from './tooltips';

export type { FunctionsTreeNode } from './nodes';
export type {
  AccountCacheState,
  ApiCallNode,
  CacheNode,
  ConnectionNode,
  EniNode,
  FindingNode,
  FunctionListNode,
  FunctionNode,
  GroupNode,
  PeerNode,
} from './nodes';

/** What the tree asks of the cache of closed hours (src/extension/cache.ts answers): its state per account, and when it changed. */
export interface TreeCacheState {
  readonly onDidChange: vscode.Event<void>;
  stateOf(account: { accountId: string; region: string }): AccountCacheState;
}

const GROUPS: ReadonlyArray<{ kind: GroupKind; label: string; icon: string; size: (fn: FunctionReport) => number }> = [
  { kind: 'alerts', label: 'Alerts', icon: 'bell', size: (fn) => fn.findings.length },
  { kind: 'peers', label: 'Network peers', icon: 'radio-tower', size: (fn) => fn.peers.length },
  { kind: 'apiCalls', label: 'AWS API calls', icon: 'cloud', size: (fn) => fn.apiCalls.length },
  { kind: 'enis', label: 'ENIs', icon: 'plug', size: (fn) => fn.enis.length },
];

/** Characters of a label or description: the rest is in the tooltip. */
const LABEL_MAX = 160;

/**
 * More functions without findings than this, and they wait under one collapsed node after the functions with findings:
 * those are what a scan is read for, and the workbench fetches a level's items in one request on the extension host's
 * thread (1,000 functions: tens of ms on every refresh, every other extension waiting).
 */
const CLEAN_GROUP_MIN = 50;
/** Within that node, ranges of this many functions by name (as the debugger pages a long array): no level holds more. */
const RANGE_SIZE = 100;

/** A report's function nodes as the tree shows them, built once: the account's level, and where each function sits. */
interface FunctionLayout {
  top: FunctionsTreeNode[];
  /** The clean functions' node and its ranges, when they are grouped. */
  group?: FunctionListNode;
  ranges: FunctionListNode[];
  /** The node a function is listed under, when not the account, by ARN (as its node's id: a node may hold an earlier report's object). */
  parents: Map<string, FunctionListNode>;
}

export class FunctionsTreeProvider implements vscode.TreeDataProvider<FunctionsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<FunctionsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  /** Reports are replaced, never edited (see Session): their function nodes are kept while the report lives. */
  private readonly layouts = new WeakMap<ScanReport, FunctionLayout>();

  constructor(
    private readonly session: Session,
    private readonly cache?: TreeCacheState,
  ) {
    this.subscriptions = [session.onDidChange(() => this.changed.fire(undefined))];
    if (cache) this.subscriptions.push(cache.onDidChange(() => this.changed.fire(undefined)));
  }

  getChildren(node?: FunctionsTreeNode): FunctionsTreeNode[] {
    if (!node) {
      // No root without functions: the view's welcome content says why (not scanned, nothing found, expired credentials).
      const { report, connection } = this.session;
      return report && connection && report.functions.length > 0
        ? [new ConnectionNode(connection.label, report, this.session.scannedAt)]
        : [];
    }
    // The same orders as the terminal, HTML and diff views: the report view model decides them.
    if (node.kind === 'connection') {
      const { top } = this.layout(node.report);
      const cache = this.cacheNode(node.report);
      return cache ? [...top, cache] : [...top];
    }
    if (node.kind === 'cache') return [];
    if (node.kind === 'functions') {
      const { ranges } = this.layout(node.report);
      return node.range === undefined && ranges.length > 0 ? ranges : node.functions.map((fn) => new FunctionNode(fn));
    }
    const { fn } = node;
    switch (node.kind) {
      case 'function':
        return GROUPS.filter((g) => g.size(fn) > 0).map((g) => new GroupNode(fn, g.kind));
      case 'group':
        switch (node.group) {
          case 'alerts':
            return sortFindings(fn.findings).map((f) => new FindingNode(fn, f));
          case 'peers':
            return peerDiffRows(fn).map((row) => new PeerNode(fn, row));
          case 'apiCalls':
            return apiDiffRows(fn).map((row) => new ApiCallNode(fn, row));
          case 'enis':
            return fn.enis.map((eni) => new EniNode(fn, eni));
        }
        return [];
      default:
        return [];
    }
  }

  getParent(node: FunctionsTreeNode): FunctionsTreeNode | undefined {
    switch (node.kind) {
      case 'connection':
        return undefined;
      case 'cache':
        return this.getChildren()[0];
      case 'functions':
        return (node.range !== undefined && this.layout(node.report).group) || this.getChildren()[0];
      case 'function': {
        const { report } = this.session;
        return (report && this.layout(report).parents.get(node.fn.arn)) || this.getChildren()[0];
      }
      case 'group':
        return new FunctionNode(node.fn);
      case 'finding':
        return new GroupNode(node.fn, 'alerts');
      case 'peer':
        return new GroupNode(node.fn, 'peers');
      case 'apiCall':
        return new GroupNode(node.fn, 'apiCalls');
      case 'eni':
        return new GroupNode(node.fn, 'enis');
    }
  }

  getTreeItem(node: FunctionsTreeNode): vscode.TreeItem {
    const item = this.createItem(node);
    item.id = node.id;
    // Labels carry AWS-derived text (resource names from ENI descriptions): one line, controls dropped, bidi
    // controls shown, capped, so that a 100 KB description or a right-to-left override cannot garble the tree.
    if (typeof item.label === 'string') item.label = oneLine(item.label, LABEL_MAX);
    if (typeof item.description === 'string') item.description = oneLine(item.description, LABEL_MAX);
    return item;
  }

  private createItem(node: FunctionsTreeNode): vscode.TreeItem {
    const { Collapsed, Expanded, None } = vscode.TreeItemCollapsibleState;
    switch (node.kind) {
      case 'connection': {
        const { report } = node;
        const item = new vscode.TreeItem(node.label, Expanded);
        const findings = report.functions.reduce((n, f) => n + f.findings.length, 0);
        item.description = `${report.accountId} · ${report.region} · ${findingCount(findings)}`;
        item.iconPath = new vscode.ThemeIcon(this.session.credentialsProblem ? 'warning' : 'cloud');
        item.contextValue = `connection;kind=${this.session.connection?.kind ?? 'unknown'}`;
        return item;
      }
      case 'cache': {
        // The short part is the label, so that it shows at any width; the cost line follows it (in full in the tooltip).
        const item = new vscode.TreeItem(cacheLabel(node.state), None);
        item.description = costLine(node.report.reads) ?? 'Read from AWS: not recorded for this scan';
        item.iconPath = new vscode.ThemeIcon('database');
        item.contextValue = `cache;${node.state.enabled ? 'enabled' : 'disabled'}${node.state.summary ? '' : ';empty'}`;
        return item;
      }
      case 'functions': {
        const { functions } = node;
        const whole = node.range === undefined;
        const span = `${functions[0]?.name ?? ''} … ${functions[functions.length - 1]?.name ?? ''}`;
        const item = new vscode.TreeItem(whole ? 'No findings' : span, Collapsed);
        item.description = plural(functions.length, 'function');
        item.iconPath = whole ? severityIcon(undefined) : new vscode.ThemeIcon('symbol-namespace');
        item.contextValue = `functions;${whole ? 'clean' : 'range'}`;
        return item;
      }
      case 'function': {
        const { fn } = node;
        const count = fn.findings.length;
        const hasGroups = GROUPS.some((g) => g.size(fn) > 0);
        const item = new vscode.TreeItem(fn.name, hasGroups ? Collapsed : None);
        const shared = fn.enis.some((e) => e.sharedWith.length > 0);
        // The VPC and shared-ENI hints live in the tooltip and contextValue: the description stays the count the UI test and readers scan for.
        item.description = findingCount(count);
        item.iconPath = severityIcon(highestSeverity(fn.findings));
        // Structured, so that menus can match `viewItem =~ /^function;/` or `/findings=0/`.
        item.contextValue = `function;findings=${count}${fn.inVpc ? ';vpc' : ''}${shared ? ';sharedEni' : ''}`;
        return item;
      }
      case 'group': {
        const group = GROUPS.find((g) => g.kind === node.group)!;
        const item = new vscode.TreeItem(group.label, node.group === 'alerts' ? Expanded : Collapsed);
        item.description = formatCount(group.size(node.fn));
        item.iconPath = new vscode.ThemeIcon(group.icon);
        item.contextValue = `group;kind=${node.group}`;
        return item;
      }
      case 'finding': {
        const { finding } = node;
        const item = new vscode.TreeItem(finding.title, None);
        item.description = finding.severity;
        item.iconPath = severityIcon(finding.severity);
        item.contextValue = `finding;kind=${finding.kind};severity=${finding.severity}`;
        // A click shows the finding in context: the behaviour diff beside the function's source.
        item.command = { command: 'lambdaBehavior.showDiff', title: 'Show Behaviour Diff', arguments: [node.fn.name] };
        return item;
      }
      case 'peer': {
        const { row } = node;
        const item = new vscode.TreeItem(row.resource, None);
        const word = changeLabel(row.status);
        // A service peer is its service with how many addresses it used, not one of them.
        const parts = [row.subject, ...(row.addresses ? [row.addresses.text] : []), ...(word ? [word] : [])];
        item.description = parts.join(' · ');
        item.iconPath = statusIcon(row.status, 'radio-tower');
        item.contextValue = `peer${word ? `;${word}` : ''}${row.severity ? `;severity=${row.severity}` : ''}`;
        return item;
      }
      case 'apiCall': {
        const { row } = node;
        const item = new vscode.TreeItem(callName(row.eventSource, row.eventName), None);
        const word = changeLabel(row.status);
        const parts = [formatCount(row.count)];
        if (row.denied > 0) parts.push(`${formatCount(row.denied)} denied`);
        if (word) parts.push(word);
        if (row.caller === 'lambda-service') parts.push('by the Lambda service');
        item.description = parts.join(' · ');
        item.iconPath =
          row.denied > 0
            ? new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('problemsErrorIcon.foreground'))
            : statusIcon(row.status, 'cloud');
        const flags = [word, row.denied > 0 ? 'denied' : undefined, row.caller === 'lambda-service' ? 'lambdaService' : undefined];
        item.contextValue = ['apiCall', ...flags.filter(Boolean), ...(row.severity ? [`severity=${row.severity}`] : [])].join(';');
        // An anomalous call of the function's own code: a click reveals the line that makes it.
        if (row.severity && row.caller === 'function') {
          item.command = {
            command: 'lambdaBehavior.revealApiCall',
            title: 'Reveal the Code That Makes This Call',
            arguments: [node.fn.name, row.eventSource, row.eventName],
          };
        }
        return item;
      }
      case 'eni': {
        const { eni } = node;
        const item = new vscode.TreeItem(eni.id, None);
        item.description = eni.sharedWith.length > 0 ? `${eni.privateIp} · shared with ${eni.sharedWith.join(', ')}` : eni.privateIp;
        item.iconPath = new vscode.ThemeIcon('plug');
        item.contextValue = eni.sharedWith.length > 0 ? 'eni;shared' : 'eni';
        return item;
      }
    }
  }

  /** Tooltips are built only when hovered (see tooltips.ts for the escaping). */
  resolveTreeItem(item: vscode.TreeItem, node: FunctionsTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'connection':
        item.tooltip = connectionTooltip(node.label, node.report, node.scannedAt, this.liveCacheState(node.report));
        break;
      case 'cache':
        item.tooltip = cacheTooltip(node.report, node.state);
        break;
      case 'function':
        item.tooltip = functionTooltip(node.fn);
        break;
      case 'functions':
        item.tooltip = functionListTooltip(node.functions, node.range);
        break;
      case 'finding':
        item.tooltip = findingTooltip(node.finding);
        break;
      case 'peer': {
        const { row } = node;
        const peer = node.fn.peers.find((p) => peerReportSubject(p) === row.subject);
        item.tooltip = peerTooltip(row, peer);
        break;
      }
      case 'apiCall': {
        const { row } = node;
        const call = node.fn.apiCalls.find(
          (c) =>
            c.eventSource === row.eventSource &&
            c.eventName === row.eventName &&
            (c.caller === 'lambda-service') === (row.caller === 'lambda-service'),
        );
        item.tooltip = apiCallTooltip(row, call);
        break;
      }
      case 'eni':
        item.tooltip = eniTooltip(node.eni);
        break;
      case 'group':
        break;
    }
    return item;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }

  /** The cache's state for the report's account when the open account is live (a recording reads no AWS and has no cache). */
  private liveCacheState(report: ScanReport): AccountCacheState | undefined {
    return this.cache && this.session.connection?.kind === 'profile' ? this.cache.stateOf(report) : undefined;
  }

  /**
   * The report's function nodes in the views' order, built once per report: the workbench asks again on every refresh
   * (the cache's state, the credentials), and sorting 1,000 functions costs the extension host's thread milliseconds each time.
   */
  private layout(report: ScanReport): FunctionLayout {
    let layout = this.layouts.get(report);
    if (!layout) {
      layout = functionLayout(report);
      this.layouts.set(report, layout);
    }
    return layout;
  }

  private cacheNode(report: ScanReport): CacheNode | undefined {
    const state = this.liveCacheState(report);
    return state ? new CacheNode(report, state) : undefined;
  }
}

/** The functions with findings first, each on the account's level; the clean ones after them, grouped when many. */
function functionLayout(report: ScanReport): FunctionLayout {
  const ordered = orderFunctions(report.functions);
  const parents = new Map<string, FunctionListNode>();
  const firstClean = ordered.findIndex((fn) => fn.findings.length === 0);
  const clean = firstClean < 0 ? [] : ordered.slice(firstClean);
  if (clean.length <= CLEAN_GROUP_MIN) return { top: ordered.map((fn) => new FunctionNode(fn)), ranges: [], parents };
  const group = new FunctionListNode(report, clean);
  const ranges: FunctionListNode[] = [];
  if (clean.length > RANGE_SIZE)
    for (let i = 0; i * RANGE_SIZE < clean.length; i++)
      ranges.push(new FunctionListNode(report, clean.slice(i * RANGE_SIZE, (i + 1) * RANGE_SIZE), i));
  for (const list of ranges.length > 0 ? ranges : [group]) for (const fn of list.functions) parents.set(fn.arn, list);
  return { top: [...ordered.slice(0, firstClean).map((fn) => new FunctionNode(fn)), group], group, ranges, parents };
}

function findingCount(n: number): string {
  return n === 0 ? 'no findings' : plural(n, 'finding');
}

function statusIcon(status: DiffStatus, unchanged: string): vscode.ThemeIcon {
  if (status === 'added') return new vscode.ThemeIcon('diff-added', new vscode.ThemeColor('gitDecoration.addedResourceForeground'));
  if (status === 'removed') return new vscode.ThemeIcon('diff-removed', new vscode.ThemeColor('gitDecoration.deletedResourceForeground'));
  return new vscode.ThemeIcon(unchanged);
}

function severityIcon(severity: Severity | undefined): vscode.ThemeIcon {
  switch (severity) {
    case 'high':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    case 'medium':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    case 'low':
      return new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground'));
    default:
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
  }
}
