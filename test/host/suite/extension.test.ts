// The extension in a real extension host: its commands, and the tree that "Open demo account" then "Scan all functions" fills.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { FunctionReport, ScanReport } from '../../../src/core/model';
import { scan } from '../../../src/core/scan';
import { abortSignalOf } from '../../../src/extension/cancellation';
import { ReportStore } from '../../../src/extension/report-store';
import { plain } from '../../../src/extension/tree/tooltips';
import { demoConnection, Session } from '../../../src/extension/session';
import type { LambdaBehaviorApi } from '../../../src/extension/activate';
import type {
  ConnectionNode,
  FindingNode,
  FunctionNode,
  FunctionsTreeNode,
  GroupNode,
  PeerNode,
} from '../../../src/extension/tree/functions-tree';
import { openScenario } from '../../../src/replay/scenario';

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';
const COMMANDS = [
  'openDemo',
  'chooseProfile',
  'chooseRegion',
  'openScenario',
  'scanAll',
  'scanFunction',
  'refresh',
  'showDiff',
  'openSource',
  'accept',
  'exportReport',
  'revealApiCall',
].map((c) => `lambdaBehavior.${c}`);

interface DemoLabels {
  functions: string[];
  anomalies: { function: string; kinds: string[]; subject: string; optional?: boolean; alsoAcceptableFunctions: string[] }[];
}

describe('Lambda Behavior in the extension host', () => {
  let extension: vscode.Extension<LambdaBehaviorApi>;
  let api: LambdaBehaviorApi;
  let labels: DemoLabels;
  /** The same demo scanned by the engine directly, outside the extension: what the tree must show. */
  let expected: ScanReport;

  before(async () => {
    const found = vscode.extensions.getExtension<LambdaBehaviorApi>(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is loaded in the extension host`);
    extension = found;
    api = await extension.activate();
    labels = JSON.parse(fs.readFileSync(path.join(extension.extensionPath, 'media', 'demo.labels.json'), 'utf8'));
    expected = await scan(openScenario(path.join(extension.extensionPath, 'media', 'demo'), 'demo account'));
  });

  // The UI check that follows in the same code-server profile opens a new window and must meet a first run:
  // a scan saved here would be restored there and hide the welcome view.
  after(async () => {
    await api.store.load(); // waits for pending saves
    fs.rmSync(api.store.file, { force: true });
  });

  it('runs in a real VS Code', () => {
    assert.match(vscode.version, /^1\.\d+\.\d+/);
    assert.equal(extension.isActive, true);
  });

  it('registers its commands, and contributes them in the "Lambda Behavior" category', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of COMMANDS) assert.ok(registered.has(id), `${id} is registered`);
    const contributed = extension.packageJSON.contributes.commands as { command: string; category: string }[];
    for (const id of COMMANDS) {
      assert.equal(contributed.find((c) => c.command === id)?.category, 'Lambda Behavior', `${id} is contributed`);
    }
  });

  it('shows an empty tree until an account is open and scanned', async () => {
    await api.restored;
    assert.equal(api.session.report, undefined, 'a fresh profile has no saved scan');
    assert.deepEqual(api.functionsTree.getChildren(), []);
    await vscode.commands.executeCommand('lambdaBehavior.openDemo');
    assert.equal(api.session.connection?.label, 'demo account');
    assert.deepEqual(api.functionsTree.getChildren(), [], 'opening the account does not scan it');
  });

  it('"Scan all functions" fills the tree with the demo\'s functions and their finding counts', async () => {
    const report = await vscode.commands.executeCommand<ScanReport | undefined>('lambdaBehavior.scanAll');
    assert.ok(report, 'the scan command returns the report');
    const nodes = functionNodes();
    assert.deepEqual(nodes.map((n) => n.fn.name).sort(), [...labels.functions].sort(), 'one node per function of the demo');
    assert.equal(nodes.length, 7);

    for (const node of nodes) {
      const want = expectedFunction(node.fn.name);
      const item = api.functionsTree.getTreeItem(node);
      const n = want.findings.length;
      assert.equal(item.description, n === 0 ? 'no findings' : n === 1 ? '1 finding' : `${n} findings`, `${node.fn.name}'s description`);
      assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed, 'every demo function has something to show');
      const alerts = groupChildren(node, 'alerts');
      assert.ok(alerts.every((c) => c.kind === 'finding'));
      assert.deepEqual(
        alerts.map((c) => api.functionsTree.getTreeItem(c).label).sort(),
        want.findings.map((f) => f.title).sort(),
        `${node.fn.name}'s findings are under its Alerts`,
      );
    }
  });

  it('shows the open account as the root, with its account id, region and finding count', () => {
    const [root] = api.functionsTree.getChildren() as ConnectionNode[];
    const item = api.functionsTree.getTreeItem(root);
    assert.equal(item.label, 'demo account');
    assert.equal(item.description, `${expected.accountId} · ${expected.region} · 7 findings`);
    assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
    assert.equal(item.contextValue, 'connection;kind=demo');
    const tooltip = tooltipOf(root);
    assert.match(tooltip, /Detection window/);
    assert.ok(tooltip.includes(expected.accountId));
    assert.equal(api.functionsTree.getParent(functionNode('OrderApi'))?.kind, 'connection');
  });

  it("groups each function's children into Alerts, Network peers, AWS API calls and ENIs, leaving out empty groups", () => {
    const groups = (name: string) => api.functionsTree.getChildren(functionNode(name)).map((g) => api.functionsTree.getTreeItem(g).label);
    assert.deepEqual(groups('RDSQueryLogger'), ['Alerts', 'Network peers', 'AWS API calls', 'ENIs']);
    assert.deepEqual(groups('OrderApi'), ['Alerts', 'AWS API calls'], 'no peers or ENIs outside a VPC');
    assert.deepEqual(groups('NightlyReport'), ['Network peers', 'AWS API calls', 'ENIs'], 'no Alerts without findings');

    const peers = groupChildren(functionNode('RDSQueryLogger'), 'peers').map((n) => api.functionsTree.getTreeItem(n));
    const ssh = peers.find((p) => String(p.description).includes(':22/tcp'));
    assert.ok(ssh, 'the new SSH peer is among the Network peers');
    assert.match(String(ssh.description), /^10\.\d+\.\d+\.\d+:22\/tcp · new$/);
    assert.match(String(ssh.label), /EC2 instance/);
    assert.match(String(ssh.contextValue), /^peer;new\b/);
    assert.ok(ssh.iconPath instanceof vscode.ThemeIcon && ssh.iconPath.id === 'diff-added');
    const rds = peers.find((p) => String(p.description).includes(':5432/tcp'));
    assert.ok(rds && !String(rds.description).includes('new') && rds.contextValue === 'peer', 'a baseline peer is not marked');

    const calls = groupChildren(functionNode('OrderApi'), 'apiCalls').map((n) => api.functionsTree.getTreeItem(n));
    const createUser = calls.find((c) => c.label === 'iam:CreateUser');
    assert.ok(createUser, 'iam:CreateUser, without .amazonaws.com');
    assert.match(String(createUser.description), /^3 · 3 denied · new$/);
    assert.match(String(createUser.contextValue), /^apiCall;new;denied;severity=high$/);
    const decrypt = calls.find((c) => c.label === 'kms:Decrypt');
    assert.match(String(decrypt?.description), /by the Lambda service/);
    assert.match(String(decrypt?.contextValue), /;lambdaService/);
    assert.equal(calls.at(-1), decrypt, "the Lambda service's calls come after the function's own");

    const enis = groupChildren(functionNode('ThumbnailMaker'), 'enis').map((n) => api.functionsTree.getTreeItem(n));
    assert.equal(enis.length, 2);
    for (const eni of enis) {
      assert.match(String(eni.label), /^eni-/);
      assert.match(String(eni.description), /^10\.\d+\.\d+\.\d+ · shared with ImageResizer$/);
      assert.equal(eni.contextValue, 'eni;shared');
    }
  });

  it('hovers peers and API calls with their baseline history, and findings with the evidence and what to do', () => {
    const rdsNode = groupChildren(functionNode('RDSQueryLogger'), 'peers').find(
      (n) => n.kind === 'peer' && n.row.port === 5432,
    ) as PeerNode;
    const rds = tooltipOf(rdsNode);
    const baseline = rdsNode.row.baseline!;
    assert.ok(rds.includes(`${baseline.flows.toLocaleString('en-US')} flows`), `the baseline's flow count is in ${rds}`);
    assert.match(rds, /Baseline/);
    assert.match(rds, /first seen 20\d\d-/);
    const ssh = tooltipOf(groupChildren(functionNode('RDSQueryLogger'), 'peers').find((n) => n.kind === 'peer' && n.row.port === 22)!);
    assert.match(ssh, /never seen/);

    const call = tooltipOf(
      groupChildren(functionNode('OrderApi'), 'apiCalls').find((n) => n.kind === 'apiCall' && n.row.eventName === 'GetSecretValue')!,
    );
    assert.match(call, /Baseline/);
    assert.match(call, /\d+ calls/);

    const finding = groupChildren(functionNode('OrderApi'), 'alerts').find(
      (n) => n.kind === 'finding' && n.finding.kind === 'access-denied',
    ) as FindingNode;
    const text = tooltipOf(finding);
    for (const part of ['What changed', 'Since', 'Evidence', 'What to do']) assert.ok(text.includes(part), `${part} in ${text}`);
  });

  it('shows every anomaly the demo was generated with, and nothing on the functions without one', () => {
    const byName = new Map(functionNodes().map((n) => [n.fn.name, n.fn]));
    const flagged = new Set<string>();
    for (const anomaly of labels.anomalies.filter((a) => !a.optional)) {
      const candidates = [anomaly.function, ...anomaly.alsoAcceptableFunctions];
      candidates.forEach((name) => flagged.add(name));
      const hit = candidates.some((name) =>
        byName.get(name)?.findings.some((f) => anomaly.kinds.includes(f.kind) && f.subject === anomaly.subject),
      );
      assert.ok(hit, `${anomaly.function}: ${anomaly.kinds.join('/')} ${anomaly.subject} is in the tree`);
    }
    for (const [name, fn] of byName) {
      if (!flagged.has(name)) assert.equal(fn.findings.length, 0, `${name} has no labelled anomaly and no finding`);
    }
    const counts = Object.fromEntries([...byName].map(([name, fn]) => [name, fn.findings.length]));
    assert.deepEqual(counts, {
      RDSQueryLogger: 1,
      ThumbnailMaker: 1,
      ImageResizer: 1,
      NightlyReport: 0,
      PaymentsWebhook: 1,
      OrderApi: 3,
      OrderWorker: 0,
    });
  });

  it('gives tree items stable ids and structured context values, and keeps them across scans', async () => {
    const ids = () => allNodes().map((n) => api.functionsTree.getTreeItem(n).id);
    const before = ids();
    assert.equal(new Set(before).size, before.length, 'ids are unique');
    await vscode.commands.executeCommand('lambdaBehavior.scanAll');
    assert.deepEqual(ids(), before);
    const orderApi = functionNodes().find((n) => n.fn.name === 'OrderApi')!;
    assert.equal(api.functionsTree.getTreeItem(orderApi).contextValue, 'function;findings=3');
    assert.equal(api.functionsTree.getTreeItem(functionNode('ThumbnailMaker')).contextValue, 'function;findings=1;vpc;sharedEni');
    const finding = groupChildren(orderApi, 'alerts')[0];
    assert.match(String(api.functionsTree.getTreeItem(finding).contextValue), /^finding;kind=[a-z-]+;severity=high$/);
  });

  it('builds finding tooltips as untrusted markdown, with AWS-derived text escaped', () => {
    const node = allNodes().find((n): n is FindingNode => n.kind === 'finding' && n.finding.kind === 'new-peer')!;
    const item = api.functionsTree.resolveTreeItem(api.functionsTree.getTreeItem(node), node);
    assert.ok(item.tooltip instanceof vscode.MarkdownString);
    assert.ok(!item.tooltip.isTrusted && !item.tooltip.supportHtml);
    // Titles hold addresses and names with dots and parentheses, which appendText escapes.
    const escaped = new vscode.MarkdownString().appendText(node.finding.title).value;
    assert.ok(item.tooltip.value.includes(escaped), 'the title is there, escaped');
    assert.ok(item.tooltip.value.includes(new vscode.MarkdownString().appendText(node.finding.detail).value), 'and the detail');
  });

  it('shows a hostile string from a report as text in the tooltip: no live link, no HTML', async () => {
    const hostile = '[x](command:workbench.action.quit) <img src=x onerror=alert(1)>';
    const original = api.session.report;
    assert.ok(original);
    const copy = structuredClone(original);
    const fn = copy.functions.find((f) => f.name === 'RDSQueryLogger')!;
    fn.peers[0].resource = hostile;
    api.session.setReport(copy);
    try {
      const node = groupChildren(functionNode('RDSQueryLogger'), 'peers').find((n) => n.kind === 'peer' && n.row.resource === hostile)!;
      assert.ok(node, 'the peer with the hostile name is in the tree');
      assert.equal(api.functionsTree.getTreeItem(node).label, hostile, 'a tree label is plain text');
      const value = rawTooltipOf(node);
      assert.ok(value.includes(plain(hostile)), `escaped in ${value}`);
      assert.ok(!value.includes('<img'), 'no raw markup: the hover would drop it instead of showing it');
      assert.ok(!value.includes('](command:'), 'no live command link');
      assert.ok(!value.includes('[x]'), 'no link text');
    } finally {
      api.session.setReport(original);
      await api.session.saved;
    }
  });

  it('keeps the last scan in global storage, written whole', async () => {
    await vscode.commands.executeCommand('lambdaBehavior.scanAll');
    await api.session.saved;
    assert.ok(fs.existsSync(api.store.file), `${api.store.file} exists after a scan`);
    const saved = JSON.parse(fs.readFileSync(api.store.file, 'utf8'));
    assert.equal(saved.version, 1);
    assert.deepEqual(saved.connection, { kind: 'demo', label: 'demo account', spec: { kind: 'demo' } });
    assert.equal(saved.scannedAt, api.session.scannedAt);
    assert.deepEqual(saved.report.functions.map((f: FunctionReport) => f.name).sort(), [...labels.functions].sort());
    const leftovers = fs.readdirSync(path.dirname(api.store.file)).filter((f) => f.endsWith('.tmp'));
    assert.deepEqual(leftovers, [], 'no temp file is left behind');
  });

  it('restores the saved scan in a new window, and ignores it once an account is open there', async () => {
    const saved = await api.store.load();
    assert.ok(saved, 'the store reads back what it wrote');
    assert.deepEqual(saved.report, JSON.parse(JSON.stringify(api.session.report)));

    const fresh = new Session();
    const demo = demoConnection(extension.extensionUri);
    try {
      assert.equal(fresh.restore(saved, demo), true);
      assert.equal(fresh.connection?.label, 'demo account');
      assert.equal(fresh.scannedAt, saved.scannedAt);
      assert.equal(fresh.report?.functions.length, 7);
      assert.equal(fresh.restore(saved, demo), false, 'a window that already shows a scan keeps it');
    } finally {
      fresh.dispose();
    }
  });

  it('moves a corrupt saved scan aside with a warning, without failing', async () => {
    const dir = path.dirname(api.store.file);
    const corruptFiles = () => fs.readdirSync(dir).filter((f) => f.startsWith(`${path.basename(api.store.file)}.corrupt-`));
    const before = corruptFiles().length;
    // The extension's file, read by a store whose clock stands still: two corrupt files in the same millisecond must both be kept.
    const warnings: string[] = [];
    const log = { warn: (m: string) => warnings.push(m), info: () => undefined } as unknown as vscode.LogOutputChannel;
    const store = new ReportStore(vscode.Uri.file(dir), log, () => Date.UTC(2026, 10, 28, 12, 4));
    assert.equal(store.file, api.store.file);
    for (const garbage of [
      '{"version": 1, "report": ',
      '{"version": 1, "connection": {"kind": "demo", "label": "x"}, "scannedAt": 1, "report": {"formatVersion": 1, "functions": [{}]}}',
    ]) {
      fs.writeFileSync(api.store.file, garbage);
      assert.equal(await store.load(), undefined, `${garbage} is not a saved scan`);
      assert.equal(fs.existsSync(api.store.file), false, 'the corrupt file is no longer where a scan is read from');
    }
    assert.equal(corruptFiles().length, before + 2, 'both are kept aside as .corrupt-<timestamp>');
    assert.equal(warnings.length, 2, 'one warning each');
    assert.match(warnings[0], /\[store\] last-scan\.json is unreadable .*corrupt-2026-11-28T12-04-00-000Z/);
    assert.ok(fs.readFileSync(path.join(dir, corruptFiles().sort()[0]), 'utf8').startsWith('{"version": 1'), 'with their content');

    // The tree still shows the scan in memory, and the next save writes a good file again.
    assert.equal(functionNodes().length, 7);
    api.session.setReport(api.session.report!);
    await api.session.saved;
    assert.ok(await api.store.load());
  });

  it('shows the account and the last scan time in the status bar; a click chooses the AWS profile', async () => {
    await vscode.commands.executeCommand('lambdaBehavior.scanAll');
    const { statusBar, session } = api;
    const at = new Date(session.scannedAt!);
    const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
    assert.equal(statusBar.text, `Lambda Behavior: demo account · ${hhmm}`);
    assert.equal(typeof statusBar.tooltip, 'string');
    assert.ok(
      String(statusBar.tooltip).includes(`Account ${session.report!.accountId} · region ${session.report!.region}`),
      String(statusBar.tooltip),
    );
    const command = statusBar.command;
    assert.equal(typeof command === 'string' ? command : command?.command, 'lambdaBehavior.chooseProfile');
  });

  it('turns a cancelled token into an aborted signal for the engine', () => {
    const source = new vscode.CancellationTokenSource();
    const abort = abortSignalOf(source.token);
    assert.equal(abort.signal.aborted, false);
    source.cancel();
    assert.equal(abort.signal.aborted, true);
    assert.ok(abort.signal.reason instanceof vscode.CancellationError);
    abort.dispose();
    source.dispose();
  });

  // Nodes come from the extension's bundle, not this one: told apart by `kind`, never by class.
  function functionNodes(): FunctionNode[] {
    const roots = api.functionsTree.getChildren();
    assert.equal(roots.length, 1, 'one root: the open account');
    assert.equal(roots[0].kind, 'connection');
    const functions = api.functionsTree.getChildren(roots[0]);
    assert.ok(functions.every((n) => n.kind === 'function'));
    return functions as FunctionNode[];
  }

  function allNodes(): FunctionsTreeNode[] {
    const walk = (n: FunctionsTreeNode): FunctionsTreeNode[] => [n, ...api.functionsTree.getChildren(n).flatMap(walk)];
    return api.functionsTree.getChildren().flatMap(walk);
  }

  function functionNode(name: string): FunctionNode {
    const node = functionNodes().find((n) => n.fn.name === name);
    assert.ok(node, `${name} is in the tree`);
    return node;
  }

  function groupChildren(fn: FunctionNode, group: GroupNode['group']): FunctionsTreeNode[] {
    const node = api.functionsTree.getChildren(fn).find((g): g is GroupNode => g.kind === 'group' && g.group === group);
    return node ? api.functionsTree.getChildren(node) : [];
  }

  function tooltipOf(node: FunctionsTreeNode): string {
    return readable(rawTooltipOf(node));
  }

  /** The tooltip's markdown source, as VS Code would render it. */
  function rawTooltipOf(node: FunctionsTreeNode): string {
    const { tooltip } = api.functionsTree.resolveTreeItem(api.functionsTree.getTreeItem(node), node);
    assert.ok(tooltip instanceof vscode.MarkdownString, 'a MarkdownString tooltip');
    assert.ok(!tooltip.isTrusted && !tooltip.supportHtml, 'untrusted, without HTML');
    return tooltip.value;
  }

  /** appendText's escapes undone (backslashes, &nbsp;), so that assertions can read the text. */
  function readable(markdown: string): string {
    return markdown.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
  }

  function expectedFunction(name: string): FunctionReport {
    const fn = expected.functions.find((f) => f.name === name);
    assert.ok(fn, `${name} is in the engine's own scan`);
    return fn;
  }
});
