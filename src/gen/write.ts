// Output plumbing: a buffered line sink that streams to disk (gzip optional) with backpressure, and JSON writers for small and large documents.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';

const CHUNK = 4 << 20;

/**
 * Lines go straight into 4 MiB byte chunks: hot loops write fields and numbers without making a
 * string per record (which is what would otherwise dominate, in the garbage collector). Callers
 * write synchronously and await `drain()` between batches; that is where full chunks go to the
 * stream and backpressure is honoured, so memory stays bounded whatever the file size.
 */
export class LineSink {
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private full: Buffer[] = [];
  private readonly encoded = new Map<string, Buffer>();
  private readonly head: Writable;
  private readonly done: Promise<void>;
  lines = 0;

  constructor(path: string, gzip: boolean) {
    mkdirSync(dirname(path), { recursive: true });
    const file = createWriteStream(path);
    if (gzip) {
      const gz = createGzip({ level: 6, chunkSize: 1 << 20, flush: zlibConstants.Z_NO_FLUSH });
      this.head = gz;
      this.done = pipeline(gz, file);
    } else {
      this.head = file;
      this.done = once(file, 'finish').then(() => undefined);
    }
  }

  /** Makes room for `bytes` more in the current chunk, setting the filled one aside. */
  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    if (this.pos > 0) this.full.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, bytes));
    this.pos = 0;
  }

  /** ASCII text; the caller has reserved room. */
  ascii(text: string): void {
    // Flow records repeat a small vocabulary (ENI ids, addresses, ACCEPT...): copying cached bytes beats encoding each time.
    let bytes = this.encoded.get(text);
    if (!bytes) {
      bytes = Buffer.from(text, 'latin1');
      if (this.encoded.size < 100_000) this.encoded.set(text, bytes);
    }
    const buf = this.buf;
    let at = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[at++] = bytes[i] as number;
    this.pos = at;
  }

  byte(code: number): void {
    this.buf[this.pos++] = code;
  }

  /** A non-negative integer in decimal, without going through a string. */
  int(n: number): void {
    const buf = this.buf;
    if (n < 10) {
      buf[this.pos++] = 48 + n;
      return;
    }
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    let at = this.pos + digits;
    this.pos = at;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      buf[--at] = 48 + (n - q * 10);
      n = q;
    }
    buf[--at] = 48 + n;
  }

  endLine(): void {
    this.buf[this.pos++] = 10;
    this.lines++;
  }

  /** A whole line of any text (JSON documents). */
  push(line: string): void {
    const bytes = Buffer.byteLength(line);
    this.reserve(bytes + 1);
    this.pos += this.buf.write(line, this.pos, 'utf8');
    this.endLine();
  }

  /** Hands full chunks (or everything, with `force`) to the stream, waiting while it is full. */
  async drain(force = false): Promise<void> {
    if (force && this.pos > 0) {
      this.full.push(this.buf.subarray(0, this.pos));
      this.buf = Buffer.allocUnsafe(CHUNK);
      this.pos = 0;
    }
    const chunks = this.full;
    this.full = [];
    for (const chunk of chunks) {
      if (!this.head.write(chunk)) await once(this.head, 'drain');
    }
  }

  async close(): Promise<void> {
    await this.drain(true);
    this.head.end();
    await this.done;
  }
}

/** Small documents: one-space indentation, like the recorded samples. */
export function writeJson(path: string, value: unknown, indent = 1): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, indent)}\n`);
}

/**
 * Large documents `{ "<key>": [ ... ] }` written one array element per line, so that neither the
 * document nor its JSON text ever has to exist whole in memory.
 */
export class JsonArrayWriter {
  /** The previous element, held back until we know whether a comma follows it. */
  private pending: string | undefined;

  constructor(private readonly sink: LineSink) {}

  open(prefix: Record<string, unknown>, arrayKey: string): void {
    this.sink.push('{');
    for (const [k, v] of Object.entries(prefix)) this.sink.push(`${JSON.stringify(k)}: ${JSON.stringify(v)},`);
    this.sink.push(`${JSON.stringify(arrayKey)}: [`);
  }

  item(value: unknown): void {
    if (this.pending !== undefined) this.sink.push(`${this.pending},`);
    this.pending = JSON.stringify(value);
  }

  /** Ends the current array; `next` starts another one in the same document. */
  closeArray(next?: string): void {
    if (this.pending !== undefined) this.sink.push(this.pending);
    this.pending = undefined;
    this.sink.push(next ? `],\n${JSON.stringify(next)}: [` : ']');
  }

  close(): void {
    this.sink.push('}');
  }
}
