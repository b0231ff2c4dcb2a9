// Least privilege in the editor: the "Propose Least Privilege" command (tree context menu, palette) and the code action on a template's policy lines.
import * as vscode from 'vscode';
import type { ExtensionDeps } from '../deps';
import type { DiffViewApi } from '../webview/diff-panel';
import { POLICY_DOCUMENT_SELECTOR, PolicyCodeActions, PROPOSE_COMMAND } from './code-actions';
import { proposeLeastPrivilege } from './propose';
import { permissionsViews } from './view';

export interface PermissionsFeatures {
  readonly codeActions: PolicyCodeActions;
}

/** Registers only: nothing is read, and dist/permissions.js is not loaded, until a proposal is asked for. */
export function registerPermissions(context: vscode.ExtensionContext, deps: ExtensionDeps, diffView: DiffViewApi): PermissionsFeatures {
  const codeActions = new PolicyCodeActions(deps);
  context.subscriptions.push(
    vscode.commands.registerCommand(PROPOSE_COMMAND, (target?: unknown, options?: { apply?: boolean }) =>
      proposeLeastPrivilege(deps, target, options),
    ),
    vscode.languages.registerCodeActionsProvider(POLICY_DOCUMENT_SELECTOR, codeActions, {
      providedCodeActionKinds: PolicyCodeActions.providedCodeActionKinds,
    }),
    // A saved descriptor may have moved its policy's lines; a new report has other functions.
    vscode.workspace.onDidSaveTextDocument(() => codeActions.invalidate()),
    deps.session.onDidChange(() => codeActions.invalidate()),
    // An open behaviour diff of a judged function shows its Permissions section at once: the panel is handed a "ready",
    // which posts its current view again (DiffViewApi has no refresh of its own).
    permissionsViews.onDidChange((names) => {
      for (const name of diffView.openFunctions()) if (names.includes(name)) void diffView.receive(name, { type: 'ready' });
    }),
  );
  return { codeActions };
}
