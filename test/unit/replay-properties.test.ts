// Property-based tests (fast-check) of the scenario loader: any bytes in any scenario file give a report or an InputError naming the file.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import type { ScanReport } from '../../src/core/model';
import { InputError } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { openScenario } from '../../src/replay/scenario';
import { renderHtml } from '../../src/report/html';
import { redactReport } from '../../src/report/redact';
import { renderSarif } from '../../src/report/sarif';
import { renderText } from '../../src/report/text';

const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 23);
const DETECT = NOW - 24 * H;
const BASE = DETECT - 7 * 24 * H;
const OPTIONS = { baselineDays: 7, detectHours: 24 };
const isoS = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
const sec = (ms: number) => Math.floor(ms / 1000);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-props-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let serial = 0;

/** A CloudTrail record kept as an object here and written as the JSON string LookupEvents returns, so mutations reach inside it. */
const EMBEDDED = '\u0000embedded';

function trailEvent(id: string, t: number, eventSource: string, eventName: string, extra: Record<string, Json> = {}): Json {
  return {
    EventId: id,
    EventName: eventName,
    EventTime: isoS(t),
    EventSource: eventSource,
    Username: 'orders',
    CloudTrailEvent: {
      [EMBEDDED]: {
        eventVersion: '1.09',
        userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/orders-role/orders' },
        eventTime: isoS(t),
        eventSource,
        eventName,
        eventID: id,
        sourceIPAddress: '3.91.52.239',
        userAgent: 'aws-sdk-js/3',
        ...extra,
      },
    },
  };
}

/** One VPC function with its ENI, an RDS ENI, a flow log, trail events, metrics and ip-ranges: every file the loader reads. */
function baseFiles(): Record<string, Json> {
  const fnArn = 'arn:aws:lambda:us-east-1:123456789012:function:orders';
  const stamps: string[] = [];
  for (let t = NOW - H; t >= BASE; t -= H) stamps.push(isoS(t));
  const q = (id: string, metric: string) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/Lambda', MetricName: metric, Dimensions: [{ Name: 'FunctionName', Value: 'orders' }] },
      Period: 3600,
      Stat: 'Sum',
    },
  });
  return {
    'scenario.json': { formatVersion: 1, accountId: '123456789012', region: 'us-east-1', recordedAt: isoS(NOW), description: 'props' },
    'lambda/list-functions.json': {
      Functions: [
        {
          FunctionName: 'orders',
          FunctionArn: fnArn,
          Runtime: 'python3.12',
          Role: 'arn:aws:iam::123456789012:role/orders-role',
          Handler: 'app.handler',
          LastModified: '2026-10-01T00:00:00.000+0000',
          VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'], VpcId: 'vpc-1' },
        },
      ],
    },
    'lambda/tags.json': { [fnArn]: { team: 'payments', 'aws:cloudformation:logical-id': 'Orders' } },
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
          Ipv6Addresses: [{ Ipv6Address: '2600:1f18::10' }],
          Status: 'in-use',
          Attachment: { AttachTime: isoS(BASE - 30 * 24 * H) },
          Association: { PublicIp: '52.1.2.3' },
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
        trailEvent('e-1', DETECT + 2 * H, 'iam.amazonaws.com', 'ListRoles'),
        trailEvent('e-2', BASE + 2 * H, 's3.amazonaws.com', 'GetObject'),
        trailEvent('e-3', DETECT + 3 * H, 's3.amazonaws.com', 'GetObject', { errorCode: 'AccessDenied', errorMessage: 'not allowed' }),
      ],
    },
    'cloudwatch/get-metric-data.json': {
      StartTime: isoS(BASE),
      EndTime: isoS(NOW),
      MetricDataQueries: [q('m0', 'Invocations'), q('m1', 'Errors'), q('m2', 'Throttles')],
      MetricDataResults: [
        { Id: 'm0', Label: 'Invocations', Timestamps: stamps, Values: stamps.map((_, i) => (i < 3 ? 400 : 20)), StatusCode: 'Complete' },
        { Id: 'm1', Label: 'Errors', Timestamps: stamps.slice(0, 2), Values: [5, 1], StatusCode: 'Complete' },
        { Id: 'm2', Label: 'Throttles', Timestamps: [], Values: [], StatusCode: 'Complete' },
      ],
    },
    'ip-ranges.json': {
      syncToken: '1',
      createDate: '2026-11-01-00-00-00',
      prefixes: [{ ip_prefix: '52.0.0.0/11', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' }],
      ipv6_prefixes: [{ ipv6_prefix: '2600:1f18::/33', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' }],
    },
  };
}

function flowText(): string {
  const lines: string[] = [];
  const rec = (src: string, dst: string, sp: number, dp: number, t: number, action = 'ACCEPT') =>
    `2 123456789012 eni-orders ${src} ${dst} ${sp} ${dp} 6 10 1000 ${sec(t)} ${sec(t) + 30} ${action} OK`;
  for (let t = BASE; t < NOW; t += 6 * H) {
    lines.push(rec('10.0.1.10', '10.0.3.14', 40000, 5432, t + 60_000));
    lines.push(rec('10.0.3.14', '10.0.1.10', 5432, 40000, t + 60_000));
  }
  lines.push(rec('10.0.1.10', '185.220.101.45', 41000, 22, DETECT + 5 * H));
  lines.push(rec('10.0.1.10', '10.0.9.9', 41001, 3306, DETECT + 6 * H, 'REJECT'));
  return lines.join('\n') + '\n';
}

/** JSON text of a file; number placeholders become literals JSON.stringify cannot write (1e999 parses to Infinity). */
const NUMBER_LITERALS = [
  '1e999',
  '-1e999',
  '1e21',
  '-0',
  '1e-400',
  '8640000000000001',
  '-8640000000000001',
  '1.7976931348623157e308',
  '123456789012345678901234567890',
];
const NUMBER_MARK = '\u0001num:';

function toText(value: Json): string {
  const embed = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(embed);
    if (v && typeof v === 'object') {
      if (Object.prototype.hasOwnProperty.call(v, EMBEDDED) && Object.keys(v).length === 1) return JSON.stringify(embed(v[EMBEDDED]));
      const out: Record<string, Json> = {};
      for (const k of Object.keys(v))
        Object.defineProperty(out, k, { value: embed(v[k]), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  return JSON.stringify(embed(value), null, 1)
    .replace(/"\\u0001num:(\d+)"/g, (_, i: string) => NUMBER_LITERALS[Number(i)])
    .replace(/"\\u0002deep:(\d+)"/g, (_, i: string) => [...DEEP_LITERALS, ...HUGE_LITERALS][Number(i)]);
}

function writeScenario(
  files: Record<string, Json | Buffer | string | undefined>,
  flow: { name: string; data: Buffer | string } | undefined = { name: 'fl-1.log', data: flowText() },
): string {
  const dir = path.join(root, `s${++serial}`);
  for (const [rel, value] of Object.entries(files)) {
    if (value === undefined) continue;
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.isBuffer(value) || typeof value === 'string' ? value : toText(value));
  }
  if (flow) {
    fs.mkdirSync(path.join(dir, 'flowlogs'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'flowlogs', flow.name), flow.data);
  }
  return dir;
}

/** Every node of a document as a path of keys, the embedded CloudTrail records included. */
function nodePaths(value: Json, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => nodePaths(v, [...at, i], out));
  else if (value && typeof value === 'object') for (const k of Object.keys(value)) nodePaths(value[k], [...at, k], out);
  return out;
}

function replaceAt(doc: Json, at: Array<string | number>, replacement: Json): Json {
  if (at.length === 0) return replacement;
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  node[at[at.length - 1]] = replacement;
  return copy as Json;
}

/** Objects whose own keys are the ones prototype pollution uses (JSON.parse makes `__proto__` an own key). */
const pollution: fc.Arbitrary<Json> = fc.constantFrom(
  JSON.parse('{"__proto__":{"polluted":"yes","FunctionName":"x","length":3}}') as Json,
  JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}}}') as Json,
  JSON.parse('{"__proto__":[1,2,3],"toString":"x","valueOf":{},"hasOwnProperty":1}') as Json,
);
const awkwardString = fc.constantFrom(
  '',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  'null',
  '0',
  '+275760-09-13T00:00:00.001Z',
  '-271821-04-20T00:00:00.000Z',
  '9999-99-99T99:99:99Z',
  '2026-11-22T10:00:00Z',
  '10.0.1.10',
  '999.1.2.3',
  '::',
  'fe80::1%eth0',
  'eni-orders',
  'orders',
  'vpc-1',
  'subnet-1',
  'sg-1',
  '${srcaddr}',
  '${version} ${srcaddr}',
  'x'.repeat(100_000),
  '\u202e\u0000\u001b[31m<script>',
);
const awkwardNumber = fc.oneof(
  fc.constantFrom(...NUMBER_LITERALS.map((_, i) => `${NUMBER_MARK}${i}`)),
  fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53 + 1, -(2 ** 53), 0.5, 1e20, -1e20, 8.64e15, 1794096000, Number.MAX_VALUE, Number.MIN_VALUE),
);
/** Deeply nested values, written as text (as placeholders until then: the test's own helpers recurse). */
const DEEP_LITERALS = [2_000, 100_000].flatMap((depth) => [
  '['.repeat(depth) + ']'.repeat(depth),
  '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
]);
const DEEP_MARK = '\u0002deep:';
const deep: fc.Arbitrary<Json> = fc.constantFrom(...DEEP_LITERALS.map((_, i) => `${DEEP_MARK}${i}`));
const HUGE_LITERALS = [
  JSON.stringify(Array.from({ length: 50_000 }, (_, i) => i)),
  JSON.stringify(Array.from({ length: 5_000 }, () => ({}))),
  JSON.stringify(Array.from({ length: 5_000 }, (_, i) => `eni-${i}`)),
  JSON.stringify(Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]))),
];
const huge: fc.Arbitrary<Json> = fc.constantFrom(...HUGE_LITERALS.map((_, i) => `${DEEP_MARK}${DEEP_LITERALS.length + i}`));
const replacement: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 3, arbitrary: awkwardString },
  { weight: 3, arbitrary: awkwardNumber as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: pollution },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, true, false, [], {}) },
);

const FILES = Object.keys(baseFiles());

/** Opens and scans the scenario, renders every format; returns the report, or the InputError it gave. Anything else fails the test. */
async function openAndScan(dir: string, badFile: string): Promise<ScanReport | InputError> {
  let report: ScanReport;
  try {
    report = await scan(openScenario(dir), OPTIONS);
  } catch (err) {
    assert.ok(err instanceof InputError, `${badFile}: ${err instanceof Error ? err.stack : String(err)}`);
    assert.ok(err.message.includes(path.join(dir, badFile)), `the message names ${badFile}: ${err.message.slice(0, 300)}`);
    assert.ok(err.message.length < 2_000, `a readable message, not ${err.message.length} characters`);
    return err;
  }
  // Whatever was loaded must survive every output format (and redaction) without throwing.
  const json = JSON.stringify(report);
  assert.ok(json.length > 0);
  renderText(report, { color: false });
  renderHtml(report);
  renderSarif(report, 'test');
  JSON.stringify(redactReport(report));
  return report;
}

function assertNotPolluted(): void {
  const probe = {} as Record<string, unknown>;
  assert.equal(probe.polluted, undefined, 'Object.prototype was polluted');
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
}

describe('scenario loader: the base scenario', () => {
  test('scans to findings (so the mutations below start from something that works)', async () => {
    const r = await openAndScan(writeScenario(baseFiles()), 'scenario.json');
    assert.ok(!(r instanceof InputError));
    const kinds = r.functions[0].findings.map((f) => f.kind).sort();
    assert.ok(kinds.includes('new-peer') && kinds.includes('new-api-call') && kinds.includes('access-denied'), kinds.join(', '));
  });
});

describe('scenario loader: any bytes in any file', () => {
  test('arbitrary bytes, text, or a truncated file: a report or an InputError naming the file', async () => {
    const base = baseFiles();
    const content = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom(
        '',
        ' ',
        '\ufeff{}',
        '{',
        '}',
        '[',
        'null',
        'true',
        '0',
        '"x"',
        '{}',
        '[]',
        '{"Functions":',
        '\u0000',
        'NaN',
        'Infinity',
        '{"a":1,}',
        "{'a':1}",
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FILES), fc.oneof(content, fc.double({ min: 0, max: 1, noNaN: true })), async (file, what) => {
        const bytes = typeof what === 'number' ? toText(base[file]).slice(0, Math.floor(toText(base[file]).length * what)) : what;
        await openAndScan(writeScenario({ ...base, [file]: bytes }), file);
        assertNotPolluted();
      }),
      { numRuns: 300 },
    );
  });

  test('valid JSON with the wrong type anywhere inside (deep values, NaN-ish numbers, __proto__ keys, deep nesting, huge arrays)', async () => {
    const base = baseFiles();
    const mutation = fc.constantFrom(...FILES).chain((file) => {
      const paths = nodePaths(base[file]);
      return fc.tuple(fc.constant(file), fc.array(fc.tuple(fc.constantFrom(...paths), replacement), { minLength: 1, maxLength: 3 }));
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ([file, edits]) => {
        let doc = base[file];
        for (const [at, value] of edits) {
          try {
            doc = replaceAt(doc, at, value);
          } catch {
            // An earlier edit replaced this path's parent: skip it.
          }
        }
        await openAndScan(writeScenario({ ...base, [file]: doc }), file);
        assertNotPolluted();
      }),
      { numRuns: 600 },
    );
  });

  test('a failing file is named even when other files are fine, and a missing file says missing', async () => {
    for (const file of FILES) {
      if (file === 'lambda/tags.json' || file === 'ip-ranges.json') continue;
      const dir = writeScenario({ ...baseFiles(), [file]: undefined });
      const r = await openAndScan(dir, file);
      assert.ok(r instanceof InputError && /missing/.test(r.message), file);
    }
  });
});

describe('scenario loader: specific hostile shapes', () => {
  test("__proto__ as a function ARN or tag key: no pollution, tags are the function's own strings", async () => {
    const files = baseFiles();
    const fns = files['lambda/list-functions.json'] as { Functions: Array<Record<string, Json>> };
    fns.Functions.push(
      { FunctionName: 'proto', FunctionArn: '__proto__' },
      { FunctionName: 'ctor', FunctionArn: 'constructor' },
      { FunctionName: 'tostr', FunctionArn: 'toString' },
    );
    files['lambda/tags.json'] = JSON.parse(
      '{"arn:aws:lambda:us-east-1:123456789012:function:orders":{"__proto__":{"x":"y"},"team":"payments","n":5,"deep":{"a":{"b":1}}}}',
    ) as Json;
    const r = await openAndScan(writeScenario(files), 'lambda/tags.json');
    assert.ok(!(r instanceof InputError), String(r));
    const tags = Object.fromEntries(r.functions.map((f) => [f.name, f.tags ?? {}]));
    for (const name of ['proto', 'ctor', 'tostr']) assert.deepEqual(Object.entries(tags[name]), [], name);
    assert.equal(tags.orders.team, 'payments');
    for (const v of Object.values(tags.orders)) assert.equal(typeof v, 'string');
    assert.equal(Object.getPrototypeOf(tags.orders), Object.prototype);
    assertNotPolluted();
  });

  test('recorded failures that are not strings are refused naming the file', async () => {
    const files = baseFiles();
    files['scenario.json'] = {
      ...(files['scenario.json'] as Record<string, Json>),
      failures: { 'cloudtrail:LookupEvents': `${DEEP_MARK}2` },
    };
    const r = await openAndScan(writeScenario(files), 'scenario.json');
    assert.ok(r instanceof InputError && /failures/.test(r.message), String(r));
  });

  test('times outside what a Date can hold are refused naming the file and entry, not a RangeError later', async () => {
    const files = baseFiles();
    const enis = files['ec2/describe-network-interfaces.json'] as { NetworkInterfaces: Array<Record<string, Json>> };
    enis.NetworkInterfaces[0].Attachment = { AttachTime: 1e20 };
    const r = await openAndScan(writeScenario(files), 'ec2/describe-network-interfaces.json');
    assert.ok(r instanceof InputError, 'refused');
    assert.match(r.message, /NetworkInterfaces\[0\].*AttachTime/);
  });
});

describe('flow-log files: truncated gzip and garbage', () => {
  test('any bytes in a .log or .log.gz file: the scan finishes, counting malformed records or warning about the file', async () => {
    const gz = zlib.gzipSync(flowText());
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)),
      fc.double({ min: 0, max: 1, noNaN: true }).map((f) => gz.subarray(0, Math.floor(gz.length * f))),
      fc.tuple(fc.nat(gz.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
        const copy = Buffer.from(gz);
        copy[i] = b;
        return copy;
      }),
      fc.uint8Array({ minLength: 1, maxLength: 500 }).map((b) => Buffer.concat([gz, Buffer.from(b)])),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('fl-1.log', 'fl-1.log.gz'), data, async (name, bytes) => {
        const dir = writeScenario(baseFiles(), { name, data: bytes });
        const r = await openAndScan(dir, `flowlogs/${name}`);
        assert.ok(!(r instanceof InputError), 'a bad flow-log file does not stop the scan');
        const s = r.stats!;
        assert.ok(s.flowRecordsAttributed + s.malformedFlowRecords <= s.flowRecords);
        // The other sources are still read.
        assert.ok(r.functions[0].apiCalls.length > 0);
        if (s.malformedFlowRecords > 0)
          assert.ok(
            r.warnings.some((w) => w.includes('malformed')),
            r.warnings.join('\n'),
          );
      }),
      { numRuns: 200 },
    );
  });

  test('a truncated .gz names the file in a warning and keeps the records before the cut', async () => {
    const gz = zlib.gzipSync(flowText());
    const dir = writeScenario(baseFiles(), { name: 'fl-1.log.gz', data: gz.subarray(0, gz.length - 12) });
    const r = await openAndScan(dir, 'flowlogs/fl-1.log.gz');
    assert.ok(!(r instanceof InputError));
    assert.ok(
      r.warnings.some((w) => w.includes(path.join(dir, 'flowlogs', 'fl-1.log.gz'))),
      r.warnings.join('\n'),
    );
    assert.ok(r.stats!.flowRecordsAttributed > 0);
  });
});

describe('scenario loader: time stays linear in the size of the input', () => {
  test('8× the events and ENIs take well under 8²× the time to load', () => {
    const sized = (n: number) => {
      const files = baseFiles();
      const events = (files['cloudtrail/lookup-events.json'] as { Events: Json[] }).Events;
      const enis = (files['ec2/describe-network-interfaces.json'] as { NetworkInterfaces: Array<Record<string, Json>> }).NetworkInterfaces;
      const fns = (files['lambda/list-functions.json'] as { Functions: Array<Record<string, Json>> }).Functions;
      for (let i = 0; i < n; i++) {
        events.push(trailEvent(`g-${i}`, BASE + (i % (8 * 24)) * H, 'dynamodb.amazonaws.com', 'GetItem'));
        if (i % 10 === 0) enis.push({ ...enis[1], NetworkInterfaceId: `eni-x${i}`, PrivateIpAddress: `10.1.${(i >> 8) & 255}.${i & 255}` });
        if (i % 10 === 0) fns.push({ FunctionName: `fn-${i}`, FunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:fn-${i}` });
      }
      return writeScenario(files);
    };
    const time = (dir: string) => {
      const t0 = process.hrtime.bigint();
      openScenario(dir);
      return Number(process.hrtime.bigint() - t0);
    };
    const small = sized(5_000);
    const large = sized(40_000);
    time(small); // warm up
    const a = Math.min(time(small), time(small));
    const b = Math.min(time(large), time(large));
    assert.ok(b < a * 8 * 4, `5k events ${(a / 1e6).toFixed(1)} ms, 40k events ${(b / 1e6).toFixed(1)} ms`);
  });
});
