// Unit tests of the two escaping functions every report string goes through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, sanitizeForTerminal } from '../../src/report/escape';

test('sanitizeForTerminal removes CSI sequences whole, including their parameters', () => {
  assert.equal(sanitizeForTerminal('a\x1b[31mred\x1b[0m b\x1b[2J\x1b[1;1H'), 'ared b');
  assert.equal(sanitizeForTerminal('x\x9b31my'), 'xy', '8-bit CSI');
});

test('sanitizeForTerminal removes OSC sequences (hyperlinks, titles) with BEL, ST or no terminator', () => {
  assert.equal(sanitizeForTerminal('\x1b]8;;http://x\x07click\x1b]8;;\x07'), 'click');
  assert.equal(sanitizeForTerminal('\x1b]0;owned\x1b\\title'), 'title');
  assert.equal(sanitizeForTerminal('ok\x1b]52;c;ZXZpbA=='), 'ok', 'unterminated OSC runs to the end');
  assert.equal(sanitizeForTerminal('a\x9d8;;http://x\x9cb'), 'ab', '8-bit OSC and ST');
  assert.equal(sanitizeForTerminal('a\x1bPq#0;2;0;0;0\x1b\\b'), 'ab', 'DCS');
});

test('sanitizeForTerminal drops C0/C1 controls, keeps newlines only when allowed', () => {
  assert.equal(sanitizeForTerminal('a\x00b\x07c\x08d\x7fe\x85f'), 'abcdef');
  assert.equal(sanitizeForTerminal('fake\roverwrite'), 'fake overwrite');
  assert.equal(sanitizeForTerminal('one\ntwo\tthree'), 'one two three');
  assert.equal(sanitizeForTerminal('one\r\ntwo', { allowNewline: true }), 'one\ntwo');
  assert.equal(sanitizeForTerminal('a\u2028b'), 'a b');
  assert.equal(sanitizeForTerminal(undefined), '');
});

test('sanitizeForTerminal makes bidi controls visible instead of letting them reorder text', () => {
  const out = sanitizeForTerminal('admin\u202Efdp.exe \u2066x\u2069');
  assert.equal(out, 'admin[U+202E]fdp.exe [U+2066]x[U+2069]');
  assert.doesNotMatch(out, /[\u202A-\u202E\u2066-\u2069]/);
  assert.equal(sanitizeForTerminal('plain ünïcode – ok'), 'plain ünïcode – ok', 'ordinary text is untouched');
});

test('escapeHtml escapes the five HTML specials, for text and attributes alike', () => {
  assert.equal(escapeHtml(`<img src=x onerror=alert(1)>`), '&lt;img src=x onerror=alert(1)&gt;');
  assert.equal(escapeHtml(`"><script>alert('1')</script>&`), '&quot;&gt;&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;&amp;');
  assert.equal(escapeHtml('&amp;'), '&amp;amp;', 'no double-unescaping shortcut');
  assert.equal(escapeHtml(42), '42');
  assert.equal(escapeHtml(null), '');
});

test('escapeHtml neutralises bidi and control characters', () => {
  assert.equal(escapeHtml('a\u202Eb\u2067c'), 'a[U+202E]b[U+2067]c');
  assert.equal(escapeHtml('a\x00b\x1b[31mc\r\nd'), 'ab[31mc\nd');
});
