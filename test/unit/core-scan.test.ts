// End-to-end scans of a small in-memory account: peers, API calls, findings, attribution, coverage and failures.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { EniHistory } from '../../src/core/inventory/history';
import { coverageStatusOf } from '../../src/core/coverage';
import type {
  CoverageStatusBySource,
  FlowAggregate,
  FlowLogConfig,
  LambdaFunction,
  MetricSeries,
  NetworkInterface,
  ScanReport,
  TrailEvent,
} from '../../src/core/model';
import {
  SourceError,
  type AccountInfo,
  type FlowData,
  type FlowReadRequest,
  type IpRangesDocument,
  type MetricsRequest,
  type TelemetrySource,
  type TrailRequest,
} from '../../src/core/ports';
import { scan, scanWindows, type ScanOptions } from '../../src/core/scan';

const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 23);
const DETECT = NOW - 24 * H;
const BASE = DETECT - 7 * 24 * H;
const OPTIONS: ScanOptions = { baselineDays: 7, detectHours: 24 };
const sec = (ms: number) => Math.floor(ms / 1000);
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

const ORDERS_IP = '10.0.1.10';
const SHARED_IP = '10.0.2.20';
const RDS_IP = '10.0.3.14';
/** Hours of the detection window: only billing runs in H1, both billing and reports in H2. */
const H1 = DETECT + 5 * H;
const H2 = DETECT + 10 * H;

type Call = 'listFunctions' | 'listNetworkInterfaces' | 'describeFlowLogs' | 'readFlowLog' | 'lookupEvents' | 'getMetrics' | 'ipRanges';

interface Fixture {
  account: AccountInfo;
  functions: LambdaFunction[];
  enis: NetworkInterface[];
  flowLogs: FlowLogConfig[];
  /** Raw flow-log text by flow log id. */
  flowText: Record<string, string>;
  aggregated?: Record<string, FlowAggregate[]>;
  events: TrailEvent[];
  metrics: MetricSeries[];
  ipRanges?: IpRangesDocument;
  fail?: Partial<Record<Call, Error>>;
  chunkSize?: number;
  /** Called inside readFlowLog between chunks (to abort mid-scan). */
  onChunk?: () => void;
}

class MemorySource implements TelemetrySource {
  readonly label = 'memory account';
  readonly calls: Call[] = [];
  readonly flowRequests: Array<{ id: string; request: FlowReadRequest }> = [];
  trailRequest?: TrailRequest;
  metricsRequest?: MetricsRequest;

  constructor(private readonly f: Fixture) {}

  private enter(what: Call): void {
    this.calls.push(what);
    const err = this.f.fail?.[what];
    if (err) throw err;
  }

  async account(): Promise<AccountInfo> {
    return this.f.account;
  }
  async listFunctions(): Promise<LambdaFunction[]> {
    this.enter('listFunctions');
    return this.f.functions;
  }
  async listNetworkInterfaces(): Promise<NetworkInterface[]> {
    this.enter('listNetworkInterfaces');
    return this.f.enis;
  }
  async describeFlowLogs(): Promise<FlowLogConfig[]> {
    this.enter('describeFlowLogs');
    return this.f.flowLogs;
  }
  async *readFlowLog(flowLog: FlowLogConfig, request: FlowReadRequest): AsyncIterable<FlowData> {
    this.enter('readFlowLog');
    this.flowRequests.push({ id: flowLog.id, request });
    const rows = this.f.aggregated?.[flowLog.id];
    if (rows) yield { kind: 'aggregated', source: `insights ${flowLog.id}`, rows };
    const text = this.f.flowText[flowLog.id];
    if (text === undefined) return;
    const size = this.f.chunkSize ?? 97;
    const bytes = Buffer.from(text, 'latin1');
    const onChunk = this.f.onChunk;
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += size) {
        onChunk?.();
        yield bytes.subarray(i, i + size);
      }
    }
    yield { kind: 'raw', source: `${flowLog.logGroupName}/${flowLog.id}`, chunks: chunks() };
  }
  async *lookupEvents(request: TrailRequest): AsyncIterable<TrailEvent[]> {
    this.enter('lookupEvents');
    this.trailRequest = request;
    const half = Math.ceil(this.f.events.length / 2);
    yield this.f.events.slice(0, half);
    yield this.f.events.slice(half);
  }
  async getMetrics(request: MetricsRequest): Promise<MetricSeries[]> {
    this.enter('getMetrics');
    this.metricsRequest = request;
    const wanted = new Set(request.functionNames);
    return this.f.metrics.filter((s) => wanted.has(s.functionName));
  }
  async ipRanges(): Promise<IpRangesDocument | undefined> {
    this.enter('ipRanges');
    return this.f.ipRanges;
  }
}

// ---------------------------------------------------------------- the account

const fn = (name: string, role: string, vpc?: { subnet: string; sgs: string[] }): LambdaFunction => ({
  name,
  arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
  role: `arn:aws:iam::123456789012:role/${role}`,
  runtime: 'nodejs20.x',
  handler: 'index.handler',
  tags: { team: 'core' },
  ...(vpc ? { vpc: { vpcId: 'vpc-1', subnetIds: [vpc.subnet, 'subnet-9'], securityGroupIds: vpc.sgs } } : {}),
});

const lambdaEni = (id: string, ip: string, subnet: string, sgs: string[], creator: string): NetworkInterface => ({
  id,
  type: 'lambda',
  description: `AWS Lambda VPC ENI-${creator}-1656e770-2f1c-c974-71da-d1fa2edae9d8`,
  subnetId: subnet,
  vpcId: 'vpc-1',
  securityGroupIds: sgs,
  privateIps: [ip],
  ipv6Ips: [],
  since: BASE - 30 * 24 * H,
});

function rec(eni: string, src: string, dst: string, sport: number, dport: number, start: number, action = 'ACCEPT', bytes = 1000): string {
  return `2 123456789012 ${eni} ${src} ${dst} ${sport} ${dport} 6 10 ${bytes} ${sec(start)} ${sec(start) + 40} ${action} OK`;
}

/** A connection: the egress record and its return traffic. */
function conn(eni: string, local: string, peer: string, port: number, start: number, bytes = 1000): string[] {
  return [
    rec(eni, local, peer, 40000 + ((start / 1000) % 20000), port, start, 'ACCEPT', bytes),
    rec(eni, peer, local, port, 40000 + ((start / 1000) % 20000), start, 'ACCEPT', bytes * 3),
  ];
}

function hourlySeries(name: string, perHour: (t: number) => number): MetricSeries {
  const points: Array<{ t: number; v: number }> = [];
  for (let t = BASE; t < NOW; t += H) {
    const v = perHour(t);
    if (v) points.push({ t, v });
  }
  return { functionName: name, metric: 'Invocations', stat: 'Sum', periodSeconds: 3600, points: points.reverse() };
}

let eventIds = 0;
const event = (
  sessionName: string,
  roleName: string,
  eventSource: string,
  eventName: string,
  eventTime: number,
  errorCode?: string,
): TrailEvent => ({
  eventId: `evt-${++eventIds}`,
  eventTime,
  eventSource,
  eventName,
  sessionName,
  roleName,
  ...(errorCode ? { errorCode, errorMessage: `${errorCode} for ${eventName}` } : {}),
});

function fixture(over: Partial<Fixture> = {}): Fixture {
  const lines: string[] = [];
  // Known peers, through the whole baseline and detection window.
  for (let t = BASE + 30 * 60_000; t < NOW; t += 6 * H) {
    lines.push(...conn('eni-orders', ORDERS_IP, RDS_IP, 5432, t));
    lines.push(...conn('eni-orders', ORDERS_IP, '52.94.1.2', 443, t + 60_000));
    lines.push(...conn('eni-shared', SHARED_IP, RDS_IP, 5432, t + 120_000));
  }
  // New in the detection window.
  lines.push(...conn('eni-orders', ORDERS_IP, '185.220.101.45', 22, DETECT + 3 * H + 600_000));
  lines.push(rec('eni-orders', ORDERS_IP, '10.0.9.9', 41000, 3306, DETECT + 4 * H, 'REJECT', 60));
  lines.push(rec('eni-orders', ORDERS_IP, '10.0.9.9', 41001, 3306, DETECT + 4 * H + 1000, 'REJECT', 60));
  lines.push(...conn('eni-shared', SHARED_IP, '45.33.32.156', 443, H1 + 300_000));
  lines.push(...conn('eni-shared', SHARED_IP, '93.184.216.34', 443, H2 + 300_000));
  // Noise the parser must skip.
  lines.push('2 123456789012 eni-orders - - - - - - - 1794096000 1794096599 - NODATA');
  lines.push(rec('eni-rds', RDS_IP, '10.0.7.7', 5432, 40000, DETECT + H));
  lines.push('this is not a flow record');
  // Any order, as CloudWatch Logs may deliver it.
  lines.reverse();

  return {
    account: { accountId: '123456789012', region: 'us-east-1', recordedAt: NOW },
    functions: [
      fn('orders', 'orders-role', { subnet: 'subnet-1', sgs: ['sg-a'] }),
      fn('billing', 'shared-role', { subnet: 'subnet-2', sgs: ['sg-b', 'sg-c'] }),
      fn('reports', 'shared-role', { subnet: 'subnet-2', sgs: ['sg-c', 'sg-b'] }),
      fn('edge', 'edge-role'),
    ],
    enis: [
      lambdaEni('eni-orders', ORDERS_IP, 'subnet-1', ['sg-a'], 'orders'),
      lambdaEni('eni-shared', SHARED_IP, 'subnet-2', ['sg-b', 'sg-c'], 'billing'),
      {
        id: 'eni-rds',
        type: 'interface',
        description: 'RDSNetworkInterface',
        subnetId: 'subnet-3',
        vpcId: 'vpc-1',
        securityGroupIds: ['sg-db'],
        privateIps: [RDS_IP],
        ipv6Ips: [],
        requesterId: 'amazon-rds',
      },
    ],
    flowLogs: [
      {
        id: 'fl-vpc',
        logFormat: '',
        destinationType: 'cloud-watch-logs',
        logGroupName: '/vpc/flow-logs',
        resourceId: 'vpc-1',
        trafficType: 'ALL',
        status: 'ACTIVE',
      },
    ],
    flowText: { 'fl-vpc': lines.join('\n') + '\n' },
    events: [
      event('orders', 'orders-role', 's3.amazonaws.com', 'GetObject', BASE + 5 * H),
      event('orders', 'orders-role', 's3.amazonaws.com', 'GetObject', DETECT + 2 * H),
      event('orders', 'orders-role', 'iam.amazonaws.com', 'ListUsers', DETECT + 3 * H),
      event('billing', 'shared-role', 'secretsmanager.amazonaws.com', 'GetSecretValue', DETECT + 6 * H, 'AccessDenied'),
      event('reports', 'shared-role', 'athena.amazonaws.com', 'StartQueryExecution', BASE + 30 * H),
      event('reports', 'shared-role', 'athena.amazonaws.com', 'StartQueryExecution', DETECT + 10 * H),
      event('awslambda_838_20261122', 'shared-role', 'kms.amazonaws.com', 'Decrypt', DETECT + 7 * H),
      event('edge', 'edge-role', 'sts.amazonaws.com', 'GetCallerIdentity', DETECT + 8 * H),
      event('admin', 'Admin', 'iam.amazonaws.com', 'CreateUser', DETECT + 9 * H),
    ],
    metrics: [
      hourlySeries('orders', () => 20),
      hourlySeries('billing', () => 10),
      hourlySeries('reports', (t) => (t < DETECT || t === H2 ? 10 : 0)),
      hourlySeries('edge', () => 5),
    ],
    ipRanges: { prefixes: [{ ip_prefix: '52.94.0.0/22', region: 'us-east-1', service: 'DYNAMODB' }] },
    ...over,
  };
}

const byName = (r: ScanReport, name: string) => {
  const f = r.functions.find((x) => x.name === name);
  assert.ok(f, `function ${name} in the report`);
  return f;
};
const findingSet = (r: ScanReport, name: string) =>
  byName(r, name)
    .findings.map((f) => `${f.kind} ${f.subject} ${f.attribution}`)
    .sort();

// ---------------------------------------------------------------- tests

describe('scan: a small account end to end', async () => {
  const source = new MemorySource(fixture());
  const report = await scan(source, OPTIONS);

  test('report header and windows', () => {
    assert.equal(report.formatVersion, 1);
    assert.equal(report.accountId, '123456789012');
    assert.equal(report.region, 'us-east-1');
    assert.equal(report.source, 'memory account');
    assert.deepEqual(report.window, { baselineStart: iso(BASE), baselineEnd: iso(DETECT), detectStart: iso(DETECT), detectEnd: iso(NOW) });
    assert.deepEqual(report.functions.map((f) => f.name).sort(), ['billing', 'edge', 'orders', 'reports']);
  });

  test("the sources were asked for the scan's windows and functions", () => {
    assert.deepEqual(
      source.flowRequests.map((r) => r.id),
      ['fl-vpc'],
    );
    const req = source.flowRequests[0].request;
    assert.equal(req.start, BASE);
    assert.equal(req.end, NOW);
    assert.deepEqual(req.enis.map((e) => e.id).sort(), ['eni-orders', 'eni-shared']);
    assert.deepEqual(req.enis.flatMap((e) => e.addresses).sort(), [ORDERS_IP, SHARED_IP]);
    assert.deepEqual([...source.trailRequest!.sessionNames].sort(), ['billing', 'edge', 'orders', 'reports']);
    assert.equal(source.trailRequest!.start, BASE);
    assert.equal(source.trailRequest!.end, NOW);
    assert.deepEqual([...source.metricsRequest!.functionNames].sort(), ['billing', 'edge', 'orders', 'reports']);
    assert.equal(source.metricsRequest!.periodSeconds, 3600);
  });

  test('peers: known ones in the baseline, named; return traffic folded in', () => {
    const orders = byName(report, 'orders');
    const peers = new Map(orders.peers.map((p) => [`${p.address}:${p.port}/${p.protocol}`, p]));
    assert.deepEqual([...peers.keys()].sort(), ['10.0.3.14:5432/tcp', '10.0.9.9:3306/tcp', '185.220.101.45:22/tcp', '52.94.1.2:443/tcp']);
    const rds = peers.get('10.0.3.14:5432/tcp')!;
    assert.equal(rds.inBaseline, true);
    assert.equal(rds.resource, 'RDS (RDSNetworkInterface)');
    assert.equal(rds.flows, 8, 'four connections in the detection window, two records each');
    assert.equal(rds.bytes, 4 * 4000);
    assert.equal(rds.baseline?.flows, 7 * 4 * 2);
    assert.equal(rds.attribution, 'exact');
    assert.equal(peers.get('52.94.1.2:443/tcp')!.resource, 'AWS DYNAMODB (us-east-1)');
    const ssh = peers.get('185.220.101.45:22/tcp')!;
    assert.equal(ssh.inBaseline, false);
    assert.equal(ssh.resource, 'external');
    assert.equal(ssh.baseline, undefined);
    assert.equal(ssh.firstSeen, iso(DETECT + 3 * H + 600_000));
    const rejected = peers.get('10.0.9.9:3306/tcp')!;
    assert.equal(rejected.rejected, 2);
    assert.equal(rejected.resource, 'private address (not in the ENI inventory)');
    // New peers first.
    assert.equal(orders.peers[orders.peers.length - 1].inBaseline, true);
    assert.equal(orders.peers[0].inBaseline, false);
  });

  test('findings of an ENI of its own: exact, with the subject formats of the report', () => {
    assert.deepEqual(findingSet(report, 'orders'), [
      'new-api-call iam.amazonaws.com:ListUsers exact',
      'new-peer 185.220.101.45:22/tcp exact',
      'rejected-traffic 10.0.9.9:3306/tcp exact',
    ]);
    const orders = byName(report, 'orders');
    const ssh = orders.findings.find((f) => f.kind === 'new-peer')!;
    assert.equal(ssh.severity, 'high');
    assert.match(ssh.id, /^new-peer:[0-9a-f]{8}$/);
    assert.ok((ssh.evidence.samples as string[]).length > 0);
    assert.ok((ssh.evidence.samples as string[]).every((s) => s.includes('185.220.101.45')));
    // Sorted by severity, high first.
    const ranks = orders.findings.map((f) => ({ low: 1, medium: 2, high: 3 })[f.severity]);
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => b - a),
    );
  });

  test('a shared ENI: the ENI lists the other function, and peers list the candidates', () => {
    const billing = byName(report, 'billing');
    assert.deepEqual(
      billing.enis.map((e) => [e.id, e.privateIp, e.sharedWith]),
      [['eni-shared', SHARED_IP, ['reports']]],
    );
    assert.deepEqual(byName(report, 'reports').enis[0].sharedWith, ['billing']);
    assert.deepEqual(byName(report, 'orders').enis[0].sharedWith, []);
    const peer = billing.peers.find((p) => p.address === '93.184.216.34')!;
    assert.equal(peer.attribution, 'shared');
    assert.deepEqual(peer.candidates, ['billing', 'reports']);
  });

  test('shared traffic when both candidates ran is a shared finding on each, listing the candidates', () => {
    for (const name of ['billing', 'reports']) {
      const f = byName(report, name).findings.find((x) => x.subject === '93.184.216.34:443/tcp');
      assert.ok(f, name);
      assert.equal(f.kind, 'new-peer');
      assert.equal(f.attribution, 'shared');
      assert.deepEqual(f.evidence.candidates, ['billing', 'reports']);
    }
  });

  test('shared traffic when only one candidate ran is inferred for it, and not reported on the other', () => {
    const f = byName(report, 'billing').findings.find((x) => x.subject === '45.33.32.156:443/tcp');
    assert.ok(f);
    assert.equal(f.kind, 'new-peer');
    assert.equal(f.attribution, 'inferred');
    assert.deepEqual(f.evidence.candidates, ['billing', 'reports']);
    assert.equal(
      byName(report, 'reports').findings.find((x) => x.subject === '45.33.32.156:443/tcp'),
      undefined,
    );
  });

  test('every finding of the shared-role functions', () => {
    assert.deepEqual(findingSet(report, 'billing'), [
      'access-denied secretsmanager.amazonaws.com:GetSecretValue exact',
      'new-peer 45.33.32.156:443/tcp inferred',
      'new-peer 93.184.216.34:443/tcp shared',
    ]);
    assert.deepEqual(findingSet(report, 'reports'), ['new-peer 93.184.216.34:443/tcp shared']);
  });

  test("API calls: per function, the Lambda service's own calls marked and never a finding", () => {
    const calls = (name: string) =>
      byName(report, name)
        .apiCalls.map((c) => `${c.caller} ${c.eventSource}:${c.eventName} ${c.count} ${c.inBaseline}`)
        .sort();
    assert.deepEqual(calls('orders'), ['function iam.amazonaws.com:ListUsers 1 false', 'function s3.amazonaws.com:GetObject 1 true']);
    assert.deepEqual(calls('billing'), [
      'function secretsmanager.amazonaws.com:GetSecretValue 1 false',
      'lambda-service kms.amazonaws.com:Decrypt 1 false',
    ]);
    assert.deepEqual(calls('reports'), [
      'function athena.amazonaws.com:StartQueryExecution 1 true',
      'lambda-service kms.amazonaws.com:Decrypt 1 false',
    ]);
    assert.equal(byName(report, 'billing').apiCalls.find((c) => c.eventName === 'GetSecretValue')!.denied, 1);
  });

  test('a function outside any VPC has calls and metrics but no network', () => {
    const edge = byName(report, 'edge');
    assert.equal(edge.inVpc, false);
    assert.deepEqual(edge.enis, []);
    assert.deepEqual(edge.peers, []);
    assert.deepEqual(findingSet(report, 'edge'), ['new-api-call sts.amazonaws.com:GetCallerIdentity exact']);
    assert.match(edge.coverage.network, /not in a VPC/);
    assert.ok(edge.metrics);
  });

  test('function details, metrics summaries and coverage', () => {
    const orders = byName(report, 'orders');
    assert.equal(orders.inVpc, true);
    assert.equal(orders.runtime, 'nodejs20.x');
    assert.equal(orders.role, 'arn:aws:iam::123456789012:role/orders-role');
    assert.deepEqual(orders.tags, { team: 'core' });
    assert.equal(orders.metrics?.hours.length, 24);
    assert.equal(orders.metrics?.totals.detect.Invocations, 480);
    assert.match(orders.coverage.network, /^complete/);
    assert.match(orders.coverage.network, /fl-vpc/);
    assert.match(orders.coverage.cloudtrail, /^complete/);
    assert.match(orders.coverage.metrics, /^complete/);
  });

  test('stats and warnings count what the flow log held', () => {
    // 7 days × 4 times a day × 3 connections × 2 records, + 2 + 2 + 2 + 2 + 2 + 3 noise lines.
    const records = 7 * 4 * 3 * 2 + 4 * 3 * 2 + 2 + 2 + 2 + 2 + 3;
    assert.equal(report.stats?.flowRecords, records);
    assert.equal(report.stats?.flowRecordsAttributed, records - 3);
    assert.equal(report.stats?.malformedFlowRecords, 1);
    assert.equal(report.stats?.trailEvents, 9);
    assert.equal(report.warnings.length, 1, report.warnings.join('\n'));
    assert.match(report.warnings[0], /1 malformed flow record/);
    assert.match(report.warnings[0], /\/vpc\/flow-logs\/fl-vpc line \d+/);
  });

  test('finding ids are stable across scans', async () => {
    const again = await scan(new MemorySource(fixture()), OPTIONS);
    const ids = (r: ScanReport) => r.functions.flatMap((f) => f.findings.map((x) => `${f.name} ${x.id}`)).sort();
    assert.deepEqual(ids(again), ids(report));
    const all = report.functions.flatMap((f) => f.findings.map((x) => x.id));
    const orders = byName(report, 'orders').findings.map((x) => x.id);
    assert.equal(new Set(orders).size, orders.length);
    assert.ok(all.length > 0);
  });
});

describe('scan: options', () => {
  test('only the functions asked for, with shared-ENI neighbours still used for inference', async () => {
    const source = new MemorySource(fixture());
    const r = await scan(source, { ...OPTIONS, functions: ['billing', 'ghost'] });
    assert.deepEqual(
      r.functions.map((f) => f.name),
      ['billing'],
    );
    assert.ok(
      r.warnings.some((w) => w.includes('ghost')),
      r.warnings.join('\n'),
    );
    assert.ok(source.metricsRequest!.functionNames.includes('reports'));
    assert.deepEqual(
      source.flowRequests[0].request.enis.map((e) => e.id),
      ['eni-shared'],
    );
    assert.deepEqual(findingSet(r, 'billing'), [
      'access-denied secretsmanager.amazonaws.com:GetSecretValue exact',
      'new-peer 45.33.32.156:443/tcp inferred',
      'new-peer 93.184.216.34:443/tcp shared',
    ]);
  });

  test('now overrides the recording time', async () => {
    const r = await scan(new MemorySource(fixture()), { ...OPTIONS, now: NOW - 48 * H + 1 });
    assert.equal(r.window.detectEnd, iso(NOW - 47 * H));
  });

  test('windows end on the hour at or after now', () => {
    assert.deepEqual(scanWindows(NOW, 14, 24), { baselineStart: NOW - 24 * H - 14 * 24 * H, detectStart: NOW - 24 * H, detectEnd: NOW });
    assert.equal(scanWindows(NOW + 1, 14, 24).detectEnd, NOW + H);
    assert.equal(scanWindows(NOW - 1, 1, 6).detectStart, NOW - 6 * H);
  });

  test('out-of-range baseline or detection lengths are refused', async () => {
    await assert.rejects(scan(new MemorySource(fixture()), { baselineDays: 0 }), RangeError);
    await assert.rejects(scan(new MemorySource(fixture()), { baselineDays: 90 }), RangeError);
    await assert.rejects(scan(new MemorySource(fixture()), { detectHours: 0 }), RangeError);
    await assert.rejects(scan(new MemorySource(fixture()), { detectHours: 24 * 14 + 1 }), RangeError);
  });

  test('a history passed in is updated with the inventory', async () => {
    const history = new EniHistory();
    await scan(new MemorySource(fixture()), { ...OPTIONS, history });
    assert.equal(history.at(ORDERS_IP, NOW)?.eniId, 'eni-orders');
    assert.equal(history.at(RDS_IP, NOW)?.eniId, 'eni-rds');
  });

  test('progress is reported', async () => {
    const messages: string[] = [];
    await scan(new MemorySource(fixture()), { ...OPTIONS, onProgress: (m) => messages.push(m) });
    assert.ok(messages.length >= 3, messages.join(', '));
  });
});

describe('scan: failures and coverage', () => {
  test('CloudTrail access denied leaves network and metrics answered, and names the IAM action', async () => {
    const source = new MemorySource(
      fixture({
        fail: {
          lookupEvents: new SourceError(
            'access-denied',
            'User is not authorized to perform cloudtrail:LookupEvents',
            'cloudtrail:LookupEvents',
          ),
        },
      }),
    );
    const r = await scan(source, OPTIONS);
    for (const f of r.functions) {
      assert.match(f.coverage.cloudtrail, /^failed/);
      assert.match(f.coverage.cloudtrail, /cloudtrail:LookupEvents/);
      assert.deepEqual(f.apiCalls, []);
      assert.ok(!f.findings.some((x) => x.kind === 'new-api-call' || x.kind === 'access-denied'));
      assert.match(f.coverage.metrics, /^complete/);
    }
    assert.match(byName(r, 'orders').coverage.network, /^complete/);
    assert.deepEqual(findingSet(r, 'orders'), ['new-peer 185.220.101.45:22/tcp exact', 'rejected-traffic 10.0.9.9:3306/tcp exact']);
    assert.ok(
      r.warnings.some((w) => w.includes('cloudtrail:LookupEvents')),
      r.warnings.join('\n'),
    );
    assert.ok(source.calls.includes('getMetrics'));
  });

  test('a metrics failure marks metrics coverage only', async () => {
    const r = await scan(new MemorySource(fixture({ fail: { getMetrics: new SourceError('throttled', 'Rate exceeded') } })), OPTIONS);
    const orders = byName(r, 'orders');
    assert.match(orders.coverage.metrics, /^failed/);
    assert.match(orders.coverage.metrics, /throttled/);
    assert.match(orders.coverage.network, /^complete/);
    assert.match(orders.coverage.cloudtrail, /^complete/);
    assert.ok(orders.findings.some((f) => f.kind === 'new-peer'));
  });

  test('a flow log that cannot be read is partial network coverage naming the flow log', async () => {
    const r = await scan(
      new MemorySource(fixture({ fail: { readFlowLog: new SourceError('access-denied', 'denied', 'logs:FilterLogEvents') } })),
      OPTIONS,
    );
    const orders = byName(r, 'orders');
    assert.match(orders.coverage.network, /^partial/);
    assert.match(orders.coverage.network, /fl-vpc/);
    assert.match(orders.coverage.network, /logs:FilterLogEvents/);
    assert.deepEqual(orders.peers, []);
    assert.match(orders.coverage.cloudtrail, /^complete/);
  });

  test('a failed ENI listing is failed network coverage', async () => {
    const r = await scan(
      new MemorySource(
        fixture({ fail: { listNetworkInterfaces: new SourceError('access-denied', 'no', 'ec2:DescribeNetworkInterfaces') } }),
      ),
      OPTIONS,
    );
    assert.match(byName(r, 'orders').coverage.network, /^failed.*ec2:DescribeNetworkInterfaces/);
    assert.match(byName(r, 'edge').coverage.network, /not in a VPC/);
  });

  test('an error that is not a SourceError fails the scan', async () => {
    await assert.rejects(
      scan(new MemorySource(fixture({ fail: { listFunctions: new TypeError('bug in the source') } })), OPTIONS),
      /bug in the source/,
    );
  });

  test('an aborted signal rejects the scan before it reads anything', async () => {
    const ac = new AbortController();
    ac.abort();
    const source = new MemorySource(fixture());
    await assert.rejects(scan(source, { ...OPTIONS, signal: ac.signal }), (err: Error) => err.name === 'AbortError');
    assert.deepEqual(source.calls, []);
  });

  test('aborting in the middle of the flow log rejects the scan', async () => {
    const ac = new AbortController();
    let chunks = 0;
    const source = new MemorySource(fixture({ onChunk: () => void (++chunks === 5 && ac.abort()) }));
    await assert.rejects(scan(source, { ...OPTIONS, signal: ac.signal }), (err: Error) => err.name === 'AbortError');
    assert.ok(!source.calls.includes('getMetrics'));
  });

  test('a flow log delivered to S3 is reported in network coverage', async () => {
    const r = await scan(
      new MemorySource(
        fixture({
          flowLogs: [
            {
              id: 'fl-s3',
              logFormat: '',
              destinationType: 's3',
              destination: 'arn:aws:s3:::my-flow-bucket/prefix/',
              resourceId: 'vpc-1',
              trafficType: 'ALL',
              status: 'ACTIVE',
            },
          ],
        }),
      ),
      OPTIONS,
    );
    const orders = byName(r, 'orders');
    assert.match(orders.coverage.network, /^partial/);
    assert.match(orders.coverage.network, /S3/);
    assert.match(orders.coverage.network, /my-flow-bucket/);
    assert.deepEqual(orders.peers, []);
  });

  test('no flow log at all: the ENIs are named as uncovered', async () => {
    const r = await scan(new MemorySource(fixture({ flowLogs: [] })), OPTIONS);
    assert.match(byName(r, 'orders').coverage.network, /eni-orders/);
    assert.doesNotMatch(byName(r, 'orders').coverage.network, /^complete/);
  });

  test('a flow log of accepted traffic only is partial coverage', async () => {
    const r = await scan(new MemorySource(fixture({ flowLogs: [{ ...fixture().flowLogs[0], trafficType: 'ACCEPT' }] })), OPTIONS);
    assert.match(byName(r, 'orders').coverage.network, /^partial.*ACCEPT/);
  });

  test('a LogFormat that cannot be read is partial coverage with the reason', async () => {
    const r = await scan(
      new MemorySource(fixture({ flowLogs: [{ ...fixture().flowLogs[0], logFormat: '${version} ${srcaddr}' }] })),
      OPTIONS,
    );
    const network = byName(r, 'orders').coverage.network;
    assert.match(network, /^partial/);
    assert.match(network, /fl-vpc/);
    assert.match(network, /\$\{dstaddr\}/);
  });

  test('unknown LogFormat fields are a warning, and the records are still read', async () => {
    const f = fixture();
    const text = f.flowText['fl-vpc']
      .split('\n')
      .map((l) => (l ? `${l} extra-value` : l))
      .join('\n');
    const r = await scan(
      new MemorySource({
        ...f,
        flowLogs: [
          {
            ...f.flowLogs[0],
            logFormat:
              '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${new-field}',
          },
        ],
        flowText: { 'fl-vpc': text },
      }),
      OPTIONS,
    );
    assert.ok(
      r.warnings.some((w) => w.includes('new-field')),
      r.warnings.join('\n'),
    );
    assert.ok(byName(r, 'orders').findings.some((x) => x.subject === '185.220.101.45:22/tcp'));
  });

  test('an ENI-level flow log is preferred over the VPC one, and an inactive one is not read', async () => {
    const f = fixture();
    const ordersOnly =
      f.flowText['fl-vpc']
        .split('\n')
        .filter((l) => l.includes(' eni-orders '))
        .join('\n') + '\n';
    const eniLog: FlowLogConfig = {
      id: 'fl-eni',
      logFormat: '',
      destinationType: 'cloud-watch-logs',
      logGroupName: '/eni',
      resourceId: 'eni-orders',
      trafficType: 'ALL',
      status: 'ACTIVE',
    };
    const inactive: FlowLogConfig = { ...eniLog, id: 'fl-old', resourceId: 'eni-shared', status: 'INACTIVE' };
    const source = new MemorySource({
      ...f,
      flowLogs: [...f.flowLogs, eniLog, inactive],
      flowText: { 'fl-vpc': f.flowText['fl-vpc'], 'fl-eni': ordersOnly, 'fl-old': f.flowText['fl-vpc'] },
    });
    const r = await scan(source, OPTIONS);
    assert.deepEqual(source.flowRequests.map((x) => [x.id, x.request.enis.map((e) => e.id)]).sort(), [
      ['fl-eni', ['eni-orders']],
      ['fl-vpc', ['eni-shared']],
    ]);
    assert.match(byName(r, 'orders').coverage.network, /fl-eni/);
    assert.match(byName(r, 'billing').coverage.network, /fl-vpc/);
  });

  test('records of an ENI assigned to another flow log are not counted twice', async () => {
    // The VPC flow log holds every ENI's records, the ENI flow log those of eni-orders: as in AWS.
    const f = fixture();
    const ordersOnly =
      f.flowText['fl-vpc']
        .split('\n')
        .filter((l) => l.includes(' eni-orders '))
        .join('\n') + '\n';
    const eniLog: FlowLogConfig = {
      id: 'fl-eni',
      logFormat: '',
      destinationType: 'cloud-watch-logs',
      logGroupName: '/eni',
      resourceId: 'eni-orders',
      trafficType: 'ALL',
      status: 'ACTIVE',
    };
    const r = await scan(
      new MemorySource({ ...f, flowLogs: [...f.flowLogs, eniLog], flowText: { 'fl-vpc': f.flowText['fl-vpc'], 'fl-eni': ordersOnly } }),
      OPTIONS,
    );
    const base = await scan(new MemorySource(fixture()), OPTIONS);
    const rds = (x: ScanReport, name: string) => byName(x, name).peers.find((p) => p.address === RDS_IP)!;
    assert.equal(rds(r, 'orders').flows, rds(base, 'orders').flows);
    assert.equal(rds(r, 'billing').flows, rds(base, 'billing').flows);
    assert.equal(r.stats?.flowRecordsAttributed, base.stats?.flowRecordsAttributed);
  });

  test('aggregated rows of an ENI assigned to another flow log are not counted twice', async () => {
    const f = fixture();
    const ordersOnly =
      f.flowText['fl-vpc']
        .split('\n')
        .filter((l) => l.includes(' eni-orders '))
        .join('\n') + '\n';
    const eniLog: FlowLogConfig = {
      id: 'fl-eni',
      logFormat: '',
      destinationType: 'cloud-watch-logs',
      logGroupName: '/eni',
      resourceId: 'eni-orders',
      trafficType: 'ALL',
      status: 'ACTIVE',
    };
    // Logs Insights over the VPC log group returns rows for every ENI it holds, eni-orders included.
    const vpcRows: FlowAggregate[] = [
      {
        eniId: 'eni-orders',
        remoteAddress: RDS_IP,
        remotePort: 5432,
        protocol: 6,
        action: 'ACCEPT',
        hour: DETECT + 2 * H,
        flows: 100,
        packets: 100,
        bytes: 100,
        first: DETECT + 2 * H,
        last: DETECT + 2 * H,
      },
      {
        eniId: 'eni-shared',
        remoteAddress: RDS_IP,
        remotePort: 5432,
        protocol: 6,
        action: 'ACCEPT',
        hour: DETECT + 2 * H,
        flows: 7,
        packets: 7,
        bytes: 7,
        first: DETECT + 2 * H,
        last: DETECT + 2 * H,
      },
    ];
    const r = await scan(
      new MemorySource({ ...f, flowLogs: [...f.flowLogs, eniLog], flowText: { 'fl-eni': ordersOnly }, aggregated: { 'fl-vpc': vpcRows } }),
      OPTIONS,
    );
    const base = await scan(new MemorySource(fixture()), OPTIONS);
    const rds = (x: ScanReport, name: string) => byName(x, name).peers.find((p) => p.address === RDS_IP)!;
    assert.equal(rds(r, 'orders').flows, rds(base, 'orders').flows);
    assert.equal(rds(r, 'billing').flows, 7);
  });

  test('rows aggregated by the service are used like raw records', async () => {
    const f = fixture();
    const rows: FlowAggregate[] = [
      {
        eniId: 'eni-orders',
        remoteAddress: '10.0.3.14',
        remotePort: 5432,
        protocol: 6,
        action: 'ACCEPT',
        hour: BASE + 2 * H,
        flows: 5,
        packets: 50,
        bytes: 5000,
        first: BASE + 2 * H,
        last: BASE + 2 * H + 60_000,
      },
      {
        eniId: 'eni-orders',
        remoteAddress: '10.0.3.14',
        remotePort: 5432,
        protocol: 6,
        action: 'ACCEPT',
        hour: DETECT + 2 * H,
        flows: 3,
        packets: 30,
        bytes: 3000,
        first: DETECT + 2 * H,
        last: DETECT + 2 * H + 60_000,
      },
      {
        eniId: 'eni-orders',
        remoteAddress: '198.51.100.99',
        remotePort: 8443,
        protocol: 6,
        action: 'ACCEPT',
        hour: DETECT + 3 * H,
        flows: 1,
        packets: 3,
        bytes: 300,
        first: DETECT + 3 * H,
        last: DETECT + 3 * H + 1000,
      },
    ];
    const r = await scan(new MemorySource({ ...f, flowText: {}, aggregated: { 'fl-vpc': rows } }), OPTIONS);
    const orders = byName(r, 'orders');
    assert.deepEqual(orders.peers.map((p) => `${p.address}:${p.port} ${p.inBaseline} ${p.flows}`).sort(), [
      '10.0.3.14:5432 true 3',
      '198.51.100.99:8443 false 1',
    ]);
    assert.ok(orders.findings.some((x) => x.kind === 'new-peer' && x.subject === '198.51.100.99:8443/tcp'));
  });

  test('accepted findings are left out of the report', async () => {
    const r = await scan(new MemorySource(fixture()), {
      ...OPTIONS,
      accepted: {
        formatVersion: 1,
        accepted: [
          { function: 'orders', kind: 'new-peer', subject: '185.220.101.45:22/tcp' },
          { function: '*', kind: 'new-peer', subject: '93.184.216.34:443/tcp' },
        ],
      },
    });
    assert.deepEqual(findingSet(r, 'orders'), [
      'new-api-call iam.amazonaws.com:ListUsers exact',
      'rejected-traffic 10.0.9.9:3306/tcp exact',
    ]);
    assert.deepEqual(findingSet(r, 'reports'), []);
    // The peer itself is still reported.
    assert.ok(byName(r, 'orders').peers.some((p) => p.address === '185.220.101.45'));
  });

  test('an empty account gives an empty report', async () => {
    const r = await scan(
      new MemorySource({
        account: { accountId: '000000000000', region: 'eu-west-1', recordedAt: NOW },
        functions: [],
        enis: [],
        flowLogs: [],
        flowText: {},
        events: [],
        metrics: [],
      }),
      OPTIONS,
    );
    assert.equal(r.accountId, '000000000000');
    assert.equal(r.region, 'eu-west-1');
    assert.deepEqual(r.functions, []);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.stats?.flowRecords, 0);
    assert.equal(r.stats?.trailEvents, 0);
  });
});

describe('scan: one clock', () => {
  const unrecorded = () => fixture({ account: { accountId: '123456789012', region: 'us-east-1' } });

  test('a fixed clock gives the window, generatedAt and timings, and the same report twice', async () => {
    const T = NOW - 30 * 60_000;
    const account = unrecorded();
    const r = await scan(new MemorySource(account), { ...OPTIONS, clock: () => T });
    assert.equal(r.window.detectEnd, iso(NOW));
    assert.equal(r.generatedAt, iso(T));
    assert.equal(r.stats?.durationMs, 0);
    assert.deepEqual(r.stats?.stageMs, { inventory: 0, flowLogs: 0, cloudtrail: 0, metrics: 0, detect: 0 });
    assert.deepEqual(await scan(new MemorySource(account), { ...OPTIONS, clock: () => T }), r);
  });

  test('durations are differences of the clock, and the engine never reads Date.now', async () => {
    let t = NOW;
    const reads: number[] = [];
    const clock = () => {
      t += 1000;
      reads.push(t);
      return t;
    };
    const realNow = Date.now;
    let dateNowReads = 0;
    Date.now = () => {
      dateNowReads++;
      return realNow();
    };
    let r: ScanReport;
    try {
      r = await scan(new MemorySource(fixture()), { ...OPTIONS, clock });
    } finally {
      Date.now = realNow;
    }
    assert.equal(dateNowReads, 0);
    assert.equal(r.generatedAt, iso(reads.at(-1)!));
    assert.equal(r.stats?.durationMs, reads.at(-1)! - reads[0]);
    const stages = Object.values(r.stats?.stageMs ?? {});
    assert.deepEqual(Object.keys(r.stats?.stageMs ?? {}), ['inventory', 'flowLogs', 'cloudtrail', 'metrics', 'detect']);
    assert.ok(
      stages.every((ms) => ms > 0 && ms % 1000 === 0),
      stages.join(', '),
    );
    assert.ok(stages.reduce((a, b) => a + b, 0) <= r.stats!.durationMs!);
    // The recording's time, not the clock, ends the window when there is one.
    assert.equal(r.window.detectEnd, iso(NOW));
  });
});

describe('scan: coverage as data', () => {
  const complete: CoverageStatusBySource = {
    network: { status: 'complete' },
    cloudtrail: { status: 'complete' },
    metrics: { status: 'complete' },
  };
  /** Every report scanned below: each must read the same through the legacy reader. */
  const scanned: ScanReport[] = [];
  const scanOf = async (over: Partial<Fixture>) => {
    const r = await scan(new MemorySource(fixture(over)), OPTIONS);
    scanned.push(r);
    return r;
  };
  const statusOf = (r: ScanReport, name: string) => {
    const f = byName(r, name);
    assert.ok(f.coverageStatus, `coverageStatus of ${name}`);
    return f.coverageStatus;
  };

  test('complete: every source answered for the function', async () => {
    const r = await scanOf({});
    assert.deepEqual(statusOf(r, 'orders'), complete);
    assert.deepEqual(statusOf(r, 'billing'), complete);
    for (const f of r.functions) assert.ok(f.coverageStatus, `coverageStatus of ${f.name}`);
  });

  test('not in a VPC: network is not applicable, the other sources complete', async () => {
    const r = await scanOf({});
    assert.deepEqual(statusOf(r, 'edge'), { ...complete, network: { status: 'not-applicable' } });
    assert.match(byName(r, 'edge').coverage.network, /^ok: not in a VPC/);
  });

  test('no Lambda ENI for a VPC function: network is partial, with no error', async () => {
    const r = await scanOf({ enis: fixture().enis.filter((e) => e.id !== 'eni-orders') });
    assert.deepEqual(statusOf(r, 'orders').network, { status: 'partial' });
    assert.match(byName(r, 'orders').coverage.network, /^no Lambda ENI found/);
  });

  test('a flow log delivered to S3: network is partial, with no error', async () => {
    const r = await scanOf({
      flowLogs: [
        {
          id: 'fl-s3',
          logFormat: '',
          destinationType: 's3',
          destination: 'arn:aws:s3:::my-flow-bucket/prefix/',
          resourceId: 'vpc-1',
          trafficType: 'ALL',
          status: 'ACTIVE',
        },
      ],
    });
    assert.deepEqual(statusOf(r, 'orders'), { ...complete, network: { status: 'partial' } });
  });

  test('access denied: failed (or partial for one flow log), naming the IAM action', async () => {
    const trail = await scanOf({
      fail: { lookupEvents: new SourceError('access-denied', 'User is not authorized', 'cloudtrail:LookupEvents') },
    });
    for (const f of trail.functions)
      assert.deepEqual(f.coverageStatus?.cloudtrail, {
        status: 'failed',
        errorKind: 'access-denied',
        iamAction: 'cloudtrail:LookupEvents',
      });
    assert.deepEqual(statusOf(trail, 'orders').network, { status: 'complete' });

    const flow = await scanOf({ fail: { readFlowLog: new SourceError('access-denied', 'denied', 'logs:FilterLogEvents') } });
    assert.deepEqual(statusOf(flow, 'orders').network, {
      status: 'partial',
      errorKind: 'access-denied',
      iamAction: 'logs:FilterLogEvents',
    });

    const enis = await scanOf({ fail: { listNetworkInterfaces: new SourceError('access-denied', 'no', 'ec2:DescribeNetworkInterfaces') } });
    assert.deepEqual(statusOf(enis, 'orders').network, {
      status: 'failed',
      errorKind: 'access-denied',
      iamAction: 'ec2:DescribeNetworkInterfaces',
    });
    assert.deepEqual(statusOf(enis, 'edge').network, { status: 'not-applicable' });
  });

  test('expired credentials: failed with that kind and no IAM action, on every source they stopped', async () => {
    const expired = new SourceError(
      'expired-credentials',
      'credentials expired or missing (The security token included in the request is expired)',
    );
    const r = await scanOf({ fail: { listNetworkInterfaces: expired, lookupEvents: expired, getMetrics: expired } });
    const failed = { status: 'failed', errorKind: 'expired-credentials' } as const;
    assert.deepEqual(statusOf(r, 'orders'), { network: failed, cloudtrail: failed, metrics: failed });
    assert.deepEqual(statusOf(r, 'edge'), { network: { status: 'not-applicable' }, cloudtrail: failed, metrics: failed });
  });

  test('metrics: no data for a function never invoked; failed with the kind when CloudWatch throttles', async () => {
    const quiet = await scanOf({ metrics: fixture().metrics.filter((m) => m.functionName !== 'edge') });
    assert.deepEqual(statusOf(quiet, 'edge').metrics, { status: 'no-data' });
    assert.deepEqual(statusOf(quiet, 'orders').metrics, { status: 'complete' });
    assert.match(byName(quiet, 'edge').coverage.metrics, /^no data/);

    const throttled = await scanOf({ fail: { getMetrics: new SourceError('throttled', 'Rate exceeded') } });
    assert.deepEqual(statusOf(throttled, 'orders').metrics, { status: 'failed', errorKind: 'throttled' });
  });

  test('two flow logs of one function failing differently: partial, naming the most actionable error', async () => {
    const f = fixture();
    // orders has a second ENI: its first is read through an ENI-level flow log, the second through the VPC's.
    const second = lambdaEni('eni-orders-2', '10.0.1.11', 'subnet-1', ['sg-a'], 'orders');
    const eniLog: FlowLogConfig = {
      id: 'fl-eni',
      logFormat: '',
      destinationType: 'cloud-watch-logs',
      logGroupName: '/eni',
      resourceId: 'eni-orders',
      trafficType: 'ALL',
      status: 'ACTIVE',
    };
    const source = new MemorySource({ ...f, enis: [...f.enis, second], flowLogs: [...f.flowLogs, eniLog] });
    const read: string[] = [];
    source.readFlowLog = async function* (flowLog: FlowLogConfig): AsyncIterable<FlowData> {
      read.push(flowLog.id);
      throw flowLog.id === 'fl-eni'
        ? new SourceError('throttled', 'slow down')
        : new SourceError('access-denied', 'denied', 'logs:FilterLogEvents');
    };
    const r = await scan(source, OPTIONS);
    scanned.push(r);
    assert.deepEqual(read.sort(), ['fl-eni', 'fl-vpc']);
    assert.deepEqual(
      byName(r, 'orders').enis.map((e) => e.id),
      ['eni-orders', 'eni-orders-2'],
    );
    // The sentence names both, the throttled one first; the data names what to fix first: the missing permission.
    assert.match(
      byName(r, 'orders').coverage.network,
      /^partial: flow log fl-eni: throttled: slow down; flow log fl-vpc: access denied: needs logs:FilterLogEvents$/,
    );
    assert.deepEqual(statusOf(r, 'orders').network, { status: 'partial', errorKind: 'access-denied', iamAction: 'logs:FilterLogEvents' });
    assert.deepEqual(statusOf(r, 'billing').network, { status: 'partial', errorKind: 'access-denied', iamAction: 'logs:FilterLogEvents' });
  });

  test('a report saved without coverageStatus reads the same through coverageStatusOf', () => {
    assert.ok(scanned.length >= 8, `${scanned.length} reports`);
    for (const r of scanned) {
      for (const f of r.functions) {
        const { coverageStatus, ...legacy } = f;
        assert.ok(coverageStatus);
        assert.deepEqual(coverageStatusOf(legacy), coverageStatus, `${f.name}: ${JSON.stringify(f.coverage)}`);
        assert.equal(coverageStatusOf(f), coverageStatus);
      }
    }
  });
});
