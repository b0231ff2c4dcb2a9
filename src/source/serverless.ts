// serverless.yml (Serverless Framework) as declared functions: the handler, the deployed name `<service>-<stage>-<key>` and the CloudFormation logical id it generates.
import { parseYamlTemplate } from './cfn-yaml';
import type { DeclaredFunction } from './declared';
import { isRecord, nameFromTemplate, objectAt, stringAt } from './declared';
import { dirname, resolvePath } from './files';
import { lineOfKey } from './cloudformation';

/** Functions declared by a serverless.yml; throws with the position of a YAML syntax error. */
export function serverlessFunctions(path: string, text: string): DeclaredFunction[] {
  const doc = parseYamlTemplate(text);
  if (!isRecord(doc)) return [];
  const dir = dirname(path);
  const provider = objectAt(doc, 'provider') ?? {};
  const service = resolveVars(typeof doc.service === 'string' ? doc.service : stringAt(doc.service, 'name'), {});
  const stageTemplate = resolveVars(stringAt(provider, 'stage') ?? 'dev', { service });
  const vars = { service, stage: stageTemplate };
  const stackName = stringAt(provider, 'stackName');

  const out: DeclaredFunction[] = [];
  for (const [key, fn] of functionEntries(doc.functions)) {
    if (!isRecord(fn)) continue;
    const handler = stringAt(fn, 'handler');
    if (!handler && fn.image !== undefined) continue; // a container image
    const module = stringAt(fn, 'module');
    const explicit = stringAt(fn, 'name');
    // The default name; the stage is often chosen at deploy time (`--stage prod`), so a pattern covers any stage.
    const names =
      explicit !== undefined
        ? nameFromTemplate(resolveVars(explicit, vars))
        : {
            ...nameFromTemplate(`${service ?? '${service}'}-${stageTemplate}-${key}`),
            namePattern: nameFromTemplate(`${service ?? '${service}'}-\${stage}-${key}`).namePattern,
          };
    const stacks = [stackName ? resolveVars(stackName, vars) : `${service}-${stageTemplate}`].filter(
      (s): s is string => !!s && !s.includes('${'),
    );
    out.push({
      kind: 'serverless',
      descriptor: path,
      id: `functions.${key}`,
      logicalIds: [`${normalizedFunctionName(key)}LambdaFunction`],
      stackNames: stacks,
      ...names,
      handler,
      runtime: stringAt(fn, 'runtime') ?? stringAt(provider, 'runtime'),
      codeDir: module ? resolvePath(dir, module) : dir,
      entryPoints: [],
      line: lineOfKey(text, key),
    });
  }
  return out;
}

/** `functions:` is a map, or (in older projects) a list of one-key maps. */
function functionEntries(functions: unknown): Array<[string, unknown]> {
  if (isRecord(functions)) return Object.entries(functions);
  if (Array.isArray(functions)) return functions.filter(isRecord).flatMap((m) => Object.entries(m));
  return [];
}

/**
 * The logical id the framework gives a function's AWS::Lambda::Function: `api-v2_x` → `ApiDashv2UnderscorexLambdaFunction`
 * (serverless/lib/plugins/aws/lib/naming.js: getNormalizedFunctionName, then `LambdaFunction`).
 */
export function normalizedFunctionName(key: string): string {
  const n = key.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return n.charAt(0).toUpperCase() + n.slice(1);
}

/**
 * The variables that can be known from the file itself (`${self:service}`, `${self:provider.stage}`, a literal
 * default `${opt:stage, 'dev'}` is not: the stage is chosen at deploy time). Others stay as placeholders.
 */
function resolveVars(value: string | undefined, vars: { service?: string; stage?: string }): string | undefined {
  if (value === undefined) return undefined;
  return value.replace(/\$\{\s*self:(service|provider\.stage)\s*\}/g, (whole, name: string) => {
    const v = name === 'service' ? vars.service : vars.stage;
    return v !== undefined && !v.includes('${') ? v : whole;
  });
}
