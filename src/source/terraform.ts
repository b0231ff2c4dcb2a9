// Terraform `aws_lambda_function` resources (and the terraform-aws-modules/lambda module) as declared functions, code folders from `archive_file` data sources.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { DeclaredFunction } from './declared';
import { isRecord, nameFromTemplate } from './declared';
import { dirname, resolvePath } from './files';

/** What @cdktf/hcl2json makes of one .tf file: blocks by type and label, each a list of bodies. */
export type HclJson = Record<string, unknown>;

/** Parses HCL to JSON; the default loads @cdktf/hcl2json (a Go WebAssembly module, about 0.5 s) on first use. */
export type HclParser = (filename: string, text: string) => Promise<HclJson>;

let defaultParser: Promise<HclParser> | undefined;

/**
 * @cdktf/hcl2json, loaded only when a workspace has .tf files: its WebAssembly costs memory and half a second.
 * Bundled (dist/extension.js, dist/cli.js) it is its own bundle beside them, dist/hcl2json/lib/index.js, next to
 * the WebAssembly it reads relative to itself; run from source, the package.
 */
export function loadHclParser(): Promise<HclParser> {
  defaultParser ??= (async () => {
    const bundled = path.join(__dirname, 'hcl2json', 'lib', 'index.js');
    const load = createRequire(__filename);
    const m = load(existsSync(bundled) ? bundled : '@cdktf/hcl2json') as typeof import('@cdktf/hcl2json');
    return (filename: string, text: string) => m.parse(filename, text);
  })();
  return defaultParser;
}

export interface TerraformFile {
  path: string;
  json: HclJson;
}

/**
 * The functions of the .tf files of one Terraform module (one folder): variables, locals and archive_file data
 * sources are read from every file of the folder, since a module's files share one namespace.
 */
export function terraformFunctions(files: readonly TerraformFile[]): DeclaredFunction[] {
  const byDir = new Map<string, TerraformFile[]>();
  for (const f of files) {
    const dir = dirname(f.path);
    byDir.set(dir, [...(byDir.get(dir) ?? []), f]);
  }
  const out: DeclaredFunction[] = [];
  for (const [dir, group] of byDir) out.push(...moduleFunctions(dir, group));
  return out;
}

function blocks(json: HclJson, type: string, label: string): Array<[string, Record<string, unknown>]> {
  const byName = (json[type] as Record<string, unknown> | undefined)?.[label];
  if (!isRecord(byName)) return [];
  const out: Array<[string, Record<string, unknown>]> = [];
  for (const [name, bodies] of Object.entries(byName)) {
    for (const body of Array.isArray(bodies) ? bodies : [bodies]) if (isRecord(body)) out.push([name, body]);
  }
  return out;
}

function moduleFunctions(dir: string, files: readonly TerraformFile[]): DeclaredFunction[] {
  const variables = new Map<string, unknown>();
  const locals = new Map<string, unknown>();
  const archives = new Map<string, Record<string, unknown>>();
  for (const { json } of files) {
    const vars = json.variable;
    if (isRecord(vars)) {
      for (const [name, bodies] of Object.entries(vars)) {
        const body = Array.isArray(bodies) ? bodies[0] : bodies;
        if (isRecord(body) && 'default' in body) variables.set(name, body.default);
      }
    }
    const localBlocks = Array.isArray(json.locals) ? json.locals : [json.locals];
    for (const l of localBlocks) if (isRecord(l)) for (const [k, v] of Object.entries(l)) locals.set(k, v);
    for (const [name, body] of blocks(json, 'data', 'archive_file')) archives.set(name, body);
  }

  // `${path.module}/src`, `${var.prefix}-api`, `${local.name}`: what the folder itself defines is substituted; the rest stays a placeholder.
  const resolve = (value: unknown, depth = 0): string | undefined => {
    if (typeof value !== 'string') return undefined;
    return value.replace(/\$\{\s*([^}]+?)\s*\}/g, (whole, expr: string) => {
      if (expr === 'path.module' || expr === 'path.root' || expr === 'path.cwd') return dir;
      const v = /^var\.([\w-]+)$/.exec(expr);
      if (v && typeof variables.get(v[1]) === 'string' && depth < 4) return resolve(variables.get(v[1]), depth + 1) ?? whole;
      const l = /^local\.([\w-]+)$/.exec(expr);
      if (l && typeof locals.get(l[1]) === 'string' && depth < 4) return resolve(locals.get(l[1]), depth + 1) ?? whole;
      return whole;
    });
  };
  const archiveOf = (filename: unknown): Record<string, unknown> | undefined => {
    if (typeof filename !== 'string') return undefined;
    const ref = /^\$\{\s*data\.archive_file\.([\w-]+)\.output_path\s*\}$/.exec(filename);
    if (ref) return archives.get(ref[1]);
    const path = resolve(filename);
    for (const a of archives.values()) if (path && resolve(a.output_path) === path) return a;
    return undefined;
  };

  const out: DeclaredFunction[] = [];
  const declare = (file: TerraformFile, id: string, body: Record<string, unknown>, code: { dir?: string; file?: string }) => {
    const handler = resolve(body.handler);
    out.push({
      kind: 'terraform',
      descriptor: file.path,
      id,
      logicalIds: [],
      stackNames: [],
      ...nameFromTemplate(resolve(body.function_name)),
      handler: handler?.includes('${') ? undefined : handler,
      runtime: resolve(body.runtime),
      codeDir: code.dir ?? (code.file ? dirname(code.file) : undefined),
      entryPoints: code.file ? [code.file] : [],
    });
  };
  const abs = (p: string | undefined) => (p && !p.includes('${') ? resolvePath(dir, p) : undefined);

  for (const file of files) {
    for (const [name, body] of blocks(file.json, 'resource', 'aws_lambda_function')) {
      if (body.image_uri !== undefined) continue;
      const archive = archiveOf(body.filename);
      let code: { dir?: string; file?: string } = {};
      if (archive) code = { dir: abs(resolve(archive.source_dir)), file: abs(resolve(archive.source_file)) };
      // A zip built outside Terraform: its handler is often beside the configuration (checked against the files later).
      else if (typeof body.filename === 'string') code = { dir };
      declare(file, `aws_lambda_function.${name}`, body, code);
    }
    // terraform-aws-modules/lambda/aws: `source_path` is the code folder (or file), the module builds the zip.
    const modules = file.json.module;
    if (isRecord(modules)) {
      for (const [name, bodies] of Object.entries(modules)) {
        for (const body of Array.isArray(bodies) ? bodies : [bodies]) {
          if (!isRecord(body) || typeof body.source !== 'string' || !/lambda/i.test(body.source) || body.handler === undefined) continue;
          const source = abs(resolve(body.source_path));
          const isFile = source !== undefined && /\.(?:[cm]?[jt]s|py)$/.test(source);
          declare(file, `module.${name}`, body, isFile ? { file: source } : { dir: source });
        }
      }
    }
  }
  return out;
}
