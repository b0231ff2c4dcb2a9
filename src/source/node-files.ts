// SourceFiles over node:fs, for the unit tests and the CLI: a bounded walk of the roots that skips the excluded folders.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { SourceFiles } from './files';
import { EXCLUDED_DIRS, globToRegExp } from './files';

const SKIP = new Set(EXCLUDED_DIRS);
/** A walk gives up after this many entries: a source search must never crawl a whole disk. */
const MAX_ENTRIES = 50_000;

export class NodeSourceFiles implements SourceFiles {
  private listing: Promise<Array<{ root: string; rel: string }>> | undefined;

  constructor(private readonly roots: readonly string[]) {}

  async find(glob: string, limit: number): Promise<string[]> {
    const re = globToRegExp(glob);
    const out: string[] = [];
    for (const { root, rel } of await this.list()) {
      if (re.test(rel)) out.push(path.posix.join(root, rel));
      if (out.length >= limit) break;
    }
    return out;
  }

  async read(file: string, maxBytes: number): Promise<string | undefined> {
    try {
      const stat = await fs.stat(file);
      if (!stat.isFile() || stat.size > maxBytes) return undefined;
      return await fs.readFile(file, 'utf8');
    } catch {
      return undefined;
    }
  }

  async isFile(file: string): Promise<boolean> {
    try {
      return (await fs.stat(file)).isFile();
    } catch {
      return false;
    }
  }

  private list(): Promise<Array<{ root: string; rel: string }>> {
    this.listing ??= (async () => {
      const out: Array<{ root: string; rel: string }> = [];
      for (const root of this.roots) {
        const stack = [''];
        while (stack.length > 0 && out.length < MAX_ENTRIES) {
          const dir = stack.pop() as string;
          let entries: import('node:fs').Dirent[];
          try {
            entries = await fs.readdir(path.join(root, dir), { withFileTypes: true });
          } catch {
            continue;
          }
          for (const e of entries) {
            const rel = dir ? `${dir}/${e.name}` : e.name;
            if (e.isDirectory()) {
              if (!SKIP.has(e.name)) stack.push(rel);
            } else if (e.isFile()) {
              out.push({ root: root.replace(/\\/g, '/'), rel });
            }
          }
        }
      }
      return out.sort((a, b) => (a.root + a.rel < b.root + b.rel ? -1 : 1));
    })();
    return this.listing;
  }
}
