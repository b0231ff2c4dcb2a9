// One owner per lifetime: a small base that registers what a class owns and disposes it once, newest first.
import type * as vscode from 'vscode';

/**
 * Disposes everything it registered, once, in reverse order (a listener goes before the emitter it listens to);
 * registering after disposal disposes the new thing at once, so that nothing outlives its owner.
 */
export abstract class Disposable implements vscode.Disposable {
  private owned: vscode.Disposable[] = [];
  private disposed = false;

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  protected register<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.owned.push(d);
    return d;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const owned = this.owned;
    this.owned = [];
    // One failing dispose must not leave the rest alive: dispose all, then report the first failure.
    let failure: { error: unknown } | undefined;
    for (let i = owned.length - 1; i >= 0; i--) {
      try {
        owned[i].dispose();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}
