// AWS SDK response shapes mapped to the engine's model (shared by replay and live backends).
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import {
  ShapeError,
  flowLogFromAws,
  functionFromAws,
  metricSeriesFromAws,
  networkInterfaceFromAws,
  trailEventFromAws,
} from '../../src/core/aws-shapes';
import { TrailAttributor } from '../../src/core/trail/calls';

describe('functionFromAws', () => {
  test('a VPC function', () => {
    const f = functionFromAws(
      {
        FunctionName: 'orders',
        FunctionArn: 'arn:aws:lambda:us-east-1:1:function:orders',
        Role: 'arn:aws:iam::1:role/r',
        Runtime: 'python3.12',
        Handler: 'app.h',
        LastModified: '2026-10-19T00:00:00.000+0000',
        VpcConfig: { SubnetIds: ['subnet-1', 7, 'subnet-2'], SecurityGroupIds: ['sg-1', null], VpcId: 'vpc-1' },
      },
      { team: 'x' },
    );
    assert.deepEqual(f, {
      name: 'orders',
      arn: 'arn:aws:lambda:us-east-1:1:function:orders',
      role: 'arn:aws:iam::1:role/r',
      runtime: 'python3.12',
      handler: 'app.h',
      lastModified: '2026-10-19T00:00:00.000+0000',
      vpc: { vpcId: 'vpc-1', subnetIds: ['subnet-1', 'subnet-2'], securityGroupIds: ['sg-1'] },
      tags: { team: 'x' },
    });
  });

  test('an empty VpcConfig (as ListFunctions returns for non-VPC functions) is no VPC', () => {
    assert.equal(functionFromAws({ FunctionName: 'a', VpcConfig: { SubnetIds: [], SecurityGroupIds: [], VpcId: '' } }).vpc, undefined);
    assert.equal(functionFromAws({ FunctionName: 'a' }).vpc, undefined);
    assert.deepEqual(functionFromAws({ FunctionName: 'a' }).tags, {});
    assert.equal(functionFromAws({ FunctionName: 'a' }).arn, 'a');
  });

  test('no FunctionName is a ShapeError', () => {
    for (const raw of [{}, null, 'orders', { FunctionName: '' }, { FunctionName: 5 }])
      assert.throws(() => functionFromAws(raw), ShapeError, JSON.stringify(raw));
  });
});

describe('networkInterfaceFromAws', () => {
  test('every field read, the primary address first', () => {
    const attach = new Date(Date.UTC(2026, 8, 29));
    const e = networkInterfaceFromAws({
      NetworkInterfaceId: 'eni-1',
      InterfaceType: 'lambda',
      Description: 'AWS Lambda VPC ENI-x',
      SubnetId: 'subnet-1',
      VpcId: 'vpc-1',
      Groups: [{ GroupId: 'sg-1', GroupName: 'a' }, { GroupName: 'no id' }, { GroupId: 'sg-2' }],
      PrivateIpAddress: '10.0.0.5',
      PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.6' }, { Primary: false }],
      Ipv6Addresses: [{ Ipv6Address: '2600:1f18::5' }],
      Association: { PublicIp: '54.1.2.3' },
      RequesterId: 'AROA:fn',
      Status: 'in-use',
      Attachment: { InstanceId: 'i-1', AttachTime: attach },
    });
    assert.deepEqual(e, {
      id: 'eni-1',
      type: 'lambda',
      description: 'AWS Lambda VPC ENI-x',
      subnetId: 'subnet-1',
      vpcId: 'vpc-1',
      securityGroupIds: ['sg-1', 'sg-2'],
      privateIps: ['10.0.0.5', '10.0.0.6'],
      ipv6Ips: ['2600:1f18::5'],
      publicIp: '54.1.2.3',
      requesterId: 'AROA:fn',
      instanceId: 'i-1',
      status: 'in-use',
      since: attach.getTime(),
    });
  });

  test('defaults, an ISO attach time, and no duplicate primary', () => {
    const e = networkInterfaceFromAws({
      NetworkInterfaceId: 'eni-2',
      PrivateIpAddress: '10.0.0.5',
      PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.5' }],
      Attachment: { AttachTime: '2026-09-29T00:00:00Z' },
    });
    assert.equal(e.type, 'interface');
    assert.equal(e.description, '');
    assert.deepEqual(e.privateIps, ['10.0.0.5']);
    assert.deepEqual(e.ipv6Ips, []);
    assert.equal(e.since, Date.UTC(2026, 8, 29));
    assert.equal(networkInterfaceFromAws({ NetworkInterfaceId: 'eni-3', Attachment: { AttachTime: 'garbage' } }).since, undefined);
  });

  test('no NetworkInterfaceId is a ShapeError', () => {
    assert.throws(() => networkInterfaceFromAws({ Description: 'x' }), ShapeError);
  });
});

describe('flowLogFromAws', () => {
  test('fields and defaults', () => {
    assert.deepEqual(
      flowLogFromAws({
        FlowLogId: 'fl-1',
        LogFormat: '${version}',
        LogDestinationType: 's3',
        LogDestination: 'arn:aws:s3:::b',
        ResourceId: 'vpc-1',
        TrafficType: 'ALL',
        MaxAggregationInterval: 60,
        FlowLogStatus: 'ACTIVE',
      }),
      {
        id: 'fl-1',
        logFormat: '${version}',
        destinationType: 's3',
        logGroupName: undefined,
        destination: 'arn:aws:s3:::b',
        resourceId: 'vpc-1',
        trafficType: 'ALL',
        maxAggregationIntervalSeconds: 60,
        status: 'ACTIVE',
      },
    );
    const d = flowLogFromAws({ FlowLogId: 'fl-2' });
    assert.equal(d.logFormat, '');
    assert.equal(d.destinationType, 'cloud-watch-logs');
    assert.equal(d.resourceId, '');
    assert.throws(() => flowLogFromAws({}), ShapeError);
  });
});

describe('trailEventFromAws', () => {
  const record = (identity: object, extra: object = {}) =>
    JSON.stringify({
      userIdentity: identity,
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventID: 'rec-id',
      eventTime: '2026-11-22T01:02:03Z',
      ...extra,
    });

  test('session and role from an assumed-role ARN; errors, agent and source address from the record', () => {
    const e = trailEventFromAws({
      EventId: 'e-1',
      EventTime: new Date(Date.UTC(2026, 10, 22, 5)),
      EventSource: 'kms.amazonaws.com',
      EventName: 'Decrypt',
      Username: 'ignored',
      CloudTrailEvent: record(
        { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/my-role/my-fn' },
        { errorCode: 'AccessDenied', errorMessage: 'no', userAgent: 'ua', sourceIPAddress: '1.2.3.4' },
      ),
    });
    assert.deepEqual(e, {
      eventId: 'e-1',
      eventTime: Date.UTC(2026, 10, 22, 5),
      eventSource: 'kms.amazonaws.com',
      eventName: 'Decrypt',
      sessionName: 'my-fn',
      roleName: 'my-role',
      principalArn: 'arn:aws:sts::1:assumed-role/my-role/my-fn',
      errorCode: 'AccessDenied',
      errorMessage: 'no',
      userAgent: 'ua',
      sourceIp: '1.2.3.4',
    });
  });

  test('fields missing from the Event are taken from the record', () => {
    const e = trailEventFromAws({ CloudTrailEvent: record({ arn: 'arn:aws:sts::1:assumed-role/r/s' }) });
    assert.equal(e.eventId, 'rec-id');
    assert.equal(e.eventTime, Date.UTC(2026, 10, 22, 1, 2, 3));
    assert.equal(e.eventSource, 's3.amazonaws.com');
    assert.equal(e.eventName, 'GetObject');
  });

  test('without a CloudTrailEvent, Username is the session', () => {
    const e = trailEventFromAws({ EventId: 'e', EventTime: '2026-11-22T00:00:00Z', Username: 'fn' });
    assert.equal(e.sessionName, 'fn');
    assert.equal(e.roleName, undefined);
  });

  test('no time, or a record that is not JSON, is a ShapeError naming the event', () => {
    assert.throws(
      () => trailEventFromAws({ EventId: 'e-9' }),
      (err: unknown) => err instanceof ShapeError && err.message.includes('e-9'),
    );
    assert.throws(
      () => trailEventFromAws({ EventId: 'e-8', EventTime: '2026-11-22T00:00:00Z', CloudTrailEvent: '{' }),
      (err: unknown) => err instanceof ShapeError && err.message.includes('e-8'),
    );
  });

  test("an IAM user named like a function is not that function's code", () => {
    const e = trailEventFromAws({
      EventId: 'u-1',
      EventTime: '2026-11-22T10:00:00Z',
      EventSource: 'iam.amazonaws.com',
      EventName: 'CreateAccessKey',
      Username: 'orders',
      CloudTrailEvent: record({ type: 'IAMUser', arn: 'arn:aws:iam::1:user/orders', userName: 'orders' }),
    });
    const t = new TrailAttributor(
      [{ name: 'orders', arn: 'arn:aws:lambda:us-east-1:1:function:orders', role: 'arn:aws:iam::1:role/orders-role', tags: {} }],
      Date.UTC(2026, 10, 22),
    );
    t.add(e);
    assert.deepEqual(t.calls('orders'), []);
    assert.equal(t.unattributed, 1);
  });
});

describe('metricSeriesFromAws', () => {
  const q = (Id: string, MetricName: string, fn: string | undefined, Stat = 'Sum', Period: number | undefined = 3600) => ({
    Id,
    MetricStat: {
      Metric: { Namespace: 'AWS/Lambda', MetricName, Dimensions: fn ? [{ Name: 'FunctionName', Value: fn }] : [] },
      Stat,
      ...(Period ? { Period } : {}),
    },
  });

  test('results are joined to their queries by Id; unknown or non-function ones are skipped', () => {
    const series = metricSeriesFromAws(
      [
        q('m0', 'Invocations', 'a'),
        q('m1', 'Duration', 'a', 'Average', 300),
        q('m2', 'Invocations', undefined),
        q('m3', 'IteratorAge', 'a'),
        q('m4', 'Errors', 'b', 'Sum', undefined),
      ],
      [
        { Id: 'm0', Timestamps: ['2026-11-22T02:00:00Z', '2026-11-22T01:00:00Z'], Values: [5, 3] },
        { Id: 'm1', Timestamps: [new Date(Date.UTC(2026, 10, 22))], Values: [120.5] },
        { Id: 'm2', Timestamps: ['2026-11-22T02:00:00Z'], Values: [99] },
        { Id: 'm3', Timestamps: ['2026-11-22T02:00:00Z'], Values: [99] },
        { Id: 'm4', Timestamps: ['2026-11-22T02:00:00Z', 'bad', '2026-11-22T03:00:00Z'], Values: [1, 2] },
        { Id: 'nope', Timestamps: ['2026-11-22T02:00:00Z'], Values: [99] },
      ],
    );
    const by = new Map(series.map((s) => [`${s.functionName} ${s.metric}`, s]));
    assert.deepEqual([...by.keys()].sort(), ['a Duration', 'a Invocations', 'b Errors']);
    assert.deepEqual(by.get('a Invocations')!.points, [
      { t: Date.UTC(2026, 10, 22, 2), v: 5 },
      { t: Date.UTC(2026, 10, 22, 1), v: 3 },
    ]);
    assert.equal(by.get('a Duration')!.stat, 'Average');
    assert.equal(by.get('a Duration')!.periodSeconds, 300);
    assert.equal(by.get('b Errors')!.periodSeconds, 3600);
    // Mismatched lengths and a bad timestamp: only the pairs that exist and parse.
    assert.deepEqual(by.get('b Errors')!.points, [{ t: Date.UTC(2026, 10, 22, 2), v: 1 }]);
  });

  test('results of one query over several pages go into one series', () => {
    const series = metricSeriesFromAws(
      [q('m0', 'Invocations', 'a')],
      [
        { Id: 'm0', Timestamps: ['2026-11-22T02:00:00Z'], Values: [5] },
        { Id: 'm0', Timestamps: ['2026-11-22T01:00:00Z'], Values: [4] },
      ],
    );
    assert.equal(series.length, 1);
    assert.equal(series[0].points.length, 2);
  });
});
