// A replay scan on a worker thread: started, fed its options, heard for progress and logs, cancelled by terminating it, its report assembled in slices.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { EniHistoryJson } from '../core/inventory/history';
import type { FunctionReport, LambdaFunction, ScanReport } from '../core/model';
import { InputError, SourceError, type Logger, type SourceErrorKind } from '../core/ports';
import { rememberFunctionsJson } from './report-json';
import type { CrossedError, ScanWorkerData, ScanWorkerReply } from './scan-protocol';

export type { ScanDataOptions, ScanWorkerData } from './scan-protocol';

export interface ScanInWorkerOptions {
  /** Aborting terminates the worker; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  logger?: Logger;
  onProgress?: (message: string) => void;
  /** The worker's script (tests: one that fails). */
  workerScript?: string;
}

export interface WorkerScanResult {
  report: ScanReport;
  /** The ENI history given, with this scan's inventory added. */
  history: EniHistoryJson;
}

let live = 0;
/** Scan workers running now, in this process (tests: none is left behind). */
export function liveScanWorkers(): number {
  return live;
}

/**
 * Scans the recorded scenario `data.dir` on a worker thread. The calling thread only relays messages and parses the
 * report's JSON one batch of functions per event-loop turn, so that it never blocks for long, whatever the account's size.
 * A worker that crashes or exits without a report rejects with an error naming the scenario; it never hangs.
 */
export async function scanInWorker(data: ScanWorkerData, options: ScanInWorkerOptions = {}): Promise<WorkerScanResult> {
  const result = await runWorker({ ...data, task: 'scan' }, options);
  if (!('report' in result)) throw new Error(`${data.dir}: the replay scan's worker thread sent no report`);
  return result;
}

/** The recorded account's functions, read on a worker thread (opening a large scenario takes seconds). */
export async function listFunctionsInWorker(
  target: Pick<ScanWorkerData, 'dir' | 'label'>,
  options: Omit<ScanInWorkerOptions, 'logger' | 'onProgress'> = {},
): Promise<LambdaFunction[]> {
  const result = await runWorker({ ...target, options: {}, task: 'list-functions' }, options);
  if (!('functions' in result)) throw new Error(`${target.dir}: the replay scan's worker thread sent no function list`);
  return result.functions;
}

function runWorker(data: ScanWorkerData, options: ScanInWorkerOptions): Promise<WorkerScanResult | { functions: LambdaFunction[] }> {
  const { signal } = options;
  signal?.throwIfAborted();
  const worker = startWorker(options.workerScript ?? defaultWorkerScript(), data);
  live++;
  return new Promise((resolve, reject) => {
    let settled = false;
    /** Once the answer arrived, the worker's exit is expected. */
    let received = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      done();
    };
    const onAbort = () => {
      settle(() => reject(signal!.reason));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (reply: ScanWorkerReply) => {
      if (settled) return;
      switch (reply.type) {
        case 'progress':
          options.onProgress?.(reply.message);
          break;
        case 'log':
          options.logger?.[reply.level]?.(reply.message);
          break;
        case 'error':
          received = true;
          settle(() => reject(rebuiltError(reply.error)));
          void worker.terminate();
          break;
        case 'functions':
          received = true;
          settle(() => resolve({ functions: reply.functions }));
          break;
        case 'report':
          received = true;
          assemble(reply.head, reply.functionBatches, reply.history, signal).then(
            ({ report, history }) => settle(() => resolve({ report, history })),
            (err: unknown) => settle(() => reject(err)),
          );
          break;
      }
    });
    worker.on('error', (err) => {
      settle(() => reject(new Error(`${data.dir}: the replay scan's worker thread crashed: ${err.message}`, { cause: err })));
      void worker.terminate();
    });
    worker.on('exit', (code) => {
      live--;
      if (!received)
        settle(() => reject(new Error(`${data.dir}: the replay scan's worker thread stopped (exit code ${code}) before it answered`)));
    });
  });
}

const utf8 = new TextDecoder();

/** The report from its head and its function batches, one decode and JSON.parse per event-loop turn; the ENI history with it. */
async function assemble(
  head: string,
  batches: readonly Uint8Array[],
  history: EniHistoryJson,
  signal: AbortSignal | undefined,
): Promise<{ report: ScanReport; history: EniHistoryJson }> {
  const report = JSON.parse(head) as ScanReport;
  const functions: FunctionReport[] = [];
  for (const batch of batches) {
    await nextTurn();
    signal?.throwIfAborted();
    for (const fn of JSON.parse(utf8.decode(batch)) as FunctionReport[]) functions.push(fn);
  }
  report.functions = functions;
  // Saving the report writes these bytes as they are (report-json.ts), instead of serializing 1,000 functions again.
  rememberFunctionsJson(report, batches);
  return { report, history };
}

/** The engine's own kinds again: a bad scenario stays an InputError, a failed source a SourceError with its kind. */
function rebuiltError(e: CrossedError): Error {
  let err: Error;
  if (e.sourceKind !== undefined) err = new SourceError(e.sourceKind as SourceErrorKind, e.message, e.iamAction);
  else if (e.name === 'InputError') err = new InputError(e.message);
  else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

function startWorker(script: string, data: ScanWorkerData): Worker {
  return script.endsWith('.ts')
    ? // Under tsx (tests, from sources): the thread loads tsx before the TypeScript entry.
      new Worker(`require(${JSON.stringify(createRequire(__filename).resolve('tsx/cjs'))}); require(${JSON.stringify(script)});`, {
        eval: true,
        workerData: data,
      })
    : new Worker(script, { workerData: data });
}

/** Beside this module: dist/scan-worker.js when bundled, src/node/scan-worker.ts when run from sources. */
function defaultWorkerScript(): string {
  const js = path.join(__dirname, 'scan-worker.js');
  return fs.existsSync(js) ? js : path.join(__dirname, 'scan-worker.ts');
}
