// Where a declared function's permissions are written in its descriptor (SAM Policies, an inline role's policy, serverless.yml's iam.role.statements, a Terraform aws_iam_role_policy), and the text that replaces them with a proposed policy.
import type { Node, Pair } from 'yaml';
import { isMap, isScalar, isSeq, stringify } from 'yaml';
import { parseYamlTemplateDocument } from './cfn-yaml';
import type { DeclaredFunction } from './declared';
import { isRecord } from './declared';

export interface DescriptorText {
  /** Absolute path. */
  path: string;
  text: string;
}

/**
 * - `sam-policies`: the function's own `Policies` (SAM makes the role from them): replaced by one inline document.
 * - `role-policy`: the `Statement` of the first inline policy of the `AWS::IAM::Role` the function's `Role` points to.
 * - `serverless-statements`: `provider.iam.role.statements` (or the older `provider.iamRoleStatements`).
 * - `terraform-policy`: the `policy` of an `aws_iam_role_policy` on the function's role (`jsonencode(...)` or a JSON heredoc).
 */
export type PolicyLocationKind = 'sam-policies' | 'role-policy' | 'serverless-statements' | 'terraform-policy';

/** A grant's line in the descriptor: the policy (by its deployed name, when it can be told) and the statement's index. */
export interface StatementLine {
  policyName?: string;
  index: number;
  /** 1-based. */
  line: number;
}

export interface PolicyLocation {
  kind: PolicyLocationKind;
  /** The file to edit (absolute path). */
  path: string;
  /** What is replaced, for people: `Policies of OrderApiFunction`, `the statements of OrdersRole's policy orders`. */
  label: string;
  /** Offsets of the text the replacement takes the place of (end exclusive). */
  start: number;
  end: number;
  /** 1-based lines of that text. */
  startLine: number;
  endLine: number;
  statementLines: StatementLine[];
  /** What else grants to the role and is not edited (managed policy ARNs, other inline policies). */
  notes: string[];
  /** How the replacement is written. */
  format: 'yaml' | 'json' | 'hcl-jsonencode' | 'heredoc-json';
  /** Column (0-based) the replacement's lines are indented from. */
  indent: number;
}

/** The minimal policy shape written: the proposal's document. */
export interface WrittenPolicy {
  Version?: string;
  Statement: unknown[];
}

export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function columnAt(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/** Where the function's permissions are written, or undefined (CDK output, managed policies only, a policy built elsewhere). */
export function locatePolicy(declared: DeclaredFunction, files: readonly DescriptorText[]): PolicyLocation | undefined {
  const own = files.find((f) => f.path === declared.descriptor);
  switch (declared.kind) {
    case 'sam':
    case 'cloudformation':
      return own ? locateInTemplate(declared, own) : undefined;
    case 'serverless':
      return own ? locateInServerless(own) : undefined;
    case 'terraform':
      return locateInTerraform(declared, own, files);
    default:
      // cdk.out is generated: the policy is written in the CDK code, which no edit here can know.
      return undefined;
  }
}

/** The grant of an unused statement's line: its statement when the policy can be told apart, else where the policy is. */
export function lineOfGrant(location: PolicyLocation, ref: { policyName: string; index: number }): number {
  const exact = location.statementLines.find((s) => s.policyName === ref.policyName && s.index === ref.index);
  if (exact) return exact.line;
  const unnamed = location.statementLines.filter((s) => s.policyName === undefined);
  return unnamed.find((s) => s.index === ref.index)?.line ?? location.startLine;
}

// ---------------------------------------------------------------- YAML and JSON templates

function pairAt(node: unknown, key: string): Pair<Node, Node> | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair<Node, Node> | undefined;
}

function nodeAt(node: unknown, ...keys: string[]): Node | undefined {
  let at: unknown = node;
  for (const k of keys) {
    at = pairAt(at, k)?.value ?? undefined;
    if (at === undefined) return undefined;
  }
  return at as Node;
}

function stringOf(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

/** The value's end, less the line break and blank space YAML counts into a block collection. */
function valueEnd(text: string, node: Node): number {
  let end = (node.range as [number, number, number])[1];
  while (end > 0 && /\s/.test(text[end - 1] as string)) end--;
  return end;
}

interface YamlTarget {
  pair: Pair<Node, Node>;
  kind: PolicyLocationKind;
  label: string;
  statementLines: StatementLine[];
  notes: string[];
}

/** A location that replaces a mapping's value: from after its key's colon to the end of the value. */
function yamlLocation(file: DescriptorText, target: YamlTarget): PolicyLocation | undefined {
  const key = target.pair.key;
  const value = target.pair.value;
  if (!key?.range || !value?.range) return undefined;
  const json = /\.json$/i.test(file.path);
  const keyStart = key.range[0];
  const indent = columnAt(file.text, keyStart);
  let start: number;
  if (json) start = value.range[0];
  else {
    const colon = file.text.indexOf(':', key.range[1]);
    if (colon < 0) return undefined;
    start = colon + 1;
  }
  const end = valueEnd(file.text, value);
  return {
    kind: target.kind,
    path: file.path,
    label: target.label,
    start,
    end,
    startLine: lineAt(file.text, keyStart),
    endLine: lineAt(file.text, end),
    statementLines: target.statementLines,
    notes: target.notes,
    format: json ? 'json' : 'yaml',
    indent,
  };
}

function itemLines(text: string, seq: unknown, policyName?: string): StatementLine[] {
  if (!isSeq(seq))
    return isMap(seq) && seq.range ? [{ ...(policyName ? { policyName } : {}), index: 0, line: lineAt(text, seq.range[0]) }] : [];
  return seq.items.flatMap((item, index) => {
    const range = (item as Node | null)?.range;
    return range ? [{ ...(policyName ? { policyName } : {}), index, line: lineAt(text, range[0]) }] : [];
  });
}

function locateInTemplate(declared: DeclaredFunction, file: DescriptorText): PolicyLocation | undefined {
  const doc = parseYamlTemplateDocument(file.text);
  const logicalId = declared.logicalIds[0];
  if (!doc || !logicalId) return undefined;
  const resources = nodeAt(doc.contents, 'Resources');
  const props = nodeAt(resources, logicalId, 'Properties');
  const policies = pairAt(props, 'Policies');
  if (declared.kind === 'sam' && policies?.value) {
    // SAM names the inline policies it makes `<LogicalId>RolePolicy<N>`, N the item's place in Policies.
    const lines = isSeq(policies.value)
      ? policies.value.items.flatMap((item, i) => {
          const range = (item as Node | null)?.range;
          if (!range) return [];
          const managed = stringOf(item);
          const inner = nodeAt(item, 'Statement');
          const name = managed ?? `${logicalId}RolePolicy${i}`;
          return isSeq(inner) ? itemLines(file.text, inner, name) : [{ policyName: name, index: 0, line: lineAt(file.text, range[0]) }];
        })
      : [];
    return yamlLocation(file, {
      pair: policies,
      kind: 'sam-policies',
      label: `Policies of ${logicalId}`,
      statementLines: lines,
      notes: [],
    });
  }
  const role = pairAt(props, 'Role')?.value;
  const roleId = roleLogicalId(role?.toJSON());
  if (!roleId) return undefined;
  const roleProps = nodeAt(resources, roleId, 'Properties');
  if (stringOf(nodeAt(resources, roleId, 'Type')) !== 'AWS::IAM::Role') return undefined;
  const rolePolicies = nodeAt(roleProps, 'Policies');
  if (!isSeq(rolePolicies) || !rolePolicies.items.length) return undefined;
  const first = rolePolicies.items[0];
  const statement = pairAt(nodeAt(first, 'PolicyDocument'), 'Statement');
  if (!statement?.value) return undefined;
  const policyName = stringOf(nodeAt(first, 'PolicyName'));
  const statementLines = rolePolicies.items.flatMap((p) =>
    itemLines(file.text, nodeAt(p, 'PolicyDocument', 'Statement'), stringOf(nodeAt(p, 'PolicyName'))),
  );
  const notes: string[] = [];
  if (rolePolicies.items.length > 1)
    notes.push(
      `${roleId} has ${rolePolicies.items.length - 1} other inline polic${rolePolicies.items.length > 2 ? 'ies' : 'y'}: the proposal covers what the role needs on its own, so review whether to remove them.`,
    );
  const managed = nodeAt(roleProps, 'ManagedPolicyArns')?.toJSON();
  if (Array.isArray(managed) && managed.length) {
    notes.push(
      `${roleId} also has ManagedPolicyArns (${managed.map((m) => (typeof m === 'string' ? m.slice(m.lastIndexOf('/') + 1) : 'an expression')).join(', ')}): not edited.`,
    );
  }
  return yamlLocation(file, {
    pair: statement,
    kind: 'role-policy',
    label: `the statements of ${roleId}'s policy${policyName ? ` ${policyName}` : ''}`,
    statementLines,
    notes,
  });
}

/** `!GetAtt OrdersRole.Arn` / `{ "Fn::GetAtt": ["OrdersRole", "Arn"] }` → `OrdersRole`. */
function roleLogicalId(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const att = value['Fn::GetAtt'];
  const parts = typeof att === 'string' ? att.split('.') : att;
  return Array.isArray(parts) && parts[1] === 'Arn' && typeof parts[0] === 'string' ? parts[0] : undefined;
}

function locateInServerless(file: DescriptorText): PolicyLocation | undefined {
  const doc = parseYamlTemplateDocument(file.text);
  if (!doc) return undefined;
  const provider = nodeAt(doc.contents, 'provider');
  const modern = pairAt(nodeAt(provider, 'iam', 'role'), 'statements');
  const pair = modern ?? pairAt(provider, 'iamRoleStatements');
  if (!pair?.value) return undefined;
  return yamlLocation(file, {
    pair,
    kind: 'serverless-statements',
    label: modern ? 'provider.iam.role.statements' : 'provider.iamRoleStatements',
    statementLines: itemLines(file.text, pair.value),
    notes: [],
  });
}

// ---------------------------------------------------------------- Terraform (text: HCL keeps no positions in its JSON form)

/** The offset after the bracket that closes the one at `open`, skipping strings, comments and heredocs; -1 if none. */
export function closingBracket(text: string, open: number): number {
  const pairs: Record<string, string> = { '{': '}', '(': ')', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 1;
    } else if (c === '<' && text[i + 1] === '<') {
      const h = /^<<-?([A-Za-z_][\w-]*)[ \t]*\n/.exec(text.slice(i));
      if (h) i = heredocEnd(text, i + h[0].length, h[1] as string).end - 1;
    } else if (pairs[c]) stack.push(pairs[c] as string);
    else if (c === stack[stack.length - 1]) {
      stack.pop();
      if (!stack.length) return i + 1;
    }
  }
  return -1;
}

/** A heredoc's body (from `bodyStart`) ends where a line holds only its marker: the body's end and the offset after the marker. */
function heredocEnd(text: string, bodyStart: number, marker: string): { bodyEnd: number; end: number } {
  const re = new RegExp(`^[ \\t]*${marker}[ \\t]*$`, 'gm');
  re.lastIndex = bodyStart;
  const m = re.exec(text);
  return m ? { bodyEnd: m.index, end: m.index + m[0].length } : { bodyEnd: text.length, end: text.length };
}

interface HclBlock {
  name: string;
  /** Offsets of the body, between the braces. */
  start: number;
  end: number;
}

function hclBlocks(text: string, type: string): HclBlock[] {
  const out: HclBlock[] = [];
  const re = new RegExp(`^[ \\t]*resource[ \\t]+"${type}"[ \\t]+"([^"]+)"[ \\t]*\\{`, 'gm');
  for (let m; (m = re.exec(text));) {
    const open = m.index + m[0].length - 1;
    const close = closingBracket(text, open);
    if (close > 0) out.push({ name: m[1] as string, start: open + 1, end: close - 1 });
  }
  return out;
}

function attribute(text: string, block: HclBlock, name: string): { valueStart: number; value: string } | undefined {
  const re = new RegExp(`^[ \\t]*${name}[ \\t]*=[ \\t]*`, 'gm');
  re.lastIndex = block.start;
  const m = re.exec(text);
  if (!m || m.index >= block.end) return undefined;
  const valueStart = m.index + m[0].length;
  const nl = text.indexOf('\n', valueStart);
  return { valueStart, value: text.slice(valueStart, nl < 0 ? block.end : Math.min(nl, block.end)).trim() };
}

function locateInTerraform(
  declared: DeclaredFunction,
  own: DescriptorText | undefined,
  files: readonly DescriptorText[],
): PolicyLocation | undefined {
  const name = declared.id.startsWith('aws_lambda_function.') ? declared.id.slice('aws_lambda_function.'.length) : undefined;
  if (!own || !name) return undefined;
  const fn = hclBlocks(own.text, 'aws_lambda_function').find((b) => b.name === name);
  const role = fn ? /^aws_iam_role\.([\w-]+)\.arn$/.exec(attribute(own.text, fn, 'role')?.value ?? '')?.[1] : undefined;
  if (!role) return undefined;
  // The configuration's files, the function's own first.
  for (const file of [own, ...files.filter((f) => f.path !== own.path)]) {
    for (const block of hclBlocks(file.text, 'aws_iam_role_policy')) {
      const on = attribute(file.text, block, 'role')?.value ?? '';
      if (!new RegExp(`^aws_iam_role\\.${role}\\.(id|name)$`).test(on)) continue;
      const policy = attribute(file.text, block, 'policy');
      if (!policy) continue;
      const policyName = /^"([^"$]+)"$/.exec(attribute(file.text, block, 'name')?.value ?? '')?.[1];
      const indent = columnAt(file.text, file.text.lastIndexOf('policy', policy.valueStart));
      const common = {
        kind: 'terraform-policy' as const,
        path: file.path,
        label: `the policy of aws_iam_role_policy.${block.name}`,
        notes: [`Other policies attached to aws_iam_role.${role} (aws_iam_role_policy_attachment, managed_policy_arns) are not edited.`],
        indent,
      };
      const startLine = lineAt(file.text, policy.valueStart);
      if (policy.value.startsWith('jsonencode(')) {
        const open = file.text.indexOf('(', policy.valueStart);
        const close = closingBracket(file.text, open);
        if (close < 0) continue;
        return {
          ...common,
          start: policy.valueStart,
          end: close,
          startLine,
          endLine: lineAt(file.text, close),
          statementLines: [{ ...(policyName ? { policyName } : {}), index: 0, line: startLine }],
          format: 'hcl-jsonencode',
        };
      }
      const heredoc = /^<<(-?)([A-Za-z_][\w-]*)[ \t]*\n/.exec(file.text.slice(policy.valueStart));
      if (heredoc) {
        const bodyStart = policy.valueStart + heredoc[0].length;
        const { bodyEnd } = heredocEnd(file.text, bodyStart, heredoc[2] as string);
        const body = file.text.slice(bodyStart, bodyEnd);
        try {
          JSON.parse(body);
        } catch {
          continue; // not JSON (a template with interpolations): not rewritten
        }
        return {
          ...common,
          start: bodyStart,
          end: bodyEnd,
          startLine,
          endLine: lineAt(file.text, bodyEnd),
          statementLines: [{ ...(policyName ? { policyName } : {}), index: 0, line: startLine }],
          format: 'heredoc-json',
          indent: heredoc[1] ? indent + 2 : 0,
        };
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- the replacement

function indentLines(text: string, spaces: number, first: boolean): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((l, i) => (l && (first || i > 0) ? pad + l : l))
    .join('\n');
}

/** YAML 1.1 quoting, so `2012-10-17` stays a string for CloudFormation's parser, and no folding of long lines. */
function yamlText(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0 }).replace(/\n$/, '');
}

/** The text that takes the place of `location`'s range: the proposed statements (or document) in the descriptor's own syntax. */
export function policyReplacement(location: PolicyLocation, policy: WrittenPolicy): string {
  const document = { Version: policy.Version ?? '2012-10-17', Statement: policy.Statement };
  const value = location.kind === 'sam-policies' ? [document] : location.kind === 'terraform-policy' ? document : policy.Statement;
  switch (location.format) {
    case 'yaml':
      return `\n${indentLines(yamlText(value), location.indent + 2, true)}`;
    case 'json':
      return indentLines(JSON.stringify(value, null, 2), location.indent, false);
    case 'hcl-jsonencode':
      // HCL's object syntax takes JSON's `"key": value` as well as `key = value`.
      return `jsonencode(${indentLines(JSON.stringify(value, null, 2), location.indent, false)})`;
    case 'heredoc-json':
      return `${indentLines(JSON.stringify(value, null, 2), location.indent, true)}\n`;
  }
}

/** The descriptor's text with the replacement applied (what the workspace edit makes of it). */
export function applyPolicyReplacement(text: string, location: PolicyLocation, policy: WrittenPolicy): string {
  return text.slice(0, location.start) + policyReplacement(location, policy) + text.slice(location.end);
}
