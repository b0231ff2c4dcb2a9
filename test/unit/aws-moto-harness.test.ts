// Checks the moto harness through the real SDK clients: a private moto_server, the Lambda account built in it, and reset().
//
// moto 5.2.1 limitations found while building it (the live backend's moto tests have to live with these):
// EC2
//  - CreateNetworkInterface ignores InterfaceType: "Lambda" ENIs come back as InterfaceType "interface", Status
//    "available", RequesterManaged false, RequesterId moto's own user id, no Attachment. Find them with the
//    `description` filter `AWS Lambda VPC ENI*`; the `interface-type` filter works, but nothing is of type "lambda".
//  - PrivateIpAddress is not checked against the subnet (10.0.1.506 is accepted).
//  - DescribeNetworkInterfaces ignores MaxResults: one page, never a NextToken.
//  - RunInstances accepts any ImageId; the instance's ENI is described "Primary network interface".
//  - CreateFlowLogs accepts any LogFormat and DescribeFlowLogs echoes it, with TrafficType, LogDestinationType,
//    LogGroupName, DeliverLogsPermissionArn, MaxAggregationInterval, FlowLogStatus ACTIVE. DeliverLogsStatus is FAILED
//    ("Access error") unless the log group existed at CreateFlowLogs. CreationTime is the wall-clock creation time
//    (cannot be backdated). Nothing is ever delivered: records are written with PutLogEvents.
// Lambda
//  - No Hyperplane ENIs are created for VPC functions; VpcConfig.VpcId is always "vpc-123abc" whatever the subnets;
//    subnets and security groups are not validated. A function outside a VPC has no VpcConfig at all.
//  - CreateFunction needs the execution role to exist in moto's IAM. It never runs Docker unless invoked.
//  - ListFunctions ignores MaxItems: everything on one page, no NextMarker.
//  - LastModified looks like "2026-11-28T12:30:26.084540000Z", not AWS's "2026-11-28T12:30:26.084+0000".
// CloudWatch Logs
//  - PutLogEvents drops events older than 14 days or more than 2 h ahead of moto's wall clock (reported in
//    rejectedLogEventsInfo) and fails a batch that is not in time order.
//  - FilterLogEvents: eventId is a per-stream counter ("0", "1", ...), not unique across streams, so never dedupe
//    by it; events come stream by stream, not interleaved by time (unless `interleaved: true`); pages hold 10,000
//    events (or `limit`), nextToken `<group>@<stream>@<eventId>`; filterPattern supports plain and quoted terms only,
//    anything else (e.g. space-delimited `[version, ..., dstport=22, ...]`) matches every event.
//  - Logs Insights: StartQuery hands back a query id, but queries are not really run; don't test them on moto.
// CloudWatch
//  - PutMetricData bodies the SDK gzips (it does from 10 KiB, ~100 datums) get HTTP 500 (BadGzipFile) from moto:
//    create that client with `disableRequestCompression: true`.
//  - GetMetricData with a percentile stat (p99, p50, ...) gets HTTP 500 (moto serialises a null); only Sum,
//    Average, Minimum, Maximum and SampleCount work.
//  - GetMetricData periods start at StartTime, not on clock boundaries: pass an hour-aligned StartTime for hourly
//    data. MaxDatapoints and NextToken are ignored (one page). The default Label is "<MetricName> <Stat>" (AWS: the
//    metric name). Newest first by default and periods without data left out, as in AWS. With Dimensions, the match
//    ignores the Namespace. Each query costs O(periods × stored datapoints): see the timing diagnostic below.
// STS: account 123456789012. There is no CloudTrail LookupEvents.
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeFlowLogsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVpcsCommand,
  EC2Client,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { clientConfig, motoSkipReason, startMoto, type MotoServer } from '../support/moto';
import { buildMotoAccount, CUSTOM_FLOW_LOG_FORMAT, parseFormat, type MotoAccount } from '../support/moto-account';

const REGION = 'us-east-1';
const LAMBDA_ENI_PATTERN = 'AWS Lambda VPC ENI*';

describe('moto harness', { timeout: 120_000, skip: motoSkipReason() }, () => {
  let moto: MotoServer;
  let account: MotoAccount;
  let ec2: EC2Client;
  let lambda: LambdaClient;
  let logs: CloudWatchLogsClient;
  let cw: CloudWatchClient;
  const timings: string[] = [];

  before(async () => {
    let t = Date.now();
    moto = await startMoto();
    timings.push(`moto up in ${Date.now() - t} ms`);
    t = Date.now();
    account = await buildMotoAccount(moto.endpoint, REGION);
    timings.push(
      `account built in ${Date.now() - t} ms (${account.flowRecords.total} flow records, ${account.metrics.datapoints} metric datums)`,
    );
    const cfg = clientConfig(moto.endpoint, REGION);
    ec2 = new EC2Client(cfg);
    lambda = new LambdaClient(cfg);
    logs = new CloudWatchLogsClient(cfg);
    cw = new CloudWatchClient(cfg);
  });

  after(async () => {
    for (const c of [ec2, lambda, logs, cw]) c?.destroy();
    await moto?.stop();
  });

  test('moto is up and the account is built', (t) => {
    for (const line of timings) t.diagnostic(line);
    assert.match(moto.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(account.accountId, '123456789012');
    assert.equal(account.functions.length, 3);
    assert.equal(account.expected.newPeer.subject, '10.0.1.37:22/tcp');
    assert.ok(account.expected.newPeer.firstSeen >= account.window.detectStart);
  });

  test('DescribeNetworkInterfaces finds the Lambda ENIs by description', async () => {
    const r = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: [LAMBDA_ENI_PATTERN] }] }));
    const found = r.NetworkInterfaces ?? [];
    assert.deepEqual(ids(found), account.enis.lambda.map((e) => e.id).sort());
    for (const want of account.enis.lambda) {
      const got = found.find((n) => n.NetworkInterfaceId === want.id);
      assert.ok(got);
      assert.equal(got.Description, want.description);
      assert.match(
        got.Description ?? '',
        /^AWS Lambda VPC ENI-[A-Za-z0-9_-]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
      assert.equal(got.PrivateIpAddress, want.privateIp);
      assert.equal(got.SubnetId, want.subnetId);
      assert.equal(got.VpcId, account.vpcId);
      assert.deepEqual(
        (got.Groups ?? []).map((g) => g.GroupId),
        want.securityGroupIds,
      );
      // moto limitation: InterfaceType "lambda" is ignored. Should this fail, moto learned it: update the notes above.
      assert.equal(got.InterfaceType, 'interface');
    }
    const lambdaTyped = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'interface-type', Values: ['lambda'] }] }));
    assert.equal(lambdaTyped.NetworkInterfaces?.length ?? 0, 0);

    const rds = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: ['RDSNetworkInterface'] }] }),
    );
    assert.deepEqual(ids(rds.NetworkInterfaces), [account.enis.rds.id]);
    assert.equal(rds.NetworkInterfaces?.[0].PrivateIpAddress, account.enis.rds.privateIp);

    const inst = await ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: 'attachment.instance-id', Values: [account.enis.instance.instanceId ?? ''] }],
      }),
    );
    assert.deepEqual(ids(inst.NetworkInterfaces), [account.enis.instance.id]);
    assert.equal(inst.NetworkInterfaces?.[0].PrivateIpAddress, '10.0.1.37');

    const all = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: [account.vpcId] }] }));
    assert.equal(all.NetworkInterfaces?.length, 4);
  });

  test('ListFunctions shows VpcConfig, and subnet + security-group set maps functions to the ENIs described', async () => {
    const r = await lambda.send(new ListFunctionsCommand({}));
    const fns = r.Functions ?? [];
    assert.deepEqual(fns.map((f) => f.FunctionName).sort(), account.functions.map((f) => f.name).sort());
    const enis =
      (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: [LAMBDA_ENI_PATTERN] }] })))
        .NetworkInterfaces ?? [];
    for (const want of account.functions) {
      const got = fns.find((f) => f.FunctionName === want.name);
      assert.ok(got);
      assert.equal(got.FunctionArn, want.arn);
      assert.equal(got.Role, want.roleArn);
      if (!want.inVpc) {
        assert.equal(got.VpcConfig, undefined);
        continue;
      }
      assert.deepEqual(got.VpcConfig?.SubnetIds, want.subnetIds);
      assert.deepEqual(got.VpcConfig?.SecurityGroupIds, want.securityGroupIds);
      // moto limitation: VpcId is hard-coded.
      assert.equal(got.VpcConfig?.VpcId, 'vpc-123abc');
      // The engine's rule: an ENI serves a function when it is in one of its subnets with exactly its security groups.
      const sgs = [...(got.VpcConfig?.SecurityGroupIds ?? [])].sort().join(',');
      const served = enis.filter(
        (n) =>
          (got.VpcConfig?.SubnetIds ?? []).includes(n.SubnetId ?? '') &&
          (n.Groups ?? [])
            .map((g) => g.GroupId)
            .sort()
            .join(',') === sgs,
      );
      assert.deepEqual(ids(served), [...want.eniIds].sort(), want.name);
    }
    const shared = account.enis.lambda.find((e) => e.id === account.expected.sharedEni.eniId);
    assert.deepEqual(shared?.functions, account.expected.sharedEni.functions);
    assert.match(shared?.description ?? '', /^AWS Lambda VPC ENI-OrdersWorker-/);
  });

  test('DescribeFlowLogs shows the flow log and its LogFormat', async () => {
    const r = await ec2.send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: [account.vpcId] }] }));
    assert.equal(r.FlowLogs?.length, 1);
    const fl = r.FlowLogs?.[0];
    assert.equal(fl?.FlowLogId, account.flowLogId);
    assert.equal(fl?.LogFormat, account.logFormat);
    assert.equal(fl?.LogGroupName, account.logGroupName);
    assert.equal(fl?.LogDestinationType, 'cloud-watch-logs');
    assert.equal(fl?.TrafficType, 'ALL');
    assert.equal(fl?.FlowLogStatus, 'ACTIVE');
    assert.equal(fl?.DeliverLogsStatus, 'SUCCESS');
    assert.equal(fl?.DeliverLogsPermissionArn, `arn:aws:iam::${account.accountId}:role/flow-logs-delivery`);
    assert.equal(fl?.MaxAggregationInterval, 600);
    // DescribeFlowLogs spells it Filter, not Filters; moto applies it.
    const none = await ec2.send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: ['vpc-0000000000'] }] }));
    assert.equal(none.FlowLogs?.length ?? 0, 0);
  });

  test('FilterLogEvents with logStreamNames returns the flow records', async (t) => {
    const fields = parseFormat(account.logFormat);
    const col = (name: string) => fields.indexOf(name);
    const started = Date.now();
    const byEni = new Map<string, string[][]>();
    for (const eni of [...account.enis.lambda, account.enis.rds, account.enis.instance]) {
      const events = await allEvents(logs, account.logGroupName, [eni.logStream], account.window.baselineStart.getTime());
      assert.equal(events.length, account.flowRecords.byStream[eni.logStream], eni.logStream);
      const records = events.map((e) => {
        assert.equal(e.logStreamName, eni.logStream);
        const f = (e.message ?? '').split(' ');
        assert.equal(f.length, fields.length, e.message);
        assert.equal(f[col('account-id')], account.accountId);
        assert.equal(f[col('interface-id')], eni.id);
        assert.equal(e.timestamp, Number(f[col('start')]) * 1000);
        return f;
      });
      byEni.set(eni.id, records);
    }
    t.diagnostic(`read ${account.flowRecords.total} records stream by stream in ${Date.now() - started} ms`);

    const detectStartS = account.window.detectStart.getTime() / 1000;
    const to = (r: string[], addr: string, port: string) => r[col('dstaddr')] === addr && r[col('dstport')] === port;
    const apiRecords = byEni.get(account.expected.newPeer.eniId) ?? [];
    const ssh = apiRecords.filter((r) => to(r, '10.0.1.37', '22'));
    assert.ok(ssh.length >= 5, 'SSH flows to the bastion');
    assert.ok(
      ssh.every((r) => Number(r[col('start')]) >= detectStartS),
      'the new peer appears only in the last 24 h',
    );
    assert.equal(Math.min(...ssh.map((r) => Number(r[col('start')]))) * 1000, account.expected.newPeer.firstSeen.getTime());
    // Return traffic: from the peer's service port to the ENI's ephemeral port.
    assert.ok(apiRecords.some((r) => r[col('srcaddr')] === '10.0.1.37' && r[col('srcport')] === '22'));
    // The bastion's own ENI sees the same conversations.
    assert.ok((byEni.get(account.enis.instance.id) ?? []).some((r) => to(r, '10.0.1.37', '22')));
    for (const eni of account.enis.lambda) {
      const records = byEni.get(eni.id) ?? [];
      assert.ok(
        records.some((r) => to(r, account.enis.rds.privateIp, '5432') && Number(r[col('start')]) < detectStartS - 8 * 86_400),
        `${eni.id}: baseline peer RDS:5432 from the first days on`,
      );
      assert.ok(
        records.some((r) => r[col('log-status')] === 'NODATA' && r[col('srcaddr')] === '-'),
        `${eni.id}: NODATA records`,
      );
    }
    assert.ok(!(byEni.get(account.expected.sharedEni.eniId) ?? []).some((r) => r[col('dstport')] === '22'));

    const quoted = await allEvents(logs, account.logGroupName, [account.enis.lambda[1].logStream], 0, '"10.0.1.37"');
    assert.equal(quoted.length, ssh.length * 2, 'quoted-term filter patterns work in moto');
  });

  test('GetMetricData returns hourly series, newest first, with the invocation spike', async (t) => {
    const queries: MetricDataQuery[] = account.functions.flatMap((f, i) =>
      (
        [
          ['Invocations', 'Sum'],
          ['Errors', 'Sum'],
          ['Throttles', 'Sum'],
          ['Duration', 'Average'],
          ['ConcurrentExecutions', 'Maximum'],
        ] as const
      ).map(([metric, stat]) => ({
        Id: `m${i}_${metric.toLowerCase()}`,
        Label: `${f.name} ${metric}`,
        MetricStat: {
          Metric: { Namespace: 'AWS/Lambda', MetricName: metric, Dimensions: [{ Name: 'FunctionName', Value: f.name }] },
          Period: 3600,
          Stat: stat,
        },
      })),
    );
    const started = Date.now();
    const r = await cw.send(
      new GetMetricDataCommand({ StartTime: account.metrics.start, EndTime: account.metrics.end, MetricDataQueries: queries }),
    );
    t.diagnostic(`GetMetricData, ${queries.length} queries × ${hours(account)} hours: ${Date.now() - started} ms`);
    assert.equal(r.MetricDataResults?.length, queries.length);
    for (const res of r.MetricDataResults ?? []) {
      assert.equal(res.StatusCode, 'Complete');
      const ts = (res.Timestamps ?? []).map((d) => d.getTime());
      assert.ok(ts.length > hours(account) * 0.9 && ts.length <= hours(account), `${res.Id}: ${ts.length} points`);
      assert.equal(ts.length, res.Values?.length);
      assert.ok(
        ts.every((x, i) => i === 0 || x < ts[i - 1]),
        `${res.Id}: newest first`,
      );
      assert.ok(ts.every((x) => x % 3_600_000 === 0 && x >= account.metrics.start.getTime() && x < account.metrics.end.getTime()));
    }

    const spikeFn = account.expected.invocationSpike.function;
    const spikeHours = new Set(account.expected.invocationSpike.hours.map((d) => d.getTime()));
    for (const f of account.functions) {
      const res: MetricDataResult | undefined = r.MetricDataResults?.find((x) => x.Label === `${f.name} Invocations`);
      const values = res?.Values ?? [];
      const points: Array<{ t: number; v: number }> = (res?.Timestamps ?? []).map((d: Date, i: number) => ({
        t: d.getTime(),
        v: values[i] ?? 0,
      }));
      const normal = points.filter((p) => !spikeHours.has(p.t)).map((p) => p.v);
      const high = Math.max(...normal);
      const inSpike = points.filter((p) => spikeHours.has(p.t)).map((p) => p.v);
      if (f.name === spikeFn) {
        assert.equal(inSpike.length, 3);
        // Each spike hour against the same hour of day on the other days: the spike hours follow the test's clock, and at
        // night an 8x spike can stay below the busiest day hour.
        for (const p of points.filter((x) => spikeHours.has(x.t))) {
          const sameHour = points.filter((x) => !spikeHours.has(x.t) && (p.t - x.t) % 86_400_000 === 0).map((x) => x.v);
          assert.ok(sameHour.length > 0, `${f.name}: other days have the hour of ${new Date(p.t).toISOString()}`);
          assert.ok(
            p.v > 2 * Math.max(...sameHour),
            `${f.name}: spike ${p.v} at ${new Date(p.t).toISOString()} vs at most ${Math.max(...sameHour)} that hour on other days`,
          );
        }
      } else {
        // Invocations follow the day (UTC 08–20 busier than the night): the median of all hours may be a night's, so the
        // spike hours are compared with the busiest other hour, which they stay near without a spike (the spike is 8×).
        assert.ok(Math.max(...inSpike) <= 1.5 * high, `${f.name}: no spike (${inSpike} vs at most ${high} otherwise)`);
      }
    }

    // moto limitation: percentile statistics crash GetMetricData (HTTP 500). Should this fail, update the notes above.
    const p99 = queries.find((q) => q.MetricStat?.Metric?.MetricName === 'Duration');
    await assert.rejects(
      cw.send(
        new GetMetricDataCommand({
          StartTime: account.metrics.start,
          EndTime: account.metrics.end,
          MetricDataQueries: [{ ...p99, MetricStat: { ...p99?.MetricStat, Stat: 'p99' } } as MetricDataQuery],
        }),
      ),
    );
  });

  test('reset() empties moto', async () => {
    await moto.reset();
    const enis = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: [LAMBDA_ENI_PATTERN] }] }));
    assert.equal(enis.NetworkInterfaces?.length ?? 0, 0);
    assert.equal((await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces?.length ?? 0, 0);
    // Only the default VPC that moto makes in every region remains.
    const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [];
    assert.ok(
      vpcs.every((v) => v.IsDefault),
      JSON.stringify(vpcs.map((v) => v.VpcId)),
    );
    assert.equal((await lambda.send(new ListFunctionsCommand({}))).Functions?.length ?? 0, 0);
    assert.equal((await ec2.send(new DescribeFlowLogsCommand({}))).FlowLogs?.length ?? 0, 0);
    assert.equal((await logs.send(new DescribeLogGroupsCommand({}))).logGroups?.length ?? 0, 0);
    assert.equal((await cw.send(new ListMetricsCommand({ Namespace: 'AWS/Lambda' }))).Metrics?.length ?? 0, 0);
  });

  test('a custom LogFormat (v5 fields, own order) is echoed and the records follow it', async (t) => {
    const started = Date.now();
    const custom = await buildMotoAccount(moto.endpoint, REGION, { logFormat: CUSTOM_FLOW_LOG_FORMAT, days: 3, seed: 7 });
    t.diagnostic(`second build (3 days, after reset) in ${Date.now() - started} ms`);
    try {
      const fl = (await ec2.send(new DescribeFlowLogsCommand({ FlowLogIds: [custom.flowLogId] }))).FlowLogs?.[0];
      assert.equal(fl?.LogFormat, CUSTOM_FLOW_LOG_FORMAT);
      const fields = parseFormat(CUSTOM_FLOW_LOG_FORMAT);
      const col = (name: string) => fields.indexOf(name);
      const eni = custom.enis.lambda.find((e) => e.id === custom.expected.newPeer.eniId);
      assert.ok(eni);
      const records = (await allEvents(logs, custom.logGroupName, [eni.logStream], 0)).map((e) => (e.message ?? '').split(' '));
      assert.equal(records.length, custom.flowRecords.byStream[eni.logStream]);
      for (const r of records) {
        assert.equal(r.length, fields.length);
        assert.equal(r[col('version')], '5');
        assert.equal(r[col('vpc-id')], custom.vpcId);
        assert.equal(r[col('subnet-id')], eni.subnetId);
      }
      const egress = records.find((r) => r[col('dstaddr')] === '10.0.1.37' && r[col('dstport')] === '22');
      assert.equal(egress?.[col('flow-direction')], 'egress');
      assert.equal(egress?.[col('traffic-path')], '1');
      assert.equal(egress?.[col('action')], 'ACCEPT');
      const back = records.find((r) => r[col('srcaddr')] === '10.0.1.37' && r[col('srcport')] === '22');
      assert.equal(back?.[col('flow-direction')], 'ingress');
    } finally {
      await moto.reset();
    }
  });
});

function ids(enis: NetworkInterface[] | undefined): string[] {
  return (enis ?? []).map((n) => n.NetworkInterfaceId ?? '').sort();
}

function hours(account: MotoAccount): number {
  return (account.metrics.end.getTime() - account.metrics.start.getTime()) / 3_600_000;
}

/** Every event of the given streams, following nextToken. */
async function allEvents(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  logStreamNames: string[],
  startTime: number,
  filterPattern?: string,
): Promise<FilteredLogEvent[]> {
  const out: FilteredLogEvent[] = [];
  let nextToken: string | undefined;
  do {
    const r = await logs.send(new FilterLogEventsCommand({ logGroupName, logStreamNames, startTime, filterPattern, nextToken }));
    out.push(...(r.events ?? []));
    nextToken = r.nextToken;
  } while (nextToken);
  return out;
}
