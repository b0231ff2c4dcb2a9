// LogFormat parsing: field positions for the record parser, the default format, unknown fields, and the errors that name what is missing.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { DEFAULT_LOG_FORMAT, KNOWN_FLOW_FIELDS, LogFormatError, parseLogFormat } from '../../src/core/flowlog/format';

const V2 =
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';
const MIXED_V5 =
  '${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ' +
  '${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} ${log-status} ${flow-direction}';

describe('parseLogFormat', () => {
  test('an empty, blank or missing LogFormat is the default v2 format', () => {
    for (const text of [undefined, '', '   ', '\n\t ']) {
      const f = parseLogFormat(text);
      assert.equal(f.text, DEFAULT_LOG_FORMAT, JSON.stringify(text));
      assert.equal(f.fieldCount, 14);
      assert.deepEqual(f.names, [
        'version',
        'account-id',
        'interface-id',
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
        'log-status',
      ]);
      assert.equal(f.interfaceId, 2);
      assert.equal(f.srcaddr, 3);
      assert.equal(f.dstaddr, 4);
      assert.equal(f.srcport, 5);
      assert.equal(f.dstport, 6);
      assert.equal(f.protocol, 7);
      assert.equal(f.packets, 8);
      assert.equal(f.bytes, 9);
      assert.equal(f.start, 10);
      assert.equal(f.end, 11);
      assert.equal(f.action, 12);
      assert.equal(f.logStatus, 13);
      assert.equal(f.flowDirection, -1);
      assert.deepEqual(f.unknownFields, []);
    }
  });

  test('the explicit v2 format equals the default', () => {
    assert.deepEqual(parseLogFormat(V2), parseLogFormat(''));
  });

  test('v3-v5 fields in a custom order get their positions', () => {
    const f = parseLogFormat(MIXED_V5);
    assert.equal(f.fieldCount, 22);
    assert.equal(f.interfaceId, 4);
    assert.equal(f.srcaddr, 7);
    assert.equal(f.dstaddr, 8);
    assert.equal(f.srcport, 9);
    assert.equal(f.dstport, 10);
    assert.equal(f.protocol, 13);
    assert.equal(f.bytes, 14);
    assert.equal(f.packets, 15);
    assert.equal(f.start, 16);
    assert.equal(f.end, 17);
    assert.equal(f.action, 18);
    assert.equal(f.logStatus, 20);
    assert.equal(f.flowDirection, 21);
    assert.deepEqual(f.unknownFields, []);
  });

  test('a reversed order is read as such', () => {
    const names = [
      'log-status',
      'action',
      'end',
      'start',
      'bytes',
      'packets',
      'protocol',
      'dstport',
      'srcport',
      'dstaddr',
      'srcaddr',
      'interface-id',
    ];
    const f = parseLogFormat(names.map((n) => '${' + n + '}').join(' '));
    assert.equal(f.logStatus, 0);
    assert.equal(f.action, 1);
    assert.equal(f.end, 2);
    assert.equal(f.start, 3);
    assert.equal(f.bytes, 4);
    assert.equal(f.packets, 5);
    assert.equal(f.protocol, 6);
    assert.equal(f.dstport, 7);
    assert.equal(f.srcport, 8);
    assert.equal(f.dstaddr, 9);
    assert.equal(f.srcaddr, 10);
    assert.equal(f.interfaceId, 11);
    assert.equal(f.fieldCount, 12);
  });

  test('any whitespace separates tokens; surrounding whitespace is ignored', () => {
    const f = parseLogFormat('  ${srcaddr}\t${dstaddr}  ${srcport}\n${dstport} ${protocol} ${start} ${action}  ');
    assert.deepEqual(f.names, ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'start', 'action']);
    assert.equal(f.fieldCount, 7);
  });

  test('optional fields absent are -1', () => {
    const f = parseLogFormat('${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${action}');
    assert.equal(f.interfaceId, -1);
    assert.equal(f.packets, -1);
    assert.equal(f.bytes, -1);
    assert.equal(f.end, -1);
    assert.equal(f.logStatus, -1);
    assert.equal(f.flowDirection, -1);
  });

  test('end alone is enough for the time of a record', () => {
    const f = parseLogFormat('${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${end} ${action}');
    assert.equal(f.start, -1);
    assert.equal(f.end, 5);
  });

  test('unknown fields are reported, not fatal, and keep their position', () => {
    const f = parseLogFormat(
      '${version} ${future-field} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${action} ${another-one}',
    );
    assert.deepEqual(f.unknownFields, ['future-field', 'another-one']);
    assert.equal(f.fieldCount, 10);
    assert.equal(f.srcaddr, 2);
    assert.equal(f.action, 8);
  });

  test('every field of v2-v8 is known', () => {
    const all = [...KNOWN_FLOW_FIELDS].map((n) => '${' + n + '}').join(' ');
    const f = parseLogFormat(all);
    assert.deepEqual(f.unknownFields, []);
    for (const name of [
      'reject-reason',
      'ecs-task-id',
      'traffic-path',
      'pkt-dst-aws-service',
      'sublocation-id',
      'az-id',
      'tcp-flags',
      'type',
    ]) {
      assert.ok(KNOWN_FLOW_FIELDS.has(name), name);
    }
  });

  test('missing required fields raise a LogFormatError naming each of them', () => {
    assert.throws(
      () => parseLogFormat('${version} ${interface-id} ${srcaddr} ${packets}'),
      (err: unknown) => {
        assert.ok(err instanceof LogFormatError);
        assert.equal(err.name, 'LogFormatError');
        for (const n of ['dstaddr', 'srcport', 'dstport', 'protocol', 'action', 'start'])
          assert.ok(err.message.includes('${' + n + '}'), `${n} in ${err.message}`);
        assert.ok(!err.message.includes('${srcaddr}'), err.message);
        assert.ok(!err.message.includes('${interface-id}'), err.message);
        return true;
      },
    );
  });

  test('each single required field missing is named', () => {
    const required = ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'action'];
    for (const gone of required) {
      const text = [...required.filter((n) => n !== gone), 'start'].map((n) => '${' + n + '}').join(' ');
      assert.throws(
        () => parseLogFormat(text),
        (err: unknown) => err instanceof LogFormatError && err.message.includes('${' + gone + '}'),
        gone,
      );
    }
    // Neither start nor end: the time is missing.
    assert.throws(
      () => parseLogFormat(required.map((n) => '${' + n + '}').join(' ')),
      (err: unknown) => err instanceof LogFormatError && err.message.includes('${start}'),
    );
  });

  test('tokens not of the form ${field-name} are refused, quoting the token', () => {
    const good = '${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${action}';
    for (const bad of ['version', '${Version}', '${srcaddr}x', '$srcaddr', '{srcaddr}', '${src_addr}', '${}', '${a b}', '$(srcaddr)']) {
      assert.throws(
        () => parseLogFormat(`${good} ${bad}`),
        (err: unknown) => {
          assert.ok(err instanceof LogFormatError, bad);
          // A token with a space in it is split in two: the message quotes a part of it.
          const quoted = bad.split(' ')[0];
          assert.ok(err.message.includes(`"${quoted}"`), `${bad}: ${err.message}`);
          return true;
        },
      );
    }
  });

  test('a format of more fields than a flow log has is refused, and one of 256 parses', () => {
    const required = '${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${action}';
    const padded = (n: number) => `${required}${' ${version}'.repeat(n - 7)}`;
    assert.equal(parseLogFormat(padded(256)).fieldCount, 256);
    assert.throws(
      () => parseLogFormat(padded(10_000)),
      (err: unknown) => err instanceof LogFormatError && err.message === "LogFormat has 10000 fields: a flow log's has at most 256",
    );
  });

  test('a huge bad token is quoted only in part', () => {
    const bad = 'x'.repeat(10_000);
    assert.throws(
      () => parseLogFormat(bad),
      (err: unknown) => err instanceof LogFormatError && err.message.length < 200,
    );
  });
});
