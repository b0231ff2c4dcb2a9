// The live backend where moto cannot answer (Logs Insights, LookupEvents, throttling, expired SSO), with recorded response shapes.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeFlowLogsCommand, DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
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
    const expired = classifyAwsError(sdkError('CredentialsProviderError', 'The SSO session token associated with profile=dev was not found or is invalid'), 'sts:GetCallerIdentity', 'sts', 'dev');
    assert.equal((expired as SourceError).kind, 'expired-credentials');
    assert.match(expired.message, /aws sso login --profile dev/);
    assert.equal((classifyAwsError(sdkError('ExpiredTokenException', 'The security token included in the request is expired'), 'x:Y', 'x') as SourceError).kind, 'expired-credentials');
    assert.equal((classifyAwsError(sdkError('ThrottlingException', 'Rate exceeded'), 'cloudwatch:GetMetricData', 'monitoring') as SourceError).kind, 'throttled');
    const net = classifyAwsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'lambda:ListFunctions', 'lambda');
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
    assert.throws(() => buildFlowQuery(parseLogFormat('${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action} ${start}'), [], [], 'egress'), /interface-id/);
  });

  test('ENIs are asked for in batches that keep every query under the 10,000-character limit', () => {
    const enis = Array.from({ length: 300 }, (_, i) => ({ id: `eni-${String(i).padStart(17, '0')}`, addresses: [`10.0.${i >> 8}.${i & 255}`] }));
    const batches = batchEnis(enis);
    assert.ok(batches.length > 1);
    assert.deepEqual(batches.flat(), enis, 'every ENI once, in order');
    for (const b of batches) {
      for (const direction of ['egress', 'ingress'] as const) {
        const q = buildFlowQuery(format, b.map((e) => e.id), b.flatMap((e) => e.addresses), direction);
        assert.ok(q.length < 10_000, `${q.length} characters`);
      }
    }
  });

  test('result rows become aggregates; malformed rows are skipped', () => {
    const row = (v: Record<string, string>) => Object.entries(v).map(([field, value]) => ({ field, value }));
    const out = rowsToAggregates([
      row({ eni: 'eni-1', remote: '10.0.3.4', port: '5432', protocol: '6', action: 'ACCEPT', hour: '498360', flows: '12', packets: '90', bytes: '9000', first: '1794096000', last: '1794096500' }),
      row({ eni: 'eni-1', remote: '10.0.3.4', port: 'x', protocol: '6', action: 'ACCEPT', hour: '498360' }),
    ]);
    assert.deepEqual(out, [{
      eniId: 'eni-1', remoteAddress: '10.0.3.4', remotePort: 5432, protocol: 6, action: 'ACCEPT', hour: 498360 * 3_600_000,
      flows: 12, packets: 90, bytes: 9000, first: 1794096000000, last: 1794096500000,
    }]);
  });

  test('a range that fills the 10,000-row cap is split and asked again; polling until Complete', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    const ranges: Array<[number, number]> = [];
    let id = 0;
    logs.on(StartQueryCommand).callsFake((input) => {
      ranges.push([input.startTime, input.endTime]);
      return { queryId: `q${id++}` };
    });
    const row = [{ field: 'eni', value: 'eni-1' }, { field: 'remote', value: '10.0.3.4' }, { field: 'port', value: '443' },
      { field: 'protocol', value: '6' }, { field: 'action', value: 'ACCEPT' }, { field: 'hour', value: '498360' }, { field: 'flows', value: '1' }];
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
    const rows = await aggregateWithInsights(clients(), '/vpc/flow', format, [{ id: 'eni-1', addresses: ['10.0.1.5'] }], start, end, signal());
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
    await assert.rejects(aggregateWithInsights(clients(), '/vpc/flow', format, [{ id: 'eni-1', addresses: ['10.0.1.5'] }], 0, 3_600_000, controller.signal), /cancelled/);
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
      if (!input.NextToken) return { MetricDataResults: ids.map((Id) => ({ Id, Timestamps: [new Date(7_200_000)], Values: [2] })), NextToken: 'p2' };
      return { MetricDataResults: ids.map((Id) => ({ Id, Timestamps: [new Date(3_600_000)], Values: [1] })) };
    });
    const names = Array.from({ length: 120 }, (_, i) => `fn-${i}`);
    const data = await fetchMetricData(clients(), names, ['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions'], 0, 10_800_000, 3600, signal());
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
    lambda.on(ListFunctionsCommand).resolves({ Functions: [{ FunctionName: 'api', FunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:api', Role: 'arn:aws:iam::111122223333:role/api' }] });
    lambda.on(ListTagsCommand).resolves({ Tags: { team: 'orders' } });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
    trail.on(LookupEventsCommand).rejects(sdkError('AccessDeniedException', 'User is not authorized to perform: cloudtrail:LookupEvents', 403));
    const now = Date.parse('2026-11-23T00:00:00Z');
    cw.on(GetMetricDataCommand).callsFake((input) => ({
      MetricDataResults: input.MetricDataQueries.map((q: { Id: string }) => ({ Id: q.Id, Timestamps: [new Date(now - 3_600_000)], Values: [5] })),
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
