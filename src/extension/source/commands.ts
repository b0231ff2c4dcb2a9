// "Open function source" and "Reveal the code that makes this call": open the handler with the cursor on its definition, or select the line that makes an API call.
import * as vscode from 'vscode';
import type { FunctionReport } from '../../core/model';
import { operationName } from '../../source/api-calls';
import type { ApiCall } from '../../source/api-calls';
import { languageOfPath } from '../../source/code-text';
import { basename } from '../../source/files';
import { findHandlerDefinition } from '../../source/handler';
import type { ExtensionDeps } from '../deps';
import { functionOf } from '../targets';
import { apiCallOf, locateCall } from './diagnostics';
import type { ResolvedSource, SourceResolver } from './resolver';

/** The group to open a source in: where it is already shown, else the one a webview is not in, else the active one. */
function viewColumnFor(uri: vscode.Uri): vscode.ViewColumn | undefined {
  const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  if (shown?.viewColumn) return shown.viewColumn;
  const active = vscode.window.tabGroups.activeTabGroup;
  if (active.activeTab?.input instanceof vscode.TabInputWebview) {
    const other = vscode.window.tabGroups.all.find((g) => g !== active);
    return other?.viewColumn ?? vscode.ViewColumn.One;
  }
  return undefined;
}

async function show(uri: vscode.Uri, range: vscode.Range): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document, { viewColumn: viewColumnFor(uri), selection: range, preview: false });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}

/** The handler's definition in the live document (it may have moved since the mapping read it). */
function definitionRange(document: vscode.TextDocument, source: ResolvedSource): vscode.Range {
  const language = languageOfPath(source.file);
  const d = (language && findHandlerDefinition(document.getText(), language, source.symbol)) || source.definition;
  if (!d) return new vscode.Range(0, 0, 0, 0);
  const start = new vscode.Position(d.line - 1, d.column - 1);
  return new vscode.Range(start, start);
}

export async function openSource(deps: ExtensionDeps, resolver: SourceResolver, target: unknown): Promise<vscode.TextEditor | undefined> {
  const fn = await functionOf(deps.session, target, 'Open the source of which function?');
  if (!fn) return undefined;
  const source = await resolveOrSay(resolver, fn);
  if (!source) return undefined;
  const document = await vscode.workspace.openTextDocument(source.uri);
  deps.log.info(`[source] ${fn.name}: ${vscode.workspace.asRelativePath(source.uri)} (${source.note})`);
  return show(source.uri, definitionRange(document, source));
}

/** What revealApiCall was run on: a tree node (API call or finding), or (function name, eventSource, eventName). */
function callTarget(args: unknown[]): { target: unknown; call: ApiCall | undefined } {
  const [first, eventSource, eventName] = args;
  if (typeof first === 'string') {
    return {
      target: first,
      call: typeof eventSource === 'string' && typeof eventName === 'string' ? { eventSource, eventName } : undefined,
    };
  }
  if (first && typeof first === 'object' && 'kind' in first) {
    const node = first as {
      kind: string;
      fn?: FunctionReport;
      row?: { eventSource: string; eventName: string };
      finding?: { kind: string; subject: string };
    };
    if (node.kind === 'apiCall' && node.row)
      return { target: node, call: { eventSource: node.row.eventSource, eventName: node.row.eventName } };
    if (node.kind === 'finding' && node.finding) return { target: node, call: apiCallOf(node.finding as Parameters<typeof apiCallOf>[0]) };
  }
  return { target: first, call: undefined };
}

export async function revealApiCall(
  deps: ExtensionDeps,
  resolver: SourceResolver,
  ...args: unknown[]
): Promise<vscode.TextEditor | undefined> {
  const { target, call } = callTarget(args);
  if (!call) {
    void vscode.window.showInformationMessage('Lambda Behavior: this is not an AWS API call the source could make.');
    return undefined;
  }
  const fn = await functionOf(deps.session, target, `Which function's call to ${call.eventName}?`);
  if (!fn) return undefined;
  const source = await resolveOrSay(resolver, fn);
  if (!source) return undefined;
  const [site] = await locateCall(source, call);
  if (!site) {
    const document = await vscode.workspace.openTextDocument(source.uri);
    const editor = await show(source.uri, definitionRange(document, source));
    const service = call.eventSource.replace(/\.amazonaws\.com$/, '');
    void vscode.window.showInformationMessage(
      `Lambda Behavior: no line in ${basename(source.file)} or the files it imports calls ${service}:${operationName(call.eventName) ?? call.eventName}. It may be made by a dependency or through a client this search cannot follow.`,
    );
    return editor;
  }
  const m = site.match;
  return show(site.uri, new vscode.Range(m.line - 1, m.column - 1, m.line - 1, m.endColumn - 1));
}

async function resolveOrSay(resolver: SourceResolver, fn: FunctionReport): Promise<ResolvedSource | undefined> {
  const source = await resolver.resolve(fn, { interactive: true });
  if (!source) {
    void vscode.window.showInformationMessage(
      `Lambda Behavior: no source for ${fn.name} was found or chosen. A SAM/CloudFormation template, serverless.yml, cdk.out or Terraform file in the workspace that declares it maps it.`,
    );
  }
  return source;
}
