// FlowAggregator + FlowRecordStream: raw flow records streamed into per ENI × peer × hour aggregates.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, describe, test } from 'node:test';
import { FlowAggregator, type AggregatorEni } from '../../src/core/flowlog/aggregate';
import { parseLogFormat, type FlowLogFormat } from '../../src/core/flowlog/format';
import { EniHistory } from '../../src/core/inventory/history';
import type { FlowAggregate, NetworkInterface } from '../../src/core/model';
import { openScenario } from '../../src/replay/scenario';
import { seeded } from '../support/random';

const H = 3_600_000;
/** Range start: 2026-11-20T00:00:00Z. */
const T0 = Date.UTC(2026, 10, 20);
const RANGE = { start: T0, end: T0 + 48 * H };
const SAMPLE_FROM = T0 + 24 * H;
const sec = (ms: number) => Math.floor(ms / 1000);

const ENI_A = 'eni-0aaaaaaaaaaaaaaaa';
const ENI_B = 'eni-0bbbbbbbbbbbbbbbb';
const ADDR_A = '10.0.1.10';
const ADDR_B = '10.0.2.20';
const ENIS: AggregatorEni[] = [
  { id: ENI_A, addresses: [ADDR_A, '2600:1f18:abcd:1::10'] },
  { id: ENI_B, addresses: [ADDR_B] },
];
const V2 = parseLogFormat('');
const MIXED_V5 = parseLogFormat(
  (
    JSON.parse(
      fs.readFileSync(path.resolve(__dirname, '..', 'fixtures', 'scenarios', 'mixed-v5', 'ec2', 'describe-flow-logs.json'), 'utf8'),
    ) as {
      FlowLogs: Array<{ LogFormat: string }>;
    }
  ).FlowLogs[0].LogFormat,
);

interface Rec {
  eni?: string;
  src: string;
  dst: string;
  sport: number | string;
  dport: number | string;
  proto?: number | string;
  packets?: number | string;
  bytes?: number | string;
  /** Epoch ms. */
  start: number;
  end?: number;
  action?: string;
  status?: string;
}

/** A record in the default (v2) format. */
function v2(r: Rec): string {
  const start = sec(r.start);
  const end = r.end !== undefined ? sec(r.end) : start + 30;
  return [
    2,
    '123456789012',
    r.eni ?? ENI_A,
    r.src,
    r.dst,
    r.sport,
    r.dport,
    r.proto ?? 6,
    r.packets ?? 10,
    r.bytes ?? 1000,
    start,
    end,
    r.action ?? 'ACCEPT',
    r.status ?? 'OK',
  ].join(' ');
}

function nodata(eni = ENI_A, at = T0 + 25 * H, status = 'NODATA'): string {
  return `2 123456789012 ${eni} - - - - - - - ${sec(at)} ${sec(at) + 600} - ${status}`;
}

interface RunOptions {
  format?: FlowLogFormat;
  enis?: AggregatorEni[];
  history?: EniHistory;
  source?: string;
}

function aggregator(o: RunOptions = {}): FlowAggregator {
  return new FlowAggregator(o.enis ?? ENIS, RANGE, SAMPLE_FROM, o.history);
}

/** Feeds the chunks through one stream and returns the sorted rows and the stats. */
function run(chunks: Array<string | Uint8Array>, o: RunOptions = {}) {
  const agg = aggregator(o);
  const stream = agg.stream(o.format ?? V2, o.source ?? 'test.log');
  for (const c of chunks) stream.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
  stream.end();
  return { rows: sortRows(agg.aggregates()), stats: agg.stats };
}

function rowKey(r: FlowAggregate): string {
  return `${r.eniId} ${r.remoteAddress} ${r.remotePort} ${r.protocol} ${r.action} ${r.hour}`;
}

function sortRows(rows: FlowAggregate[]): FlowAggregate[] {
  return [...rows].sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : rowKey(a) > rowKey(b) ? 1 : 0));
}

const lines = (...ls: string[]) => ls.map((l) => l + '\n').join('');

describe('FlowAggregator: peers', () => {
  test('egress and its return traffic fold into one peer with the service port', () => {
    const t = T0 + 30 * H + 60_000;
    const { rows, stats } = run([
      lines(
        v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, packets: 5, bytes: 500, start: t, end: t + 20_000 }),
        v2({ src: '10.0.3.14', dst: ADDR_A, sport: 5432, dport: 40000, packets: 7, bytes: 9000, start: t, end: t + 25_000 }),
        v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40001, dport: 5432, packets: 1, bytes: 60, start: t + 60_000, end: t + 61_000 }),
      ),
    ]);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    const [r] = rows;
    assert.equal(r.eniId, ENI_A);
    assert.equal(r.remoteAddress, '10.0.3.14');
    assert.equal(r.remotePort, 5432);
    assert.equal(r.protocol, 6);
    assert.equal(r.action, 'ACCEPT');
    assert.equal(r.flows, 3);
    assert.equal(r.packets, 13);
    assert.equal(r.bytes, 9560);
    assert.equal(r.hour, T0 + 30 * H);
    assert.equal(r.first, t);
    assert.equal(r.last, t + 61_000);
    assert.equal(stats.records, 3);
    assert.equal(stats.attributed, 3);
    assert.equal(stats.malformed, 0);
  });

  test('return traffic from a peer service port above 1024 is never a peer of its own', () => {
    const t = T0 + 30 * H;
    const { rows } = run([
      lines(
        v2({ src: '10.0.3.14', dst: ADDR_A, sport: 5432, dport: 40000, start: t }),
        v2({ src: '10.0.4.4', dst: ADDR_A, sport: 6379, dport: 1025, start: t }),
        v2({ src: '52.94.1.1', dst: ADDR_A, sport: 443, dport: 55555, start: t }),
      ),
    ]);
    assert.deepEqual(rows.map((r) => `${r.remoteAddress}:${r.remotePort}`).sort(), ['10.0.3.14:5432', '10.0.4.4:6379', '52.94.1.1:443']);
  });

  test('an inbound attempt to a well-known port on the ENI is filed under that port', () => {
    const t = T0 + 30 * H;
    const { rows } = run([lines(v2({ src: '198.51.100.7', dst: ADDR_A, sport: 51515, dport: 22, action: 'REJECT', start: t }))]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].remoteAddress, '198.51.100.7');
    assert.equal(rows[0].remotePort, 22);
    assert.equal(rows[0].action, 'REJECT');
  });

  test('ACCEPT and REJECT of the same peer are separate rows', () => {
    const t = T0 + 30 * H;
    const { rows } = run([
      lines(
        v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t }),
        v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40001, dport: 5432, start: t, action: 'REJECT', packets: 1, bytes: 40 }),
        v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40002, dport: 5432, start: t, action: 'REJECT', packets: 1, bytes: 40 }),
      ),
    ]);
    assert.deepEqual(
      rows.map((r) => [r.action, r.flows, r.bytes]),
      [
        ['ACCEPT', 1, 1000],
        ['REJECT', 2, 80],
      ],
    );
  });

  test('protocol and port are part of the peer', () => {
    const t = T0 + 30 * H;
    const { rows } = run([
      lines(
        v2({ src: ADDR_A, dst: '10.0.0.2', sport: 40000, dport: 53, proto: 17, start: t }),
        v2({ src: ADDR_A, dst: '10.0.0.2', sport: 40000, dport: 53, proto: 6, start: t }),
        v2({ src: ADDR_A, dst: '10.0.0.2', sport: 40000, dport: 443, proto: 6, start: t }),
        v2({ src: ADDR_A, dst: '10.0.0.2', sport: 0, dport: 0, proto: 1, start: t }),
      ),
    ]);
    assert.deepEqual(rows.map((r) => `${r.remotePort}/${r.protocol}`).sort(), ['0/1', '443/6', '53/17', '53/6']);
  });

  test('records of different ENIs are different rows', () => {
    const t = T0 + 30 * H;
    const { rows } = run([
      lines(
        v2({ eni: ENI_A, src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t }),
        v2({ eni: ENI_B, src: ADDR_B, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t }),
      ),
    ]);
    assert.deepEqual(
      rows.map((r) => r.eniId),
      [ENI_A, ENI_B],
    );
  });

  test('IPv6 addresses are peers like IPv4 ones', () => {
    const t = T0 + 30 * H;
    const { rows, stats } = run([
      lines(
        v2({ src: '2600:1f18:abcd:1::10', dst: '2600:1f18:abcd:2::20', sport: 40000, dport: 443, start: t }),
        v2({ src: '2600:1f18:abcd:2::20', dst: '2600:1f18:abcd:1::10', sport: 443, dport: 40000, start: t }),
      ),
    ]);
    assert.equal(stats.attributed, 2);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].remoteAddress, '2600:1f18:abcd:2::20');
    assert.equal(rows[0].remotePort, 443);
    assert.equal(rows[0].flows, 2);
  });

  test('records of ENIs that are not Lambda ENIs are ignored and counted', () => {
    const t = T0 + 30 * H;
    const { rows, stats } = run([
      lines(
        v2({ eni: 'eni-0ffffffffffffffff', src: '10.0.9.9', dst: '10.0.3.14', sport: 40000, dport: 5432, start: t }),
        v2({ eni: 'eni-0ffffffffffffffff', src: '10.0.3.14', dst: '10.0.9.9', sport: 5432, dport: 40000, start: t }),
        v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t }),
      ),
    ]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].eniId, ENI_A);
    assert.equal(stats.records, 3);
    assert.equal(stats.otherInterfaces, 2);
    assert.equal(stats.attributed, 1);
  });

  test('an interface id that is a prefix or extension of a Lambda ENI id is not that ENI', () => {
    const t = T0 + 30 * H;
    const { rows, stats } = run([
      lines(
        v2({ eni: ENI_A.slice(0, -1), src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t }),
        v2({ eni: ENI_A + '0', src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t }),
      ),
    ]);
    assert.equal(rows.length, 0);
    assert.equal(stats.otherInterfaces, 2);
  });

  test('when neither side is a known ENI address, flow-direction decides, else egress', () => {
    const t = T0 + 30 * H;
    // 10.0.1.99 is a secondary address the inventory did not list.
    const v5 = (src: string, dst: string, sport: number, dport: number, dir: string) =>
      `5 vpc-1 subnet-1 - ${ENI_A} 123456789012 IPv4 ${src} ${dst} ${sport} ${dport} ${src} ${dst} 6 100 1 ${sec(t)} ${sec(t) + 5} ACCEPT 2 OK ${dir}`;
    const a = run([lines(v5('10.0.5.5', '10.0.1.99', 443, 40000, 'ingress'))], { format: MIXED_V5 });
    assert.deepEqual(
      a.rows.map((r) => `${r.remoteAddress}:${r.remotePort}`),
      ['10.0.5.5:443'],
    );
    const b = run([lines(v5('10.0.1.99', '10.0.5.5', 40000, 443, 'egress'))], { format: MIXED_V5 });
    assert.deepEqual(
      b.rows.map((r) => `${r.remoteAddress}:${r.remotePort}`),
      ['10.0.5.5:443'],
    );
    const c = run([lines(v2({ src: '10.0.1.99', dst: '10.0.5.5', sport: 40000, dport: 443, start: t }))]);
    assert.deepEqual(
      c.rows.map((r) => `${r.remoteAddress}:${r.remotePort}`),
      ['10.0.5.5:443'],
    );
  });
});

describe('FlowAggregator: record kinds and malformed input', () => {
  test('NODATA and SKIPDATA are counted, not aggregated', () => {
    const { rows, stats } = run([lines(nodata(ENI_A, T0 + 25 * H), nodata(ENI_B, T0 + 26 * H, 'SKIPDATA'), nodata(ENI_A, T0 + 27 * H))]);
    assert.equal(rows.length, 0);
    assert.equal(stats.records, 3);
    assert.equal(stats.noData, 2);
    assert.equal(stats.skipData, 1);
    assert.equal(stats.malformed, 0);
    assert.equal(stats.attributed, 0);
  });

  test('an action of "-" in a format without log-status is no data', () => {
    const format = parseLogFormat('${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${action}');
    const { rows, stats } = run([`${ENI_A} - - - - - ${sec(T0 + 25 * H)} -\n`], { format });
    assert.equal(rows.length, 0);
    assert.equal(stats.noData, 1);
    assert.equal(stats.malformed, 0);
  });

  test('blank lines and whitespace-only lines are skipped and not records', () => {
    const t = T0 + 30 * H;
    const rec = v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t });
    const { rows, stats } = run([`\n\n${rec}\n   \n\r\n\n${rec}\n\n`]);
    assert.equal(stats.records, 2);
    assert.equal(stats.malformed, 0);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].flows, 2);
  });

  test('extra spaces between fields and around a line are tolerated', () => {
    const t = T0 + 30 * H;
    const rec = v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t });
    const { rows, stats } = run([`  ${rec.split(' ').join('   ')}  \n`]);
    assert.equal(stats.malformed, 0);
    assert.equal(rows.length, 1);
  });

  test('CRLF line endings give the same result as LF', () => {
    const t = T0 + 30 * H;
    const recs = [
      v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t }),
      v2({ src: '10.0.3.14', dst: ADDR_A, sport: 5432, dport: 40000, start: t, end: t + 99_000 }),
      nodata(),
      v2({ src: ADDR_A, dst: '8.8.8.8', sport: 40000, dport: 53, proto: 17, start: t + 2 * H, action: 'REJECT' }),
    ];
    const lf = run([recs.join('\n') + '\n']);
    const crlf = run([recs.join('\r\n') + '\r\n']);
    const crlfNoFinal = run([recs.join('\r\n')]);
    assert.equal(crlf.stats.malformed, 0);
    assert.deepEqual(crlf.rows, lf.rows);
    assert.deepEqual(crlf.stats, lf.stats);
    assert.deepEqual(crlfNoFinal.rows, lf.rows);
    // The CR is not part of the sample kept as evidence.
    for (const r of crlf.rows) for (const s of r.samples ?? []) assert.ok(!s.includes('\r'), JSON.stringify(s));
  });

  test('a last line without a newline is read at end()', () => {
    const t = T0 + 30 * H;
    const { rows, stats } = run([v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t })]);
    assert.equal(stats.records, 1);
    assert.equal(rows.length, 1);
  });

  test('malformed lines are counted with source and line number, and never throw', () => {
    const t = T0 + 30 * H;
    const good = v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t });
    const text = lines(
      good, // 1
      good.split(' ').slice(0, 13).join(' '), // 2: 13 fields
      good + ' extra', // 3: 15 fields
      '', // 4: blank
      v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 'abc', start: t }), // 5: non-numeric port
      v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 70000, start: t }), // 6: port out of range
      v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t, action: 'DROP' }), // 7: bad action
      good, // 8
    );
    let result: ReturnType<typeof run> | undefined;
    assert.doesNotThrow(() => (result = run([text], { source: 'flowlogs/fl-1.log' })));
    const { rows, stats } = result!;
    assert.equal(stats.malformed, 5);
    assert.equal(stats.records, 7);
    assert.equal(stats.attributed, 2);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].flows, 2);
    assert.deepEqual(
      stats.malformedExamples.map((m) => [m.source, m.line]),
      [
        ['flowlogs/fl-1.log', 2],
        ['flowlogs/fl-1.log', 3],
        ['flowlogs/fl-1.log', 5],
        ['flowlogs/fl-1.log', 6],
        ['flowlogs/fl-1.log', 7],
      ],
    );
    for (const m of stats.malformedExamples) assert.ok(m.reason.length > 0);
    assert.match(stats.malformedExamples[4].reason, /action/);
  });

  test('other non-numeric fields are malformed: start, end, packets, bytes, protocol', () => {
    const t = T0 + 30 * H;
    const base = { src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t };
    const bad = [
      v2(base).replace(` ${sec(t)} `, ' 17x9 '),
      v2({ ...base, packets: '-' }),
      v2({ ...base, bytes: '1e3' }),
      v2({ ...base, proto: 'tcp' }),
      v2({ ...base, sport: '-1' }),
      v2(base).replace(/ \d+ ACCEPT/, ' - ACCEPT'),
    ];
    const { rows, stats } = run([lines(...bad)]);
    assert.equal(rows.length, 0);
    assert.equal(stats.malformed, bad.length, JSON.stringify(stats));
  });

  test('only the first few malformed lines are kept as examples, all are counted', () => {
    const { stats } = run([lines(...Array.from({ length: 50 }, (_, i) => `garbage line ${i}`))], { source: 's' });
    assert.equal(stats.malformed, 50);
    assert.ok(stats.malformedExamples.length >= 3 && stats.malformedExamples.length <= 10, String(stats.malformedExamples.length));
    assert.deepEqual(
      stats.malformedExamples.map((m) => m.line),
      stats.malformedExamples.map((_, i) => i + 1),
    );
  });

  test('line numbers are counted per stream', () => {
    const agg = aggregator();
    const s1 = agg.stream(V2, 'one.log');
    s1.push(Buffer.from('x\ny\n'));
    s1.end();
    const s2 = agg.stream(V2, 'two.log');
    s2.push(Buffer.from('\nz\n'));
    s2.end();
    assert.deepEqual(
      agg.stats.malformedExamples.map((m) => `${m.source}:${m.line}`),
      ['one.log:1', 'one.log:2', 'two.log:2'],
    );
  });

  test('a line longer than 64 KiB is malformed and skipped, and the next line is read', () => {
    const t = T0 + 30 * H;
    const good = v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t });
    const long = 'y'.repeat(70 * 1024);
    const text = lines(good, long, good);
    const chunked: string[] = [];
    for (let i = 0; i < text.length; i += 1000) chunked.push(text.slice(i, i + 1000));
    const { rows, stats } = run(chunked, { source: 'big.log' });
    assert.equal(stats.malformed, 1);
    assert.equal(stats.malformedExamples[0].source, 'big.log');
    assert.equal(stats.malformedExamples[0].line, 2);
    assert.match(stats.malformedExamples[0].reason, /longer/);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].flows, 2);
  });

  test('a long line is malformed whether or not it arrives in one chunk', () => {
    const t = T0 + 30 * H;
    // A valid record but for its length: 70 KiB of account id.
    const long = v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t }).replace('123456789012', '1'.repeat(70 * 1024));
    const text = long + '\n';
    const whole = run([text]);
    const split: string[] = [];
    for (let i = 0; i < text.length; i += 4096) split.push(text.slice(i, i + 4096));
    const chunked = run(split);
    assert.equal(chunked.stats.malformed, 1);
    assert.equal(whole.stats.malformed, chunked.stats.malformed);
    assert.deepEqual(whole.rows, chunked.rows);
  });

  test('a line of exactly 64 KiB is read whatever its line ending and wherever the chunks split', () => {
    const t = T0 + 30 * H;
    const base = v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t });
    const line = base.replace('123456789012', '1'.repeat(64 * 1024 - base.length + 12));
    assert.equal(line.length, 64 * 1024);
    for (const eol of ['\n', '\r\n']) {
      const text = line + eol;
      for (const cut of [text.length, line.length - 1, line.length, line.length + 1, 1000]) {
        const r = run([text.slice(0, cut), text.slice(cut)]);
        assert.equal(r.stats.malformed, 0, `${JSON.stringify(eol)} split at ${cut}`);
        assert.equal(r.stats.attributed, 1, `${JSON.stringify(eol)} split at ${cut}`);
      }
    }
  });

  test('a malformed example for an over-long field still names the source and line', () => {
    const t = T0 + 30 * H;
    const good = v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t });
    const longPeer = v2({ src: ADDR_A, dst: 'a'.repeat(300), sport: 40000, dport: 5432, start: t });
    const { stats } = run([lines(good, longPeer)], { source: 'fl.log' });
    assert.equal(stats.malformed, 1);
    assert.deepEqual(
      stats.malformedExamples.map((m) => [m.source, m.line]),
      [['fl.log', 2]],
    );
  });

  test('binary garbage never throws', () => {
    const rand = seeded(7);
    const garbage = Buffer.alloc(20_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(rand() * 256);
    assert.doesNotThrow(() => run([garbage, Buffer.from('\n'), garbage.subarray(0, 999)]));
  });
});

describe('FlowAggregator: chunking', () => {
  const t = T0 + 30 * H;
  const text =
    [
      v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t, packets: 3, bytes: 333 }),
      v2({ src: '10.0.3.14', dst: ADDR_A, sport: 5432, dport: 40000, start: t + 10_000, end: t + 70_000 }),
      '',
      nodata(ENI_B),
      v2({ eni: ENI_B, src: ADDR_B, dst: '2600:1f18:abcd:2::20', sport: 40000, dport: 443, start: t - 20 * H, action: 'REJECT' }),
      'bad line',
      v2({ eni: 'eni-0other', src: '10.0.9.9', dst: '10.0.3.14', sport: 1, dport: 2, start: t }),
      v2({ src: ADDR_A, dst: '52.94.1.1', sport: 40001, dport: 443, start: t + H, packets: 12345, bytes: 987654321 }),
      v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: RANGE.end + 1000 }),
    ].join('\r\n') +
    '\n' +
    v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40002, dport: 5432, start: t + 5 * H });
  const whole = run([text]);

  test('the reference result is what the records say', () => {
    assert.equal(whole.stats.records, 9);
    assert.equal(whole.stats.malformed, 1);
    assert.equal(whole.stats.noData, 1);
    assert.equal(whole.stats.otherInterfaces, 1);
    assert.equal(whole.stats.outOfRange, 1);
    assert.equal(whole.stats.attributed, 5);
    assert.equal(whole.rows.length, 4);
  });

  test('a split at every byte position gives the same result as one chunk', () => {
    const bytes = Buffer.from(text, 'latin1');
    for (let i = 0; i <= bytes.length; i++) {
      const r = run([bytes.subarray(0, i), bytes.subarray(i)]);
      assert.deepEqual(r.rows, whole.rows, `split at ${i}`);
      assert.deepEqual(r.stats, whole.stats, `split at ${i}`);
    }
  });

  test('three-way splits around every line break give the same result', () => {
    const bytes = Buffer.from(text, 'latin1');
    const breaks = [...text.matchAll(/\n/g)].map((m) => m.index!);
    for (const b of breaks) {
      for (const d of [-2, -1, 0, 1, 2]) {
        const i = Math.max(0, b + d);
        const j = Math.min(bytes.length, i + 3);
        const r = run([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
        assert.deepEqual(r.rows, whole.rows, `split at ${i}, ${j}`);
      }
    }
  });

  test('one byte at a time gives the same result', () => {
    const bytes = Buffer.from(text, 'latin1');
    const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    const r = run(chunks);
    assert.deepEqual(r.rows, whole.rows);
    assert.deepEqual(r.stats, whole.stats);
  });

  test('Uint8Array chunks at odd offsets of a larger buffer work like Buffers', () => {
    const big = new Uint8Array(text.length + 7);
    big.set(Buffer.from(text, 'latin1'), 3);
    const view = new Uint8Array(big.buffer, 3, text.length);
    const r = run([view.subarray(0, 101), view.subarray(101)]);
    assert.deepEqual(r.rows, whole.rows);
  });

  test('empty chunks change nothing', () => {
    const bytes = Buffer.from(text, 'latin1');
    const r = run([new Uint8Array(0), bytes.subarray(0, 50), new Uint8Array(0), bytes.subarray(50), new Uint8Array(0)]);
    assert.deepEqual(r.rows, whole.rows);
    assert.deepEqual(r.stats, whole.stats);
  });

  test('a big input in many odd-sized chunks equals one chunk', () => {
    const rand = seeded(11);
    const recs: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const peer = `10.0.${3 + (i % 5)}.${i % 17}`;
      const start = RANGE.start + Math.floor(rand() * (RANGE.end - RANGE.start));
      recs.push(
        i % 2
          ? v2({ src: ADDR_A, dst: peer, sport: 30000 + (i % 1000), dport: 443 + (i % 3), start, bytes: i })
          : v2({
              eni: ENI_B,
              src: peer,
              dst: ADDR_B,
              sport: 443 + (i % 3),
              dport: 30000 + (i % 1000),
              start,
              bytes: i,
              action: i % 10 ? 'ACCEPT' : 'REJECT',
            }),
      );
    }
    const big = Buffer.from(recs.join('\n') + '\n', 'latin1');
    const one = run([big]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < big.length;) {
      const n = 1 + Math.floor(rand() * 5000);
      chunks.push(big.subarray(i, i + n));
      i += n;
    }
    const many = run(chunks);
    assert.equal(one.stats.attributed, 1500);
    assert.deepEqual(many.rows, one.rows);
    assert.deepEqual(many.stats, one.stats);
    assert.equal(
      one.rows.reduce((s, r) => s + r.flows, 0),
      1500,
    );
    assert.equal(
      one.rows.reduce((s, r) => s + r.bytes, 0),
      (1499 * 1500) / 2,
    );
  });
});

describe('FlowAggregator: time', () => {
  test('records outside the time range are counted as out of range', () => {
    const rec = (start: number) => v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start });
    const { rows, stats } = run([
      lines(rec(RANGE.start - 1000), rec(RANGE.start), rec(RANGE.end - 1000), rec(RANGE.end), rec(RANGE.end + 10 * H)),
    ]);
    assert.equal(stats.outOfRange, 3);
    assert.equal(stats.attributed, 2);
    assert.deepEqual(
      rows.map((r) => r.hour),
      [RANGE.start, RANGE.end - H],
    );
  });

  test('records are bucketed by the hour their start falls in', () => {
    const rec = (start: number, end = start + 30_000) => v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start, end });
    const h = T0 + 30 * H;
    const { rows } = run([lines(rec(h), rec(h + H - 1000, h + H + 500_000), rec(h + H), rec(h + 2 * H + 1000))]);
    assert.deepEqual(
      rows.map((r) => [r.hour, r.flows]),
      [
        [h, 2],
        [h + H, 1],
        [h + 2 * H, 1],
      ],
    );
    // A record that runs past the hour keeps its end in that hour's row.
    assert.equal(rows[0].last, h + H + 500_000);
  });

  test('first is the earliest start and last the latest end, in any order of records', () => {
    const h = T0 + 30 * H;
    const rec = (s: number, e: number) =>
      v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: h + s * 1000, end: h + e * 1000 });
    const { rows } = run([lines(rec(600, 660), rec(60, 100), rec(1200, 1300), rec(300, 2000))]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].first, h + 60_000);
    assert.equal(rows[0].last, h + 2_000_000);
  });

  test('a range that does not start on the hour still buckets by wall-clock hours', () => {
    const range = { start: T0 + 30 * 60_000, end: T0 + 5 * H + 30 * 60_000 };
    const agg = new FlowAggregator(ENIS, range, range.start);
    const s = agg.stream(V2, 'x');
    s.push(
      Buffer.from(
        lines(
          v2({ src: ADDR_A, dst: '10.0.3.14', sport: 1, dport: 5432, start: T0 + 31 * 60_000 }),
          v2({ src: ADDR_A, dst: '10.0.3.14', sport: 1, dport: 5432, start: T0 + 5 * H + 29 * 60_000 }),
          v2({ src: ADDR_A, dst: '10.0.3.14', sport: 1, dport: 5432, start: T0 + 29 * 60_000 }),
        ),
      ),
    );
    s.end();
    assert.deepEqual(
      sortRows(agg.aggregates()).map((r) => r.hour),
      [T0, T0 + 5 * H],
    );
    assert.equal(agg.stats.outOfRange, 1);
  });

  test('samples are kept for detection-window rows (at most a few) and for rejected baseline rows only', () => {
    const rec = (start: number, sport: number, action = 'ACCEPT') =>
      v2({ src: ADDR_A, dst: '10.0.3.14', sport, dport: 5432, start, action });
    const base = T0 + 2 * H;
    const det = SAMPLE_FROM + H;
    const detRecs = [1, 2, 3, 4, 5].map((i) => rec(det + i * 1000, 40000 + i));
    const { rows } = run([lines(rec(base, 40000), rec(base + 1000, 40001), rec(base, 40002, 'REJECT'), ...detRecs)]);
    const baseAccept = rows.find((r) => r.hour === base && r.action === 'ACCEPT')!;
    const baseReject = rows.find((r) => r.hour === base && r.action === 'REJECT')!;
    const detect = rows.find((r) => r.hour === det)!;
    assert.equal(baseAccept.samples, undefined);
    assert.deepEqual(baseReject.samples, [rec(base, 40002, 'REJECT')]);
    assert.ok(detect.samples && detect.samples.length >= 1 && detect.samples.length <= 5);
    assert.deepEqual(detect.samples, detRecs.slice(0, detect.samples.length));
    assert.equal(detect.flows, 5);
  });
});

describe('FlowAggregator: formats', () => {
  test('a custom v5 field order (mixed-v5 LogFormat) is read by name, bytes and packets not swapped', () => {
    const t = sec(T0 + 30 * H);
    const recs = [
      `5 vpc-1 subnet-1 - ${ENI_A} 123456789012 IPv4 ${ADDR_A} 10.0.3.168 47681 6379 ${ADDR_A} 10.0.3.168 6 2595 15 ${t} ${t + 20} ACCEPT 3 OK egress`,
      `5 vpc-1 subnet-1 - ${ENI_A} 123456789012 IPv4 10.0.3.168 ${ADDR_A} 6379 47681 10.0.3.168 ${ADDR_A} 6 40467 41 ${t + 1} ${t + 27} ACCEPT 19 OK ingress`,
      `5 vpc-1 subnet-1 - ${ENI_A} 123456789012 - - - - - - - - - - ${t} ${t + 600} - - NODATA -`,
    ];
    const { rows, stats } = run([lines(...recs)], { format: MIXED_V5 });
    assert.equal(stats.malformed, 0);
    assert.equal(stats.noData, 1);
    assert.equal(rows.length, 1);
    const [r] = rows;
    assert.equal(r.remoteAddress, '10.0.3.168');
    assert.equal(r.remotePort, 6379);
    assert.equal(r.bytes, 2595 + 40467);
    assert.equal(r.packets, 15 + 41);
    assert.equal(r.first, t * 1000);
    assert.equal(r.last, (t + 27) * 1000);
  });

  test('the same traffic in v2 and in the mixed-v5 format aggregates the same', () => {
    const t = T0 + 30 * H;
    const asV5 = (r: Required<Pick<Rec, 'src' | 'dst' | 'sport' | 'dport' | 'start'>> & { bytes: number; packets: number }) =>
      `5 vpc-1 subnet-1 - ${ENI_A} 123456789012 IPv4 ${r.src} ${r.dst} ${r.sport} ${r.dport} ${r.src} ${r.dst} 6 ${r.bytes} ${r.packets} ${sec(r.start)} ${sec(r.start) + 30} ACCEPT 3 OK egress`;
    const recs = [
      { src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t, bytes: 100, packets: 2 },
      { src: '10.0.3.14', dst: ADDR_A, sport: 5432, dport: 40000, start: t + 1000, bytes: 900, packets: 3 },
      { src: ADDR_A, dst: '52.94.1.1', sport: 40010, dport: 443, start: t + H, bytes: 55, packets: 1 },
    ];
    const a = run([lines(...recs.map((r) => v2(r)))]);
    const b = run([lines(...recs.map(asV5))], { format: MIXED_V5 });
    assert.deepEqual(
      b.rows.map(({ samples: _s, ...r }) => r),
      a.rows.map(({ samples: _s, ...r }) => r),
    );
  });

  test('streams in different formats add into the same aggregates', () => {
    const t = T0 + 30 * H;
    const agg = aggregator();
    const s1 = agg.stream(V2, 'a');
    s1.push(Buffer.from(v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t, bytes: 10 }) + '\n'));
    s1.end();
    const s2 = agg.stream(MIXED_V5, 'b');
    s2.push(
      Buffer.from(
        `5 vpc-1 subnet-1 - ${ENI_A} 1 IPv4 ${ADDR_A} 10.0.3.14 40001 5432 ${ADDR_A} 10.0.3.14 6 20 1 ${sec(t) + 5} ${sec(t) + 9} ACCEPT 3 OK egress\n`,
      ),
    );
    s2.end();
    const rows = agg.aggregates();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].flows, 2);
    assert.equal(rows[0].bytes, 30);
  });

  test('aggregated rows (Logs Insights) merge with raw ones and unknown ENIs are dropped', () => {
    const t = T0 + 30 * H;
    const agg = aggregator();
    const s = agg.stream(V2, 'a');
    s.push(
      Buffer.from(
        v2({ src: ADDR_A, dst: '10.0.3.14', sport: 40000, dport: 5432, start: t + 60_000, end: t + 90_000, bytes: 10, packets: 1 }) + '\n',
      ),
    );
    s.end();
    agg.addAggregates([
      {
        eniId: ENI_A,
        remoteAddress: '10.0.3.14',
        remotePort: 5432,
        protocol: 6,
        action: 'ACCEPT',
        hour: t,
        flows: 4,
        packets: 8,
        bytes: 400,
        first: t + 1000,
        last: t + 2000,
      },
      {
        eniId: ENI_A,
        remoteAddress: '10.0.3.14',
        remotePort: 5432,
        protocol: 6,
        action: 'REJECT',
        hour: t,
        flows: 2,
        packets: 2,
        bytes: 80,
        first: t + 5000,
        last: t + 6000,
      },
      {
        eniId: 'eni-0unknown',
        remoteAddress: '10.0.3.14',
        remotePort: 5432,
        protocol: 6,
        action: 'ACCEPT',
        hour: t,
        flows: 9,
        packets: 9,
        bytes: 9,
        first: t,
        last: t,
      },
    ]);
    const rows = sortRows(agg.aggregates());
    assert.deepEqual(
      rows.map((r) => [r.action, r.flows, r.packets, r.bytes, r.first - t, r.last - t]),
      [
        ['ACCEPT', 5, 9, 410, 1000, 90_000],
        ['REJECT', 2, 2, 80, 5000, 6000],
      ],
    );
    assert.equal(agg.stats.records, 7);
    assert.equal(agg.stats.attributed, 7);
  });

  test('aggregated rows outside the time range are counted out of range, never filed under another ENI', () => {
    const agg = aggregator();
    const before = RANGE.start - H;
    agg.addAggregates([
      {
        eniId: ENI_B,
        remoteAddress: '10.0.3.14',
        remotePort: 5432,
        protocol: 6,
        action: 'ACCEPT',
        hour: before,
        flows: 4,
        packets: 4,
        bytes: 4,
        first: before + 1000,
        last: before + 2000,
      },
      {
        eniId: ENI_A,
        remoteAddress: '10.0.3.14',
        remotePort: 5432,
        protocol: 6,
        action: 'ACCEPT',
        hour: RANGE.end + 5 * H,
        flows: 2,
        packets: 2,
        bytes: 2,
        first: RANGE.end + 5 * H,
        last: RANGE.end + 5 * H,
      },
    ]);
    const rows = agg.aggregates();
    for (const r of rows) {
      assert.ok(r.hour >= RANGE.start && r.hour < RANGE.end, `row at ${new Date(r.hour).toISOString()} for ${r.eniId} ${r.action}`);
    }
    assert.ok(!rows.some((r) => r.eniId === ENI_A && r.action === 'REJECT'), JSON.stringify(rows));
    assert.equal(agg.stats.attributed, 0);
  });

  test('without interface-id, records are attributed by address through the ENI history, by time', () => {
    const format = parseLogFormat(
      '${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}',
    );
    const shared = '10.0.1.50';
    const eni = (id: string, since: number): NetworkInterface => ({
      id,
      type: 'lambda',
      description: `AWS Lambda VPC ENI-fn-${id}`,
      subnetId: 'subnet-1',
      vpcId: 'vpc-1',
      securityGroupIds: ['sg-1'],
      privateIps: [shared],
      ipv6Ips: [],
      since,
    });
    const first = eni('eni-0first', T0 - 10 * 24 * H);
    const second = eni('eni-0second', T0 + 30 * H);
    const history = new EniHistory();
    history.observe(T0 + 10 * H, [first], []);
    history.observe(T0 + 40 * H, [second], []);
    const rec = (src: string, dst: string, sport: number, dport: number, start: number) =>
      `2 ${src} ${dst} ${sport} ${dport} 6 1 100 ${sec(start)} ${sec(start) + 10} ACCEPT OK`;
    const { rows, stats } = run(
      [
        lines(
          rec(shared, '10.0.3.14', 40000, 5432, T0 + 5 * H),
          rec('10.0.3.14', shared, 5432, 40000, T0 + 5 * H),
          rec(shared, '10.0.3.14', 40000, 5432, T0 + 35 * H),
          rec('10.0.7.7', '10.0.3.14', 40000, 5432, T0 + 35 * H),
        ),
      ],
      {
        format,
        history,
        enis: [
          { id: 'eni-0first', addresses: [shared] },
          { id: 'eni-0second', addresses: [shared] },
        ],
      },
    );
    assert.deepEqual(
      rows.map((r) => [r.eniId, r.hour, r.flows, r.remoteAddress, r.remotePort]),
      [
        ['eni-0first', T0 + 5 * H, 2, '10.0.3.14', 5432],
        ['eni-0second', T0 + 35 * H, 1, '10.0.3.14', 5432],
      ],
    );
    assert.equal(stats.otherInterfaces, 1);
  });

  test('without interface-id and without a history nothing is attributed', () => {
    const format = parseLogFormat('${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${action}');
    const { rows, stats } = run([`${ADDR_A} 10.0.3.14 40000 5432 6 ${sec(T0 + H)} ACCEPT\n`], { format });
    assert.equal(rows.length, 0);
    assert.equal(stats.otherInterfaces, 1);
  });

  test('a format with only end times buckets by end; packets and bytes absent are zero', () => {
    const format = parseLogFormat('${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${end} ${action}');
    const end = T0 + 30 * H + 5000;
    const { rows } = run([`${ENI_A} ${ADDR_A} 10.0.3.14 40000 5432 6 ${sec(end)} ACCEPT\n`], { format });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].hour, T0 + 30 * H);
    assert.equal(rows[0].first, end);
    assert.equal(rows[0].packets, 0);
    assert.equal(rows[0].bytes, 0);
  });

  test('unknown fields in the format are skipped', () => {
    const format = parseLogFormat('${interface-id} ${mystery} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${action}');
    const { rows, stats } = run([`${ENI_A} whatever ${ADDR_A} 10.0.3.14 40000 5432 6 ${sec(T0 + H)} ACCEPT\n`], { format });
    assert.equal(stats.malformed, 0);
    assert.equal(rows.length, 1);
  });
});

describe('FlowAggregator: gzip through the replay backend', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  function scenario(flowText: string, gz: boolean): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'core-flow-'));
    dirs.push(dir);
    const w = (rel: string, value: unknown) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), JSON.stringify(value));
    };
    w('scenario.json', { formatVersion: 1, accountId: '123456789012', region: 'us-east-1', recordedAt: new Date(RANGE.end).toISOString() });
    w('lambda/list-functions.json', { Functions: [] });
    w('ec2/describe-network-interfaces.json', { NetworkInterfaces: [] });
    w('ec2/describe-flow-logs.json', {
      FlowLogs: [
        {
          FlowLogId: 'fl-1',
          LogFormat: '',
          LogDestinationType: 'cloud-watch-logs',
          ResourceId: 'vpc-1',
          TrafficType: 'ALL',
          FlowLogStatus: 'ACTIVE',
        },
      ],
    });
    w('cloudtrail/lookup-events.json', { Events: [] });
    w('cloudwatch/get-metric-data.json', { MetricDataQueries: [], MetricDataResults: [] });
    fs.mkdirSync(path.join(dir, 'flowlogs'));
    const file = path.join(dir, 'flowlogs', gz ? 'fl-1.log.gz' : 'fl-1.log');
    fs.writeFileSync(file, gz ? zlib.gzipSync(flowText) : flowText);
    return dir;
  }

  async function readAll(dir: string) {
    const source = openScenario(dir);
    const signal = new AbortController().signal;
    const [flowLog] = await source.describeFlowLogs(signal);
    const agg = aggregator();
    const request = {
      start: RANGE.start,
      end: RANGE.end,
      enis: [
        { id: ENI_A, addresses: [ADDR_A] },
        { id: ENI_B, addresses: [ADDR_B] },
      ],
    };
    let sources = 0;
    for await (const data of source.readFlowLog(flowLog, request, signal)) {
      assert.equal(data.kind, 'raw');
      if (data.kind !== 'raw') continue;
      sources++;
      assert.ok(data.source.includes('fl-1.log'), data.source);
      const s = agg.stream(parseLogFormat(flowLog.logFormat), data.source);
      for await (const chunk of data.chunks) s.push(chunk);
      s.end();
    }
    assert.equal(sources, 1);
    return { rows: sortRows(agg.aggregates()), stats: agg.stats };
  }

  test('a gzip flow log aggregates like the same text given directly', async () => {
    const rand = seeded(3);
    const recs: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const start = RANGE.start + Math.floor(rand() * (RANGE.end - RANGE.start));
      recs.push(v2({ src: ADDR_A, dst: `10.0.3.${i % 7}`, sport: 40000 + (i % 100), dport: 5432, start, bytes: 1 + (i % 13) }));
    }
    recs.push(nodata());
    const text = recs.join('\n') + '\n';
    const direct = run([text]);
    const gz = await readAll(scenario(text, true));
    const plain = await readAll(scenario(text, false));
    assert.equal(gz.stats.attributed, 2000);
    assert.equal(gz.stats.noData, 1);
    assert.deepEqual(gz.rows, direct.rows);
    assert.deepEqual(gz.stats, direct.stats);
    assert.deepEqual(plain.rows, direct.rows);
  });
});

describe("FlowAggregator: the remote side's AWS service (v5 pkt-*-aws-service)", () => {
  const V5 = parseLogFormat(
    '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ' +
      '${flow-direction} ${pkt-src-aws-service} ${pkt-dst-aws-service}',
  );
  const rec = (
    src: string,
    dst: string,
    sport: number,
    dport: number,
    direction: string,
    srcService: string,
    dstService: string,
    at = T0 + 30 * H,
  ) =>
    `5 123456789012 ${ENI_A} ${src} ${dst} ${sport} ${dport} 6 10 1000 ${sec(at)} ${sec(at) + 30} ACCEPT OK ${direction} ${srcService} ${dstService}`;

  test('egress takes pkt-dst-aws-service and its return traffic pkt-src-aws-service: one row, the service on it', () => {
    const { rows, stats } = run(
      [lines(rec(ADDR_A, '3.5.0.10', 40000, 443, 'egress', '-', 'S3'), rec('3.5.0.10', ADDR_A, 443, 40000, 'ingress', 'S3', '-'))],
      { format: V5 },
    );
    assert.equal(stats.malformed, 0);
    assert.deepEqual(
      rows.map((r) => [r.remoteAddress, r.remotePort, r.flows, r.remoteService]),
      [['3.5.0.10', 443, 2, 'S3']],
    );
  });

  test("`-` names no service; the local side's service is not the peer's", () => {
    const { rows } = run(
      [
        lines(
          rec(ADDR_A, '185.220.101.45', 40000, 443, 'egress', '-', '-'),
          // A service name on the ENI's own side (never the case for a Lambda ENI, but the field is the source's): not the peer's.
          rec(ADDR_A, '10.0.3.14', 40001, 5432, 'egress', 'EC2', '-'),
        ),
      ],
      { format: V5 },
    );
    assert.deepEqual(
      rows.map((r) => [r.remoteAddress, r.remoteService]),
      [
        ['10.0.3.14', undefined],
        ['185.220.101.45', undefined],
      ],
    );
    for (const r of rows) assert.ok(!('remoteService' in r), 'no remoteService key without a service');
  });

  test('the same address named by two services (or by one and by none) is two peers: the names are kept apart', () => {
    const { rows } = run(
      [
        lines(
          rec(ADDR_A, '52.94.1.2', 40000, 443, 'egress', '-', 'DYNAMODB'),
          rec(ADDR_A, '52.94.1.2', 40001, 443, 'egress', '-', 'AMAZON'),
          rec(ADDR_A, '52.94.1.2', 40002, 443, 'egress', '-', '-'),
          rec(ADDR_A, '52.94.1.2', 40003, 443, 'egress', '-', 'DYNAMODB'),
        ),
      ],
      { format: V5 },
    );
    assert.deepEqual(rows.map((r) => `${r.remoteService ?? '-'} ${r.flows}`).sort(), ['- 1', 'AMAZON 1', 'DYNAMODB 2']);
  });

  test('a field that is not a service name is ignored rather than interned', () => {
    const { rows, stats } = run([lines(rec(ADDR_A, '3.5.0.10', 40000, 443, 'egress', '-', 'not<a>name'))], { format: V5 });
    assert.equal(stats.malformed, 0);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].remoteService, undefined);
  });

  test('many services and many addresses: every row keeps its own service (the interned names do not mix)', () => {
    const services = [
      'S3',
      'DYNAMODB',
      'CLOUDFRONT',
      'API_GATEWAY',
      'ROUTE53',
      'EC2',
      'AMAZON',
      'GLOBALACCELERATOR',
      'KINESIS_VIDEO_STREAMS',
      'WORKSPACES_GATEWAYS',
      'CODEBUILD',
      'EBS',
    ];
    const recs: string[] = [];
    for (let i = 0; i < 240; i++)
      recs.push(rec(ADDR_A, `3.5.${i % 50}.${i}`, 40000 + i, 443, 'egress', '-', services[i % services.length]));
    const { rows } = run([lines(...recs)], { format: V5 });
    assert.equal(rows.length, 240);
    for (const r of rows) {
      const i = Number(r.remoteAddress.split('.')[3]);
      assert.equal(r.remoteService, services[i % services.length], r.remoteAddress);
    }
  });

  test('Logs Insights rows keep their service, and merge with raw records of the same service', () => {
    const agg = aggregator();
    const s = agg.stream(V5, 'raw');
    s.push(Buffer.from(rec(ADDR_A, '3.5.0.10', 40000, 443, 'egress', '-', 'S3') + '\n'));
    s.end();
    const hour = Math.floor((T0 + 30 * H) / H) * H;
    const base = {
      eniId: ENI_A,
      remoteAddress: '3.5.0.10',
      remotePort: 443,
      protocol: 6,
      action: 'ACCEPT' as const,
      hour,
      packets: 1,
      bytes: 10,
      first: hour,
      last: hour + 1000,
    };
    agg.addAggregates([
      { ...base, flows: 4, remoteService: 'S3' },
      { ...base, flows: 2 },
    ]);
    const rows = agg.aggregates();
    assert.deepEqual(rows.map((r) => `${r.remoteService ?? '-'} ${r.flows}`).sort(), ['- 2', 'S3 5']);
  });
});
