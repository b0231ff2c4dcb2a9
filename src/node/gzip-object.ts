// The text of one gzip flow-log object (an S3 object, recorded or downloaded) for the parser: inflated at once when small, streamed when large, the text before any damage kept.
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

/** Files are read and text streamed in chunks of this size: Node's default 16 KiB inflate chunks throttle gzip input threefold. */
export const CHUNK_BYTES = 1024 * 1024;
/**
 * Objects up to this size (compressed) are read and inflated at once, into one buffer of their size. AWS delivers a
 * flow log's records every five minutes, so most objects are tens of KB: a stream each, with its 1 MiB buffers, cost
 * more than the parsing (4,320 objects of one 2.9M-record account: 11-12 s on one thread, against 1.2 s for one file).
 */
export const GZIP_AT_ONCE_MAX_BYTES = 4 * 1024 * 1024;
/**
 * Objects up to this size (compressed) are read and inflated synchronously: a few milliseconds at most, and about a
 * quarter of the CPU of the asynchronous calls (4,320 objects of 12 KB: 0.4-0.5 s read and inflated, against 1.7-2.0 s).
 */
const SYNC_MAX_BYTES = 256 * 1024;

const gunzip = promisify(zlib.gunzip);

/**
 * What to inflate: a file, bytes downloaded (`failed`: why the download stopped early; the bytes are what came), or a
 * stream of the compressed bytes (a large object being downloaded).
 */
export type GzipObject = { file: string; size?: number } | { bytes: Uint8Array; failed?: string } | { stream: Readable };

/**
 * The object's text in chunks. A damaged object (truncated, corrupt, not gzip) gives the text before the damage and then
 * fails with zlib's error; a download that stopped early then fails with its own. zlib runs on libuv's pool.
 */
export async function* gzipObjectText(object: GzipObject, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  yield* await openGzipObject(object, signal);
}

/**
 * Starts on the object's text: a small one is read and inflated now (call this for the next objects while one is
 * parsed: the reading and inflating of a small object is mostly waiting), a large or damaged one is streamed when
 * iterated. The text as gzipObjectText gives it.
 */
export async function openGzipObject(object: GzipObject, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
  let bytes: Uint8Array | undefined;
  if ('bytes' in object) bytes = object.bytes;
  else if ('file' in object) {
    const size = object.size ?? fs.statSync(object.file).size;
    if (size <= SYNC_MAX_BYTES) bytes = fs.readFileSync(object.file);
    else if (size <= GZIP_AT_ONCE_MAX_BYTES) bytes = await fs.promises.readFile(object.file, { signal });
  }
  const failed = 'failed' in object ? object.failed : undefined;
  if (bytes && bytes.length <= GZIP_AT_ONCE_MAX_BYTES) {
    const text = await inflated(bytes);
    signal?.throwIfAborted();
    if (text) return slices(text, failed);
  }
  return streamed(object, bytes, failed, signal);
}

/** The whole text, or undefined for a damaged object. */
async function inflated(bytes: Uint8Array): Promise<Buffer | undefined> {
  const options = { chunkSize: outputChunk(bytes) };
  if (bytes.length > SYNC_MAX_BYTES) return gunzip(bytes, options).catch(() => undefined);
  try {
    return zlib.gunzipSync(bytes, options);
  } catch {
    return undefined;
  }
}

/**
 * A whole text in 1 MiB slices, a turn of the event loop between them: a live scan parses on the extension host's thread,
 * which a stream's chunks gave a turn each, and tens of MB parsed in one go would hold it for a tenth of a second.
 */
async function* slices(text: Buffer, failed: string | undefined): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < text.length; i += CHUNK_BYTES) {
    if (i > 0) await nextTurn();
    yield text.subarray(i, Math.min(text.length, i + CHUNK_BYTES));
  }
  if (failed !== undefined) throw new Error(failed);
}

/** Large, or damaged: streamed, so that what comes before the damage is read. */
async function* streamed(
  object: GzipObject,
  bytes: Uint8Array | undefined,
  failed: string | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  const text =
    'stream' in object
      ? gunzipStream(object.stream)
      : 'file' in object && !bytes
        ? gunzipFile(object.file, signal)
        : gunzipStream(Readable.from([bytes]));
  try {
    for await (const chunk of text as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    if (failed === undefined || signal?.aborted) throw err;
  }
  if (failed !== undefined) throw new Error(failed);
}

/**
 * A gzip file's text, streamed in CHUNK_BYTES chunks (zlib on libuv's pool). A read error (a missing file) ends it as
 * zlib's would: a truncated or corrupt file gives the text before the damage, then the error.
 */
export function gunzipFile(file: string, signal?: AbortSignal): Readable {
  return gunzipStream(fs.createReadStream(file, { highWaterMark: CHUNK_BYTES, signal }));
}

/** Compressed bytes' text, as gunzipFile's: the input's error ends it too. */
function gunzipStream(compressed: Readable): Readable {
  const text = compressed.pipe(zlib.createGunzip({ chunkSize: CHUNK_BYTES }));
  compressed.on('error', (err: Error) => text.destroy(err));
  return text;
}

/**
 * Each item opened (`open`), in order, with up to `ahead` of the next ones opened meanwhile: while one object is parsed
 * the next are read and inflated. Stopping early leaves the ones opened ahead unread (their failures are not unhandled).
 */
export async function* openedAhead<T, R>(items: readonly T[], ahead: number, open: (item: T) => Promise<R>): AsyncGenerator<[T, R]> {
  const started: Array<Promise<R>> = [];
  let next = 0;
  const fill = () => {
    while (started.length <= ahead && next < items.length) {
      const p = open(items[next++]);
      p.catch(() => undefined);
      started.push(p);
    }
  };
  for (let i = 0; i < items.length; i++) {
    fill();
    const opened = await started.shift()!;
    yield [items[i], opened];
  }
}

/**
 * zlib's output buffer for a whole object: the size its gzip trailer records (ISIZE, the text's length modulo 2³²), so
 * that a small object takes one small buffer, bounded to [64 KiB, 1 MiB].
 */
function outputChunk(bytes: Uint8Array): number {
  const isize = bytes.length >= 18 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readUInt32LE(bytes.length - 4) : 0;
  return Math.min(CHUNK_BYTES, Math.max(64 * 1024, isize + 1));
}
