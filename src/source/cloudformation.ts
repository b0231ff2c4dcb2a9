// SAM and CloudFormation templates (and the CloudFormation templates CDK synthesises into cdk.out) as declared functions.
import { parseJsonTemplate, parseYamlTemplate } from './cfn-yaml';
import type { DeclaredFunction, DescriptorKind } from './declared';
import { isRecord, nameFromTemplate, objectAt, stringAt } from './declared';
import { dirname, resolvePath } from './files';

export interface TemplateContext {
  /** Absolute path of the template. */
  path: string;
  text: string;
  /** Stack names the template is deployed as (samconfig's `stack_name`, the CDK manifest), when known. */
  stackNames?: string[];
  /** `cdk` for templates in cdk.out; otherwise told from the template (`sam` when it uses the Serverless transform). */
  kind?: 'cdk';
}

/** Parses the text of a template; throws with the position of a syntax error. */
export function parseTemplate(path: string, text: string): unknown {
  return /\.json$/i.test(path) ? parseJsonTemplate(text) : parseYamlTemplate(text);
}

/** Whether a parsed document is a CloudFormation template (it has Resources of AWS types), not some other YAML. */
export function isTemplate(doc: unknown): doc is Record<string, unknown> {
  const resources = objectAt(doc, 'Resources');
  if (!resources) return false;
  return Object.values(resources).some(
    (r) => typeof stringAt(r, 'Type') === 'string' && /^(AWS|Custom)::/.test(stringAt(r, 'Type') as string),
  );
}

const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);

/** The functions a parsed template declares. */
export function templateFunctions(doc: Record<string, unknown>, ctx: TemplateContext): DeclaredFunction[] {
  const dir = dirname(ctx.path);
  const resources = objectAt(doc, 'Resources') ?? {};
  const transform = doc.Transform;
  const serverless = (Array.isArray(transform) ? transform : [transform]).some(
    (t) => typeof t === 'string' && t.startsWith('AWS::Serverless'),
  );
  const kind: DescriptorKind = ctx.kind ?? (serverless ? 'sam' : 'cloudformation');
  const globals = objectAt(objectAt(doc, 'Globals'), 'Function') ?? {};
  const parameters = objectAt(doc, 'Parameters') ?? {};
  const out: DeclaredFunction[] = [];

  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isRecord(resource)) continue;
    const type = stringAt(resource, 'Type');
    if (!type || !FUNCTION_TYPES.has(type)) continue;
    const props = objectAt(resource, 'Properties') ?? {};
    const metadata = objectAt(resource, 'Metadata') ?? {};
    const sam = type === 'AWS::Serverless::Function';
    const value = (key: string) => props[key] ?? (sam ? globals[key] : undefined);
    if (value('PackageType') === 'Image') continue; // a container image: no handler file in the workspace

    let codeDir: string | undefined;
    const assetPath = stringAt(metadata, 'aws:asset:path');
    const assetProperty = stringAt(metadata, 'aws:asset:property');
    if (assetPath && (!assetProperty || assetProperty === 'Code' || assetProperty === 'CodeUri')) {
      codeDir = resolvePath(dir, assetPath);
    } else {
      const code = sam ? value('CodeUri') : props.Code;
      if (typeof code === 'string' && !/^s3:\/\//i.test(code)) codeDir = resolvePath(dir, code);
      // SAM's default CodeUri is the template's folder.
      else if (sam && code === undefined && value('InlineCode') === undefined) codeDir = dir;
    }

    const entryPoints: string[] = [];
    const buildProps = objectAt(metadata, 'BuildProperties');
    const entries = buildProps?.EntryPoints;
    if (codeDir && Array.isArray(entries)) {
      for (const e of entries) if (typeof e === 'string') entryPoints.push(resolvePath(codeDir, e));
    }

    const cdkPath = stringAt(metadata, 'aws:cdk:path');
    out.push({
      kind,
      descriptor: ctx.path,
      id: cdkPath ?? logicalId,
      logicalIds: [logicalId],
      stackNames: ctx.stackNames ?? [],
      ...nameFromTemplate(nameTemplate(value('FunctionName'), parameters)),
      handler: typeof value('Handler') === 'string' ? (value('Handler') as string) : undefined,
      runtime: typeof value('Runtime') === 'string' ? (value('Runtime') as string) : undefined,
      codeDir,
      entryPoints,
      line: lineOfKey(ctx.text, logicalId),
    });
  }
  return out;
}

/**
 * A FunctionName value as a name template: literal text, `${...}` for what only a deployment knows. `!Ref` to a
 * parameter takes its default; `!Sub` and `!Join` keep their literal parts. Nothing else is worth guessing.
 */
function nameTemplate(value: unknown, parameters: Record<string, unknown>): string | undefined {
  if (typeof value === 'string') return value;
  if (!isRecord(value)) return undefined;
  const part = (v: unknown): string | undefined => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    const ref = stringAt(v, 'Ref');
    if (ref !== undefined) {
      const def = objectAt(parameters, ref)?.Default;
      return typeof def === 'string' ? def : `\${${ref}}`;
    }
    return isRecord(v) ? '${?}' : undefined;
  };
  if ('Ref' in value) return part(value);
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  if (Array.isArray(sub) && typeof sub[0] === 'string') {
    const vars = isRecord(sub[1]) ? sub[1] : {};
    return sub[0].replace(/\$\{([^}!]+)\}/g, (whole, name: string) => {
      const v = vars[name];
      return typeof v === 'string' ? v : whole;
    });
  }
  const join = value['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1].map(part);
    return parts.every((p) => p !== undefined) ? parts.join(join[0]) : undefined;
  }
  return undefined;
}

/** The 1-based line of a mapping key (`OrderApiFunction:` in YAML, `"OrderApiFunction":` in JSON), for messages. */
export function lineOfKey(text: string, key: string): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^[ \\t]*["']?${escaped}["']?[ \\t]*:`, 'm').exec(text);
  if (!m) return undefined;
  let line = 1;
  for (let i = 0; i < m.index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Stack names from a samconfig file (`stack_name = "orders-prod"` in TOML, `stack_name: orders-prod` in YAML). */
export function samconfigStackNames(text: string): string[] {
  const names = new Set<string>();
  const re = /^[ \t]*stack_name[ \t]*[=:][ \t]*["']?([A-Za-z][A-Za-z0-9-]{0,127})["']?[ \t]*$/gm;
  for (let m; (m = re.exec(text));) names.add(m[1]);
  return [...names];
}

/** The CDK cloud-assembly manifest's stack names by template file (`OrdersStack.template.json` → `orders-prod`). */
export function cdkStackNames(manifest: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const artifacts = objectAt(manifest, 'artifacts') ?? {};
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (stringAt(artifact, 'type') !== 'aws:cloudformation:stack') continue;
    const props = objectAt(artifact, 'properties');
    const file = stringAt(props, 'templateFile');
    if (file) out.set(file, stringAt(props, 'stackName') ?? id);
  }
  return out;
}
