// The live permissions reads against moto_server: a role's inline and managed policies (default version), security groups' egress, denial sorted, and a recording the replay reads back the same.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuthorizeSecurityGroupEgressCommand, CreateSecurityGroupCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsPermissionsSource, recordPermissions, type IamClients } from '../../src/aws/iam';
import { SourceError } from '../../src/core/ports';
import { readRolePolicies } from '../../src/permissions/port';
import { openRecordedPermissions } from '../../src/replay/iam';
import { clientConfig, motoSkipReason, startMoto, type MotoServer } from '../support/moto';

const REGION = 'us-east-1';
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const INLINE = { Version: '2012-10-17', Statement: [{ Sid: 'Params', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }] };
const V1 = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const V2 = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Orders', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: '*' }],
};

describe('permissions reads against moto_server', { timeout: 120_000, skip: motoSkipReason() }, () => {
  let moto: MotoServer;
  let clients: IamClients;
  let iam: IAMClient;
  let ec2: EC2Client;
  let roleArn = '';
  let policyArn = '';
  let groupId = '';
  const signal = new AbortController().signal;

  before(async () => {
    moto = await startMoto();
    iam = new IAMClient(clientConfig(moto.endpoint, REGION));
    ec2 = new EC2Client(clientConfig(moto.endpoint, REGION));
    clients = { iam: () => iam, ec2: () => ec2 };
    roleArn = (await iam.send(new CreateRoleCommand({ RoleName: 'orders-role', Path: '/service-role/', AssumeRolePolicyDocument: TRUST })))
      .Role!.Arn!;
    await iam.send(new PutRolePolicyCommand({ RoleName: 'orders-role', PolicyName: 'params', PolicyDocument: JSON.stringify(INLINE) }));
    policyArn = (await iam.send(new CreatePolicyCommand({ PolicyName: 'orders-access', PolicyDocument: JSON.stringify(V1) }))).Policy!.Arn!;
    await iam.send(new CreatePolicyVersionCommand({ PolicyArn: policyArn, PolicyDocument: JSON.stringify(V2), SetAsDefault: true }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'orders-role', PolicyArn: policyArn }));
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!.VpcId!;
    groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'orders', Description: 'orders', VpcId: vpc }))).GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.1.3.0/24', Description: 'db' }] }],
      }),
    );
  });

  after(async () => {
    iam?.destroy();
    ec2?.destroy();
    await moto?.stop();
  });

  test('a role is read with its inline policy and its attached policy at the default version', async () => {
    const source = new AwsPermissionsSource(clients, 'moto');
    const role = await readRolePolicies(source, roleArn, signal);
    assert.equal(role.roleName, 'orders-role');
    assert.equal(role.roleArn, roleArn);
    const inline = role.policies.find((p) => p.kind === 'inline');
    assert.deepEqual(inline?.document, INLINE, "IAM's URL-encoded document decoded");
    const managed = role.policies.find((p) => p.kind === 'managed');
    assert.equal(managed?.arn, policyArn);
    assert.equal(managed?.versionId, 'v2');
    assert.deepEqual(managed?.document, V2);
  });

  test('security groups come back with their egress rules flattened', async () => {
    const groups = await new AwsPermissionsSource(clients, 'moto').describeSecurityGroups([groupId], signal);
    assert.equal(groups.length, 1);
    const rule = groups[0]!.egress.find((r) => r.fromPort === 5432);
    assert.deepEqual(rule, {
      groupId,
      protocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
      destination: { kind: 'cidr', cidr: '10.1.3.0/24' },
      description: 'db',
    });
    // moto, like EC2, gives a new group its allow-all egress rule.
    assert.ok(groups[0]!.egress.some((r) => r.protocol === '-1' && r.destination.kind === 'cidr' && r.destination.cidr === '0.0.0.0/0'));
  });

  test('recorded, then replayed: the same role and security groups', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-iam-'));
    try {
      const write = (rel: string, value: unknown) => {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), JSON.stringify(value, null, 1));
      };
      const summary = await recordPermissions(clients, { roleArns: [roleArn], securityGroupIds: [groupId] }, write, signal);
      assert.deepEqual(summary, { roles: 1, policies: 1, securityGroups: 1, failures: {} });
      const live = new AwsPermissionsSource(clients, 'moto');
      const replay = openRecordedPermissions(dir);
      assert.deepEqual(await readRolePolicies(replay, roleArn, signal), await readRolePolicies(live, roleArn, signal));
      assert.deepEqual(await replay.describeSecurityGroups([groupId], signal), await live.describeSecurityGroups([groupId], signal));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a denied read names its IAM action; the recording notes it and the replay fails it again', async () => {
    const mock = mockClient(IAMClient);
    try {
      mock.onAnyCommand().rejects(
        Object.assign(new Error('User is not authorized to perform: iam:GetRole'), {
          name: 'AccessDenied',
          $metadata: { httpStatusCode: 403 },
        }),
      );
      const denied = { iam: () => new IAMClient(clientConfig(moto.endpoint, REGION)), ec2: () => ec2 };
      await assert.rejects(
        new AwsPermissionsSource(denied, 'mock').getRole('orders-role', signal),
        (err) => SourceError.is(err) && err.kind === 'access-denied' && err.iamAction === 'iam:GetRole',
      );
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-iam-'));
      try {
        const write = (rel: string, value: unknown) => {
          fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
          fs.writeFileSync(path.join(dir, rel), JSON.stringify(value));
        };
        const summary = await recordPermissions(denied, { roleArns: [roleArn], securityGroupIds: [] }, write, signal);
        assert.deepEqual(Object.keys(summary.failures), ['iam:GetRole']);
        write('scenario.json', { formatVersion: 1, failures: summary.failures });
        await assert.rejects(openRecordedPermissions(dir).getRole('orders-role', signal), /not recorded: iam:GetRole was denied/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      mock.restore();
    }
  });
});
