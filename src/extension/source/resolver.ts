// Which file is a scanned function's handler: a choice the user made, the workspace's descriptors, the bundled demo source, or (only when the user asks for the source) a pick.
import * as vscode from 'vscode';
import type { FunctionReport } from '../../core/model';
import type { Logger } from '../../core/ports';
import { basename, dirname } from '../../source/files';
import { handlerRefs, NODE_EXTENSIONS } from '../../source/handler';
import type { HandlerSource } from '../../source/mapping';
import { handlerSourceAt, mapFunction } from '../../source/mapping';
import type { Project } from '../../source/project';
import type { ExtensionDeps } from '../deps';
import { Disposable } from '../disposable';
import { engineLogger } from '../log';
import { projectModule } from './project-loader';
import { UriSourceFiles } from './workspace-files';

export type SourceOrigin = 'remembered' | 'workspace' | 'demo' | 'chosen';

export interface ResolvedSource extends HandlerSource {
  uri: vscode.Uri;
  origin: SourceOrigin;
  /** Reads the handler's folder (its imports), with the same roots the handler was found under. */
  files: UriSourceFiles;
}

/** Asks the user where a function's source is; replaceable (the extension-host tests count the questions). */
export interface SourcePrompt {
  pick(fn: FunctionReport, candidates: readonly vscode.Uri[]): Promise<vscode.Uri | undefined>;
}

/** workspaceState key: function ARN → the URI the user chose for its handler. */
const CHOICES_KEY = 'lambdaBehavior.sourceChoices';

/** Files that change what the descriptors say: a change to any reloads the project (debounced). */
const WATCH_GLOB =
  '**/{template.yaml,template.yml,template.json,*.template.yaml,*.template.yml,*.template.json,serverless.yml,serverless.yaml,samconfig.toml,manifest.json,*.tf}';

export class SourceResolver extends Disposable {
  prompt: SourcePrompt = quickPickPrompt;
  private readonly log: Logger;
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  /** Fires when the workspace's descriptors changed: mappings may differ. */
  readonly onDidChange = this.changed.event;
  private workspaceFiles = new UriSourceFiles();
  private workspaceProject: Promise<Project> | undefined;
  private demoProject: Promise<{ files: UriSourceFiles; project: Project }> | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: ExtensionDeps,
  ) {
    super();
    this.log = engineLogger(deps.log);
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.invalidate()));
    this.register({ dispose: () => clearTimeout(this.reloadTimer) });
  }

  /**
   * The function's handler. `interactive`: the user asked for the source (a command), so when nothing maps it
   * they are asked once, and the answer is remembered. Never interactive from a background computation.
   */
  async resolve(fn: FunctionReport, options: { interactive: boolean }): Promise<ResolvedSource | undefined> {
    const remembered = await this.fromRemembered(fn);
    if (remembered) return remembered;

    if (vscode.workspace.workspaceFolders?.length) {
      const project = await this.project();
      const source = await mapFunction(this.workspaceFiles, project, fn);
      if (source) return this.resolved(source, this.workspaceFiles, 'workspace');
    }
    if (this.deps.session.connection?.kind === 'demo') {
      const demo = await this.demo();
      const source = await mapFunction(demo.files, demo.project, fn);
      if (source) return this.resolved(source, demo.files, 'demo');
    }
    if (!options.interactive) return undefined;

    const chosen = await this.prompt.pick(fn, await this.candidates(fn));
    if (!chosen) return undefined;
    const files = new UriSourceFiles([chosen.with({ path: dirname(chosen.path) })]);
    const source = await handlerSourceAt(files, chosen.path, fn, `chosen by you for ${fn.name}`);
    if (!source) {
      void vscode.window.showWarningMessage(`Lambda Behavior: ${basename(chosen.path)} is not a JavaScript, TypeScript or Python file.`);
      return undefined;
    }
    await this.remember(fn, chosen);
    this.deps.log.info(`[source] ${fn.name}: remembered ${chosen.toString(true)} as its handler`);
    return this.resolved(source, files, 'chosen');
  }

  /** The user's choice for this function, if any. */
  rememberedUri(fn: Pick<FunctionReport, 'arn'>): vscode.Uri | undefined {
    const uri = this.context.workspaceState.get<Record<string, string>>(CHOICES_KEY, {})[fn.arn];
    return uri ? vscode.Uri.parse(uri) : undefined;
  }

  async remember(fn: Pick<FunctionReport, 'arn'>, uri: vscode.Uri): Promise<void> {
    const choices = { ...this.context.workspaceState.get<Record<string, string>>(CHOICES_KEY, {}), [fn.arn]: uri.toString() };
    await this.context.workspaceState.update(CHOICES_KEY, choices);
    this.changed.fire();
  }

  async forget(fn: Pick<FunctionReport, 'arn'>): Promise<void> {
    const choices = { ...this.context.workspaceState.get<Record<string, string>>(CHOICES_KEY, {}) };
    delete choices[fn.arn];
    await this.context.workspaceState.update(CHOICES_KEY, choices);
    this.changed.fire();
  }

  /**
   * Loads the workspace's project ahead of the first mapping: loading it (the YAML module, a findFiles, parsing the
   * templates) on the first report held the extension host's thread 50-150 ms under load, inside the scan.
   */
  async warm(): Promise<void> {
    if (vscode.workspace.workspaceFolders?.length) await this.project().catch(() => undefined);
  }

  /** Drops the loaded descriptors: the next resolve reads them again. */
  invalidate(): void {
    this.workspaceProject = undefined;
    this.workspaceFiles = new UriSourceFiles();
    this.changed.fire();
  }

  private async fromRemembered(fn: FunctionReport): Promise<ResolvedSource | undefined> {
    const uri = this.rememberedUri(fn);
    if (!uri) return undefined;
    const files = new UriSourceFiles([uri.with({ path: dirname(uri.path) })]);
    if (!(await files.isFile(uri.path))) {
      this.deps.log.info(`[source] ${fn.name}: the remembered handler ${uri.toString(true)} is gone; mapping again`);
      await this.forget(fn);
      return undefined;
    }
    const source = await handlerSourceAt(files, uri.path, fn, 'remembered choice');
    return source && this.resolved(source, files, 'remembered');
  }

  private resolved(source: HandlerSource, files: UriSourceFiles, origin: SourceOrigin): ResolvedSource {
    return { ...source, uri: files.toUri(source.file), origin, files };
  }

  private project(): Promise<Project> {
    if (!this.watcher) {
      // Created on first use, not at activation: a watcher is cheap, but nothing needs it before a mapping.
      this.watcher = vscode.workspace.createFileSystemWatcher(WATCH_GLOB);
      const reload = () => {
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => this.invalidate(), 500);
      };
      this.register(this.watcher);
      this.register(this.watcher.onDidCreate(reload));
      this.register(this.watcher.onDidChange(reload));
      this.register(this.watcher.onDidDelete(reload));
    }
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.path;
    this.workspaceProject ??= Promise.resolve().then(() =>
      projectModule().loadProject(this.workspaceFiles, { log: this.log, displayRoot: root }),
    );
    return this.workspaceProject;
  }

  private demo(): Promise<{ files: UriSourceFiles; project: Project }> {
    this.demoProject ??= (async () => {
      const root = vscode.Uri.joinPath(this.deps.extensionUri, 'media', 'demo-source');
      const files = new UriSourceFiles([root]);
      return { files, project: await projectModule().loadProject(files, { log: this.log, displayRoot: root.path }) };
    })();
    return this.demoProject;
  }

  /** Workspace files named like the handler's module (`index.ts`, `app.py`), those whose path names the function first. */
  private async candidates(fn: FunctionReport): Promise<vscode.Uri[]> {
    if (!vscode.workspace.workspaceFolders?.length) return [];
    const names = new Set<string>();
    for (const ref of handlerRefs(fn.handler, fn.runtime)) for (const f of ref.files) names.add(basename(f));
    if (names.size === 0) for (const ext of [...NODE_EXTENSIONS, 'py']) names.add(`*.${ext}`);
    const found = await vscode.workspace.findFiles(
      `**/{${[...names].join(',')}}`,
      '**/{node_modules,.git,.aws-sam,.serverless,.terraform,cdk.out,dist,build}/**',
      200,
    );
    const key = fn.name.toLowerCase().replace(/[^a-z0-9]/g, '');
    const score = (u: vscode.Uri) =>
      u.path
        .toLowerCase()
        .replace(/[^a-z0-9/]/g, '')
        .includes(key)
        ? 0
        : 1;
    return found.sort((a, b) => score(a) - score(b) || a.path.localeCompare(b.path)).slice(0, 50);
  }
}

/** A quick pick of candidate files and "Browse…", which opens a file dialog. */
const quickPickPrompt: SourcePrompt = {
  async pick(fn, candidates) {
    const browse: vscode.QuickPickItem = { label: '$(folder-opened) Browse…', description: 'choose the handler file', alwaysShow: true };
    const items: Array<vscode.QuickPickItem & { uri?: vscode.Uri }> = [
      ...candidates.map((uri) => ({ label: basename(uri.path), description: vscode.workspace.asRelativePath(uri, true), uri })),
      browse,
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: `Where is the source of ${fn.name}?`,
      placeHolder: `No template in the workspace maps ${fn.name}${fn.handler ? ` (handler ${fn.handler})` : ''}: choose its handler file; the choice is remembered`,
      matchOnDescription: true,
    });
    if (!picked) return undefined;
    if (picked.uri) return picked.uri;
    const chosen = await vscode.window.showOpenDialog({
      title: `The handler file of ${fn.name}`,
      canSelectMany: false,
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      filters: { 'Lambda handlers': [...NODE_EXTENSIONS, 'py'] },
    });
    return chosen?.[0];
  },
};
