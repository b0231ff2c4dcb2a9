// Every AWS operation the code can send is granted: the read-only ones by docs/iam-policy.json (which grants nothing else), the Athena and CloudTrail Lake queries by docs/iam-policy-athena.json (which grants nothing beyond their path).
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

/** The Athena and CloudTrail Lake paths, opted into with their own policy: the only files that may send their commands. */
const ADD_ON_FILES = new Set([path.join('aws', 'athena.ts'), path.join('aws', 'cloudtrail-lake.ts')]);

/**
 * `XxxCommand` imports from each SDK client, in the files of the shipped code (the base's: all but the add-on's; or
 * the add-on's): `s3:ListObjectsV2` (service prefix and operation).
 */
function commandsInSource(part: 'base' | 'add-on' = 'base'): string[] {
  const operations = new Set<string>();
  const files = (fs.readdirSync(path.join(root, 'src'), { recursive: true }) as string[]).filter(
    (f) => f.endsWith('.ts') && ADD_ON_FILES.has(f) === (part === 'add-on'),
  );
  for (const rel of files) {
    const text = fs.readFileSync(path.join(root, 'src', rel), 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
      const prefix = PREFIX[m[2]];
      assert.ok(prefix, `${rel}: ${m[2]} has no IAM prefix in this test: add it`);
      // `type X` imports are shapes, not requests.
      for (const name of m[1].matchAll(/(?<!type\s+)\b([A-Z][A-Za-z0-9]+)Command\b/g)) operations.add(`${prefix}:${name[1]}`);
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
  assert.ok(
    granted.every((a) => !a.includes('*')),
    'no wildcards',
  );
});

test('the permissions reads are among the operations checked', () => {
  const operations = commandsInSource();
  for (const op of [
    'iam:GetRole',
    'iam:ListAttachedRolePolicies',
    'iam:GetPolicy',
    'iam:GetPolicyVersion',
    'iam:ListRolePolicies',
    'iam:GetRolePolicy',
    'ec2:DescribeSecurityGroups',
  ]) {
    assert.ok(operations.includes(op), `${op} is not sent by src/: ${operations.join(', ')}`);
  }
});

test('the check is not vacuous: a write command would be caught', () => {
  assert.doesNotMatch('PutLogEvents', READ_ONLY);
  assert.doesNotMatch('CreateFunction', READ_ONLY);
  assert.doesNotMatch('DeleteFlowLogs', READ_ONLY);
});

/** Athena itself reads the catalog and the data, and writes its results, with the caller's permissions: not SDK commands of ours. */
const ATHENA_ON_OUR_BEHALF = {
  catalog: ['glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable'],
  data: ['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket'],
  results: [
    's3:AbortMultipartUpload',
    's3:GetBucketLocation',
    's3:GetObject',
    's3:ListBucket',
    's3:ListMultipartUploadParts',
    's3:PutObject',
  ],
};

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string | string[];
}

test('the Athena add-on: every command the Athena and Lake code sends is in it, and it grants nothing beyond that path', async () => {
  const policy = JSON.parse(fs.readFileSync(path.join(root, 'docs', 'iam-policy-athena.json'), 'utf8')) as { Statement: Statement[] };
  const statements = policy.Statement;
  assert.ok(statements.every((s) => s.Effect === 'Allow'));
  const bySid = new Map(statements.map((s) => [s.Sid, s]));
  const operations = commandsInSource('add-on');
  assert.deepEqual(operations, [
    'athena:GetQueryExecution',
    'athena:GetQueryResults',
    'athena:GetTableMetadata',
    'athena:StartQueryExecution',
    'athena:StopQueryExecution',
    'cloudtrail:CancelQuery',
    'cloudtrail:DescribeQuery',
    'cloudtrail:GetQueryResults',
    'cloudtrail:StartQuery',
  ]);
  const needed = new Set<string>();
  for (const operation of operations) for (const action of await iamActions(operation)) needed.add(action);
  const sent = statements.filter((s) => /^(athena|cloudtrail):/.test(s.Action[0])).flatMap((s) => s.Action);
  assert.deepEqual([...sent].sort(), [...needed].sort(), 'the add-on grants exactly the Athena and Lake commands the code sends');
  assert.deepEqual(bySid.get('LambdaBehaviorAthenaCatalog')?.Action, ATHENA_ON_OUR_BEHALF.catalog);
  assert.deepEqual(bySid.get('LambdaBehaviorAthenaReadsTheData')?.Action, ATHENA_ON_OUR_BEHALF.data);
  assert.deepEqual(bySid.get('LambdaBehaviorAthenaWritesItsResults')?.Action, ATHENA_ON_OUR_BEHALF.results);
  assert.equal(statements.length, 5);
  // Each statement is scoped to the resources it is for (placeholders the user fills in), never `*`.
  for (const s of statements) {
    const resources = [s.Resource].flat();
    assert.ok(
      resources.every((r) => r !== '*' && !r.endsWith(':*') && !/^arn:aws:s3:::\*/.test(r)),
      `${s.Sid}: ${resources.join(', ')}`,
    );
    assert.ok(
      s.Action.every((a) => !a.includes('*')),
      `${s.Sid}: no wildcard actions`,
    );
  }
  // The only write is Athena's results, to the results location alone.
  const writes = statements.filter((s) => s.Action.some((a) => !READ_ONLY.test(a.split(':')[1])));
  assert.deepEqual(writes.map((s) => s.Sid).sort(), [
    'LambdaBehaviorAthenaQueries',
    'LambdaBehaviorAthenaWritesItsResults',
    'LambdaBehaviorCloudTrailLake',
  ]);
  assert.deepEqual([bySid.get('LambdaBehaviorAthenaWritesItsResults')!.Resource].flat(), [
    'arn:aws:s3:::ATHENA-RESULTS-BUCKET',
    'arn:aws:s3:::ATHENA-RESULTS-BUCKET/PREFIX/*',
  ]);
});

test("the base policy stays read-only: none of the add-on's actions is in it", () => {
  const base = JSON.parse(fs.readFileSync(path.join(root, 'docs', 'iam-policy.json'), 'utf8')) as { Statement: Statement[] };
  const addOn = JSON.parse(fs.readFileSync(path.join(root, 'docs', 'iam-policy-athena.json'), 'utf8')) as { Statement: Statement[] };
  const granted = base.Statement.flatMap((s) => s.Action);
  for (const action of granted) assert.match(action.split(':')[1], READ_ONLY, `${action} in the base policy is not read-only`);
  const extra = addOn.Statement.flatMap((s) => s.Action).filter((a) => !a.startsWith('s3:'));
  assert.deepEqual(
    extra.filter((a) => granted.includes(a)),
    [],
  );
  assert.ok(!granted.includes('s3:PutObject'));
});
