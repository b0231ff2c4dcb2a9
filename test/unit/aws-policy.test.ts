// Every AWS operation the code can send is read-only and granted by docs/iam-policy.json, and the policy grants nothing else.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
/** SDK client package → IAM service prefix. */
const PREFIX: Record<string, string> = {
  'client-cloudtrail': 'cloudtrail',
  'client-cloudwatch': 'cloudwatch',
  'client-cloudwatch-logs': 'logs',
  'client-ec2': 'ec2',
  'client-lambda': 'lambda',
  'client-sts': 'sts',
};
const READ_ONLY = /^(Describe|List|Get)[A-Z]|^(LookupEvents|StartQuery|StopQuery|FilterLogEvents)$/;

/** `XxxCommand` imports from each SDK client, in every file of the shipped code. */
function commandsInSource(): string[] {
  const actions = new Set<string>();
  const files = (fs.readdirSync(path.join(root, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  for (const rel of files) {
    const text = fs.readFileSync(path.join(root, 'src', rel), 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
      const prefix = PREFIX[m[2]];
      assert.ok(prefix, `${rel}: ${m[2]} has no IAM prefix in this test: add it`);
      for (const name of m[1].matchAll(/\b([A-Z][A-Za-z0-9]+)Command\b/g)) actions.add(`${prefix}:${name[1]}`);
    }
  }
  return [...actions].sort();
}

test('every command the code sends is read-only and in the policy; the policy holds nothing more', () => {
  const policy = JSON.parse(fs.readFileSync(path.join(root, 'docs', 'iam-policy.json'), 'utf8'));
  const granted: string[] = policy.Statement.flatMap((s: { Effect: string; Action: string[] }) => (s.Effect === 'Allow' ? s.Action : []));
  const used = commandsInSource();
  assert.ok(used.length >= 10, `found ${used.join(', ')}`);
  for (const action of used) {
    assert.match(action.split(':')[1], READ_ONLY, `${action} is not a read-only operation`);
    assert.ok(granted.includes(action), `${action} is sent but not in docs/iam-policy.json`);
  }
  assert.deepEqual([...granted].sort(), used, 'the policy grants exactly what the code uses');
  assert.ok(granted.every((a) => !a.includes('*')), 'no wildcards');
});

test('the check is not vacuous: a write command would be caught', () => {
  assert.doesNotMatch('PutLogEvents', READ_ONLY);
  assert.doesNotMatch('CreateFunction', READ_ONLY);
  assert.doesNotMatch('DeleteFlowLogs', READ_ONLY);
});
