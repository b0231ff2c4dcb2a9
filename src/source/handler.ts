// A Lambda handler string as files and a symbol: `src/index.handler` → src/index.{ts,js,...} and `handler`; `pkg.app.lambda_handler` → pkg/app.py; and where the symbol is defined.
import type { SourceLanguage } from './code-text';
import { LineIndex, maskCode } from './code-text';
import { joinPath } from './files';

export type RuntimeFamily = 'node' | 'python';

/** Node or Python from a Lambda runtime id (`nodejs20.x`, `python3.12`); undefined for any other or none. */
export function runtimeFamily(runtime: string | undefined): RuntimeFamily | undefined {
  if (!runtime) return undefined;
  if (/^nodejs/i.test(runtime)) return 'node';
  if (/^python/i.test(runtime)) return 'python';
  return undefined;
}

/** TypeScript first: the source a developer edits, not what a build emitted beside it. */
export const NODE_EXTENSIONS = ['ts', 'mts', 'cts', 'tsx', 'js', 'mjs', 'cjs', 'jsx'];

export interface HandlerRef {
  family: RuntimeFamily;
  /** Candidate files relative to the code folder, best first. */
  files: string[];
  /** The exported name the runtime calls. */
  symbol: string;
}

/**
 * What a handler string names, for one runtime family or (runtime unknown) both. Node: the module is the path up
 * to the first dot of the last segment (`src/api.handlers.main` → module `src/api`, symbol `handlers`, as the
 * Node runtime splits it). Python: the module is everything before the last dot, dots as folders.
 */
export function handlerRefs(handler: string | undefined, runtime: string | undefined): HandlerRef[] {
  const h = handler?.trim();
  if (!h || h.length > 512 || /[\s\0]/.test(h)) return [];
  const family = runtimeFamily(runtime);
  // A runtime that is neither Node nor Python (java21, provided.al2023, ...) has handlers this code cannot map.
  if (runtime && !family) return [];
  const refs: HandlerRef[] = [];
  if (!family || family === 'node') {
    const slash = h.lastIndexOf('/');
    const dir = h.slice(0, slash + 1);
    const m = /^([^.]+)\.(.+)$/.exec(h.slice(slash + 1));
    if (m && !dir.split('/').includes('..')) {
      const module = `${dir}${m[1]}`;
      refs.push({ family: 'node', files: NODE_EXTENSIONS.map((ext) => `${module}.${ext}`), symbol: m[2].split('.')[0] });
    }
  }
  if (!family || family === 'python') {
    const dot = h.lastIndexOf('.');
    if (dot > 0 && !h.includes('/')) {
      const module = h.slice(0, dot).replace(/\./g, '/');
      const symbol = h.slice(dot + 1);
      if (/^[A-Za-z_]\w*$/.test(symbol) && /^[A-Za-z_][\w/]*$/.test(module)) {
        refs.push({ family: 'python', files: [`${module}.py`, `${module}/__init__.py`], symbol });
      }
    }
  }
  return refs;
}

/** Candidate absolute paths under a code folder. */
export function handlerCandidates(codeDir: string, ref: HandlerRef): string[] {
  return ref.files.map((f) => joinPath(codeDir, f));
}

export interface SymbolLocation {
  /** 1-based. */
  line: number;
  /** 1-based column of the name. */
  column: number;
  /** 1-based column after the name. */
  endColumn: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where the handler is defined: `export const handler =`, `export async function handler(`, `exports.handler =`,
 * `module.exports = { handler }`, `export { main as handler }` (the local `main`), Python `def lambda_handler(`.
 * Undefined when the file does not define it.
 */
export function findHandlerDefinition(text: string, language: SourceLanguage, symbol: string): SymbolLocation | undefined {
  if (!/^[A-Za-z_$][\w$]*$/.test(symbol) || text.length > 4 * 1024 * 1024) return undefined;
  const masked = maskCode(text, language);
  const lines = new LineIndex(text);
  const at = (offset: number, name: string): SymbolLocation => {
    const { line, column } = lines.position(offset);
    return { line, column, endColumn: column + name.length };
  };
  const first = (re: RegExp, group = 1): SymbolLocation | undefined => {
    const m = re.exec(masked);
    if (!m) return undefined;
    const name = m[group];
    return at(m.index + m[0].lastIndexOf(name), name);
  };
  const s = escape(symbol);

  if (language === 'python') {
    return (
      first(new RegExp(`^(?:async[ \\t]+)?def[ \\t]+(${s})[ \\t]*\\(`, 'm')) ??
      first(new RegExp(`^[ \\t]+(?:async[ \\t]+)?def[ \\t]+(${s})[ \\t]*\\(`, 'm')) ??
      first(new RegExp(`^(${s})[ \\t]*=`, 'm'))
    );
  }

  const local = (name: string): SymbolLocation | undefined => {
    const n = escape(name);
    return (
      first(new RegExp(`\\b(?:async\\s+)?function\\s*\\*?\\s*(${n})\\b`)) ??
      first(new RegExp(`\\b(?:const|let|var)\\s+(${n})\\b`)) ??
      first(new RegExp(`\\bclass\\s+(${n})\\b`))
    );
  };
  const direct =
    first(new RegExp(`\\bexport\\s+(?:default\\s+)?(?:async\\s+)?function\\s*\\*?\\s*(${s})\\b`)) ??
    first(new RegExp(`\\bexport\\s+(?:const|let|var)\\s+(${s})\\b`)) ??
    first(new RegExp(`\\b(?:module\\s*\\.\\s*)?exports\\s*\\.\\s*(${s})\\s*=`));
  if (direct) return direct;
  // `export { main as handler }` / `export { handler }`: the local definition is where the code is.
  const renamed = new RegExp(`\\bexport\\s*\\{[^}]*?\\b([A-Za-z_$][\\w$]*)\\s+as\\s+(${s})\\b`).exec(masked);
  if (renamed) return local(renamed[1]) ?? at(renamed.index + renamed[0].lastIndexOf(renamed[2]), renamed[2]);
  const listed = new RegExp(`\\b(?:export\\s*|module\\s*\\.\\s*exports\\s*=\\s*)\\{[^}]*?\\b(${s})\\b`).exec(masked);
  if (listed) {
    const pair = new RegExp(`^${s}\\s*:\\s*([A-Za-z_$][\\w$]*)`).exec(masked.slice(listed.index + listed[0].length - symbol.length));
    return local(pair?.[1] ?? symbol) ?? at(listed.index + listed[0].length - symbol.length, symbol);
  }
  return undefined;
}
