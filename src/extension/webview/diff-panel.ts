// "Show behaviour diff": the function's handler in the editor and, beside it, one webview per function with its diff against the baseline.
import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { Finding, FunctionReport } from '../../core/model';
import type { HostToWebview, RenderedSummary, WebviewToHost } from '../../shared/protocol';
import { parseWebviewMessage } from '../../shared/protocol';
import type { ExtensionDeps } from '../deps';
import { Disposable } from '../disposable';
import { functionOf } from '../targets';
import { buildDiffViewModel, type SourceInfo } from './diff-model';
import { createNonce, panelHtml } from './panel-html';

export const DIFF_VIEW_TYPE = 'lambdaBehavior.diff';

/** What registerDiffView returns: the extension-host tests reach the panels through it (api.diffView). */
export interface DiffViewApi {
  /** The open panel of that function, if any. */
  panelFor(functionName: string): vscode.WebviewPanel | undefined;
  /** The functions with an open panel. */
  openFunctions(): string[];
  /**
   * What the webview reported after rendering the latest state the host has for that function (it waits
   * for the render when one is due). Rejects when the panel closes first.
   */
  lastRendered(functionName: string): Promise<RenderedSummary>;
  /**
   * Hands a message to the panel as if its webview had posted it (the same validation and handling as
   * onDidReceiveMessage); resolves when the command it maps to has settled.
   */
  receive(functionName: string, message: unknown): Promise<void>;
}

function isFindingTarget(arg: unknown): arg is { kind: 'finding'; finding: Finding } {
  return typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'finding' && 'finding' in arg;
}

function isEditor(value: unknown): value is vscode.TextEditor {
  return typeof value === 'object' && value !== null && 'document' in value && 'viewColumn' in value;
}

export function registerDiffView(context: vscode.ExtensionContext, deps: ExtensionDeps): DiffViewApi {
  const panels = new Map<string, DiffPanel>();
  const dist = vscode.Uri.joinPath(deps.extensionUri, 'dist');

  /** Opens the handler through "Open function source" (another feature; it may be missing or find nothing). */
  async function openSource(fn: FunctionReport): Promise<{ source: SourceInfo; editor?: vscode.TextEditor }> {
    try {
      const editor = await vscode.commands.executeCommand<unknown>('lambdaBehavior.openSource', fn.name);
      if (isEditor(editor)) return { source: { found: true, file: editor.document.uri.path.split('/').pop() }, editor };
    } catch (err) {
      deps.log.warn(`[diff] could not open the source of ${fn.name}: ${errorMessage(err)}`);
    }
    return { source: { found: false } };
  }

  async function showDiff(arg?: unknown): Promise<vscode.WebviewPanel | undefined> {
    const fn = await functionOf(deps.session, arg, 'Show the behaviour diff of');
    if (!fn) return undefined;
    const focus = isFindingTarget(arg) ? arg.finding.id : undefined;
    const { source } = await openSource(fn);
    const existing = panels.get(fn.name);
    if (existing) {
      existing.update(source, focus);
      existing.panel.reveal(undefined, true);
      return existing.panel;
    }
    const panel = new DiffPanel(fn.name, deps, dist, source, focus, openSource, () => panels.delete(fn.name));
    panels.set(fn.name, panel);
    return panel.panel;
  }

  context.subscriptions.push(
    vscode.commands.registerCommand('lambdaBehavior.showDiff', showDiff),
    // A panel left open survives a window reload: VS Code hands back the webview with the state the page saved.
    vscode.window.registerWebviewPanelSerializer(DIFF_VIEW_TYPE, {
      async deserializeWebviewPanel(restored: vscode.WebviewPanel, state: unknown) {
        const saved = state as { functionName?: unknown; sourceFile?: unknown } | undefined;
        const name = saved?.functionName;
        if (typeof name !== 'string' || panels.has(name)) {
          restored.dispose();
          return;
        }
        // VS Code restores the handler's editor itself: the panel says what it said before the reload (the source it
        // had found), and the restored scan, which may not be read yet, re-renders it when the session changes.
        const file = typeof saved?.sourceFile === 'string' ? saved.sourceFile : undefined;
        const source: SourceInfo = file !== undefined ? { found: true, ...(file ? { file } : {}) } : { found: false };
        panels.set(name, new DiffPanel(name, deps, dist, source, undefined, openSource, () => panels.delete(name), restored));
      },
    }),
    deps.session.onDidChange(() => {
      for (const panel of panels.values()) panel.refresh();
    }),
    { dispose: () => [...panels.values()].forEach((p) => p.panel.dispose()) },
  );

  const closed = (name: string) => Promise.reject(new Error(`no behaviour-diff panel is open for ${name}`));
  return {
    panelFor: (name) => panels.get(name)?.panel,
    openFunctions: () => [...panels.keys()],
    lastRendered: (name) => panels.get(name)?.whenRendered() ?? closed(name),
    receive: (name, msg) => panels.get(name)?.receive(msg) ?? closed(name),
  };
}

/** One function's webview: posts the function's view after every "ready" and session change, and maps the page's requests to commands. */
class DiffPanel extends Disposable {
  readonly panel: vscode.WebviewPanel;
  /** Set by the webview's "ready", cleared when VS Code discards the hidden webview (retainContextWhenHidden is off). */
  private ready = false;
  private seq = 0;
  private rendered: RenderedSummary | undefined;
  private waiters: Array<{ seq: number; resolve: (s: RenderedSummary) => void; reject: (e: Error) => void }> = [];

  constructor(
    private readonly functionName: string,
    private readonly deps: ExtensionDeps,
    dist: vscode.Uri,
    private source: SourceInfo,
    private focusFindingId: string | undefined,
    private readonly openSource: (fn: FunctionReport) => Promise<{ source: SourceInfo }>,
    onDisposed: () => void,
    /** A panel VS Code restored after a reload, instead of a new one. */
    restored?: vscode.WebviewPanel,
  ) {
    super();
    const options = { enableScripts: true, localResourceRoots: [dist], retainContextWhenHidden: false, enableFindWidget: true };
    if (restored) restored.webview.options = options;
    this.panel =
      restored ??
      vscode.window.createWebviewPanel(
        DIFF_VIEW_TYPE,
        `Behaviour: ${functionName}`,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        options,
      );
    this.panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'lambda-behavior.svg');
    const webview = this.panel.webview;
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
      nonce: createNonce(),
    });
    this.register(webview.onDidReceiveMessage((m: unknown) => void this.receive(m)));
    this.register(
      this.panel.onDidChangeViewState((e) => {
        // A hidden webview is discarded; it says "ready" again when shown, and gets the current view then.
        if (!e.webviewPanel.visible) this.ready = false;
      }),
    );
    this.register(
      this.panel.onDidDispose(() => {
        this.dispose();
        for (const w of this.waiters.splice(0)) w.reject(new Error(`the behaviour-diff panel of ${functionName} was closed`));
        onDisposed();
      }),
    );
  }

  private fn(): FunctionReport | undefined {
    return this.deps.session.report?.functions.find((f) => f.name === this.functionName);
  }

  /** A new "Show behaviour diff" on an open panel: maybe a new source, maybe a finding to focus. */
  update(source: SourceInfo, focusFindingId: string | undefined): void {
    this.source = source;
    this.focusFindingId = focusFindingId;
    this.refresh();
  }

  /** Posts the current state if the webview is listening; otherwise it is posted on the next "ready". */
  refresh(): void {
    if (this.isDisposed || !this.ready) return;
    void this.post(this.current());
  }

  private current(): HostToWebview {
    const seq = ++this.seq;
    const report = this.deps.session.report;
    const fn = this.fn();
    if (!report || !fn) {
      const reason = !report
        ? "No scan yet: scan the account to see this function's behaviour again."
        : 'This function is not in the last scan (another account or region is open, or the function was deleted).';
      return { type: 'missing', seq, functionName: this.functionName, reason };
    }
    const focus = this.focusFindingId;
    this.focusFindingId = undefined; // focused once, not on every rescan
    return { type: 'show', seq, view: buildDiffViewModel(report, fn, this.source), ...(focus ? { focusFindingId: focus } : {}) };
  }

  private async post(message: HostToWebview): Promise<void> {
    const delivered = await this.panel.webview.postMessage(message);
    if (!delivered) this.ready = false;
  }

  /** The render the host is owed: the latest message posted, or the next one when the webview is not listening. */
  whenRendered(): Promise<RenderedSummary> {
    if (this.isDisposed) return Promise.reject(new Error(`the behaviour-diff panel of ${this.functionName} was closed`));
    const wanted = Math.max(1, this.ready ? this.seq : this.seq + 1);
    if (this.rendered && this.rendered.seq >= wanted) return Promise.resolve(this.rendered);
    return new Promise((resolve, reject) => this.waiters.push({ seq: wanted, resolve, reject }));
  }

  async receive(raw: unknown): Promise<void> {
    const msg = parseWebviewMessage(raw);
    if (!msg) {
      this.deps.log.debug(`[diff] ignored a message from the ${this.functionName} webview`);
      return;
    }
    try {
      await this.handle(msg);
    } catch (err) {
      this.deps.log.error(`[diff] ${msg.type} for ${this.functionName} failed: ${errorMessage(err)}`);
      void vscode.window.showErrorMessage(`Lambda Behavior: ${errorMessage(err)}`);
    }
  }

  private async handle(msg: WebviewToHost): Promise<void> {
    const name = this.functionName;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        await this.post(this.current());
        return;
      case 'rendered': {
        this.rendered = msg.summary;
        const { seq, state, rows, findings, unexpectedElements } = msg.summary;
        this.deps.log.debug(`[diff] ${name} rendered #${seq} (${state}): ${findings.length} findings, ${rows.length} rows`);
        if (unexpectedElements.length > 0)
          this.deps.log.warn(`[diff] ${name}: unexpected elements in the page: ${unexpectedElements.join(', ')}`);
        const due = this.waiters.filter((w) => seq >= w.seq);
        this.waiters = this.waiters.filter((w) => seq < w.seq);
        for (const w of due) w.resolve(msg.summary);
        return;
      }
      case 'revealApiCall': {
        // Only a call the function's own code made: the page names it, the report vouches for it.
        const known = this.fn()?.apiCalls.some(
          (c) => c.caller !== 'lambda-service' && c.eventSource === msg.eventSource && c.eventName === msg.eventName,
        );
        if (!known) {
          this.deps.log.debug(`[diff] ${name} has no call ${msg.eventSource}:${msg.eventName} to reveal`);
          return;
        }
        await vscode.commands.executeCommand('lambdaBehavior.revealApiCall', name, msg.eventSource, msg.eventName);
        return;
      }
      case 'accept': {
        if (!this.fn()?.findings.some((f) => f.id === msg.findingId)) {
          this.deps.log.debug(`[diff] ${name} has no finding ${msg.findingId} to accept`);
          this.refresh();
          return;
        }
        try {
          await vscode.commands.executeCommand('lambdaBehavior.accept', name, msg.findingId);
        } finally {
          // The page disabled the button while waiting: the current state re-enables it, or drops the accepted finding.
          this.refresh();
        }
        return;
      }
      case 'openSource': {
        const fn = this.fn();
        if (!fn) return;
        this.source = (await this.openSource(fn)).source;
        this.refresh();
        return;
      }
      case 'rescan':
        await vscode.commands.executeCommand('lambdaBehavior.scanFunction', name);
        return;
    }
  }
}
