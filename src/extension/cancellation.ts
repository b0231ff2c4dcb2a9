// Turns VS Code's CancellationToken into the AbortSignal the engine takes: the one place where the two meet.
import * as vscode from 'vscode';

/** An AbortSignal that aborts (with a CancellationError) when the token is cancelled; dispose it when the work ends. */
export function abortSignalOf(token: vscode.CancellationToken): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  if (token.isCancellationRequested) {
    controller.abort(new vscode.CancellationError());
    return { signal: controller.signal, dispose: () => undefined };
  }
  const subscription = token.onCancellationRequested(() => controller.abort(new vscode.CancellationError()));
  return { signal: controller.signal, dispose: () => subscription.dispose() };
}
