import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { fieldScanner, RecordLayout, type FieldScanner } from '../../src/core/flowlog/field-scanner';

const root = path.resolve(__dirname, '..', '..');

interface Line {
  start: number;
  end: number;
  n: number;
  fields: Array<[number, number]>;
  values: number[];
}

/** A field's value as the scanners must give it: up to 15 decimal digits, or -1. */
function valueOf(text: Uint8Array, field: [number, number] | undefined): number {
  const s = field ? Buffer.from(text.subarray(field[0], field[1])).toString('latin1') : '';
  return /^[0-9]{1,15}$/.test(s) ? Number(s) : -1;
}

/** What a scan must find, a byte at a time: the complete lines of text[from, len) and where the rest starts. */
function expected(text: Uint8Array, from: number, len: number, layout: RecordLayout): { lines: Line[]; next: number } {
  const { want } = layout;
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
    const values = layout.numbers.map((f) => valueOf(text, fields[f]));
    lines.push({ start: lineStart, end, n: fields.length, fields: fields.slice(0, want), values });
    lineStart = i + 1;
  }
  return { lines, next: lineStart };
}

/** Every line a scanner records from text[from, len), batch after batch, as the stream reads them. */
function scanned(scanner: FieldScanner, text: Uint8Array, from: number, layout: RecordLayout): { lines: Line[]; next: number } {
  const { want } = layout;
  const buf = scanner.buffer(text.length);
  buf.set(text, 0);
  // Bytes past the text must not count: the buffer is bigger than the text and holds whatever the last use left.
  buf.fill(10, text.length, Math.min(buf.length, text.length + 64));
  const lines: Line[] = [];
  let pos = from;
  for (;;) {
    const count = scanner.scan(pos, text.length, layout);
    const out = scanner.out;
    for (let l = 0, o = 0; l < count; l++, o += layout.stride) {
      const n = out[o + 2];
      const fields: Array<[number, number]> = [];
      for (let k = 0; k < Math.min(n, want); k++) fields.push([out[o + 3 + k], out[o + 3 + want + k]]);
      const at = o / 2 + layout.valuesAt;
      const values = Array.from(scanner.values.subarray(at, at + layout.numbers.length));
      lines.push({ start: out[o], end: out[o + 1], n, fields, values });
    }
    pos = scanner.next;
    if (count < layout.maxLines) return { lines, next: pos };
  }
}

// Bytes that matter (space, newline, CR, digits, `-`) often, and the others (tab, NUL, bytes of 0x80 and more) now and then.
const byte = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(32, 10, 13, 45, 65) },
  { weight: 6, arbitrary: fc.integer({ min: 48, max: 57 }) },
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
      fc.property(
        fc.array(byte, { maxLength: 600 }),
        fc.nat(),
        fc.integer({ min: 1, max: 40 }).chain((want) => fc.tuple(fc.constant(want), fc.array(fc.nat({ max: want - 1 }), { maxLength: 8 }))),
        (bytes, at, [want, numbers]) => {
          const layout = new RecordLayout(want, numbers);
          const text = Uint8Array.from(bytes);
          // The stream scans from 0 or from just after a newline (the end of a skipped long line).
          const newlines = [0, ...bytes.flatMap((b, i) => (b === 10 ? [i + 1] : []))];
          const from = newlines[at % newlines.length];
          const truth = expected(text, from, text.length, layout);
          assert.deepEqual(scanned(wasm, text, from, layout), truth);
          assert.deepEqual(scanned(js, text, from, layout), truth);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gives a field of up to 15 digits its value, and -1 to more digits, `-` or anything else', () => {
    const text = Buffer.from('0 123456789012345 1234567890123456 - 12a 007 \n');
    const layout = new RecordLayout(8, [0, 1, 2, 3, 4, 5, 6]);
    for (const scanner of [fieldScanner(), fieldScanner('js')]) {
      assert.deepEqual(scanned(scanner, text, 0, layout).lines[0].values, [0, 123456789012345, -1, -1, -1, 7, -1], scanner.kind);
    }
  });

  it('records more lines than one scan holds over several scans, and a text that makes its buffer grow', () => {
    for (const scanner of [fieldScanner(), fieldScanner('js')]) {
      // 300 fields a line: about 200 lines a scan.
      const want = 300;
      const layout = new RecordLayout(want, [0, 7, 299]);
      const line = (k: number) => `${Array.from({ length: want }, (_, i) => (i * k) % 97).join(' ')}\r\n`;
      const text = Buffer.from(Array.from({ length: 1000 }, (_, k) => line(k)).join('') + 'unfinished line');
      const got = scanned(scanner, text, 0, layout);
      assert.deepEqual(got, expected(text, 0, text.length, layout), scanner.kind);
      assert.deepEqual(got.lines[3].values, [0, 21, (299 * 3) % 97]);
      assert.equal(got.lines.length, 1000);
      assert.equal(text.toString('latin1', got.next), 'unfinished line');
      // Growing moved the buffer: a bigger text still scans.
      const big = Buffer.from(Array.from({ length: 4000 }, (_, k) => line(k)).join(''));
      assert.equal(scanned(scanner, big, 0, layout).lines.length, 4000, scanner.kind);
    }
  });

  it('gives a buffer of at least the size asked, however it grows', () => {
    for (const scanner of [fieldScanner(), fieldScanner('js')]) {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 3 << 20 }), (size) => {
          const buf = scanner.buffer(size);
          assert.ok(buf.length >= size, `${scanner.kind}: ${buf.length} bytes for ${size}`);
          buf[size - 1] = 10;
        }),
        { numRuns: 200 },
      );
    }
    // A first text that ends within a few bytes of a page of memory (each on a new scanner, which grows for it alone).
    for (let pages = 1; pages < 24; pages++) {
      for (const slack of [0, 1, 100, 255, 256, 300]) {
        const size = pages * 64 * 1024 - 16 - slack;
        for (const kind of ['wasm', 'js'] as const) assert.ok(fieldScanner(kind).buffer(size).length >= size, `${kind}: ${size}`);
      }
    }
  });

  it('holds records of the largest LogFormat a flow log may have (256 fields) by the hundred, and refuses ones that do not fit', () => {
    assert.ok(new RecordLayout(256, [0, 1, 2, 3, 4, 5, 6]).maxLines > 100);
    assert.throws(() => new RecordLayout(40_000, [0]), /does not fit/);
    assert.throws(() => new RecordLayout(8, [8]), /out of the layout/);
  });

  it('is the build of wasm/flow-fields.ts (npm run build:wasm)', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-wasm.js'), '--check'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
  });
});
