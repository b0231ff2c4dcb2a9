// Which function a command is about: a tree node it was run on, a function name passed by another command, or the user's pick.
import * as vscode from 'vscode';
import type { FunctionReport } from '../core/model';
import { highestSeverity, orderFunctions } from '../report/view-model';
import type { Session } from './session';

/** What commands accept as their first argument: a tree node (it carries `fn`), a function name, or nothing. */
export type FunctionTarget = { fn: FunctionReport } | string | undefined;

/**
 * The function of the last report that the argument names; with no argument, a quick pick of the scanned
 * functions with their last status. Undefined when there is no report or the user dismissed the pick.
 */
export async function functionOf(
  session: Session,
  target: unknown,
  placeHolder = 'Choose a function',
): Promise<FunctionReport | undefined> {
  const functions = session.report?.functions ?? [];
  if (target && typeof target === 'object' && 'fn' in target) {
    const name = (target as { fn: FunctionReport }).fn.name;
    return functions.find((f) => f.name === name) ?? (target as { fn: FunctionReport }).fn;
  }
  if (typeof target === 'string') return functions.find((f) => f.name === target);
  if (functions.length === 0) {
    void vscode.window.showInformationMessage('Lambda Behavior: scan an account first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(functionPicks(functions), { placeHolder, matchOnDescription: true });
  return picked?.fn;
}

export interface FunctionPick extends vscode.QuickPickItem {
  fn: FunctionReport;
}

/** One row per function, worst first, with the last scan's status as the description. */
export function functionPicks(functions: readonly FunctionReport[]): FunctionPick[] {
  return orderFunctions(functions).map((fn) => {
    const worst = highestSeverity(fn.findings);
    const icon = worst === 'high' ? '$(error)' : worst === 'medium' ? '$(warning)' : worst === 'low' ? '$(info)' : '$(pass)';
    const count = fn.findings.length;
    return {
      label: `${icon} ${fn.name}`,
      description: count === 0 ? 'no findings' : `${count} finding${count === 1 ? '' : 's'}${worst ? ` · worst ${worst}` : ''}`,
      detail: [fn.runtime, fn.inVpc ? 'in a VPC' : 'not in a VPC'].filter(Boolean).join(' · '),
      fn,
    };
  });
}
