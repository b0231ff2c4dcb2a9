// Athena and CloudTrail Lake at scale, with the SDK client mock (moto has no GetTableMetadata, no result pages, no scanned bytes, no Lake): the query text, partition pruning, pagination, cancellation, the scanned bytes, failure and fallback.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand as AthenaGetQueryResultsCommand,
  GetTableMetadataCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  CancelQueryCommand,
  CloudTrailClient,
  DescribeQueryCommand,
  GetQueryResultsCommand as LakeGetQueryResultsCommand,
  LookupEventsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeFlowLogsCommand, DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient, ListFunctionsCommand, ListTagsCommand } from '@aws-sdk/client-lambda';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { IAMClient, GetRoleCommand } from '@aws-sdk/client-iam';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { SourceError } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { eventsOfRow } from '../../src/core/scan/cloudtrail';
import { buildAthenaFlowQuery, layoutOf, partitionPredicate, runAthenaQuery } from '../../src/aws/athena';
import { buildCloudTrailAthenaQuery, buildLakeQuery, trailCallsFromLake } from '../../src/aws/cloudtrail-lake';
import { trailRowsFromAnswer } from '../../src/core/query-rows';
import { createClients } from '../../src/aws/clients';
import { RateLimiter } from '../../src/aws/fetch';
import { LookupCostEstimator } from '../../src/aws/lookup-cost';
import { recordScenario } from '../../src/aws/record';
import { AwsSource } from '../../src/aws/source';
import { openScenario } from '../../src/replay/scenario';
import { DEFAULT_LOG_FORMAT } from '../../src/core/flowlog/format';
import { parseAthenaTableName } from '../../src/shared/athena-table';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const clients = () => createClients({ region: 'us-east-1', credentials, maxAttempts: 1 });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function sdkError(name: string, message = name, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

const header = (names: string[]) => ({ Data: names.map((n) => ({ VarCharValue: n })) });
const row = (values: string[]) => ({ Data: values.map((v) => ({ VarCharValue: v })) });
const FLOW_COLUMNS = ['eni', 'remote', 'port', 'protocol', 'action', 'hour', 'service', 'flows', 'packets', 'bytes', 'first', 'last'];
const flowShape = (layout = layoutOf([{ name: 'dt', type: 'string' }], {})) => ({
  layout,
  columns: new Set([
    'interface_id',
    'srcaddr',
    'dstaddr',
    'srcport',
    'dstport',
    'protocol',
    'packets',
    'bytes',
    'start',
    'end',
    'action',
    'pkt_dst_aws_service',
    'pkt_src_aws_service',
  ]),
});

describe('the Athena flow-log query', () => {
  const start = Date.parse('2026-11-28T10:30:00Z');
  const end = Date.parse('2026-11-30T09:15:00Z');
  const enis = [
    { id: 'eni-1', addresses: ['10.0.1.5'] },
    { id: 'eni-2', addresses: ['10.0.1.6', '2600:1f18::6'] },
  ];

  test("snapshot: both directions by the ENIs' own addresses, grouped as the Insights query, the remote service from a v5 table, the dt partitions of the window", () => {
    assert.equal(
      buildAthenaFlowQuery({ database: 'flows', table: 'vpc_flow_logs' }, flowShape(), enis, start, end),
      `SELECT "interface_id" AS eni, "dstaddr" AS remote, "dstport" AS port, "protocol" AS protocol, "action" AS action,
  floor("start" / 3600) AS hour, "pkt_dst_aws_service" AS service,
  count(*) AS flows, sum("packets") AS packets, sum("bytes") AS bytes, min("start") AS first, max("end") AS last
FROM "flows"."vpc_flow_logs"
WHERE "dt" IN ('2026-11-28', '2026-11-29', '2026-11-30')
  AND "start" >= 1795861800 AND "start" < 1796030100
  AND "interface_id" IN ('eni-1', 'eni-2')
  AND "srcaddr" IN ('10.0.1.5', '10.0.1.6', '2600:1f18::6')
  AND "action" IN ('ACCEPT', 'REJECT')
GROUP BY 1, 2, 3, 4, 5, 6, 7
UNION ALL
SELECT "interface_id" AS eni, "srcaddr" AS remote, "srcport" AS port, "protocol" AS protocol, "action" AS action,
  floor("start" / 3600) AS hour, "pkt_src_aws_service" AS service,
  count(*) AS flows, sum("packets") AS packets, sum("bytes") AS bytes, min("start") AS first, max("end") AS last
FROM "flows"."vpc_flow_logs"
WHERE "dt" IN ('2026-11-28', '2026-11-29', '2026-11-30')
  AND "start" >= 1795861800 AND "start" < 1796030100
  AND "interface_id" IN ('eni-1', 'eni-2')
  AND "dstaddr" IN ('10.0.1.5', '10.0.1.6', '2600:1f18::6')
  AND "action" IN ('ACCEPT', 'REJECT')
GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    );
  });

  test('a v2 table has no service column: the query groups by a constant the rows read as none', () => {
    const sql = buildAthenaFlowQuery(
      { database: 'd', table: 't' },
      { ...flowShape(), columns: new Set(['interface_id']) },
      enis,
      start,
      end,
    );
    assert.ok(!sql.includes('pkt_'));
    assert.match(sql, /'-' AS service/);
  });

  test('partition pruning: the days the window touches and no other, for each layout AWS creates', () => {
    // The Hive-compatible layout and AWS's integration: year/month/day(/hour) strings.
    const hive = layoutOf(
      ['aws-account-id', 'aws-service', 'aws-region', 'year', 'month', 'day', 'hour'].map((name) => ({ name, type: 'string' })),
      {},
    );
    assert.deepEqual(hive, { kind: 'ymd', hour: true, quoted: true });
    assert.equal(
      partitionPredicate(hive, start, end),
      `(("year" = '2026' AND "month" = '11' AND "day" = '28')\n  OR ("year" = '2026' AND "month" = '11' AND "day" = '29')\n  OR ("year" = '2026' AND "month" = '11' AND "day" = '30'))`,
    );
    // Integer keys are compared as numbers.
    assert.equal(
      partitionPredicate(
        layoutOf(
          [
            { name: 'year', type: 'int' },
            { name: 'month', type: 'int' },
            { name: 'day', type: 'int' },
          ],
          {},
        ),
        start,
        start + HOUR,
      ),
      '(("year" = 2026 AND "month" = 11 AND "day" = 28))',
    );
    // dt of type date; a projected dt in its own format; a projected CloudTrail timestamp; an unpartitioned table.
    assert.equal(
      partitionPredicate(layoutOf([{ name: 'dt', type: 'date' }], {}), start, end),
      `"dt" BETWEEN DATE '2026-11-28' AND DATE '2026-11-30'`,
    );
    assert.equal(
      partitionPredicate(layoutOf([{ name: 'dt', type: 'string' }], { 'projection.dt.format': 'yyyy/MM/dd' }), start, start + DAY),
      `"dt" IN ('2026/11/28', '2026/11/29')`,
    );
    assert.equal(
      partitionPredicate(
        layoutOf(
          [
            { name: 'region', type: 'string' },
            { name: 'timestamp', type: 'string' },
          ],
          {},
        ),
        start,
        start + HOUR,
      ),
      `"timestamp" IN ('2026/11/28')`,
    );
    assert.equal(partitionPredicate(layoutOf([], {}), start, end), undefined);
    // The window crossing a month.
    assert.match(
      partitionPredicate(hive, Date.parse('2026-11-30T23:00:00Z'), Date.parse('2026-12-01T01:00:00Z'))!,
      /"month" = '11' AND "day" = '30'.*\n.*"month" = '12' AND "day" = '01'/,
    );
  });

  test('table names: DATABASE.TABLE or nothing (no quoting to break out of)', () => {
    assert.deepEqual(parseAthenaTableName('flows.vpc_flow_logs'), { database: 'flows', table: 'vpc_flow_logs' });
    for (const bad of ['flows', 'a.b.c', 'a."b"', "a.b'; DROP", '']) assert.equal(parseAthenaTableName(bad), undefined, bad);
  });
});

describe('running an Athena query', () => {
  const options = { database: 'flows', workgroup: 'scans' };

  test('polls with back-off until SUCCEEDED, reads every results page (the header row once), returns the bytes scanned', async () => {
    const athena = mockClient(AthenaClient);
    try {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
      const states = ['QUEUED', 'RUNNING', 'SUCCEEDED'];
      athena.on(GetQueryExecutionCommand).callsFake(() => ({
        QueryExecution: { Status: { State: states.shift() ?? 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 123_456_789 } },
      }));
      const columns = { ColumnInfo: ['a', 'b'].map((Name) => ({ Name, Type: 'varchar' })) };
      athena
        .on(AthenaGetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
        .resolves({ ResultSet: { ResultSetMetadata: columns, Rows: [header(['a', 'b']), row(['1', 'x'])] }, NextToken: 't2' });
      athena
        .on(AthenaGetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 't2' })
        .resolves({ ResultSet: { ResultSetMetadata: columns, Rows: [row(['2', 'y'])] }, NextToken: 't3' });
      // A later page whose first row looks like the header is data.
      athena
        .on(AthenaGetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 't3' })
        .resolves({ ResultSet: { ResultSetMetadata: columns, Rows: [row(['a', 'b'])] } });
      const answer = await runAthenaQuery(clients(), 'SELECT 1', options, new AbortController().signal);
      assert.deepEqual(answer.rows, [
        { a: '1', b: 'x' },
        { a: '2', b: 'y' },
        { a: 'a', b: 'b' },
      ]);
      assert.equal(answer.dataScannedBytes, 123_456_789);
      assert.equal(athena.commandCalls(GetQueryExecutionCommand).length, 3);
      assert.equal(athena.commandCalls(AthenaGetQueryResultsCommand).length, 3);
      const start = athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input;
      assert.deepEqual(start, { QueryString: 'SELECT 1', QueryExecutionContext: { Database: 'flows' }, WorkGroup: 'scans' });
      assert.equal(athena.commandCalls(StopQueryExecutionCommand).length, 0);
    } finally {
      athena.restore();
    }
  });

  test("cancelled while running: StopQueryExecution is sent and the scan's reason rejects", async () => {
    const athena = mockClient(AthenaClient);
    try {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
      const controller = new AbortController();
      athena.on(GetQueryExecutionCommand).callsFake(() => {
        controller.abort(new Error('scan cancelled'));
        return { QueryExecution: { Status: { State: 'RUNNING' } } };
      });
      athena.on(StopQueryExecutionCommand).resolves({});
      await assert.rejects(runAthenaQuery(clients(), 'SELECT 1', options, controller.signal), /scan cancelled/);
      assert.deepEqual(
        athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input),
        [{ QueryExecutionId: 'q-2' }],
      );
    } finally {
      athena.restore();
    }
  });

  test('past its budget the query is stopped; a FAILED query says why and is not stopped again', async () => {
    const athena = mockClient(AthenaClient);
    try {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
      athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
      await assert.rejects(
        runAthenaQuery(clients(), 'SELECT 1', { ...options, budgetMs: 600 }, new AbortController().signal),
        /did not complete within 1 s \(stopped\)/,
      );
      assert.equal(athena.commandCalls(StopQueryExecutionCommand).length, 1);
      athena.reset();
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-4' });
      athena.on(GetQueryExecutionCommand).resolves({
        QueryExecution: {
          Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: line 4:6: Table awsdatacatalog.flows.x does not exist' },
        },
      });
      await assert.rejects(
        runAthenaQuery(clients(), 'SELECT 1', options, new AbortController().signal),
        (err: unknown) => SourceError.is(err) && /q-4 failed: TABLE_NOT_FOUND/.test(err.message),
      );
      assert.equal(athena.commandCalls(StopQueryExecutionCommand).length, 0);
    } finally {
      athena.restore();
    }
  });
});

/** One VPC function and its ENI, with a flow log to `destination`. */
function account(now: number, flowLog: Record<string, unknown>) {
  const mocks = [
    mockClient(STSClient),
    mockClient(LambdaClient),
    mockClient(EC2Client),
    mockClient(CloudTrailClient),
    mockClient(CloudWatchClient),
    mockClient(CloudWatchLogsClient),
    mockClient(AthenaClient),
    mockClient(S3Client),
    mockClient(IAMClient),
  ] as const;
  const [sts, lambda, ec2, trail, cw, logs, athena, s3, iam] = mocks;
  // What record reads besides: no S3 objects delivered, the roles' and groups' reads denied (recorded as failures).
  s3.on(ListObjectsV2Command).resolves({ Contents: [] });
  iam.on(GetRoleCommand).rejects(sdkError('AccessDenied', 'not authorized to perform: iam:GetRole', 403));
  ec2
    .on(DescribeSecurityGroupsCommand)
    .rejects(sdkError('UnauthorizedOperation', 'not authorized to perform: ec2:DescribeSecurityGroups', 403));
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333' });
  lambda.on(ListFunctionsCommand).resolves({
    Functions: [
      {
        FunctionName: 'api',
        FunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:api',
        Role: 'arn:aws:iam::111122223333:role/api-role',
        VpcConfig: { VpcId: 'vpc-1', SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
      },
    ],
  });
  lambda.on(ListTagsCommand).resolves({ Tags: {} });
  ec2.on(DescribeNetworkInterfacesCommand).resolves({
    NetworkInterfaces: [
      {
        NetworkInterfaceId: 'eni-1',
        InterfaceType: 'lambda',
        Description: 'AWS Lambda VPC ENI-api-1',
        SubnetId: 'subnet-1',
        VpcId: 'vpc-1',
        Groups: [{ GroupId: 'sg-1' }],
        PrivateIpAddress: '10.0.1.5',
        Attachment: { AttachTime: new Date(now - 30 * DAY) },
      },
    ],
  });
  ec2.on(DescribeFlowLogsCommand).resolves({
    FlowLogs: [{ FlowLogId: 'fl-1', ResourceId: 'vpc-1', LogFormat: DEFAULT_LOG_FORMAT, FlowLogStatus: 'ACTIVE', ...flowLog }],
  });
  trail.on(LookupEventsCommand).resolves({ Events: [] });
  cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  athena.on(GetTableMetadataCommand).resolves({
    TableMetadata: {
      Name: 'vpc_flow_logs',
      Columns: [
        'version',
        'account_id',
        'interface_id',
        'srcaddr',
        'dstaddr',
        'srcport',
        'dstport',
        'protocol',
        'packets',
        'bytes',
        'start',
        'end',
        'action',
        'log_status',
      ].map((Name) => ({ Name })),
      PartitionKeys: [{ Name: 'dt', Type: 'string' }],
    },
  });
  return { athena, logs, trail, restore: () => mocks.forEach((m) => m.restore()) };
}

/** A record of the account with the query options, the recording's replay, and the live scan with the same options. */
async function recordAndReplay(now: number, options: { flowLogsAthena?: { database: string; table: string }; cloudTrailLake?: string }) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-athena-record-'));
  const ipRanges = path.join(out, 'ranges.json');
  fs.writeFileSync(ipRanges, JSON.stringify({ syncToken: '1', createDate: '2026-11-01-00-00-00', prefixes: [], ipv6_prefixes: [] }));
  const dir = path.join(out, 'scenario');
  try {
    await recordScenario(
      clients(),
      { out: dir, baselineDays: 7, detectHours: 24, now, ipRanges: { location: ipRanges }, ...options },
      new AbortController().signal,
    );
    const live = await scan(new AwsSource(clients(), { ...options, ipRanges: { location: ipRanges } }), {
      now,
      baselineDays: 7,
      detectHours: 24,
    });
    const replayed = await scan(openScenario(dir), { now, baselineDays: 7, detectHours: 24 });
    return { dir, live, replayed, files: fs.readdirSync(dir, { recursive: true }) as string[] };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

describe('a live scan with --flow-logs-athena', () => {
  const now = Math.floor(Date.parse('2026-11-30T12:00:00Z') / HOUR) * HOUR;
  const hourOf = (t: number) => String(Math.floor(t / HOUR) * 3600);
  const flowRow = (remote: string, port: number, t: number, flows: number) =>
    row([
      'eni-1',
      remote,
      String(port),
      '6',
      'ACCEPT',
      String(Math.floor(t / HOUR)),
      '',
      String(flows),
      String(flows * 10),
      String(flows * 1000),
      hourOf(t),
      hourOf(t + HOUR),
    ]);

  test('a flow log delivered to CloudWatch Logs, read through Athena: the bytes scanned are in its coverage too', async () => {
    const { athena, restore } = account(now, { LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/flows' });
    try {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-flows' });
      athena
        .on(GetQueryExecutionCommand)
        .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 3 * 1024 * 1024 } } });
      athena.on(AthenaGetQueryResultsCommand).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: FLOW_COLUMNS.map((Name) => ({ Name, Type: 'varchar' })) },
          Rows: [header(FLOW_COLUMNS), flowRow('10.0.2.9', 5432, now - 3 * HOUR, 40)],
        },
      });
      const source = new AwsSource(clients(), { flowLogsAthena: { database: 'flows', table: 'vpc_flow_logs', workgroup: 'scans' } });
      const report = await scan(source, { now, baselineDays: 7, detectHours: 24 });
      assert.match(report.functions[0].coverage.network, /with Athena on flows\.vpc_flow_logs: one query for the scan, 3\.0 MB scanned/);
    } finally {
      restore();
    }
  });

  test('one query for the scan: the new peer on port 22 found from the aggregate rows, the bytes scanned in coverage', async () => {
    const { athena, restore } = account(now, { LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket' });
    try {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-flows' });
      athena
        .on(GetQueryExecutionCommand)
        .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 3 * 1024 * 1024 } } });
      athena.on(AthenaGetQueryResultsCommand).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: FLOW_COLUMNS.map((Name) => ({ Name, Type: 'varchar' })) },
          Rows: [
            header(FLOW_COLUMNS),
            ...Array.from({ length: 7 }, (_, d) => flowRow('10.0.2.9', 5432, now - (d + 2) * DAY, 40)),
            flowRow('10.0.2.9', 5432, now - 3 * HOUR, 40),
            flowRow('10.0.3.7', 22, now - 2 * HOUR, 3),
          ],
        },
      });
      const source = new AwsSource(clients(), { flowLogsAthena: { database: 'flows', table: 'vpc_flow_logs', workgroup: 'scans' } });
      const report = await scan(source, { now, baselineDays: 7, detectHours: 24 });
      assert.equal(athena.commandCalls(StartQueryExecutionCommand).length, 1);
      const sql = athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input.QueryString!;
      // The window's days, pruned: the baseline's first day to today.
      assert.match(sql, /"dt" IN \('2026-11-22', .*'2026-11-30'\)/);
      assert.ok(!sql.includes('2026-11-21'));
      const fn = report.functions[0];
      // The new peer, and nothing of the peer the baseline knew.
      assert.ok(
        fn.findings.some((f) => f.subject.includes('10.0.3.7') && f.subject.includes('22')),
        JSON.stringify(fn.findings.map((f) => f.subject)),
      );
      assert.ok(!fn.findings.some((f) => f.subject.includes('10.0.2.9')), JSON.stringify(fn.findings.map((f) => f.subject)));
      assert.ok(fn.peers.some((p) => JSON.stringify(p).includes('10.0.2.9')));
      assert.match(fn.coverage.network, /with Athena on flows\.vpc_flow_logs: one query for the scan, 3\.0 MB scanned/);
    } finally {
      restore();
    }
  });

  test("record keeps the Athena rows as returned (athena/flow-rows.json) and the replay gives the live scan's findings and peers", async () => {
    const { athena, restore } = account(now, { LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket' });
    try {
      athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-rec' });
      athena
        .on(GetQueryExecutionCommand)
        .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 2048 } } });
      athena.on(AthenaGetQueryResultsCommand).resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: FLOW_COLUMNS.map((Name) => ({ Name, Type: 'varchar' })) },
          Rows: [
            header(FLOW_COLUMNS),
            flowRow('10.0.2.9', 5432, now - 3 * DAY, 40),
            flowRow('10.0.2.9', 5432, now - 3 * HOUR, 40),
            flowRow('10.0.3.7', 22, now - 2 * HOUR, 3),
          ],
        },
      });
      const { live, replayed, files } = await recordAndReplay(now, { flowLogsAthena: { database: 'flows', table: 'vpc_flow_logs' } });
      assert.ok(files.includes(path.join('athena', 'flow-rows.json')), files.join(', '));
      const fn = (r: typeof live) => r.functions[0];
      assert.ok(fn(live).findings.some((f) => f.subject.includes('10.0.3.7')));
      assert.deepEqual(fn(replayed).findings, fn(live).findings);
      assert.deepEqual(fn(replayed).peers, fn(live).peers);
      assert.match(
        fn(replayed).coverage.network,
        /with Athena on flows\.vpc_flow_logs: one query for the scan, 2\.0 KB scanned \(as recorded\)/,
      );
    } finally {
      restore();
    }
  });

  test('a failed Athena query: the flow log is read from its own destination and its coverage says why', async () => {
    const { athena, logs, restore } = account(now, { LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/flows' });
    try {
      athena
        .on(StartQueryExecutionCommand)
        .rejects(sdkError('AccessDeniedException', 'User is not authorized to perform: athena:StartQueryExecution', 400));
      const at = Math.floor((now - 2 * HOUR) / 1000);
      logs
        .on(FilterLogEventsCommand)
        .resolves({ events: [{ message: `2 111122223333 eni-1 10.0.1.5 10.0.3.7 40000 22 6 3 300 ${at} ${at + 60} ACCEPT OK` }] });
      const notices: string[] = [];
      const source = new AwsSource(clients(), {
        flowLogsQuery: 'filter',
        flowLogsAthena: { database: 'flows', table: 'vpc_flow_logs' },
        onNotice: (m) => notices.push(m),
      });
      const report = await scan(source, { now, baselineDays: 7, detectHours: 24 });
      assert.ok(logs.commandCalls(FilterLogEventsCommand).length > 0);
      assert.ok(report.functions[0].findings.some((f) => f.subject.includes('10.0.3.7')));
      assert.ok(
        report.warnings.some((w) =>
          /fl-1: read from its log group because the Athena query on flows\.vpc_flow_logs failed: access denied: needs athena:StartQueryExecution/.test(
            w,
          ),
        ),
        report.warnings.join(' | '),
      );
      assert.match(report.functions[0].coverage.network, /Athena query on flows\.vpc_flow_logs failed/);
      assert.ok(notices.some((n) => n.includes('reading each flow log from its own destination instead')));
    } finally {
      restore();
    }
  });
});

describe('CloudTrail at scale', () => {
  const request = {
    start: Date.parse('2026-11-23T12:00:00Z'),
    end: Date.parse('2026-11-30T12:00:00Z'),
    splitAt: Date.parse('2026-11-29T12:00:00Z'),
    sessionNames: ['api', "o'brien"],
  };

  test('snapshot: the Lake query, by session, call, error code and hour from the detect start, a few ids and messages as evidence', () => {
    assert.equal(
      buildLakeQuery('eds-0123', request),
      `SELECT userIdentity.arn AS arn, eventSource AS source, eventName AS name, errorCode AS error,
  floor((to_unixtime(eventTime) * 1000 - 1795953600000) / 3600000) AS bucket,
  count(*) AS calls, to_unixtime(min(eventTime)) AS first, to_unixtime(max(eventTime)) AS last,
  array_join(slice(array_agg(eventID ORDER BY eventTime DESC), 1, 5), ',') AS ids,
  array_join(slice(array_agg(errorMessage) FILTER (WHERE errorMessage IS NOT NULL), 1, 2), '\\n') AS messages
FROM eds-0123
WHERE eventTime >= '2026-11-23 12:00:00' AND eventTime < '2026-11-30 12:00:00'
  AND userIdentity.type = 'AssumedRole'
  AND element_at(split(userIdentity.arn, '/'), 3) IN ('api', 'o''brien')
GROUP BY 1, 2, 3, 4, 5`,
    );
  });

  test('snapshot: the Athena query over the standard CloudTrail table, its projected timestamp partitions pruned', () => {
    const table = { database: 'trail', table: 'cloudtrail_logs' };
    const sql = buildCloudTrailAthenaQuery(
      table,
      partitionPredicate(layoutOf([{ name: 'timestamp', type: 'string' }], {}), request.start, request.end),
      request,
    );
    assert.equal(
      sql,
      `SELECT useridentity.arn AS arn, eventsource AS source, eventname AS name, errorcode AS error,
  floor((to_unixtime(from_iso8601_timestamp(eventtime)) * 1000 - 1795953600000) / 3600000) AS bucket,
  count(*) AS calls, to_unixtime(min(from_iso8601_timestamp(eventtime))) AS first, to_unixtime(max(from_iso8601_timestamp(eventtime))) AS last,
  array_join(slice(array_agg(eventid ORDER BY from_iso8601_timestamp(eventtime) DESC), 1, 5), ',') AS ids,
  array_join(slice(array_agg(errormessage) FILTER (WHERE errormessage IS NOT NULL), 1, 2), '\\n') AS messages
FROM "trail"."cloudtrail_logs"
WHERE "timestamp" IN ('2026/11/23', '2026/11/24', '2026/11/25', '2026/11/26', '2026/11/27', '2026/11/28', '2026/11/29', '2026/11/30')
  AND eventtime >= '2026-11-23T12:00:00Z' AND eventtime < '2026-11-30T12:00:00Z'
  AND useridentity.type = 'AssumedRole'
  AND element_at(split(useridentity.arn, '/'), 3) IN ('api', 'o''brien')
GROUP BY 1, 2, 3, 4, 5`,
    );
  });

  test('rows as the engine counts them: the session and role from the ARN, evidence on the first events, the same tallies', () => {
    const [r] = trailRowsFromAnswer([
      {
        arn: 'arn:aws:sts::1:assumed-role/api-role/api',
        source: 'iam.amazonaws.com',
        name: 'ListUsers',
        error: 'AccessDenied',
        bucket: '3',
        calls: '7',
        first: '1764000000',
        last: '1764003000.5',
        ids: 'e7,e6,e5,e4,e3',
        messages: 'no\nstill no',
      },
    ]);
    assert.deepEqual(r, {
      sessionName: 'api',
      roleName: 'api-role',
      principalArn: 'arn:aws:sts::1:assumed-role/api-role/api',
      eventSource: 'iam.amazonaws.com',
      eventName: 'ListUsers',
      errorCode: 'AccessDenied',
      count: 7,
      first: 1764000000000,
      last: 1764003000500,
      eventIds: ['e7', 'e6', 'e5', 'e4', 'e3'],
      errorMessages: ['no', 'still no'],
    });
    const events = [...eventsOfRow(r)];
    assert.equal(events.length, 7);
    assert.deepEqual(
      events.slice(0, 5).map((e) => e.eventId),
      ['e7', 'e6', 'e5', 'e4', 'e3'],
    );
    assert.equal(Math.min(...events.map((e) => e.eventTime)), r.first);
    assert.equal(Math.max(...events.map((e) => e.eventTime)), r.last);
    assert.deepEqual(
      events.filter((e) => e.errorMessage).map((e) => e.errorMessage),
      ['no', 'still no'],
    );
    // An IAM user or a row without a count is not a function's session.
    assert.deepEqual(
      trailRowsFromAnswer([{ arn: 'arn:aws:iam::1:user/bob', source: 's', name: 'n', calls: '1', first: '1', last: '1' }]),
      [],
    );
  });

  test('Lake: polled, results paginated, bytes scanned; cancelled while running sends CancelQuery', async () => {
    const trail = mockClient(CloudTrailClient);
    try {
      trail.on(StartQueryCommand).resolves({ QueryId: 'lq-1' });
      const states = ['QUEUED', 'RUNNING', 'FINISHED'];
      trail
        .on(DescribeQueryCommand)
        .callsFake(() => ({ QueryStatus: states.shift() ?? 'FINISHED', QueryStatistics: { BytesScanned: 42 } }));
      const cell = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => ({ [k]: v }));
      const lakeRow = (name: string) =>
        cell({
          arn: 'arn:aws:sts::1:assumed-role/api-role/api',
          source: 'dynamodb.amazonaws.com',
          name,
          error: '',
          bucket: '1',
          calls: '2',
          first: '1764000000',
          last: '1764000100',
          ids: `${name}-1,${name}-2`,
          messages: '',
        });
      trail.on(LakeGetQueryResultsCommand, { QueryId: 'lq-1', NextToken: undefined }).resolves({
        QueryStatus: 'FINISHED',
        QueryResultRows: [lakeRow('GetItem')],
        NextToken: 'n2',
        QueryStatistics: { BytesScanned: 1_000_000 },
      });
      trail
        .on(LakeGetQueryResultsCommand, { QueryId: 'lq-1', NextToken: 'n2' })
        .resolves({ QueryStatus: 'FINISHED', QueryResultRows: [lakeRow('PutItem')], QueryStatistics: { BytesScanned: 1_000_000 } });
      const answer = await trailCallsFromLake(clients(), 'eds-0123', request, new AbortController().signal);
      assert.deepEqual(
        answer.rows.map((r) => [r.eventName, r.count, r.eventIds]),
        [
          ['GetItem', 2, ['GetItem-1', 'GetItem-2']],
          ['PutItem', 2, ['PutItem-1', 'PutItem-2']],
        ],
      );
      assert.equal(answer.bytesScanned, 1_000_000);
      assert.equal(trail.commandCalls(CancelQueryCommand).length, 0);

      trail.reset();
      trail.on(StartQueryCommand).resolves({ QueryId: 'lq-2' });
      const controller = new AbortController();
      trail.on(DescribeQueryCommand).callsFake(() => {
        controller.abort(new Error('scan cancelled'));
        return { QueryStatus: 'RUNNING' };
      });
      await assert.rejects(trailCallsFromLake(clients(), 'eds-0123', request, controller.signal), /scan cancelled/);
      assert.deepEqual(
        trail.commandCalls(CancelQueryCommand).map((c) => c.args[0].input),
        [{ QueryId: 'lq-2' }],
      );
    } finally {
      trail.restore();
    }
  });

  const now = Math.floor(Date.parse('2026-11-30T12:00:00Z') / HOUR) * HOUR;
  const ACCOUNT = '111122223333';
  const arn = `arn:aws:sts::${ACCOUNT}:assumed-role/api-role/api`;
  const events: Array<{ id: string; name: string; source: string; t: number; error?: string; message?: string }> = [
    ...Array.from({ length: 12 }, (_, i) => ({
      id: `get-${i}`,
      name: 'GetItem',
      source: 'dynamodb.amazonaws.com',
      t: now - (i + 2) * DAY + i * 1000,
    })),
    ...Array.from({ length: 8 }, (_, i) => ({
      id: `get-new-${i}`,
      name: 'GetItem',
      source: 'dynamodb.amazonaws.com',
      t: now - 3 * HOUR - i * 1000,
    })),
    ...Array.from({ length: 6 }, (_, i) => ({
      id: `list-${i}`,
      name: 'ListUsers',
      source: 'iam.amazonaws.com',
      t: now - 2 * HOUR - i * 60_000,
      error: 'AccessDenied',
      message: `denied ${i}`,
    })),
  ].sort((a, b) => b.t - a.t);
  const lookupAnswer = {
    Events: events.map((e) => ({
      EventId: e.id,
      EventName: e.name,
      EventSource: e.source,
      EventTime: new Date(e.t),
      Username: 'api',
      CloudTrailEvent: JSON.stringify({
        userIdentity: { type: 'AssumedRole', arn },
        eventTime: new Date(e.t).toISOString(),
        eventID: e.id,
        errorCode: e.error,
        errorMessage: e.message,
      }),
    })),
  };
  /** The same events as Lake aggregates them (one row per call, error code and hour from the split). */
  function lakeRows(splitAt: number): Array<Array<Record<string, string>>> {
    const groups = new Map<string, typeof events>();
    for (const e of events) {
      const key = `${e.source} ${e.name} ${e.error ?? ''} ${Math.floor((e.t - splitAt) / HOUR)}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    return [...groups.values()].map((g) =>
      Object.entries({
        arn,
        source: g[0].source,
        name: g[0].name,
        error: g[0].error ?? '',
        bucket: '0',
        calls: String(g.length),
        first: String(Math.min(...g.map((e) => e.t)) / 1000),
        last: String(Math.max(...g.map((e) => e.t)) / 1000),
        ids: g
          .slice(0, 5)
          .map((e) => e.id)
          .join(','),
        messages: g
          .map((e) => e.message)
          .filter(Boolean)
          .slice(0, 2)
          .join('\n'),
      }).map(([k, v]) => ({ [k]: v })),
    );
  }

  test('a scan with --cloudtrail-lake gives the findings LookupEvents gives, from one query, and says what it scanned', async () => {
    const lookupScan = account(now, { LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket' });
    let viaLookup;
    try {
      lookupScan.trail.on(LookupEventsCommand).resolves(lookupAnswer);
      const source = new AwsSource(clients(), {});
      Object.assign(source, { trailLimiter: new RateLimiter(0) });
      viaLookup = await scan(source, { now, baselineDays: 7, detectHours: 24, functions: ['api'] });
    } finally {
      lookupScan.restore();
    }
    const lakeScan = account(now, { LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket' });
    try {
      let splitAt = 0;
      lakeScan.trail.on(StartQueryCommand).callsFake((input: { QueryStatement: string }) => {
        splitAt = Number(/\* 1000 - (\d+)\)/.exec(input.QueryStatement)![1]);
        return { QueryId: 'lq-3' };
      });
      lakeScan.trail.on(DescribeQueryCommand).resolves({ QueryStatus: 'FINISHED', QueryStatistics: { BytesScanned: 5 * 1024 ** 3 } });
      lakeScan.trail.on(LakeGetQueryResultsCommand).callsFake(() => ({ QueryStatus: 'FINISHED', QueryResultRows: lakeRows(splitAt) }));
      const source = new AwsSource(clients(), { cloudTrailLake: 'eds-0123' });
      const viaLake = await scan(source, { now, baselineDays: 7, detectHours: 24, functions: ['api'] });
      assert.equal(
        lakeScan.trail.commandCalls(LookupEventsCommand).filter((c) => c.args[0].input.LookupAttributes?.[0]?.AttributeKey === 'Username')
          .length,
        0,
      );
      assert.equal(lakeScan.trail.commandCalls(StartQueryCommand).length, 1);
      const calls = (r: typeof viaLake) => JSON.stringify(r.functions[0].apiCalls);
      assert.equal(calls(viaLake), calls(viaLookup));
      const findings = (r: typeof viaLake) => JSON.stringify(r.functions[0].findings);
      assert.equal(findings(viaLake), findings(viaLookup));
      assert.ok(viaLake.functions[0].findings.some((f) => f.kind === 'access-denied'));
      assert.ok(
        viaLake.warnings.includes('CloudTrail read from CloudTrail Lake event data store eds-0123: one query for the scan, 5.0 GB scanned'),
        viaLake.warnings.join(' | '),
      );
    } finally {
      lakeScan.restore();
    }
  });

  test("record keeps the Lake rows as returned (cloudtrail-lake/rows.json) and the replay gives the live scan's findings", async () => {
    const { trail, restore } = account(now, { LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket' });
    try {
      let splitAt = 0;
      trail.on(StartQueryCommand).callsFake((input: { QueryStatement: string }) => {
        splitAt = Number(/\* 1000 - (\d+)\)/.exec(input.QueryStatement)![1]);
        return { QueryId: 'lq-rec' };
      });
      trail.on(DescribeQueryCommand).resolves({ QueryStatus: 'FINISHED', QueryStatistics: { BytesScanned: 4096 } });
      trail.on(LakeGetQueryResultsCommand).callsFake(() => ({ QueryStatus: 'FINISHED', QueryResultRows: lakeRows(splitAt) }));
      const { live, replayed, files } = await recordAndReplay(now, { cloudTrailLake: 'eds-0123' });
      assert.ok(files.includes(path.join('cloudtrail-lake', 'rows.json')), files.join(', '));
      assert.ok(live.functions[0].findings.some((f) => f.kind === 'access-denied'));
      assert.deepEqual(replayed.functions[0].findings, live.functions[0].findings);
      assert.deepEqual(replayed.functions[0].apiCalls, live.functions[0].apiCalls);
      assert.ok(
        replayed.warnings.includes(
          'CloudTrail read from CloudTrail Lake event data store eds-0123: one query for the scan, 4.0 KB scanned (as recorded)',
        ),
        replayed.warnings.join(' | '),
      );
    } finally {
      restore();
    }
  });

  test('a failed Lake query falls back to LookupEvents and says so', async () => {
    const { trail, restore } = account(now, { LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket' });
    try {
      trail.on(StartQueryCommand).rejects(sdkError('AccessDeniedException', 'not authorized to perform: cloudtrail:StartQuery', 400));
      trail.on(LookupEventsCommand).resolves(lookupAnswer);
      const source = new AwsSource(clients(), { cloudTrailLake: 'eds-0123' });
      Object.assign(source, { trailLimiter: new RateLimiter(0) });
      const report = await scan(source, { now, baselineDays: 7, detectHours: 24 });
      assert.ok(trail.commandCalls(LookupEventsCommand).some((c) => c.args[0].input.LookupAttributes?.[0]?.AttributeValue === 'api'));
      assert.ok(
        report.warnings.some((w) =>
          /query on CloudTrail Lake event data store eds-0123 failed \(access denied: needs cloudtrail:StartQuery\): paging cloudtrail:LookupEvents instead/.test(
            w,
          ),
        ),
        report.warnings.join(' | '),
      );
      assert.ok(report.functions[0].findings.some((f) => f.kind === 'access-denied'));
    } finally {
      restore();
    }
  });
});

describe('the cost of LookupEvents, said up front', () => {
  const range = { start: 0, end: 7 * DAY };
  const page = (oldest: number) =>
    Array.from({ length: 50 }, (_, i) => ({ eventId: `e${i}`, eventTime: oldest + i, eventSource: 's', eventName: 'n' }));

  test('three full pages reaching back 1% of the range: about 300 pages a session, said once with the options', () => {
    const said: string[] = [];
    const cost = new LookupCostEstimator(['a', 'b', 'c'], range, (m) => said.push(m));
    const oldest = range.end - (range.end - range.start) / 100;
    cost.page('a', page(range.end - 1000));
    cost.page('a', page(range.end - 2000));
    assert.deepEqual(said, []);
    cost.page('a', page(oldest));
    // 300 pages for a, and b and c assumed alike: 900 pages at 2 a second, 7.5 minutes.
    assert.equal(cost.totalPages(), 900);
    assert.equal(said.length, 1);
    assert.match(
      said[0],
      /about 8 minutes \(about 900 pages of up to 50 events, 50 a page so far, at 2 requests a second\).*--cloudtrail-lake EDS_ID.*--cloudtrail-athena DATABASE\.TABLE/,
    );
    cost.page('a', page(oldest - 1));
    assert.equal(said.length, 1);
  });

  test('small sessions finish under the threshold and say nothing', () => {
    const said: string[] = [];
    const cost = new LookupCostEstimator(['a', 'b'], range, (m) => said.push(m));
    cost.page('a', page(range.start + 1));
    cost.end('a');
    cost.page('b', page(range.start + 1));
    cost.end('b');
    assert.equal(cost.totalPages(), 2);
    assert.deepEqual(said, []);
  });
});
