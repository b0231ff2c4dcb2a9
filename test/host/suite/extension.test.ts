// The extension in a real extension host: its commands, and the tree that "Open demo account" then "Scan all functions" fills.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { FunctionReport, ScanReport } from '../../../src/core/model';
import { scan } from '../../../src/core/scan';
import { abortSignalOf } from '../../../src/extension/cancellation';
import type { LambdaBehaviorApi } from '../../../src/extension/activate';
import type { FindingNode, FunctionNode, FunctionsTreeNode } from '../../../src/extension/tree/functions-tree';
import { openScenario } from '../../../src/replay/scenario';

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';
const COMMANDS = ['lambdaBehavior.openDemo', 'lambdaBehavior.scanAll'];

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
      assert.equal(item.collapsibleState, n ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      const children = api.functionsTree.getChildren(node);
      assert.ok(children.every((c) => c.kind === 'finding'));
      assert.deepEqual(
        children.map((c) => api.functionsTree.getTreeItem(c).label).sort(),
        want.findings.map((f) => f.title).sort(),
        `${node.fn.name}'s findings are its children`,
      );
    }
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
    assert.deepEqual(counts, { RDSQueryLogger: 1, ThumbnailMaker: 1, ImageResizer: 1, NightlyReport: 0, PaymentsWebhook: 1, OrderApi: 3, OrderWorker: 0 });
  });

  it('gives tree items stable ids and structured context values, and keeps them across scans', async () => {
    const ids = () => allNodes().map((n) => api.functionsTree.getTreeItem(n).id);
    const before = ids();
    assert.equal(new Set(before).size, before.length, 'ids are unique');
    await vscode.commands.executeCommand('lambdaBehavior.scanAll');
    assert.deepEqual(ids(), before);
    const orderApi = functionNodes().find((n) => n.fn.name === 'OrderApi')!;
    assert.equal(api.functionsTree.getTreeItem(orderApi).contextValue, 'function;findings=3');
    const finding = api.functionsTree.getChildren(orderApi)[0];
    assert.match(String(api.functionsTree.getTreeItem(finding).contextValue), /^finding;severity=high;kind=/);
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
    assert.ok(roots.every((n) => n.kind === 'function'));
    return roots as FunctionNode[];
  }

  function allNodes(): FunctionsTreeNode[] {
    return functionNodes().flatMap((n) => [n, ...api.functionsTree.getChildren(n)]);
  }

  function expectedFunction(name: string): FunctionReport {
    const fn = expected.functions.find((f) => f.name === name);
    assert.ok(fn, `${name} is in the engine's own scan`);
    return fn;
  }
});
