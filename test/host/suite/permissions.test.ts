// Least privilege in a real extension host: the command's template edit for the demo's OrdersRole (short tags kept, valid YAML, the proposal's statements), the code action on the policy's lines, and the proposal as a document where the template writes no policy.
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { ScanReport } from '../../../src/core/model';
import type { LambdaBehaviorApi } from '../../../src/extension/activate';
import type { Proposal } from '../../../src/extension/permissions/propose';
import { demoConnection } from '../../../src/extension/session';
import { isValidYamlTemplate, parseYamlTemplate } from '../../../src/source/cfn-yaml';

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';
const COMMAND = 'lambdaBehavior.proposeLeastPrivilege';

/** Every short tag (`!Ref X`, `!Sub ...`, `!GetAtt X.Arn`) in the text, in order. */
function shortTags(text: string): string[] {
  return text.match(/![A-Za-z]+ [^\s,\]}]+/g) ?? [];
}

describe('Lambda Behavior: Propose Least Privilege', () => {
  let api: LambdaBehaviorApi;
  let template: vscode.Uri;

  before(async () => {
    const extension = vscode.extensions.getExtension<LambdaBehaviorApi>(EXTENSION_ID)!;
    api = await extension.activate();
    await api.restored;
    api.session.connect(demoConnection(extension.extensionUri));
    const scanned = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll');
    assert.ok(scanned, 'the demo scans');
    const project = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.joinPath(extension.extensionUri, 'media', 'demo-source');
    template = vscode.Uri.joinPath(project, 'template.yaml');
  });

  it("OrderApi: an edit of OrdersRole's statements in the template, the proposal's, short tags kept, still valid YAML", async () => {
    const proposal = await vscode.commands.executeCommand<Proposal | undefined>(COMMAND, 'OrderApi', { apply: false });
    assert.ok(proposal?.edit, 'an edit');
    assert.deepEqual(proposal.permissions.roleFunctions, ['OrderApi', 'OrderWorker']);
    const entries = proposal.edit.entries();
    assert.equal(entries.length, 1);
    const [uri, edits] = entries[0]!;
    assert.equal(uri.toString(), template.toString());
    assert.equal(edits.length, 1);
    const document = await vscode.workspace.openTextDocument(uri);
    const before = document.getText();
    const start = document.offsetAt(edits[0]!.range.start);
    const end = document.offsetAt(edits[0]!.range.end);
    // Only OrdersRole's statements are replaced.
    assert.match(document.lineAt(edits[0]!.range.start.line).text, /^\s+Statement:/);
    const after = before.slice(0, start) + edits[0]!.newText + before.slice(end);
    assert.ok(isValidYamlTemplate(after));
    assert.deepEqual(shortTags(after), shortTags(before));
    const doc = parseYamlTemplate(after) as {
      Resources: { OrdersRole: { Properties: { Policies: Array<{ PolicyDocument: { Statement: unknown } }> } } };
    };
    assert.deepEqual(
      doc.Resources.OrdersRole.Properties.Policies[0]!.PolicyDocument.Statement,
      proposal.permissions.proposal.document.Statement,
    );
    // Nothing was written: the edit waits for the preview.
    assert.equal(document.getText(), before);
    assert.equal(document.isDirty, false);
  });

  it("a refactor.rewrite code action on the policy's lines runs the command for the functions on the role", async () => {
    const document = await vscode.workspace.openTextDocument(template);
    const line = document
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('Action: [ssm:GetParameter'));
    assert.ok(line > 0);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      template,
      new vscode.Range(line, 0, line, 0),
      vscode.CodeActionKind.RefactorRewrite.value,
    );
    const ours = actions.filter((a) => a.command?.command === COMMAND);
    assert.equal(ours.length, 1, actions.map((a) => a.title).join(' | '));
    assert.match(ours[0]!.title, /tighten the statements of OrdersRole's policy orders to what OrderApi, OrderWorker used/);
    assert.deepEqual(ours[0]!.command!.arguments, ['OrderApi']);
    // Far from the policy, no action.
    const none = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      template,
      new vscode.Range(1, 0, 1, 0),
      vscode.CodeActionKind.RefactorRewrite.value,
    );
    assert.equal(none.filter((a) => a.command?.command === COMMAND).length, 0);
  });

  it('PaymentsWebhook, whose template writes no policy: the proposal opens as a JSON document to copy', async () => {
    const proposal = await vscode.commands.executeCommand<Proposal | undefined>(COMMAND, 'PaymentsWebhook');
    assert.ok(proposal);
    assert.equal(proposal.edit, undefined);
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor?.document.isUntitled);
    assert.equal(editor.document.languageId, 'jsonc');
    const text = editor.document.getText();
    assert.match(text, /^\/\/ Least privilege for PaymentsWebhook/);
    assert.ok(text.includes(JSON.stringify(proposal.permissions.proposal.document, null, 2)));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
