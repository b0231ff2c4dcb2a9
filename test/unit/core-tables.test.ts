// ByteInterner and IntKeyTable: the hash tables under flow aggregation.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { ByteInterner, IntKeyTable } from '../../src/core/flowlog/tables';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const intern = (t: ByteInterner, s: string) => {
  const b = bytes(s);
  return t.intern(b, 0, b.length);
};

describe('ByteInterner', () => {
  test('ids are dense from 0 in first-seen order, and stable', () => {
    const t = new ByteInterner(4);
    assert.equal(t.size, 0);
    assert.equal(intern(t, 'alpha'), 0);
    assert.equal(intern(t, 'beta'), 1);
    assert.equal(intern(t, 'alpha'), 0);
    assert.equal(intern(t, 'gamma'), 2);
    assert.equal(intern(t, 'beta'), 1);
    assert.equal(t.size, 3);
    assert.equal(t.text(0), 'alpha');
    assert.equal(t.text(1), 'beta');
    assert.equal(t.text(2), 'gamma');
  });

  test('interns a range of a larger buffer, not the whole buffer', () => {
    const t = new ByteInterner();
    const b = bytes('xx10.0.0.1 443 6yy');
    const id = t.intern(b, 2, b.length - 2);
    assert.equal(t.text(id), '10.0.0.1 443 6');
    assert.equal(t.find('10.0.0.1 443 6'), id);
    // Same bytes at another offset of another buffer: same id.
    const c = bytes('10.0.0.1 443 6');
    assert.equal(t.intern(c, 0, c.length), id);
    // A prefix is another key.
    assert.notEqual(t.intern(c, 0, c.length - 1), id);
    assert.equal(t.size, 2);
  });

  test('the empty byte range is a key like any other', () => {
    const t = new ByteInterner();
    const b = bytes('abc');
    const id = t.intern(b, 1, 1);
    assert.equal(id, 0);
    assert.equal(t.text(id), '');
    assert.equal(t.intern(b, 2, 2), 0);
    assert.equal(t.find(''), 0);
  });

  test('find() returns -1 for unknown keys and never adds', () => {
    const t = new ByteInterner();
    intern(t, 'one');
    assert.equal(t.find('two'), -1);
    assert.equal(t.find('on'), -1);
    assert.equal(t.find('one '), -1);
    assert.equal(t.size, 1);
    assert.equal(intern(t, 'two'), 1, 'find did not take id 1');
    assert.equal(t.find('two'), 1);
  });

  test('non-ASCII bytes round-trip as latin1', () => {
    const t = new ByteInterner();
    const b = Buffer.from([0xe9, 0x00, 0xff, 0x20]);
    const id = t.intern(b, 0, b.length);
    assert.equal(t.text(id), '\u00e9\u0000\u00ff ');
    assert.equal(t.find('\u00e9\u0000\u00ff '), id);
  });

  test('grows past its initial capacity: 100k keys keep their ids and texts', () => {
    const t = new ByteInterner(16);
    const n = 100_000;
    for (let i = 0; i < n; i++) assert.equal(intern(t, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255} ${i % 65536} 6`), i);
    assert.equal(t.size, n);
    for (let i = 0; i < n; i += 997) {
      const key = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255} ${i % 65536} 6`;
      assert.equal(t.find(key), i);
      assert.equal(t.text(i), key);
      assert.equal(intern(t, key), i);
    }
    assert.equal(t.text(n - 1), `10.1.134.159 ${(n - 1) % 65536} 6`);
    assert.equal(t.size, n);
  });

  test('long keys grow the byte slab', () => {
    const t = new ByteInterner(2);
    const long = 'x'.repeat(10_000);
    const a = intern(t, long);
    const b = intern(t, long + 'y');
    const c = intern(t, 'short');
    assert.deepEqual([a, b, c], [0, 1, 2]);
    assert.equal(t.text(a), long);
    assert.equal(t.text(b), long + 'y');
    assert.equal(t.text(c), 'short');
    assert.equal(t.find(long), 0);
  });
});

describe('IntKeyTable', () => {
  test('upsert gives -(row)-1 for a new key and the row for a known one', () => {
    const t = new IntKeyTable(4);
    assert.equal(t.upsert(42), -1);
    assert.equal(t.upsert(7), -2);
    assert.equal(t.upsert(42), 0);
    assert.equal(t.upsert(7), 1);
    assert.equal(t.upsert(0), -3);
    assert.equal(t.upsert(0), 2);
    assert.equal(t.size, 3);
    assert.equal(t.key(0), 42);
    assert.equal(t.key(1), 7);
    assert.equal(t.key(2), 0);
  });

  test('grows past its initial capacity and keeps every row', () => {
    const t = new IntKeyTable(16);
    const n = 200_000;
    for (let i = 0; i < n; i++) assert.equal(t.upsert(i * 1_000_003), -i - 1);
    assert.equal(t.size, n);
    for (let i = 0; i < n; i++) {
      if (t.upsert(i * 1_000_003) !== i) assert.fail(`key ${i * 1_000_003} lost its row ${i}`);
    }
    for (let i = 0; i < n; i += 1009) assert.equal(t.key(i), i * 1_000_003);
    assert.equal(t.size, n);
  });

  test('keys near 2^50 that differ only in high or only in low bits are told apart', () => {
    const t = new IntKeyTable(8);
    const base = 2 ** 50;
    const keys: number[] = [];
    for (let hi = 0; hi < 64; hi++) for (let lo = 0; lo < 64; lo++) keys.push(base + hi * 2 ** 32 + lo);
    keys.push(2 ** 53 - 1, 2 ** 52, 2 ** 32, 2 ** 32 - 1);
    keys.forEach((k, i) => assert.equal(t.upsert(k), -i - 1, `key ${k}`));
    keys.forEach((k, i) => assert.equal(t.upsert(k), i, `key ${k}`));
    keys.forEach((k, i) => assert.equal(t.key(i), k));
    assert.equal(t.size, keys.length);
  });

  test('keys whose halves XOR to the same value stay distinct', () => {
    // (lo ^ hi) is equal for these two: the hash collides, the probe must still tell them apart.
    const t = new IntKeyTable(4);
    const a = 1 * 2 ** 32 + 2;
    const b = 2 * 2 ** 32 + 1;
    assert.equal(t.upsert(a), -1);
    assert.equal(t.upsert(b), -2);
    assert.equal(t.upsert(a), 0);
    assert.equal(t.upsert(b), 1);
  });
});
