// "Propose Least Privilege": a function's permissions judged against what it used, offered as an edit of its own template (through the refactor preview) or as a document to copy. Never touches AWS's IAM: it only reads.
import * as vscode from 'vscode';
import type { FunctionReport } from '../../core/model';
import { errorMessage } from '../../core/errors';
import type { FunctionPermissions, PermissionsReport } from '../../permissions/model';
import type { PermissionsSource } from '../../permissions/port';
import { listFunctionsInWorker } from '../../node/scan-in-worker';
import { openRecordedPermissions } from '../../replay/iam';
import type { DeclaredFunction } from '../../source/declared';
import type { PolicyLocation } from '../../source/policy-location';
import type { Project } from '../../source/project';
import { abortSignalOf } from '../cancellation';
import type { ExtensionDeps } from '../deps';
import { engineLogger } from '../log';
import type { OpenedSource } from '../session';
import { functionOf } from '../targets';
import { projectModule } from '../source/project-loader';
import { UriSourceFiles } from '../source/workspace-files';
import { permissionsView, permissionsViews } from './view';

/** The policy evaluation and its IAM data (dist/permissions.js), loaded on the first proposal. */
function permissionsModule(): typeof import('../../permissions/analyze') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../permissions/analyze') as typeof import('../../permissions/analyze');
}

/** The live IAM reads (dist/aws-iam.js), loaded only for a live account. */
function awsIamModule(): typeof import('../../aws/iam') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../aws/iam') as typeof import('../../aws/iam');
}

/** Where the function's policy is written, in the workspace or (on the demo account) the bundled demo source. */
export interface PolicyTarget {
  declared: DeclaredFunction;
  uri: vscode.Uri;
  /** Located in the document as it is open now (unsaved changes included). */
  location?: PolicyLocation;
}

export interface Proposal {
  fn: FunctionReport;
  permissions: FunctionPermissions;
  report: PermissionsReport;
  target?: PolicyTarget;
  /** The tightened statements in the template; undefined where the proposal opens as a document instead. */
  edit?: vscode.WorkspaceEdit;
}

/** The permissions of one function (its role judged on every function of the report using it). */
export async function analyseFunction(deps: ExtensionDeps, fn: FunctionReport, signal: AbortSignal): Promise<PermissionsReport> {
  const { session, log } = deps;
  const report = session.report;
  const connection = session.connection;
  if (!report || !connection) throw new Error('scan an account first');
  // A recorded account's function list is read on a worker thread, as its scan is: opening a large recording here
  // (its CloudTrail and metrics JSON) would hold the extension host's thread for seconds. A live account is opened.
  const { replay } = connection;
  const source: OpenedSource | undefined = replay
    ? undefined
    : await connection.open({ flowLogsQuery: 'insights', onNotice: (m) => log.info(`[permissions] ${m}`) });
  let iam: { destroy(): void } | undefined;
  try {
    let reads: PermissionsSource;
    const spec = connection.spec;
    if (spec.kind === 'profile' && source) {
      const aws = awsIamModule();
      const clients = aws.withIam((source as unknown as import('../../aws/source').AwsSource).clients);
      iam = clients;
      reads = new aws.AwsPermissionsSource(clients, connection.label);
    } else {
      const dir = spec.kind === 'scenario' ? spec.dir : vscode.Uri.joinPath(deps.extensionUri, 'media', 'demo').fsPath;
      reads = openRecordedPermissions(dir, connection.label);
    }
    return await permissionsModule().analyzePermissions(report, reads, {
      functions: [fn.name],
      lambdaFunctions: replay ? await listFunctionsInWorker(replay, { signal }) : await source!.listFunctions(signal),
      signal,
    });
  } finally {
    iam?.destroy();
    source?.dispose?.();
  }
}

/** The projects a function may be declared in: the workspace's, then (on the demo account) the bundled demo source's. */
export async function candidateProjects(deps: ExtensionDeps): Promise<Array<{ files: UriSourceFiles; project: Project }>> {
  const out: Array<{ files: UriSourceFiles; project: Project }> = [];
  const log = engineLogger(deps.log);
  const module = projectModule();
  if (vscode.workspace.workspaceFolders?.length) {
    const files = new UriSourceFiles();
    out.push({ files, project: await module.loadProject(files, { log, displayRoot: vscode.workspace.workspaceFolders[0]?.uri.path }) });
  }
  if (deps.session.connection?.kind === 'demo') {
    const root = vscode.Uri.joinPath(deps.extensionUri, 'media', 'demo-source');
    const files = new UriSourceFiles([root]);
    out.push({ files, project: await module.loadProject(files, { log, displayRoot: root.path }) });
  }
  return out;
}

/** The function's declaration and its policy's place, located in the open document's text when it is open. */
export async function policyTarget(deps: ExtensionDeps, fn: FunctionReport): Promise<PolicyTarget | undefined> {
  const module = projectModule();
  for (const { files, project } of await candidateProjects(deps)) {
    const found = await module.functionPolicySource(files, project, fn);
    if (!found) continue;
    if (!found.location) return { declared: found.declared, uri: files.toUri(found.declared.descriptor) };
    const uri = files.toUri(found.location.path);
    const document = await vscode.workspace.openTextDocument(uri);
    const others = (await module.descriptorTexts(files, project, found.declared)).filter((t) => t.path !== found.location!.path);
    const location = module.locatePolicy(found.declared, [{ path: found.location.path, text: document.getText() }, ...others]);
    return { declared: found.declared, uri, ...(location ? { location } : {}) };
  }
  return undefined;
}

/** The edit that puts the proposal in place of the policy's statements: marked for confirmation, so it shows in the preview. */
export function proposalEdit(
  document: vscode.TextDocument,
  location: PolicyLocation,
  permissions: FunctionPermissions,
): vscode.WorkspaceEdit {
  const text = projectModule().policyReplacement(location, permissions.proposal.document as { Version?: string; Statement: unknown[] });
  const edit = new vscode.WorkspaceEdit();
  const range = new vscode.Range(document.positionAt(location.start), document.positionAt(location.end));
  edit.replace(document.uri, range, text, {
    needsConfirmation: true,
    label: `Least privilege for ${permissions.roleFunctions.join(', ')}`,
    description: `${location.label}: the actions ${permissions.roleFunctions.length > 1 ? 'they' : 'it'} used`,
  });
  return edit;
}

export async function buildProposal(deps: ExtensionDeps, fn: FunctionReport, signal: AbortSignal): Promise<Proposal> {
  const report = await analyseFunction(deps, fn, signal);
  const permissions = report.functions.find((f) => f.function === fn.name);
  if (!permissions) throw new Error(`${fn.name} is not in the last scan`);
  if (permissions.roleFailure) throw new Error(`the role of ${fn.name} could not be read: ${permissions.roleFailure.message}`);
  const target = await policyTarget(deps, fn);
  if (!target?.location) return { fn, permissions, report, ...(target ? { target } : {}) };
  const document = await vscode.workspace.openTextDocument(target.uri);
  return { fn, permissions, report, target, edit: proposalEdit(document, target.location, permissions) };
}

/** The proposal as a document to review and copy: the policy, then what to know about it as comments. */
export function proposalDocumentText(proposal: Pick<Proposal, 'permissions' | 'report' | 'target'>): string {
  const p = proposal.permissions;
  const why = proposal.target
    ? `${proposal.target.declared.kind === 'cdk' ? 'The function is declared by CDK: write this in the CDK code' : 'The template does not write this policy inline (managed policies, or a policy built elsewhere)'} (${vscode.workspace.asRelativePath(proposal.target.uri)}).`
    : 'No template in the workspace declares this function.';
  const lines = [
    `// Least privilege for ${p.roleFunctions.join(', ')} (role ${p.roleName ?? p.roleArn ?? '?'}): what the code used from ${proposal.report.window.baselineStart} to ${proposal.report.window.detectEnd}.`,
    `// ${why} Review it, narrow the resources, then deploy it yourself: Lambda Behavior never changes IAM.`,
    ...p.proposal.notes.map((n) => `// - ${n}`),
    ...p.notes.map((n) => `// - ${n}`),
    ...proposal.report.limits.map((l) => `// Not judged: ${l}`),
    JSON.stringify(p.proposal.document, null, 2),
    '',
  ];
  return lines.join('\n');
}

export interface ProposeOptions {
  /** false: build the edit and return it without applying (the extension-host tests). */
  apply?: boolean;
}

/** The command: analyse, then the refactor preview of the template edit, or the proposal as a document. Returns what it built. */
export async function proposeLeastPrivilege(
  deps: ExtensionDeps,
  target: unknown,
  options: ProposeOptions = {},
): Promise<Proposal | undefined> {
  const fn = await functionOf(deps.session, target, 'Propose least privilege for which function?');
  if (!fn) return undefined;
  let proposal: Proposal;
  try {
    proposal = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Lambda Behavior: judging the permissions of ${fn.name}`,
        cancellable: true,
      },
      async (_progress, token) => {
        const abort = abortSignalOf(token);
        try {
          return await buildProposal(deps, fn, abort.signal);
        } finally {
          abort.dispose();
        }
      },
    );
  } catch (err) {
    if (err instanceof vscode.CancellationError) return undefined;
    const message = errorMessage(err);
    deps.log.error(`[permissions] ${fn.name}: ${message}`);
    void vscode.window.showErrorMessage(`Lambda Behavior: no proposal for ${fn.name}: ${message}`);
    return undefined;
  }
  const p = proposal.permissions;
  const report = deps.session.report;
  const where = proposal.edit
    ? `Proposed as an edit of ${proposal.target!.location!.label} in ${vscode.workspace.asRelativePath(proposal.target!.uri)}, through the refactor preview.`
    : 'Proposed as a document to copy: no template here writes this policy inline.';
  // The behaviour diff's Permissions section shows it from now on, for this scan.
  if (report) permissionsViews.remember(report, permissionsView(p, where));
  deps.log.info(
    `[permissions] ${fn.name}: ${p.used.length} action(s) used, ${p.unused.reduce((n, g) => n + g.unusedCount, 0)} granted and unused; ${proposal.edit ? `edit of ${proposal.target!.location!.label} in ${proposal.target!.uri.toString(true)}` : 'no template edit'}`,
  );
  if (options.apply === false) return proposal;
  if (proposal.edit) {
    // needsConfirmation and isRefactoring: the edit opens in the refactor preview, and nothing is written until the user applies it.
    const applied = await vscode.workspace.applyEdit(proposal.edit, { isRefactoring: true });
    if (applied && proposal.target?.location?.notes.length)
      void vscode.window.showInformationMessage(`Lambda Behavior: ${proposal.target.location.notes.join(' ')}`);
    return proposal;
  }
  const document = await vscode.workspace.openTextDocument({ language: 'jsonc', content: proposalDocumentText(proposal) });
  await vscode.window.showTextDocument(document, { preview: false });
  return proposal;
}
