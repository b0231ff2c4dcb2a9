// The scenario generator: same seed, same bytes; every file in the recorded shape; anomalies only where the labels say; scale output streamed.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as zlib from 'node:zlib';
import { generateScenario, type GenResult, type LabelsFile } from '../../src/gen/generate';
import { HOSTILE, HOSTILE_ALL, HOSTILE_BIG, HOSTILE_PEER_DESCRIPTION } from '../../src/gen/hostile';
import { optionsFromArgv } from '../../src/gen/main';

const root = path.resolve(__dirname, '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'scenarios');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-gen-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function gen(name: string, ...args: string[]): Promise<GenResult> {
  return generateScenario(optionsFromArgv(['--out', path.join(tmp, name), ...args]));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readJson<T = any>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

interface Scenario {
  dir: string;
  labels: LabelsFile;
  recordedAt: number;
  detectStart: number;
  interval: number;
  fields: string[];
  flows: Record<string, string>[];
  enis: any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  functions: any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  events: { raw: any; ct: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function load(dir: string, labelsFile = `${dir}.labels.json`): Scenario {
  const scenario = readJson(path.join(dir, 'scenario.json'));
  const flowLog = readJson(path.join(dir, 'ec2', 'describe-flow-logs.json')).FlowLogs[0];
  const fields = [...(flowLog.LogFormat as string).matchAll(/\$\{([a-z0-9-]+)\}/g)].map((m) => m[1] as string);
  const logDir = path.join(dir, 'flowlogs');
  const [logFile] = fs.readdirSync(logDir);
  assert.ok(logFile, 'a flow-log file');
  assert.ok(logFile.startsWith(`${flowLog.FlowLogId}.log`), `${logFile} is named after ${flowLog.FlowLogId}`);
  let raw = fs.readFileSync(path.join(logDir, logFile));
  if (logFile.endsWith('.gz')) raw = zlib.gunzipSync(raw);
  const flows = raw
    .toString('latin1')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const values = line.split(' ');
      assert.equal(values.length, fields.length, `record has ${values.length} fields, LogFormat ${fields.length}: ${line}`);
      return Object.fromEntries(fields.map((f, i) => [f, values[i] as string]));
    });
  const recordedAt = Date.parse(scenario.recordedAt) / 1000;
  return {
    dir,
    labels: readJson(labelsFile),
    recordedAt,
    detectStart: recordedAt - 86400,
    interval: flowLog.MaxAggregationInterval,
    fields,
    flows,
    enis: readJson(path.join(dir, 'ec2', 'describe-network-interfaces.json')).NetworkInterfaces,
    functions: readJson(path.join(dir, 'lambda', 'list-functions.json')).Functions,
    events: readJson(path.join(dir, 'cloudtrail', 'lookup-events.json')).Events.map((raw: { CloudTrailEvent: string }) => ({
      raw,
      ct: JSON.parse(raw.CloudTrailEvent),
    })),
  };
}

/** The functions served by a Lambda ENI, from the rule (subnet and exact group set), not from its description. */
function eniFunctions(s: Scenario, eni: { SubnetId: string; Groups: { GroupId: string }[] }): string[] {
  const groups = eni.Groups.map((g) => g.GroupId)
    .sort()
    .join(',');
  return s.functions
    .filter(
      (f) => f.VpcConfig && f.VpcConfig.SubnetIds.includes(eni.SubnetId) && [...f.VpcConfig.SecurityGroupIds].sort().join(',') === groups,
    )
    .map((f) => f.FunctionName as string);
}

function lambdaEnisOf(s: Scenario, fn: string) {
  return s.enis.filter((e) => e.InterfaceType === 'lambda' && eniFunctions(s, e).includes(fn));
}

/** Traffic records on `fn`'s ENIs between the function and `addr:port`, in either direction. */
function flowsTo(s: Scenario, fn: string, subject: string) {
  const [addr, port] = subject.replace(/\/tcp$/, '').split(':');
  const ids = new Set(lambdaEnisOf(s, fn).map((e) => e.NetworkInterfaceId));
  return s.flows.filter(
    (r) =>
      ids.has(r['interface-id']) &&
      r['log-status'] === 'OK' &&
      ((r.dstaddr === addr && r.dstport === port) || (r.srcaddr === addr && r.srcport === port)),
  );
}

function callsBy(s: Scenario, fn: string, subject: string) {
  return s.events.filter((e) => e.raw.Username === fn && `${e.ct.eventSource}:${e.ct.eventName}` === subject);
}

let demo: Scenario;
let mixed: Scenario;
let custom: Scenario;

before(async () => {
  await gen('demo-a', '--profile', 'demo', '--seed', '7');
  await gen('demo-b', '--profile', 'demo', '--seed', '7');
  await gen('demo-c', '--profile', 'demo', '--seed', '8');
  await gen('mixed', '--profile', 'mixed', '--seed', '3', '--format', 'v5', '--days', '10');
  await gen(
    'custom',
    '--profile',
    'mixed',
    '--seed',
    '11',
    '--format',
    'custom',
    '--functions',
    '9',
    '--days',
    '9',
    '--interval',
    '60',
    '--no-gzip',
    '--labels',
    path.join(tmp, 'custom-labels.json'),
  );
  demo = load(path.join(tmp, 'demo-a'));
  mixed = load(path.join(tmp, 'mixed'));
  custom = load(path.join(tmp, 'custom'), path.join(tmp, 'custom-labels.json'));
});

describe('determinism', () => {
  test('the same arguments give byte-identical files, gzip included', () => {
    const a = path.join(tmp, 'demo-a');
    const b = path.join(tmp, 'demo-b');
    const files = filesUnder(a);
    assert.deepEqual(filesUnder(b), files);
    assert.ok(files.some((f) => f.endsWith('.log.gz')));
    for (const f of files) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), `${f} differs`);
    assert.ok(fs.readFileSync(`${a}.labels.json`).equals(fs.readFileSync(`${b}.labels.json`)));
  });

  test('the bundled demo account (media/demo) is what the generator writes, its ip-ranges document included', () => {
    const bundled = path.join(__dirname, '..', '..', 'media', 'demo');
    const sc = readJson(path.join(bundled, 'scenario.json')) as { description: string };
    // The bundled demo's own description names its arguments: the default ones for the demo, seed 7.
    assert.equal(sc.description, 'generated: profile=demo seed=7 format=v2 interval=600s days=15');
    const generated = path.join(tmp, 'demo-a');
    const files = filesUnder(bundled);
    assert.deepEqual(filesUnder(generated), files);
    assert.ok(files.includes('ip-ranges.json'));
    for (const f of files)
      assert.ok(fs.readFileSync(path.join(bundled, f)).equals(fs.readFileSync(path.join(generated, f))), `media/demo/${f} differs`);
  });

  test('another seed gives another account', () => {
    const a = readJson(path.join(tmp, 'demo-a', 'scenario.json'));
    const c = readJson(path.join(tmp, 'demo-c', 'scenario.json'));
    assert.notEqual(a.accountId, c.accountId);
    assert.notDeepEqual(
      fs.readFileSync(path.join(tmp, 'demo-a', 'cloudtrail', 'lookup-events.json')),
      fs.readFileSync(path.join(tmp, 'demo-c', 'cloudtrail', 'lookup-events.json')),
    );
  });
});

describe('file shapes', () => {
  test('scenario.json says format 1, the account and the recording time', () => {
    const sc = readJson(path.join(demo.dir, 'scenario.json'));
    assert.deepEqual(Object.keys(sc), ['formatVersion', 'accountId', 'region', 'recordedAt', 'description']);
    assert.equal(sc.formatVersion, 1);
    assert.match(sc.accountId, /^\d{12}$/);
    assert.equal(sc.recordedAt, '2026-11-23T00:00:00Z');
  });

  test('every response has at least the keys the recorded sample has', () => {
    const sample = load(path.join(fixtures, 'demo'));
    const keys = (o: object) => new Set(Object.keys(o));
    const sampleFn = keys(sample.functions[0]);
    for (const f of demo.functions) for (const k of sampleFn) if (k !== 'VpcConfig') assert.ok(k in f, `FunctionConfiguration lacks ${k}`);
    for (const type of ['lambda', 'interface', 'vpc_endpoint', 'nat_gateway']) {
      // Keys that every sample ENI of this type has (an EC2 instance's ENI has no RequesterId, for one).
      const all = sample.enis.filter((e) => e.InterfaceType === type).map(keys);
      const want = [...(all[0] ?? [])].filter((k) => all.every((ks) => ks.has(k)));
      const got = demo.enis.filter((e) => e.InterfaceType === type);
      assert.ok(got.length > 0, `no ${type} ENI`);
      for (const e of got) for (const k of want) assert.ok(k in e, `${type} ENI lacks ${k}`);
    }
    const want = keys(JSON.parse(sample.events[0]?.raw.CloudTrailEvent));
    for (const { ct } of demo.events)
      for (const k of want) if (k !== 'errorCode' && k !== 'errorMessage') assert.ok(k in ct, `CloudTrailEvent lacks ${k}`);
    const sampleLog = readJson(path.join(fixtures, 'demo', 'ec2', 'describe-flow-logs.json')).FlowLogs[0];
    assert.deepEqual(Object.keys(readJson(path.join(demo.dir, 'ec2', 'describe-flow-logs.json')).FlowLogs[0]), Object.keys(sampleLog));
  });

  test('functions: ARNs, roles, VPC config only for VPC functions; tags keyed by ARN', () => {
    const sc = readJson(path.join(demo.dir, 'scenario.json'));
    for (const f of demo.functions) {
      assert.equal(f.FunctionArn, `arn:aws:lambda:${sc.region}:${sc.accountId}:function:${f.FunctionName}`);
      assert.match(f.Role, new RegExp(`^arn:aws:iam::${sc.accountId}:role/`));
      assert.match(f.LastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    }
    assert.deepEqual(
      demo.functions.filter((f) => f.VpcConfig).map((f) => f.FunctionName),
      ['RDSQueryLogger', 'ThumbnailMaker', 'ImageResizer', 'NightlyReport', 'PaymentsWebhook'],
    );
    const tags = readJson(path.join(demo.dir, 'lambda', 'tags.json'));
    assert.deepEqual(Object.keys(tags).sort(), demo.functions.map((f) => f.FunctionArn).sort());
  });

  test('Lambda ENIs: Hyperplane descriptions, one per subnet and exact group set, named after a function they serve', () => {
    for (const s of [demo, mixed, custom]) {
      const lambda = s.enis.filter((e) => e.InterfaceType === 'lambda');
      const keys = new Set<string>();
      for (const e of lambda) {
        const m = /^AWS Lambda VPC ENI-(.+)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(e.Description);
        assert.ok(m, e.Description);
        const served = eniFunctions(s, e);
        assert.ok(served.includes(m[1] as string), `${e.Description} serves ${served.join(', ')}`);
        assert.equal(e.Attachment.InstanceOwnerId, 'amazon-aws');
        const key = `${e.SubnetId}|${e.Groups.map((g: { GroupId: string }) => g.GroupId)
          .sort()
          .join(',')}`;
        assert.ok(!keys.has(key), `two ENIs for ${key}`);
        keys.add(key);
      }
      for (const f of s.functions.filter((fn) => fn.VpcConfig))
        assert.equal(lambdaEnisOf(s, f.FunctionName).length, f.VpcConfig.SubnetIds.length, f.FunctionName);
      assert.ok(
        lambda.some((e) => eniFunctions(s, e).length > 1),
        'some ENI is shared',
      );
    }
  });

  test('LogFormat matches the records; v2, v5 and custom as AWS writes them', () => {
    assert.equal(
      demo.fields.join(' '),
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
    );
    assert.ok(demo.flows.every((r) => r.version === '2'));
    assert.equal(mixed.fields.length, 22);
    assert.ok(mixed.flows.every((r) => r.version === '5'));
    // A custom order, with fields that are always '-' here.
    assert.notEqual(custom.fields[0], 'version');
    assert.ok(custom.fields.includes('traffic-path') && custom.fields.includes('sublocation-id'));
    assert.ok(custom.flows.every((r) => r['sublocation-id'] === '-'));
    // Only the traps profile reaches AWS services over their public addresses (test/unit/gen-traps.test.ts).
    assert.ok(custom.flows.every((r) => r['pkt-src-aws-service'] === '-' && r['pkt-dst-aws-service'] === '-'));
    assert.equal(custom.interval, 60);
    for (const s of [demo, mixed, custom]) {
      const enis = new Set(s.enis.map((e) => e.NetworkInterfaceId));
      let nodata = 0;
      for (const r of s.flows) {
        assert.ok(enis.has(r['interface-id']), r['interface-id']);
        const start = Number(r.start);
        const end = Number(r.end);
        assert.ok(start <= end && Math.floor(start / s.interval) === Math.floor(end / s.interval), `${start}-${end} spans intervals`);
        if (r['log-status'] === 'OK') {
          assert.match(r.srcaddr as string, /^\d+\.\d+\.\d+\.\d+$/);
          assert.ok(r.action === 'ACCEPT' || r.action === 'REJECT');
        } else {
          assert.ok(r['log-status'] === 'NODATA' || r['log-status'] === 'SKIPDATA');
          assert.equal(r.srcaddr, '-');
          assert.equal(r.action, '-');
          nodata++;
        }
      }
      assert.ok(nodata > 0 && nodata < s.flows.length / 5, `${nodata} NODATA of ${s.flows.length}`);
    }
  });

  test('every accepted connection on a Lambda ENI starts at the ENI and has its return record', () => {
    for (const s of [demo, mixed]) {
      const byEni = new Map(s.enis.filter((e) => e.InterfaceType === 'lambda').map((e) => [e.NetworkInterfaceId, e.PrivateIpAddress]));
      const seen = new Set<string>();
      const egress: Record<string, string>[] = [];
      for (const r of s.flows) {
        const ip = byEni.get(r['interface-id'] as string);
        if (!ip || r['log-status'] !== 'OK') continue;
        assert.ok(r.srcaddr === ip || r.dstaddr === ip, 'one side is the ENI');
        seen.add(`${r['interface-id']} ${r.srcaddr}:${r.srcport} ${r.dstaddr}:${r.dstport}`);
        if (r.srcaddr === ip && r.action === 'ACCEPT') {
          assert.ok(Number(r.srcport) >= 32768, 'an ephemeral source port');
          egress.push(r);
        }
      }
      assert.ok(egress.length > 1000);
      for (const r of egress)
        assert.ok(seen.has(`${r['interface-id']} ${r.dstaddr}:${r.dstport} ${r.srcaddr}:${r.srcport}`), 'return record');
    }
    const v5 = mixed.flows.filter((r) => r['log-status'] === 'OK');
    assert.ok(v5.every((r) => r['flow-direction'] === 'egress' || r['flow-direction'] === 'ingress'));
  });

  test('CloudTrail: newest first, full record as a JSON string, code sessions named after functions', () => {
    for (const s of [demo, mixed]) {
      const names = new Set(s.functions.map((f) => f.FunctionName));
      let previous = Infinity;
      for (const { raw, ct } of s.events) {
        const t = Date.parse(raw.EventTime);
        assert.ok(t <= previous, 'newest first');
        previous = t;
        assert.equal(ct.eventID, raw.EventId);
        assert.equal(ct.eventTime, raw.EventTime);
        assert.equal(ct.eventName, raw.EventName);
        const [, role, session] = /^arn:aws:sts::\d{12}:assumed-role\/([^/]+)\/(.+)$/.exec(ct.userIdentity.arn) ?? [];
        assert.equal(session, raw.Username);
        assert.ok(
          s.functions.some((f) => f.Role.endsWith(`/${role}`)),
          `role ${role}`,
        );
        if (session?.startsWith('awslambda_')) {
          assert.match(session, /^awslambda_\d+_\d{8}T\d{6}$/);
          assert.equal(`${ct.eventSource}:${ct.eventName}`, 'kms.amazonaws.com:Decrypt');
          assert.equal(ct.userIdentity.invokedBy, 'lambda.amazonaws.com');
        } else {
          assert.ok(names.has(session as string), session);
          const fn = s.functions.find((f) => f.FunctionName === session);
          assert.ok(fn.Role.endsWith(`/${role}`), `${session} runs as its own role`);
        }
        if (ct.errorCode) assert.ok(typeof ct.errorMessage === 'string' && ct.errorMessage.length > 0);
      }
    }
  });

  test('metrics: every query answered, newest first, periods without invocations left out', () => {
    for (const s of [demo, mixed]) {
      const doc = readJson(path.join(s.dir, 'cloudwatch', 'get-metric-data.json'));
      assert.deepEqual(Object.keys(doc), ['StartTime', 'EndTime', 'MetricDataQueries', 'MetricDataResults']);
      assert.equal(doc.MetricDataQueries.length, s.functions.length * 5);
      assert.deepEqual(
        doc.MetricDataResults.map((r: { Id: string }) => r.Id),
        doc.MetricDataQueries.map((q: { Id: string }) => q.Id),
      );
      const start = Date.parse(doc.StartTime);
      const end = Date.parse(doc.EndTime);
      let gaps = 0;
      for (let i = 0; i < doc.MetricDataResults.length; i += 5) {
        const [inv, errors, throttles, duration, concurrency] = doc.MetricDataResults.slice(i, i + 5);
        for (const r of [inv, errors, throttles, duration, concurrency]) {
          assert.equal(r.Timestamps.length, r.Values.length);
          assert.equal(r.StatusCode, 'Complete');
          const ts = r.Timestamps.map((t: string) => Date.parse(t));
          for (let k = 1; k < ts.length; k++) assert.ok(ts[k] < ts[k - 1], 'strictly newest first');
          assert.ok(ts.every((t: number) => t >= start && t < end));
        }
        assert.equal(inv.Label, 'Invocations');
        assert.ok(
          inv.Values.every((v: number) => v > 0),
          'no zero-invocation periods',
        );
        assert.deepEqual(duration.Timestamps, inv.Timestamps);
        assert.deepEqual(errors.Timestamps, inv.Timestamps);
        gaps += (end - start) / 3600000 - inv.Timestamps.length;
      }
      assert.ok(gaps > 0, 'some quiet hours are missing altogether');
    }
  });
});

describe('anomalies and labels', () => {
  test('labels name existing functions and have the published shape', () => {
    for (const s of [demo, mixed, custom]) {
      const names = s.functions.map((f) => f.FunctionName);
      assert.deepEqual(s.labels.functions, names);
      assert.deepEqual(Object.keys(s.labels), ['profile', 'seed', 'format', 'functions', 'anomalies', 'benign']);
      for (const a of s.labels.anomalies) {
        assert.ok(names.includes(a.function), a.function);
        for (const other of a.alsoAcceptableFunctions) assert.ok(names.includes(other) && other !== a.function, other);
        if (a.optional) assert.ok(a.kinds.length === 0 || a.kinds[0] === 'traffic-spike');
      }
      for (const b of s.labels.benign) assert.ok(b.function === '*' || names.includes(b.function), b.function);
      const required = s.labels.anomalies.filter((a) => a.kinds.length > 0 && !a.optional);
      assert.ok(required.length >= 3, `${required.length} anomalies`);
    }
  });

  test("the demo has the published demo's anomalies plus a rejected connection on a shared ENI", () => {
    const required = demo.labels.anomalies
      .filter((a) => !a.optional)
      .map(
        (a) => `${a.function} ${a.kinds.join('|')} ${a.subject.replace(/^10\.\d+\./, '10.x.')} [${a.alsoAcceptableFunctions.join(',')}]`,
      );
    assert.deepEqual(required, [
      'RDSQueryLogger new-peer 10.x.1.' + demo.labels.anomalies[0]?.subject.split('.')[3] + ' []',
      'PaymentsWebhook new-peer 185.220.101.45:4444/tcp []',
      'ThumbnailMaker rejected-traffic 10.x.' + demo.labels.anomalies[2]?.subject.split('.').slice(2).join('.') + ' [ImageResizer]',
      'OrderApi new-api-call s3.amazonaws.com:ListBuckets []',
      'OrderApi access-denied iam.amazonaws.com:CreateUser []',
      'OrderApi invocation-spike Invocations []',
    ]);
    assert.match(demo.labels.anomalies[0]?.subject ?? '', /:22\/tcp$/);
    assert.match(demo.labels.anomalies[2]?.subject ?? '', /:3306\/tcp$/);
    const ec2 = demo.enis.find((e) => e.Attachment.InstanceId);
    assert.equal(demo.labels.anomalies[0]?.subject, `${ec2.PrivateIpAddress}:22/tcp`);
  });

  test('network anomalies: only in the detection window, never in the baseline, on the ENIs the labels name', () => {
    for (const s of [demo, mixed, custom]) {
      for (const a of s.labels.anomalies.filter(
        (l) => !l.optional && (l.kinds.includes('new-peer') || l.kinds.includes('rejected-traffic')),
      )) {
        const records = flowsTo(s, a.function, a.subject);
        assert.ok(records.length > 0, `${a.function} ${a.subject}: no records`);
        assert.ok(
          records.every((r) => Number(r.start) >= s.detectStart),
          `${a.subject} seen before the detection window`,
        );
        const rejected = a.kinds.includes('rejected-traffic');
        assert.ok(records.every((r) => r.action === (rejected ? 'REJECT' : 'ACCEPT')));
        // Whoever else sits behind the ENIs that carried it is an acceptable answer too, and nobody else.
        const carriers = new Set(records.map((r) => r['interface-id']));
        const others = new Set<string>();
        for (const e of s.enis.filter((x) => carriers.has(x.NetworkInterfaceId)))
          for (const f of eniFunctions(s, e)) if (f !== a.function) others.add(f);
        assert.deepEqual(a.alsoAcceptableFunctions, [...others].sort());
      }
      // Rejections exist only as injected anomalies.
      const rejects = s.flows.filter((r) => r.action === 'REJECT');
      assert.ok(rejects.every((r) => Number(r.start) >= s.detectStart));
    }
  });

  test("API anomalies: only in the detection window, under the function's own session; denials say so", () => {
    for (const s of [demo, mixed, custom]) {
      for (const a of s.labels.anomalies.filter((l) => l.kinds.includes('new-api-call') || l.kinds.includes('access-denied'))) {
        const calls = callsBy(s, a.function, a.subject);
        assert.ok(calls.length > 0, `${a.function} ${a.subject}`);
        if (a.kinds.includes('new-api-call')) assert.ok(calls.every((c) => Date.parse(c.raw.EventTime) / 1000 >= s.detectStart));
        const denied = calls.filter((c) => c.ct.errorCode);
        if (a.kinds.includes('access-denied')) {
          assert.ok(denied.length > 0);
          for (const c of denied) {
            assert.match(c.ct.errorCode, /AccessDenied|UnauthorizedOperation/);
            assert.ok(Date.parse(c.raw.EventTime) / 1000 >= s.detectStart);
          }
        }
      }
      const deniedBefore = s.events.filter(
        (e) => /AccessDenied|Unauthorized/.test(e.ct.errorCode ?? '') && Date.parse(e.raw.EventTime) / 1000 < s.detectStart,
      );
      assert.equal(deniedBefore.length, 0);
    }
    const denied = callsBy(demo, 'OrderApi', 'iam.amazonaws.com:CreateUser');
    assert.ok(
      denied.every((c) => c.ct.errorCode === 'AccessDenied' && /not authorized to perform: iam:CreateUser/.test(c.ct.errorMessage)),
    );
  });

  test('invocation spikes: far above any baseline hour, and only in the detection window', () => {
    for (const s of [demo, mixed]) {
      const doc = readJson(path.join(s.dir, 'cloudwatch', 'get-metric-data.json'));
      for (const a of s.labels.anomalies.filter((l) => l.kinds.includes('invocation-spike'))) {
        const i = doc.MetricDataQueries.findIndex(
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          (q: any) => q.MetricStat.Metric.MetricName === 'Invocations' && q.MetricStat.Metric.Dimensions[0].Value === a.function,
        );
        const r = doc.MetricDataResults[i];
        let baseline = 0;
        let detection = 0;
        r.Timestamps.forEach((t: string, k: number) => {
          if (Date.parse(t) / 1000 >= s.detectStart) detection = Math.max(detection, r.Values[k]);
          else baseline = Math.max(baseline, r.Values[k]);
        });
        assert.ok(detection > 3 * baseline, `${a.function}: ${detection} vs ${baseline}`);
      }
    }
  });

  test("the demo's benign traps are really there", () => {
    const s = demo;
    const sc = readJson(path.join(s.dir, 'scenario.json'));
    const inBaseline = (r: Record<string, string>) => Number(r.start) < s.detectStart;
    // The SaaS API rotates over four public addresses, each one well known before the detection day.
    const saas = new Map<string, number>();
    for (const r of s.flows) {
      if (
        lambdaEnisOf(s, 'PaymentsWebhook').some((e) => e.NetworkInterfaceId === r['interface-id']) &&
        r.dstport === '443' &&
        !r.dstaddr?.startsWith('10.') &&
        inBaseline(r)
      )
        saas.set(r.dstaddr as string, (saas.get(r.dstaddr as string) ?? 0) + 1);
    }
    assert.equal(saas.size, 4);
    assert.ok([...saas.values()].every((n) => n > 50));
    // NightlyReport's weekly ALB call: two baseline days, and again on the detection day.
    const alb = s.enis.find((e) => e.Description.startsWith('ELB app/'));
    const weekly = flowsTo(s, 'NightlyReport', `${alb.PrivateIpAddress}:443`);
    const days = new Set(weekly.filter(inBaseline).map((r) => Math.floor(Number(r.start) / 86400)));
    assert.equal(days.size, 2);
    assert.ok(weekly.some((r) => !inBaseline(r)));
    // ImageResizer's ALB traffic runs over ENIs that carry ThumbnailMaker's name.
    const shared = lambdaEnisOf(s, 'ImageResizer');
    assert.deepEqual(
      shared.map((e) => e.NetworkInterfaceId).sort(),
      lambdaEnisOf(s, 'ThumbnailMaker')
        .map((e) => e.NetworkInterfaceId)
        .sort(),
    );
    assert.ok(shared.every((e) => e.Description.includes('ENI-ThumbnailMaker-')));
    assert.ok(flowsTo(s, 'ImageResizer', `${alb.PrivateIpAddress}:443`).filter(inBaseline).length > 100);
    // One role, two functions; the Lambda service decrypts under awslambda_ sessions, in the detection window too.
    const role = (n: string) => s.functions.find((f) => f.FunctionName === n).Role;
    assert.equal(role('OrderApi'), role('OrderWorker'));
    assert.ok(s.events.some((e) => e.raw.Username.startsWith('awslambda_') && Date.parse(e.raw.EventTime) / 1000 >= s.detectStart));
    // PaymentsWebhook grows: the last baseline days are busier than the first.
    const doc = readJson(path.join(s.dir, 'cloudwatch', 'get-metric-data.json'));
    const i = doc.MetricDataQueries.findIndex(
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (q: any) => q.MetricStat.Metric.MetricName === 'Invocations' && q.MetricStat.Metric.Dimensions[0].Value === 'PaymentsWebhook',
    );
    const r = doc.MetricDataResults[i];
    const sum = (from: number, to: number) =>
      r.Timestamps.reduce((acc: number, t: string, k: number) => {
        const at = Date.parse(t) / 1000;
        return at >= from && at < to ? acc + r.Values[k] : acc;
      }, 0);
    const start = Date.parse(sc.recordedAt) / 1000 - 15 * 86400;
    assert.ok(sum(s.detectStart - 3 * 86400, s.detectStart) > 1.15 * sum(start, start + 3 * 86400));
    assert.equal(s.labels.benign.length, 5);
  });
});

describe('scale profile', () => {
  test('streams a couple of hundred thousand records, as many as asked for', async () => {
    const r = await gen('scale', '--profile', 'scale', '--functions', '60', '--days', '2', '--records-per-eni-hour', '120', '--seed', '5');
    assert.equal(r.flows.records, countLines(r.flowLogPath));
    assert.ok(r.flowLogPath.endsWith('.log'), 'scale writes plain text by default');
    const expected = r.flows.lambdaEnis * 48 * 120;
    assert.ok(Math.abs(r.flows.lambdaTraffic - expected) / expected < 0.1, `${r.flows.lambdaTraffic} vs ${expected}`);
    assert.ok(r.flows.records > 150_000);
    const fl = readJson(path.join(r.dir, 'ec2', 'describe-flow-logs.json')).FlowLogs[0];
    assert.equal(fl.MaxAggregationInterval, 60);
  });
});

function countLines(file: string): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
  }
  fs.closeSync(fd);
  return lines;
}

describe('command line', () => {
  test('writes the labels next to the directory by default; bad usage exits 2 naming the option', () => {
    const out = path.join(tmp, 'cli');
    const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const ok = spawnSync(
      process.execPath,
      [tsx, 'src/gen/main.ts', '--profile', 'mixed', '--functions', '5', '--days', '3', '--out', out],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /wrote .*5 functions/);
    assert.ok(fs.existsSync(`${out}.labels.json`));
    assert.ok(fs.existsSync(path.join(out, 'cloudwatch', 'get-metric-data.json')));
    const traps = spawnSync(process.execPath, [tsx, 'src/gen/main.ts', '--profile', 'traps', '--days', '3', '--out', `${out}-traps`], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(traps.status, 0, traps.stderr);
    assert.match(traps.stdout, /wrote .*9 functions, .* in the subnet flow log/);
    assert.ok(fs.existsSync(path.join(`${out}-traps`, 'ip-ranges.json')));
    const bad = spawnSync(process.execPath, [tsx, 'src/gen/main.ts', '--profile', 'huge', '--out', out], { cwd: root, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--profile/);
  });
});

describe('hostile profile', () => {
  let a: GenResult;
  let hostile: Scenario;
  before(async () => {
    a = await gen('hostile-a', '--profile', 'hostile', '--seed', '7');
    await gen('hostile-b', '--profile', 'hostile', '--seed', '7');
    hostile = load(a.dir);
  });

  test('the same seed gives byte-identical files', () => {
    const files = filesUnder(a.dir);
    assert.deepEqual(filesUnder(path.join(tmp, 'hostile-b')), files);
    for (const f of files)
      assert.ok(fs.readFileSync(path.join(a.dir, f)).equals(fs.readFileSync(path.join(tmp, 'hostile-b', f))), `${f} differs`);
    assert.ok(fs.readFileSync(a.labelsPath).equals(fs.readFileSync(`${path.join(tmp, 'hostile-b')}.labels.json`)));
  });

  test("the demo's account and anomalies, so that the scan has findings to show the strings in", () => {
    assert.equal(hostile.labels.profile, 'hostile');
    assert.deepEqual(hostile.labels.functions, demo.labels.functions);
    assert.deepEqual(
      hostile.labels.anomalies.map((l) => `${l.function} ${l.kinds.join(',')}`),
      demo.labels.anomalies.map((l) => `${l.function} ${l.kinds.join(',')}`),
    );
    assert.ok(
      hostile.functions.every((f) => /^[A-Za-z0-9_-]{1,64}$/.test(f.FunctionName)),
      'function names stay what AWS allows',
    );
  });

  test('the payloads are where the labels say, and every one of them is used', () => {
    const fields = hostile.labels.hostile ?? [];
    assert.ok(fields.length >= 8, 'the labels list the hostile fields');
    const used = new Set(fields.flatMap((f) => f.payloads));
    for (const p of [...Object.keys(HOSTILE), 'all', 'big']) assert.ok(used.has(p as never), `payload ${p} is used`);
    const descriptions = hostile.enis.map((e) => e.Description as string);
    assert.ok(descriptions.includes(HOSTILE_PEER_DESCRIPTION) && HOSTILE_PEER_DESCRIPTION.includes(HOSTILE_ALL));
    assert.ok(descriptions.includes(`RDSNetworkInterface ${HOSTILE.html}`));
    assert.ok(
      descriptions.every((d) => !/^AWS Lambda VPC ENI/.test(d) || /^AWS Lambda VPC ENI-[\w-]+$/.test(d)),
      'Lambda ENIs keep the descriptions AWS gives them',
    );
    const tags = readJson(path.join(a.dir, 'lambda', 'tags.json')) as Record<string, Record<string, string>>;
    for (const t of Object.values(tags)) {
      assert.equal(t[HOSTILE.html], HOSTILE.markdown);
      assert.match(t['aws:cloudformation:logical-id'] ?? '', /^[A-Za-z0-9]+Function$/, "AWS's own tags are untouched");
    }
    assert.ok(Object.values(tags).some((t) => t.blob === HOSTILE_BIG) && HOSTILE_BIG.length > 100_000);
    const injected = hostile.events.filter((e) => e.ct.userAgent?.includes(HOSTILE_ALL));
    assert.equal(
      injected.length,
      demo.events.filter((e) => /ListBuckets|CreateUser/.test(e.ct.eventName)).length,
      'every injected call carries a hostile user agent',
    );
    assert.ok(injected.every((e) => e.ct.requestParameters.padding === HOSTILE_BIG));
    const messages = hostile.events.filter((e) => e.ct.errorCode === 'AccessDenied').map((e) => e.ct.errorMessage as string);
    assert.ok(messages.some((m) => m.endsWith(HOSTILE_ALL)) && messages.some((m) => m.endsWith(HOSTILE_BIG)));
    assert.ok(
      messages.every((m) => m.startsWith('User: arn:aws:sts::')),
      "the messages still read as AWS's",
    );
  });

  test('lone surrogates and NUL survive the JSON files as escapes', () => {
    const raw = fs.readFileSync(path.join(a.dir, 'ec2', 'describe-network-interfaces.json'), 'utf8');
    assert.ok(raw.includes('\\ud800') && raw.includes('\\udfff') && raw.includes('\\u0000'));
    assert.ok(!raw.includes('\u0000'), 'no raw NUL in the file');
  });
});
