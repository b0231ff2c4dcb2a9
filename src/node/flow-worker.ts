// A flow-log parsing thread: aggregates its share of a file (a byte range it reads, or a buffer handed to it) with the engine's own aggregator.
import * as fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { parseLogFormat, type FlowLogFormat } from '../core/flowlog/format';
import { EniHistory, type EniHistoryJson } from '../core/inventory/history';
import { UnknownEniCounter } from '../core/scan/flow-logs';
import type { FlowPieceResult, FlowWorkerReply, FlowWorkerRequest, FlowWorkerContext } from './flow-protocol';

const READ_CHUNK_BYTES = 1024 * 1024;

let context: FlowWorkerContext | undefined;
let history: EniHistory | undefined;
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
  if (!context || !history) throw new Error('no context given before the first piece');
  const agg = new UnknownEniCounter(context.enis, context.range, context.sampleFrom, history);
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
  const otherInterfaces = [...agg.otherInterfaces];
  return {
    rows: agg.compactAggregates(),
    stats: agg.stats,
    otherInterfaces,
    lines,
    ...(request.type === 'buffer' ? { buffer: request.buffer } : {}),
  };
}

parentPort?.on('message', (request: FlowWorkerRequest) => {
  if (request.type === 'context') {
    context = request.context;
    // Only `at` is asked of the history: spans need their address, ENI and times, nothing of the ENI itself.
    const spans = context.addressSpans.map((s) => ({ ...s, eni: undefined as never, functions: [] }));
    history = EniHistory.fromJSON({ formatVersion: 1, spans } as EniHistoryJson);
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
