// A replay scan's worker thread: opens the recorded scenario, scans it, and sends back the report in JSON batches and the ENI history (or lists its functions).
import * as os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { EniHistory } from '../core/inventory/history';
import { SourceError } from '../core/ports';
import { scan } from '../core/scan';
import { openScenario } from '../replay/scenario';
import type { CrossedError, ScanWorkerData, ScanWorkerReply } from './scan-protocol';

/** The scan thread's nice value: below the extension host's thread, which every extension shares. */
const SCAN_NICE = 10;

/** Function JSON per batch: a few milliseconds of decoding and JSON.parse for the receiving thread (20 ms at 256 KiB, measured in the scale suite). */
const BATCH_CHARS = 64 * 1024;

function send(reply: ScanWorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(reply, transfer);
}

const utf8 = new TextEncoder();

/** The report's functions as JSON arrays of about BATCH_CHARS each, in order, UTF-8. */
function functionBatches(functions: readonly unknown[], batchChars = BATCH_CHARS): Uint8Array[] {
  return functionBatchTexts(functions, batchChars).map((text) => utf8.encode(text));
}

function functionBatchTexts(functions: readonly unknown[], batchChars: number): string[] {
  const batches: string[] = [];
  let parts: string[] = [];
  let size = 0;
  for (const fn of functions) {
    const text = JSON.stringify(fn);
    parts.push(text);
    size += text.length;
    if (size >= batchChars) {
      batches.push(`[${parts.join(',')}]`);
      parts = [];
      size = 0;
    }
  }
  if (parts.length) batches.push(`[${parts.join(',')}]`);
  return batches;
}

function crossed(err: unknown): CrossedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  return {
    name: err.name,
    message: err.message,
    ...(err.stack !== undefined ? { stack: err.stack } : {}),
    ...(SourceError.is(err) ? { sourceKind: err.kind, ...(err.iamAction !== undefined ? { iamAction: err.iamAction } : {}) } : {}),
  };
}

async function main(data: ScanWorkerData): Promise<void> {
  const source = openScenario(data.dir, data.label, { flowThreads: data.flowThreads !== undefined ? { threads: data.flowThreads } : {} });
  if (data.task === 'list-functions') {
    send({ type: 'functions', functions: await source.listFunctions(new AbortController().signal) });
    return;
  }
  const history = data.history ? EniHistory.fromJSON(data.history) : new EniHistory();
  const report = await scan(source, {
    ...data.options,
    history,
    logger: {
      info: (message) => send({ type: 'log', level: 'info', message }),
      warn: (message) => send({ type: 'log', level: 'warn', message }),
      debug: (message) => send({ type: 'log', level: 'debug', message }),
    },
    onProgress: (message) => send({ type: 'progress', message }),
  });
  // The head keeps `functions` (empty) in its place, so that the assembled report has the engine's key order.
  const head = JSON.stringify({ ...report, functions: [] });
  const batches = functionBatches(report.functions, data.batchChars);
  // Transferred, not copied: the receiving thread takes the buffers in at once and decodes them a turn at a time.
  send(
    { type: 'report', head, functionBatches: batches, history: history.toJSON() },
    batches.map((b) => b.buffer as ArrayBuffer),
  );
}

if (parentPort) {
  // On Linux a thread's nice value is its own (and the flow-log threads it starts inherit it): when cores are short, the
  // extension host's thread runs first. On macOS and Windows it would lower the whole extension host: left alone there.
  if (process.platform === 'linux') os.setPriority(SCAN_NICE);
  main(workerData as ScanWorkerData).catch((err: unknown) => send({ type: 'error', error: crossed(err) }));
}
