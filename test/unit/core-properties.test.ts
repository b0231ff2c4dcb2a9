// Property-based tests (fast-check): any input to the parsers gives a result or a clear error, never a crash, a hang or a lost record.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseAccepted } from '../../src/core/accepted';
import { FlowAggregator } from '../../src/core/flowlog/aggregate';
import { DEFAULT_LOG_FORMAT, KNOWN_FLOW_FIELDS, LogFormatError, parseLogFormat } from '../../src/core/flowlog/format';
import { InputError } from '../../src/core/ports';

const RANGE = { start: Date.parse('2026-11-08T00:00:00Z'), end: Date.parse('2026-11-23T00:00:00Z') };
const ENI = { id: 'eni-0a1b2c3d4e5f60718', addresses: ['10.0.1.5'] };
const startSec = (RANGE.start + 14 * 86_400_000) / 1000;

function aggregator() {
  return new FlowAggregator([ENI], RANGE, RANGE.start + 14 * 86_400_000);
}

/** A well-formed v2 record on the Lambda ENI, to the peer `peer`. */
const goodRecord = fc
  .record({
    peer: fc.ipV4(),
    port: fc.integer({ min: 1, max: 65535 }),
    eph: fc.integer({ min: 32768, max: 60999 }),
    proto: fc.constantFrom(6, 17),
    packets: fc.integer({ min: 1, max: 10_000 }),
    bytes: fc.integer({ min: 40, max: 10_000_000 }),
    offset: fc.integer({ min: 0, max: 86_000 }),
    action: fc.constantFrom('ACCEPT', 'REJECT'),
    egress: fc.boolean(),
  })
  .map((r) => {
    const [src, dst, sp, dp] = r.egress ? [ENI.addresses[0], r.peer, r.eph, r.port] : [r.peer, ENI.addresses[0], r.port, r.eph];
    const t = startSec + r.offset;
    return `2 123456789012 ${ENI.id} ${src} ${dst} ${sp} ${dp} ${r.proto} ${r.packets} ${r.bytes} ${t} ${t + 30} ${r.action} OK`;
  });

describe('flow records: any bytes', () => {
  test('arbitrary lines never throw; every line is counted as a record, malformed or skipped', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), goodRecord), { maxLength: 60 }),
        (lines) => {
          const agg = aggregator();
          const stream = agg.stream(parseLogFormat(DEFAULT_LOG_FORMAT), 'prop.log');
          stream.push(Buffer.from(lines.join('\n') + '\n', 'utf8'));
          stream.end();
          const s = agg.stats;
          const nonBlank = lines
            .join('\n')
            .split('\n')
            .filter((l) => l.replace(/[ \r]/g, '').length > 0).length;
          // Every non-blank line is accounted for exactly once.
          assert.equal(s.records, nonBlank);
          assert.equal(s.attributed + s.noData + s.skipData + s.otherInterfaces + s.outOfRange + s.malformed, s.records);
          for (const row of agg.aggregates()) assert.ok(row.flows > 0 && row.bytes >= 0 && row.first <= row.last);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('well-formed records are all attributed, and chunking never changes the result', () => {
    fc.assert(
      fc.property(
        fc.array(goodRecord, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 30 }),
        (lines, cuts) => {
          const text = Buffer.from(lines.join('\n') + '\n');
          const whole = aggregator();
          const a = whole.stream(parseLogFormat(undefined), 'x');
          a.push(text);
          a.end();
          const chunked = aggregator();
          const b = chunked.stream(parseLogFormat(undefined), 'x');
          let pos = 0;
          for (const cut of cuts) {
            if (pos >= text.length) break;
            b.push(text.subarray(pos, Math.min(text.length, pos + cut)));
            pos += cut;
          }
          if (pos < text.length) b.push(text.subarray(pos));
          b.end();
          assert.equal(whole.stats.attributed, lines.length);
          assert.deepEqual(chunked.stats, whole.stats);
          const key = (r: { remoteAddress: string; remotePort: number; action: string; hour: number }) =>
            `${r.remoteAddress} ${r.remotePort} ${r.action} ${r.hour}`;
          const sum = (rows: ReturnType<FlowAggregator['aggregates']>) => rows.map((r) => `${key(r)} ${r.flows} ${r.bytes}`).sort();
          assert.deepEqual(sum(chunked.aggregates()), sum(whole.aggregates()));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('parsing time stays linear: 8× the input takes well under 8× squared the time', () => {
    const line = '2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.3.4 50000 5432 6 10 1000 1794096000 1794096030 ACCEPT OK\n';
    const time = (n: number) => {
      const buf = Buffer.from(line.repeat(n));
      const agg = aggregator();
      const s = agg.stream(parseLogFormat(undefined), 'x');
      const t0 = process.hrtime.bigint();
      s.push(buf);
      s.end();
      return Number(process.hrtime.bigint() - t0);
    };
    time(20_000); // warm up the JIT
    const small = Math.min(time(20_000), time(20_000));
    const large = Math.min(time(160_000), time(160_000));
    assert.ok(large < small * 8 * 4, `20k lines ${small / 1e6} ms, 160k lines ${large / 1e6} ms`);
    // One enormous line without a newline is refused, not buffered or scanned quadratically.
    const agg = aggregator();
    const s = agg.stream(parseLogFormat(undefined), 'huge.log');
    const t0 = Date.now();
    for (let i = 0; i < 64; i++) s.push(Buffer.alloc(256 * 1024, 0x41));
    s.end();
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(agg.stats.malformed, 1);
    assert.match(agg.stats.malformedExamples[0].reason, /longer than/);
  });
});

describe('LogFormat: any text', () => {
  test('either a format whose fields are the tokens, or a LogFormatError; never anything else', () => {
    const token = fc.oneof(
      fc.constantFrom(...KNOWN_FLOW_FIELDS).map((f) => `\${${f}}`),
      fc.string({ maxLength: 12 }).map((s) => `\${${s}}`),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => {
        const text = tokens.join(' ');
        try {
          const f = parseLogFormat(text);
          assert.ok(f.fieldCount >= 7);
          assert.ok(f.srcaddr >= 0 && f.dstaddr >= 0 && f.action >= 0);
        } catch (err) {
          assert.ok(err instanceof LogFormatError, String(err));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('accepted-behaviour file: any text', () => {
  test('either a document or an InputError naming the file', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ formatVersion: 1, accepted: [v] })),
        ),
        (text) => {
          try {
            const doc = parseAccepted(text, 'baseline.json');
            assert.equal(doc.formatVersion, 1);
          } catch (err) {
            assert.ok(err instanceof InputError, String(err));
            assert.match((err as Error).message, /^baseline\.json: /);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
