// Finds the lines of flow-log text and the fields of each line: WebAssembly SIMD (wasm/flow-fields.ts, 16 bytes a step)
// where the runtime has it, else the same in JavaScript (a 32-bit word a step). Both write the same records.
import { FIELD_SCANNER_WASM } from './field-scanner-wasm';

/** The records' area: about a thousand lines of a 30-field format per call. */
const OUT_BYTES = 256 * 1024;
/** Bytes a scan may read past the text's end (one SIMD load). */
const PAD = 16;
const PAGE = 64 * 1024;

/**
 * A scanner and the buffer it scans. `scan` writes one record per complete line into `out`, 3 + 2 × want numbers from
 * `recordStart(k)`: line start, line end (without a CR before its newline), field count n, the starts of the first
 * `want` fields, then their ends. Fields are runs of bytes between spaces; every field is counted, `want` recorded.
 */
export interface FieldScanner {
  readonly kind: 'wasm' | 'js';
  /** Where text is put to be scanned: at least `size` bytes, and valid until the next call (it may move). */
  buffer(size: number): Buffer;
  /** Scans the buffer's bytes [from, len) for lines; returns how many records it wrote (`next` is where it stopped). */
  scan(from: number, len: number, want: number): number;
  /** The records of the last scan. */
  readonly out: Int32Array;
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
  return module ? new WasmFieldScanner(module) : new JsFieldScanner();
}

interface FieldScannerExports {
  memory: WebAssembly.Memory;
  scanLines(base: number, from: number, len: number, out: number, want: number, maxLines: number): number;
  next(): number;
}

/** Memory: the records' area, then the text. */
class WasmFieldScanner implements FieldScanner {
  readonly kind = 'wasm';
  out: Int32Array;
  private readonly exports: FieldScannerExports;
  private text: Buffer;

  constructor(module: WebAssembly.Module) {
    this.exports = new WebAssembly.Instance(module, {}).exports as unknown as FieldScannerExports;
    this.exports.memory.grow((OUT_BYTES + PAGE) / PAGE);
    this.out = new Int32Array(this.exports.memory.buffer, 0, OUT_BYTES / 4);
    this.text = Buffer.from(this.exports.memory.buffer, OUT_BYTES, PAGE - PAD);
  }

  get next(): number {
    return this.exports.next();
  }

  buffer(size: number): Buffer {
    if (size > this.text.length) {
      const memory = this.exports.memory;
      const pages = Math.ceil((OUT_BYTES + Math.max(size, this.text.length * 2) + PAD) / PAGE);
      memory.grow(pages - memory.buffer.byteLength / PAGE);
      // Growing detaches the old views.
      this.out = new Int32Array(memory.buffer, 0, OUT_BYTES / 4);
      this.text = Buffer.from(memory.buffer, OUT_BYTES, memory.buffer.byteLength - OUT_BYTES - PAD);
    }
    return this.text;
  }

  scan(from: number, len: number, want: number): number {
    return this.exports.scanLines(OUT_BYTES, from, len, 0, want, maxLines(want));
  }
}

/** The lines a scan records at most for a format of `want` fields. */
function maxLines(want: number): number {
  return Math.max(1, Math.floor(OUT_BYTES / 4 / (3 + 2 * want)));
}

class JsFieldScanner implements FieldScanner {
  readonly kind = 'js';
  out = new Int32Array(OUT_BYTES / 4);
  next = 0;
  private text = Buffer.alloc(0);

  buffer(size: number): Buffer {
    // 4-byte aligned (its own ArrayBuffer) and padded, so that scan can read it a word at a time.
    if (this.text.length < size) this.text = Buffer.from(new ArrayBuffer(Math.max(size, this.text.length * 2) + PAD), 0, size);
    return this.text;
  }

  /**
   * Reads a 32-bit word at a time and computes which of its bytes are spaces or newlines (SWAR), then visits only those:
   * several times fewer steps than a byte loop.
   */
  scan(from: number, len: number, want: number): number {
    const buf = this.text;
    const out = this.out;
    const most = maxLines(want);
    const stride = 3 + 2 * want;
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
          o += stride;
          n = 0;
          lineStart = s;
          if (++lines === most) {
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
