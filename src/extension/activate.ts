// Extension entry point: creates the session, the Lambda Behavior tree and the commands. Nothing here loads the AWS SDK or reads a file.
import * as vscode from 'vscode';
import type { ScanReport } from '../core/model';
import { createLog } from './log';
import { ReportStore } from './report-store';
import { scanAll } from './scan-command';
import type { Connection } from './session';
import { demoConnection, Session } from './session';
import { registerStatusBar } from './status-bar';
import { FunctionsTreeProvider } from './tree/functions-tree';
import type { ExtensionDeps } from './deps';
import { registerSourceFeatures } from './source/register';
import { registerDiffView } from './webview/diff-panel';

/** What activate() returns: the extension-host tests read the tree through it. */
export interface LambdaBehaviorApi {
  readonly session: Session;
  readonly functionsTree: FunctionsTreeProvider;
  readonly store: ReportStore;
  readonly statusBar: vscode.StatusBarItem;
  /** The source features (mapping, diagnostics, CodeLens) and the behaviour-diff view, for the tests. */
  readonly source: ReturnType<typeof registerSourceFeatures>;
  readonly diffView: ReturnType<typeof registerDiffView>;
  /** Settles when the last scan saved by an earlier window has been restored (or found missing or corrupt). */
  readonly restored: Promise<void>;
}

export function activate(context: vscode.ExtensionContext): LambdaBehaviorApi {
  const log = createLog();
  const store = new ReportStore(context.globalStorageUri, log);
  const session = new Session(store);
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
  const statusBar = registerStatusBar(context, session);
  const deps: ExtensionDeps = { session, log, extensionUri: context.extensionUri };
  const source = registerSourceFeatures(context, deps);
  const diffView = registerDiffView(context, deps);

  // Read after activate() has returned: activation never waits on the disk.
  const restored = new Promise<void>((resolve) => setImmediate(resolve)).then(() => restoreLastScan(context, store, session, log));
  return { session, functionsTree, store, statusBar, source, diffView, restored };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

async function restoreLastScan(context: vscode.ExtensionContext, store: ReportStore, session: Session, log: vscode.LogOutputChannel): Promise<void> {
  try {
    const saved = await store.load();
    if (!saved) return;
    const connection = reopen(saved.connection.kind, context);
    if (!connection) {
      log.info(`[store] the saved scan is of a ${saved.connection.kind} connection, which this version cannot reopen`);
      return;
    }
    if (session.restore(saved, connection)) log.info(`[store] restored the last scan of the ${saved.connection.label}`);
  } catch (err) {
    log.warn(`[store] could not restore the last scan: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function reopen(kind: string, context: vscode.ExtensionContext): Connection | undefined {
  return kind === 'demo' ? demoConnection(context.extensionUri) : undefined;
}

function viewDescription(label: string | undefined, report: ScanReport | undefined): string | undefined {
  if (!label) return undefined;
  return report ? `${label} · ${report.accountId} · ${report.region}` : label;
}
