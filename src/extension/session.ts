// What the extension is looking at: the open account (a connection) and its last scan report.
import * as vscode from 'vscode';
import type { ScanReport } from '../core/model';
import type { TelemetrySource } from '../core/ports';
import { openScenario } from '../replay/scenario';

/** An account the user opened. `open()` is called per scan, so a live connection can load the AWS SDK only then. */
export interface Connection {
  /** Shown in the view's description: `demo account`, `scenario <dir>`, `profile <name>`. */
  readonly label: string;
  open(): TelemetrySource;
}

/** The bundled demo account, a recorded scenario shipped in `media/demo`. */
export function demoConnection(extensionUri: vscode.Uri): Connection {
  const dir = vscode.Uri.joinPath(extensionUri, 'media', 'demo').fsPath;
  return { label: 'demo account', open: () => openScenario(dir, 'demo account') };
}

export class Session implements vscode.Disposable {
  private _connection: Connection | undefined;
  private _report: ScanReport | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the connection or the report changes. */
  readonly onDidChange = this.changed.event;

  get connection(): Connection | undefined {
    return this._connection;
  }

  get report(): ScanReport | undefined {
    return this._report;
  }

  /** A new connection forgets the previous account's report. */
  connect(connection: Connection): void {
    this._connection = connection;
    this._report = undefined;
    this.update();
  }

  setReport(report: ScanReport): void {
    this._report = report;
    this.update();
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
