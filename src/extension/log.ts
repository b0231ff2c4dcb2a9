// The extension's one log: a LogOutputChannel, and the engine's Logger written into it.
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';

export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Lambda Behavior', { log: true });
}

/** The engine logs through this small interface; its messages already carry a `[component]` prefix. */
export function engineLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    info: (message) => channel.info(message),
    warn: (message) => channel.warn(message),
    debug: (message) => channel.debug(message),
  };
}
