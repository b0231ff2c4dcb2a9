// Deploy context in a real extension host: a finding's tooltip says which change it started after (AWS strings as text), and "Accept as normal" on it offers to accept every finding of the function that followed the same change.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { DeployEvidence, FunctionReport, ScanReport } from '../../../src/core/model';
import type { LambdaBehaviorApi } from '../../../src/extension/activate';
import { demoConnection } from '../../../src/extension/session';
import type { FindingNode, FunctionsTreeNode } from '../../../src/extension/tree/nodes';

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';
const FN = 'OrderApi';

/** A deploy pipeline whose role session name is hostile: the tooltip must show it as text. */
const DEPLOY: DeployEvidence = {
  eventName: 'UpdateFunctionCode20150331v2',
  time: '2026-11-22T04:07:25Z',
  by: 'deploy-pipeline/<img src=x onerror=alert(1)> https://evil.example',
  eventId: 'fd079996-a7d1-483b-a71b-c7a3e8855d0c',
  minutesBefore: 101,
};

describe('Deploy context: tooltip and Accept as normal', () => {
  let extension: vscode.Extension<LambdaBehaviorApi>;
  let api: LambdaBehaviorApi;
  let acceptFile: string;
  let saved: string | undefined;
  let scanned: ScanReport;

  before(async () => {
    extension = vscode.extensions.getExtension<LambdaBehaviorApi>(EXTENSION_ID)!;
    api = await extension.activate();
    await api.restored;
    await vscode.commands.executeCommand('lambdaBehavior.openDemo');
    const report = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll');
    assert.ok(report, 'the demo scans');
    scanned = structuredClone(report);
    const folder = vscode.workspace.workspaceFolders?.[0];
    acceptFile =
      folder && vscode.workspace.isTrusted
        ? path.join(folder.uri.fsPath, '.lambda-behavior', 'baseline.json')
        : path.join(path.dirname(api.store.file), 'accepted-behaviour.json');
    saved = fs.existsSync(acceptFile) ? fs.readFileSync(acceptFile, 'utf8') : undefined;
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    if (saved === undefined) fs.rmSync(acceptFile, { force: true });
    else fs.writeFileSync(acceptFile, saved);
    // The suites after this one meet a first run: the demo open, nothing scanned or saved.
    api.session.connect(demoConnection(extension.extensionUri));
    await api.session.saved;
    await api.store.load(); // waits for pending saves
    fs.rmSync(api.store.file, { force: true });
  });

  /** The demo's report with OrderApi's first two findings after one deploy and its third after none. */
  function withDeploy(): FunctionReport {
    const report = structuredClone(scanned);
    const fn = report.functions.find((f) => f.name === FN)!;
    assert.ok(fn.findings.length >= 3, `${FN} has three findings in the demo`);
    fn.findings.forEach((f, i) => {
      if (i < 2) f.evidence.deploy = { ...DEPLOY, minutesBefore: DEPLOY.minutesBefore + i * 60 };
      else f.evidence.noChangeBefore = true;
    });
    if (saved === undefined) fs.rmSync(acceptFile, { force: true });
    else fs.writeFileSync(acceptFile, saved);
    api.session.setReport(report);
    return api.session.report!.functions.find((f) => f.name === FN)!;
  }

  function findingNodes(): FindingNode[] {
    const [root] = api.functionsTree.getChildren();
    const fnNode = api.functionsTree.getChildren(root).find((n) => n.kind === 'function' && n.fn.name === FN)!;
    const alerts = api.functionsTree.getChildren(fnNode).find((n) => n.kind === 'group' && n.group === 'alerts')!;
    return api.functionsTree.getChildren(alerts).filter((n): n is FindingNode => n.kind === 'finding');
  }

  function tooltip(node: FunctionsTreeNode): string {
    const { tooltip: md } = api.functionsTree.resolveTreeItem(api.functionsTree.getTreeItem(node), node);
    assert.ok(md instanceof vscode.MarkdownString && !md.isTrusted && !md.supportHtml, 'an untrusted MarkdownString without HTML');
    // As read on screen: appendText's backslash escapes and non-breaking spaces undone.
    return md.value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
  }

  /** Runs the command and answers the quick pick it shows with `answer`, a command that does nothing until the pick is up (so it is retried). */
  async function acceptAnswering(answer: string, ...args: unknown[]): Promise<boolean | undefined> {
    let settled = false;
    const result = Promise.resolve(vscode.commands.executeCommand<boolean>('lambdaBehavior.accept', ...args)).finally(
      () => (settled = true),
    );
    const deadline = Date.now() + 15_000;
    while (!settled && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      if (!settled) await vscode.commands.executeCommand(answer);
    }
    assert.ok(settled, 'the command settled once the pick was answered');
    return result;
  }

  function accepted(): string[] {
    if (!fs.existsSync(acceptFile)) return [];
    const doc = JSON.parse(fs.readFileSync(acceptFile, 'utf8')) as { accepted: Array<{ function: string; subject: string }> };
    return doc.accepted
      .filter((e) => e.function === FN)
      .map((e) => e.subject)
      .sort();
  }

  it('the tooltip says which change the finding started after, on its own line, the caller as text', () => {
    const fn = withDeploy();
    const nodes = findingNodes();
    const first = nodes.find((n) => n.finding.id === fn.findings[0]!.id)!;
    const text = tooltip(first);
    const lineOf = text
      .split('\n\n')
      .find((p) => p.startsWith('Started 1 h 41 min after UpdateFunctionCode20150331v2 at 2026-11-22 04:07Z by deploy-pipeline/'));
    assert.ok(lineOf, `a paragraph of its own in:\n${text}`);
    assert.ok(!text.includes('<img') && !text.includes('https://'), 'no tag and no autolink from the caller');
    assert.ok(!text.includes('"eventName"'), 'not the raw evidence object');
    const third = nodes.find((n) => n.finding.id === fn.findings[2]!.id)!;
    assert.ok(tooltip(third).split('\n\n').includes('No code or configuration change in the 24 h before'));
  });

  it('dismissing the question accepts nothing', async () => {
    const fn = withDeploy();
    const before = accepted();
    const ok = await acceptAnswering('workbench.action.closeQuickOpen', FN, fn.findings[0]!.id);
    assert.equal(ok, false);
    assert.deepEqual(accepted(), before);
    assert.equal(
      api.session.report!.functions.find((f) => f.name === FN)!.findings.length,
      fn.findings.length,
      'every finding still shown',
    );
  });

  it('"all that started after this change" accepts both findings that followed the deploy, not the one with no change before it', async () => {
    const fn = withDeploy();
    const [a, b, c] = fn.findings;
    // The first item of the pick is "all"; the tree node is what the context menu passes.
    const node = findingNodes().find((n) => n.finding.id === b!.id)!;
    const ok = await acceptAnswering('workbench.action.acceptSelectedQuickOpenItem', node);
    assert.equal(ok, true);
    assert.deepEqual(accepted(), [a!.subject, b!.subject].sort());
    assert.deepEqual(
      api.session.report!.functions.find((f) => f.name === FN)!.findings.map((f) => f.id),
      [c!.id],
    );
  });

  it('the scope argument answers without asking: this finding only, or all after the same change', async () => {
    let fn = withDeploy();
    assert.equal(await vscode.commands.executeCommand<boolean>('lambdaBehavior.accept', FN, fn.findings[1]!.id, 'finding'), true);
    assert.deepEqual(accepted(), [fn.findings[1]!.subject]);
    assert.equal(api.session.report!.functions.find((f) => f.name === FN)!.findings.length, fn.findings.length - 1);

    fn = withDeploy();
    assert.equal(await vscode.commands.executeCommand<boolean>('lambdaBehavior.accept', FN, fn.findings[0]!.id, 'deploy'), true);
    assert.deepEqual(accepted(), [fn.findings[0]!.subject, fn.findings[1]!.subject].sort());
  });
});
