// The files a handler imports relative to itself (JS/TS `./x`, Python modules of its own code folder): where its AWS calls may be made.
import type { SourceLanguage } from './code-text';
import { languageOfPath, maskCode } from './code-text';
import type { SourceFiles } from './files';
import { dirname, isInside, joinPath, MAX_FILE_BYTES, resolvePath } from './files';
import { NODE_EXTENSIONS } from './handler';

/** Relative import specifiers of a JS/TS file (`./db`, `../lib/aws.js`) or module names of a Python file (`.db`, `lib.aws`). */
export function importSpecifiers(text: string, language: SourceLanguage): string[] {
  const masked = maskCode(text, language);
  const out = new Set<string>();
  const stringFrom = (quoteAt: number) => {
    const q = masked[quoteAt];
    const end = masked.indexOf(q, quoteAt + 1);
    return end < 0 ? undefined : text.slice(quoteAt + 1, end);
  };
  if (language === 'python') {
    for (const m of masked.matchAll(/^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+([\w, \t*()]+)/gm)) {
      const base = m[1];
      // `from . import db, util` imports modules; `from .db import query` the module `.db`.
      if (/^\.+$/.test(base)) for (const name of m[2].replace(/[()]/g, '').split(',')) out.add(`${base}${name.trim()}`);
      else out.add(base);
    }
    for (const m of masked.matchAll(/^[ \t]*import[ \t]+([\w., \t]+)/gm)) {
      for (const name of m[1].split(',')) out.add(name.trim().split(/\s+as\s+/)[0]);
    }
  } else {
    for (const m of masked.matchAll(/\b(?:from|require\s*\(|import\s*\(|import)\s*(['"])/g)) {
      const spec = stringFrom((m.index ?? 0) + m[0].length - 1);
      if (spec && spec.startsWith('.')) out.add(spec);
    }
  }
  return [...out].filter((s) => s.length > 0 && s.length < 300);
}

/** Candidate paths of one specifier, best first. */
function candidates(spec: string, fromFile: string, codeDir: string, language: SourceLanguage): string[] {
  if (language === 'python') {
    const dots = /^\.*/.exec(spec)?.[0].length ?? 0;
    const rest = spec.slice(dots).replace(/\./g, '/');
    let base = codeDir;
    if (dots > 0) {
      base = dirname(fromFile);
      for (let i = 1; i < dots; i++) base = dirname(base);
    }
    if (!rest) return [];
    return [joinPath(base, `${rest}.py`), joinPath(base, rest, '__init__.py')];
  }
  const abs = resolvePath(dirname(fromFile), spec);
  const ext = /\.([cm]?js|jsx)$/.exec(abs);
  // TypeScript imports its siblings as `./x.js`: the source is x.ts.
  if (ext) {
    const stem = abs.slice(0, -ext[0].length);
    const ts = ext[1] === 'mjs' ? 'mts' : ext[1] === 'cjs' ? 'cts' : 'ts';
    return [`${stem}.${ts}`, `${stem}.tsx`, abs];
  }
  if (/\.[cm]?tsx?$/.test(abs)) return [abs];
  return [...NODE_EXTENSIONS.map((e) => `${abs}.${e}`), ...NODE_EXTENSIONS.map((e) => joinPath(abs, `index.${e}`))];
}

/**
 * The handler file and the files it imports relative to itself, transitively up to `depth` levels, never outside its
 * code folder (so never into dependencies), at most `maxFiles`. Each with its text, read once.
 */
export async function relatedSources(
  files: SourceFiles,
  entry: string,
  codeDir: string,
  options: { depth?: number; maxFiles?: number; read?: (path: string) => Promise<string | undefined> } = {},
): Promise<Array<{ path: string; text: string; language: SourceLanguage }>> {
  const depth = options.depth ?? 2;
  const maxFiles = options.maxFiles ?? 20;
  const read = options.read ?? ((p: string) => files.read(p, MAX_FILE_BYTES));
  const out: Array<{ path: string; text: string; language: SourceLanguage }> = [];
  const seen = new Set<string>([entry]);
  let level = [entry];
  for (let d = 0; d <= depth && level.length > 0 && out.length < maxFiles; d++) {
    const next: string[] = [];
    for (const path of level) {
      if (out.length >= maxFiles) break;
      const language = languageOfPath(path);
      const text = language ? await read(path) : undefined;
      if (!language || text === undefined) continue;
      out.push({ path, text, language });
      if (d === depth) continue;
      for (const spec of importSpecifiers(text, language)) {
        for (const candidate of candidates(spec, path, codeDir, language)) {
          if (seen.has(candidate) || !isInside(candidate, codeDir) || candidate.split('/').includes('node_modules')) continue;
          if (await files.isFile(candidate)) {
            seen.add(candidate);
            next.push(candidate);
            break;
          }
        }
      }
    }
    level = next;
  }
  return out;
}
