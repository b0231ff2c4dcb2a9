// The live backend where moto cannot answer (Logs Insights, LookupEvents, throttling, expired SSO), with recorded response shapes.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeFlowLogsCommand, DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand, ListTagsCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { parseLogFormat } from '../../src/core/flowlog/format';
import { SourceError } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { createClients } from '../../src/aws/clients';
import { classifyAwsError } from '../../src/aws/errors';
import { fetchMetricData, RateLimiter } from '../../src/aws/fetch';
import { aggregateWithInsights, batchEnis, buildFlowQuery, INSIGHTS_ROW_LIMIT, rowsToAggregates } from '../../src/aws/insights';
import { AwsSource } from '../../src/aws/source';
import { recordScenario } from '../../src/aws/record';
import { openScenario } from '../../src/replay/scenario';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const clients = () => createClients({ region: 'us-east-1', credentials, maxAttempts: 1 });
const signal = () => new AbortController().signal;

function sdkError(name: string, message = name, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe('error classification', () => {
  test('access denied names the IAM action; expired SSO says how to log in; throttling; network names the endpoint', () => {
    const denied = classifyAwsError(sdkError('AccessDeniedException', 'not authorized', 403), 'cloudtrail:LookupEvents', 'cloudtrail');
    assert.ok(SourceError.is(denied));
    assert.equal(denied.kind, 'access-denied');
    assert.equal(denied.iamAction, 'cloudtrail:LookupEvents');
    const ec2 = classifyAwsError(sdkError('UnauthorizedOperation', 'You are not authorized'), 'ec2:DescribeFlowLogs', 'ec2');
    assert.equal((ec2 as SourceError).kind, 'access-denied');
    const expired = classifyAwsError(
      sdkError('CredentialsProviderError', 'The SSO session token associated with profile=dev was not found or is invalid'),
      'sts:GetCallerIdentity',
      'sts',
      'dev',
    );
    assert.equal((expired as SourceError).kind, 'expired-credentials');
    assert.match(expired.message, /aws sso login --profile dev/);
    assert.equal(
      (
        classifyAwsError(
          sdkError('ExpiredTokenException', 'The security token included in the request is expired'),
          'x:Y',
          'x',
        ) as SourceError
      ).kind,
      'expired-credentials',
    );
    assert.equal(
      (classifyAwsError(sdkError('ThrottlingException', 'Rate exceeded'), 'cloudwatch:GetMetricData', 'monitoring') as SourceError).kind,
      'throttled',
    );
    const net = classifyAwsError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'lambda:ListFunctions',
      'lambda',
    );
    assert.equal((net as SourceError).kind, 'network');
    assert.match(net.message, /lambda/);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    assert.equal(classifyAwsError(abort, 'x:Y', 'x'), abort, 'a cancellation stays a cancellation');
  });
});

describe('Logs Insights aggregation', () => {
  const format = parseLogFormat(undefined);

  test('the query parses by the LogFormat, filters to the ENIs and their side, groups by peer and hour', () => {
    const q = buildFlowQuery(format, ['eni-1'], ['10.0.1.5'], 'egress');
    assert.match(q, /^parse @message "\* \* \* \* \* \* \* \* \* \* \* \* \* \*" as f_version, f_account_id, f_interface_id, f_srcaddr/);
    assert.match(q, /filter f_interface_id in \["eni-1"\]\n  and f_srcaddr in \["10\.0\.1\.5"\]/);
    assert.match(q, /by f_interface_id as eni, f_dstaddr as remote, f_dstport as port, f_protocol as protocol, f_action as action, hour/);
    const ingress = buildFlowQuery(format, ['eni-1'], ['10.0.1.5'], 'ingress');
    assert.match(ingress, /and f_dstaddr in \["10\.0\.1\.5"\]/);
    assert.match(ingress, /f_srcaddr as remote, f_srcport as port/);
    const custom = parseLogFormat('${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action} ${start} ${interface-id}');
    assert.doesNotMatch(buildFlowQuery(custom, ['eni-1'], ['10.0.1.5'], 'egress'), /f_bytes/, 'no bytes field: summed as 0');
    assert.throws(
      () => buildFlowQuery(parseLogFormat('${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action} ${start}'), [], [], 'egress'),
      /interface-id/,
    );
  });

  test('ENIs are asked for in batches that keep every query under the 10,000-character limit', () => {
    const enis = Array.from({ length: 300 }, (_, i) => ({
      id: `eni-${String(i).padStart(17, '0')}`,
      addresses: [`10.0.${i >> 8}.${i & 255}`],
    }));
    const batches = batchEnis(enis);
    assert.ok(batches.length > 1);
    assert.deepEqual(batches.flat(), enis, 'every ENI once, in order');
    for (const b of batches) {
      for (const direction of ['egress', 'ingress'] as const) {
        const q = buildFlowQuery(
          format,
          b.map((e) => e.id),
          b.flatMap((e) => e.addresses),
          direction,
        );
        assert.ok(q.length < 10_000, `${q.length} characters`);
      }
    }
  });

  test('result rows become aggregates; malformed rows are skipped', () => {
    const row = (v: Record<string, string>) => Object.entries(v).map(([field, value]) => ({ field, value }));
    const out = rowsToAggregates([
      row({
        eni: 'eni-1',
        remote: '10.0.3.4',
        port: '5432',
        protocol: '6',
        action: 'ACCEPT',
        hour: '498360',
        flows: '12',
        packets: '90',
        bytes: '9000',
        first: '1794096000',
        last: '1794096500',
      }),
      row({ eni: 'eni-1', remote: '10.0.3.4', port: 'x', protocol: '6', action: 'ACCEPT', hour: '498360' }),
    ]);
    assert.deepEqual(out, [
      {
        eniId: 'eni-1',
        remoteAddress: '10.0.3.4',
        remotePort: 5432,
        protocol: 6,
        action: 'ACCEPT',
        hour: 498360 * 3_600_000,
        flows: 12,
        packets: 90,
        bytes: 9000,
        first: 1794096000000,
        last: 1794096500000,
      },
    ]);
  });

  test('a range that fills the 10,000-row cap is split and asked again; polling until Complete', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    const ranges: Array<[number, number]> = [];
    let id = 0;
    logs.on(StartQueryCommand).callsFake((input) => {
      ranges.push([input.startTime, input.endTime]);
      return { queryId: `q${id++}` };
    });
    const row = [
      { field: 'eni', value: 'eni-1' },
      { field: 'remote', value: '10.0.3.4' },
      { field: 'port', value: '443' },
      { field: 'protocol', value: '6' },
      { field: 'action', value: 'ACCEPT' },
      { field: 'hour', value: '498360' },
      { field: 'flows', value: '1' },
    ];
    let polls = 0;
    logs.on(GetQueryResultsCommand).callsFake((input) => {
      polls++;
      if (polls === 1) return { status: 'Running' };
      // The first egress query over the whole range comes back full: it must be split.
      const full = input.queryId === 'q0';
      return { status: 'Complete', results: Array.from({ length: full ? INSIGHTS_ROW_LIMIT : 2 }, () => row) };
    });
    const start = Date.parse('2026-11-08T00:00:00Z');
    const end = Date.parse('2026-11-23T00:00:00Z');
    const rows = await aggregateWithInsights(
      clients(),
      '/vpc/flow',
      format,
      [{ id: 'eni-1', addresses: ['10.0.1.5'] }],
      start,
      end,
      signal(),
    );
    assert.equal(ranges.length, 4, 'egress whole (full), egress two halves, ingress whole');
    assert.deepEqual(ranges[1], [start / 1000, (start + (end - start) / 2) / 1000]);
    assert.deepEqual(ranges[2], [(start + (end - start) / 2) / 1000, end / 1000]);
    assert.equal(rows.length, 6);
    logs.restore();
  });

  test('cancelling stops the running query', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(StartQueryCommand).resolves({ queryId: 'q-cancel' });
    logs.on(GetQueryResultsCommand).resolves({ status: 'Running' });
    logs.on(StopQueryCommand).resolves({ success: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled by the user')), 700);
    await assert.rejects(
      aggregateWithInsights(clients(), '/vpc/flow', format, [{ id: 'eni-1', addresses: ['10.0.1.5'] }], 0, 3_600_000, controller.signal),
      /cancelled/,
    );
    assert.equal(logs.commandCalls(StopQueryCommand).length, 1);
    assert.equal(logs.commandCalls(StopQueryCommand)[0].args[0].input.queryId, 'q-cancel');
    logs.restore();
  });
});

describe('CloudTrail and metrics', () => {
  test('the rate limiter spaces LookupEvents requests 500 ms apart', async () => {
    const limiter = new RateLimiter(500);
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await limiter.wait(signal());
    assert.ok(Date.now() - t0 >= 950, `${Date.now() - t0} ms for 3 requests`);
  });

  test('GetMetricData: at most 500 queries a request, pages merged by id', async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(GetMetricDataCommand).callsFake((input) => {
      const ids: string[] = input.MetricDataQueries.map((q: { Id: string }) => q.Id);
      if (!input.NextToken)
        return { MetricDataResults: ids.map((Id) => ({ Id, Timestamps: [new Date(7_200_000)], Values: [2] })), NextToken: 'p2' };
      return { MetricDataResults: ids.map((Id) => ({ Id, Timestamps: [new Date(3_600_000)], Values: [1] })) };
    });
    const names = Array.from({ length: 120 }, (_, i) => `fn-${i}`);
    const data = await fetchMetricData(
      clients(),
      names,
      ['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions'],
      0,
      10_800_000,
      3600,
      signal(),
    );
    const calls = cw.commandCalls(GetMetricDataCommand);
    assert.equal(calls.length, 4, '600 queries: 2 requests of ≤ 500, each with 2 pages');
    assert.ok(calls.every((c) => c.args[0].input.MetricDataQueries!.length <= 500));
    assert.equal(data.MetricDataResults.length, 600);
    assert.deepEqual(data.MetricDataResults[0].Values, [2, 1]);
    const stats = new Set(data.MetricDataQueries.map((q) => `${q.MetricStat!.Metric!.MetricName}:${q.MetricStat!.Stat}`));
    assert.ok(stats.has('Invocations:Sum') && stats.has('Duration:Average') && stats.has('ConcurrentExecutions:Maximum'));
    cw.restore();
  });
});

describe('a live scan with one source denied', () => {
  test('AccessDenied on LookupEvents: coverage names cloudtrail:LookupEvents and the rest still answers', async () => {
    const sts = mockClient(STSClient);
    const lambda = mockClient(LambdaClient);
    const ec2 = mockClient(EC2Client);
    const trail = mockClient(CloudTrailClient);
    const cw = mockClient(CloudWatchClient);
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
    lambda.on(ListFunctionsCommand).resolves({
      Functions: [
        {
          FunctionName: 'api',
          FunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:api',
          Role: 'arn:aws:iam::111122223333:role/api',
        },
      ],
    });
    lambda.on(ListTagsCommand).resolves({ Tags: { team: 'orders' } });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
    trail
      .on(LookupEventsCommand)
      .rejects(sdkError('AccessDeniedException', 'User is not authorized to perform: cloudtrail:LookupEvents', 403));
    const now = Date.parse('2026-11-23T00:00:00Z');
    cw.on(GetMetricDataCommand).callsFake((input) => ({
      MetricDataResults: input.MetricDataQueries.map((q: { Id: string }) => ({
        Id: q.Id,
        Timestamps: [new Date(now - 3_600_000)],
        Values: [5],
      })),
    }));
    const source = new AwsSource(clients(), {});
    const report = await scan(source, { now });
    assert.equal(report.accountId, '111122223333');
    assert.equal(report.functions.length, 1);
    const fn = report.functions[0];
    assert.deepEqual(fn.tags, { team: 'orders' });
    assert.match(fn.coverage.cloudtrail, /^failed: access denied: needs cloudtrail:LookupEvents/);
    assert.match(fn.coverage.metrics, /^complete/);
    assert.ok(report.warnings.some((w) => w.includes('cloudtrail:LookupEvents')));
    for (const m of [sts, lambda, ec2, trail, cw]) m.restore();
  });
});

describe('management events by name (ENI history, function changes)', () => {
  const ACCOUNT = '111122223333';
  const now = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
  const record = (id: string, eventName: string, t: number, arn: string, requestParameters: unknown, responseElements: unknown) => ({
    EventId: id,
    EventName: eventName,
    EventTime: new Date(t),
    EventSource: eventName.includes('Network') ? 'ec2.amazonaws.com' : 'lambda.amazonaws.com',
    Username: arn.split('/').pop(),
    CloudTrailEvent: JSON.stringify({
      userIdentity: { type: 'AssumedRole', arn },
      eventTime: new Date(t).toISOString(),
      eventName,
      eventID: id,
      requestParameters,
      responseElements,
    }),
  });
  const lambdaSession = `arn:aws:sts::${ACCOUNT}:assumed-role/ledger-role/awslambda_1_20261122T014950`;
  const deployer = `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-pipeline/codebuild-1`;
  const description = 'AWS Lambda VPC ENI-ledger-b128f7a2-2a70-4b2e-a6d1-af9eafa4865e';
  const createOld = record(
    'c-old',
    'CreateNetworkInterface',
    now - 40 * 86_400_000,
    lambdaSession,
    { subnetId: 'subnet-1', description },
    {
      networkInterface: {
        networkInterfaceId: 'eni-old',
        subnetId: 'subnet-1',
        vpcId: 'vpc-1',
        description,
        interfaceType: 'lambda',
        privateIpAddress: '10.0.1.10',
        groupSet: { items: [{ groupId: 'sg-old' }] },
      },
    },
  );
  const createNew = record(
    'c-new',
    'CreateNetworkInterface',
    now - 20 * 3_600_000,
    lambdaSession,
    { subnetId: 'subnet-1', description },
    {
      networkInterface: {
        networkInterfaceId: 'eni-new',
        subnetId: 'subnet-1',
        vpcId: 'vpc-1',
        description,
        interfaceType: 'lambda',
        privateIpAddress: '10.0.1.20',
        groupSet: { items: [{ groupId: 'sg-new' }] },
      },
    },
  );
  const deleteOld = record(
    'd-old',
    'DeleteNetworkInterface',
    now - 19 * 3_600_000,
    lambdaSession,
    { networkInterfaceId: 'eni-old' },
    { _return: true },
  );
  const deploy = record(
    'u-code',
    'UpdateFunctionCode20150331v2',
    now - 10 * 3_600_000,
    deployer,
    { functionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ledger` },
    {},
  );

  function account(
    lookup: (input: {
      LookupAttributes?: Array<{ AttributeKey?: string; AttributeValue?: string }>;
      StartTime?: Date;
      NextToken?: string;
    }) => unknown,
  ) {
    const mocks = [
      mockClient(STSClient),
      mockClient(LambdaClient),
      mockClient(EC2Client),
      mockClient(CloudTrailClient),
      mockClient(CloudWatchClient),
      mockClient(IAMClient),
    ] as const;
    const [sts, lambda, ec2, trail, cw, iam] = mocks;
    // What record also reads (the role and the security groups): answered empty.
    iam.on(GetRoleCommand).resolves({
      Role: {
        RoleName: 'ledger-role',
        Arn: `arn:aws:iam::${ACCOUNT}:role/ledger-role`,
        Path: '/',
        RoleId: 'AROA1',
        CreateDate: new Date(0),
      },
    });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
    lambda.on(ListFunctionsCommand).resolves({
      Functions: [
        {
          FunctionName: 'ledger',
          FunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ledger`,
          Role: `arn:aws:iam::${ACCOUNT}:role/ledger-role`,
          LastModified: new Date(now - 10 * 3_600_000).toISOString(),
          VpcConfig: { VpcId: 'vpc-1', SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-new'] },
        },
      ],
    });
    lambda.on(ListTagsCommand).resolves({ Tags: {} });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [
        {
          NetworkInterfaceId: 'eni-new',
          InterfaceType: 'lambda',
          Description: description,
          SubnetId: 'subnet-1',
          VpcId: 'vpc-1',
          Groups: [{ GroupId: 'sg-new' }],
          PrivateIpAddress: '10.0.1.20',
          Attachment: { AttachTime: new Date(now - 20 * 3_600_000) },
        },
      ],
    });
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
    trail.on(LookupEventsCommand).callsFake(lookup);
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    return { trail, restore: () => mocks.forEach((m) => m.restore()) };
  }

  /** The source's own limiter, counted: every LookupEvents request waits its turn on it. */
  class CountingLimiter extends RateLimiter {
    waits = 0;
    constructor() {
      super(0);
    }
    override async wait(s: AbortSignal): Promise<void> {
      this.waits++;
      return super.wait(s);
    }
  }

  test('one lookup per event name, by EventName, ENI events over the 90 days CloudTrail keeps, all pages, through the rate limiter', async () => {
    const asked: Array<{ key?: string; value?: string; start: number; token?: string }> = [];
    const { trail, restore } = account((input) => {
      const [attr] = input.LookupAttributes ?? [];
      asked.push({ key: attr?.AttributeKey, value: attr?.AttributeValue, start: input.StartTime!.getTime(), token: input.NextToken });
      if (attr?.AttributeKey !== 'EventName') return { Events: [] };
      switch (attr.AttributeValue) {
        case 'CreateNetworkInterface':
          return input.NextToken ? { Events: [createNew] } : { Events: [createOld], NextToken: 'page-2' };
        case 'DeleteNetworkInterface':
          return { Events: [deleteOld] };
        case 'UpdateFunctionCode20150331v2':
          return { Events: [deploy] };
        default:
          return { Events: [] };
      }
    });
    try {
      const source = new AwsSource(clients(), {});
      const limiter = new CountingLimiter();
      Object.assign(source, { trailLimiter: limiter });
      const report = await scan(source, { now, baselineDays: 7, detectHours: 24 });
      const byName = asked.filter((a) => a.key === 'EventName');
      assert.deepEqual(
        [...new Set(byName.map((a) => a.value))],
        [
          'CreateNetworkInterface',
          'DeleteNetworkInterface',
          'CreateFunction20150331',
          'UpdateFunctionCode20150331v2',
          'UpdateFunctionConfiguration20150331v2',
          'PublishVersion20150331',
          'CreateAlias20150331',
          'UpdateAlias20150331',
        ],
      );
      assert.deepEqual(
        byName.filter((a) => a.value === 'CreateNetworkInterface').map((a) => a.token),
        [undefined, 'page-2'],
        'both pages',
      );
      // The window ends on the hour after the clock: 90 days before it is inside what LookupEvents keeps.
      assert.equal(byName.find((a) => a.value === 'CreateNetworkInterface')!.start, now - 90 * 86_400_000, 'ENI events over 90 days');
      assert.equal(
        byName.find((a) => a.value === 'UpdateFunctionCode20150331v2')!.start,
        now - 24 * 3_600_000 - 7 * 86_400_000 - 24 * 3_600_000,
        'changes: the windows and the day before',
      );
      assert.equal(limiter.waits, trail.commandCalls(LookupEventsCommand).length, 'every request through the rate limiter');
      const fn = report.functions[0];
      assert.deepEqual(
        fn.enis.map((e) => [e.id, e.attributedBy ?? 'inventory', e.deleted ?? '']),
        [
          ['eni-new', 'inventory', ''],
          ['eni-old', 'creating-role', new Date(now - 19 * 3_600_000).toISOString().replace('.000Z', 'Z')],
        ],
      );
      assert.match(fn.coverage.cloudtrail, /^complete/);
    } finally {
      restore();
    }
  });

  test('throttled change lookups: the warning and the cloudtrail coverage say so, the ENI history still answers', async () => {
    const { restore } = account((input) => {
      const [attr] = input.LookupAttributes ?? [];
      if (attr?.AttributeKey === 'EventName' && attr.AttributeValue?.includes('2015'))
        throw sdkError('ThrottlingException', 'Rate exceeded');
      if (attr?.AttributeValue === 'CreateNetworkInterface') return { Events: [createOld, createNew] };
      if (attr?.AttributeValue === 'DeleteNetworkInterface') return { Events: [deleteOld] };
      return { Events: [] };
    });
    try {
      const source = new AwsSource(clients(), {});
      Object.assign(source, { trailLimiter: new RateLimiter(0) });
      const report = await scan(source, { now, baselineDays: 7, detectHours: 24 });
      assert.ok(
        report.warnings.some((w) => /^cloudtrail:LookupEvents \(function changes\): throttled: /.test(w)),
        report.warnings.join(' | '),
      );
      const fn = report.functions[0];
      assert.equal(fn.coverageStatus?.cloudtrail.status, 'partial');
      assert.equal(fn.coverageStatus?.cloudtrail.errorKind, 'throttled');
      assert.ok(fn.enis.some((e) => e.id === 'eni-old' && e.attributedBy === 'creating-role'));
    } finally {
      restore();
    }
  });

  test('access denied on the lookups by name: the warnings and coverage name cloudtrail:LookupEvents', async () => {
    const { restore } = account((input) => {
      if (input.LookupAttributes?.[0]?.AttributeKey === 'EventName')
        throw sdkError('AccessDeniedException', 'User is not authorized to perform: cloudtrail:LookupEvents', 403);
      return { Events: [] };
    });
    try {
      const source = new AwsSource(clients(), {});
      Object.assign(source, { trailLimiter: new RateLimiter(0) });
      const report = await scan(source, { now, baselineDays: 7, detectHours: 24 });
      for (const what of ['ENI history', 'function changes']) {
        assert.ok(
          report.warnings.includes(`cloudtrail:LookupEvents (${what}): access denied: needs cloudtrail:LookupEvents`),
          report.warnings.join(' | '),
        );
      }
      const fn = report.functions[0];
      assert.equal(fn.coverageStatus?.cloudtrail.iamAction, 'cloudtrail:LookupEvents');
      // The current ENI appeared 20 h ago, inside the detection window, and nothing tells what came before it.
      assert.equal(fn.coverageStatus?.network.status, 'partial');
      assert.equal(fn.coverageStatus?.network.iamAction, 'cloudtrail:LookupEvents');
      assert.match(
        fn.coverage.network,
        /ENI eni-new appeared at .*inside the detection window.*ENI history not read: access denied: needs cloudtrail:LookupEvents/,
      );
    } finally {
      restore();
    }
  });

  test('record writes the management events into lookup-events.json, each once; the replay reads them back and scans the same', async () => {
    const { restore } = account((input) => {
      const [attr] = input.LookupAttributes ?? [];
      if (attr?.AttributeKey !== 'EventName') return { Events: [] };
      if (attr.AttributeValue === 'CreateNetworkInterface') return { Events: [createOld, createNew, createOld] };
      if (attr.AttributeValue === 'DeleteNetworkInterface') return { Events: [deleteOld] };
      if (attr.AttributeValue === 'UpdateFunctionCode20150331v2') return { Events: [deploy] };
      return { Events: [] };
    });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-record-mgmt-'));
    try {
      const ipRanges = path.join(out, 'ranges.json');
      fs.writeFileSync(
        ipRanges,
        JSON.stringify({
          syncToken: '1',
          createDate: '2026-11-01-00-00-00',
          prefixes: [{ ip_prefix: '52.94.0.0/22', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' }],
          ipv6_prefixes: [],
        }),
      );
      const dir = path.join(out, 'scenario');
      const summary = await recordScenario(
        clients(),
        { out: dir, baselineDays: 7, detectHours: 24, now, ipRanges: { location: ipRanges } },
        signal(),
      );
      const recorded = JSON.parse(fs.readFileSync(path.join(dir, 'cloudtrail', 'lookup-events.json'), 'utf8')).Events as Array<{
        EventId: string;
      }>;
      assert.deepEqual(recorded.map((e) => e.EventId).sort(), ['c-new', 'c-old', 'd-old', 'u-code']);
      assert.equal(summary.events, 4);
      assert.deepEqual(summary.failures, {});
      const replayed = await scan(openScenario(dir), { baselineDays: 7, detectHours: 24 });
      const fn = replayed.functions[0];
      assert.ok(
        fn.enis.some((e) => e.id === 'eni-old' && e.attributedBy === 'creating-role' && e.created !== undefined && e.deleted !== undefined),
      );
      assert.match(fn.coverage.cloudtrail, /^complete/);
    } finally {
      restore();
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
