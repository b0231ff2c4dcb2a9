// A parsing thread: aggregates its share of a flow-log file (a byte range it reads, or a buffer handed to it) with the engine's own
// aggregator, or reads parts of a recorded scenario's JSON off the thread that asked.
import * as fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { parseLogFormat, type FlowLogFormat } from '../core/flowlog/format';
import { EniHistory, type EniHistoryJson } from '../core/inventory/history';
import type { MetricSeries } from '../core/model';
import { UnknownEniCounter } from '../core/scan/flow-logs';
import { loadScenarioPart, type ScenarioPart } from '../replay/scenario';
import { flattenRecords } from './flat-records';
import type {
  FlowPieceResult,
  FlowWorkerReply,
  FlowWorkerRequest,
  FlowWorkerContext,
  ScenarioReply,
  ScenarioSliced,
} from './flow-protocol';

/** About this much JSON text a slice (estimated from the file's size over its items): some milliseconds to take in. */
const SLICE_BYTES = 128 * 1024;

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

function parse(request: Extract<FlowWorkerRequest, { type: 'range' | 'buffer' }>): FlowPieceResult {
  if (!context || !aggregator) throw new Error('no context given before the first piece');
  // One aggregator for every piece, emptied after each: its peers, interfaces and tables carry over (about a fifth faster
  // a piece than a new one, which starts cold).
  const agg = aggregator;
  const stream = agg.stream(formatOf(request.logFormat), request.source, context.covered);
  let lines = 0;
  if (request.type === 'buffer') {
    const buf = Buffer.from(request.buffer, 0, request.length);
    lines = newlines(buf, 0, buf.length);
    // In read-sized slices: the parser copies what it is given into its own buffer, which then stays small.
    for (let i = 0; i < buf.length; i += READ_CHUNK_BYTES) stream.push(buf.subarray(i, Math.min(buf.length, i + READ_CHUNK_BYTES)));
  } else {
    const fd = fs.openSync(request.file, 'r');
    try {
      const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      for (let pos = request.start; pos < request.end;) {
        const read = fs.readSync(fd, buf, 0, Math.min(buf.length, request.end - pos), pos);
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
    ...(request.type === 'buffer' ? { buffer: request.buffer } : {}),
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

parentPort?.on('message', (request: FlowWorkerRequest) => {
  if (request.type === 'scenario') return void readScenario(request.dir, request.parts);
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
  let reply: FlowWorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const result = parse(request);
    // The rows' numbers and the piece's buffer move back without a copy.
    transfer.push(result.rows.numbers.buffer as ArrayBuffer, result.rows.sampleRows.buffer as ArrayBuffer);
    if (result.buffer) transfer.push(result.buffer);
    reply = { id: request.id, result };
  } catch (err) {
    reply = { id: request.id, error: (err as Error).message };
  }
  parentPort?.postMessage(reply, transfer);
});
