// The status-bar item: which account is open, when it was last scanned, and whether its credentials work; a click chooses the profile.
import * as vscode from 'vscode';
import type { Session } from './session';

export function registerStatusBar(context: vscode.ExtensionContext, session: Session): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('lambdaBehavior.status', vscode.StatusBarAlignment.Left, 0);
  item.name = 'Lambda Behavior';
  item.command = { command: 'lambdaBehavior.chooseProfile', title: 'Choose AWS Profile' };
  const update = () => {
    const { connection, report, scannedAt, credentialsProblem } = session;
    const where = connection?.label ?? 'no account open';
    const text = scannedAt !== undefined ? `Lambda Behavior: ${where} · ${scanTime(scannedAt, Date.now())}` : `Lambda Behavior: ${where}`;
    item.text = credentialsProblem ? `$(warning) ${text}` : text;
    item.backgroundColor = credentialsProblem ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    // A plain string: the account id and region come from AWS and are never rendered as markdown.
    const lines = [
      report ? `Account ${report.accountId} · region ${report.region}` : connection ? 'Not scanned yet' : 'No account open',
      scannedAt !== undefined ? `Last scan ${new Date(scannedAt).toLocaleString()}` : undefined,
      credentialsProblem ? `Credentials: ${credentialsProblem.message}` : undefined,
      'Click to choose the AWS profile',
    ];
    item.tooltip = lines.filter((l): l is string => l !== undefined).join('\n');
  };
  update();
  item.show();
  context.subscriptions.push(item, session.onDidChange(update));
  return item;
}

/** `12:04` today, `2026-11-27 12:04` on another day: local time, as the user reads a clock. */
export function scanTime(at: number, now: number): string {
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.toDateString() === new Date(now).toDateString()
    ? time
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}
