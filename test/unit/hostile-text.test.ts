// One-line UI text (diagnostic messages, CodeLens titles and tooltips) from hostile strings: one line, no control character, bidi controls visible, capped without splitting a surrogate pair.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { oneLine } from '../../src/extension/source/text';
import { HOSTILE, HOSTILE_ALL, HOSTILE_BIG } from '../../src/gen/hostile';

test('every payload becomes one line without control characters, bidi controls shown as [U+XXXX]', () => {
  for (const [name, payload] of Object.entries({ ...HOSTILE, all: HOSTILE_ALL })) {
    const s = oneLine(payload, 10_000);
    assert.doesNotMatch(s, /[\x00-\x1f\x7f-\x9f\u2028\u2029]/, `${name}: no control character or line break`);
    assert.doesNotMatch(s, /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/, `${name}: no bidi control`);
  }
  assert.ok(oneLine(HOSTILE.bidi).includes('admin[U+202E]gnp.exe[U+202C]'));
  assert.ok(
    oneLine(HOSTILE.html).includes('<img src=x onerror="window.__pwned=1;alert(1)">'),
    'markup stays literal: the Problems panel shows text',
  );
});

test('a 100 KB string is capped, and the cut never leaves half a surrogate pair', () => {
  assert.equal(oneLine(HOSTILE_BIG, 500).length, 500);
  const pairs = '\u{1F600}'.repeat(400);
  for (const max of [299, 300, 301]) {
    const s = oneLine(pairs, max);
    assert.ok(s.length <= max && s.endsWith('…'));
    assert.doesNotMatch(s, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/, `max ${max}: no lone high surrogate`);
  }
});
