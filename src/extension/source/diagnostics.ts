// Problems-panel diagnostics on the lines that make a finding's API call (network and metric findings on the handler), and the index of handler files the CodeLens reads.
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { Finding, FunctionReport, Severity } from '../../core/model';
import { SEVERITY_RANK } from '../../core/model';
import type { ApiCall, ApiCallMatch } from '../../source/api-calls';
import { bestApiCalls, locateApiCalls } from '../../source/api-calls';
import { relatedSources } from '../../source/imports';
import type { ExtensionDeps } from '../deps';
import { Disposable } from '../disposable';
import { onSettingChanged, readSettings } from '../settings';
import type { ResolvedSource, SourceResolver } from './resolver';
import { oneLine } from './text';

export const DIAGNOSTIC_SOURCE = 'Lambda Behavior';
const API_KINDS = new Set(['new-api-call', 'access-denied']);

/** `iam.amazonaws.com:CreateUser` → the call; undefined for a finding that is not about an API call. */
export function apiCallOf(finding: Pick<Finding, 'kind' | 'subject'>): ApiCall | undefined {
  if (!API_KINDS.has(finding.kind)) return undefined;
  const at = finding.subject.lastIndexOf(':');
  if (at <= 0) return undefined;
  return { eventSource: finding.subject.slice(0, at), eventName: finding.subject.slice(at + 1) };
}

/** A located call: the file and the match. */
export interface CallSite {
  uri: vscode.Uri;
  match: ApiCallMatch;
}

/**
 * The lines that make the call, in the handler file and the files it imports relative to itself: the best matches
 * (a client of the right service beats one of unknown service beats an import), handler file first.
 */
export async function locateCall(source: ResolvedSource, call: ApiCall): Promise<CallSite[]> {
  const related = await relatedSources(source.files, source.file, source.codeDir);
  const all: CallSite[] = [];
  for (const r of related)
    for (const match of locateApiCalls(r.text, r.language, call)) all.push({ uri: source.files.toUri(r.path), match });
  const best = new Set(bestApiCalls(all.map((c) => c.match)));
  return all.filter((c) => best.has(c.match));
}

/** One function whose handler is in a file. */
export interface HandlerEntry {
  fn: FunctionReport;
  source: ResolvedSource;
}

export function diagnosticSeverity(severity: Severity): vscode.DiagnosticSeverity {
  return severity === 'high'
    ? vscode.DiagnosticSeverity.Error
    : severity === 'medium'
      ? vscode.DiagnosticSeverity.Warning
      : vscode.DiagnosticSeverity.Information;
}

export class SourceDiagnostics extends Disposable {
  readonly collection = this.register(vscode.languages.createDiagnosticCollection('lambdaBehavior'));
  private readonly handlersChanged = this.register(new vscode.EventEmitter<void>());
  /** Fires when the handler index changed (the CodeLens listens). */
  readonly onDidChangeHandlers = this.handlersChanged.event;
  private handlers = new Map<string, HandlerEntry[]>();
  private generation = 0;
  private current: Promise<void> = Promise.resolve();
  private editTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly deps: ExtensionDeps,
    private readonly resolver: SourceResolver,
  ) {
    super();
    this.register(deps.session.onDidChange(() => void this.refresh()));
    this.register(resolver.onDidChange(() => void this.refresh()));
    this.register(onSettingChanged('diagnostics.minimumSeverity', () => void this.refresh()));
    // Lines move as the user edits a handler: place the diagnostics again once they pause.
    this.register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!this.collection.has(e.document.uri) && !this.handlers.has(e.document.uri.toString())) return;
        clearTimeout(this.editTimer);
        this.editTimer = setTimeout(() => void this.refresh(), 400);
      }),
    );
    this.register({ dispose: () => clearTimeout(this.editTimer) });
  }

  /** Settles when the diagnostics reflect the current report, settings and files. */
  get settled(): Promise<void> {
    return this.current;
  }

  /** The functions whose handler is in this file. */
  handlersIn(uri: vscode.Uri): readonly HandlerEntry[] {
    return this.handlers.get(uri.toString()) ?? [];
  }

  /** Computes everything again; a newer refresh supersedes an older one still running. */
  refresh(): Promise<void> {
    const generation = ++this.generation;
    const run = this.current.catch(() => undefined).then(() => (generation === this.generation ? this.compute(generation) : undefined));
    this.current = run.catch((err) => this.deps.log.warn(`[source] diagnostics: ${errorMessage(err)}`));
    return this.current;
  }

  private async compute(generation: number): Promise<void> {
    const report = this.deps.session.report;
    if (!report) {
      this.collection.clear();
      this.setHandlers(new Map());
      return;
    }
    const minimum = readSettings().diagnosticsMinimumSeverity;
    const handlers = new Map<string, HandlerEntry[]>();
    const byFile = new Map<string, { uri: vscode.Uri; diagnostics: vscode.Diagnostic[] }>();
    const add = (uri: vscode.Uri, d: vscode.Diagnostic) => {
      const key = uri.toString();
      if (!byFile.has(key)) byFile.set(key, { uri, diagnostics: [] });
      byFile.get(key)?.diagnostics.push(d);
    };

    for (const [i, fn] of report.functions.entries()) {
      // 50 functions per event-loop turn: awaits of settled promises never leave the turn, and mapping 1,000 in one holds the thread.
      if (i % 50 === 49) await nextTurn();
      // Mapping reads only the descriptors (once) and the handler files; never asks: this runs in the background.
      const source = await this.resolver.resolve(fn, { interactive: false });
      if (generation !== this.generation) return;
      if (!source) continue;
      const key = source.uri.toString();
      handlers.set(key, [...(handlers.get(key) ?? []), { fn, source }]);

      const findings = fn.findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[minimum]);
      for (const finding of findings) {
        const call = apiCallOf(finding);
        const sites = call ? await locateCall(source, call) : [];
        for (const site of sites) {
          const m = site.match;
          add(site.uri, diagnostic(finding, new vscode.Range(m.line - 1, m.column - 1, m.line - 1, m.endColumn - 1), fn, undefined));
        }
        if (sites.length === 0) {
          const d = source.definition;
          const range = d ? new vscode.Range(d.line - 1, d.column - 1, d.line - 1, d.endColumn - 1) : new vscode.Range(0, 0, 0, 0);
          add(source.uri, diagnostic(finding, range, fn, call ? `no line in ${fn.name}'s source makes this call` : undefined));
        }
      }
    }
    if (generation !== this.generation) return;
    this.collection.clear();
    for (const { uri, diagnostics } of byFile.values()) this.collection.set(uri, diagnostics);
    this.setHandlers(handlers);
  }

  private setHandlers(handlers: Map<string, HandlerEntry[]>): void {
    this.handlers = handlers;
    this.handlersChanged.fire();
  }
}

/** The finding's title and what to do, as plain one-line text (it comes from AWS data). */
function diagnostic(finding: Finding, range: vscode.Range, fn: FunctionReport, note: string | undefined): vscode.Diagnostic {
  const what = oneLine(finding.recommendation ?? 'Open the behaviour diff to investigate, or accept it as normal.', 300);
  const message = oneLine(`${fn.name}: ${finding.title}${note ? ` (${note})` : ''}. ${what}`, 500);
  const d = new vscode.Diagnostic(range, message, diagnosticSeverity(finding.severity));
  d.source = DIAGNOSTIC_SOURCE;
  d.code = finding.kind;
  return d;
}
