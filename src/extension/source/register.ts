// The function's source in the editor: source mapping, "Open function source", diagnostics and CodeLens. (Placeholder.)
import type * as vscode from 'vscode';
import type { ExtensionDeps } from '../deps';

export function registerSourceFeatures(_context: vscode.ExtensionContext, _deps: ExtensionDeps): { readonly kind: 'source' } {
  return { kind: 'source' };
}
