// The generator's traps profile (issue 9): the traps real accounts set are in the data, the scenario loads, and the scanner's score on it (every anomaly found, no false positive, the deploy named).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as zlib from 'node:zlib';
import type { ScanReport } from '../../src/core/model';
import { scan } from '../../src/core/scan';
import { generateScenario, type GenResult } from '../../src/gen/generate';
import { ipToInt } from '../../src/gen/ids';
import { optionsFromArgv } from '../../src/gen/main';
import { openScenario } from '../../src/replay/scenario';
import { countByKind, score, type ScenarioLabels, type Score } from '../support/score';

/* eslint-disable @typescript-eslint/no-explicit-any -- recorded AWS JSON is read as the loose shape it is */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-traps-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const HOUR = 3600;

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

type Flow = Record<string, string>;

interface Traps {
  dir: string;
  gen: GenResult;
  labels: ScenarioLabels & {
    profile: string;
    anomalies: Array<ScenarioLabels['anomalies'][number] & { strict?: string; afterDeploy?: string }>;
  };
  detectStart: number;
  end: number;
  functions: any[];
  enis: any[];
  flowLogs: any[];
  /** Records of each flow log, by FlowLogId, parsed by its own LogFormat. */
  flows: Map<string, Flow[]>;
  events: Array<{ raw: any; ct: any }>;
  ipRanges: any;
  metrics: any;
}

function readFlows(dir: string, flowLog: any): Flow[] {
  const fields = [...(flowLog.LogFormat as string).matchAll(/\$\{([a-z0-9-]+)\}/g)].map((m) => m[1] as string);
  const name = fs.readdirSync(path.join(dir, 'flowlogs')).find((f) => f.startsWith(`${flowLog.FlowLogId}.log`));
  assert.ok(name, `a file for flow log ${flowLog.FlowLogId}`);
  let raw = fs.readFileSync(path.join(dir, 'flowlogs', name));
  if (name.endsWith('.gz')) raw = zlib.gunzipSync(raw);
  return raw
    .toString('latin1')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const values = line.split(' ');
      assert.equal(values.length, fields.length, line);
      return Object.fromEntries(fields.map((f, i) => [f, values[i] as string]));
    });
}

function load(gen: GenResult): Traps {
  const dir = gen.dir;
  const sc = readJson(path.join(dir, 'scenario.json'));
  const end = Date.parse(sc.recordedAt) / 1000;
  const flowLogs = readJson(path.join(dir, 'ec2', 'describe-flow-logs.json')).FlowLogs;
  return {
    dir,
    gen,
    labels: readJson(gen.labelsPath),
    detectStart: end - 24 * HOUR,
    end,
    functions: readJson(path.join(dir, 'lambda', 'list-functions.json')).Functions,
    enis: readJson(path.join(dir, 'ec2', 'describe-network-interfaces.json')).NetworkInterfaces,
    flowLogs,
    flows: new Map(flowLogs.map((f: any) => [f.FlowLogId, readFlows(dir, f)])),
    events: readJson(path.join(dir, 'cloudtrail', 'lookup-events.json')).Events.map((raw: any) => ({
      raw,
      ct: JSON.parse(raw.CloudTrailEvent),
    })),
    ipRanges: readJson(path.join(dir, 'ip-ranges.json')),
    metrics: readJson(path.join(dir, 'cloudwatch', 'get-metric-data.json')),
  };
}

/** The VPC-wide flow log (every ENI's records) and the subnet one. */
function vpcFlows(s: Traps): Flow[] {
  const log = s.flowLogs.find((f) => f.ResourceId.startsWith('vpc-'));
  return s.flows.get(log.FlowLogId) ?? [];
}

function fn(s: Traps, name: string): any {
  const f = s.functions.find((x) => x.FunctionName === name);
  assert.ok(f, name);
  return f;
}

/** Lambda ENIs of the inventory that serve `name`: same subnet and exactly the same groups. */
function enisOf(s: Traps, name: string): any[] {
  const vpc = fn(s, name).VpcConfig;
  const groups = [...vpc.SecurityGroupIds].sort().join(',');
  return s.enis.filter(
    (e) =>
      e.InterfaceType === 'lambda' &&
      vpc.SubnetIds.includes(e.SubnetId) &&
      e.Groups.map((g: any) => g.GroupId)
        .sort()
        .join(',') === groups,
  );
}

function traffic(flows: Flow[], eniIds: Set<string>): Flow[] {
  return flows.filter((r) => r['log-status'] === 'OK' && eniIds.has(r['interface-id'] as string));
}

/** `addr:port` that the function reached: records to a service port (return traffic goes to an ephemeral one, 32768 and up). */
function peersOf(records: Flow[]): Set<string> {
  return new Set(records.filter((r) => Number(r.dstport) < 32768).map((r) => `${r.dstaddr}:${r.dstport}`));
}

class Prefixes {
  private readonly list: Array<{ net: number; mask: number; service: string; region: string }>;
  constructor(doc: any) {
    this.list = doc.prefixes.map((p: any) => {
      const [base, bits] = String(p.ip_prefix).split('/');
      const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
      return { net: (ipToInt(base as string) & mask) >>> 0, mask, service: p.service, region: p.region };
    });
  }

  /** The named services (not AMAZON) whose prefixes hold `ip`. */
  services(ip: string): string[] {
    const n = ipToInt(ip);
    return this.list.filter((p) => (n & p.mask) >>> 0 === p.net && p.service !== 'AMAZON').map((p) => p.service);
  }
}

function invocations(s: Traps, name: string): Map<number, number> {
  const i = s.metrics.MetricDataQueries.findIndex(
    (q: any) => q.MetricStat.Metric.MetricName === 'Invocations' && q.MetricStat.Metric.Dimensions[0].Value === name,
  );
  const r = s.metrics.MetricDataResults[i];
  return new Map(r.Timestamps.map((t: string, k: number) => [Date.parse(t) / 1000, r.Values[k] as number]));
}

let s: Traps;
let prefixes: Prefixes;

before(async () => {
  const began = Date.now();
  // The default size: 15 days at 600-second aggregation, as the recorded traps accounts are.
  const gen = await generateScenario(optionsFromArgv(['--profile', 'traps', '--seed', '1', '--out', path.join(tmp, 'traps')]));
  assert.ok(Date.now() - began < 20_000, 'generation stays under 20 s');
  s = load(gen);
  prefixes = new Prefixes(s.ipRanges);
});

describe('traps profile: the files', () => {
  test('load with the scenario loader, both flow logs and the ip-ranges document included', async () => {
    const source = openScenario(s.dir);
    const account = await source.account(new AbortController().signal);
    assert.equal(account.region, 'us-east-1');
    const doc = await source.ipRanges!(new AbortController().signal);
    assert.ok(doc && doc.prefixes.length > 10);
    assert.equal(s.flowLogs.length, 2);
    assert.deepEqual(
      s.labels.functions,
      s.functions.map((f) => f.FunctionName),
    );
    assert.equal(s.labels.profile, 'traps');
  });

  test('the same seed gives byte-identical files', async () => {
    const again = await generateScenario(optionsFromArgv(['--profile', 'traps', '--seed', '1', '--out', path.join(tmp, 'traps-again')]));
    const files = (dir: string) =>
      (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
    assert.deepEqual(files(again.dir), files(s.dir));
    for (const f of files(s.dir))
      assert.ok(fs.readFileSync(path.join(s.dir, f)).equals(fs.readFileSync(path.join(again.dir, f))), `${f} differs`);
    assert.ok(fs.readFileSync(again.labelsPath).equals(fs.readFileSync(s.gen.labelsPath)));
  });

  test("ip-ranges.json is in AWS's format, with S3, DYNAMODB, AMAZON and EC2 prefixes for the region", () => {
    const doc = s.ipRanges;
    assert.deepEqual(Object.keys(doc), ['syncToken', 'createDate', 'prefixes', 'ipv6_prefixes']);
    assert.match(doc.syncToken, /^\d+$/);
    assert.match(doc.createDate, /^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
    for (const p of doc.prefixes) assert.deepEqual(Object.keys(p), ['ip_prefix', 'region', 'service', 'network_border_group']);
    for (const p of doc.ipv6_prefixes) assert.deepEqual(Object.keys(p), ['ipv6_prefix', 'region', 'service', 'network_border_group']);
    const services = new Set(doc.prefixes.filter((p: any) => p.region === 'us-east-1').map((p: any) => p.service));
    for (const want of ['S3', 'DYNAMODB', 'AMAZON', 'EC2']) assert.ok(services.has(want), want);
    // AWS lists every named service's prefix under AMAZON too.
    const amazon = new Set(doc.prefixes.filter((p: any) => p.service === 'AMAZON').map((p: any) => `${p.ip_prefix} ${p.region}`));
    for (const p of doc.prefixes) assert.ok(amazon.has(`${p.ip_prefix} ${p.region}`), p.ip_prefix);
  });
});

describe('traps profile: the traps are in the data', () => {
  test("S3 and DynamoDB addresses rotate inside the prefixes: hundreds a day, most of the detection day's never seen before", () => {
    const ids = new Set([...enisOf(s, 'blob-archiver'), ...enisOf(s, 'stream-indexer')].map((e) => e.NetworkInterfaceId));
    const egress = traffic(vpcFlows(s), ids).filter((r) => Number(r.dstport) === 443 && !r.dstaddr?.startsWith('10.'));
    const label = s.labels.anomalies.find((l) => l.function === 'blob-archiver');
    const service = egress.filter((r) => `${r.dstaddr}:${r.dstport}/tcp` !== label?.subject);
    for (const r of service)
      assert.equal(
        prefixes.services(r.dstaddr as string).filter((x) => x === 'S3' || x === 'DYNAMODB').length,
        1,
        `${r.dstaddr} is S3's or DynamoDB's`,
      );
    const detect = new Set(service.filter((r) => Number(r.start) >= s.detectStart).map((r) => r.dstaddr));
    const baseline = new Set(service.filter((r) => Number(r.start) < s.detectStart).map((r) => r.dstaddr));
    const unseen = [...detect].filter((a) => !baseline.has(a));
    assert.ok(detect.size >= 300, `${detect.size} distinct service addresses in the detection window`);
    assert.ok(unseen.length >= 200, `${unseen.length} of them never seen in the baseline`);
    const services = new Set(service.map((r) => prefixes.services(r.dstaddr as string).join()));
    assert.deepEqual([...services].sort(), ['DYNAMODB', 'S3']);
  });

  test('the v5 variant: a subnet flow log whose records name S3 and DYNAMODB in pkt-dst-aws-service / pkt-src-aws-service', () => {
    const log = s.flowLogs.find((f) => f.ResourceId.startsWith('subnet-'));
    assert.ok(log, 'a subnet flow log');
    assert.match(log.LogFormat, /\$\{pkt-dst-aws-service\}/);
    assert.match(log.LogFormat, /\$\{pkt-src-aws-service\}/);
    assert.equal(log.ResourceId, fn(s, 'stream-indexer').VpcConfig.SubnetIds[0]);
    const records = s.flows.get(log.FlowLogId) ?? [];
    assert.ok(records.length > 1000);
    assert.ok(
      records.every((r) => r.version === '5'),
      'a format with v5 fields makes version-5 records',
    );
    const named = records.filter((r) => r['pkt-dst-aws-service'] !== '-' || r['pkt-src-aws-service'] !== '-');
    assert.ok(named.length > 1000, `${named.length} records name a service`);
    for (const r of named) {
      const egress = r['flow-direction'] === 'egress';
      const remote = egress ? r.dstaddr : r.srcaddr;
      assert.equal(egress ? r['pkt-dst-aws-service'] : r['pkt-src-aws-service'], prefixes.services(remote as string)[0], `${remote}`);
      assert.equal(egress ? r['pkt-src-aws-service'] : r['pkt-dst-aws-service'], '-');
    }
    assert.deepEqual(
      [...new Set(named.map((r) => (r['pkt-dst-aws-service'] === '-' ? r['pkt-src-aws-service'] : r['pkt-dst-aws-service'])))].sort(),
      ['DYNAMODB', 'S3'],
    );
    // The subnet's records are in the VPC's flow log as well, as AWS delivers them to every flow log that covers the ENI.
    const vpcIndexer = traffic(vpcFlows(s), new Set(enisOf(s, 'stream-indexer').map((e) => e.NetworkInterfaceId)));
    assert.equal(vpcIndexer.length, records.filter((r) => r['log-status'] === 'OK').length);
    // The VPC's own (v2) flow log has no such field: there the ip-ranges document is the only way to tell.
    const vpcLog = s.flowLogs.find((f) => f.ResourceId.startsWith('vpc-'));
    assert.doesNotMatch(vpcLog.LogFormat, /aws-service/);
  });

  test('an ENI replaced 2 h into the detection window: gone from the inventory, remembered by CloudTrail, its peers carried on by the new one', () => {
    const ledger = fn(s, 'payments-ledger');
    const role = ledger.Role.split('/').pop();
    const [current] = enisOf(s, 'payments-ledger');
    assert.ok(current, 'the new ENI is in the inventory');
    const creates = s.events.filter((e) => e.ct.eventName === 'CreateNetworkInterface');
    const deletes = s.events.filter((e) => e.ct.eventName === 'DeleteNetworkInterface');
    assert.equal(deletes.length, 1);
    const oldId = deletes[0]?.ct.requestParameters.networkInterfaceId;
    assert.ok(!s.enis.some((e) => e.NetworkInterfaceId === oldId), 'the old ENI is absent from describe-network-interfaces');
    const created = creates.find((e) => e.ct.responseElements.networkInterface.networkInterfaceId === oldId);
    assert.ok(created, "the old ENI's CreateNetworkInterface");
    const ni = created.ct.responseElements.networkInterface;
    assert.equal(ni.interfaceType, 'lambda');
    assert.match(ni.description, /^AWS Lambda VPC ENI-payments-ledger-[0-9a-f-]{36}$/);
    assert.equal(ni.subnetId, current.SubnetId);
    assert.match(ni.privateIpAddress, /^10\./);
    assert.notDeepEqual(
      ni.groupSet.items.map((g: any) => g.groupId),
      current.Groups.map((g: any) => g.GroupId),
      'the old ENI had the old security group',
    );
    for (const e of [created, deletes[0]!]) {
      assert.equal(e.ct.eventSource, 'ec2.amazonaws.com');
      assert.match(e.raw.Username, /^awslambda_\d+_\d{8}T\d{6}$/);
      assert.equal(e.ct.userIdentity.sessionContext.sessionIssuer.userName, role, "made with the function's execution role");
    }
    const deletedAt = Date.parse(deletes[0]!.ct.eventTime) / 1000;
    assert.ok(
      deletedAt > s.detectStart + 2 * HOUR && deletedAt < s.detectStart + 3 * HOUR,
      'deleted soon after the change, 2 h into the window',
    );
    // Every Lambda ENI in the inventory has its creation event too.
    for (const e of s.enis.filter((x) => x.InterfaceType === 'lambda'))
      assert.ok(
        creates.some((c) => c.ct.responseElements.networkInterface.networkInterfaceId === e.NetworkInterfaceId),
        e.NetworkInterfaceId,
      );
    // The configuration change that caused it, by the deploy identity.
    const update = s.events.find((e) => e.ct.eventName === 'UpdateFunctionConfiguration20150331v2');
    assert.ok(update);
    assert.equal(update.ct.eventSource, 'lambda.amazonaws.com');
    assert.equal(update.ct.requestParameters.functionName, 'payments-ledger');
    assert.deepEqual(update.ct.requestParameters.vpcConfig, {
      subnetIds: ledger.VpcConfig.SubnetIds,
      securityGroupIds: ledger.VpcConfig.SecurityGroupIds,
    });
    assert.match(update.ct.userIdentity.arn, /:assumed-role\/deploy-pipeline\/codebuild-[0-9a-f]{8}$/);
    const changedAt = Date.parse(update.ct.eventTime) / 1000;
    assert.ok(changedAt < s.detectStart + 2 * HOUR && changedAt > s.detectStart + HOUR);
    // Baseline traffic is on the old ENI only; after the change, on the new one only; the same peers on both.
    const flows = vpcFlows(s);
    const before = traffic(flows, new Set([oldId]));
    const afterChange = traffic(flows, new Set([current.NetworkInterfaceId]));
    assert.ok(before.length > 1000 && before.some((r) => Number(r.start) < s.detectStart));
    assert.ok(before.every((r) => Number(r.start) < s.detectStart + 2 * HOUR));
    assert.ok(afterChange.length > 0 && afterChange.every((r) => Number(r.start) >= s.detectStart + 2 * HOUR));
    const mysql = s.labels.anomalies.find((l) => l.function === 'payments-ledger')?.subject.replace('/tcp', '');
    const newPeers = [...peersOf(afterChange)].filter((p) => p !== mysql);
    const oldPeers = peersOf(before);
    assert.ok(newPeers.length >= 2, 'the database and the Secrets Manager endpoint');
    for (const p of newPeers) assert.ok(oldPeers.has(p), `${p} was a baseline peer on the old ENI`);
  });

  test('a shared ENI: the new peer flows only while the other sharer is not running (strict label)', () => {
    const [shared] = enisOf(s, 'checkout-api');
    assert.ok(shared);
    assert.deepEqual(
      enisOf(s, 'nightly-export').map((e) => e.NetworkInterfaceId),
      [shared.NetworkInterfaceId],
    );
    const label = s.labels.anomalies.find((l) => l.function === 'checkout-api');
    assert.ok(label?.strict);
    assert.deepEqual(label.alsoAcceptableFunctions, []);
    const [addr, port] = label.subject.replace('/tcp', '').split(':');
    const hours = new Set(
      traffic(vpcFlows(s), new Set([shared.NetworkInterfaceId]))
        .filter((r) => r.dstaddr === addr && r.dstport === port)
        .map((r) => Math.floor(Number(r.start) / HOUR) * HOUR),
    );
    assert.ok(hours.size > 0);
    const nightly = invocations(s, 'nightly-export');
    const checkout = invocations(s, 'checkout-api');
    for (const h of hours) {
      assert.equal(nightly.get(h) ?? 0, 0, 'nightly-export did not run');
      assert.ok((checkout.get(h) ?? 0) > 0, 'checkout-api did');
    }
  });

  test('a once-a-day function: one invocation a day in the baseline, and on the detection day', () => {
    const nightly = invocations(s, 'nightly-export');
    const days = new Map<number, number>();
    for (const [t, v] of nightly) {
      assert.equal(v, 1);
      days.set(Math.floor(t / 86400), (days.get(Math.floor(t / 86400)) ?? 0) + v);
    }
    assert.ok(days.size >= 14 && [...days.values()].every((n) => n === 1));
    assert.ok([...nightly.keys()].some((t) => t >= s.detectStart));
  });

  test('an AZ failover onto a rarely used ENI: same peers, other ENI', () => {
    const enis = enisOf(s, 'failover-worker');
    assert.equal(enis.length, 2);
    const flows = vpcFlows(s);
    const onEach = enis.map((e) => traffic(flows, new Set([e.NetworkInterfaceId])).filter((r) => r['log-status'] === 'OK'));
    const baseline = onEach.map((rs) => rs.filter((r) => Number(r.start) < s.detectStart));
    const rare = baseline[0]!.length < baseline[1]!.length ? 0 : 1;
    const busy = 1 - rare;
    assert.ok(
      baseline[rare]!.length * 10 < baseline[busy]!.length,
      `rarely used in the baseline: ${baseline[rare]!.length} vs ${baseline[busy]!.length}`,
    );
    const lastHours = (rs: Flow[]) => rs.filter((r) => Number(r.start) >= s.detectStart + 10 * HOUR);
    assert.equal(lastHours(onEach[busy]!).length, 0, 'after the failover nothing on the busy ENI');
    assert.ok(lastHours(onEach[rare]!).length > 50);
    const ssh = s.labels.anomalies.find((l) => l.function === 'failover-worker')?.subject.replace('/tcp', '');
    const after = [...peersOf(lastHours(onEach[rare]!))].filter((p) => p !== ssh);
    const known = new Set([...peersOf(baseline[0]!), ...peersOf(baseline[1]!)]);
    assert.ok(after.length >= 2);
    for (const p of after) assert.ok(known.has(p), `${p} is a baseline peer`);
  });

  test("a deploy, then 1 h 41 min later a new API call by the function's code", () => {
    const label = s.labels.anomalies.find((l) => l.afterDeploy);
    assert.ok(label?.afterDeploy);
    assert.equal(label.subject, 'ssm.amazonaws.com:GetParametersByPath');
    const deploy = s.events.find((e) => e.ct.eventName === 'UpdateFunctionCode20150331v2');
    assert.ok(deploy);
    assert.equal(deploy.ct.eventSource, 'lambda.amazonaws.com');
    assert.equal(deploy.ct.eventTime, label.afterDeploy);
    assert.equal(deploy.ct.requestParameters.functionName, label.function);
    assert.match(deploy.ct.userIdentity.arn, /:assumed-role\/deploy-pipeline\/codebuild-[0-9a-f]{8}$/);
    assert.equal(fn(s, label.function).LastModified.slice(0, 19), label.afterDeploy.slice(0, 19), 'ListFunctions shows the deploy');
    const calls = s.events.filter((e) => e.raw.Username === label.function && `${e.ct.eventSource}:${e.ct.eventName}` === label.subject);
    const first = Math.min(...calls.map((c) => Date.parse(c.ct.eventTime)));
    const minutes = (first - Date.parse(label.afterDeploy)) / 60_000;
    assert.ok(minutes >= 101 && minutes < 102, `first call ${minutes} min after the deploy`);
  });

  test('throttling errors on calls the function always makes, in the detection window: no denial among them', () => {
    const errors = s.events.filter(
      (e) =>
        e.raw.Username === 'orders-store' && e.ct.errorCode === 'ThrottlingException' && Date.parse(e.ct.eventTime) / 1000 >= s.detectStart,
    );
    assert.ok(errors.length >= 20, `${errors.length} throttled calls`);
    const baselineCalls = new Set(
      s.events
        .filter((e) => e.raw.Username === 'orders-store' && !e.ct.errorCode && Date.parse(e.ct.eventTime) / 1000 < s.detectStart)
        .map((e) => e.ct.eventName),
    );
    for (const e of errors) assert.ok(baselineCalls.has(e.ct.eventName), `${e.ct.eventName} is a known call`);
  });

  test('the real anomalies: internal hosts on 3306 and 22, an EC2 address (not a named service), a denial, a spike', () => {
    const required = s.labels.anomalies.filter((l) => l.kinds.length > 0 && !l.optional);
    assert.deepEqual(
      required.map((l) => `${l.function} ${l.kinds.join('|')}`),
      [
        'payments-ledger new-peer',
        'checkout-api new-peer',
        'blob-archiver new-peer',
        'failover-worker new-peer',
        'orders-store access-denied',
        'pricing-engine new-api-call',
        'quote-api invocation-spike',
      ],
    );
    assert.match(required[0]!.subject, /^10\.\d+\.\d+\.\d+:3306\/tcp$/);
    assert.match(required[3]!.subject, /^10\.\d+\.\d+\.\d+:22\/tcp$/);
    const c2 = required[2]!.subject.split(':')[0] as string;
    assert.deepEqual(prefixes.services(c2), ['EC2'], "inside EC2's ranges, no named service");
  });
});

describe("traps profile: the scanner's score", () => {
  let report: ScanReport;
  let result: Score;
  before(async () => {
    report = await scan(openScenario(s.dir), {});
    result = score(s.labels, report);
  });

  test('every labelled anomaly is found', () => {
    assert.deepEqual(result.misses, []);
    assert.equal(result.found, result.required);
    assert.equal(result.required, 7);
  });

  test('S3 and DynamoDB over rotating addresses are one known peer each: no finding on them, the EC2 server still a new peer', () => {
    for (const name of ['blob-archiver', 'stream-indexer']) {
      assert.deepEqual(
        result.falsePositives.filter((f) => f.startsWith(`${name} `)),
        [],
        name,
      );
      const fn = report.functions.find((f) => f.name === name)!;
      const services = fn.peers
        .filter((p) => p.service)
        .map((p) => `${p.service!.name} ${p.service!.region} ${p.port}/${p.protocol} ${p.inBaseline}`);
      assert.deepEqual(services.sort(), ['DYNAMODB us-east-1 443/tcp true', 'S3 us-east-1 443/tcp true'], name);
    }
    const c2 = s.labels.anomalies.find((l) => l.function === 'blob-archiver')!;
    const archiver = report.functions.find((f) => f.name === 'blob-archiver')!;
    assert.ok(
      archiver.findings.some((f) => f.kind === 'new-peer' && f.subject === c2.subject),
      'the C2 server on EC2 is a new peer of its own',
    );
  });

  // Before the issue-9 engine work: 925, of which 923 S3 and DynamoDB addresses of blob-archiver and stream-indexer (AWS
  // service peers) and 2 payments-ledger's database and Secrets Manager endpoint on its replacement ENI (ENI history).
  test('no false positive', () => {
    assert.deepEqual(
      countByKind(result.falsePositives),
      {},
      `${result.falsePositives.length} false positives (925 before the issue-9 engine work): ${result.falsePositives.slice(0, 5).join('; ')}…`,
    );
  });

  test('the finding after the deploy names it', () => {
    assert.equal(result.deployNamed.of, 1);
    assert.deepEqual(result.deployNamed.unnamed, []);
  });
});

describe('the scorer', () => {
  const labels: ScenarioLabels = {
    functions: ['a', 'b'],
    anomalies: [
      { function: 'a', kinds: ['new-peer'], subject: '1.2.3.4:443/tcp', alsoAcceptableFunctions: ['b'] },
      { function: 'a', kinds: ['new-peer'], subject: '5.6.7.8:443/tcp', alsoAcceptableFunctions: [], strict: 'b was not running' },
      { function: 'a', kinds: ['new-api-call'], subject: 'ssm.amazonaws.com:GetParametersByPath', afterDeploy: '2026-11-22T04:00:00Z' },
    ],
  };
  const finding = (kind: string, subject: string, evidence: Record<string, unknown> = {}) => ({ kind, subject, evidence });
  const report = (a: unknown[], b: unknown[]) =>
    ({
      functions: [
        { name: 'a', findings: a },
        { name: 'b', findings: b },
      ],
    }) as unknown as ScanReport;

  test("a shared label's other function is right; a strict label's is a false positive", () => {
    const r = score(
      labels,
      report(
        [finding('new-peer', '5.6.7.8:443/6'), finding('new-api-call', 'ssm.amazonaws.com:GetParametersByPath')],
        [finding('new-peer', '1.2.3.4:443/tcp'), finding('new-peer', '5.6.7.8:443/tcp')],
      ),
    );
    assert.deepEqual(r.misses, []);
    assert.deepEqual(r.falsePositives, ['b new-peer 5.6.7.8:443/tcp']);
  });

  test('the deploy figure counts findings whose evidence names the deploy, without touching recall', () => {
    const base = [finding('new-peer', '1.2.3.4:443/tcp'), finding('new-peer', '5.6.7.8:443/tcp')];
    const unnamed = score(labels, report([...base, finding('new-api-call', 'ssm.amazonaws.com:GetParametersByPath')], []));
    assert.equal(unnamed.found, 3);
    assert.deepEqual({ named: unnamed.deployNamed.named, of: unnamed.deployNamed.of }, { named: 0, of: 1 });
    const deploy = { eventName: 'UpdateFunctionCode20150331v2', time: '2026-11-22T04:00:00Z', by: 'deploy-pipeline/codebuild-1a2b3c4d' };
    const named = score(labels, report([...base, finding('new-api-call', 'ssm.amazonaws.com:GetParametersByPath', { deploy })], []));
    assert.deepEqual({ named: named.deployNamed.named, of: named.deployNamed.of }, { named: 1, of: 1 });
    const wrongDeploy = score(
      labels,
      report(
        [
          ...base,
          finding('new-api-call', 'ssm.amazonaws.com:GetParametersByPath', { deploy: { ...deploy, time: '2026-11-21T04:00:00Z' } }),
        ],
        [],
      ),
    );
    assert.equal(wrongDeploy.deployNamed.named, 0);
  });
});
