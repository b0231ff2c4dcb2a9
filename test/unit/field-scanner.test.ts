import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { fieldScanner, type FieldScanner } from '../../src/core/flowlog/field-scanner';

const root = path.resolve(__dirname, '..', '..');

interface Line {
  start: number;
  end: number;
  n: number;
  fields: Array<[number, number]>;
}

/** What a scan must find, a byte at a time: the complete lines of text[from, len) and where the rest starts. */
function expected(text: Uint8Array, from: number, len: number, want: number): { lines: Line[]; next: number } {
  const lines: Line[] = [];
  let lineStart = from;
  for (let i = from; i < len; i++) {
    if (text[i] !== 10) continue;
    const end = i > lineStart && text[i - 1] === 13 ? i - 1 : i;
    const fields: Array<[number, number]> = [];
    let s = lineStart;
    for (let j = lineStart; j <= end; j++) {
      if (j === end || text[j] === 32) {
        if (j > s) fields.push([s, j]);
        s = j + 1;
      }
    }
    // A CR before the newline ends the line, and with it its last field (the CR is no part of either).
    lines.push({ start: lineStart, end, n: fields.length, fields: fields.slice(0, want) });
    lineStart = i + 1;
  }
  return { lines, next: lineStart };
}

/** Every line a scanner records from text[from, len), batch after batch, as the stream reads them. */
function scanned(scanner: FieldScanner, text: Uint8Array, from: number, want: number): { lines: Line[]; next: number } {
  const buf = scanner.buffer(text.length);
  buf.set(text, 0);
  // Bytes past the text must not count: the buffer is bigger than the text and holds whatever the last use left.
  buf.fill(10, text.length, Math.min(buf.length, text.length + 64));
  const lines: Line[] = [];
  let pos = from;
  for (;;) {
    const count = scanner.scan(pos, text.length, want);
    const out = scanner.out;
    for (let l = 0, o = 0; l < count; l++, o += 3 + 2 * want) {
      const n = out[o + 2];
      const fields: Array<[number, number]> = [];
      for (let k = 0; k < Math.min(n, want); k++) fields.push([out[o + 3 + k], out[o + 3 + want + k]]);
      lines.push({ start: out[o], end: out[o + 1], n, fields });
    }
    pos = scanner.next;
    if (count === 0 || pos >= text.length) return { lines, next: pos };
  }
}

// Bytes that matter (space, newline, CR) often, and the others (tab, NUL, bytes of 0x80 and more) now and then.
const byte = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(32, 10, 13, 49, 65) },
  { weight: 3, arbitrary: fc.integer({ min: 33, max: 126 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 9, 0x80, 0xa0, 0xaa, 0xff, 0x8a) },
);

describe('the flow-log field scanner', () => {
  it('is WebAssembly under Node', () => {
    assert.equal(fieldScanner().kind, 'wasm');
    assert.equal(fieldScanner('js').kind, 'js');
  });

  it('finds the lines and fields a byte loop finds, in WebAssembly and in JavaScript, whatever the start and field count', () => {
    const wasm = fieldScanner();
    const js = fieldScanner('js');
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 600 }), fc.nat(), fc.integer({ min: 1, max: 40 }), (bytes, at, want) => {
        const text = Uint8Array.from(bytes);
        // The stream scans from 0 or from just after a newline (the end of a skipped long line).
        const newlines = [0, ...bytes.flatMap((b, i) => (b === 10 ? [i + 1] : []))];
        const from = newlines[at % newlines.length];
        const truth = expected(text, from, text.length, want);
        assert.deepEqual(scanned(wasm, text, from, want), truth);
        assert.deepEqual(scanned(js, text, from, want), truth);
      }),
      { numRuns: 400 },
    );
  });

  it('records more lines than one scan holds over several scans, and a text that makes its buffer grow', () => {
    for (const scanner of [fieldScanner(), fieldScanner('js')]) {
      // 300 fields a line: about 200 lines a scan.
      const want = 300;
      const line = (k: number) => `${Array.from({ length: want }, (_, i) => (i * k) % 97).join(' ')}\r\n`;
      const text = Buffer.from(Array.from({ length: 1000 }, (_, k) => line(k)).join('') + 'unfinished line');
      const got = scanned(scanner, text, 0, want);
      assert.deepEqual(got, expected(text, 0, text.length, want), scanner.kind);
      assert.equal(got.lines.length, 1000);
      assert.equal(text.toString('latin1', got.next), 'unfinished line');
      // Growing moved the buffer: a bigger text still scans.
      const big = Buffer.from(Array.from({ length: 4000 }, (_, k) => line(k)).join(''));
      assert.equal(scanned(scanner, big, 0, want).lines.length, 4000, scanner.kind);
    }
  });

  it('is the build of wasm/flow-fields.ts (npm run build:wasm)', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-wasm.js'), '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
  });
});
