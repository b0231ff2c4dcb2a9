// "Export report": the last scan as JSON (report format v1), SARIF 2.1.0 or a self-contained HTML page, the CLI's own renderers.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import type { ScanReport } from '../core/model';
import { renderHtml } from '../report/html';
import { redactReport } from '../report/redact';
import { renderSarif } from '../report/sarif';
import type { ExtensionDeps } from './deps';

export type ExportFormat = 'json' | 'sarif' | 'html';

const FORMATS: ReadonlyArray<{ format: ExportFormat; label: string; detail: string; extension: string }> = [
  { format: 'html', label: 'HTML', detail: 'A self-contained page to read or share (no script, no remote resources)', extension: 'html' },
  { format: 'sarif', label: 'SARIF 2.1.0', detail: 'For code scanning (GitHub, Azure DevOps) and SARIF viewers', extension: 'sarif' },
  {
    format: 'json',
    label: 'JSON',
    detail: 'The scan report (format v1), as `lambda-behavior scan --format json` writes it',
    extension: 'json',
  },
];

export function renderReport(report: ScanReport, format: ExportFormat, version: string): string {
  if (format === 'json') return JSON.stringify(report, null, 2) + '\n';
  if (format === 'sarif') return JSON.stringify(renderSarif(report, version), null, 2) + '\n';
  return renderHtml(report);
}

export function registerExport(context: vscode.ExtensionContext, deps: ExtensionDeps): void {
  const version = String((context.extension.packageJSON as { version?: string }).version ?? '0.0.0');
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'lambdaBehavior.exportReport',
      async (formatArg?: unknown, targetArg?: unknown, optionsArg?: unknown) => {
        const report = deps.session.report;
        if (!report) {
          void vscode.window.showInformationMessage('Lambda Behavior: scan an account first; the report is what the last scan found.');
          return undefined;
        }
        const chosen =
          FORMATS.find((f) => f.format === formatArg) ??
          (await vscode.window.showQuickPick(
            FORMATS.map((f) => ({ ...f, description: `.${f.extension}` })),
            { placeHolder: 'Export the last scan as' },
          ));
        if (!chosen) return undefined;
        // Asked when the user runs the command; a caller says it with { redact }.
        let redact = (optionsArg as { redact?: unknown } | undefined)?.redact === true;
        if (typeof formatArg !== 'string') {
          const how = await vscode.window.showQuickPick(
            [
              { label: 'As it is', detail: 'Account ids, public addresses and tag values as AWS reported them', redact: false },
              {
                label: 'Redacted, for sharing',
                detail: 'Account ids, public addresses and tag values replaced consistently (documentation ranges)',
                redact: true,
              },
            ],
            { placeHolder: `Export the ${chosen.label} report` },
          );
          if (!how) return undefined;
          redact = how.redact;
        }
        const stamp = (report.window.detectEnd ?? '').slice(0, 13).replace(/[:T]/g, '-');
        const exported = redact ? redactReport(report) : report;
        const name = `lambda-behavior-${exported.accountId}-${exported.region}${stamp ? `-${stamp}` : ''}${redact ? '-redacted' : ''}.${chosen.extension}`;
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        const target =
          targetArg instanceof vscode.Uri
            ? targetArg
            : await vscode.window.showSaveDialog({
                defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
                filters: { [chosen.label]: [chosen.extension] },
                title: 'Export the Lambda Behavior report',
              });
        if (!target) return undefined;
        const text = renderReport(exported, chosen.format, version);
        // Temp file then rename: an existing report is replaced whole or not at all.
        const temp = `${target.fsPath}.${process.pid}.tmp`;
        try {
          await fs.mkdir(path.dirname(target.fsPath), { recursive: true });
          await fs.writeFile(temp, text, 'utf8');
          await fs.rename(temp, target.fsPath);
        } catch (err) {
          await fs.rm(temp, { force: true }).catch(() => undefined);
          const message = errorMessage(err);
          deps.log.error(`[export] ${target.fsPath}: ${message}`);
          void vscode.window.showErrorMessage(`Lambda Behavior: could not write ${target.fsPath}: ${message}`);
          return undefined;
        }
        deps.log.info(`[export] ${chosen.label} report${redact ? ' (redacted)' : ''} written to ${target.fsPath}`);
        if (typeof formatArg !== 'string') {
          void vscode.window
            .showInformationMessage(`Lambda Behavior: report written to ${vscode.workspace.asRelativePath(target)}`, 'Open')
            .then((picked) => {
              if (picked) void vscode.commands.executeCommand('vscode.open', target);
            });
        }
        return target;
      },
    ),
  );
}
