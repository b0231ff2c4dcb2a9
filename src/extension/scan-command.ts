// "Scan all functions": the engine's scan of the open account, in a cancellable progress notification.
import * as vscode from 'vscode';
import type { ScanReport } from '../core/model';
import { scan } from '../core/scan';
import { abortSignalOf } from './cancellation';
import { engineLogger } from './log';
import type { Session } from './session';

/** Resolves to the report, or undefined when there is no account open or the user cancelled. */
export async function scanAll(session: Session, log: vscode.LogOutputChannel): Promise<ScanReport | undefined> {
  const connection = session.connection;
  if (!connection) {
    const open = 'Open demo account';
    if ((await vscode.window.showInformationMessage('Lambda Behavior: open an account to scan first.', open)) === open) {
      await vscode.commands.executeCommand('lambdaBehavior.openDemo');
    }
    return undefined;
  }
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Lambda Behavior: scanning the ${connection.label}`, cancellable: true },
    async (progress, token) => {
      const abort = abortSignalOf(token);
      const started = Date.now();
      try {
        const report = await scan(connection.open(), {
          signal: abort.signal,
          logger: engineLogger(log),
          onProgress: (message) => progress.report({ message }),
        });
        const findings = report.functions.reduce((n, fn) => n + fn.findings.length, 0);
        log.info(`[scan] ${connection.label}: ${report.functions.length} functions, ${findings} findings in ${Date.now() - started} ms`);
        for (const warning of report.warnings) log.warn(`[scan] ${warning}`);
        session.setReport(report);
        return report;
      } catch (err) {
        if (abort.signal.aborted) {
          log.info(`[scan] ${connection.label}: cancelled`);
          return undefined;
        }
        const message = err instanceof Error ? err.message : String(err);
        log.error(`[scan] ${connection.label}: ${message}`);
        void vscode.window.showErrorMessage(`Lambda Behavior: the scan failed: ${message}`);
        return undefined;
      } finally {
        abort.dispose();
      }
    },
  );
}
