// Finds the lines of flow-log text and the fields of each line: WebAssembly SIMD (wasm/flow-fields.ts, 16 bytes a step)
// where the runtime has it, else the same in JavaScript (a 32-bit word a step). Both write the same records.
import { FIELD_SCANNER_WASM } from './field-scanner-wasm';

/** The records' area: about a thousand lines of a 30-field format per call. */
const OUT_BYTES = 256 * 1024;
/** After the records (WebAssembly): the layout's list of numeric fields, then the text. */
const NUMBERS_AT = OUT_BYTES;
const TEXT_AT = OUT_BYTES + 256;
/** Bytes a scan may read past the text's end (one SIMD load). */
const PAD = 16;
const PAGE = 64 * 1024;
/** Memory a WebAssembly scanner starts with: the records, the list and a page of text. */
const FIRST_PAGES = Math.ceil(TEXT_AT / PAGE) + 1;

/**
 * What a scan records of each line of a format: the first `want` fields, and the values of the `numbers` fields.
 * Record k starts at `out[k × stride]`: line start, line end (without a CR before its newline), field count n, the starts
 * of the first `want` fields (from `out[o + 3]`), then their ends (from `out[o + 3 + want]`); its values are at
 * `values[o / 2 + valuesAt]` on, one per `numbers` field: its decimal digits (at most 15) or -1 (see parseUint).
 */
export class RecordLayout {
  /** Numbers (i32) per record: an even count, so that its values are 8-byte aligned. */
  readonly stride: number;
  /** Where a record's values start, in f64 from the record's start. */
  readonly valuesAt: number;
  /** The most records a scan writes. */
  readonly maxLines: number;

  constructor(
    readonly want: number,
    /** Field indexes, each below `want`. */
    readonly numbers: readonly number[],
  ) {
    if (numbers.some((f) => f < 0 || f >= want) || numbers.length > 60) throw new RangeError('numeric fields out of the layout');
    this.valuesAt = Math.ceil((3 + 2 * want) / 2);
    this.stride = 2 * (this.valuesAt + numbers.length);
    this.maxLines = Math.floor(OUT_BYTES / 4 / this.stride);
    if (this.maxLines < 1) throw new RangeError(`a record of ${want} fields does not fit the scanner's records`);
  }
}

/**
 * A scanner and the buffer it scans: `scan` writes one record per complete line (see RecordLayout). Fields are runs of
 * bytes between spaces; every field is counted, `want` recorded.
 */
export interface FieldScanner {
  readonly kind: 'wasm' | 'js';
  /** Where text is put to be scanned: at least `size` bytes, and valid until the next call (it may move). */
  buffer(size: number): Buffer;
  /** Scans the buffer's bytes [from, len) for lines; returns how many records it wrote (`next` is where it stopped). */
  scan(from: number, len: number, layout: RecordLayout): number;
  /** The records of the last scan. */
  readonly out: Int32Array;
  /** The same memory as `out`, for the records' values. */
  readonly values: Float64Array;
  /** Where the first line the last scan did not record starts (an unfinished line, or more lines than `out` holds). */
  readonly next: number;
}

let compiled: WebAssembly.Module | null | undefined;

/** The module, compiled once per thread; null where WebAssembly or its SIMD is missing. */
function wasmModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(FIELD_SCANNER_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** The fastest scanner this runtime has (`prefer: 'js'` for the JavaScript one, which tests compare it with). */
export function fieldScanner(prefer: 'wasm' | 'js' = 'wasm'): FieldScanner {
  const module = prefer === 'wasm' ? wasmModule() : null;
  if (module) {
    try {
      return new WasmFieldScanner(module);
    } catch {
      // No memory for an instance: the JavaScript scanner gives the same records.
    }
  }
  return new JsFieldScanner();
}

interface FieldScannerExports {
  memory: WebAssembly.Memory;
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

/** Memory: the records' area, the numeric fields' list, then the text. */
class WasmFieldScanner implements FieldScanner {
  readonly kind = 'wasm';
  out!: Int32Array;
  values!: Float64Array;
  private readonly exports: FieldScannerExports;
  private text!: Buffer;
  /** The layout whose numeric fields are in memory now (growing keeps them). */
  private listed: RecordLayout | undefined;

  constructor(module: WebAssembly.Module) {
    this.exports = new WebAssembly.Instance(module, {}).exports as unknown as FieldScannerExports;
    this.exports.memory.grow(FIRST_PAGES);
    this.views();
  }

  /** Views of the memory (growing it detaches them). */
  private views(): void {
    const memory = this.exports.memory.buffer;
    this.out = new Int32Array(memory, 0, OUT_BYTES / 4);
    this.values = new Float64Array(memory, 0, OUT_BYTES / 8);
    this.text = Buffer.from(memory, TEXT_AT, memory.byteLength - TEXT_AT - PAD);
  }

  get next(): number {
    return this.exports.next();
  }

  buffer(size: number): Buffer {
    if (size > this.text.length) {
      const memory = this.exports.memory;
      const pages = Math.ceil((TEXT_AT + Math.max(size, this.text.length * 2) + PAD) / PAGE);
      memory.grow(pages - memory.buffer.byteLength / PAGE);
      this.views();
    }
    return this.text;
  }

  scan(from: number, len: number, layout: RecordLayout): number {
    if (this.listed !== layout) {
      const list = new Int32Array(this.exports.memory.buffer, NUMBERS_AT, 1 + layout.numbers.length);
      list[0] = layout.numbers.length;
      list.set(layout.numbers, 1);
      this.listed = layout;
    }
    return this.exports.scanLines(TEXT_AT, from, len, 0, layout.want, layout.stride * 4, layout.valuesAt * 8, NUMBERS_AT, layout.maxLines);
  }
}

class JsFieldScanner implements FieldScanner {
  readonly kind = 'js';
  out = new Int32Array(OUT_BYTES / 4);
  values = new Float64Array(this.out.buffer);
  next = 0;
  private text = Buffer.alloc(0);

  buffer(size: number): Buffer {
    // 4-byte aligned (its own ArrayBuffer) and padded, so that scan can read it a word at a time.
    if (this.text.length < size) {
      const capacity = Math.max(size, this.text.length * 2);
      this.text = Buffer.from(new ArrayBuffer(capacity + PAD), 0, capacity);
    }
    return this.text;
  }

  /**
   * Reads a 32-bit word at a time and computes which of its bytes are spaces or newlines (SWAR), then visits only those:
   * several times fewer steps than a byte loop.
   */
  scan(from: number, len: number, layout: RecordLayout): number {
    const buf = this.text;
    const out = this.out;
    const { want, stride, numbers } = layout;
    const words = new Int32Array(buf.buffer, 0, (len + 3) >> 2);
    let lines = 0;
    let n = 0;
    let s = from;
    let lineStart = from;
    let o = 0;
    for (let k = from >> 2; k < words.length; k++) {
      const v = words[k];
      // Exact zero-byte masks of v ^ ' ' and v ^ '\n': 0x80 in each byte that is a space (or a newline).
      const sx = v ^ 0x20202020;
      const nx = v ^ 0x0a0a0a0a;
      const spaces = ~(((sx & 0x7f7f7f7f) + 0x7f7f7f7f) | sx | 0x7f7f7f7f);
      let delimiters = spaces | ~(((nx & 0x7f7f7f7f) + 0x7f7f7f7f) | nx | 0x7f7f7f7f);
      // Visit only the delimiters, lowest byte first (the buffer is read little-endian).
      while (delimiters !== 0) {
        const low = delimiters & -delimiters;
        delimiters ^= low;
        const i = (k << 2) + ((31 - Math.clz32(low)) >> 3);
        if (i < from || i >= len) continue;
        const e = spaces & low ? i : i > s && buf[i - 1] === 13 ? i - 1 : i;
        if (e > s) {
          if (n < want) {
            out[o + 3 + n] = s;
            out[o + 3 + want + n] = e;
          }
          n++;
        }
        s = i + 1;
        if (!(spaces & low)) {
          out[o] = lineStart;
          out[o + 1] = e;
          out[o + 2] = n;
          for (let j = 0, at = (o >> 1) + layout.valuesAt; j < numbers.length; j++) {
            const field = numbers[j];
            this.values[at + j] = field < n ? parseUint(buf, out[o + 3 + field], out[o + 3 + want + field]) : -1;
          }
          o += stride;
          n = 0;
          lineStart = s;
          if (++lines === layout.maxLines) {
            this.next = lineStart;
            return lines;
          }
        }
      }
    }
    this.next = lineStart;
    return lines;
  }
}

/** A non-negative decimal integer from bytes (at most 15 digits, exact in a double), or -1 (also for `-`). */
function parseUint(buf: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}
