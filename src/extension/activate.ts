// Extension entry point: creates the session, the Lambda Behavior tree and the commands. Nothing here loads the AWS SDK.
import * as vscode from 'vscode';
import type { ScanReport } from '../core/model';
import { createLog } from './log';
import { scanAll } from './scan-command';
import { demoConnection, Session } from './session';
import { FunctionsTreeProvider } from './tree/functions-tree';

/** What activate() returns: the extension-host tests read the tree through it. */
export interface LambdaBehaviorApi {
  readonly session: Session;
  readonly functionsTree: FunctionsTreeProvider;
}

export function activate(context: vscode.ExtensionContext): LambdaBehaviorApi {
  const log = createLog();
  const session = new Session();
  const functionsTree = new FunctionsTreeProvider(session);
  const view = vscode.window.createTreeView('lambdaBehavior.functions', { treeDataProvider: functionsTree, showCollapseAll: true });
  context.subscriptions.push(log, session, functionsTree, view);
  context.subscriptions.push(session.onDidChange(() => (view.description = viewDescription(session.connection?.label, session.report))));

  context.subscriptions.push(
    vscode.commands.registerCommand('lambdaBehavior.openDemo', () => {
      session.connect(demoConnection(context.extensionUri));
      log.info('[session] opened the demo account');
    }),
    vscode.commands.registerCommand('lambdaBehavior.scanAll', () => scanAll(session, log)),
  );
  return { session, functionsTree };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

function viewDescription(label: string | undefined, report: ScanReport | undefined): string | undefined {
  if (!label) return undefined;
  return report ? `${label} · ${report.accountId} · ${report.region}` : label;
}
