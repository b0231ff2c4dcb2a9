// Flow logs delivered to S3, read directly: the objects of the scan's range listed per day prefix, streamed (gzip text or Parquet) as raw records, within a byte budget.
import { getMaxListeners, setMaxListeners } from 'node:events';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client, type _Object } from '@aws-sdk/client-s3';
import type { FlowLogConfig } from '../core/model';
import {
  headerToLogFormat,
  parseS3FlowLogKey,
  s3DayPrefixes,
  s3Destination,
  s3ObjectInRange,
  takeHeaderLine,
  type S3Destination,
  type S3FlowLogObjectKey,
} from '../core/flowlog/s3-objects';
import { SourceError, type FlowData, type FlowReadRequest } from '../core/ports';
import { parseFlowObjectsInThreads, usesObjectThreads, type FlowObject, type FlowThreadOptions } from '../node/flow-workers';
import { GZIP_AT_ONCE_MAX_BYTES, gzipObjectText } from '../node/gzip-object';
import { classifyAwsError } from './errors';

/** What a scan reads from S3 at most unless told otherwise (`--max-s3-bytes`, `lambdaBehavior.s3FlowLogs.maxBytes`): 2 GiB. */
export const DEFAULT_MAX_S3_BYTES = 2 * 1024 ** 3;
/** GetObject requests in flight ahead of the object being parsed. */
const OBJECTS_AHEAD = 8;
/** Abort listeners one object in flight may hold on the scan's signal: the SDK's retry race, its HTTP request, the body's read. */
const LISTENERS_PER_OBJECT = 3;
/** Parquet rows re-emitted as text lines, this many a chunk. */
const PARQUET_LINES_PER_CHUNK = 10_000;

/** The bytes of S3 objects a scan may still read: shared by every flow log of the scan. */
export class S3ByteBudget {
  private used = 0;

  constructor(readonly maxBytes: number = DEFAULT_MAX_S3_BYTES) {}

  /** Takes `bytes` if they fit (the first object always does, so that a tiny budget still reads something). */
  take(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.maxBytes) return false;
    this.used += bytes;
    return true;
  }
}

/** One object of the flow log, as listed. */
export interface S3FlowLogObject extends S3FlowLogObjectKey {
  key: string;
  size: number;
}

/** The flow log's destination, or a SourceError saying it cannot be read. */
export function destinationOf(flowLog: FlowLogConfig): S3Destination {
  const destination = s3Destination(flowLog.destination);
  if (!destination)
    throw new SourceError(
      'malformed',
      `flow log ${flowLog.id}: its destination ${flowLog.destination ?? '(none)'} is not an S3 bucket ARN`,
    );
  return destination;
}

/** The flow log's objects that may hold records of [start, end), newest first: one listing per day prefix. */
export async function listFlowLogObjects(
  s3: S3Client,
  flowLog: FlowLogConfig,
  account: { accountId: string; region: string },
  range: { start: number; end: number },
  signal: AbortSignal,
): Promise<S3FlowLogObject[]> {
  const destination = destinationOf(flowLog);
  const layout = flowLog.destinationOptions;
  const prefixes = s3DayPrefixes(destination, account.accountId, account.region, range, layout);
  const out: S3FlowLogObject[] = [];
  for (const Prefix of prefixes) {
    let ContinuationToken: string | undefined;
    do {
      const page = await s3Call('s3:ListBucket', () =>
        s3.send(new ListObjectsV2Command({ Bucket: destination.bucket, Prefix, ContinuationToken }), { abortSignal: signal }),
      );
      for (const o of page.Contents ?? []) {
        const object = flowLogObject(o, flowLog.id, range);
        if (object) out.push(object);
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }
  // Newest first: a budget reached leaves the oldest baseline unread, never the detection window.
  return out.sort((a, b) => b.time - a.time || (a.key < b.key ? -1 : 1));
}

function flowLogObject(o: _Object, flowLogId: string, range: { start: number; end: number }): S3FlowLogObject | undefined {
  if (!o.Key) return undefined;
  const parsed = parseS3FlowLogKey(o.Key);
  if (!parsed || parsed.flowLogId !== flowLogId || !s3ObjectInRange(parsed.time, range)) return undefined;
  return { ...parsed, key: o.Key, size: o.Size ?? 0 };
}

/** The object's body as delivered (still compressed), streamed. */
export async function getObjectBody(s3: S3Client, bucket: string, key: string, signal: AbortSignal): Promise<Readable> {
  const r = await s3Call('s3:GetObject', () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }));
  const body = r.Body;
  if (!(body instanceof Readable)) throw new SourceError('other', `s3://${bucket}/${key}: GetObject returned no body`);
  return body;
}

/**
 * Reads a flow log's objects in the request's range as raw records (each with the format its header or its columns
 * name), then a summary of what was read and what the budget left unread.
 */
export async function* readS3FlowLog(
  s3: S3Client,
  flowLog: FlowLogConfig,
  account: { accountId: string; region: string },
  request: FlowReadRequest,
  budget: S3ByteBudget,
  signal: AbortSignal,
  /** Told the bytes of each object read (the scan's reads). */
  meter?: { bytesDownloaded(bytes: number): void },
  /** Parsing on threads: many objects together are each downloaded whole and inflated and parsed on a thread. */
  threads?: FlowThreadOptions,
): AsyncGenerator<FlowData> {
  const objects = await listFlowLogObjects(s3, flowLog, account, request, signal);
  const bytes = Math.min(
    budget.maxBytes,
    objects.reduce((a, o) => a + o.size, 0),
  );
  if (!request.localParse || !threads || !usesObjectThreads(bytes, threads)) {
    // Never an object item: each is yielded as its raw stream.
    yield* readObjects(s3, flowLog, objects, budget, signal, meter, false) as AsyncGenerator<FlowData>;
    return;
  }
  const items = readObjects(s3, flowLog, objects, budget, signal, meter, true);
  yield* parseFlowObjectsInThreads(items, `the S3 objects of flow log ${flowLog.id}`, flowLog.logFormat, request, signal, threads);
}

/**
 * The objects read in turn, a few requested ahead: each gzip text one as its raw stream, or (`whole`) downloaded whole for
 * a thread to parse; a Parquet one as text lines. Then the summary.
 */
async function* readObjects(
  s3: S3Client,
  flowLog: FlowLogConfig,
  objects: readonly S3FlowLogObject[],
  budget: S3ByteBudget,
  signal: AbortSignal,
  meter: { bytesDownloaded(bytes: number): void } | undefined,
  whole: boolean,
): AsyncGenerator<FlowData | FlowObject> {
  const { bucket } = destinationOf(flowLog);
  let read = 0;
  let bytes = 0;
  let skipped: S3FlowLogObject[] = [];
  // Objects are small and many (one per delivery interval): the next few are requested while one is parsed.
  const ahead: Array<{ object: S3FlowLogObject; body: Promise<Readable> }> = [];
  // Every request in flight listens on the scan's one signal: the listeners of the objects read ahead are expected, not
  // the leak Node warns of past 10 (on the CLI's stderr). Raised by this reader's share and lowered by it again, so that
  // the flow logs read at once each count.
  const listeners = OBJECTS_AHEAD * LISTENERS_PER_OBJECT;
  setMaxListeners(getMaxListeners(signal) + listeners, signal);
  let next = 0;
  const requestAhead = () => {
    while (ahead.length < OBJECTS_AHEAD && next < objects.length) {
      const object = objects[next++];
      if (!budget.take(object.size)) {
        skipped = objects.slice(next - 1);
        next = objects.length;
        return;
      }
      const body = getObjectBody(s3, bucket, object.key, signal);
      // Awaited in turn below; until then a failure must not count as unhandled.
      body.catch(() => undefined);
      ahead.push({ object, body });
    }
  };
  try {
    requestAhead();
    for (let item = ahead.shift(); item; item = ahead.shift()) {
      const { object } = item;
      const body = await item.body;
      requestAhead();
      read++;
      bytes += object.size;
      meter?.bytesDownloaded(object.size);
      const source = `s3://${bucket}/${object.key}`;
      if (object.fileFormat === 'parquet') {
        const parquet = await parquetAsText((await downloaded(body, signal, false)).bytes.buffer as ArrayBuffer, source);
        yield { kind: 'raw', source, logFormat: parquet.logFormat, chunks: parquet.chunks };
        continue;
      }
      if (whole) {
        const { bytes, failed } = await downloaded(body, signal);
        yield { kind: 'object', source, bytes: bytes.buffer as ArrayBuffer, ...(failed !== undefined ? { failed } : {}) };
        continue;
      }
      // zlib inflates on libuv's thread pool, overlapping parsing on this thread; a small object is inflated at once.
      const compressed = object.size <= GZIP_AT_ONCE_MAX_BYTES ? await downloaded(body, signal) : { stream: body };
      const { logFormat, rest } = await takeHeaderLine(gzipObjectText(compressed, signal));
      yield { kind: 'raw', source, chunks: rest, ...(logFormat ? { logFormat } : {}) };
    }
  } finally {
    // Stopped early (a failure, a cancellation): the bodies requested ahead are released unread.
    for (const { body } of ahead.splice(0))
      body.then(
        (b) => b.destroy(),
        () => undefined,
      );
    setMaxListeners(getMaxListeners(signal) - listeners, signal);
  }
  yield {
    kind: 'summary',
    read: `from S3 bucket ${bucket}: ${read} object(s), ${byteText(bytes)}`,
    ...(skipped.length ? { unread: unreadText(skipped, budget.maxBytes) } : {}),
  };
}

function unreadText(skipped: readonly S3FlowLogObject[], maxBytes: number): string {
  const bytes = skipped.reduce((a, o) => a + o.size, 0);
  const times = skipped.map((o) => o.time);
  const span = `${new Date(Math.min(...times)).toISOString()} to ${new Date(Math.max(...times)).toISOString()}`;
  return (
    `the S3 byte budget (${byteText(maxBytes)}) was reached: ${skipped.length} older object(s) (${byteText(bytes)}) delivered from ${span} were not read; ` +
    'for this much data query the flow logs where they are, with Athena, or raise --max-s3-bytes (lambdaBehavior.s3FlowLogs.maxBytes)'
  );
}

/** `1.5 MB`: decimal units, as S3's console and bills show them. */
export function byteText(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

async function s3Call<T>(action: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    throw classifyS3Error(err, action);
  }
}

/** An S3 failure as a SourceError; a denied GetObject of an SSE-KMS object is a missing kms:Decrypt, and says so. */
export function classifyS3Error(err: unknown, action: string): Error {
  const classified = classifyAwsError(err, action, 's3');
  const message = (err as { message?: unknown } | undefined)?.message;
  if (
    SourceError.is(classified) &&
    classified.kind === 'access-denied' &&
    typeof message === 'string' &&
    /kms:Decrypt|\bKMS\b/i.test(message)
  ) {
    return new SourceError(
      'access-denied',
      `kms:Decrypt was denied for an encrypted flow-log object: ${message.split('\n')[0]}`,
      'kms:Decrypt',
      { cause: err },
    );
  }
  return classified;
}

/**
 * An object's compressed bytes for a thread. A download that fails part way (a reset connection) keeps what came and says
 * why, as a raw stream that fails is read up to there; a cancelled scan or a SourceError fails the read, as does any
 * failure when the whole is needed (`keepPartial` false: a Parquet object).
 */
async function downloaded(body: Readable, signal: AbortSignal, keepPartial = true): Promise<{ bytes: Uint8Array; failed?: string }> {
  const parts: Buffer[] = [];
  let failed: string | undefined;
  try {
    for await (const chunk of body) {
      signal.throwIfAborted();
      parts.push(chunk as Buffer);
    }
  } catch (err) {
    if (!keepPartial || signal.aborted || SourceError.is(err)) throw err;
    failed = (err as Error).message;
  }
  // A buffer of its own, whole (Buffer.concat may give a slice of a shared pool): it can be transferred to a thread.
  const all = Buffer.concat(parts);
  const bytes = new Uint8Array(all.buffer.slice(all.byteOffset, all.byteOffset + all.length));
  return { bytes, ...(failed !== undefined ? { failed } : {}) };
}

/**
 * A Parquet object as text lines in its columns' order, with the LogFormat its column names make (`account_id` is
 * `${account-id}`): the same parser then reads it. hyparquet is loaded on the first Parquet object only.
 */
export async function parquetAsText(file: ArrayBuffer, source: string): Promise<{ logFormat: string; chunks: AsyncIterable<Uint8Array> }> {
  const { parquetMetadata, parquetRead } = await import('hyparquet');
  let columns: string[];
  let rows: unknown[][] = [];
  try {
    const metadata = parquetMetadata(file);
    columns = metadata.schema
      .slice(1)
      .filter((s) => !s.num_children)
      .map((s) => s.name);
    await parquetRead({
      file,
      metadata,
      columns,
      rowFormat: 'array',
      // AWS writes flow-log Parquet with GZIP pages; hyparquet decodes Snappy itself.
      compressors: { GZIP: (input: Uint8Array) => new Uint8Array(zlib.gunzipSync(input)) },
      onComplete: (r: unknown[][]) => (rows = r),
    });
  } catch (err) {
    throw new SourceError('malformed', `${source}: not a readable Parquet object (${(err as Error).message})`, undefined, { cause: err });
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < rows.length; i += PARQUET_LINES_PER_CHUNK) {
      const lines = rows.slice(i, i + PARQUET_LINES_PER_CHUNK).map((row) => row.map(fieldText).join(' '));
      yield Buffer.from(`${lines.join('\n')}\n`, 'latin1');
    }
  }
  return { logFormat: headerToLogFormat(columns), chunks: chunks() };
}

function fieldText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value);
}
