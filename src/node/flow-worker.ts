// A flow-log thread: a parsing one aggregates its share of a file (a byte range it reads, or pieces the inflating thread hands
// it) with the engine's own aggregator; the inflating one inflates a gzip file and hands out its pieces.
import * as fs from 'node:fs';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { LogFormatError, parseLogFormat, type FlowLogFormat } from '../core/flowlog/format';
import { takeHeaderLine } from '../core/flowlog/s3-objects';
import { EniHistory, type EniHistoryJson } from '../core/inventory/history';
import { emptyParseStats } from '../core/flowlog/aggregate';
import { UnknownEniCounter } from '../core/scan/flow-logs';
import type {
  FedPieceReply,
  FlowPieceResult,
  InflatedPiece,
  InflateReply,
  FlowWorkerReply,
  FlowWorkerRequest,
  FlowWorkerContext,
  FlowObject,
} from './flow-protocol';
import { CHUNK_BYTES as READ_CHUNK_BYTES, gunzipFile, gzipObjectText } from './gzip-object';

let context: FlowWorkerContext | undefined;
/** The objects handed to this thread, parsed in turn. */
let objects: Promise<unknown> = Promise.resolve();
let aggregator: UnknownEniCounter | undefined;
const formats = new Map<string, FlowLogFormat>();

function formatOf(text: string | undefined): FlowLogFormat {
  const key = text ?? '';
  let f = formats.get(key);
  if (!f) formats.set(key, (f = parseLogFormat(text)));
  return f;
}

function newlines(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(10, from); i >= 0 && i < to; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** Whole lines to parse: a buffer handed over, or bytes [start, end) of a file, cut at line starts, read here. */
type PieceInput = { buffer: ArrayBuffer; length: number } | { file: string; start: number; end: number };

function parse(source: string, logFormat: string | undefined, input: PieceInput): FlowPieceResult {
  if (!context || !aggregator) throw new Error('no context given before the first piece');
  // One aggregator for every piece, emptied after each: its peers, interfaces and tables carry over (about a fifth faster
  // a piece than a new one, which starts cold).
  const agg = aggregator;
  const stream = agg.stream(formatOf(logFormat), source, context.covered);
  let lines = 0;
  if ('buffer' in input) {
    const buf = Buffer.from(input.buffer, 0, input.length);
    lines = newlines(buf, 0, buf.length);
    // In read-sized slices: the parser copies what it is given into its own buffer, which then stays small.
    for (let i = 0; i < buf.length; i += READ_CHUNK_BYTES) stream.push(buf.subarray(i, Math.min(buf.length, i + READ_CHUNK_BYTES)));
  } else {
    const fd = fs.openSync(input.file, 'r');
    try {
      const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      for (let pos = input.start; pos < input.end;) {
        const read = fs.readSync(fd, buf, 0, Math.min(buf.length, input.end - pos), pos);
        if (read === 0) break;
        pos += read;
        lines += newlines(buf, 0, read);
        stream.push(buf.subarray(0, read));
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  stream.end();
  const otherInterfaces = agg.drainOtherInterfaces();
  const { rows, stats } = agg.drainCompact();
  return {
    rows,
    stats,
    otherInterfaces,
    lines,
  };
}

/**
 * One S3 object (gzip text): inflated here, its header line taken off, parsed by the format it names, as the engine parses
 * an object's raw stream. A header that is no flow-log format gives no rows: the engine says so from the `logFormat` sent
 * back. Reading that stops early (truncated, corrupt, a failed download) keeps what came before and says why.
 */
async function parseObject(object: FlowObject, ownFormat: string | undefined): Promise<FlowPieceResult> {
  if (!context || !aggregator) throw new Error('no context given before the first object');
  const text = gzipObjectText('file' in object ? object : { ...object, bytes: new Uint8Array(object.bytes) });
  const { logFormat, rest } = await takeHeaderLine(text);
  const named = logFormat !== undefined ? { logFormat } : {};
  let format: FlowLogFormat;
  try {
    format = formatOf(logFormat ?? ownFormat);
  } catch (err) {
    if (!(err instanceof LogFormatError)) throw err;
    await text.return(undefined);
    return { rows: aggregator.drainCompact().rows, stats: emptyParseStats(), otherInterfaces: [], lines: 0, ...named };
  }
  const stream = aggregator.stream(format, object.source, context.covered);
  let stoppedEarly: string | undefined;
  try {
    for await (const chunk of rest) stream.push(chunk);
  } catch (err) {
    stoppedEarly = (err as Error).message;
  }
  stream.end();
  const otherInterfaces = aggregator.drainOtherInterfaces();
  const { rows, stats } = aggregator.drainCompact();
  return { rows, stats, otherInterfaces, lines: 0, ...named, ...(stoppedEarly !== undefined ? { stoppedEarly } : {}) };
}

/** A parsed piece's reply: the rows' numbers move back without a copy. */
function reply<T extends { result: FlowPieceResult }>(message: T): [T, ArrayBuffer[]] {
  return [message, transferred(message.result)];
}

/** What of a result moves to the other thread rather than being copied. */
function transferred({ rows }: FlowPieceResult): ArrayBuffer[] {
  return [rows.numbers.buffer as ArrayBuffer, rows.sampleRows.buffer as ArrayBuffer];
}

/** Parses what the inflating thread sends on `port`: each buffer goes back to it on the port, each result to the parent. */
function parseFed(port: MessagePort, source: string, logFormat: string | undefined): void {
  port.on('message', ({ piece, buffer, length }: InflatedPiece) => {
    let result: FlowPieceResult;
    try {
      result = parse(source, logFormat, { buffer, length });
    } catch (err) {
      parentPort?.postMessage({ piece, error: (err as Error).message } satisfies FedPieceReply);
      return;
    }
    port.postMessage({ buffer }, [buffer]);
    parentPort?.postMessage(...reply<FedPieceReply & { result: FlowPieceResult }>({ piece, result }));
  });
}

/**
 * The inflating thread: zlib inflates on libuv's pool while this thread cuts the text into pieces of whole lines and hands
 * each to the parsing thread with the fewest waiting (at most two each: memory stays bounded whatever the file's size).
 */
async function inflate(file: string, segmentBytes: number, ports: MessagePort[]): Promise<void> {
  const waiting = ports.map(() => 0);
  // Buffers come back once parsed and are filled again: a new one would be faulted in page by page.
  const free: ArrayBuffer[] = [];
  let wake: (() => void) | undefined;
  ports.forEach((port, i) =>
    port.on('message', ({ buffer }: { buffer: ArrayBuffer }) => {
      waiting[i]--;
      free.push(buffer);
      wake?.();
    }),
  );
  const segmentBuffer = (size: number): Buffer => {
    const reused = free.pop();
    return reused && reused.byteLength >= size ? Buffer.from(reused) : Buffer.allocUnsafeSlow(size);
  };
  let pieces = 0;
  const send = async (buffer: Buffer, length: number) => {
    for (;;) {
      const i = waiting.indexOf(Math.min(...waiting));
      if (waiting[i] < 2) {
        waiting[i]++;
        ports[i].postMessage({ piece: pieces++, buffer: buffer.buffer as ArrayBuffer, length } satisfies InflatedPiece, [
          buffer.buffer as ArrayBuffer,
        ]);
        return;
      }
      await new Promise<void>((r) => (wake = r));
    }
  };
  let stoppedEarly: string | undefined;
  const text = gunzipFile(file);
  let seg = segmentBuffer(segmentBytes + READ_CHUNK_BYTES);
  let fill = 0;
  try {
    for await (const chunk of text as AsyncIterable<Buffer>) {
      if (fill + chunk.length > seg.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(seg.length * 2, fill + chunk.length));
        seg.copy(bigger, 0, 0, fill);
        seg = bigger;
      }
      seg.set(chunk, fill);
      fill += chunk.length;
      if (fill < segmentBytes) continue;
      const nl = seg.lastIndexOf(10, fill - 1);
      if (nl < 0) continue; // one very long line: keep it whole
      const next = segmentBuffer(segmentBytes + READ_CHUNK_BYTES);
      seg.copy(next, 0, nl + 1, fill);
      fill -= nl + 1;
      await send(seg, nl + 1);
      seg = next;
    }
  } catch (err) {
    // A truncated or corrupt file: what was read is kept, as the engine keeps it from a raw stream.
    stoppedEarly = (err as Error).message;
  }
  if (fill > 0) await send(seg, fill);
  parentPort?.postMessage({ type: 'inflated', pieces, ...(stoppedEarly !== undefined ? { stoppedEarly } : {}) } satisfies InflateReply);
}

parentPort?.on('message', (request: FlowWorkerRequest) => {
  if (request.type === 'fed') return parseFed(request.port, request.source, request.logFormat);
  if (request.type === 'inflate') {
    inflate(request.file, request.segmentBytes, request.ports).catch((err: unknown) =>
      parentPort?.postMessage({ type: 'inflate-failed', error: (err as Error).message } satisfies InflateReply),
    );
    return;
  }
  if (request.type === 'context') {
    context = request.context;
    // Only `at` is asked of the history: spans need their address, ENI and times, nothing of the ENI itself.
    const spans = context.addressSpans.map((s) => ({ ...s, eni: undefined as never, functions: [] }));
    const history = EniHistory.fromJSON({ formatVersion: 1, spans } as EniHistoryJson);
    aggregator = new UnknownEniCounter(context.enis, context.range, context.sampleFrom, history);
    return;
  }
  if (request.type === 'objects') {
    // Objects come a few batches at a time: parsed one after the other, as they share the aggregator.
    objects = objects
      .then(async () => {
        const results: FlowPieceResult[] = [];
        for (const object of request.objects) results.push(await parseObject(object, request.logFormat));
        return results;
      })
      .then(
        (results) => parentPort?.postMessage({ id: request.id, results } satisfies FlowWorkerReply, results.flatMap(transferred)),
        (err: unknown) => parentPort?.postMessage({ id: request.id, error: (err as Error).message } satisfies FlowWorkerReply),
      );
    return;
  }
  let result: FlowPieceResult;
  try {
    result = parse(request.source, request.logFormat, request);
  } catch (err) {
    parentPort?.postMessage({ id: request.id, error: (err as Error).message } satisfies FlowWorkerReply);
    return;
  }
  parentPort?.postMessage(...reply<FlowWorkerReply & { result: FlowPieceResult }>({ id: request.id, result }));
});
