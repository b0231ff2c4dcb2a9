// A CodeLens on each mapped handler's definition: the function's Lambda Behavior alert count, which opens its behaviour diff.
import * as vscode from 'vscode';
import { languageOfPath } from '../../source/code-text';
import { findHandlerDefinition } from '../../source/handler';
import type { SourceDiagnostics } from './diagnostics';
import { oneLine } from './text';

export const CODE_LENS_SELECTOR: vscode.DocumentSelector = [
  { language: 'javascript' },
  { language: 'typescript' },
  { language: 'javascriptreact' },
  { language: 'typescriptreact' },
  { language: 'python' },
];

export class HandlerCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly diagnostics: SourceDiagnostics) {
    this.subscription = diagnostics.onDidChangeHandlers(() => this.changed.fire());
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const entries = this.diagnostics.handlersIn(document.uri);
    if (entries.length === 0) return [];
    const language = languageOfPath(document.uri.path);
    const text = document.getText();
    return entries.map(({ fn, source }) => {
      // The live text: the definition may have moved since the mapping read the file.
      const d = (language && findHandlerDefinition(text, language, source.symbol)) || source.definition;
      const line = d ? Math.min(d.line - 1, document.lineCount - 1) : 0;
      const n = fn.findings.length;
      const name = oneLine(fn.name, 64);
      const count = n === 0 ? 'no new behaviour' : `${n} Lambda Behavior alert${n === 1 ? '' : 's'}`;
      const title = entries.length > 1 ? `$(bell) ${name}: ${count}` : `$(bell) ${count}`;
      const tooltip =
        n === 0
          ? `${name}: nothing new against its baseline. Show the behaviour diff.`
          : oneLine(fn.findings.map((f) => f.title).join('; '), 400);
      return new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
        title,
        tooltip,
        command: 'lambdaBehavior.showDiff',
        arguments: [fn.name],
      });
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
