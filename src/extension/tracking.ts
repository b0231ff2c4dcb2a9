// Tracking over time: optional background rescans, and one notification for each new finding at or above the threshold, never twice.
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as vscode from 'vscode';
import { errorMessage } from '../core/errors';
import type { Finding, FunctionReport, ScanReport } from '../core/model';
import { SEVERITY_RANK } from '../core/model';
import { sortFindings } from '../report/view-model';
import type { ExtensionDeps } from './deps';
import { Disposable } from './disposable';
import type { Scanner, ScanOutcome } from './scan-command';
import { onSettingChanged, readSettings } from './settings';

const NOTIFIED_KEY = 'lambdaBehavior.notifiedFindings';
/** Enough to remember every finding of a large account for weeks; the oldest are forgotten first. */
const MAX_REMEMBERED = 5000;
/** More new findings than this in one scan make one summary notification instead of one each. */
const MAX_SINGLE_NOTIFICATIONS = 3;
/** Functions looked at per event-loop turn: a 1,000-function account's findings in one turn would hold the extension host's thread. */
const FUNCTIONS_PER_TURN = 100;

export interface Notified {
  fn: FunctionReport;
  finding: Finding;
}

export class Tracker extends Disposable {
  private timer: ReturnType<typeof setInterval> | undefined;
  /** After-scan bookkeeping runs one scan at a time, in order, so that two scans never announce the same finding. */
  private pending: Promise<void> = Promise.resolve();
  /** The notifications raised, newest last (the host tests read them). */
  readonly raised: string[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: ExtensionDeps,
    private readonly scanner: Scanner,
  ) {
    super();
    this.register(
      scanner.onDidScan((outcome) => {
        this.pending = this.pending
          .then(() => this.afterScan(outcome))
          .catch((err: unknown) => deps.log.warn(`[tracking] ${errorMessage(err)}`));
      }),
    );
    this.register(onSettingChanged('backgroundRescanMinutes', () => this.arm()));
    this.register({ dispose: () => this.stopTimer() });
    this.arm();
  }

  /** (Re)starts the background timer from the setting; 0 turns it off. */
  arm(): void {
    this.stopTimer();
    if (this.isDisposed) return;
    const minutes = readSettings().backgroundRescanMinutes;
    if (minutes > 0) {
      this.timer = setInterval(() => void this.rescanNow(), minutes * 60_000);
      this.deps.log.info(`[tracking] background rescan every ${minutes} minute(s)`);
    }
  }

  /** Forgets which findings were announced or seen, so that the next background rescan announces them again. */
  forgetSeen(): Thenable<void> {
    return this.context.globalState.update(NOTIFIED_KEY, []);
  }

  /** One background rescan of the open account (what the timer runs). */
  async rescanNow(): Promise<ScanReport | undefined> {
    const report = await this.scanner.run({ background: true });
    await this.pending;
    return report;
  }

  private async afterScan({ report, background }: ScanOutcome): Promise<void> {
    const remembered = this.context.globalState.get<string[]>(NOTIFIED_KEY, []);
    const known = new Set(remembered);
    const threshold = SEVERITY_RANK[readSettings().notificationsMinimumSeverity];
    const fresh: Notified[] = [];
    for (const [i, fn] of report.functions.entries()) {
      if (i % FUNCTIONS_PER_TURN === 0) await nextTurn();
      for (const finding of sortFindings(fn.findings)) {
        const key = findingKey(report, fn, finding);
        if (known.has(key)) continue;
        known.add(key);
        remembered.push(key);
        // What the user scanned themselves is already in front of them: remembered, not announced.
        if (background && (SEVERITY_RANK[finding.severity] ?? 0) >= threshold) fresh.push({ fn, finding });
      }
    }
    await nextTurn();
    await this.context.globalState.update(NOTIFIED_KEY, remembered.slice(-MAX_REMEMBERED));
    if (fresh.length > MAX_SINGLE_NOTIFICATIONS) this.summary(fresh);
    else for (const item of fresh) this.single(item);
  }

  private single({ fn, finding }: Notified): void {
    const text = `Lambda Behavior: ${fn.name}: ${finding.title} (${finding.severity})`;
    this.raised.push(text);
    void vscode.window.showWarningMessage(text, 'Show', 'Accept as normal').then((picked) => {
      if (picked === 'Show') void vscode.commands.executeCommand('lambdaBehavior.showDiff', fn.name);
      if (picked === 'Accept as normal') void vscode.commands.executeCommand('lambdaBehavior.accept', fn.name, finding.id);
    });
  }

  private summary(items: Notified[]): void {
    const functions = [...new Set(items.map((i) => i.fn.name))];
    const text = `Lambda Behavior: ${items.length} new findings in ${functions.length === 1 ? functions[0] : `${functions.length} functions`} (${functions.slice(0, 3).join(', ')}${functions.length > 3 ? ', …' : ''})`;
    this.raised.push(text);
    void vscode.window.showWarningMessage(text, 'Show').then((picked) => {
      if (picked) void vscode.commands.executeCommand('workbench.view.extension.lambdaBehavior');
    });
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A finding is the same finding in a later scan when account, region, function and finding id (kind + subject) match. */
function findingKey(report: ScanReport, fn: FunctionReport, finding: Finding): string {
  return `${report.accountId}/${report.region}/${fn.arn}/${finding.id}`;
}
