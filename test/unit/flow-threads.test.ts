// Flow logs parsed on several threads give the very report one thread gives, whatever the split; cancelling stops the threads; a failing thread is an error naming the file.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { COMPACT_ROW_FIELDS, FlowAggregator } from '../../src/core/flowlog/aggregate';
import { parseLogFormat } from '../../src/core/flowlog/format';
import type { FlowAggregate, ScanReport } from '../../src/core/model';
import { scan } from '../../src/core/scan';
import { UnknownEniCounter } from '../../src/core/scan/flow-logs';
import {
  inflatedInThread,
  liveFlowWorkers,
  startedFlowWorkers,
  usesInflatingThread,
  type FlowThreadOptions,
} from '../../src/node/flow-workers';
import { openScenario } from '../../src/replay/scenario';

const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 23);
const DETECT = NOW - 24 * H;
const BASE = DETECT - 7 * 24 * H;
const OPTIONS = { baselineDays: 7, detectHours: 24 };
const isoS = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
const sec = (ms: number) => Math.floor(ms / 1000);
/** A LogFormat without interface-id: records are attributed by address and time, through the ENI history. */
const NO_INTERFACE_FORMAT =
  '${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-threads-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let serial = 0;

function eni(id: string, address: string, type: string): Record<string, unknown> {
  return {
    NetworkInterfaceId: id,
    InterfaceType: type,
    Description: type === 'lambda' ? `AWS Lambda VPC ENI-${id}` : 'RDSNetworkInterface',
    SubnetId: 'subnet-1',
    VpcId: 'vpc-1',
    Groups: [{ GroupId: 'sg-1' }],
    PrivateIpAddress: address,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: address }],
    Ipv6Addresses: [],
    Status: 'in-use',
    ...(type === 'lambda' ? { Attachment: { AttachTime: isoS(BASE - 30 * 24 * H) } } : {}),
  };
}

/** Two VPC functions (two Lambda ENIs), an RDS ENI, one flow log in `logFormat` whose file is `flow`. */
function writeScenario(flow: Buffer, gz: boolean, logFormat: string): string {
  const dir = path.join(root, `s${++serial}`);
  const files: Record<string, unknown> = {
    'scenario.json': { formatVersion: 1, accountId: '123456789012', region: 'us-east-1', recordedAt: isoS(NOW) },
    'lambda/list-functions.json': {
      Functions: ['orders', 'billing'].map((name, i) => ({
        FunctionName: name,
        FunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
        Runtime: 'python3.12',
        Role: `arn:aws:iam::123456789012:role/${name}`,
        Handler: 'app.handler',
        LastModified: '2026-10-01T00:00:00.000+0000',
        VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: [`sg-${i}`], VpcId: 'vpc-1' },
      })),
    },
    'ec2/describe-network-interfaces.json': {
      NetworkInterfaces: [
        { ...eni('eni-orders', '10.0.1.10', 'lambda'), Groups: [{ GroupId: 'sg-0' }] },
        { ...eni('eni-billing', '10.0.1.11', 'lambda'), Groups: [{ GroupId: 'sg-1' }] },
        eni('eni-rds', '10.0.3.14', 'interface'),
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
          LogFormat: logFormat,
        },
      ],
    },
    'cloudtrail/lookup-events.json': { Events: [] },
    'cloudwatch/get-metric-data.json': { MetricDataQueries: [], MetricDataResults: [] },
  };
  for (const [rel, value] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), JSON.stringify(value));
  }
  fs.mkdirSync(path.join(dir, 'flowlogs'));
  fs.writeFileSync(path.join(dir, 'flowlogs', gz ? 'fl-1.log.gz' : 'fl-1.log'), gz ? zlib.gzipSync(flow) : flow);
  return dir;
}

const INTERFACES = ['eni-orders', 'eni-billing', 'eni-rds', 'eni-gone1', 'eni-gone2'];
const LOCAL = ['10.0.1.10', '10.0.1.11', '10.0.3.14', '10.0.7.7'];
const REMOTE = ['10.0.3.14', '185.220.101.45', '52.94.1.1', '10.0.9.9', '2600:1f18::1'];

/** One line of any kind a flow log holds: records of every ENI and time, NODATA and SKIPDATA, malformed lines, CRLF. */
const line = (withInterface: boolean): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 12,
      arbitrary: fc
        .record({
          iface: fc.constantFrom(...INTERFACES),
          local: fc.constantFrom(...LOCAL),
          remote: fc.constantFrom(...REMOTE),
          egress: fc.boolean(),
          port: fc.constantFrom(22, 443, 5432, 3306, 41000),
          eph: fc.integer({ min: 1024, max: 65535 }),
          t: fc.integer({ min: BASE - 2 * H, max: NOW + H }),
          reject: fc.boolean(),
          bytes: fc.integer({ min: 0, max: 1e9 }),
          crlf: fc.boolean(),
        })
        .map((r) => {
          const [src, dst, sp, dp] = r.egress ? [r.local, r.remote, r.eph, r.port] : [r.remote, r.local, r.port, r.eph];
          const fields = [
            ...(withInterface ? [r.iface] : []),
            src,
            dst,
            sp,
            dp,
            6,
            3,
            r.bytes,
            sec(r.t),
            sec(r.t) + 40,
            r.reject ? 'REJECT' : 'ACCEPT',
            'OK',
          ];
          return `2 ${withInterface ? '123456789012 ' : ''}${fields.join(' ')}${r.crlf ? '\r' : ''}`;
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('NODATA', 'SKIPDATA')
        .map((s) => `2 123456789012 eni-orders - - - - - - - ${sec(DETECT)} ${sec(DETECT) + 60} - ${s}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'garbage',
        '2 123456789012 eni-orders 10.0.1.10 1.2.3.4 x 443 6 1 1 1 1 ACCEPT OK',
        '2 1 2 3',
        `2 123456789012 eni-orders 10.0.1.10 1.2.3.4 1 443 6 1 1 ${sec(DETECT)} ${sec(DETECT)} MAYBE OK`,
      ),
    },
  );

const flowFile = fc.boolean().chain((withInterface) =>
  fc.record({
    withInterface: fc.constant(withInterface),
    lines: fc.array(line(withInterface), { minLength: 0, maxLength: 300 }),
    // A line longer than the parser keeps, somewhere, sometimes; the last line without its newline, sometimes.
    longAt: fc.option(fc.nat(), { nil: undefined }),
    noFinalNewline: fc.boolean(),
  }),
);

/** The report without what differs between two runs of the same scan (when it was made, timings). */
function comparable(report: ScanReport): unknown {
  const copy = structuredClone(report) as ScanReport & { stats?: Record<string, unknown> };
  delete copy.generatedAt;
  if (copy.stats) {
    delete copy.stats.durationMs;
    delete copy.stats.stageMs;
  }
  return copy;
}

async function scanWith(dir: string, flowThreads: FlowThreadOptions, signal?: AbortSignal): Promise<unknown> {
  return comparable(await scan(openScenario(dir, 'props', { flowThreads }), { ...OPTIONS, ...(signal ? { signal } : {}) }));
}

/** Rows in an order that does not depend on the order they were aggregated in. */
const sorted = (rows: FlowAggregate[]) => rows.map((r) => JSON.stringify(r)).sort();

describe('compact rows (how a thread sends its rows back)', () => {
  test('merge into another aggregator as the very rows the first gave, grouped by peer, samples and services kept, after a structured clone', () => {
    fc.assert(
      fc.property(fc.array(line(true), { maxLength: 300 }), fc.boolean(), fc.boolean(), (lines, v5, onlyOrders) => {
        const enis = [
          { id: 'eni-orders', addresses: ['10.0.1.10'] },
          { id: 'eni-billing', addresses: ['10.0.1.11'] },
        ];
        const agg = new FlowAggregator(enis, { start: BASE - H, end: NOW }, DETECT);
        // v5 names AWS services: the peers of some rows carry one.
        const format = v5
          ? parseLogFormat(
              '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${pkt-dst-aws-service}',
            )
          : parseLogFormat(undefined);
        const stream = agg.stream(format, 'f');
        const services = ['S3', 'DYNAMODB', '-'];
        stream.push(Buffer.from(lines.map((l, i) => (v5 ? `${l.replace(/\r$/, '')} ${services[i % 3]}` : l)).join('\n') + '\n', 'latin1'));
        stream.end();
        const compact = agg.compactAggregates();
        const received = structuredClone(compact, { transfer: [compact.numbers.buffer, compact.sampleRows.buffer] as ArrayBuffer[] });
        // Grouped by peer: each peer's rows in one run, so the merge looks it up once.
        const peerColumn = Array.from({ length: received.count }, (_, row) => received.numbers[row * COMPACT_ROW_FIELDS + 8]);
        const runs = peerColumn.filter((p, i) => i === 0 || p !== peerColumn[i - 1]);
        assert.equal(new Set(runs).size, runs.length);
        // Merged into an aggregator that lists the ENIs in another order, they give the same rows again; with one ENI
        // not covered, its records count as other interfaces, as they would from the raw lines.
        const merged = new FlowAggregator([...enis].reverse(), { start: BASE - H, end: NOW }, DETECT);
        merged.addCompact(
          received,
          enis.map((e) => e.id),
          onlyOrders ? ['eni-orders'] : undefined,
        );
        const expected = agg.aggregates().filter((r) => !onlyOrders || r.eniId === 'eni-orders');
        assert.deepEqual(sorted(merged.aggregates()), sorted(expected));
        const billing = agg
          .aggregates()
          .filter((r) => r.eniId === 'eni-billing')
          .reduce((n, r) => n + r.flows, 0);
        assert.equal(merged.stats.otherInterfaces, onlyOrders ? billing : 0);
        assert.equal(
          merged.stats.attributed,
          expected.reduce((n, r) => n + r.flows, 0),
        );
      }),
      { numRuns: 60 },
    );
  });
});

describe('an aggregator drained between pieces (a parsing thread reuses one)', () => {
  test('gives each piece the rows, statistics and other interfaces a new aggregator would', () => {
    fc.assert(
      fc.property(fc.array(fc.array(line(true), { maxLength: 80 }), { minLength: 1, maxLength: 4 }), (pieces) => {
        const enis = [
          { id: 'eni-orders', addresses: ['10.0.1.10'] },
          { id: 'eni-billing', addresses: ['10.0.1.11'] },
        ];
        const range = { start: BASE - H, end: NOW };
        const reused = new UnknownEniCounter(enis, range, DETECT);
        for (const piece of pieces) {
          const text = Buffer.from(piece.join('\n') + '\n', 'latin1');
          const fresh = new UnknownEniCounter(enis, range, DETECT);
          for (const agg of [reused, fresh]) {
            const stream = agg.stream(parseLogFormat(undefined), 'f', ['eni-orders']);
            stream.push(text);
            stream.end();
          }
          const others = reused.drainOtherInterfaces();
          const { rows, stats } = reused.drainCompact();
          const merged = new FlowAggregator(enis, range, DETECT);
          merged.addCompact(
            rows,
            enis.map((e) => e.id),
          );
          assert.deepEqual(sorted(merged.aggregates()), sorted(fresh.aggregates()));
          assert.deepEqual(stats, fresh.stats);
          assert.deepEqual(others, [...fresh.otherInterfaces]);
        }
        // Drained, it holds nothing.
        assert.equal(reused.aggregates().length, 0);
        assert.equal(reused.stats.records, 0);
      }),
      { numRuns: 60 },
    );
  });
});

describe('flow logs on several threads', () => {
  test('the report is the same as one thread gives, for any split, thread count and file kind', async () => {
    await fc.assert(
      fc.asyncProperty(
        flowFile,
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 4096 }),
        async (file, threads, gz, cutSeeds, segmentBytes) => {
          const lines = [...file.lines];
          if (file.longAt !== undefined) lines.splice(file.longAt % (lines.length + 1), 0, 'x'.repeat(70_000));
          const text = lines.join('\n') + (file.noFinalNewline || lines.length === 0 ? '' : '\n');
          const bytes = Buffer.from(text, 'latin1');
          const dir = writeScenario(bytes, gz, file.withInterface ? '' : NO_INTERFACE_FORMAT);
          const one = await scanWith(dir, { threads: 1 });
          const cuts = cutSeeds.map((s) => s % (bytes.length + 1));
          const before = startedFlowWorkers();
          const many = await scanWith(dir, { threads, minBytes: 0, cuts, segmentBytes });
          assert.deepEqual(many, one);
          // More than one thread asked for: the file was parsed on threads (as many as there were pieces, at most).
          if (threads > 1 && bytes.length > 0) assert.ok(startedFlowWorkers() > before, 'no thread started');
          fs.rmSync(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: 25 },
    );
    assert.equal(liveFlowWorkers(), 0);
  });

  test('threads are used: records are counted and attributed as on one thread, from a file cut in many pieces', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++)
      lines.push(
        `2 123456789012 eni-orders 10.0.1.10 10.0.3.14 ${40000 + (i % 50)} 5432 6 3 300 ${sec(BASE + i * 20_000)} ${sec(BASE + i * 20_000) + 30} ACCEPT OK`,
      );
    const text = Buffer.from(lines.join('\n') + '\n');
    for (const gz of [false, true]) {
      const dir = writeScenario(text, gz, '');
      const before = startedFlowWorkers();
      // Every range of a plain file is handed out at once: both threads start. Inflated pieces come one at a time.
      const options = { threads: 2, minBytes: 0, segmentBytes: 10_000, cuts: [1, 2, 3].map((i) => Math.round((i * text.length) / 4)) };
      const report = await scan(openScenario(dir, 'props', { flowThreads: options }), OPTIONS);
      if (gz) assert.ok(startedFlowWorkers() - before >= 1, 'no thread started');
      else assert.equal(startedFlowWorkers() - before, 2);
      assert.equal(report.stats?.flowRecords, 30_000);
      assert.equal(report.stats?.flowRecordsAttributed, 30_000);
      assert.deepEqual(comparable(report), await scanWith(dir, { threads: 1 }));
    }
  });

  test('a truncated or not-gzip .gz file: the same report and warning as one thread gives, the records before the cut kept', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++)
      lines.push(
        `2 123456789012 eni-orders 10.0.1.10 10.0.3.14 ${40000 + (i % 50)} 5432 6 3 300 ${sec(BASE + i * 30_000)} ${sec(BASE + i * 30_000) + 30} ACCEPT OK`,
      );
    const text = Buffer.from(lines.join('\n') + '\n');
    const gz = zlib.gzipSync(text);
    for (const [what, data] of [
      ['truncated', gz.subarray(0, Math.floor(gz.length * 0.6))],
      ['not gzip', text],
    ] as const) {
      const dir = writeScenario(Buffer.alloc(0), true, '');
      const file = path.join(dir, 'flowlogs', 'fl-1.log.gz');
      fs.writeFileSync(file, data);
      const one = (await scanWith(dir, { threads: 1 })) as ScanReport;
      const before = startedFlowWorkers();
      const many = (await scanWith(dir, { threads: 2, minBytes: 0, segmentBytes: 64 * 1024 })) as ScanReport;
      assert.ok(startedFlowWorkers() > before, `${what}: threads were used`);
      assert.deepEqual(many, one, what);
      assert.ok(
        many.warnings.some((w) => w.includes(file) && /stopped early/.test(w)),
        `${what}: ${many.warnings.join('\n')}`,
      );
      if (what === 'truncated') assert.ok((many.stats?.flowRecordsAttributed ?? 0) > 5_000, 'records before the cut are used');
    }
    assert.equal(liveFlowWorkers(), 0);
  });

  test('cancelling a scan stops its threads', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++)
      lines.push(
        `2 123456789012 eni-orders 10.0.1.10 10.0.3.14 ${40000 + (i % 500)} 5432 6 3 300 ${sec(BASE + (i % 10_000) * 60_000)} ${sec(BASE) + 30} ACCEPT OK`,
      );
    const text = Buffer.from(lines.join('\n') + '\n');
    // A plain file cut in 40 ranges, and the same gzipped (an inflating thread feeding the parsing ones, small pieces).
    for (const gz of [false, true]) {
      const dir = writeScenario(text, gz, '');
      const controller = new AbortController();
      const options = gz
        ? { threads: 2, minBytes: 0, segmentBytes: 256 * 1024 }
        : { threads: 2, minBytes: 0, cuts: Array.from({ length: 40 }, (_, i) => i * 400_000) };
      const scanning = scanWith(dir, options, controller.signal);
      // Abort once a thread is at work (threads start as the pieces are handed out; a thread loads for a while first).
      for (let i = 0; i < 2000 && liveFlowWorkers() === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(liveFlowWorkers() > 0, 'no parsing thread started');
      controller.abort();
      await assert.rejects(scanning, (err: Error) => err.name === 'AbortError' || /abort/i.test(err.message));
      for (let i = 0; i < 100 && liveFlowWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(liveFlowWorkers(), 0, gz ? 'gzip' : 'plain');
    }
  });

  for (const [kind, script] of [
    ['throws', 'throw new Error("boom");'],
    ['exits', 'process.exit(3);'],
    [
      'never answers and dies',
      'require("node:worker_threads").parentPort.on("message", (m) => { if (m.type !== "context") process.exit(7); });',
    ],
  ] as const) {
    test(`a thread that ${kind} fails the scan with an error naming the file, not a hang (plain and gzip)`, async () => {
      const crashing = path.join(root, `crash-${kind.replace(/ /g, '-')}.js`);
      fs.writeFileSync(crashing, script);
      for (const gz of [false, true]) {
        const dir = writeScenario(Buffer.from('2 123456789012 eni-orders 10.0.1.10 10.0.3.14 40000 5432 6 3 300 1 2 ACCEPT OK\n'), gz, '');
        const file = path.join(dir, 'flowlogs', gz ? 'fl-1.log.gz' : 'fl-1.log');
        await assert.rejects(scanWith(dir, { threads: 2, minBytes: 0, workerScript: crashing }), (err: Error) => {
          assert.ok(err.message.includes(file), err.message);
          assert.match(err.message, /(parsing|inflating) thread/);
          return true;
        });
        for (let i = 0; i < 100 && liveFlowWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 20));
        assert.equal(liveFlowWorkers(), 0);
      }
    });
  }
});

/** As writeScenario, the flow log delivered to S3: `objects` recorded under AWS's key names, five minutes apart. */
function writeS3Scenario(objects: readonly Buffer[]): string {
  const dir = writeScenario(Buffer.alloc(0), false, '');
  fs.rmSync(path.join(dir, 'flowlogs'), { recursive: true });
  const flowLog = { FlowLogId: 'fl-1', FlowLogStatus: 'ACTIVE', ResourceId: 'vpc-1', TrafficType: 'ALL' };
  const described = { FlowLogs: [{ ...flowLog, LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket' }] };
  fs.writeFileSync(path.join(dir, 'ec2', 'describe-flow-logs.json'), JSON.stringify(described));
  const day = path.join(dir, 'flowlogs-s3', 'AWSLogs', '123456789012', 'vpcflowlogs', 'us-east-1', '2026', '11', '22');
  fs.mkdirSync(day, { recursive: true });
  objects.forEach((object, i) => {
    const at = new Date(DETECT - 12 * H + i * 5 * 60_000).toISOString().replace(/[-:]/g, '').slice(0, 13);
    fs.writeFileSync(path.join(day, `123456789012_vpcflowlogs_us-east-1_fl-1_${at}Z_${String(i).padStart(8, '0')}.log.gz`), object);
  });
  return dir;
}

const V2_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/** One object: its lines, the header line it starts with (none, the v2 fields, v5 with a service, one naming too few fields), how it is damaged. */
const s3Object = fc.record({
  lines: fc.array(line(true), { maxLength: 120 }),
  header: fc.constantFrom('none', 'v2', 'v5', 'unreadable'),
  damage: fc.constantFrom('none', 'none', 'truncated', 'not gzip'),
});

function objectBytes({ lines, header, damage }: { lines: string[]; header: string; damage: string }): Buffer {
  const services = ['S3', 'DYNAMODB', '-'];
  const body = header === 'v5' ? lines.map((l, i) => `${l.replace(/\r$/, '')} ${services[i % 3]}`) : lines;
  const head = { none: [], v2: [V2_HEADER], v5: [`${V2_HEADER} pkt-dst-aws-service`], unreadable: ['version account-id interface-id'] }[
    header
  ] as string[];
  const text = Buffer.from([...head, ...body].join('\n') + '\n', 'latin1');
  if (damage === 'not gzip') return text;
  const gz = zlib.gzipSync(text);
  return damage === 'truncated' ? gz.subarray(0, Math.floor(gz.length * 0.7)) : gz;
}

describe('flow logs delivered to S3, their objects on several threads', () => {
  test('the report is the same as one thread gives, whatever the objects, their headers and damage, the thread count and the batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(s3Object, { minLength: 1, maxLength: 7 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (objects, threads, batchObjects) => {
          const dir = writeS3Scenario(objects.map(objectBytes));
          const one = (await scanWith(dir, { threads: 1 })) as ScanReport;
          const before = startedFlowWorkers();
          const many = await scanWith(dir, { threads, minBytes: 0, batchObjects });
          assert.deepEqual(many, one);
          assert.ok(startedFlowWorkers() > before, 'the objects were parsed on threads');
          // What one thread says of the objects is said: a header that is no format, a damaged object, read by its header.
          const said = (pattern: RegExp) =>
            assert.ok(
              one.warnings.some((w) => pattern.test(w)),
              `${pattern}: ${one.warnings.join('\n')}`,
            );
          if (objects.some((o) => o.header === 'unreadable' && o.damage === 'none')) said(/header line is not a flow-log format/);
          // A truncated object whose header names no format is skipped before its damage is met.
          if (objects.some((o) => o.damage === 'not gzip' || (o.damage === 'truncated' && o.header !== 'unreadable')))
            said(/reading stopped early/);
          if (objects.some((o) => o.header === 'v5' && o.damage === 'none')) said(/each object is read by its own header/);
          fs.rmSync(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: 25 },
    );
    assert.equal(liveFlowWorkers(), 0);
  });

  test('records in the objects are counted and attributed as on one thread, and the coverage says how many objects were read', async () => {
    const objects: Buffer[] = [];
    // Forty objects: two batches (a thread is sent up to 32 small objects at once), so both threads parse.
    for (let o = 0; o < 40; o++) {
      const lines = [V2_HEADER];
      for (let i = 0; i < 2_000; i++)
        lines.push(
          `2 123456789012 eni-${o % 2 ? 'orders 10.0.1.10' : 'billing 10.0.1.11'} 10.0.3.14 ${40000 + (i % 50)} 5432 6 3 300 ${sec(BASE + (o * 2_000 + i) * 5_000)} ${sec(BASE + (o * 2_000 + i) * 5_000) + 30} ACCEPT OK`,
        );
      objects.push(zlib.gzipSync(lines.join('\n') + '\n'));
    }
    const dir = writeS3Scenario(objects);
    const before = startedFlowWorkers();
    const report = await scan(openScenario(dir, 'props', { flowThreads: { threads: 2, minBytes: 0 } }), OPTIONS);
    assert.equal(startedFlowWorkers() - before, 2);
    assert.equal(report.stats?.flowRecords, 80_000);
    assert.equal(report.stats?.flowRecordsAttributed, 80_000);
    assert.ok(JSON.stringify(report.functions).includes('from S3 objects as recorded: 40 object(s)'), 'the coverage says what was read');
    assert.deepEqual(comparable(report), await scanWith(dir, { threads: 1 }));
    // Below the size where threads pay (16 MiB of objects by default), the scanning thread parses them itself.
    const started = startedFlowWorkers();
    await scanWith(dir, { threads: 2 });
    assert.equal(startedFlowWorkers(), started);
  });
});

describe('S3 objects on threads: cancelling and failing threads', () => {
  /** Twenty objects of 20,000 records each, with header lines. */
  function manyObjects(): string {
    const objects: Buffer[] = [];
    for (let o = 0; o < 20; o++) {
      const lines = [V2_HEADER];
      for (let i = 0; i < 20_000; i++)
        lines.push(
          `2 123456789012 eni-orders 10.0.1.10 10.0.3.14 ${40000 + (i % 500)} 5432 6 3 300 ${sec(BASE + (i % 10_000) * 60_000)} ${sec(BASE) + 30} ACCEPT OK`,
        );
      objects.push(zlib.gzipSync(lines.join('\n') + '\n'));
    }
    return writeS3Scenario(objects);
  }

  test('cancelling a scan stops its threads', async () => {
    const dir = manyObjects();
    const controller = new AbortController();
    const scanning = scanWith(dir, { threads: 2, minBytes: 0 }, controller.signal);
    for (let i = 0; i < 2000 && liveFlowWorkers() === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(liveFlowWorkers() > 0, 'no parsing thread started');
    controller.abort();
    await assert.rejects(scanning, (err: Error) => err.name === 'AbortError' || /abort/i.test(err.message));
    for (let i = 0; i < 100 && liveFlowWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(liveFlowWorkers(), 0);
  });

  test('a thread that throws or exits fails the scan with an error naming the flow log, not a hang', async () => {
    const dir = manyObjects();
    for (const script of ['throw new Error("boom");', 'process.exit(3);']) {
      const crashing = path.join(root, `crash-objects-${script.length}.js`);
      fs.writeFileSync(crashing, script);
      await assert.rejects(scanWith(dir, { threads: 2, minBytes: 0, workerScript: crashing }), (err: Error) => {
        assert.match(err.message, /the recorded S3 objects of flow log fl-1: a flow-log parsing thread/);
        return true;
      });
      for (let i = 0; i < 100 && liveFlowWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(liveFlowWorkers(), 0);
    }
    // A thread that cannot start at all (Node refuses the script): the same, not an uncaught exception.
    await assert.rejects(scanWith(dir, { threads: 2, minBytes: 0, workerScript: 'no-such-dir/flow-worker.js' }), (err: Error) => {
      assert.match(err.message, /the recorded S3 objects of flow log fl-1: a flow-log parsing thread could not start/);
      return true;
    });
  });
});

describe('a large gzip file parsed on this thread, inflated on another (inflatedInThread)', () => {
  /** Text of about 3.4 MB: more than the buffers that go back and forth hold at once. */
  const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 150)}`).join('\n') + '\n');
  const gz = zlib.gzipSync(text);

  async function read(file: string, signal?: AbortSignal, workerScript?: string): Promise<{ text: Buffer; error?: string }> {
    const parts: Buffer[] = [];
    try {
      // Each chunk is copied: its buffer goes back to be filled again once the next is asked for.
      for await (const chunk of inflatedInThread(file, signal, workerScript)) parts.push(Buffer.from(chunk));
    } catch (err) {
      return { text: Buffer.concat(parts), error: (err as Error).message };
    }
    return { text: Buffer.concat(parts) };
  }

  /** What the zlib stream a scan reads a smaller file with gives for the same file: its text, and the error it ends with. */
  async function streamed(file: string): Promise<{ text: Buffer; error?: string }> {
    const parts: Buffer[] = [];
    const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    const out = input.pipe(zlib.createGunzip({ chunkSize: 1 << 20 }));
    input.on('error', (err) => out.destroy(err));
    try {
      for await (const chunk of out) parts.push(chunk as Buffer);
    } catch (err) {
      return { text: Buffer.concat(parts), error: (err as Error).message };
    }
    return { text: Buffer.concat(parts) };
  }

  test('gives the text a zlib stream gives, and ends with its error for a truncated, corrupt or missing file', async () => {
    const whole = path.join(root, `inflate-${serial++}.log.gz`);
    fs.writeFileSync(whole, gz);
    const got = await read(whole);
    assert.equal(got.error, undefined);
    assert.ok(got.text.equals(text), `${got.text.length} bytes against ${text.length}`);
    assert.equal(liveFlowWorkers(), 0);
    const cut = path.join(root, `inflate-${serial++}.log.gz`);
    fs.writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const corrupt = path.join(root, `inflate-${serial++}.log.gz`);
    fs.writeFileSync(corrupt, Buffer.concat([gz.subarray(0, 4000), Buffer.alloc(2000, 0xaa), gz.subarray(6000)]));
    for (const file of [cut, corrupt, path.join(root, 'no-such.log.gz')]) {
      const [mine, zlibs] = await Promise.all([read(file), streamed(file)]);
      assert.ok(zlibs.error, file);
      assert.equal(mine.error, zlibs.error, file);
      assert.ok(mine.text.equals(zlibs.text), `${file}: ${mine.text.length} bytes against ${zlibs.text.length}`);
    }
    for (let i = 0; i < 100 && liveFlowWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(liveFlowWorkers(), 0);
  });

  test('cancelling stops the inflating thread; a thread that throws or exits is an error naming the file, not a hang', async () => {
    const file = path.join(root, `inflate-${serial++}.log.gz`);
    fs.writeFileSync(file, gz);
    const controller = new AbortController();
    const chunks = inflatedInThread(file, controller.signal);
    await chunks.next();
    controller.abort();
    await assert.rejects(chunks.next(), (err: Error) => err.name === 'AbortError');
    for (const [kind, script] of [
      ['throws', 'throw new Error("boom");'],
      ['exits', 'process.exit(3);'],
    ]) {
      const dir = fs.mkdtempSync(path.join(root, 'inflate-crash-'));
      fs.writeFileSync(path.join(dir, 'inflate-worker.js'), script);
      // The inflating thread's script is the one beside the parsing thread's.
      const got = await read(file, undefined, path.join(dir, 'flow-worker.js'));
      assert.ok(got.error?.includes(file), `${kind}: ${got.error}`);
      assert.match(got.error!, /inflating thread (crashed|stopped)/, kind);
    }
    for (let i = 0; i < 100 && liveFlowWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(liveFlowWorkers(), 0);
  });

  test('a scan of a gzip file of more than 4 MiB on one thread reads it through the inflating thread: the report one stream gives', async () => {
    // Numbers of a pseudo-random sequence: text that compresses poorly, so that the file passes the size from which the
    // thread is used.
    let x = 12345;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    const lines: string[] = [];
    for (let i = 0; i < 300_000; i++) {
      lines.push(
        `2 123456789012 eni-orders 10.0.1.10 ${i % 7 ? '10.0.3.14' : `52.94.${(i >> 8) & 255}.${i & 255}`} ${next() % 65536} ${i % 5 ? 5432 : 443} 6 ${next() % 1000} ${next()} ${sec(BASE + (i % 10_000) * 60_000)} ${sec(BASE) + 30 + (next() % 60)} ACCEPT OK`,
      );
    }
    const big = Buffer.from(lines.join('\n') + '\n');
    const gzDir = writeScenario(big, true, '');
    const gzFile = path.join(gzDir, 'flowlogs', 'fl-1.log.gz');
    assert.ok(usesInflatingThread(gzFile), `${fs.statSync(gzFile).size} bytes`);
    const started = startedFlowWorkers();
    const plain = await scanWith(writeScenario(big, false, ''), { threads: 1 });
    const viaThread = await scanWith(gzDir, { threads: 1 });
    assert.equal(startedFlowWorkers(), started, 'no parsing thread');
    assert.deepEqual(viaThread, plain);
  });
});
