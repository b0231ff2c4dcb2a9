// A parsing thread: aggregates its share of a flow-log file (a byte range it reads, or a buffer handed to it) with the engine's own
// aggregator, or reads parts of a recorded scenario's JSON off the thread that asked.
import * as fs from 'node:fs';
import { parentPort, type MessagePort } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { parseLogFormat, type FlowLogFormat } from '../core/flowlog/format';
import { EniHistory, type EniHistoryJson } from '../core/inventory/history';
import type { MetricSeries } from '../core/model';
import { UnknownEniCounter } from '../core/scan/flow-logs';
import { loadScenarioPart, type ScenarioPart } from '../replay/scenario';
import { flattenRecords } from './flat-records';
import type {
  FedPieceReply,
  FlowPieceResult,
  InflatedPiece,
  InflateReply,
  FlowWorkerReply,
  FlowWorkerRequest,
  FlowWorkerContext,
  ScenarioReply,
  ScenarioSliced,
} from './flow-protocol';

/** About this much JSON text a slice (estimated from the file's size over its items): some milliseconds to take in. */
const SLICE_BYTES = 128 * 1024;

/** Read and inflate a MiB at a time: Node's default 16 KiB inflate chunks throttle gzip input threefold (see the performance notes). */
const READ_CHUNK_BYTES = 1024 * 1024;

let context: FlowWorkerContext | undefined;
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

/** Each part read in turn; its long lists posted in slices, then the rest of it; a part that fails ends the reading. */
/**
 * Slices posted and not yet taken in. A thread takes in every message waiting for it in one go, without turning its event
 * loop in between: slices are sent a few ahead of what it has taken in, not all at once.
 */
let unacknowledged = 0;
const SLICES_AHEAD = 4;
let wakeSender: (() => void) | undefined;

async function readScenario(dir: string, parts: ScenarioPart[]): Promise<void> {
  const post = (reply: ScenarioReply) => parentPort?.postMessage(reply);
  for (const part of parts) {
    let data: ReturnType<typeof loadScenarioPart>;
    try {
      data = loadScenarioPart(dir, part);
    } catch (err) {
      post({ type: 'error', part, name: (err as Error).name, message: (err as Error).message });
      return;
    }
    const rest: Record<string, unknown> = { ...data };
    for (const key of ['events', 'metrics'] as const satisfies readonly ScenarioSliced[]) {
      const list = data[key] as unknown[] | undefined;
      if (!list) continue;
      delete rest[key];
      const bytes = fileBytes(dir, key);
      // A metric series holds thousands of points: sized by the file's bytes per item, not by a count.
      const perSlice = Math.max(1, Math.floor((SLICE_BYTES * list.length) / Math.max(1, bytes)));
      for (let i = 0; i < list.length; i += perSlice) {
        const items = list.slice(i, i + perSlice);
        while (unacknowledged >= SLICES_AHEAD) await new Promise<void>((r) => (wakeSender = r));
        unacknowledged++;
        if (key === 'events') {
          const { flat, transfer } = flattenRecords(items as object[]);
          parentPort?.postMessage({ type: 'slice', part, key, flat } satisfies ScenarioReply, transfer);
        } else postMetrics(part, items as MetricSeries[]);
      }
    }
    post({ type: 'part', part, data: rest });
  }
}

function postMetrics(part: ScenarioPart, list: MetricSeries[]): void {
  const counts = new Uint32Array(list.length);
  let n = 0;
  for (let i = 0; i < list.length; i++) n += counts[i] = list[i].points.length;
  const points = new Float64Array(n * 2);
  let o = 0;
  for (const s of list) {
    for (const p of s.points) {
      points[o++] = p.t;
      points[o++] = p.v;
    }
  }
  const series = list.map(({ points: _points, ...rest }) => rest);
  const reply: ScenarioReply = { type: 'slice', part, key: 'metrics', series, counts, points };
  parentPort?.postMessage(reply, [counts.buffer, points.buffer]);
}

function fileBytes(dir: string, key: ScenarioSliced): number {
  const rel = key === 'events' ? 'cloudtrail/lookup-events.json' : 'cloudwatch/get-metric-data.json';
  return fs.statSync(`${dir}/${rel}`, { throwIfNoEntry: false })?.size ?? 0;
}

/** A parsed piece's reply: the rows' numbers move back without a copy. */
function reply<T extends { result: FlowPieceResult }>(message: T): [T, ArrayBuffer[]] {
  const { rows } = message.result;
  return [message, [rows.numbers.buffer as ArrayBuffer, rows.sampleRows.buffer as ArrayBuffer]];
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
  const input = fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  const text = input.pipe(zlib.createGunzip({ chunkSize: READ_CHUNK_BYTES }));
  input.on('error', (err) => text.destroy(err));
  let seg = segmentBuffer(segmentBytes + READ_CHUNK_BYTES);
  let fill = 0;
  try {
    for await (const chunk of text as AsyncIterable<Buffer>) {
      if (fill + chunk.length > seg.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(seg.length * 2, fill + chunk.length));
        seg.copy(bigger, 0, 0, fill);
        seg = bigger;
      }
      chunk.copy(seg, fill);
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
  if (request.type === 'scenario') return void readScenario(request.dir, request.parts);
  if (request.type === 'fed') return parseFed(request.port, request.source, request.logFormat);
  if (request.type === 'inflate') {
    inflate(request.file, request.segmentBytes, request.ports).catch((err: unknown) =>
      parentPort?.postMessage({ type: 'inflate-failed', error: (err as Error).message } satisfies InflateReply),
    );
    return;
  }
  if (request.type === 'slice-taken') {
    unacknowledged--;
    wakeSender?.();
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
  let result: FlowPieceResult;
  try {
    result = parse(request.source, request.logFormat, request);
  } catch (err) {
    parentPort?.postMessage({ id: request.id, error: (err as Error).message } satisfies FlowWorkerReply);
    return;
  }
  parentPort?.postMessage(...reply<FlowWorkerReply & { result: FlowPieceResult }>({ id: request.id, result }));
});
