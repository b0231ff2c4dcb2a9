// Scanning the open account: "Scan all functions", "Scan function" and background rescans, one at a time, cancellable, with the user's settings.
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as vscode from 'vscode';
import { coverageStatusOf } from '../core/coverage';
import { errorMessage } from '../core/errors';
import { EniHistory, type EniHistoryJson } from '../core/inventory/history';
import type { LambdaFunction, ScanReport } from '../core/model';
import { InputError, SourceError, type Logger } from '../core/ports';
import { scan } from '../core/scan';
import { listFunctionsInWorker, scanInWorker, type ScanDataOptions, type WorkerScanResult } from '../node/scan-in-worker';
import { acceptFileLocation, readAcceptedFile } from './accept';
import { abortSignalOf } from './cancellation';
import type { ExtensionDeps } from './deps';
import { engineLogger } from './log';
import type { ReportStore } from './report-store';
import type { Connection } from './session';
import { readSettings } from './settings';
import { functionPicks, type FunctionPick } from './targets';

export interface ScanRequest {
  /** Only these functions (their results are merged into the last report); all when absent. */
  functions?: string[];
  /** A background rescan: progress in the status bar, not cancellable from a notification, errors only logged. */
  background?: boolean;
}

/** What a scan's end tells the trackers: the report, and whether the user started it. */
export interface ScanOutcome {
  report: ScanReport;
  background: boolean;
}

export class Scanner implements vscode.Disposable {
  private running: { promise: Promise<ScanReport | undefined>; background: boolean; cancel(reason: string): void } | undefined;
  private readonly finished = new vscode.EventEmitter<ScanOutcome>();
  /** Fires after every scan that produced a report. */
  readonly onDidScan = this.finished.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: ExtensionDeps,
    private readonly store: ReportStore,
  ) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Cancels the running scan, if any (as its notification's Cancel button does); the last report stays as it was. */
  cancel(reason = 'cancelled'): void {
    this.running?.cancel(reason);
  }

  /**
   * Resolves to the report, or undefined when there is no account open, the user cancelled or the scan failed.
   * A scan the user asks for while a background one runs cancels it; while another of the user's runs, it waits for that one.
   */
  async run(request: ScanRequest = {}): Promise<ScanReport | undefined> {
    const connection = this.deps.session.connection;
    if (!connection) {
      if (request.background) return undefined;
      const open = 'Open demo account';
      const profile = 'Choose AWS profile';
      const picked = await vscode.window.showInformationMessage('Lambda Behavior: open an account to scan first.', open, profile);
      if (picked === open) await vscode.commands.executeCommand('lambdaBehavior.openDemo');
      if (picked === profile) await vscode.commands.executeCommand('lambdaBehavior.chooseProfile');
      return undefined;
    }
    if (this.running) {
      if (request.background) return undefined;
      if (this.running.background) {
        this.running.cancel('superseded by a scan the user asked for');
        await this.running.promise;
      } else {
        return this.running.promise;
      }
    }
    const controller = new AbortController();
    const promise = this.scanWith(connection, request, controller);
    // The view's own progress bar too, so that the panel shows a scan is running whichever way it was started.
    void vscode.window.withProgress({ location: { viewId: 'lambdaBehavior.functions' } }, () => promise);
    this.running = { promise, background: !!request.background, cancel: (reason) => controller.abort(new Error(reason)) };
    try {
      return await promise;
    } finally {
      this.running = undefined;
    }
  }

  private scanWith(connection: Connection, request: ScanRequest, outer: AbortController): Promise<ScanReport | undefined> {
    const what = request.functions?.length === 1 ? request.functions[0] : `the ${connection.label}`;
    const options: vscode.ProgressOptions = request.background
      ? { location: vscode.ProgressLocation.Window, title: `Lambda Behavior: rescanning ${what}` }
      : { location: vscode.ProgressLocation.Notification, title: `Lambda Behavior: scanning ${what}`, cancellable: true };
    return Promise.resolve(
      vscode.window.withProgress(options, async (progress, token) => {
        const abort = abortSignalOf(token);
        const signal = AbortSignal.any([abort.signal, outer.signal]);
        try {
          return await this.scanOnce(connection, request, signal, (message) => progress.report({ message }));
        } catch (err) {
          return this.failed(connection, request, err, signal);
        } finally {
          abort.dispose();
        }
      }),
    );
  }

  private async scanOnce(
    connection: Connection,
    request: ScanRequest,
    signal: AbortSignal,
    onProgress: (m: string) => void,
  ): Promise<ScanReport | undefined> {
    const { session, log } = this.deps;
    const settings = readSettings();
    const started = Date.now();
    const accepted = await readAcceptedFile(acceptFileLocation(this.context.globalStorageUri));
    const accountKey = JSON.stringify(connection.spec);
    const savedHistory = await this.store.loadHistory(accountKey);
    const options: ScanDataOptions = {
      baselineDays: settings.baselineDays,
      detectHours: settings.detectHours,
      functions: request.functions,
      ignore: settings.ignore,
      accepted,
    };
    const handlers = { signal, logger: engineLogger(log), onProgress };
    // A recorded account is read and parsed on a worker thread: this thread (every extension's) only relays and assembles.
    const { report, history } = connection.replay
      ? await scanInWorker({ ...connection.replay, flowThreads: settings.threads, options, history: savedHistory }, handlers)
      : await this.scanHere(connection, settings.flowLogsQuery, options, savedHistory, handlers);
    // The views' listeners on a turn of their own, not on the one that parsed the report's last batch.
    await nextTurn();
    signal.throwIfAborted();
    if (session.connection !== connection) {
      log.info(`[scan] ${connection.label}: finished after another account was opened; its result is dropped`);
      return undefined;
    }
    const findings = report.functions.reduce((n, fn) => n + fn.findings.length, 0);
    log.info(
      `[scan] ${connection.label}: ${report.functions.length} function(s), ${findings} finding(s) in ${Date.now() - started} ms${request.background ? ' (background)' : ''}`,
    );
    for (const warning of report.warnings) log.warn(`[scan] ${warning}`);
    this.reportExpiredCoverage(connection, report);
    void this.store.saveHistory(accountKey, history);
    if (request.functions?.length) session.mergeReport(report, request.functions);
    else session.setReport(report);
    const shown = session.report ?? report;
    // The trackers' bookkeeping over every finding on a turn of its own, not on the one the views refreshed in.
    await nextTurn();
    this.finished.fire({ report: shown, background: !!request.background });
    return shown;
  }

  /** A live account's scan, on this thread: it spends its time awaiting the network. */
  private async scanHere(
    connection: Connection,
    flowLogsQuery: 'insights' | 'filter',
    options: ScanDataOptions,
    savedHistory: EniHistoryJson | undefined,
    handlers: { signal: AbortSignal; logger: Logger; onProgress: (m: string) => void },
  ): Promise<WorkerScanResult> {
    const history = savedHistory ? EniHistory.fromJSON(savedHistory) : new EniHistory();
    const source = await connection.open({
      flowLogsQuery,
      // What the source says before its queries (`Logs Insights on X: about 1.2 GB to scan (about $0.006)`) shows in the
      // progress while they run, not only in the log.
      onNotice: (m) => {
        this.deps.log.info(`[aws] ${m}`);
        handlers.onProgress(m);
      },
    });
    try {
      const report = await scan(source, { ...options, history, ...handlers });
      return { report, history: history.toJSON() };
    } finally {
      source.dispose?.();
    }
  }

  /** Every source failing with expired credentials is the same problem as the scan failing with it: say it once, where the user looks. */
  private reportExpiredCoverage(connection: Connection, report: ScanReport): void {
    const expired =
      report.functions.length > 0 &&
      report.functions.every((f) => Object.values(coverageStatusOf(f)).some((c) => c.errorKind === 'expired-credentials'));
    if (expired) this.credentialsExpired(connection, 'the credentials expired during the scan');
  }

  private credentialsExpired(connection: Connection, message: string): void {
    const { session, log } = this.deps;
    const already = session.credentialsProblem !== undefined;
    session.setCredentialsProblem({ message });
    log.warn(`[scan] ${connection.label}: ${message}`);
    if (already) return;
    const spec = connection.spec;
    const login = spec.kind === 'profile' ? `aws sso login --profile ${spec.profile}` : undefined;
    const actions = login ? ['Run ' + login, 'Choose AWS profile'] : ['Choose AWS profile'];
    void vscode.window
      .showWarningMessage(
        `Lambda Behavior: the credentials of the ${connection.label} have expired or are missing (${message}).`,
        ...actions,
      )
      .then((picked) => {
        if (picked === 'Choose AWS profile') void vscode.commands.executeCommand('lambdaBehavior.chooseProfile');
        else if (picked && login) {
          const terminal = vscode.window.createTerminal({ name: 'AWS login' });
          terminal.show();
          terminal.sendText(login);
        }
      });
  }

  private failed(connection: Connection, request: ScanRequest, err: unknown, signal: AbortSignal): undefined {
    const { log } = this.deps;
    if (signal.aborted) {
      log.info(`[scan] ${connection.label}: cancelled`);
      return undefined;
    }
    const message = errorMessage(err);
    if (SourceError.is(err) && err.kind === 'expired-credentials') {
      this.credentialsExpired(connection, message);
      return undefined;
    }
    log.error(`[scan] ${connection.label}: ${message}`);
    if (request.background) return undefined;
    // A bad setting or accepted-behaviour file is the user's to fix: name it rather than "the scan failed".
    const lead =
      err instanceof InputError
        ? 'check your settings'
        : SourceError.is(err) && err.kind === 'access-denied'
          ? 'access denied'
          : 'the scan failed';
    const hint = SourceError.is(err) && err.iamAction ? ` Your role needs ${err.iamAction} (see docs/iam-policy.json).` : '';
    void vscode.window.showErrorMessage(`Lambda Behavior: ${lead}: ${message}.${hint}`, 'Show log').then((picked) => {
      if (picked) log.show();
    });
    return undefined;
  }

  /** "Scan function": the function from the tree or the caller, else a pick from the last report, else from the account's function list. */
  async pickAndScan(target: unknown): Promise<ScanReport | undefined> {
    const name = targetName(target) ?? (await this.pickFunction());
    if (!name) return undefined;
    return this.run({ functions: [name] });
  }

  private async pickFunction(): Promise<string | undefined> {
    const { session } = this.deps;
    const connection = session.connection;
    if (!connection) {
      await this.run();
      return undefined;
    }
    const quickPick = vscode.window.createQuickPick<FunctionPick | (vscode.QuickPickItem & { fn?: undefined })>();
    quickPick.title = `Lambda Behavior: scan a function of the ${connection.label}`;
    quickPick.placeholder = 'A function (type to filter)';
    quickPick.matchOnDescription = true;
    const scanned = session.report?.functions ?? [];
    if (scanned.length > 0) quickPick.items = functionPicks(scanned);
    else quickPick.busy = true;
    quickPick.show();
    const chosen = new Promise<string | undefined>((resolve) => {
      quickPick.onDidAccept(() => {
        const item = quickPick.selectedItems[0];
        resolve(item?.fn?.name ?? item?.label);
      });
      quickPick.onDidHide(() => resolve(undefined));
    });
    if (scanned.length === 0) {
      // Not scanned yet: the account's own list, without its findings.
      try {
        const functions = await this.listFunctions(connection);
        quickPick.items = [...functions]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((f) => ({
            label: f.name,
            description: 'not scanned yet',
            detail: [f.runtime, f.vpc ? 'in a VPC' : 'not in a VPC'].filter(Boolean).join(' · '),
          }));
      } catch (err) {
        quickPick.placeholder = `Could not list the functions: ${errorMessage(err)}`;
      } finally {
        quickPick.busy = false;
      }
    }
    const name = await chosen;
    quickPick.dispose();
    return name;
  }

  /** The account's functions; a recorded one is opened on a worker thread, as its scan is. */
  private async listFunctions(connection: Connection): Promise<LambdaFunction[]> {
    if (connection.replay) return listFunctionsInWorker(connection.replay);
    const source = await connection.open({ flowLogsQuery: readSettings().flowLogsQuery, onNotice: () => undefined });
    try {
      return await source.listFunctions(new AbortController().signal);
    } finally {
      source.dispose?.();
    }
  }

  dispose(): void {
    this.running?.cancel('the extension is shutting down');
    this.finished.dispose();
  }
}

function targetName(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (target && typeof target === 'object' && 'fn' in target) return (target as { fn: { name: string } }).fn.name;
  return undefined;
}
