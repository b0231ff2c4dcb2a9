// The function's source in the editor: source mapping, "Open function source", "Reveal the code that makes this call", diagnostics and the handler CodeLens.
import * as vscode from 'vscode';
import type { ExtensionDeps } from '../deps';
import { HandlerCodeLensProvider, CODE_LENS_SELECTOR } from './code-lens';
import { openSource, revealApiCall } from './commands';
import { SourceDiagnostics } from './diagnostics';
import { SourceResolver } from './resolver';

export interface SourceFeatures {
  readonly resolver: SourceResolver;
  readonly diagnostics: SourceDiagnostics;
  readonly codeLens: HandlerCodeLensProvider;
}

/** Registers providers and commands only: no file is read until a report exists and something asks. */
export function registerSourceFeatures(context: vscode.ExtensionContext, deps: ExtensionDeps): SourceFeatures {
  const resolver = new SourceResolver(context, deps);
  const diagnostics = new SourceDiagnostics(deps, resolver);
  const codeLens = new HandlerCodeLensProvider(diagnostics);
  context.subscriptions.push(
    resolver,
    diagnostics,
    codeLens,
    vscode.languages.registerCodeLensProvider(CODE_LENS_SELECTOR, codeLens),
    vscode.commands.registerCommand('lambdaBehavior.openSource', (target: unknown) => openSource(deps, resolver, target)),
    vscode.commands.registerCommand('lambdaBehavior.revealApiCall', (...args: unknown[]) => revealApiCall(deps, resolver, ...args)),
  );
  return { resolver, diagnostics, codeLens };
}
