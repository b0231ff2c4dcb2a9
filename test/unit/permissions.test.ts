// Permissions, granted against used: CloudTrail names mapped from the IAM data, fixture policies evaluated (exact, wildcard, NotAction, conditions, Deny, several policies, a shared role), the proposals, and the demo account.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { PeerReport } from '../../src/core/model';
import { scan } from '../../src/core/scan';
import { iamActionsForEvent } from '../../src/permissions/actions';
import { analyzePermissions } from '../../src/permissions/analyze';
import { evaluateRole, MAX_LISTED_UNUSED } from '../../src/permissions/evaluate';
import type { ObservedCall, PolicyStatement, RolePolicies, RolePolicy, SecurityGroup } from '../../src/permissions/model';
import { proposeEgress, ruleAllows } from '../../src/permissions/network';
import { lambdaRuntimeActions, proposePolicy } from '../../src/permissions/proposal';
import { renderPermissionsText } from '../../src/permissions/text';
import { openRecordedPermissions } from '../../src/replay/iam';
import { openScenario } from '../../src/replay/scenario';

const ACCOUNT = '123456789012';
const root = path.resolve(__dirname, '..', '..');

const inline = (name: string, ...Statement: PolicyStatement[]): RolePolicy => ({
  kind: 'inline',
  name,
  document: { Version: '2012-10-17', Statement },
});
const managed = (name: string, ...Statement: PolicyStatement[]): RolePolicy => ({
  kind: 'managed',
  name,
  arn: `arn:aws:iam::${ACCOUNT}:policy/${name}`,
  versionId: 'v1',
  document: { Version: '2012-10-17', Statement },
});
const role = (...policies: RolePolicy[]): RolePolicies => ({
  roleName: 'app-role',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/app-role`,
  policies,
});
const call = (eventSource: string, eventName: string, over: Partial<ObservedCall> = {}): ObservedCall => ({
  function: 'Fn',
  eventSource,
  eventName,
  caller: 'function',
  count: 10,
  succeeded: 10,
  denied: 0,
  inBaseline: true,
  ...over,
});
const used = (r: Awaited<ReturnType<typeof evaluateRole>>, action: string) => {
  const u = r.used.find((x) => x.action === action);
  assert.ok(u, `${action} not among ${r.used.map((x) => x.action).join(', ')}`);
  return u;
};

describe('CloudTrail names to IAM actions, from the IAM data', () => {
  test('same names, API-version suffixes and the documented exceptions', async () => {
    assert.deepEqual(await iamActionsForEvent('secretsmanager.amazonaws.com', 'GetSecretValue'), {
      mapped: true,
      actions: ['secretsmanager:GetSecretValue'],
      rule: 'same-name',
    });
    assert.deepEqual(await iamActionsForEvent('lambda.amazonaws.com', 'UpdateFunctionCode20150331v2'), {
      mapped: true,
      actions: ['lambda:UpdateFunctionCode'],
      rule: 'version-suffix',
    });
    assert.deepEqual(await iamActionsForEvent('lambda.amazonaws.com', 'ListFunctions20150331'), {
      mapped: true,
      actions: ['lambda:ListFunctions'],
      rule: 'version-suffix',
    });
    assert.deepEqual(await iamActionsForEvent('lambda.amazonaws.com', 'Invoke'), {
      mapped: true,
      actions: ['lambda:InvokeFunction'],
      rule: 'exception',
    });
    assert.deepEqual(await iamActionsForEvent('s3.amazonaws.com', 'ListBuckets'), {
      mapped: true,
      actions: ['s3:ListAllMyBuckets'],
      rule: 'exception',
    });
    assert.deepEqual(await iamActionsForEvent('monitoring.amazonaws.com', 'PutMetricData'), {
      mapped: true,
      actions: ['cloudwatch:PutMetricData'],
      rule: 'same-name',
    });
  });

  test('a name the data lacks is unmapped, never guessed', async () => {
    const m = await iamActionsForEvent('s3.amazonaws.com', 'FrobnicateBucket');
    assert.equal(m.mapped, false);
    assert.match(m.mapped ? '' : m.reason, /no IAM action s3:FrobnicateBucket/);
    // A version-looking suffix is stripped only when the data has the rest.
    assert.equal((await iamActionsForEvent('lambda.amazonaws.com', 'Nothing20150331')).mapped, false);
    assert.equal((await iamActionsForEvent('nosuchservice.amazonaws.com', 'GetThing')).mapped, false);
  });
});

describe('a role evaluated against the calls made with it', () => {
  test('exact and wildcard grants name their statement; unused actions are expanded from the data', async () => {
    const r = await evaluateRole(
      role(
        inline(
          'app',
          { Sid: 'Exact', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' },
          { Sid: 'Wild', Effect: 'Allow', Action: 's3:GetBucket*', Resource: 'arn:aws:s3:::reports' },
        ),
      ),
      [call('secretsmanager.amazonaws.com', 'GetSecretValue'), call('s3.amazonaws.com', 'GetBucketLocation')],
      { accountId: ACCOUNT },
    );
    const secret = used(r, 'secretsmanager:GetSecretValue');
    assert.equal(secret.verdict, 'allowed');
    assert.deepEqual(
      secret.grantedBy.map((s) => s.sid),
      ['Exact'],
    );
    const location = used(r, 's3:GetBucketLocation');
    assert.equal(location.verdict, 'allowed');
    assert.deepEqual(
      location.grantedBy.map((s) => [s.sid, s.index]),
      [['Wild', 1]],
    );
    assert.deepEqual(location.resources, ['arn:aws:s3:::reports']);
    const wild = r.unused.find((g) => g.pattern === 's3:GetBucket*');
    assert.ok(wild);
    assert.ok(wild.unused.includes('s3:GetBucketPolicy'), wild.unused.join(', '));
    assert.ok(!wild.unused.includes('s3:GetBucketLocation'), 'a used action is not unused');
    assert.equal(wild.unusedCount, wild.unused.length);
    assert.equal(
      r.unused.some((g) => g.pattern === 'secretsmanager:GetSecretValue'),
      false,
      'a fully used exact grant is not listed',
    );
  });

  test('a NotAction statement grants everything outside it; its complement is the unused list, counted whole', async () => {
    const r = await evaluateRole(
      role(inline('broad', { Sid: 'AllButIam', Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' })),
      [call('s3.amazonaws.com', 'GetBucketLocation'), call('iam.amazonaws.com', 'CreateUser', { succeeded: 0, denied: 3, count: 3 })],
      { accountId: ACCOUNT },
    );
    assert.equal(used(r, 's3:GetBucketLocation').verdict, 'allowed');
    assert.deepEqual(
      used(r, 's3:GetBucketLocation').grantedBy.map((s) => s.sid),
      ['AllButIam'],
    );
    const createUser = used(r, 'iam:CreateUser');
    assert.equal(createUser.verdict, 'not-granted');
    assert.equal(createUser.deniedInTrail, true);
    const [grant] = r.unused;
    assert.equal(grant?.element, 'NotAction');
    assert.equal(grant?.pattern, 'NotAction iam:*');
    assert.ok((grant?.unusedCount ?? 0) > 10_000, `${grant?.unusedCount}`);
    assert.equal(grant?.unused.length, MAX_LISTED_UNUSED);
    assert.ok(grant?.unused.every((a) => !a.startsWith('iam:')));
    assert.ok(grant?.notObservable.includes('s3:GetObject'), 'data-event actions are singled out');
  });

  test('conditions are reported, not evaluated; a conditional Deny is named too', async () => {
    const r = await evaluateRole(
      role(
        inline(
          'cond',
          {
            Sid: 'Tagged',
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: '*',
            Condition: { StringEquals: { 'aws:ResourceTag/team': 'orders' } },
          },
          { Sid: 'Keys', Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' },
          { Sid: 'TlsOnly', Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        ),
      ),
      [call('sqs.amazonaws.com', 'SendMessage'), call('kms.amazonaws.com', 'Decrypt')],
      { accountId: ACCOUNT },
    );
    const send = used(r, 'sqs:SendMessage');
    assert.equal(send.verdict, 'allowed-if-conditions');
    assert.deepEqual(
      send.conditions.map((c) => [c.statement.sid, c.operator, c.key, c.values]),
      [['Tagged', 'StringEquals', 'aws:ResourceTag/team', ['orders']]],
    );
    const decrypt = used(r, 'kms:Decrypt');
    assert.equal(decrypt.verdict, 'allowed-if-conditions');
    assert.deepEqual(
      decrypt.grantedBy.map((s) => s.sid),
      ['Keys'],
    );
    assert.deepEqual(
      decrypt.deniedBy.map((s) => s.sid),
      ['TlsOnly'],
    );
    assert.deepEqual(
      decrypt.conditions.map((c) => c.key),
      ['aws:SecureTransport'],
    );
  });

  test('an unconditional Deny wins; several policies are all read and each granting statement named', async () => {
    const r = await evaluateRole(
      role(
        inline('deny', { Sid: 'NoIam', Effect: 'Deny', Action: 'iam:*', Resource: '*' }),
        managed('wide', { Sid: 'Everything', Effect: 'Allow', Action: '*', Resource: '*' }),
        managed('narrow', { Sid: 'Params', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: '*' }),
      ),
      [call('iam.amazonaws.com', 'CreateUser'), call('ssm.amazonaws.com', 'GetParameter')],
      { accountId: ACCOUNT },
    );
    const createUser = used(r, 'iam:CreateUser');
    assert.equal(createUser.verdict, 'denied');
    assert.deepEqual(
      createUser.deniedBy.map((s) => [s.policyKind, s.policyName, s.sid]),
      [['inline', 'deny', 'NoIam']],
    );
    const param = used(r, 'ssm:GetParameter');
    assert.equal(param.verdict, 'allowed');
    assert.deepEqual(param.grantedBy.map((s) => s.policyName).sort(), ['narrow', 'wide']);
    assert.ok(param.grantedBy.every((s) => s.policyArn?.startsWith(`arn:aws:iam::${ACCOUNT}:policy/`)));
  });

  test('a shared role is judged on what all of its functions used', async () => {
    const r = await evaluateRole(
      role(
        inline('orders', { Effect: 'Allow', Action: ['dynamodb:DescribeTable', 'ssm:GetParameter', 'ssm:GetParameters'], Resource: '*' }),
      ),
      [
        call('dynamodb.amazonaws.com', 'DescribeTable', { function: 'Worker' }),
        call('ssm.amazonaws.com', 'GetParameter', { function: 'Api' }),
        call('ssm.amazonaws.com', 'GetParameter', { function: 'Worker' }),
      ],
      { accountId: ACCOUNT },
    );
    assert.deepEqual(used(r, 'ssm:GetParameter').functions, ['Api', 'Worker']);
    assert.deepEqual(used(r, 'dynamodb:DescribeTable').functions, ['Worker']);
    assert.deepEqual(
      r.unused.map((g) => g.pattern),
      ['ssm:GetParameters'],
      'only what none of them used is unused',
    );
  });

  test('runtime actions are never unused, and kept only as the role grants them', async () => {
    const r = await evaluateRole(
      role(inline('logs', { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' })),
      [],
      {
        accountId: ACCOUNT,
        runtimeActions: lambdaRuntimeActions(true),
      },
    );
    assert.deepEqual(r.unused, []);
    assert.deepEqual(r.runtimeGranted, ['logs:CreateLogStream', 'logs:PutLogEvents']);
  });
});

describe('the proposal', () => {
  test('used actions by service, the Lambda service apart, denied ones left out, new ones and shared roles noted', async () => {
    const r = await evaluateRole(
      role(inline('p', { Effect: 'Allow', Action: ['s3:*', 'ssm:GetParameter', 'kms:Decrypt', 'sts:GetCallerIdentity'], Resource: '*' })),
      [
        call('ssm.amazonaws.com', 'GetParameter'),
        call('s3.amazonaws.com', 'GetBucketLocation'),
        call('s3.amazonaws.com', 'ListBuckets', { inBaseline: false }),
        call('kms.amazonaws.com', 'Decrypt', { caller: 'lambda-service' }),
        call('iam.amazonaws.com', 'CreateUser', { succeeded: 0, denied: 2, count: 2 }),
      ],
      { accountId: ACCOUNT, runtimeActions: lambdaRuntimeActions(false) },
    );
    const p = proposePolicy({ used: r.used, unused: r.unused, runtimeGranted: r.runtimeGranted, roleFunctions: ['Fn', 'Other'] });
    assert.deepEqual(
      p.statements.filter((s) => s.basis === 'used-by-code').map((s) => [s.sid, s.actions]),
      [
        ['S3UsedByCode', ['s3:GetBucketLocation', 's3:ListAllMyBuckets']],
        ['SsmUsedByCode', ['ssm:GetParameter']],
      ],
    );
    assert.deepEqual(p.statements.find((s) => s.basis === 'used-by-lambda-service')?.actions, ['kms:Decrypt']);
    const kept = p.statements.find((s) => s.basis === 'kept-not-observable');
    assert.ok(kept?.actions.includes('s3:GetObject'), 'granted data-event actions are kept for the reviewer');
    assert.ok(!p.statements.some((s) => s.actions.includes('iam:CreateUser')));
    assert.ok(!p.statements.some((s) => s.actions.includes('sts:GetCallerIdentity')), 'granted, unused, observable: dropped');
    assert.ok(p.notes.some((n) => n.includes('s3:ListAllMyBuckets') && n.includes('detection window')));
    assert.ok(p.notes.some((n) => n.includes('iam:CreateUser')));
    assert.ok(p.notes.some((n) => n.includes('shared by Fn, Other')));
    assert.ok(p.notes.some((n) => n.includes('Resources are "*"')));
    const statements = p.document.Statement as PolicyStatement[];
    assert.equal(statements.length, p.statements.length);
    assert.ok(statements.every((s) => s.Effect === 'Allow' && typeof s.Sid === 'string'));
  });

  test('egress: one rule per destination, port and protocol reached; service peers as prefix lists or services; current rules judged', () => {
    const peer = (address: string, port: number, over: Partial<PeerReport> = {}): PeerReport => ({
      address,
      port,
      protocol: 'tcp',
      resource: 'x',
      inBaseline: true,
      flows: 5,
      bytes: 100,
      packets: 10,
      rejected: 0,
      ...over,
    });
    const groups: SecurityGroup[] = [
      {
        groupId: 'sg-1',
        egress: [
          { groupId: 'sg-1', protocol: 'tcp', fromPort: 443, toPort: 443, destination: { kind: 'cidr', cidr: '0.0.0.0/0' } },
          { groupId: 'sg-1', protocol: 'tcp', fromPort: 5432, toPort: 5432, destination: { kind: 'cidr', cidr: '10.0.0.0/16' } },
          { groupId: 'sg-1', protocol: 'tcp', fromPort: 22, toPort: 22, destination: { kind: 'cidr', cidr: '10.0.0.0/16' } },
        ],
      },
    ];
    const peers = [
      peer('10.0.3.4', 5432),
      peer('52.216.8.10', 443, { service: { name: 'S3', region: 'us-east-1' } }),
      peer('3.5.6.7', 443, { service: { name: 'SQS', region: 'us-east-1' } }),
      peer('203.0.113.9', 8443),
      peer('10.0.9.9', 3306, { rejected: 5 }),
    ];
    const n = proposeEgress({ securityGroupIds: ['sg-1', 'sg-missing'], groups, peers });
    assert.deepEqual(
      n.proposed.map((r) => [r.destination, r.port, r.allowedNow]),
      [
        [{ kind: 'cidr', cidr: '10.0.3.4/32' }, 5432, true],
        [{ kind: 'cidr', cidr: '203.0.113.9/32' }, 8443, false],
        [{ kind: 'service', service: 'SQS', region: 'us-east-1' }, 443, true],
        [{ kind: 'prefix-list', name: 'com.amazonaws.us-east-1.s3' }, 443, true],
      ],
    );
    assert.deepEqual(
      n.current.map((c) => c.usedBy.length),
      [2, 1, 0],
      'the SSH rule lets no seen peer through',
    );
    assert.ok(n.notes.some((x) => x.includes('sg-missing')));
    assert.ok(
      n.notes.some((x) => x.includes('10.0.9.9:3306/tcp')),
      'rejected-only peers get no rule',
    );
    // A prefix-list rule allows the service peer its name says; a narrow CIDR cannot vouch for rotating addresses.
    const s3 = peers[1] as PeerReport;
    assert.equal(
      ruleAllows(
        { groupId: 'sg', protocol: 'tcp', fromPort: 443, toPort: 443, destination: { kind: 'prefix-list', prefixListId: 'pl-63a5400a' } },
        s3,
        [{ prefixListId: 'pl-63a5400a', name: 'com.amazonaws.us-east-1.s3' }],
      ),
      true,
    );
    assert.equal(
      ruleAllows(
        { groupId: 'sg', protocol: 'tcp', fromPort: 443, toPort: 443, destination: { kind: 'prefix-list', prefixListId: 'pl-1' } },
        s3,
        [],
      ),
      undefined,
    );
    assert.equal(
      ruleAllows(
        { groupId: 'sg', protocol: 'tcp', fromPort: 443, toPort: 443, destination: { kind: 'cidr', cidr: '52.216.0.0/15' } },
        s3,
        [],
      ),
      undefined,
    );
  });
});

describe('the demo account', () => {
  const dir = path.join(root, 'media', 'demo');

  test('the proposal is what its functions used; shared roles say so; grants exceed use', async () => {
    const source = openScenario(dir, 'demo account');
    const report = await scan(source, { signal: new AbortController().signal });
    const permissions = await analyzePermissions(report, openRecordedPermissions(dir), {
      lambdaFunctions: await source.listFunctions(new AbortController().signal),
      signal: new AbortController().signal,
    });
    assert.equal(permissions.functions.length, 7);
    for (const f of permissions.functions) {
      assert.equal(f.roleFailure, undefined, `${f.function}: ${f.roleFailure?.message}`);
      const onRole = report.functions.filter((x) => x.role === f.roleArn);
      const expected = new Set<string>();
      for (const c of onRole.flatMap((x) => x.apiCalls)) {
        const ok = c.count - c.errors + (c.baseline ? c.baseline.count - c.baseline.errors : 0) > 0;
        if ((c.caller ?? 'function') !== 'function' || !ok) continue;
        const m = await iamActionsForEvent(c.eventSource, c.eventName);
        assert.ok(m.mapped, `${c.eventSource}:${c.eventName}`);
        for (const a of m.actions) expected.add(a);
      }
      const proposed = f.proposal.statements.filter((s) => s.basis === 'used-by-code').flatMap((s) => s.actions);
      assert.deepEqual(proposed.sort(), [...expected].sort(), f.function);
      assert.ok(f.unused.length > 0, `${f.function}: its role grants more than it uses`);
      assert.deepEqual(f.roleFunctions, onRole.map((x) => x.name).sort());
      if (onRole.length > 1) assert.ok(f.notes.some((n) => n.includes('judged on what all of them used')));
      if (report.functions.find((x) => x.name === f.function)?.inVpc)
        assert.ok(f.network && f.network.proposed.length > 0, `${f.function}: egress proposed`);
    }
    const orderApi = permissions.functions.find((f) => f.function === 'OrderApi')!;
    assert.equal(orderApi.used.find((u) => u.action === 'iam:CreateUser')?.verdict, 'denied');
    assert.equal(
      permissions.functions.find((f) => f.function === 'PaymentsWebhook')!.used.find((u) => u.action === 'secretsmanager:GetSecretValue')
        ?.verdict,
      'allowed-if-conditions',
    );
    const text = renderPermissionsText(permissions);
    assert.match(text, /OrderApi {2}role orders-role {2}\(shared by OrderApi, OrderWorker/);
    assert.match(text, /condition not evaluated: StringEquals aws:ResourceTag\/team payments/);
    assert.match(text, /Not judged:/);
  });

  test('a scenario without the permissions files: each role says what is not recorded', async () => {
    const fixture = path.join(root, 'test', 'fixtures', 'scenarios', 'mixed-v5');
    const source = openScenario(fixture);
    const report = await scan(source, { signal: new AbortController().signal });
    const permissions = await analyzePermissions(report, openRecordedPermissions(fixture), { signal: new AbortController().signal });
    assert.ok(permissions.functions.length > 0);
    for (const f of permissions.functions) {
      assert.match(f.roleFailure?.message ?? '', /not recorded: the scenario has no iam\/roles\.json \(iam:GetRole\)/);
      assert.deepEqual(f.proposal.statements, []);
    }
  });
});
