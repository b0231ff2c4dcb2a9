// record carries the IAM answers (mocked SDK): the functions' roles, policies and security groups written as the replay reads them, a denied read kept in scenario.json's failures.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeFlowLogsCommand, DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand, ListTagsCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { createClients } from '../../src/aws/clients';
import { recordScenario } from '../../src/aws/record';
import { openRecordedPermissions } from '../../src/replay/iam';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/orders-role`;
const MANAGED = `arn:aws:iam::${ACCOUNT}:policy/orders-extra`;
const now = Date.parse('2026-11-23T00:00:00Z');
const signal = new AbortController().signal;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const inline = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
const managed = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*' }] };

function account(options: { denyGetRole?: boolean } = {}) {
  const mocks = [
    mockClient(STSClient),
    mockClient(LambdaClient),
    mockClient(EC2Client),
    mockClient(CloudTrailClient),
    mockClient(CloudWatchClient),
    mockClient(IAMClient),
  ] as const;
  const [sts, lambda, ec2, trail, cw, iam] = mocks;
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
  lambda.on(ListFunctionsCommand).resolves({
    Functions: [
      {
        FunctionName: 'api',
        FunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:api`,
        Role: ROLE,
        VpcConfig: { VpcId: 'vpc-1', SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-app'] },
      },
      { FunctionName: 'worker', FunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:worker`, Role: ROLE },
    ],
  });
  lambda.on(ListTagsCommand).resolves({ Tags: {} });
  ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
  ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
  ec2.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [
      {
        GroupId: 'sg-app',
        GroupName: 'app',
        VpcId: 'vpc-1',
        IpPermissionsEgress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      },
    ],
  });
  trail.on(LookupEventsCommand).resolves({ Events: [] });
  cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  const getRole = iam.on(GetRoleCommand);
  if (options.denyGetRole) {
    getRole.rejects(
      Object.assign(new Error('User is not authorized to perform: iam:GetRole'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
  } else {
    getRole.resolves({ Role: { RoleName: 'orders-role', Arn: ROLE, Path: '/', RoleId: 'AROA1', CreateDate: new Date(now) } });
  }
  iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyName: 'orders-extra', PolicyArn: MANAGED }] });
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['orders-inline'] });
  iam
    .on(GetRolePolicyCommand)
    .resolves({ RoleName: 'orders-role', PolicyName: 'orders-inline', PolicyDocument: encodeURIComponent(JSON.stringify(inline)) });
  iam.on(GetPolicyCommand).resolves({ Policy: { PolicyName: 'orders-extra', Arn: MANAGED, DefaultVersionId: 'v2' } });
  iam
    .on(GetPolicyVersionCommand)
    .resolves({ PolicyVersion: { VersionId: 'v2', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(managed)) } });
  return { iam, restore: () => mocks.forEach((m) => m.restore()) };
}

async function recordInto(dir: string) {
  const ranges = path.join(path.dirname(dir), 'ranges.json');
  fs.writeFileSync(ranges, JSON.stringify({ syncToken: '1', createDate: '2026-11-01-00-00-00', prefixes: [], ipv6_prefixes: [] }));
  const clients = createClients({ region: 'us-east-1', credentials, maxAttempts: 1 });
  try {
    return await recordScenario(clients, { out: dir, baselineDays: 7, detectHours: 24, now, ipRanges: { location: ranges } }, signal);
  } finally {
    clients.destroy();
  }
}

test('record writes the role (read once for the functions sharing it), its policies and the security groups; the replay serves them', async () => {
  const { iam, restore } = account();
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lb-record-iam-')), 'scenario');
  try {
    const summary = await recordInto(dir);
    assert.deepEqual(summary.failures, {});
    assert.equal(iam.commandCalls(GetRoleCommand).length, 1);
    assert.equal(iam.commandCalls(GetRoleCommand)[0]!.args[0].input.RoleName, 'orders-role');
    for (const rel of ['iam/roles.json', 'iam/policies.json', 'ec2/describe-security-groups.json'])
      assert.ok(fs.existsSync(path.join(dir, rel)), rel);
    const replay = openRecordedPermissions(dir);
    assert.equal((await replay.getRole('orders-role', signal)).arn, ROLE);
    assert.deepEqual(await replay.getRolePolicy('orders-role', 'orders-inline', signal), inline);
    assert.deepEqual(await replay.getPolicyVersion(MANAGED, 'v2', signal), managed);
    const [group] = await replay.describeSecurityGroups(['sg-app'], signal);
    assert.equal(group?.egress[0]?.destination.kind, 'cidr');
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'scenario.json'), 'utf8')).failures, undefined);
  } finally {
    restore();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test('a denied iam:GetRole is a failure of the recording, in scenario.json, and the replay fails it again', async () => {
  const { restore } = account({ denyGetRole: true });
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lb-record-iam-')), 'scenario');
  try {
    const summary = await recordInto(dir);
    assert.match(summary.failures['iam:GetRole'] ?? '', /iam:GetRole/);
    const scenario = JSON.parse(fs.readFileSync(path.join(dir, 'scenario.json'), 'utf8')) as { failures?: Record<string, string> };
    assert.equal(scenario.failures?.['iam:GetRole'], summary.failures['iam:GetRole']);
    await assert.rejects(openRecordedPermissions(dir).getRole('orders-role', signal), /not recorded: .*iam:GetRole/);
  } finally {
    restore();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});
