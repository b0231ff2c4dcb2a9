// Every AWS operation the code can send is read-only and granted by docs/iam-policy.json, and the policy grants nothing else.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { iamActionsForEvent } from '../../src/permissions/actions';

const root = path.resolve(__dirname, '..', '..');
/** SDK client package → IAM service prefix. */
const PREFIX: Record<string, string> = {
  'client-cloudtrail': 'cloudtrail',
  'client-cloudwatch': 'cloudwatch',
  'client-cloudwatch-logs': 'logs',
  'client-ec2': 'ec2',
  'client-iam': 'iam',
  'client-lambda': 'lambda',
  'client-s3': 's3',
  'client-athena': 'athena',
  'client-sts': 'sts',
};
const READ_ONLY = /^(Describe|List|Get)[A-Z]|^(LookupEvents|StartQuery|StopQuery|FilterLogEvents)$/;

/** `XxxCommand` imports from each SDK client, in every file of the shipped code: `s3:ListObjectsV2` (service prefix and operation). */
function commandsInSource(): string[] {
  const operations = new Set<string>();
  const files = (fs.readdirSync(path.join(root, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  for (const rel of files) {
    const text = fs.readFileSync(path.join(root, 'src', rel), 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
      const prefix = PREFIX[m[2]];
      assert.ok(prefix, `${rel}: ${m[2]} has no IAM prefix in this test: add it`);
      for (const name of m[1].matchAll(/\b([A-Z][A-Za-z0-9]+)Command\b/g)) operations.add(`${prefix}:${name[1]}`);
    }
  }
  return [...operations].sort();
}

/** The IAM actions an operation needs, from the IAM data (an operation is its CloudTrail event name): `s3:ListObjectsV2` → `s3:ListBucket`. */
async function iamActions(operation: string): Promise<string[]> {
  const [prefix, name] = operation.split(':') as [string, string];
  const mapping = await iamActionsForEvent(`${prefix}.amazonaws.com`, name);
  assert.ok(mapping.mapped, `${operation}: ${mapping.mapped ? '' : mapping.reason}`);
  return mapping.actions;
}

test('every command the code sends is read-only and in the policy; the policy holds nothing more', async () => {
  const policy = JSON.parse(fs.readFileSync(path.join(root, 'docs', 'iam-policy.json'), 'utf8'));
  const granted: string[] = policy.Statement.flatMap((s: { Effect: string; Action: string[] }) => (s.Effect === 'Allow' ? s.Action : []));
  const operations = commandsInSource();
  assert.ok(operations.length >= 10, `found ${operations.join(', ')}`);
  const needed = new Set<string>();
  for (const operation of operations) {
    assert.match(operation.split(':')[1], READ_ONLY, `${operation} is not a read-only operation`);
    for (const action of await iamActions(operation)) {
      assert.ok(granted.includes(action), `${operation} needs ${action}, which is not in docs/iam-policy.json`);
      needed.add(action);
    }
  }
  assert.deepEqual([...granted].sort(), [...needed].sort(), 'the policy grants exactly what the code uses');
  assert.ok(granted.every((a) => !a.includes('*')), 'no wildcards');
});

test('the permissions reads are among the operations checked', () => {
  const operations = commandsInSource();
  for (const op of ['iam:GetRole', 'iam:ListAttachedRolePolicies', 'iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'ec2:DescribeSecurityGroups']) {
    assert.ok(operations.includes(op), `${op} is not sent by src/: ${operations.join(', ')}`);
  }
});

test('the check is not vacuous: a write command would be caught', () => {
  assert.doesNotMatch('PutLogEvents', READ_ONLY);
  assert.doesNotMatch('CreateFunction', READ_ONLY);
  assert.doesNotMatch('DeleteFlowLogs', READ_ONLY);
});
