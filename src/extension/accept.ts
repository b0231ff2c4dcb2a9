// "Accept as normal": the accepted-behaviour file beside the user's code (the CLI reads the same file), and the command that writes it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { accept, emptyAccepted, parseAccepted, type AcceptedBehaviour } from '../core/accepted';
import { errorMessage } from '../core/errors';
import type { Finding, FunctionReport } from '../core/model';
import { formatTime } from '../report/format';
import { findingsAfterDeploy } from './accept-scope';
import type { ExtensionDeps } from './deps';
import { readSettings } from './settings';
import { functionOf } from './targets';

export interface AcceptFileLocation {
  uri: vscode.Uri;
  /** `workspace` beside the code (to be committed); `storage` in the extension's own storage when no trusted folder is open. */
  where: 'workspace' | 'storage';
}

/**
 * The first workspace folder's `lambdaBehavior.acceptFile` when the workspace is trusted; otherwise a file in the
 * extension's global storage, so that an untrusted folder's file never changes what is reported.
 */
export function acceptFileLocation(globalStorageUri: vscode.Uri): AcceptFileLocation {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder && vscode.workspace.isTrusted) {
    const setting = readSettings().acceptFile;
    const uri = path.isAbsolute(setting) ? vscode.Uri.file(setting) : vscode.Uri.joinPath(folder.uri, ...setting.split(/[\\/]/));
    return { uri, where: 'workspace' };
  }
  return { uri: vscode.Uri.joinPath(globalStorageUri, 'accepted-behaviour.json'), where: 'storage' };
}

/** The accepted behaviour, or undefined when there is no file. A malformed file is an error that names it: nothing is silently reported again. */
export async function readAcceptedFile(location: AcceptFileLocation): Promise<AcceptedBehaviour | undefined> {
  let text: string;
  try {
    text = await fs.readFile(location.uri.fsPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${location.uri.fsPath}: ${errorMessage(err)}`);
  }
  return parseAccepted(text, location.uri.fsPath);
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fs.writeFile(temp, text, 'utf8');
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** The finding a command was run on: a tree FindingNode, or (functionName, findingId); with nothing, a pick. */
async function findingOf(
  deps: ExtensionDeps,
  target: unknown,
  findingId: unknown,
): Promise<{ fn: FunctionReport; finding: Finding } | undefined> {
  if (target && typeof target === 'object' && 'finding' in target && 'fn' in target) {
    const node = target as { fn: FunctionReport; finding: Finding };
    return { fn: node.fn, finding: node.finding };
  }
  const fn = await functionOf(deps.session, target, 'The function whose finding to accept');
  if (!fn) return undefined;
  if (typeof findingId === 'string') {
    const finding = fn.findings.find((f) => f.id === findingId);
    return finding ? { fn, finding } : undefined;
  }
  if (fn.findings.length === 0) {
    void vscode.window.showInformationMessage(`Lambda Behavior: ${fn.name} has no findings to accept.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    fn.findings.map((f) => ({ label: f.title, description: `${f.severity} · ${f.kind}`, detail: f.detail, finding: f })),
    { placeHolder: `Accept which finding of ${fn.name} as normal?`, matchOnDetail: true },
  );
  return picked ? { fn, finding: picked.finding } : undefined;
}

/** What to accept with a finding: `deploy` also takes the function's other findings that started after the same change. */
export type AcceptScope = 'deploy' | 'finding';

/**
 * The findings to accept: the one chosen, or, when it started after a change that other findings of the function
 * also followed, those too if the user says so (or `scope` does). Undefined when the user dismissed the question.
 */
async function findingsToAccept(fn: FunctionReport, finding: Finding, scope: unknown): Promise<Finding[] | undefined> {
  const group = findingsAfterDeploy(fn, finding);
  if (!group || group.findings.length < 2 || scope === 'finding') return [finding];
  if (scope === 'deploy') return group.findings;
  const { deploy, findings } = group;
  const all = {
    label: `Accept all ${findings.length} findings that started after this change`,
    description: `${deploy.eventName} at ${formatTime(deploy.time)}${deploy.by ? ` by ${deploy.by}` : ''}`,
    detail: findings.map((f) => f.title).join(' · '),
    scope: 'deploy' as const,
  };
  const one = { label: 'Accept only this finding', description: '', detail: finding.title, scope: 'finding' as const };
  const picked = await vscode.window.showQuickPick([all, one], {
    title: `Accept as normal: ${fn.name}`,
    placeHolder: `${findings.length} findings of ${fn.name} started after the same change. Accept them all, or only this one?`,
  });
  if (!picked) return undefined;
  return picked.scope === 'deploy' ? findings : [finding];
}

export function registerAccept(context: vscode.ExtensionContext, deps: ExtensionDeps): void {
  const { session, log } = deps;
  context.subscriptions.push(
    // `scope` (AcceptScope) answers the deploy question for callers that know already; without it the user is asked.
    vscode.commands.registerCommand('lambdaBehavior.accept', async (target?: unknown, findingId?: unknown, scope?: unknown) => {
      const chosen = await findingOf(deps, target, findingId);
      if (!chosen) return false;
      const { fn, finding } = chosen;
      const findings = await findingsToAccept(fn, finding, scope);
      if (!findings) return false;
      const location = acceptFileLocation(context.globalStorageUri);
      let current: AcceptedBehaviour;
      try {
        current = (await readAcceptedFile(location)) ?? emptyAccepted();
      } catch (err) {
        // Never overwrite a file we cannot read: it holds someone's decisions.
        const message = errorMessage(err);
        log.error(`[accept] ${message}`);
        void vscode.window.showErrorMessage(
          `Lambda Behavior: the accepted-behaviour file is not valid, so nothing was written: ${message}`,
        );
        return false;
      }
      const at = new Date().toISOString();
      const next = findings.reduce((doc, f) => accept(doc, fn.name, f, at), current);
      try {
        if (next !== current) await writeAtomic(location.uri.fsPath, JSON.stringify(next, null, 2) + '\n');
      } catch (err) {
        const message = errorMessage(err);
        log.error(`[accept] could not write ${location.uri.fsPath}: ${message}`);
        void vscode.window.showErrorMessage(`Lambda Behavior: could not write ${location.uri.fsPath}: ${message}`);
        return false;
      }
      for (const f of findings) {
        session.removeFinding(fn.name, f.id);
        log.info(`[accept] ${fn.name}: ${f.kind} ${f.subject} accepted in ${location.uri.fsPath}`);
      }
      const where =
        location.where === 'workspace'
          ? vscode.workspace.asRelativePath(location.uri)
          : "the extension's storage (open a trusted folder to keep it beside your code)";
      const what = findings.length === 1 ? finding.subject : `${findings.length} findings`;
      void vscode.window.setStatusBarMessage(`$(check) Lambda Behavior: accepted ${what} for ${fn.name} in ${where}`, 5000);
      return true;
    }),
  );
}
