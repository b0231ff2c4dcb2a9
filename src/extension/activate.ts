// Extension entry point: wires the session, the tree, the commands and each feature. Nothing here loads the AWS SDK or reads a file.
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import { applyUserRules, IgnoreMatcher } from '../core/ignore';
import { registerAccept, acceptFileLocation, readAcceptedFile } from './accept';
import { registerHourCache, type HourCache } from './cache';
import { connectionFromSpec, registerConnectionCommands } from './connections';
import type { ExtensionDeps } from './deps';
import { registerExport } from './export-report';
import { createLog } from './log';
import { ReportStore } from './report-store';
import { Scanner } from './scan-command';
import { Session } from './session';
import { readSettings } from './settings';
import { registerPermissions } from './permissions/register';
import { registerSourceFeatures } from './source/register';
import { registerStatusBar } from './status-bar';
import { Tracker } from './tracking';
import { FunctionsTreeProvider } from './tree/functions-tree';
import { registerDiffView } from './webview/diff-panel';

/** What activate() returns: the extension-host tests drive and read the extension through it. */
export interface LambdaBehaviorApi {
  readonly session: Session;
  readonly functionsTree: FunctionsTreeProvider;
  readonly view: vscode.TreeView<unknown>;
  readonly store: ReportStore;
  readonly scanner: Scanner;
  readonly tracker: Tracker;
  /** The cache of closed hours that live scans read through (global storage). */
  readonly cache: HourCache;
  readonly statusBar: vscode.StatusBarItem;
  /** The source features (mapping, diagnostics, CodeLens) and the behaviour-diff view. */
  readonly source: ReturnType<typeof registerSourceFeatures>;
  readonly diffView: ReturnType<typeof registerDiffView>;
  /** Settles when the last scan saved by an earlier window has been restored (or found missing or corrupt). */
  readonly restored: Promise<void>;
}

export function activate(context: vscode.ExtensionContext): LambdaBehaviorApi {
  const log = createLog();
  const store = new ReportStore(context.globalStorageUri, log);
  const session = new Session(store);
  const deps: ExtensionDeps = { session, log, extensionUri: context.extensionUri };
  const cache = registerHourCache(context, deps);
  const functionsTree = new FunctionsTreeProvider(session, cache);
  const view = vscode.window.createTreeView('lambdaBehavior.functions', { treeDataProvider: functionsTree, showCollapseAll: true });
  const scanner = new Scanner(context, deps, store);
  const tracker = new Tracker(context, deps, scanner);
  context.subscriptions.push(log, session, functionsTree, view, scanner, tracker);
  context.subscriptions.push(session.onDidChange(() => (view.description = session.connection?.label)));

  registerConnectionCommands(context, deps);
  context.subscriptions.push(
    vscode.commands.registerCommand('lambdaBehavior.scanAll', () => scanner.run()),
    vscode.commands.registerCommand('lambdaBehavior.scanFunction', (target?: unknown) => scanner.pickAndScan(target)),
    vscode.commands.registerCommand('lambdaBehavior.refresh', () => refresh(context, deps)),
  );
  registerAccept(context, deps);
  registerExport(context, deps);
  const statusBar = registerStatusBar(context, session);
  const source = registerSourceFeatures(context, deps);
  const diffView = registerDiffView(context, deps);
  registerPermissions(context, deps, diffView);

  // Read after activate() has returned: activation never waits on the disk.
  const restored = new Promise<void>((resolve) => setImmediate(resolve)).then(() => restoreLastScan(context, store, session, log));
  // The workspace's project (its templates, the YAML parser: 50-150 ms of the thread under load, once) loaded soon after
  // activation, when nothing waits on it, rather than inside the first scan, whose report maps functions to source.
  const warm = setTimeout(() => void restored.then(() => source.resolver.warm()), 500);
  context.subscriptions.push({ dispose: () => clearTimeout(warm) });
  return { session, functionsTree, view, store, scanner, tracker, cache, statusBar, source, diffView, restored };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

/**
 * "Refresh": the last report with the accepted-behaviour file and the ignore settings applied again, without calling
 * AWS (a finding accepted by hand in the file, or a peer ignored in the settings, goes at once; a new scan brings new data).
 */
async function refresh(context: vscode.ExtensionContext, deps: ExtensionDeps): Promise<boolean> {
  const report = deps.session.report;
  if (!report) return false;
  try {
    const accepted = await readAcceptedFile(acceptFileLocation(context.globalStorageUri));
    const ignore = new IgnoreMatcher(readSettings().ignore, 'lambdaBehavior.ignore');
    deps.session.replaceReport(applyUserRules(report, { ignore, accepted }));
    return true;
  } catch (err) {
    const message = errorMessage(err);
    deps.log.error(`[refresh] ${message}`);
    void vscode.window.showErrorMessage(`Lambda Behavior: ${message}`);
    return false;
  }
}

async function restoreLastScan(
  context: vscode.ExtensionContext,
  store: ReportStore,
  session: Session,
  log: vscode.LogOutputChannel,
): Promise<void> {
  try {
    const saved = await store.load();
    if (!saved) return;
    const connection = connectionFromSpec(saved.connection.spec, saved.connection.kind, context.extensionUri);
    if (!connection) {
      log.info(`[store] the saved scan of the ${saved.connection.label} cannot be reopened (its scenario directory is gone)`);
      return;
    }
    if (session.restore(saved, connection)) log.info(`[store] restored the last scan of the ${saved.connection.label}`);
  } catch (err) {
    log.warn(`[store] could not restore the last scan: ${errorMessage(err)}`);
  }
}
