// What a deployment descriptor (SAM/CloudFormation template, serverless.yml, cdk.out, Terraform) says about one function: the thing a deployed function is matched to.

export type DescriptorKind = 'sam' | 'cloudformation' | 'serverless' | 'cdk' | 'terraform';

export interface DeclaredFunction {
  kind: DescriptorKind;
  /** The file that declares it (absolute path). */
  descriptor: string;
  /** How the descriptor names it: a logical id, `functions.<key>`, `aws_lambda_function.<name>`, a CDK path. */
  id: string;
  /** CloudFormation logical ids the deployed function carries in its `aws:cloudformation:logical-id` tag. */
  logicalIds: string[];
  /** Stack names it may be deployed in (the `aws:cloudformation:stack-name` tag), when known. */
  stackNames: string[];
  /** The deployed name, when the descriptor fixes it. */
  functionName?: string;
  /** The deployed name when parts of it are only known at deploy time (a stage, a variable): `^orders-.+?-api$`. */
  namePattern?: RegExp;
  handler?: string;
  runtime?: string;
  /** The folder the handler path is relative to (absolute path). */
  codeDir?: string;
  /** Source files a build starts from (SAM esbuild `EntryPoints`, Terraform `source_file`), absolute, best first. */
  entryPoints: string[];
  /** 1-based line of the declaration in the descriptor, when known. */
  line?: number;
}

const PLACEHOLDER = /\$\{[^}]*\}/g;

/**
 * A deployed-name template (`orders-${stage}-api`) as an exact name, or as a pattern when placeholders remain.
 * A pattern needs some literal text to be worth anything: `${var.name}` alone would match every function.
 */
export function nameFromTemplate(template: string | undefined): { functionName?: string; namePattern?: RegExp } {
  if (template === undefined) return {};
  const t = template.trim();
  if (!t || t.length > 256) return {};
  if (!t.includes('${')) return { functionName: t };
  const literal = t.replace(PLACEHOLDER, '');
  if (literal.replace(/[-_.]/g, '').length < 3) return {};
  const source = t
    .split(PLACEHOLDER)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.+?');
  return { namePattern: new RegExp(`^${source}$`) };
}

/** A record's property when the value is a plain object. */
export function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const v = value[key];
  return isRecord(v) ? v : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringAt(value: unknown, key: string): string | undefined {
  if (!isRecord(value)) return undefined;
  const v = value[key];
  return typeof v === 'string' ? v : undefined;
}
