// What the extension is looking at: the open account (a connection) and its last scan report, kept across restarts.
import * as vscode from 'vscode';
import type { ScanReport } from '../core/model';
import type { TelemetrySource } from '../core/ports';
import { openScenario } from '../replay/scenario';
import type { ReportStore, SavedScan } from './report-store';

/** An account the user opened. `open()` is called per scan, so a live connection can load the AWS SDK only then. */
export interface Connection {
  /** What kind of account, so that a saved scan can reopen it: `demo` (later `scenario`, `profile`). */
  readonly kind: string;
  /** Shown in the view's description: `demo account`, `scenario <dir>`, `profile <name>`. */
  readonly label: string;
  open(): TelemetrySource;
}

/** The bundled demo account, a recorded scenario shipped in `media/demo`. */
export function demoConnection(extensionUri: vscode.Uri): Connection {
  const dir = vscode.Uri.joinPath(extensionUri, 'media', 'demo').fsPath;
  return { kind: 'demo', label: 'demo account', open: () => openScenario(dir, 'demo account') };
}

export class Session implements vscode.Disposable {
  private _connection: Connection | undefined;
  private _report: ScanReport | undefined;
  private _scannedAt: number | undefined;
  private _saved: Promise<void> = Promise.resolve();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the connection or the report changes. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly store?: ReportStore,
    private readonly now: () => number = Date.now,
  ) {}

  get connection(): Connection | undefined {
    return this._connection;
  }

  get report(): ScanReport | undefined {
    return this._report;
  }

  /** When the current report's scan ran (epoch ms). */
  get scannedAt(): number | undefined {
    return this._scannedAt;
  }

  /** Settles when the last report has been written to storage (tests wait for it). */
  get saved(): Promise<void> {
    return this._saved;
  }

  /** A new connection forgets the previous account's report. */
  connect(connection: Connection): void {
    this._connection = connection;
    this._report = undefined;
    this._scannedAt = undefined;
    this.update();
  }

  setReport(report: ScanReport): void {
    this._report = report;
    this._scannedAt = this.now();
    const connection = this._connection;
    if (this.store && connection) {
      this._saved = this.store.save({ connection: { kind: connection.kind, label: connection.label }, scannedAt: this._scannedAt, report });
    }
    this.update();
  }

  /** Shows a scan saved by an earlier window, unless the user has already opened an account in this one. */
  restore(saved: SavedScan, connection: Connection): boolean {
    if (this._connection || this._report) return false;
    this._connection = connection;
    this._report = saved.report;
    this._scannedAt = saved.scannedAt;
    this.update();
    return true;
  }

  private update(): void {
    // Context keys drive the view's welcome content (see package.json viewsWelcome).
    void vscode.commands.executeCommand('setContext', 'lambdaBehavior.connected', this._connection !== undefined);
    void vscode.commands.executeCommand('setContext', 'lambdaBehavior.scanned', this._report !== undefined);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
