// Source features in a real extension host: the demo's functions mapped to the workspace fixture's SAM project, "Open function source", diagnostics, the handler CodeLens, revealing a call, and a remembered choice.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { FunctionReport, ScanReport } from '../../../src/core/model';
import type { LambdaBehaviorApi } from '../../../src/extension/activate';
import { demoConnection } from '../../../src/extension/session';

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';

/** Each demo function's handler, relative to the SAM project (the workspace fixture, or the bundled demo source). */
const HANDLERS: Record<string, string> = {
  OrderApi: 'order-api/index.ts',
  OrderWorker: 'order-worker/index.ts',
  PaymentsWebhook: 'payments-webhook/index.mjs',
  ThumbnailMaker: 'thumbnail-maker/index.mjs',
  ImageResizer: 'image-resizer/index.js',
  RDSQueryLogger: 'rds-query-logger/app.py',
  NightlyReport: 'nightly-report/app.py',
};

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** 0-based line of the first line containing `needle`, and the column where it starts. */
function find(document: vscode.TextDocument, needle: string): vscode.Position {
  for (let i = 0; i < document.lineCount; i++) {
    const c = document.lineAt(i).text.indexOf(needle);
    if (c >= 0) return new vscode.Position(i, c);
  }
  throw new Error(`${needle} is not in ${document.uri.path}`);
}

describe('Lambda Behavior source features', () => {
  let extension: vscode.Extension<LambdaBehaviorApi>;
  let api: LambdaBehaviorApi;
  let report: ScanReport;
  /** The SAM project the functions map to: the workspace fixture when a folder is open, else the bundled demo source. */
  let project: vscode.Uri;
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri;
  const fn = (name: string): FunctionReport => report.functions.find((f) => f.name === name)!;
  const handlerUri = (name: string) => vscode.Uri.joinPath(project, HANDLERS[name]);

  before(async () => {
    extension = vscode.extensions.getExtension<LambdaBehaviorApi>(EXTENSION_ID)!;
    api = await extension.activate();
    await api.restored;
    api.session.connect(demoConnection(extension.extensionUri));
    const scanned = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll');
    assert.ok(scanned, 'the demo scans');
    report = scanned;
    project = workspace ?? vscode.Uri.joinPath(extension.extensionUri, 'media', 'demo-source');
    await api.source.diagnostics.settled;
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace
      .getConfiguration('lambdaBehavior')
      .update('diagnostics.minimumSeverity', undefined, vscode.ConfigurationTarget.Global);
    // The suites and the UI pass after this one meet an open account without a scan, and nothing saved.
    api.session.connect(demoConnection(extension.extensionUri));
    await api.store.load();
    fs.rmSync(api.store.file, { force: true });
  });

  it('maps every demo function to its handler through the SAM template and the logical-id tags', async () => {
    for (const f of report.functions) {
      const source = await api.source.resolver.resolve(f, { interactive: false });
      assert.ok(source, `${f.name} is mapped`);
      assert.equal(source.uri.toString(), handlerUri(f.name).toString(), `${f.name}'s handler`);
      assert.equal(
        source.origin,
        workspace ? 'workspace' : 'demo',
        workspace ? 'from the workspace fixture' : 'from the bundled demo source',
      );
      assert.equal(source.match?.via, 'logical-id');
      assert.equal(source.match?.declared.logicalIds[0], f.tags?.['aws:cloudformation:logical-id']);
      assert.ok(source.definition, `${f.name}'s handler definition is found`);
    }
  });

  it('"Open function source" opens OrderApi\'s TypeScript handler with the cursor on the handler', async () => {
    const editor = await vscode.commands.executeCommand<vscode.TextEditor | undefined>('lambdaBehavior.openSource', 'OrderApi');
    assert.ok(editor, 'an editor is returned');
    assert.equal(editor.document.uri.toString(), handlerUri('OrderApi').toString(), 'index.ts, not a build output');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), editor.document.uri.toString());
    const at = find(editor.document, 'export const handler');
    assert.deepEqual(editor.selection.active, at.translate(0, 'export const '.length), 'the cursor is on `handler`');
    assert.ok(editor.selection.isEmpty);

    // From a tree node (the context menu) and for a Python function.
    const python = await vscode.commands.executeCommand<vscode.TextEditor>('lambdaBehavior.openSource', {
      kind: 'function',
      fn: fn('RDSQueryLogger'),
    });
    assert.equal(python.document.uri.toString(), handlerUri('RDSQueryLogger').toString());
    assert.deepEqual(python.selection.active, find(python.document, 'def lambda_handler').translate(0, 'def '.length));
  });

  it("puts diagnostics exactly on the lines that make OrderApi's anomalous calls, with the finding's severity and text", async () => {
    const document = await vscode.workspace.openTextDocument(handlerUri('OrderApi'));
    await waitFor("OrderApi's diagnostics", () => ours(document.uri).length > 0);
    const diagnostics = ours(document.uri);
    const byKind = (kind: string) => diagnostics.filter((d) => d.code === kind);

    const listBuckets = find(document, 'new ListBucketsCommand(');
    const [newCall] = byKind('new-api-call');
    assert.equal(byKind('new-api-call').length, 1, 'one diagnostic for ListBuckets: on the call, not on its import');
    assert.equal(newCall.range.start.line, listBuckets.line);
    assert.equal(document.getText(newCall.range), 'ListBucketsCommand');
    assert.equal(newCall.severity, vscode.DiagnosticSeverity.Error, 'a high finding is an error');
    const listFinding = fn('OrderApi').findings.find((f) => f.kind === 'new-api-call')!;
    assert.ok(newCall.message.includes(listFinding.title), newCall.message);
    assert.ok(newCall.message.includes(listFinding.recommendation!), 'and says what to do');
    assert.ok(!newCall.message.includes('\n'));

    const createUser = find(document, 'new CreateUserCommand(');
    const [denied] = byKind('access-denied');
    assert.equal(byKind('access-denied').length, 1);
    assert.equal(denied.range.start.line, createUser.line);
    assert.equal(document.getText(denied.range), 'CreateUserCommand');
    assert.equal(denied.severity, vscode.DiagnosticSeverity.Error);
    assert.match(denied.message, /Denied iam:CreateUser/);

    // The metric finding has no line of its own: it goes on the handler definition.
    const [spike] = byKind('invocation-spike');
    assert.equal(spike.range.start.line, find(document, 'export const handler').line);
    assert.equal(diagnostics.length, 3, 'nothing else: no diagnostic on the imports or the baseline calls');

    // A medium network finding of another function lands on its handler as a warning.
    const thumbnail = await vscode.workspace.openTextDocument(handlerUri('ThumbnailMaker'));
    const [rejected] = ours(thumbnail.uri);
    assert.equal(rejected.code, 'rejected-traffic');
    assert.equal(rejected.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(rejected.range.start.line, find(thumbnail, 'export const handler').line);
  });

  it('follows lambdaBehavior.diagnostics.minimumSeverity', async () => {
    const config = vscode.workspace.getConfiguration('lambdaBehavior');
    const thumbnail = handlerUri('ThumbnailMaker');
    await config.update('diagnostics.minimumSeverity', 'high', vscode.ConfigurationTarget.Global);
    await waitFor('the medium finding to go', () => ours(thumbnail).length === 0);
    await api.source.diagnostics.settled;
    assert.equal(ours(handlerUri('OrderApi')).length, 3, 'the high ones stay');
    await config.update('diagnostics.minimumSeverity', undefined, vscode.ConfigurationTarget.Global);
    await waitFor('the medium finding to come back', () => ours(thumbnail).length === 1);
  });

  it('shows the alert count in a CodeLens on the handler, which opens the behaviour diff', async () => {
    const document = await vscode.workspace.openTextDocument(handlerUri('OrderApi'));
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri)).filter(
      (l) => l.command?.command === 'lambdaBehavior.showDiff',
    );
    assert.equal(lenses.length, 1);
    assert.equal(lenses[0].command?.title, '$(bell) 3 Lambda Behavior alerts');
    assert.deepEqual(lenses[0].command?.arguments, ['OrderApi']);
    assert.equal(lenses[0].range.start.line, find(document, 'export const handler').line);

    const quiet = await vscode.workspace.openTextDocument(handlerUri('NightlyReport'));
    const [none] = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', quiet.uri)).filter(
      (l) => l.command?.command === 'lambdaBehavior.showDiff',
    );
    assert.equal(none?.command?.title, '$(bell) no new behaviour');
    assert.equal(none.range.start.line, find(quiet, 'def lambda_handler').line);
  });

  it('"Reveal the code that makes this call" selects the CreateUser line, from the webview\'s arguments or a tree node', async () => {
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>(
      'lambdaBehavior.revealApiCall',
      'OrderApi',
      'iam.amazonaws.com',
      'CreateUser',
    );
    assert.equal(editor.document.uri.toString(), handlerUri('OrderApi').toString());
    const at = find(editor.document, 'CreateUserCommand({');
    assert.equal(editor.selection.start.line, at.line);
    assert.equal(editor.document.getText(editor.selection), 'CreateUserCommand');

    const finding = fn('OrderApi').findings.find((f) => f.kind === 'new-api-call')!;
    const fromNode = await vscode.commands.executeCommand<vscode.TextEditor>('lambdaBehavior.revealApiCall', {
      kind: 'finding',
      fn: fn('OrderApi'),
      finding,
    });
    assert.equal(fromNode.document.getText(fromNode.selection), 'ListBucketsCommand');
    assert.equal(fromNode.selection.start.line, find(fromNode.document, 'new ListBucketsCommand(').line);

    // Python (boto3): the call's snake_case method on the secretsmanager client.
    const row = { eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue' };
    const python = await vscode.commands.executeCommand<vscode.TextEditor>('lambdaBehavior.revealApiCall', {
      kind: 'apiCall',
      fn: fn('RDSQueryLogger'),
      row,
    });
    assert.equal(python.document.getText(python.selection), 'get_secret_value');
  });

  it("asks once where an unmapped function's source is, never in the background, and uses the remembered choice without asking", async () => {
    const resolver = api.source.resolver;
    const chosen = handlerUri('NightlyReport');
    const unmapped: FunctionReport = {
      ...fn('NightlyReport'),
      name: 'LegacyReport',
      arn: 'arn:aws:lambda:us-east-1:699970083663:function:LegacyReport',
      tags: {},
    };
    const asked: string[] = [];
    const original = resolver.prompt;
    resolver.prompt = { pick: async (f) => (asked.push(f.name), chosen) };
    try {
      await resolver.forget(unmapped);
      // Same handler string as NightlyReport, so no unique handler either: nothing maps it.
      assert.equal(await resolver.resolve(unmapped, { interactive: false }), undefined, 'a background resolve does not ask');
      assert.deepEqual(asked, []);

      const first = await vscode.commands.executeCommand<vscode.TextEditor>('lambdaBehavior.openSource', {
        kind: 'function',
        fn: unmapped,
      });
      assert.deepEqual(asked, ['LegacyReport'], 'asked once');
      assert.equal(first.document.uri.toString(), chosen.toString());
      assert.equal(resolver.rememberedUri(unmapped)?.toString(), chosen.toString(), 'remembered in the workspace state');

      const second = await vscode.commands.executeCommand<vscode.TextEditor>('lambdaBehavior.openSource', {
        kind: 'function',
        fn: unmapped,
      });
      assert.deepEqual(asked, ['LegacyReport'], 'not asked again');
      assert.equal(second.document.uri.toString(), chosen.toString());
      assert.equal(second.selection.active.line, find(second.document, 'def lambda_handler').line);
      assert.equal((await resolver.resolve(unmapped, { interactive: false }))?.origin, 'remembered');
    } finally {
      resolver.prompt = original;
      await resolver.forget(unmapped);
    }
  });

  it('clears the diagnostics and CodeLenses when there is no report', async () => {
    api.session.connect(demoConnection(extension.extensionUri));
    await api.source.diagnostics.settled;
    assert.equal(ours(handlerUri('OrderApi')).length, 0);
    assert.equal(api.source.diagnostics.handlersIn(handlerUri('OrderApi')).length, 0);
  });
  /** This extension's diagnostics on a file: the language servers of the workspace (TypeScript, Python) may add their own. */
  function ours(uri: vscode.Uri): vscode.Diagnostic[] {
    return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Lambda Behavior');
  }
});
