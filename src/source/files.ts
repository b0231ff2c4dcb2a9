// How source mapping reads the user's files: a small interface (VS Code's workspace in the extension, node:fs in tests), and path helpers.
import * as posix from 'node:path/posix';

/**
 * Files are named by absolute POSIX paths (`/home/me/app/src/index.ts`): the extension turns them into URIs
 * and back, so this code never sees a `vscode.Uri`.
 */
export interface SourceFiles {
  /**
   * Paths of the files under the roots that match a glob (`**` / `*` / `{a,b}`, relative to each root), never
   * inside node_modules or the other folders of EXCLUDED_DIRS. At most `limit` paths.
   */
  find(glob: string, limit: number): Promise<string[]>;
  /** The file's text, or undefined when it does not exist, is not a file, or is larger than `maxBytes`. */
  read(path: string, maxBytes: number): Promise<string | undefined>;
  /** Whether a file (not a folder) exists at the path. */
  isFile(path: string): Promise<boolean>;
}

/**
 * The largest descriptor or source file read (2 MiB). Templates and handlers are far smaller; anything bigger is
 * a bundle, a generated file or data, and reading it would only cost memory and time on every scan.
 */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** Folders never searched: dependencies, VCS data and the build outputs of SAM, Serverless and Terraform. */
export const EXCLUDED_DIRS = ['node_modules', '.git', '.aws-sam', '.serverless', '.terraform', '.venv', 'venv', '__pycache__'];

/** The exclude glob VS Code's findFiles takes for EXCLUDED_DIRS. */
export const EXCLUDE_GLOB = `**/{${EXCLUDED_DIRS.join(',')}}/**`;

export function joinPath(dir: string, ...parts: string[]): string {
  return posix.join(dir, ...parts);
}

export function dirname(path: string): string {
  return posix.dirname(path);
}

export function basename(path: string): string {
  return posix.basename(path);
}

/** `rel` against `dir` unless it is already absolute; `./` and `..` resolved. */
export function resolvePath(dir: string, rel: string): string {
  return posix.resolve(dir, rel.replace(/\\/g, '/'));
}

export function relativePath(from: string, to: string): string {
  return posix.relative(from, to);
}

/** Whether `path` is `dir` or inside it. */
export function isInside(path: string, dir: string): boolean {
  const rel = posix.relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel));
}

/**
 * A glob as a RegExp over a root-relative POSIX path, with the syntax VS Code's findFiles understands and
 * this code uses: `**` (any folders), `*` (within one name), `?`, `{a,b}` (no nesting).
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more folders; a trailing `**` anything.
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) {
        re += '\\{';
        continue;
      }
      const alternatives = glob
        .slice(i + 1, end)
        .split(',')
        .map((a) => globToRegExp(a).source.slice(1, -1));
      re += `(?:${alternatives.join('|')})`;
      i = end;
    } else {
      re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}
