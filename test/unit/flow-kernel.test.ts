// The flow-record kernel (wasm/flow-records.ts): its field scanner against a byte loop, and the whole record path
// (FlowAggregator + FlowRecordStream over the kernel) against a plain string model of what a record means.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { FLOW_KERNEL_WASM } from '../../src/core/flowlog/flow-kernel-wasm';
import { FlowAggregator, type AggregatorEni, type FlowParseStats } from '../../src/core/flowlog/aggregate';
import { parseLogFormat, type FlowLogFormat } from '../../src/core/flowlog/format';
import type { EniHistory } from '../../src/core/inventory/history';
import type { FlowAggregate } from '../../src/core/model';

const root = path.resolve(__dirname, '..', '..');

// ---- the field scanner, called on the module directly

interface RawScanner {
  memory: WebAssembly.Memory;
  TEXT_AT: WebAssembly.Global;
  OUT_AT: WebAssembly.Global;
  scanLines(
    base: number,
    from: number,
    len: number,
    out: number,
    want: number,
    stride: number,
    valuesAt: number,
    numbers: number,
    maxLines: number,
  ): number;
  next(): number;
}

/** A bare instance of the module: its text area, and a list of numeric fields written past the text's padding. */
function rawScanner(): RawScanner {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(FLOW_KERNEL_WASM, 'base64')), {
    'flow-records': { eniForAddress: () => -1 },
  });
  const x = instance.exports as unknown as RawScanner;
  x.memory.grow(64);
  return x;
}

interface Line {
  start: number;
  end: number;
  n: number;
  fields: Array<[number, number]>;
  values: number[];
}

/** A field's value as the scanner must give it: up to 15 decimal digits, or -1. */
function valueOf(text: Uint8Array, field: [number, number] | undefined): number {
  const s = field ? Buffer.from(text.subarray(field[0], field[1])).toString('latin1') : '';
  return /^[0-9]{1,15}$/.test(s) ? Number(s) : -1;
}

/** What a scan must find, a byte at a time: the complete lines of text[from, len) and where the rest starts. */
function expected(text: Uint8Array, from: number, want: number, numbers: number[]): { lines: Line[]; next: number } {
  const lines: Line[] = [];
  let lineStart = from;
  for (let i = from; i < text.length; i++) {
    if (text[i] !== 10) continue;
    // A CR before the newline ends the line, and with it its last field (the CR is no part of either).
    const end = i > lineStart && text[i - 1] === 13 ? i - 1 : i;
    const fields: Array<[number, number]> = [];
    let s = lineStart;
    for (let j = lineStart; j <= end; j++) {
      if (j === end || text[j] === 32) {
        if (j > s) fields.push([s, j]);
        s = j + 1;
      }
    }
    lines.push({
      start: lineStart,
      end,
      n: fields.length,
      fields: fields.slice(0, want),
      values: numbers.map((f) => valueOf(text, fields[f])),
    });
    lineStart = i + 1;
  }
  return { lines, next: lineStart };
}

/** Every line the scanner records from text[from, end), batch after batch (records as configure() lays them out). */
function scanned(x: RawScanner, text: Uint8Array, from: number, want: number, numbers: number[]): { lines: Line[]; next: number } {
  const base = x.TEXT_AT.value as number;
  const valuesAt = ((3 + 2 * want + 1) >> 1) << 3;
  const stride = valuesAt + numbers.length * 8;
  const maxLines = Math.min(Math.floor((256 * 1024) / stride), 2048);
  const u8 = new Uint8Array(x.memory.buffer);
  u8.set(text, base);
  // Bytes past the text must not count: the area holds whatever the last use left.
  u8.fill(10, base + text.length, base + text.length + 64);
  const list = base + text.length + 64 + (8 - ((base + text.length) % 8));
  const i32 = new Int32Array(x.memory.buffer);
  i32[list / 4] = numbers.length;
  i32.set(numbers, list / 4 + 1);
  const f64 = new Float64Array(x.memory.buffer);
  const lines: Line[] = [];
  let pos = from;
  for (;;) {
    const count = x.scanLines(base, pos, text.length, 0, want, stride, valuesAt, list, maxLines);
    for (let l = 0, o = 0; l < count; l++, o += stride) {
      const n = i32[o / 4 + 2];
      const fields: Array<[number, number]> = [];
      for (let k = 0; k < Math.min(n, want); k++) fields.push([i32[o / 4 + 3 + k], i32[o / 4 + 3 + want + k]]);
      const values = Array.from(f64.subarray((o + valuesAt) / 8, (o + valuesAt) / 8 + numbers.length));
      lines.push({ start: i32[o / 4], end: i32[o / 4 + 1], n, fields, values });
    }
    pos = x.next();
    if (count < maxLines) return { lines, next: pos };
  }
}

// Bytes that matter (space, newline, CR, digits, `-`) often, and the others (tab, NUL, bytes of 0x80 and more) now and then.
const byte = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(32, 10, 13, 45, 65) },
  { weight: 6, arbitrary: fc.integer({ min: 48, max: 57 }) },
  { weight: 3, arbitrary: fc.integer({ min: 33, max: 126 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 9, 0x80, 0xa0, 0xaa, 0xff, 0x8a) },
);

describe('the flow kernel: its field scanner (WebAssembly SIMD)', () => {
  const x = rawScanner();

  it('finds the lines and fields a byte loop finds, whatever the start and field count', () => {
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 600 }),
        fc.nat(),
        fc.integer({ min: 1, max: 40 }).chain((want) => fc.tuple(fc.constant(want), fc.array(fc.nat({ max: want - 1 }), { maxLength: 8 }))),
        (bytes, at, [want, numbers]) => {
          const text = Uint8Array.from(bytes);
          // The stream scans from 0 or from just after a newline (the end of a skipped long line).
          const newlines = [0, ...bytes.flatMap((b, i) => (b === 10 ? [i + 1] : []))];
          const from = newlines[at % newlines.length];
          assert.deepEqual(scanned(x, text, from, want, numbers), expected(text, from, want, numbers));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gives a field of up to 15 digits its value, and -1 to more digits, `-` or anything else', () => {
    const text = Buffer.from('0 123456789012345 1234567890123456 - 12a 007 \n');
    assert.deepEqual(scanned(x, text, 0, 8, [0, 1, 2, 3, 4, 5, 6]).lines[0].values, [0, 123456789012345, -1, -1, -1, 7, -1]);
  });

  it('records more lines than one batch holds over several calls', () => {
    // 300 fields a line: about 100 lines a batch.
    const want = 300;
    const line = (k: number) => `${Array.from({ length: want }, (_, i) => (i * k) % 97).join(' ')}\r\n`;
    const text = Buffer.from(Array.from({ length: 1000 }, (_, k) => line(k)).join('') + 'unfinished line');
    const got = scanned(x, text, 0, want, [0, 7, 299]);
    assert.deepEqual(got, expected(text, 0, want, [0, 7, 299]));
    assert.deepEqual(got.lines[3].values, [0, 21, (299 * 3) % 97]);
    assert.equal(got.lines.length, 1000);
    assert.equal(text.toString('latin1', got.next), 'unfinished line');
  });

  it('is the build of wasm/flow-records.ts (npm run build:wasm)', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-wasm.js'), '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
  });
});

// ---- the whole record path against a model

const T0 = Date.UTC(2026, 10, 20);
const H = 3_600_000;
const RANGE = { start: T0, end: T0 + 48 * H };
const SAMPLE_FROM = T0 + 24 * H;
const ENIS: AggregatorEni[] = [
  { id: 'eni-0aaaaaaaaaaaaaaaa', addresses: ['10.0.1.10', '2600:1f18:abcd:1::10'] },
  { id: 'eni-0bbbbbbbbbbbbbbbb', addresses: ['10.0.2.20'] },
  { id: 'eni-0cccccccccccccccc', addresses: ['10.0.3.30'] },
];
/** For the format without interface-id: each ENI holds its addresses in the first day only. */
const HISTORY = {
  at: (address: string, t: number) => {
    const eni = ENIS.find((e) => e.addresses.includes(address));
    return eni && t < T0 + 24 * H ? { eniId: eni.id } : undefined;
  },
} as unknown as EniHistory;

const FORMATS: FlowLogFormat[] = [
  parseLogFormat(''),
  parseLogFormat(
    '${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${flow-direction} ${pkt-src-aws-service} ${pkt-dst-aws-service}',
  ),
  parseLogFormat('${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${end} ${action}'),
];

interface Model {
  rows: Map<string, FlowAggregate>;
  stats: Omit<FlowParseStats, 'malformedExamples'>;

  malformed: Array<{ line: number; reason: string }>;
  others: Map<string, number>;
}

/** What the records of `text` make, one line at a time with strings: the meaning of a flow record, written plainly. */
function model(text: string, f: FlowLogFormat, covered: Set<number> | undefined): Model {
  const m: Model = {
    rows: new Map(),
    stats: { records: 0, attributed: 0, noData: 0, skipData: 0, otherInterfaces: 0, outOfRange: 0, malformed: 0 },
    malformed: [],
    others: new Map(),
  };
  const services = [''];
  const bad = (line: number, reason: string) => {
    m.stats.malformed++;
    m.malformed.push({ line, reason });
  };
  const num = (s: string) => (/^[0-9]{1,15}$/.test(s) ? Number(s) : -1);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const lineNumber = i + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length > 64 * 1024) return bad(lineNumber, 'line longer than 65536 bytes');
    const fields = line.split(' ').filter((s) => s);
    const n = fields.length;
    if (n === 0) return;
    m.stats.records++;
    const want = f.fieldCount;
    if (n > want) return bad(lineNumber, `${n} fields where the LogFormat has ${want}`);
    if (f.logStatus >= 0 && n > f.logStatus) {
      if (fields[f.logStatus][0] === 'N') return void m.stats.noData++;
      if (fields[f.logStatus][0] === 'S') return void m.stats.skipData++;
    }
    if (n !== want) return bad(lineNumber, `${n} fields where the LogFormat has ${want}`);
    const a = fields[f.action][0];
    if (a === '-') return void m.stats.noData++;
    if (a !== 'A' && a !== 'R') return bad(lineNumber, 'action is neither ACCEPT nor REJECT');
    const reject = a === 'R';
    const start = num(fields[f.start >= 0 ? f.start : f.end]);
    if (start < 0) return bad(lineNumber, 'start is not a number');
    let eni: number;
    if (f.interfaceId >= 0) {
      const id = fields[f.interfaceId];
      eni = ENIS.findIndex((e) => e.id === id);
      if (eni < 0) m.others.set(id, (m.others.get(id) ?? 0) + 1);
    } else {
      const held = (address: string) => ENIS.findIndex((e) => e.id === HISTORY.at(address, start * 1000)?.eniId);
      eni = held(fields[f.srcaddr]);
      if (eni < 0) eni = held(fields[f.dstaddr]);
    }
    if (eni < 0 || (covered && !covered.has(eni))) return void m.stats.otherInterfaces++;
    if (!(start * 1000 >= RANGE.start && start * 1000 < RANGE.end)) return void m.stats.outOfRange++;
    const end = f.end >= 0 ? num(fields[f.end]) : start;
    const packets = f.packets >= 0 ? num(fields[f.packets]) : 0;
    const bytes = f.bytes >= 0 ? num(fields[f.bytes]) : 0;
    const srcport = num(fields[f.srcport]);
    const dstport = num(fields[f.dstport]);
    const protocol = num(fields[f.protocol]);
    if ([end, packets, bytes, srcport, dstport, protocol].some((v) => v < 0) || srcport > 65535 || dstport > 65535) {
      return bad(lineNumber, 'a numeric field (port, protocol, packets, bytes, end) is not a number');
    }
    const own = ENIS[eni].addresses;
    const egress = own.includes(fields[f.srcaddr])
      ? true
      : own.includes(fields[f.dstaddr])
        ? false
        : f.flowDirection >= 0
          ? fields[f.flowDirection][0] === 'e'
          : true;
    const remote = fields[egress ? f.dstaddr : f.srcaddr];
    if (remote.length > 64) return bad(lineNumber, 'address field too long');
    const portText = fields[egress || (dstport < 1024 && srcport >= 1024) ? f.dstport : f.srcport];
    const serviceField = egress ? f.pktDstAwsService : f.pktSrcAwsService;
    let service = '';
    if (serviceField >= 0) {
      const name = fields[serviceField];
      if (services.includes(name)) service = name;
      else if (/^[A-Z0-9_]{1,64}$/.test(name) && services.length <= 255) services.push((service = name));
    }
    const hour = Math.floor(start / 3600) * H;
    const key = [eni, remote, portText, fields[f.protocol], service, reject, hour].join('|');
    let row = m.rows.get(key);
    if (!row) {
      row = {
        eniId: ENIS[eni].id,
        remoteAddress: remote,
        remotePort: Number(portText),
        protocol,
        action: reject ? 'REJECT' : 'ACCEPT',
        hour,
        flows: 0,
        packets: 0,
        bytes: 0,
        first: start * 1000,
        last: start * 1000,
        ...(service ? { remoteService: service } : {}),
      };
      m.rows.set(key, row);
    }
    row.flows++;
    row.packets += packets;
    row.bytes += bytes;
    row.first = Math.min(row.first, start * 1000);
    row.last = Math.max(row.last, end * 1000);
    m.stats.attributed++;
    if ((start * 1000 >= SAMPLE_FROM || reject) && (row.samples?.length ?? 0) < 3) (row.samples ??= []).push(line);
  });
  return m;
}

const sorted = (rows: FlowAggregate[]) => rows.map((r) => JSON.stringify(r, Object.keys(r).sort())).sort();

/** Parses `text` in the given chunks through a FlowAggregator; its rows, counts, malformed lines and other interfaces. */
function parsed(text: Buffer, f: FlowLogFormat, cuts: number[], covered: Set<number> | undefined) {
  const agg = new FlowAggregator(ENIS, RANGE, SAMPLE_FROM, HISTORY);
  const stream = agg.stream(f, 'test.log', covered && ENIS.filter((_, i) => covered.has(i)).map((e) => e.id));
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    stream.push(text.subarray(at, Math.max(at, cut)));
    at = Math.max(at, cut);
  }
  stream.push(text.subarray(at));
  stream.end();
  return { agg, rows: agg.aggregates(), others: agg.kernel.drainOtherInterfaces() };
}

function assertSame(text: Buffer, f: FlowLogFormat, cuts: number[], covered?: Set<number>): void {
  const want = model(text.toString('latin1'), f, covered);
  const { agg, rows, others } = parsed(text, f, cuts, covered);
  assert.deepEqual(sorted(rows), sorted([...want.rows.values()]));
  const { malformedExamples, ...stats } = agg.stats;
  assert.deepEqual(stats, want.stats);
  assert.deepEqual(
    malformedExamples,
    want.malformed.slice(0, 5).map((m) => ({ source: 'test.log', ...m })),
  );
  assert.deepEqual(others, [...want.others]);
}

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
/** Mostly a valid value (so that records meet in rows), now and then one that is not. */
const often = <T>(valid: T[], invalid: T[]) =>
  fc.oneof({ weight: 9, arbitrary: pick(...valid) }, { weight: 1, arbitrary: pick(...invalid) });
const address = often(
  ['10.0.1.10', '10.0.2.20', '10.0.3.30', '2600:1f18:abcd:1::10', '10.9.9.9', '52.94.133.1'],
  ['2001:db8::1', '1'.repeat(65), '-'],
);
/** Hours: before the range, its first, one in the window that keeps lines, after it. */
const hours = [RANGE.start / 1000 - 3600, RANGE.start / 1000, SAMPLE_FROM / 1000 + 3600, RANGE.end / 1000];
const record = fc.record({
  version: pick('2', '5'),
  eni: often(
    ENIS.map((e) => e.id),
    ['eni-0ffffffffffffffff', 'eni-other', `eni-${'x'.repeat(70)}`, '-'],
  ),
  src: address,
  dst: address,
  srcport: often(['443', '80', '080', '53211', '65535', '1024', '5432'], ['65536', '-', '1234567890123456']),
  dstport: often(['443', '22', '53211', '1023', '1024'], ['-', '99999']),
  protocol: often(['6', '17'], ['-', '6x']),
  packets: often(['1', '10', '0'], ['-']),
  bytes: often(['40', '123456789012345'], ['-']),
  start: fc.oneof(
    { weight: 9, arbitrary: fc.tuple(pick(...hours), fc.nat({ max: 3599 })).map(([h, s]) => String(h + s)) },
    { weight: 1, arbitrary: pick('-', '1234567890123456') },
  ),
  length: fc.integer({ min: 0, max: 600 }),
  action: often(['ACCEPT', 'REJECT'], ['-', 'XYZ']),
  status: often(['OK'], ['NODATA', 'SKIPDATA']),
  direction: often(['ingress', 'egress'], ['-']),
  srcService: often(['-', 'S3', 'AMAZON'], ['bad-name']),
  dstService: pick('-', 'S3', 'EC2'),
  gap: pick(' ', ' ', ' ', '  '),
  drop: fc.integer({ min: 0, max: 30 }),
  cr: fc.boolean(),
});

type Rec = typeof record extends fc.Arbitrary<infer T> ? T : never;

/** A line of a format: its fields in the format's order, now and then one missing or one too many. */
function line(f: FlowLogFormat, r: Rec): string {
  const value: Record<string, string> = {
    version: r.version,
    'account-id': '123456789012',
    'interface-id': r.eni,
    srcaddr: r.src,
    dstaddr: r.dst,
    srcport: r.srcport,
    dstport: r.dstport,
    protocol: r.protocol,
    packets: r.packets,
    bytes: r.bytes,
    start: r.start,
    end: r.start === '-' || r.start.length > 15 ? r.start : String(Number(r.start) + r.length),
    action: r.action,
    'log-status': r.status,
    'flow-direction': r.direction,
    'pkt-src-aws-service': r.srcService,
    'pkt-dst-aws-service': r.dstService,
  };
  const fields = f.names.map((n) => value[n]);
  if (r.drop === 1) fields.pop();
  if (r.drop === 2) fields.push('extra');
  return fields.join(r.gap) + (r.cr ? '\r' : '');
}

describe('the flow kernel: every record means what the model says', () => {
  it('gives the rows, counts, malformed lines and other interfaces of a plain model, for any records, format, chunks and mask', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: FORMATS.length - 1 }),
        fc.array(
          fc.oneof(
            { weight: 8, arbitrary: record.map((r) => ({ r })) },
            // A record again, later in its hour or earlier, lasting longer or shorter: a row of several records.
            {
              weight: 4,
              arbitrary: fc.record({ again: fc.nat(), shift: fc.integer({ min: -1800, max: 1800 }), length: fc.nat({ max: 900 }) }),
            },
            { weight: 1, arbitrary: fc.array(byte, { maxLength: 40 }) },
          ),
          { maxLength: 120 },
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.option(fc.subarray([0, 1, 2])),
        (formatIndex, items, cuts, mask) => {
          const f = FORMATS[formatIndex];
          const records: Array<Rec> = [];
          const lines = items.map((item) => {
            if (Array.isArray(item)) return Buffer.from(item).toString('latin1').replace(/\n/g, ' ');
            let r: Rec;
            if ('r' in item) r = item.r;
            else if (records.length) {
              const was = records[item.again % records.length];
              const start = Number(was.start);
              const inHour = Number.isSafeInteger(start)
                ? start - (start % 3600) + Math.min(3599, Math.max(0, (start % 3600) + item.shift))
                : start;
              r = { ...was, start: String(inHour), length: item.length };
            } else return '';
            records.push(r);
            return line(f, r);
          });
          const text = Buffer.from(lines.join('\n'), 'latin1');
          assertSame(
            text,
            f,
            cuts.map((c) => c % (text.length + 1)),
            mask ? new Set(mask) : undefined,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps every line while its tables grow under it, in pushes of any size (more than the 1 MiB it takes at a time)', () => {
    // 120,000 peers: the peer and row tables are copied to larger ones, and the memory grows, many times mid-push.
    const f = FORMATS[0];
    const lines: string[] = [];
    for (let i = 0; i < 120_000; i++) {
      const eni = ENIS[i % 3];
      const start = RANGE.start / 1000 + ((i * 7919) % (48 * 3600));
      lines.push(
        `2 123456789012 ${eni.id} ${eni.addresses[0]} 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} 40000 ${443 + (i % 3)} 6 3 120 ${start} ${start + 5} ${i % 11 ? 'ACCEPT' : 'REJECT'} OK`,
      );
    }
    const text = Buffer.from(lines.join('\n') + '\n');
    assert.ok(text.length > 3 << 20, `${text.length} bytes`);
    assertSame(text, f, []);
    assertSame(text, f, [1, 70_000, (1 << 20) + 5, (3 << 20) - 1]);
  });

  it('skips a line longer than 64 KiB, inside a push or across pushes, and counts the lines after it', () => {
    const f = FORMATS[0];
    const ok = `2 123456789012 ${ENIS[0].id} 10.0.1.10 10.9.9.9 40000 443 6 3 120 ${RANGE.start / 1000 + 60} ${RANGE.start / 1000 + 70} ACCEPT OK`;
    const text = Buffer.from([ok, 'x'.repeat(70_000), ok, `${'y '.repeat(40_000)}\r`, ok, ''].join('\n'));
    assertSame(text, f, []);
    assertSame(text, f, [10, 30_000, 60_000, 100_000, 150_000]);
  });
});

describe('the flow kernel: its memory', () => {
  it('says so when its tables cannot grow any more (the heap ends below 2 GiB), rather than trapping or going on wrong', () => {
    const agg = new FlowAggregator(ENIS, RANGE, SAMPLE_FROM);
    // The heap taken up to about 8 MiB short of its end (untouched pages: no memory is used for them).
    const kernel = agg.kernel as unknown as { x: { alloc(bytes: number): number } };
    kernel.x.alloc(0x7fff0000 - 8 * 2 ** 20 - kernel.x.alloc(0));
    // Rows until their table must move to a larger block: 16,384 fit the first.
    assert.throws(
      () => {
        for (let peer = 0; peer < 100_000; peer++) agg.kernel.row(peer, 0, 0, 0, RANGE.start / 1000);
      },
      (err: Error) => /flow-log aggregation stopped: its tables could not grow past \d+ MiB/.test(err.message),
    );
  });
});
