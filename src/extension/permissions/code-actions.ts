// The code action on a policy's lines in a template (SAM, CloudFormation, serverless.yml, Terraform): "tighten to what the functions used", which runs the proposal and its refactor preview.
import * as vscode from 'vscode';
import type { FunctionReport } from '../../core/model';
import { errorMessage } from '../../core/errors';
import type { ExtensionDeps } from '../deps';
import { projectModule } from '../source/project-loader';
import { candidateProjects } from './propose';

export const PROPOSE_COMMAND = 'lambdaBehavior.proposeLeastPrivilege';

export const POLICY_DOCUMENT_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', language: 'yaml' },
  { scheme: 'file', language: 'json' },
  { scheme: 'file', pattern: '**/*.tf' },
  { scheme: 'vscode-remote', language: 'yaml' },
  { scheme: 'vscode-remote', pattern: '**/*.tf' },
];

interface PolicyLines {
  startLine: number;
  endLine: number;
  label: string;
  functions: FunctionReport[];
}

export class PolicyCodeActions implements vscode.CodeActionProvider {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.RefactorRewrite];
  /** Per report, the policies each document holds (mapping only: no IAM read until the action runs). */
  private cache: { report: unknown; byDocument: Promise<Map<string, PolicyLines[]>> } | undefined;

  constructor(private readonly deps: ExtensionDeps) {}

  async provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection): Promise<vscode.CodeAction[]> {
    if (!this.deps.session.report) return [];
    let policies: PolicyLines[];
    try {
      policies = (await this.policies()).get(document.uri.toString()) ?? [];
    } catch (err) {
      this.deps.log.warn(`[permissions] policy lines not found: ${errorMessage(err)}`);
      return [];
    }
    const line = range.start.line + 1;
    const lastLine = range.end.line + 1;
    return policies
      .filter((p) => line <= p.endLine && lastLine >= p.startLine)
      .map((p) => {
        const names = p.functions.map((f) => f.name);
        const action = new vscode.CodeAction(
          `Lambda Behavior: tighten ${p.label} to what ${names.join(', ')} used`,
          vscode.CodeActionKind.RefactorRewrite,
        );
        // The proposal needs IAM reads: it runs as the command, which shows its edit in the refactor preview.
        action.command = { command: PROPOSE_COMMAND, title: 'Propose Least Privilege', arguments: [names[0]] };
        return action;
      });
  }

  /** Drops the mapped policies (a new report, a changed descriptor). */
  invalidate(): void {
    this.cache = undefined;
  }

  private policies(): Promise<Map<string, PolicyLines[]>> {
    const report = this.deps.session.report;
    const cache =
      this.cache && this.cache.report === report ? this.cache : { report, byDocument: this.mapPolicies(report?.functions ?? []) };
    this.cache = cache;
    return cache.byDocument;
  }

  private async mapPolicies(functions: readonly FunctionReport[]): Promise<Map<string, PolicyLines[]>> {
    const module = projectModule();
    const out = new Map<string, PolicyLines[]>();
    const projects = await candidateProjects(this.deps);
    for (const fn of functions) {
      for (const { files, project } of projects) {
        const found = await module.functionPolicySource(files, project, fn);
        if (!found) continue;
        const location = found.location;
        if (location) {
          const key = files.toUri(location.path).toString();
          const list = out.get(key) ?? [];
          // Functions sharing a role share its policy: one action for all of them.
          const same = list.find((p) => p.startLine === location.startLine && p.label === location.label);
          if (same) same.functions.push(fn);
          else list.push({ startLine: location.startLine, endLine: location.endLine, label: location.label, functions: [fn] });
          out.set(key, list);
        }
        break;
      }
    }
    return out;
  }
}
