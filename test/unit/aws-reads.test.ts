// What a live scan reads and costs: requests per IAM action as the wire saw them (retries too), the bytes downloaded and scanned, and the estimate said before Logs Insights runs.
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand as AthenaGetQueryResultsCommand,
  GetTableMetadataCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { FlowLogConfig, ScanReport, ScanReads } from '../../src/core/model';
import type { FlowData, TelemetrySource } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { DAY_MS } from '../../src/core/time';
import { createClients, iamActionOf } from '../../src/aws/clients';
import { estimateInsightsBytes, insightsEstimateText, usdText } from '../../src/aws/insights';
import { AwsSource } from '../../src/aws/source';
import { readsLine } from '../../src/report/presentation';
import { renderText } from '../../src/report/text';
import { renderHtml } from '../../src/report/html';
import { scanThrough, startFaultFixture, TEST_IP_RANGES, type FaultFixture } from '../support/fault-account';
import type { Tenant } from '../support/fault-proxy';
import { buildMotoAccount, type MotoAccount } from '../support/moto-account';
import { motoSkipReason, startMoto, testCredentials, type MotoServer } from '../support/moto';

const GIB = 1024 ** 3;
const signal = () => new AbortController().signal;

function report(outcome: ScanReport | Error): ScanReport {
  if (outcome instanceof Error) throw outcome;
  return outcome;
}

/** What the proxy saw of one tenant, per IAM action: every request that reached the wire, faulted or not. */
function wireCounts(t: Tenant): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of t.calls) out[c.action] = (out[c.action] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('a live scan says what it read (moto_server behind the fault proxy)', { skip: motoSkipReason() }, () => {
  let f: FaultFixture;
  let tenants = 0;
  before(async () => {
    f = await startFaultFixture();
  });
  after(async () => {
    await f?.stop();
  });

  test('filter mode: requests per action equal what reached the wire, retries included; the records downloaded are the seeded bytes', async () => {
    const t = f.proxy.tenant(`reads${++tenants}`, [
      { action: 'cloudwatch:GetMetricData', fault: 'throttle', times: 2 },
      { action: 'logs:FilterLogEvents', fault: 'throttle', times: 1 },
    ]);
    const r = report((await scanThrough(f, t, { maxAttempts: 3, source: { flowLogsQuery: 'filter' } })).outcome);
    const reads = r.reads;
    assert.ok(reads, 'a live scan reports its reads');
    assert.deepEqual(reads.requests, wireCounts(t));
    // Two throttled attempts and the one that succeeded, as AWS bills and throttles them.
    assert.ok(
      t.calls.filter((c) => c.action === 'cloudwatch:GetMetricData' && c.fault === 'throttle').length === 2,
      'the fault was injected',
    );
    assert.equal(reads.requests['cloudwatch:GetMetricData'], t.count('cloudwatch:GetMetricData'));
    assert.ok(reads.requests['cloudwatch:GetMetricData'] >= 3);
    assert.ok(reads.requests['logs:FilterLogEvents'] >= f.account.enis.lambda.length + 1);
    assert.equal(reads.requests['logs:StartQuery'], undefined, 'filter mode runs no Insights query');
    assert.equal(reads.bytesScanned, 0, 'FilterLogEvents bills no scanned bytes');

    // The same requests' records, read independently by a plain client straight from moto: what each ENI's
    // FilterLogEvents returns over the scan's range. (moto ignores logStreamNamePrefix and answers with every stream of
    // the group, which the engine then attributes by interface-id: the bytes downloaded are what came back.)
    const logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: f.moto.endpoint, credentials: testCredentials });
    const start = Date.parse(r.window.baselineStart);
    const end = Date.parse(r.window.detectEnd);
    let seeded = 0;
    try {
      for (const eni of f.account.enis.lambda) {
        let nextToken: string | undefined;
        do {
          const page = await logs.send(
            new FilterLogEventsCommand({
              logGroupName: f.account.logGroupName,
              logStreamNamePrefix: eni.id,
              startTime: start,
              endTime: end,
              nextToken,
            }),
          );
          seeded += (page.events ?? []).reduce((n, e) => n + Buffer.byteLength(e.message ?? '', 'utf8'), 0);
          nextToken = page.nextToken;
        } while (nextToken);
      }
    } finally {
      logs.destroy();
    }
    assert.ok(seeded > 10_000, `seeded ${seeded} bytes`);
    assert.equal(reads.bytesDownloaded, seeded);
    const line = readsLine(reads);
    assert.ok(line.startsWith('Read from AWS: '), line);
    assert.ok(line.includes(`${reads.requests['logs:FilterLogEvents']} logs:FilterLogEvents`), line);
    assert.match(line, /; [\d.]+ KiB downloaded$/);
  });

  test('Insights mode: the estimate is said before the queries (logs:DescribeLogGroups, once per flow log), and counted', async () => {
    const t = f.proxy.tenant(`reads${++tenants}`);
    const { outcome, notices } = await scanThrough(f, t);
    const r = report(outcome);
    const reads = r.reads!;
    assert.deepEqual(reads.requests, wireCounts(t));
    assert.equal(reads.requests['logs:DescribeLogGroups'], 1);
    assert.ok(reads.requests['logs:StartQuery'] >= 2);
    assert.equal(reads.estimates.length, 1, reads.estimates.join('\n'));
    assert.match(reads.estimates[0], new RegExp(`^Logs Insights on ${f.account.logGroupName}: about .* to scan in 2 queries \\(.*\\$`));
    // Said as it happened (the extension's progress), and before the first query went out.
    assert.ok(notices.includes(reads.estimates[0]));
    const order = t.calls.map((c) => c.action);
    assert.ok(order.indexOf('logs:DescribeLogGroups') < order.indexOf('logs:StartQuery'), order.join(' '));
    // The flow log's coverage says what the queries scanned (the proxy answers 0 bytes).
    const inVpc = r.functions.filter((fn) => fn.inVpc);
    assert.ok(inVpc.length > 0);
    for (const fn of inVpc) assert.match(fn.coverage.network, /with Logs Insights on .*: 2 queries, 0 B scanned/, fn.coverage.network);
  });

  test('logs:DescribeLogGroups denied: no estimate, a notice naming the action, and the scan goes on with Insights', async () => {
    const t = f.proxy.tenant(`reads${++tenants}`, [{ action: 'logs:DescribeLogGroups', fault: 'denied' }]);
    const r = report((await scanThrough(f, t)).outcome);
    assert.deepEqual(r.reads!.estimates, []);
    assert.ok(
      r.warnings.some((w) => /no estimate.*logs:DescribeLogGroups/.test(w)),
      r.warnings.join('\n'),
    );
    assert.ok(t.count('logs:StartQuery') >= 2);
    for (const fn of r.functions.filter((x) => x.inVpc)) assert.match(fn.coverage.network, /^complete/);
  });
});

describe('Logs Insights reads (recorded response shapes)', () => {
  const flowLog: FlowLogConfig = {
    id: 'fl-1',
    logFormat: '',
    destinationType: 'cloud-watch-logs',
    logGroupName: '/vpc/flows',
    resourceId: 'vpc-1',
  };
  const now = Date.now();
  const request = { start: now - DAY_MS, end: now, enis: [{ id: 'eni-1', addresses: ['10.0.1.5'] }] };

  async function read(source: AwsSource): Promise<FlowData[]> {
    const out: FlowData[] = [];
    for await (const d of source.readFlowLog(flowLog, request, signal())) out.push(d);
    return out;
  }

  test("statistics.bytesScanned of each query is counted and said in the coverage; DescribeLogGroups' estimate comes first", async () => {
    const logs = mockClient(CloudWatchLogsClient);
    try {
      const sent: string[] = [];
      logs.on(DescribeLogGroupsCommand).callsFake(() => {
        sent.push('DescribeLogGroups');
        return {
          logGroups: [
            { logGroupName: '/vpc/flows-other', storedBytes: 999 * GIB, creationTime: now - 10 * DAY_MS },
            { logGroupName: '/vpc/flows', storedBytes: 10 * GIB, creationTime: now - 10 * DAY_MS },
          ],
        };
      });
      logs.on(StartQueryCommand).callsFake(() => {
        sent.push('StartQuery');
        return { queryId: `q${sent.length}` };
      });
      logs.on(GetQueryResultsCommand).resolves({ status: 'Complete', results: [], statistics: { bytesScanned: 123_456_789 } });
      const notices: string[] = [];
      const source = new AwsSource(createClients({ region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 }), {
        onNotice: (m) => notices.push(m),
      });
      const data = await read(source);
      assert.deepEqual(sent, ['DescribeLogGroups', 'StartQuery', 'StartQuery']);
      // One day of ten days' 10 GiB, for each of the two queries (egress and ingress).
      assert.deepEqual(notices, ['Logs Insights on /vpc/flows: about 2.0 GB to scan in 2 queries (about $0.01)']);
      const summary = data.find((d) => d.kind === 'summary');
      assert.deepEqual(summary, { kind: 'summary', read: 'with Logs Insights on /vpc/flows: 2 queries, 235.5 MB scanned' });
      const reads = source.takeReads();
      assert.equal(reads.bytesScanned, 2 * 123_456_789);
      assert.deepEqual(reads.estimates, notices);
      assert.deepEqual(source.takeReads(), { requests: {}, bytesScanned: 0, bytesDownloaded: 0, estimates: [] }, 'taken once: reset');
      source.dispose();
    } finally {
      logs.restore();
    }
  });

  test('a query stopped before it completed: the bytes it scanned by then are counted (Insights bills them)', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    try {
      logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
      logs.on(StartQueryCommand).resolves({ queryId: 'q1' });
      logs.on(GetQueryResultsCommand).resolves({ status: 'Failed', statistics: { bytesScanned: 5_000 } });
      const source = new AwsSource(createClients({ region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 }), {
        onNotice: () => undefined,
      });
      // The flow log is then read with FilterLogEvents (unmocked: no events).
      await read(source).catch(() => undefined);
      const reads = source.takeReads();
      assert.equal(reads.bytesScanned, 5_000);
      assert.deepEqual(reads.estimates, [], 'no group of that name: no estimate');
      source.dispose();
    } finally {
      logs.restore();
    }
  });

  test('DescribeLogGroups denied: no estimate, one notice naming the action for the whole scan, the queries still run', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    try {
      logs.on(DescribeLogGroupsCommand).rejects(
        Object.assign(new Error('not authorized to perform: logs:DescribeLogGroups'), {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      logs.on(StartQueryCommand).resolves({ queryId: 'q1' });
      logs.on(GetQueryResultsCommand).resolves({ status: 'Complete', results: [], statistics: { bytesScanned: 10 } });
      const notices: string[] = [];
      const source = new AwsSource(createClients({ region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 }), {
        onNotice: (m) => notices.push(m),
      });
      await read(source);
      await read(source);
      assert.deepEqual(notices, ['Logs Insights: no estimate of the bytes to scan (access denied: needs logs:DescribeLogGroups)']);
      assert.equal(logs.commandCalls(DescribeLogGroupsCommand).length, 1, 'asked once, not again after the denial');
      assert.equal(logs.commandCalls(StartQueryCommand).length, 4);
      const reads = source.takeReads();
      assert.deepEqual(reads.estimates, []);
      assert.equal(reads.bytesScanned, 40);
      source.dispose();
    } finally {
      logs.restore();
    }
  });
});

describe('flow logs in S3 (moto_server): the objects downloaded', { skip: motoSkipReason() }, () => {
  let moto: MotoServer;
  let account: MotoAccount;
  before(async () => {
    moto = await startMoto();
    account = await buildMotoAccount(moto.endpoint, 'us-east-1', { days: 4, s3: { bucket: 'reads-flow-logs', cloudWatch: false } });
  });
  after(async () => {
    await moto?.stop();
  });

  test("every object's bytes, one GetObject each: the bytes delivered, as seeded", async () => {
    const clients = createClients({ region: 'us-east-1', credentials: testCredentials, endpoint: moto.endpoint, maxAttempts: 1 });
    const inner = new AwsSource(clients, { flowLogsQuery: 'filter', ipRanges: { location: TEST_IP_RANGES } });
    // moto drops DestinationOptions: put back what AWS would describe (as test/unit/aws-s3-flow-logs.test.ts does).
    const source: TelemetrySource = Object.assign(Object.create(inner) as AwsSource, {
      describeFlowLogs: async (s: AbortSignal) =>
        (await inner.describeFlowLogs(s)).map((fl) =>
          fl.destinationType === 's3'
            ? { ...fl, destination: account.s3!.destination, destinationOptions: account.s3!.destinationOptions }
            : fl,
        ),
    });
    // A baseline longer than the account's days: every object delivered lies in the scan's range.
    const r = await scan(source, { now: account.now.getTime(), baselineDays: 6 });
    inner.dispose();
    assert.ok(account.s3!.keys.length > 50, `objects: ${account.s3!.keys.length}`);
    assert.equal(r.reads!.bytesDownloaded, account.s3!.bytes);
    assert.equal(r.reads!.requests['s3:GetObject'], account.s3!.keys.length);
    assert.ok(r.reads!.requests['s3:ListBucket'] >= 1);
  });
});

describe('Athena flow answers are reused for the same range only', () => {
  test('a second read of the same range asks nothing; a narrower range (as a cache asks) is its own query', async () => {
    const athena = mockClient(AthenaClient);
    const lambda = mockClient(LambdaClient);
    try {
      lambda.on(ListFunctionsCommand).resolves({ Functions: [] });
      athena.on(GetTableMetadataCommand).resolves({ TableMetadata: { Name: 'flows', PartitionKeys: [], Columns: [] } });
      let started = 0;
      const sql: string[] = [];
      athena.on(StartQueryExecutionCommand).callsFake((input: { QueryString?: string }) => {
        sql.push(input.QueryString ?? '');
        return { QueryExecutionId: `q${++started}` };
      });
      athena
        .on(GetQueryExecutionCommand)
        .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 1000 } } });
      athena.on(AthenaGetQueryResultsCommand).resolves({ ResultSet: { Rows: [], ResultSetMetadata: { ColumnInfo: [] } } });
      const source = new AwsSource(createClients({ region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 }), {
        flowLogsAthena: { database: 'db', table: 'flows' },
      });
      const flowLog: FlowLogConfig = {
        id: 'fl-1',
        logFormat: '',
        destinationType: 'cloud-watch-logs',
        logGroupName: '/g',
        resourceId: 'vpc-1',
      };
      const enis = [{ id: 'eni-1', addresses: ['10.0.1.5'] }];
      const end = Date.UTC(2026, 11, 2);
      const readRange = async (start: number) => {
        const out: FlowData[] = [];
        for await (const d of source.readFlowLog(flowLog, { start, end, enis }, signal())) out.push(d);
        return out;
      };
      await readRange(end - 14 * DAY_MS);
      await readRange(end - 14 * DAY_MS);
      assert.equal(started, 1, 'the same range: one query for the scan');
      await readRange(end - 2 * 3_600_000);
      assert.equal(started, 2, 'a narrower range: a query of its own');
      assert.match(sql[1], new RegExp(`"start" >= ${(end - 2 * 3_600_000) / 1000} AND "start" < ${end / 1000}`));
      assert.equal(source.takeReads().bytesScanned, 2000);
      source.dispose();
    } finally {
      athena.restore();
      lambda.restore();
    }
  });
});

describe('estimates and names', () => {
  const now = Date.UTC(2026, 11, 2);

  test("the stored bytes' share: the range over the stored span (creation or retention), times the queries", () => {
    // Created 10 days ago, no retention: a day is a tenth.
    assert.equal(estimateInsightsBytes({ storedBytes: 1000, creationTime: now - 10 * DAY_MS }, now - DAY_MS, now, 2, now), 200);
    // Retention of 5 days keeps the last 5 of 100: a day is a fifth.
    assert.equal(
      estimateInsightsBytes({ storedBytes: 1000, creationTime: now - 100 * DAY_MS, retentionInDays: 5 }, now - DAY_MS, now, 1, now),
      200,
    );
    // A range wider than what is stored scans it all, once per query; a range before it scans nothing.
    assert.equal(estimateInsightsBytes({ storedBytes: 1000, creationTime: now - DAY_MS }, now - 14 * DAY_MS, now, 2, now), 2000);
    assert.equal(estimateInsightsBytes({ storedBytes: 1000, creationTime: now - DAY_MS }, now - 14 * DAY_MS, now - 2 * DAY_MS, 2, now), 0);
  });

  test('the estimate in words, the price said "about"', () => {
    assert.equal(
      insightsEstimateText('/vpc/flows', 1.2 * GIB, 1),
      'Logs Insights on /vpc/flows: about 1.2 GB to scan in 1 query (about $0.006)',
    );
    assert.equal(usdText(0.0004), 'less than $0.001');
    assert.equal(usdText(1.234), 'about $1.23');
  });

  test('IAM action names from the SDK names: an operation whose action is named otherwise is mapped', () => {
    assert.equal(iamActionOf('CloudWatchLogsClient', 'StartQueryCommand'), 'logs:StartQuery');
    assert.equal(iamActionOf('CloudWatchClient', 'GetMetricDataCommand'), 'cloudwatch:GetMetricData');
    assert.equal(iamActionOf('S3Client', 'ListObjectsV2Command'), 's3:ListBucket');
    assert.equal(iamActionOf('IAMClient', 'GetRoleCommand'), 'iam:GetRole');
  });
});

describe('the "Read from AWS" line', () => {
  const reads: ScanReads = {
    requests: { 'logs:StartQuery': 2, 'logs:GetQueryResults': 6, 'cloudtrail:LookupEvents': 40, 'cloudwatch:GetMetricData': 12 },
    bytesScanned: 1.2 * GIB,
    bytesDownloaded: 0,
    estimates: [],
    cache: { location: '/home/dev/.cache/lambda-behavior', hoursFromCache: 1204, hoursFetched: 26 },
  };

  test('requests by service (one action named, several counted), bytes, the cache', () => {
    assert.equal(
      readsLine(reads),
      'Read from AWS: 40 cloudtrail:LookupEvents, 12 cloudwatch:GetMetricData, 8 requests to logs; 1.2 GiB scanned; ' +
        'the cache answered 1,204 of 1,230 hours (cache: /home/dev/.cache/lambda-behavior)',
    );
    assert.equal(
      readsLine({ requests: {}, bytesScanned: 0, bytesDownloaded: 2048, estimates: [] }),
      'Read from AWS: no requests; 2.0 KiB downloaded',
    );
  });

  test('in the text and HTML reports when the report has reads, escaped there; absent otherwise', () => {
    const base: ScanReport = {
      formatVersion: 1,
      accountId: '111122223333',
      region: 'us-east-1',
      window: {
        baselineStart: '2026-11-18T00:00:00Z',
        baselineEnd: '2026-12-01T00:00:00Z',
        detectStart: '2026-12-01T00:00:00Z',
        detectEnd: '2026-12-02T00:00:00Z',
      },
      functions: [],
      warnings: [],
    };
    const withReads = { ...base, reads: { ...reads, cache: { ...reads.cache!, location: '/tmp/<x>' } } };
    assert.match(renderText(withReads, { color: false }), /\n {2}Read from AWS: 40 cloudtrail:LookupEvents, .*\(cache: \/tmp\/<x>\)\n/);
    assert.doesNotMatch(renderText(base, { color: false }), /Read from AWS/);
    const html = renderHtml(withReads);
    assert.match(html, /<p class="lb-reads muted">Read from AWS: 40 cloudtrail:LookupEvents, .*\(cache: \/tmp\/&lt;x&gt;\)<\/p>/);
    assert.doesNotMatch(renderHtml(base), /Read from AWS/);
  });
});
