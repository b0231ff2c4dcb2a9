// The workspace's deployment descriptors, found and read once: every declared function, and a message for each file that could not be read.
import type { Logger } from '../core/ports';
import { errorMessage } from '../core/errors';
import { cdkStackNames, isTemplate, parseTemplate, samconfigStackNames, templateFunctions } from './cloudformation';
import type { DeclaredFunction } from './declared';
import type { SourceFiles } from './files';
import { basename, dirname, joinPath, MAX_FILE_BYTES } from './files';
import { serverlessFunctions } from './serverless';
import type { HclParser, TerraformFile } from './terraform';
import { loadHclParser, terraformFunctions } from './terraform';

/** The globs descriptors are found by (also what a file watcher should watch). */
export const DESCRIPTOR_GLOBS = {
  template: '**/{template,*.template}.{yaml,yml,json}',
  serverless: '**/serverless.{yml,yaml}',
  cdk: '**/cdk.out/**/*.template.json',
  terraform: '**/*.tf',
} as const;

/** At most this many descriptors of each kind: a monorepo with more is searched by its first ones, and says so. */
export const MAX_DESCRIPTORS = 200;

export interface Project {
  functions: DeclaredFunction[];
  /** Every descriptor read, for the log. */
  descriptors: string[];
  /** One line per file that could not be read or parsed: `infra/template.yaml: line 3, column 5: ...`. */
  problems: string[];
}

export interface LoadOptions {
  log?: Logger;
  /** Replaces @cdktf/hcl2json (tests; a host without WebAssembly). */
  parseHcl?: HclParser;
  /** Paths in messages are shown relative to this (the workspace folder). */
  displayRoot?: string;
}

export async function loadProject(files: SourceFiles, options: LoadOptions = {}): Promise<Project> {
  const project: Project = { functions: [], descriptors: [], problems: [] };
  const show = (p: string) =>
    options.displayRoot && p.startsWith(`${options.displayRoot}/`) ? p.slice(options.displayRoot.length + 1) : p;
  const problem = (path: string, message: string) => {
    const line = `${show(path)}: ${message}`;
    project.problems.push(line);
    options.log?.warn(`[source] ${line}; its functions are not mapped to source`);
  };
  const find = async (glob: string) => {
    const found = await files.find(glob, MAX_DESCRIPTORS + 1);
    if (found.length > MAX_DESCRIPTORS)
      options.log?.warn(`[source] more than ${MAX_DESCRIPTORS} files match ${glob}: only the first ${MAX_DESCRIPTORS} are read`);
    return found.slice(0, MAX_DESCRIPTORS).sort();
  };
  const read = async (path: string): Promise<string | undefined> => {
    const text = await files.read(path, MAX_FILE_BYTES);
    if (text === undefined && (await files.isFile(path))) problem(path, `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB, not read`);
    return text;
  };

  const [templates, serverless, cdk, tf] = await Promise.all([
    find(DESCRIPTOR_GLOBS.template),
    find(DESCRIPTOR_GLOBS.serverless),
    find(DESCRIPTOR_GLOBS.cdk),
    find(DESCRIPTOR_GLOBS.terraform),
  ]);

  // SAM / CloudFormation, with the stack names of a samconfig beside the template.
  const samconfigs = new Map<string, Promise<string[]>>();
  const stackNamesNear = (dir: string) => {
    if (!samconfigs.has(dir)) {
      samconfigs.set(
        dir,
        (async () => {
          const names: string[] = [];
          for (const name of ['samconfig.toml', 'samconfig.yaml', 'samconfig.yml']) {
            const text = await files.read(joinPath(dir, name), 256 * 1024);
            if (text) names.push(...samconfigStackNames(text));
          }
          return names;
        })(),
      );
    }
    return samconfigs.get(dir) as Promise<string[]>;
  };
  for (const path of templates) {
    if (path.split('/').includes('cdk.out')) continue;
    const text = await read(path);
    if (text === undefined) continue;
    try {
      const doc = parseTemplate(path, text);
      if (!isTemplate(doc)) continue; // some other YAML named template.yaml
      project.descriptors.push(path);
      project.functions.push(...templateFunctions(doc, { path, text, stackNames: await stackNamesNear(dirname(path)) }));
    } catch (err) {
      problem(path, errorMessage(err));
    }
  }

  for (const path of serverless) {
    const text = await read(path);
    if (text === undefined) continue;
    try {
      project.descriptors.push(path);
      project.functions.push(...serverlessFunctions(path, text));
    } catch (err) {
      problem(path, errorMessage(err));
    }
  }

  // cdk.out: each assembly folder's manifest names the stacks of its templates.
  const manifests = new Map<string, Map<string, string>>();
  for (const path of cdk) {
    const dir = dirname(path);
    if (!manifests.has(dir)) {
      const text = await files.read(joinPath(dir, 'manifest.json'), MAX_FILE_BYTES);
      let names = new Map<string, string>();
      try {
        if (text) names = cdkStackNames(JSON.parse(text));
      } catch (err) {
        problem(joinPath(dir, 'manifest.json'), `not valid JSON (${errorMessage(err)})`);
      }
      manifests.set(dir, names);
    }
    const text = await read(path);
    if (text === undefined) continue;
    try {
      const doc = parseTemplate(path, text);
      if (!isTemplate(doc)) continue;
      project.descriptors.push(path);
      const stack = manifests.get(dir)?.get(basename(path)) ?? basename(path).replace(/\.template\.json$/, '');
      project.functions.push(...templateFunctions(doc, { path, text, stackNames: [stack], kind: 'cdk' }));
    } catch (err) {
      problem(path, errorMessage(err));
    }
  }

  if (tf.length > 0) {
    let parse: HclParser | undefined;
    try {
      parse = options.parseHcl ?? (await loadHclParser());
    } catch (err) {
      options.log?.warn(`[source] could not load the HCL parser (@cdktf/hcl2json): ${errorMessage(err)}; Terraform files are not mapped`);
    }
    const parsed: TerraformFile[] = [];
    for (const path of parse ? tf : []) {
      const text = await read(path);
      if (text === undefined) continue;
      // Only files that can declare a function (or the archive, variables and locals one uses) are worth parsing.
      if (!/\b(?:resource|data|module|variable|locals)\b/.test(text)) continue;
      try {
        const json = await (parse as HclParser)(basename(path), text);
        parsed.push({ path, json });
        project.descriptors.push(path);
      } catch (err) {
        problem(path, hclMessage(errorMessage(err)));
      }
    }
    project.functions.push(...terraformFunctions(parsed));
  }

  options.log?.info(
    `[source] ${project.functions.length} function(s) declared in ${project.descriptors.length} descriptor(s)${project.problems.length ? `, ${project.problems.length} unreadable` : ''}`,
  );
  return project;
}

/** hcl2json's `parse config: [main.tf:3,14-15: Unclosed configuration block; ...]` as `line 3, column 14: Unclosed ...`. */
function hclMessage(raw: string): string {
  const m = /^parse config: \[[^:\]]*:(\d+),(\d+)(?:-\d+)?: ([^]*)\]$/.exec(raw.trim());
  return m ? `line ${m[1]}, column ${m[2]}: ${m[3]}` : raw;
}

// The least-privilege edit reads the same descriptors with the same parser: it rides in this module's bundle
// (dist/source-project.js), which the extension loads on the first mapping, rather than in the extension's own.
export { descriptorTexts, functionPolicySource } from './grant-locator';
export { applyPolicyReplacement, lineOfGrant, locatePolicy, policyReplacement } from './policy-location';
