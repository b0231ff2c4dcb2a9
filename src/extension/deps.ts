// What every feature of the extension is given at activation: one object, so that a feature's register function has one parameter to grow.
import type * as vscode from 'vscode';
import type { Session } from './session';

export interface ExtensionDeps {
  readonly session: Session;
  readonly log: vscode.LogOutputChannel;
  /** The extension's own folder: the bundled demo account and its sample source live under media/. */
  readonly extensionUri: vscode.Uri;
}
