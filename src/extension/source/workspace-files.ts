// SourceFiles over VS Code's workspace: findFiles and workspace.fs for the open folders, a bounded walk for one folder elsewhere (the bundled demo source).
import * as vscode from 'vscode';
import type { SourceFiles } from '../../source/files';
import { EXCLUDE_GLOB, EXCLUDED_DIRS, globToRegExp } from '../../source/files';

/** A folder walk stops after this many entries: the demo source has a dozen. */
const MAX_WALK_ENTRIES = 5_000;
const SKIP = new Set(EXCLUDED_DIRS);

/**
 * Paths are URI paths (`uri.path`), turned back into URIs with the scheme and authority of the root they are
 * under, so the same code works for local folders and remote ones (code-server, Remote SSH).
 */
export class UriSourceFiles implements SourceFiles {
  private walked: Promise<vscode.Uri[]> | undefined;

  /** `roots` undefined: the workspace's folders, searched with findFiles. Otherwise these folders, walked. */
  constructor(private readonly roots?: readonly vscode.Uri[]) {}

  toUri(path: string): vscode.Uri {
    const roots = this.roots ?? vscode.workspace.workspaceFolders?.map((f) => f.uri) ?? [];
    let best: vscode.Uri | undefined;
    for (const r of roots) {
      const prefix = r.path.endsWith('/') ? r.path : `${r.path}/`;
      if ((path === r.path || path.startsWith(prefix)) && (!best || r.path.length > best.path.length)) best = r;
    }
    return (best ?? roots[0] ?? vscode.Uri.file('/')).with({ path });
  }

  async find(glob: string, limit: number): Promise<string[]> {
    if (!this.roots) {
      const found = await vscode.workspace.findFiles(glob, EXCLUDE_GLOB, limit);
      return found.map((u) => u.path);
    }
    const re = globToRegExp(glob);
    const out: string[] = [];
    for (const uri of await this.walk()) {
      const root = this.roots.find((r) => uri.path.startsWith(`${r.path.replace(/\/$/, '')}/`));
      if (root && re.test(uri.path.slice(root.path.replace(/\/$/, '').length + 1))) out.push(uri.path);
      if (out.length >= limit) break;
    }
    return out;
  }

  async read(path: string, maxBytes: number): Promise<string | undefined> {
    const uri = this.toUri(path);
    // An open editor's text is what the user sees (unsaved edits included): lines must match it.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return open.getText().length <= maxBytes ? open.getText() : undefined;
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (!(stat.type & vscode.FileType.File) || stat.size > maxBytes) return undefined;
      return new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      return undefined;
    }
  }

  async isFile(path: string): Promise<boolean> {
    try {
      return ((await vscode.workspace.fs.stat(this.toUri(path))).type & vscode.FileType.File) !== 0;
    } catch {
      return false;
    }
  }

  private walk(): Promise<vscode.Uri[]> {
    this.walked ??= (async () => {
      const out: vscode.Uri[] = [];
      const stack = [...(this.roots ?? [])];
      let seen = 0;
      while (stack.length > 0 && seen < MAX_WALK_ENTRIES) {
        const dir = stack.pop() as vscode.Uri;
        let entries: [string, vscode.FileType][];
        try {
          entries = await vscode.workspace.fs.readDirectory(dir);
        } catch {
          continue;
        }
        for (const [name, type] of entries) {
          seen++;
          const uri = vscode.Uri.joinPath(dir, name);
          if (type & vscode.FileType.Directory) {
            if (!SKIP.has(name)) stack.push(uri);
          } else if (type & vscode.FileType.File) {
            out.push(uri);
          }
        }
      }
      return out.sort((a, b) => (a.path < b.path ? -1 : 1));
    })();
    return this.walked;
  }
}
