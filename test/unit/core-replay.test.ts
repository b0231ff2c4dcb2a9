// The replay backend: scenario directories opened, checked and served through the ports; bad input named precisely.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, describe, test } from 'node:test';
import { InputError } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { openScenario } from '../../src/replay/scenario';

const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 23);
const DETECT = NOW - 24 * H;
const BASE = DETECT - 7 * 24 * H;
const OPTIONS = { baselineDays: 7, detectHours: 24 };
const isoS = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
const sec = (ms: number) => Math.floor(ms / 1000);

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

type Files = Record<string, unknown>;

/** A scenario directory: one VPC function with its ENI and a flow log, an RDS ENI, trail events and metrics. */
function baseFiles(): Files {
  const fnArn = 'arn:aws:lambda:us-east-1:123456789012:function:orders';
  const metricQueries = [
    {
      Id: 'm0',
      MetricStat: {
        Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'FunctionName', Value: 'orders' }] },
        Period: 3600,
        Stat: 'Sum',
      },
    },
    {
      Id: 'm1',
      MetricStat: {
        Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: 'orders' }] },
        Period: 3600,
        Stat: 'Sum',
      },
    },
    {
      Id: 'x9',
      MetricStat: {
        Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: [{ Name: 'Resource', Value: 'orders:prod' }] },
        Period: 3600,
        Stat: 'Sum',
      },
    },
  ];
  const stamps: string[] = [];
  for (let t = NOW - H; t >= BASE; t -= H) stamps.push(isoS(t)); // newest first
  return {
    'scenario.json': { formatVersion: 1, accountId: '123456789012', region: 'us-east-1', recordedAt: isoS(NOW), description: 'test' },
    'lambda/list-functions.json': {
      Functions: [
        {
          FunctionName: 'orders',
          FunctionArn: fnArn,
          Runtime: 'python3.12',
          Role: 'arn:aws:iam::123456789012:role/orders-role',
          Handler: 'app.handler',
          VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'], VpcId: 'vpc-1' },
        },
      ],
    },
    'lambda/tags.json': { [fnArn]: { team: 'payments' } },
    'ec2/describe-network-interfaces.json': {
      NetworkInterfaces: [
        {
          NetworkInterfaceId: 'eni-orders',
          InterfaceType: 'lambda',
          Description: 'AWS Lambda VPC ENI-orders-1656e770-2f1c-c974-71da-d1fa2edae9d8',
          SubnetId: 'subnet-1',
          VpcId: 'vpc-1',
          Groups: [{ GroupId: 'sg-1', GroupName: 'fn' }],
          PrivateIpAddress: '10.0.1.10',
          PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.1.10' }],
          Ipv6Addresses: [],
          Status: 'in-use',
          Attachment: { AttachTime: isoS(BASE - 30 * 24 * H) },
        },
        {
          NetworkInterfaceId: 'eni-rds',
          InterfaceType: 'interface',
          Description: 'RDSNetworkInterface',
          SubnetId: 'subnet-2',
          VpcId: 'vpc-1',
          Groups: [{ GroupId: 'sg-db' }],
          PrivateIpAddress: '10.0.3.14',
          PrivateIpAddresses: [{ PrivateIpAddress: '10.0.3.14' }],
          Ipv6Addresses: [],
          RequesterId: 'amazon-rds',
        },
      ],
    },
    'ec2/describe-flow-logs.json': {
      FlowLogs: [
        {
          FlowLogId: 'fl-1',
          FlowLogStatus: 'ACTIVE',
          LogGroupName: '/vpc/flow',
          ResourceId: 'vpc-1',
          TrafficType: 'ALL',
          LogDestinationType: 'cloud-watch-logs',
          LogFormat: '',
          MaxAggregationInterval: 600,
        },
      ],
    },
    'cloudtrail/lookup-events.json': {
      Events: [
        trailEvent('e-1', DETECT + 2 * H, 'iam.amazonaws.com', 'ListRoles', 'orders-role', 'orders'),
        trailEvent('e-2', BASE + 2 * H, 's3.amazonaws.com', 'GetObject', 'orders-role', 'orders'),
        trailEvent('e-3', DETECT + 3 * H, 's3.amazonaws.com', 'GetObject', 'orders-role', 'orders'),
        trailEvent('e-old', BASE - 5 * 24 * H, 'ec2.amazonaws.com', 'DescribeVpcs', 'orders-role', 'orders'),
      ],
    },
    'cloudwatch/get-metric-data.json': {
      StartTime: isoS(BASE),
      EndTime: isoS(NOW),
      MetricDataQueries: metricQueries,
      MetricDataResults: [
        { Id: 'm0', Label: 'Invocations', Timestamps: stamps, Values: stamps.map(() => 20), StatusCode: 'Complete' },
        { Id: 'm1', Label: 'Errors', Timestamps: [], Values: [], StatusCode: 'Complete' },
        { Id: 'x9', Label: 'other', Timestamps: stamps, Values: stamps.map(() => 1e6), StatusCode: 'Complete' },
        { Id: 'unknown', Timestamps: stamps, Values: stamps.map(() => 1e6) },
      ],
    },
  };
}

function trailEvent(id: string, t: number, eventSource: string, eventName: string, role: string, session: string) {
  return {
    EventId: id,
    EventName: eventName,
    EventTime: isoS(t),
    EventSource: eventSource,
    Username: session,
    CloudTrailEvent: JSON.stringify({
      eventVersion: '1.09',
      userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::123456789012:assumed-role/${role}/${session}` },
      eventTime: isoS(t),
      eventSource,
      eventName,
      eventID: id,
      sourceIPAddress: '3.91.52.239',
    }),
  };
}

/** Flow records: RDS all along, an external SSH peer in the detection window. */
function flowText(): string {
  const lines: string[] = [];
  const rec = (src: string, dst: string, sp: number, dp: number, t: number) =>
    `2 123456789012 eni-orders ${src} ${dst} ${sp} ${dp} 6 10 1000 ${sec(t)} ${sec(t) + 30} ACCEPT OK`;
  for (let t = BASE; t < NOW; t += H) {
    lines.push(rec('10.0.1.10', '10.0.3.14', 40000, 5432, t + 60_000));
    lines.push(rec('10.0.3.14', '10.0.1.10', 5432, 40000, t + 60_000));
  }
  lines.push(rec('10.0.1.10', '185.220.101.45', 41000, 22, DETECT + 5 * H));
  return lines.join('\n') + '\n';
}

function writeScenario(files: Files, flow?: { name: string; data: Buffer | string }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'core-replay-'));
  dirs.push(dir);
  for (const [rel, value] of Object.entries(files)) {
    if (value === undefined) continue;
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 1));
  }
  if (flow) {
    fs.mkdirSync(path.join(dir, 'flowlogs'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'flowlogs', flow.name), flow.data);
  }
  return dir;
}

function inputError(dir: string): InputError {
  try {
    openScenario(dir);
  } catch (err) {
    assert.ok(err instanceof InputError, `${String(err)} is not an InputError`);
    return err;
  }
  assert.fail('openScenario did not fail');
}

describe('openScenario: bad input', () => {
  test('a directory that does not exist', () => {
    const missing = path.join(os.tmpdir(), 'no-such-scenario-dir-core-replay');
    assert.match(inputError(missing).message, new RegExp(missing.replace(/[\\/.]/g, '\\$&')));
  });

  test('a missing file: the message names the file', () => {
    for (const rel of [
      'scenario.json',
      'lambda/list-functions.json',
      'ec2/describe-network-interfaces.json',
      'ec2/describe-flow-logs.json',
      'cloudtrail/lookup-events.json',
      'cloudwatch/get-metric-data.json',
    ]) {
      const dir = writeScenario({ ...baseFiles(), [rel]: undefined });
      const err = inputError(dir);
      assert.ok(err.message.includes(path.join(dir, rel)), `${rel}: ${err.message}`);
      assert.match(err.message, /missing/, rel);
    }
  });

  test('optional files may be missing', () => {
    const dir = writeScenario({ ...baseFiles(), 'lambda/tags.json': undefined });
    assert.doesNotThrow(() => openScenario(dir));
  });

  test('a file that is not JSON: the message names the file', () => {
    for (const rel of [
      'scenario.json',
      'lambda/list-functions.json',
      'lambda/tags.json',
      'cloudwatch/get-metric-data.json',
      'ip-ranges.json',
    ]) {
      const dir = writeScenario({ ...baseFiles(), [rel]: '{"Functions": [' });
      const err = inputError(dir);
      assert.ok(err.message.includes(path.join(dir, rel)), `${rel}: ${err.message}`);
      assert.match(err.message, /JSON/, rel);
    }
  });

  test('the wrong shape: the message names the file and the key', () => {
    const cases: Array<[string, unknown, string]> = [
      ['lambda/list-functions.json', { Functions: 3 }, 'Functions'],
      ['lambda/list-functions.json', {}, 'Functions'],
      ['ec2/describe-network-interfaces.json', { NetworkInterfaces: {} }, 'NetworkInterfaces'],
      ['ec2/describe-flow-logs.json', { FlowLogs: 'x' }, 'FlowLogs'],
      ['cloudtrail/lookup-events.json', { Events: null }, 'Events'],
      ['cloudwatch/get-metric-data.json', { MetricDataQueries: [] }, 'MetricDataResults'],
      ['ip-ranges.json', { syncToken: '1' }, 'prefixes'],
      ['scenario.json', { formatVersion: 1, region: 'us-east-1' }, 'accountId'],
      ['scenario.json', { formatVersion: 1, accountId: '1', region: 5 }, 'region'],
      ['scenario.json', { formatVersion: 2, accountId: '1', region: 'us-east-1' }, 'formatVersion'],
      ['scenario.json', { formatVersion: 1, accountId: '1', region: 'us-east-1', recordedAt: 'yesterday' }, 'recordedAt'],
    ];
    for (const [rel, value, key] of cases) {
      const err = inputError(writeScenario({ ...baseFiles(), [rel]: value }));
      assert.ok(err.message.includes(rel.split('/').pop()!), `${rel}: ${err.message}`);
      assert.ok(err.message.includes(key), `${rel} ${key}: ${err.message}`);
    }
  });

  test('a JSON array or scalar where an object belongs', () => {
    for (const text of ['[]', '3', 'null']) {
      const dir = writeScenario({ ...baseFiles(), 'lambda/list-functions.json': text });
      const err = inputError(dir);
      assert.ok(err.message.includes(path.join(dir, 'lambda/list-functions.json')), err.message);
    }
  });

  test('an entry missing a required field: the message names the file and the entry', () => {
    const files = baseFiles();
    const fns = (files['lambda/list-functions.json'] as { Functions: unknown[] }).Functions;
    const dir = writeScenario({ ...files, 'lambda/list-functions.json': { Functions: [...fns, { Runtime: 'nodejs20.x' }] } });
    const err = inputError(dir);
    assert.ok(err.message.includes('list-functions.json'), err.message);
    assert.ok(err.message.includes('Functions[1]'), err.message);
    assert.match(err.message, /FunctionName/);

    const eniDir = writeScenario({ ...files, 'ec2/describe-network-interfaces.json': { NetworkInterfaces: [{ Description: 'x' }] } });
    assert.match(inputError(eniDir).message, /describe-network-interfaces\.json.*NetworkInterfaces\[0\].*NetworkInterfaceId/);
  });

  test('a CloudTrailEvent that is not JSON names the file and the event', () => {
    const bad = { EventId: 'broken-1', EventTime: isoS(NOW - H), CloudTrailEvent: '{not json' };
    const dir = writeScenario({
      ...baseFiles(),
      'cloudtrail/lookup-events.json': { Events: [trailEvent('ok', NOW - H, 's3.amazonaws.com', 'GetObject', 'r', 's'), bad] },
    });
    const err = inputError(dir);
    assert.ok(err.message.includes('lookup-events.json'), err.message);
    assert.ok(err.message.includes('Events[1]'), err.message);
    assert.ok(err.message.includes('broken-1'), err.message);
  });

  test('an event without a time is refused', () => {
    const dir = writeScenario({
      ...baseFiles(),
      'cloudtrail/lookup-events.json': { Events: [{ EventId: 'no-time', CloudTrailEvent: '{}' }] },
    });
    assert.match(inputError(dir).message, /lookup-events\.json.*Events\[0\].*no-time/);
  });
});

describe('openScenario: serving a scenario', () => {
  test('the ports return what the files hold, mapped to the model', async () => {
    const dir = writeScenario(baseFiles(), { name: 'fl-1.log', data: flowText() });
    const source = openScenario(dir, 'my label');
    const signal = new AbortController().signal;
    assert.equal(source.label, 'my label');
    assert.deepEqual(await source.account(signal), { accountId: '123456789012', region: 'us-east-1', recordedAt: NOW });
    const [f] = await source.listFunctions(signal);
    assert.equal(f.name, 'orders');
    assert.deepEqual(f.tags, { team: 'payments' });
    assert.deepEqual(f.vpc?.subnetIds, ['subnet-1']);
    const enis = await source.listNetworkInterfaces(signal);
    assert.deepEqual(
      enis.map((e) => [e.id, e.type, e.privateIps[0], e.securityGroupIds.join(',')]),
      [
        ['eni-orders', 'lambda', '10.0.1.10', 'sg-1'],
        ['eni-rds', 'interface', '10.0.3.14', 'sg-db'],
      ],
    );
    assert.equal(enis[0].since, BASE - 30 * 24 * H);
    const [fl] = await source.describeFlowLogs(signal);
    assert.deepEqual(
      [fl.id, fl.destinationType, fl.logGroupName, fl.maxAggregationIntervalSeconds],
      ['fl-1', 'cloud-watch-logs', '/vpc/flow', 600],
    );
    // Events are served for the requested time range only.
    const pages: string[][] = [];
    for await (const page of source.lookupEvents({ start: BASE, end: NOW, sessionNames: ['orders'] }, signal))
      pages.push(page.map((e) => e.eventId));
    assert.deepEqual(pages.flat().sort(), ['e-1', 'e-2', 'e-3']);
    // Metrics: per function and metric, only per-function queries, only the requested range.
    const series = await source.getMetrics(
      { start: DETECT, end: NOW, functionNames: ['orders'], metrics: ['Invocations', 'Errors'], periodSeconds: 3600 },
      signal,
    );
    const inv = series.find((s) => s.metric === 'Invocations');
    assert.ok(inv);
    assert.equal(inv.points.length, 24);
    assert.ok(inv.points.every((p) => p.v === 20 && p.t >= DETECT && p.t < NOW));
    assert.equal(series.filter((s) => s.metric === 'Invocations').length, 1);
    assert.deepEqual(
      await source.getMetrics({ start: BASE, end: NOW, functionNames: ['other'], metrics: ['Invocations'], periodSeconds: 3600 }, signal),
      [],
    );
  });

  test('a scan of the scenario finds the new peer and the new call, with the recording time as now', async () => {
    const dir = writeScenario(baseFiles(), { name: 'fl-1.log.gz', data: zlib.gzipSync(flowText()) });
    const r = await scan(openScenario(dir), OPTIONS);
    assert.equal(r.window.detectEnd, isoS(NOW));
    assert.equal(r.source, `scenario ${dir}`);
    const [orders] = r.functions;
    assert.deepEqual(orders.peers.map((p) => `${p.address}:${p.port} ${p.inBaseline} ${p.resource}`).sort(), [
      '10.0.3.14:5432 true RDS (RDSNetworkInterface)',
      // No ip-ranges.json in this scenario: a public address is not called external with certainty.
      '185.220.101.45:22 false public address (AWS ip-ranges unavailable)',
    ]);
    assert.deepEqual(orders.findings.map((f) => `${f.kind} ${f.subject}`).sort(), [
      'new-api-call iam.amazonaws.com:ListRoles',
      'new-peer 185.220.101.45:22/tcp',
    ]);
    assert.equal(orders.metrics?.totals.detect.Invocations, 24 * 20);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /^no AWS ip-ranges document: the public peers of 1 function\(s\) \(orders\)/);
    assert.equal(r.stats?.flowRecords, 7 * 24 * 2 + 24 * 2 + 1);
  });

  test('management events by name: every recorded one whatever its time, with its caller, request and response', async () => {
    const files = baseFiles();
    const description = 'AWS Lambda VPC ENI-orders-1656e770-2f1c-c974-71da-d1fa2edae9d8';
    const management = (
      id: string,
      t: number,
      eventSource: string,
      eventName: string,
      arn: string,
      requestParameters: unknown,
      responseElements: unknown,
    ) => ({
      EventId: id,
      EventName: eventName,
      EventTime: isoS(t),
      EventSource: eventSource,
      Username: arn.split('/').pop(),
      CloudTrailEvent: JSON.stringify({
        eventVersion: '1.09',
        userIdentity: { type: 'AssumedRole', arn },
        eventTime: isoS(t),
        eventSource,
        eventName,
        eventID: id,
        requestParameters,
        responseElements,
      }),
    });
    const lambdaRole = 'arn:aws:sts::123456789012:assumed-role/orders-role/awslambda_12_20260901T000000';
    const deployer = 'arn:aws:sts::123456789012:assumed-role/deploy/codebuild-1';
    (files['cloudtrail/lookup-events.json'] as { Events: unknown[] }).Events.push(
      // 60 days before the recording: long before the windows, yet the ENI's creation.
      management(
        'm-create',
        NOW - 60 * 24 * H,
        'ec2.amazonaws.com',
        'CreateNetworkInterface',
        lambdaRole,
        { subnetId: 'subnet-1', description },
        {
          networkInterface: {
            networkInterfaceId: 'eni-orders',
            subnetId: 'subnet-1',
            vpcId: 'vpc-1',
            description,
            interfaceType: 'lambda',
            privateIpAddress: '10.0.1.10',
            groupSet: { items: [{ groupId: 'sg-1' }] },
          },
        },
      ),
      management(
        'm-code',
        DETECT + H,
        'lambda.amazonaws.com',
        'UpdateFunctionCode20150331v2',
        deployer,
        { functionName: 'orders' },
        { functionName: 'orders' },
      ),
    );
    const dir = writeScenario(files, { name: 'fl-1.log', data: flowText() });
    const source = openScenario(dir);
    const signal = new AbortController().signal;
    const read = async (eventNames: string[]) => {
      const out = [];
      for await (const page of source.lookupManagementEvents!({ eventNames, start: DETECT, end: NOW }, signal)) out.push(...page);
      return out;
    };
    const [create] = await read(['CreateNetworkInterface', 'DeleteNetworkInterface']);
    assert.equal(create?.eventId, 'm-create');
    assert.equal(create.eventTime, NOW - 60 * 24 * H);
    assert.equal(create.actor, lambdaRole);
    assert.equal(create.roleName, 'orders-role');
    assert.equal((create.responseElements?.networkInterface as { privateIpAddress: string }).privateIpAddress, '10.0.1.10');
    assert.deepEqual(create.requestParameters, { subnetId: 'subnet-1', description });
    const [code] = await read(['UpdateFunctionCode20150331v2']);
    assert.equal(code?.actor, deployer);
    assert.deepEqual(code.requestParameters, { functionName: 'orders' });

    // The scan names the deploy in the finding that followed it (ListRoles, 1 h after it).
    const r = await scan(source, OPTIONS);
    const listRoles = r.functions[0].findings.find((f) => f.subject === 'iam.amazonaws.com:ListRoles');
    assert.deepEqual(listRoles?.evidence.deploy, {
      eventName: 'UpdateFunctionCode20150331v2',
      time: isoS(DETECT + H),
      by: 'deploy/codebuild-1',
      eventId: 'm-code',
      minutesBefore: 60,
    });

    // A lookup that failed when recording fails again, under the scan's name for it; the other still answers.
    const failed = openScenario(
      writeScenario(
        {
          ...files,
          'scenario.json': {
            ...(files['scenario.json'] as object),
            failures: { 'cloudtrail:LookupEvents (function changes)': 'throttled: Rate exceeded' },
          },
        },
        { name: 'fl-1.log', data: flowText() },
      ),
    );
    const r2 = await scan(failed, OPTIONS);
    assert.ok(
      r2.warnings.some((w) => w.startsWith('cloudtrail:LookupEvents (function changes): other: not recorded: throttled: Rate exceeded')),
      r2.warnings.join(' | '),
    );
    assert.equal(r2.functions[0].findings.find((f) => f.subject === 'iam.amazonaws.com:ListRoles')?.evidence.deploy, undefined);
    assert.equal(r2.functions[0].coverageStatus?.cloudtrail.status, 'partial');
    assert.doesNotMatch(r2.functions[0].coverage.network, /appeared/, 'the ENI history was read');
  });

  test('a plain and a gzip flow log give the same report', async () => {
    const plain = await scan(openScenario(writeScenario(baseFiles(), { name: 'fl-1.log', data: flowText() })), OPTIONS);
    const gz = await scan(openScenario(writeScenario(baseFiles(), { name: 'fl-1.log.gz', data: zlib.gzipSync(flowText()) })), OPTIONS);
    assert.deepEqual(gz.functions, plain.functions);
  });

  test('an empty scenario (no functions) scans to zero functions', async () => {
    const files: Files = {
      'scenario.json': { formatVersion: 1, accountId: '123456789012', region: 'eu-west-1', recordedAt: isoS(NOW) },
      'lambda/list-functions.json': { Functions: [] },
      'ec2/describe-network-interfaces.json': { NetworkInterfaces: [] },
      'ec2/describe-flow-logs.json': { FlowLogs: [] },
      'cloudtrail/lookup-events.json': { Events: [] },
      'cloudwatch/get-metric-data.json': { MetricDataQueries: [], MetricDataResults: [] },
    };
    const r = await scan(openScenario(writeScenario(files)), OPTIONS);
    assert.deepEqual(r.functions, []);
    assert.equal(r.region, 'eu-west-1');
    assert.deepEqual(r.warnings, []);
  });

  test('a truncated .gz flow log: the scan finishes with a warning naming the file, using the records before the cut', async () => {
    const gz = zlib.gzipSync(flowText());
    const dir = writeScenario(baseFiles(), { name: 'fl-1.log.gz', data: gz.subarray(0, Math.floor(gz.length * 0.6)) });
    const r = await scan(openScenario(dir), OPTIONS);
    const file = path.join(dir, 'flowlogs', 'fl-1.log.gz');
    assert.ok(
      r.warnings.some((w) => w.includes(file)),
      r.warnings.join('\n'),
    );
    const [orders] = r.functions;
    assert.ok(
      orders.peers.some((p) => p.address === '10.0.3.14' && p.baseline && p.baseline.flows > 0),
      'records before the cut are used',
    );
    assert.ok((r.stats?.flowRecords ?? 0) > 0);
  });

  test('a .gz file that is not gzip at all: a warning naming the file, not a crash', async () => {
    const dir = writeScenario(baseFiles(), { name: 'fl-1.log.gz', data: flowText() });
    const r = await scan(openScenario(dir), OPTIONS);
    assert.ok(
      r.warnings.some((w) => w.includes(path.join(dir, 'flowlogs', 'fl-1.log.gz'))),
      r.warnings.join('\n'),
    );
    assert.equal(r.functions.length, 1);
  });

  test('files in flowlogs/ that are not <id>.log[.gz] are ignored; a flow log without a file has no records', async () => {
    const dir = writeScenario(baseFiles(), { name: 'README.txt', data: 'not a flow log' });
    const r = await scan(openScenario(dir), OPTIONS);
    assert.equal(r.stats?.flowRecords, 0);
    assert.deepEqual(r.functions[0].peers, []);
  });
});
