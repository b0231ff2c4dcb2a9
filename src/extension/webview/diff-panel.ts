// "Show behaviour diff": a webview beside the function's source. (Placeholder: the webview work fills it in.)
import type * as vscode from 'vscode';
import type { ExtensionDeps } from '../deps';

export function registerDiffView(_context: vscode.ExtensionContext, _deps: ExtensionDeps): { readonly kind: 'diffView' } {
  return { kind: 'diffView' };
}
