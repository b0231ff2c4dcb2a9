// What the extension is looking at: the open account (a connection), its last scan report, and whether its credentials work.
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as vscode from 'vscode';
import type { FunctionReport, ScanReport } from '../core/model';
import type { TelemetrySource } from '../core/ports';
import { openScenario } from '../replay/scenario';
import { readSettings } from './settings';
import type { ReportStore, SavedScan } from './report-store';

/** What a saved scan remembers to reopen its account. */
export type ConnectionSpec = { kind: 'demo' } | { kind: 'scenario'; dir: string } | { kind: 'profile'; profile: string; region?: string };

export interface OpenOptions {
  flowLogsQuery: 'insights' | 'filter';
  /** What the user should know that does not fail the scan (a fallback taken). */
  onNotice(message: string): void;
}

/** A source the scan closes when it is done (the live one holds HTTP connections). */
export type OpenedSource = TelemetrySource & { dispose?(): void };

/** An account the user opened. `open()` is called per scan, so a live connection loads the AWS SDK only then. */
export interface Connection {
  readonly kind: ConnectionSpec['kind'];
  /** Shown in the tree's root, the view's description and the status bar: `demo account`, `scenario acme`, `profile dev · eu-west-1`. */
  readonly label: string;
  readonly spec: ConnectionSpec;
  /**
   * Set for a recorded account (the demo, a scenario): what a worker thread needs to open it itself, so that the scan
   * reads and parses it off the extension host's thread. A live account has none: its scan awaits the network.
   */
  readonly replay?: ReplayTarget;
  open(options: OpenOptions): Promise<OpenedSource>;
}

/** A recorded scenario as a scan opens it: its directory and the label its source reports. */
export interface ReplayTarget {
  dir: string;
  label: string;
}

/** A recorded account: `open()` (in this thread) and `replay` (in a worker) open the same directory with the same label. */
export function replayConnection(spec: Extract<ConnectionSpec, { kind: 'demo' | 'scenario' }>, label: string, dir: string): Connection {
  return {
    kind: spec.kind,
    label,
    spec,
    replay: { dir, label },
    open: async () => openScenario(dir, label, { flowThreads: { threads: readSettings().threads } }),
  };
}

/** The bundled demo account, a recorded scenario shipped in `media/demo`. */
export function demoConnection(extensionUri: vscode.Uri): Connection {
  return replayConnection({ kind: 'demo' }, 'demo account', vscode.Uri.joinPath(extensionUri, 'media', 'demo').fsPath);
}

/** A problem with the account's credentials, shown in the tree's welcome view and the status bar until a scan works again. */
export interface CredentialsProblem {
  message: string;
}

export class Session implements vscode.Disposable {
  private _connection: Connection | undefined;
  private _report: ScanReport | undefined;
  private _scannedAt: number | undefined;
  private _credentials: CredentialsProblem | undefined;
  private _saved: Promise<void> = Promise.resolve();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the connection, the report or the credentials state changes. */
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

  get credentialsProblem(): CredentialsProblem | undefined {
    return this._credentials;
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
    this._credentials = undefined;
    this.update();
  }

  setReport(report: ScanReport): void {
    this._report = report;
    this._scannedAt = this.now();
    this._credentials = undefined;
    this.save();
    this.update();
  }

  /**
   * A scan of some functions folded into the last report: those functions replaced (or added), the others kept,
   * the window and warnings the new scan's. With no earlier report of the same account, the partial report as it is.
   */
  mergeReport(partial: ScanReport, scanned: readonly string[]): void {
    const previous = this._report;
    if (!previous || previous.accountId !== partial.accountId || previous.region !== partial.region) {
      this.setReport(partial);
      return;
    }
    const names = new Set(scanned);
    const fresh = new Map(partial.functions.map((f) => [f.name, f]));
    const functions: FunctionReport[] = previous.functions
      .filter((f) => !names.has(f.name) || fresh.has(f.name))
      .map((f) => fresh.get(f.name) ?? f);
    for (const f of partial.functions) if (!previous.functions.some((p) => p.name === f.name)) functions.push(f);
    this.setReport({ ...partial, functions });
  }

  /** The report without one finding (accepted as normal): the tree, diagnostics and the diff view drop it at once. */
  removeFinding(functionName: string, findingId: string): boolean {
    const report = this._report;
    const fn = report?.functions.find((f) => f.name === functionName);
    if (!report || !fn || !fn.findings.some((f) => f.id === findingId)) return false;
    const functions = report.functions.map((f) => (f === fn ? { ...f, findings: f.findings.filter((x) => x.id !== findingId) } : f));
    this._report = { ...report, functions };
    this.save();
    this.update();
    return true;
  }

  /** Replaces the report with a copy the user's rules were applied to, keeping its scan time (Refresh). */
  replaceReport(report: ScanReport): void {
    this._report = report;
    this.save();
    this.update();
  }

  setCredentialsProblem(problem: CredentialsProblem | undefined): void {
    this._credentials = problem;
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

  private save(): void {
    const connection = this._connection;
    const store = this.store;
    if (store && connection && this._report && this._scannedAt !== undefined) {
      const scan: SavedScan = {
        connection: { kind: connection.kind, label: connection.label, spec: connection.spec },
        scannedAt: this._scannedAt,
        report: this._report,
      };
      // On an event-loop turn of its own, after the views' listeners: serializing a 1,000-function report is work
      // enough for one turn of the extension host. Saves stay in call order, so the last report is the one on disk.
      this._saved = this._saved.then(() => nextTurn()).then(() => store.save(scan));
    }
  }

  private update(): void {
    // Context keys drive the view's welcome content and menus (see package.json viewsWelcome and menus).
    const setContext = (key: string, value: boolean) => void vscode.commands.executeCommand('setContext', key, value);
    setContext('lambdaBehavior.connected', this._connection !== undefined);
    setContext('lambdaBehavior.live', this._connection?.kind === 'profile');
    setContext('lambdaBehavior.scanned', this._report !== undefined);
    setContext('lambdaBehavior.credentialsExpired', this._credentials !== undefined);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
