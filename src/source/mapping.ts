// Maps a scanned function to its source: the declaration that deployed it (logical-id tag, then name, then a unique handler), then the handler file and line.
import type { FunctionReport } from '../core/model';
import type { SourceLanguage } from './code-text';
import { languageOfPath } from './code-text';
import type { DeclaredFunction, DescriptorKind } from './declared';
import type { SourceFiles } from './files';
import { basename, dirname, isInside, joinPath, MAX_FILE_BYTES, resolvePath } from './files';
import type { SymbolLocation } from './handler';
import { findHandlerDefinition, handlerCandidates, handlerRefs, runtimeFamily } from './handler';
import type { Project } from './project';

export const LOGICAL_ID_TAG = 'aws:cloudformation:logical-id';
export const STACK_NAME_TAG = 'aws:cloudformation:stack-name';

/** How the declaration was chosen, strongest first. */
export type MatchVia = 'logical-id' | 'function-name' | 'name-pattern' | 'handler';

export interface DeclarationMatch {
  declared: DeclaredFunction;
  via: MatchVia;
}

/** What the mapping needs of a function: the scan report's FunctionReport has it. */
export type MappedFunction = Pick<FunctionReport, 'name' | 'handler' | 'runtime' | 'tags'>;

/** Source over synthesised output: a SAM template is what a developer edits, cdk.out is generated. */
const KIND_RANK: Record<DescriptorKind, number> = { sam: 0, cloudformation: 1, serverless: 2, terraform: 3, cdk: 4 };

/**
 * The declaration of a deployed function. Its CloudFormation logical-id tag is the surest link (narrowed by the
 * stack-name tag when several templates use the same id), then an exact deployed name, then a name pattern that
 * only one declaration matches, then a handler string that only one declaration has.
 */
export function matchDeclaration(fn: MappedFunction, functions: readonly DeclaredFunction[]): DeclarationMatch | undefined {
  const tags = fn.tags ?? {};
  const logicalId = tags[LOGICAL_ID_TAG];
  const stack = tags[STACK_NAME_TAG];
  const narrow = (found: DeclaredFunction[]): DeclaredFunction => {
    let best = found;
    const keep = (pred: (d: DeclaredFunction) => boolean) => {
      const kept = best.filter(pred);
      if (kept.length > 0) best = kept;
    };
    if (stack) keep((d) => d.stackNames.includes(stack));
    if (fn.handler) keep((d) => d.handler === fn.handler);
    return [...best].sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind] || a.descriptor.localeCompare(b.descriptor))[0];
  };

  if (logicalId) {
    const found = functions.filter((d) => d.logicalIds.includes(logicalId));
    // With a stack-name tag, a declaration of another known stack is not this function.
    const inStack = stack ? found.filter((d) => d.stackNames.length === 0 || d.stackNames.includes(stack)) : found;
    if (inStack.length > 0) return { declared: narrow(inStack), via: 'logical-id' };
  }
  const named = functions.filter((d) => d.functionName === fn.name);
  if (named.length > 0) return { declared: narrow(named), via: 'function-name' };
  const patterned = functions.filter((d) => d.functionName !== fn.name && d.namePattern?.test(fn.name));
  if (patterned.length === 1) return { declared: patterned[0], via: 'name-pattern' };
  if (fn.handler) {
    const family = runtimeFamily(fn.runtime);
    const byHandler = functions.filter((d) => d.handler === fn.handler && (!family || !d.runtime || runtimeFamily(d.runtime) === family));
    const pool = patterned.length > 1 ? byHandler.filter((d) => patterned.includes(d)) : byHandler;
    if (pool.length === 1) return { declared: pool[0], via: patterned.length > 1 ? 'name-pattern' : 'handler' };
  }
  return undefined;
}

export interface HandlerSource {
  /** Absolute path of the handler file. */
  file: string;
  language: SourceLanguage;
  /** The exported name the runtime calls. */
  symbol: string;
  /** Where the symbol is defined; undefined when the file does not define it visibly (re-exports, generated code). */
  definition?: SymbolLocation;
  /** The folder the handler path is relative to: imports are followed inside it. */
  codeDir: string;
  /** Why this file: the declaration and how it was matched (undefined for a file the user chose). */
  match?: DeclarationMatch;
  /** How the file was found, for the log: `template.yaml (logical-id OrderApiFunction)`, `source map of cdk.out/asset.x/index.js`. */
  note: string;
}

/**
 * The handler file of a matched declaration. The deployed handler string and runtime win over the declared ones
 * (they are what runs). TypeScript is preferred to JavaScript beside it; a JavaScript file with a source map is
 * traced to its source; a CDK asset (a copy in cdk.out) is traced to the workspace file it was copied from.
 */
export async function resolveHandlerSource(
  files: SourceFiles,
  fn: MappedFunction,
  match: DeclarationMatch,
): Promise<HandlerSource | undefined> {
  const d = match.declared;
  const refs = handlerRefs(fn.handler ?? d.handler, fn.runtime ?? d.runtime);
  if (refs.length === 0 || !d.codeDir) return undefined;
  const why = `${d.id} in ${basename(d.descriptor)} (${match.via})`;

  for (const ref of refs) {
    const tried = [
      ...d.entryPoints.filter((e) => languageOfPath(e) && (ref.family === 'python') === (languageOfPath(e) === 'python')),
      ...handlerCandidates(d.codeDir, ref),
    ];
    for (const candidate of tried) {
      if (!(await files.isFile(candidate))) continue;
      let file = candidate;
      let note = why;
      let codeDir = d.codeDir;
      const inAssembly = d.kind === 'cdk' && d.codeDir.split('/').includes('cdk.out');
      if (inAssembly || (ref.family === 'node' && /\.[cm]?js$/.test(file))) {
        const traced =
          (ref.family === 'node' && /\.[cm]?js$/.test(file) ? await fromSourceMap(files, file, ref.symbol) : undefined) ??
          (inAssembly ? await fromAssetCopy(files, file, d.codeDir) : undefined);
        if (traced) {
          note = `${why}, ${traced.note}`;
          file = traced.file;
          codeDir = dirname(traced.file);
        }
      }
      return await located(files, file, ref.symbol, codeDir, note, match);
    }
  }
  return undefined;
}

/** A file the user chose (or any file) as a HandlerSource, with the symbol's definition found in it. */
export async function handlerSourceAt(
  files: SourceFiles,
  file: string,
  fn: MappedFunction,
  note: string,
): Promise<HandlerSource | undefined> {
  const refs = handlerRefs(fn.handler, fn.runtime);
  const language = languageOfPath(file);
  if (!language) return undefined;
  const ref = refs.find((r) => (r.family === 'python') === (language === 'python'));
  return located(files, file, ref?.symbol ?? (language === 'python' ? 'lambda_handler' : 'handler'), dirname(file), note, undefined);
}

async function located(
  files: SourceFiles,
  file: string,
  symbol: string,
  codeDir: string,
  note: string,
  match: DeclarationMatch | undefined,
): Promise<HandlerSource | undefined> {
  const language = languageOfPath(file);
  if (!language) return undefined;
  const text = await files.read(file, MAX_FILE_BYTES);
  const definition = text === undefined ? undefined : findHandlerDefinition(text, language, symbol);
  return { file, language, symbol, definition, codeDir, match, note };
}

/** A bundle's source map names its sources: the first (from the end, where the entry is) that defines the handler. */
async function fromSourceMap(files: SourceFiles, jsFile: string, symbol: string): Promise<{ file: string; note: string } | undefined> {
  const mapText = await files.read(`${jsFile}.map`, MAX_FILE_BYTES);
  if (!mapText) return undefined;
  let map: { sources?: unknown; sourceRoot?: unknown };
  try {
    map = JSON.parse(mapText);
  } catch {
    return undefined;
  }
  if (!Array.isArray(map.sources)) return undefined;
  const root = resolvePath(dirname(jsFile), typeof map.sourceRoot === 'string' ? map.sourceRoot : '');
  const sources = map.sources
    .filter((s): s is string => typeof s === 'string' && !s.includes('node_modules') && !/^[a-z]+:/i.test(s.replace(/^file:\/\//, '')))
    .map((s) => resolvePath(root, s.replace(/^file:\/\//, '')))
    .reverse();
  for (const source of sources) {
    const language = languageOfPath(source);
    if (!language || !(await files.isFile(source))) continue;
    const text = await files.read(source, MAX_FILE_BYTES);
    if (text !== undefined && findHandlerDefinition(text, language, symbol))
      return { file: source, note: `source map of ${basename(jsFile)}` };
  }
  return undefined;
}

/**
 * `lambda.Code.fromAsset('lambda')` copies the folder into cdk.out/asset.<hash>: the workspace file with the same
 * name and the same content outside cdk.out is the source (and a TypeScript file beside that copy, if any).
 */
async function fromAssetCopy(files: SourceFiles, assetFile: string, assetDir: string): Promise<{ file: string; note: string } | undefined> {
  const content = await files.read(assetFile, MAX_FILE_BYTES);
  if (content === undefined) return undefined;
  const rel = assetFile.slice(assetDir.length + 1);
  const name = basename(assetFile);
  const candidates = await files.find(`**/${name}`, 200);
  for (const candidate of candidates) {
    if (candidate.split('/').includes('cdk.out') || isInside(candidate, assetDir)) continue;
    if (!candidate.endsWith(`/${rel}`)) continue;
    if ((await files.read(candidate, MAX_FILE_BYTES)) !== content) continue;
    const stem = candidate.replace(/\.[cm]?js$/, '');
    for (const ts of stem === candidate ? [] : [`${stem}.ts`, `${stem}.mts`, `${stem}.cts`]) {
      if (await files.isFile(ts)) return { file: ts, note: `asset copied from ${joinPath(basename(dirname(candidate)), name)}` };
    }
    return { file: candidate, note: `asset copied from ${joinPath(basename(dirname(candidate)), name)}` };
  }
  return undefined;
}

/** The whole mapping for one function against a loaded project: declaration, then handler file. */
export async function mapFunction(files: SourceFiles, project: Project, fn: MappedFunction): Promise<HandlerSource | undefined> {
  const match = matchDeclaration(fn, project.functions);
  return match ? resolveHandlerSource(files, fn, match) : undefined;
}
