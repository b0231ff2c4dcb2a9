// Parses one flow-log file on several threads (byte ranges of a plain file, inflated pieces of a gzip one) into aggregated items the engine merges in file order.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { emptyParseStats } from '../core/flowlog/aggregate';
import type { AggregatedFlows, FlowData, FlowReadRequest } from '../core/ports';
import type {
  FedPieceReply,
  FlowPieceResult,
  FlowWorkerContext,
  FlowWorkerReply,
  FlowWorkerRequest,
  FlowObject,
  InflateReply,
  InflateBackRequest,
  TextReply,
} from './flow-protocol';

/** Inflated text handed to a thread at a time: large enough that merging its rows costs little beside parsing them. */
const SEGMENT_BYTES = 16 * 1024 * 1024;
/**
 * Below these sizes one thread is faster than starting others (measured on 2 cores: threads start, learn the parser and
 * merge for about a quarter of a second; a 108 MB file took 1.4 s on one thread and 1.6 s on two).
 */
const MIN_PLAIN_BYTES = 128 * 1024 * 1024;
const MIN_GZIP_BYTES = 16 * 1024 * 1024;

export interface FlowThreadOptions {
  /** Parsing threads (default: defaultFlowThreads); 1 parses on the calling thread (the engine's own path). */
  threads?: number;
  /** Files smaller than this stay on one thread (default: 128 MiB plain, 16 MiB gzip). */
  minBytes?: number;
  /** Where a plain file is cut (byte offsets, each moved to the next line start): default evenly, two pieces a thread. */
  cuts?: number[];
  /** Inflated bytes per piece of a gzip file (default 16 MiB). */
  segmentBytes?: number;
  /** S3 objects sent to a thread at once, at most (default BATCH_OBJECTS). */
  batchObjects?: number;
  /** The thread's script (tests: one that fails). */
  workerScript?: string;
}

/**
 * Parsing threads when none were asked for: one per core, one fewer for a gzip file, whose inflating keeps a core busy
 * (on one thread a gzip file already uses about 1.3 cores; on 2 cores a second parsing thread gave 0.9-1.05x for more CPU).
 */
export function defaultFlowThreads(gzip = false): number {
  const cores = Math.max(1, os.availableParallelism());
  return gzip ? Math.max(1, cores - 1) : cores;
}

function threadsFor(file: string, options: FlowThreadOptions): number {
  return Math.max(1, options.threads ?? defaultFlowThreads(file.endsWith('.gz')));
}

/** Whether a file is worth parsing on several threads. */
export function usesFlowThreads(file: string, options: FlowThreadOptions): boolean {
  if (threadsFor(file, options) <= 1) return false;
  const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  return size >= (options.minBytes ?? (file.endsWith('.gz') ? MIN_GZIP_BYTES : MIN_PLAIN_BYTES));
}

/**
 * Threads for S3 objects when none were asked for: one fewer than the cores, as for a gzip file. The scanning thread
 * already inflates small objects beside its parsing, and merges every object's rows: on 2 cores the 4,320 objects of a
 * 2.9M-record account took 1.7-1.8 s on one thread and 1.8-1.9 s on two, with 45 % more CPU.
 */
function objectThreads(options: FlowThreadOptions): number {
  return Math.max(1, options.threads ?? defaultFlowThreads(true));
}

/** Whether objects of `bytes` (compressed, together) are worth parsing on threads. Each thread inflates its own objects. */
export function usesObjectThreads(bytes: number, options: FlowThreadOptions): boolean {
  return objectThreads(options) > 1 && bytes >= (options.minBytes ?? MIN_GZIP_BYTES);
}

/**
 * S3 objects go to a thread in batches, one message and one reply each: up to BATCH_OBJECTS of them, or BATCH_BYTES
 * compressed (a larger object goes alone). A message each cost as much as parsing a five-minute object.
 */
const BATCH_OBJECTS = 32;
const BATCH_BYTES = 1024 * 1024;
/** Batches a thread is given at once (and parsed ahead of the one the engine takes). */
const BATCHES_PER_THREAD = 2;

export type { FlowObject } from './flow-protocol';

/**
 * A flow log's items with its gzip text objects parsed on threads (one fewer than the cores by default), each object's
 * records aggregated as the engine would its raw stream (by its header line, its malformed lines numbered in it): an
 * aggregated item an object, carrying the format its header named. Other items pass through. Items come out in the
 * order they went in; a few batches are parsed ahead, at most BATCHES_PER_THREAD a thread, so that memory stays bounded.
 */
export async function* parseFlowObjectsInThreads(
  items: AsyncIterable<FlowData | FlowObject> | Iterable<FlowData | FlowObject>,
  label: string,
  logFormat: string | undefined,
  request: FlowReadRequest,
  signal: AbortSignal,
  options: FlowThreadOptions = {},
): AsyncGenerator<FlowData> {
  signal.throwIfAborted();
  const threads = objectThreads(options);
  const eniIds = request.enis.map((e) => e.id);
  const pool = new FlowWorkerPool(threads, workerContext(request), label, options.workerScript, BATCHES_PER_THREAD);
  const onAbort = () => pool.fail(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const parsed = async (batch: FlowObject[]): Promise<FlowData[]> => {
    const transfer = batch.flatMap((o) => ('bytes' in o ? [o.bytes] : []));
    const results = await pool.runBatch({ type: 'objects', ...(logFormat !== undefined ? { logFormat } : {}), objects: batch }, transfer);
    return results.map((result, i) => ({
      kind: 'aggregated',
      source: batch[i].source,
      rows: [],
      ...(result.logFormat !== undefined ? { logFormat: result.logFormat } : {}),
      parsed: {
        stats: result.stats,
        otherInterfaces: result.otherInterfaces,
        compact: { rows: result.rows, eniIds },
        ...(result.stoppedEarly !== undefined ? { stoppedEarly: result.stoppedEarly } : {}),
      },
    }));
  };
  const pending: Array<Promise<FlowData[]>> = [];
  const queue = (next: Promise<FlowData[]>) => {
    // Awaited in order below: a later batch failing first must not count as unhandled meanwhile.
    next.catch(() => undefined);
    pending.push(next);
  };
  let batch: FlowObject[] = [];
  let batchBytes = 0;
  const send = () => {
    if (!batch.length) return;
    queue(parsed(batch));
    batch = [];
    batchBytes = 0;
  };
  try {
    for await (const item of items) {
      if (item.kind === 'object') {
        batch.push(item);
        batchBytes += 'file' in item ? item.size : item.bytes.byteLength;
        if (batch.length >= (options.batchObjects ?? BATCH_OBJECTS) || batchBytes >= BATCH_BYTES) send();
      } else {
        send();
        queue(Promise.resolve([item]));
      }
      while (pending.length > threads * BATCHES_PER_THREAD) yield* await pending.shift()!;
    }
    send();
    while (pending.length) yield* await pending.shift()!;
  } finally {
    signal.removeEventListener('abort', onAbort);
    await pool.terminate();
  }
}

/** What every piece is aggregated against, from the engine's request. */
function workerContext(request: FlowReadRequest): FlowWorkerContext {
  if (!request.localParse) throw new Error("parsing on threads needs the engine's localParse request");
  return {
    enis: request.enis,
    range: { start: request.start, end: request.end },
    covered: request.enis.map((e) => e.id),
    sampleFrom: request.localParse.sampleFrom,
    addressSpans: request.localParse.addressSpans,
  };
}

let live = 0;
let started = 0;
/** Flow-log threads (parsing, and inflating for this thread) running now, in this process (tests: none is left behind). */
export function liveFlowWorkers(): number {
  return live;
}

/** Parsing threads started so far in this process (tests: the threads were used). */
export function startedFlowWorkers(): number {
  return started;
}

/**
 * The file's records aggregated on `threads` threads, one item per piece in file order, each with its parse statistics
 * (its malformed examples numbered in the file's lines). The engine merging them gets what it would from the raw stream.
 */
export async function* parseFlowFileInThreads(
  file: string,
  logFormat: string | undefined,
  request: FlowReadRequest,
  signal: AbortSignal,
  options: FlowThreadOptions = {},
): AsyncGenerator<AggregatedFlows> {
  signal.throwIfAborted();
  const threads = threadsFor(file, options);
  const pool = new FlowWorkerPool(threads, workerContext(request), file, options.workerScript);
  const onAbort = () => pool.fail(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const pieces = file.endsWith('.gz')
      ? inflatedPieces(pool, logFormat, threads, options.segmentBytes ?? SEGMENT_BYTES)
      : rangePieces(pool, file, logFormat, threads, options.cuts);
    let lineOffset = 0;
    const eniIds = request.enis.map((e) => e.id);
    for await (const { result, stoppedEarly } of pieces) {
      signal.throwIfAborted();
      if (!result) {
        yield { kind: 'aggregated', source: file, rows: [], parsed: { stats: emptyParseStats(), otherInterfaces: [], stoppedEarly } };
        continue;
      }
      const examples = result.stats.malformedExamples.map((m) => ({ ...m, line: m.line + lineOffset }));
      lineOffset += result.lines;
      yield {
        kind: 'aggregated',
        source: file,
        rows: [],
        parsed: {
          stats: { ...result.stats, malformedExamples: examples },
          otherInterfaces: result.otherInterfaces,
          compact: { rows: result.rows, eniIds },
        },
      };
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    await pool.terminate();
  }
}

/** A piece's result, or (last) why the file stopped early. */
type Piece = { result: FlowPieceResult; stoppedEarly?: undefined } | { result?: undefined; stoppedEarly: string };

/** A plain file cut at line starts: every range is sent at once, the results taken in order. */
async function* rangePieces(
  pool: FlowWorkerPool,
  file: string,
  logFormat: string | undefined,
  threads: number,
  cuts?: number[],
): AsyncGenerator<Piece> {
  const size = fs.statSync(file).size;
  const nominal = cuts ?? Array.from({ length: threads * 2 - 1 }, (_, i) => Math.round(((i + 1) * size) / (threads * 2)));
  const bounds = [0, ...lineStarts(file, nominal, size), size];
  const results: Array<Promise<FlowPieceResult>> = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    if (bounds[i + 1] > bounds[i])
      results.push(
        pool.run({
          type: 'range',
          source: file,
          ...(logFormat !== undefined ? { logFormat } : {}),
          file,
          start: bounds[i],
          end: bounds[i + 1],
        }),
      );
  }
  for (const r of results) yield { result: await r };
}

/** Each offset moved to the start of the line it falls in the middle of (or kept at a line start), sorted, within the file. */
function lineStarts(file: string, offsets: number[], size: number): number[] {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    const out: number[] = [];
    for (const offset of [...offsets].sort((a, b) => a - b)) {
      if (offset <= 0 || offset >= size) continue;
      // The line start at or after `offset`: just past the first newline at or after offset - 1.
      let pos = offset - 1;
      let start = size;
      while (pos < size) {
        const read = fs.readSync(fd, buf, 0, buf.length, pos);
        if (read === 0) break;
        const nl = buf.subarray(0, read).indexOf(10);
        if (nl >= 0) {
          start = pos + nl + 1;
          break;
        }
        pos += read;
      }
      out.push(start);
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A gzip file inflated on a thread of its own, which hands pieces of whole lines straight to the parsing threads: this
 * thread only takes their rows in, in file order, and never holds the text (a scan's heap can be hundreds of MB, and
 * every buffer taken in here counted towards a garbage collection that marks all of it). Ends with an item saying why the
 * file stopped early, when it did.
 */
async function* inflatedPieces(
  pool: FlowWorkerPool,
  logFormat: string | undefined,
  threads: number,
  segmentBytes: number,
): AsyncGenerator<Piece> {
  const end = pool.startInflating(logFormat, threads, segmentBytes);
  for (let i = 0; ; i++) {
    const result = await Promise.race([pool.pieceResult(i), end.then((e) => (i < e.pieces ? pool.pieceResult(i) : undefined))]);
    if (!result) break;
    pool.taken(i);
    yield { result };
  }
  const { stoppedEarly } = await end;
  if (stoppedEarly !== undefined) yield { stoppedEarly };
}

interface Job {
  request: FlowWorkerRequest & { id: number };
  transfer: ArrayBuffer[];
  /** With a piece's result, or a batch's results. */
  resolve: (r: unknown) => void;
  reject: (err: unknown) => void;
}

/** Threads started on first need, each given `perThread` pieces at a time; any thread failing fails every piece. */
class FlowWorkerPool {
  private readonly all: Worker[] = [];
  /** Pieces handed out and not yet answered, by id, and how many each thread has. */
  private readonly busy = new Map<number, Job>();
  private readonly load = new Map<Worker, number>();
  private readonly waiting: Job[] = [];
  private nextId = 0;
  private failed: unknown;
  /** Results of the pieces the inflating thread handed out, by piece number, taken or awaited in file order. */
  private readonly fed = new Map<number, Deferred<FlowPieceResult>>();
  private inflated: Deferred<{ pieces: number; stoppedEarly?: string }> | undefined;

  constructor(
    private readonly threads: number,
    private readonly context: FlowWorkerContext,
    private readonly file: string,
    private readonly script = defaultWorkerScript(),
    /** Pieces a thread is given before it answers: more than one keeps a thread busy between small pieces (S3 objects). */
    private readonly perThread = 1,
  ) {}

  run(request: DistributiveOmit<Extract<FlowWorkerRequest, { type: 'range' }>, 'id'>): Promise<FlowPieceResult> {
    return this.submit(request, []);
  }

  /** A batch of objects: a result each, in their order. */
  runBatch(request: Omit<Extract<FlowWorkerRequest, { type: 'objects' }>, 'id'>, transfer: ArrayBuffer[]): Promise<FlowPieceResult[]> {
    return this.submit(request, transfer);
  }

  private submit<T extends FlowPieceResult | FlowPieceResult[]>(
    request: DistributiveOmit<Extract<FlowWorkerRequest, { type: 'range' | 'objects' }>, 'id'>,
    transfer: ArrayBuffer[],
  ): Promise<T> {
    const p = new Promise<T>((resolve, reject) => {
      if (this.failed !== undefined) return reject(this.failed);
      this.waiting.push({
        request: { ...request, id: this.nextId++ } as Job['request'],
        transfer,
        resolve: resolve as (r: unknown) => void,
        reject,
      });
      this.dispatch();
    });
    // Results are awaited in file order: a later piece failing first must not count as unhandled meanwhile.
    p.catch(() => undefined);
    return p;
  }

  /**
   * Starts `threads` parsing threads fed by one inflating thread, each through a channel of its own. Resolves when the
   * inflating thread has handed out every piece (how many, and why it stopped early); pieceResult(i) gives each result.
   */
  startInflating(logFormat: string | undefined, threads: number, segmentBytes: number): Promise<{ pieces: number; stoppedEarly?: string }> {
    this.inflated = deferred();
    const ports: MessagePort[] = [];
    for (let i = 0; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      this.start().postMessage(
        { type: 'fed', port: port2, source: this.file, ...(logFormat !== undefined ? { logFormat } : {}) } satisfies FlowWorkerRequest,
        [port2],
      );
      ports.push(port1);
    }
    this.start().postMessage({ type: 'inflate', file: this.file, segmentBytes, ports } satisfies FlowWorkerRequest, ports);
    if (this.failed !== undefined) this.inflated.reject(this.failed);
    return this.inflated.promise;
  }

  /** The result of the inflated piece `piece`, when it comes. */
  pieceResult(piece: number): Promise<FlowPieceResult> {
    return this.fedPiece(piece).promise;
  }

  /** The piece's result was taken: it is not kept here. */
  taken(piece: number): void {
    this.fed.delete(piece);
  }

  private fedPiece(piece: number): Deferred<FlowPieceResult> {
    let d = this.fed.get(piece);
    if (!d) {
      this.fed.set(piece, (d = deferred()));
      if (this.failed !== undefined) d.reject(this.failed);
    }
    return d;
  }

  /** Rejects every piece not yet done (a cancelled scan, a failed thread) and stops the threads. */
  fail(reason: unknown): void {
    if (this.failed === undefined) this.failed = reason;
    for (const job of this.waiting.splice(0)) job.reject(this.failed);
    for (const job of this.busy.values()) job.reject(this.failed);
    this.busy.clear();
    for (const d of this.fed.values()) d.reject(this.failed);
    this.inflated?.reject(this.failed);
    for (const w of this.all) void w.terminate();
  }

  async terminate(): Promise<void> {
    if (this.failed === undefined) this.failed = new Error('flow-log parsing threads stopped');
    this.fail(this.failed);
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length && this.failed === undefined) {
      let worker: Worker | undefined;
      try {
        worker = this.leastLoaded();
      } catch (err) {
        // A thread that cannot start (no memory, no script) fails the pieces with an error, wherever this was called from.
        this.fail(new Error(`${this.file}: a flow-log parsing thread could not start: ${(err as Error).message}`));
        return;
      }
      if (!worker) return;
      const job = this.waiting.shift()!;
      this.busy.set(job.request.id, job);
      this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
      worker.postMessage(job.request, job.transfer);
    }
  }

  /** An idle thread, else a new one while fewer than `threads` run, else the least loaded below `perThread`. */
  private leastLoaded(): Worker | undefined {
    let best: Worker | undefined;
    for (const w of this.all) if (!best || this.load.get(w)! < this.load.get(best)!) best = w;
    if (best && this.load.get(best) === 0) return best;
    if (this.all.length < this.threads) return this.start();
    return best && this.load.get(best)! < this.perThread ? best : undefined;
  }

  private start(): Worker {
    const worker = startParsingThread(this.script);
    live++;
    started++;
    this.all.push(worker);
    this.load.set(worker, 0);
    worker.postMessage({ type: 'context', context: this.context } satisfies FlowWorkerRequest);
    worker.on('message', (reply: FlowWorkerReply | FedPieceReply | InflateReply) => {
      if ('piece' in reply) {
        if ('error' in reply) this.fail(new Error(`${this.file}: a flow-log parsing thread failed: ${reply.error}`));
        else this.fedPiece(reply.piece).resolve(reply.result);
        return;
      }
      if ('type' in reply) {
        if (reply.type === 'inflate-failed') this.fail(new Error(`${this.file}: the flow-log inflating thread failed: ${reply.error}`));
        else this.inflated?.resolve(reply);
        return;
      }
      const job = this.busy.get(reply.id);
      if (!job) return;
      this.busy.delete(reply.id);
      this.load.set(worker, this.load.get(worker)! - 1);
      if ('error' in reply) {
        this.fail(new Error(`${this.file}: a flow-log parsing thread failed: ${reply.error}`));
        return;
      }
      job.resolve('results' in reply ? reply.results : reply.result);
      this.dispatch();
    });
    worker.on('error', (err) => this.fail(new Error(`${this.file}: a flow-log parsing thread crashed: ${err.message}`)));
    worker.on('exit', (code) => {
      live--;
      if (this.failed === undefined)
        this.fail(new Error(`${this.file}: a flow-log parsing thread stopped (exit code ${code}) before its work was done`));
    });
    return worker;
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

/** A promise settled from outside; never an unhandled rejection (it is awaited later, or no longer wanted). */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A parsing thread running `script` (default: the one beside this module). */
export function startParsingThread(script = defaultWorkerScript()): Worker {
  return script.endsWith('.ts')
    ? // Under tsx (tests, bench from sources): the thread loads tsx before the TypeScript entry.
      new Worker(`require(${JSON.stringify(createRequire(__filename).resolve('tsx/cjs'))}); require(${JSON.stringify(script)});`, {
        eval: true,
      })
    : new Worker(script);
}

/** Beside this module: dist/flow-worker.js when bundled, src/node/flow-worker.ts when run from sources. */
function defaultWorkerScript(): string {
  const js = path.join(__dirname, 'flow-worker.js');
  return fs.existsSync(js) ? js : path.join(__dirname, 'flow-worker.ts');
}

/** The script `name` beside `script`, of the same kind (.js or .ts). */
function siblingScript(script: string, name: string): string {
  return path.join(path.dirname(script), name + path.extname(script));
}

/** A gzip file this large (compressed) is worth a thread that inflates it for the one parsing it: about 30 MB of text. */
const MIN_INFLATING_BYTES = 4 * 1024 * 1024;

/** Whether a gzip file parsed on this thread is inflated on a thread of its own (inflatedInThread). */
export function usesInflatingThread(file: string): boolean {
  return file.endsWith('.gz') && (fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0) >= MIN_INFLATING_BYTES;
}

/** The buffers that go back and forth between the inflating thread and this one: 8 of 1 MiB. */
const TEXT_BUFFER_BYTES = 1024 * 1024;
const TEXT_BUFFERS = 8;

/**
 * A gzip file's text, inflated on a thread of its own, for a file parsed on this thread. Each 1 MiB buffer zlib hands out
 * would otherwise be an allocation here, counting towards a garbage collection of this thread's whole heap (a scan's JSON
 * is in it: about 30 ms each, one per 64 MiB of text); instead a few buffers go back and forth, transferred. A chunk is
 * valid until the next one is asked for (its buffer then goes back to be filled again). A truncated or corrupt file ends
 * with zlib's error after the text before it, as a stream of it would; the thread's crash is an error naming the file.
 */
export async function* inflatedInThread(file: string, signal?: AbortSignal, workerScript?: string): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  // The inflating thread's script is beside the parsing thread's.
  let worker: Worker;
  try {
    worker = startParsingThread(siblingScript(workerScript ?? defaultWorkerScript(), 'inflate-worker'));
  } catch (err) {
    throw new Error(`${file}: the flow-log inflating thread could not start: ${(err as Error).message}`);
  }
  live++;
  const filled: Array<{ buffer: ArrayBuffer; length: number }> = [];
  let done: { stoppedEarly?: string } | undefined;
  let failed: unknown;
  let wake: (() => void) | undefined;
  const woken = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (reply: TextReply) => {
    if (reply.type === 'text') filled.push(reply);
    else done = reply;
    woken();
  });
  worker.on('error', (err) => {
    failed ??= new Error(`${file}: the flow-log inflating thread crashed: ${err.message}`);
    woken();
  });
  worker.on('exit', (code) => {
    live--;
    if (!done) failed ??= new Error(`${file}: the flow-log inflating thread stopped (exit code ${code}) before the end of the file`);
    woken();
  });
  const onAbort = () => {
    failed ??= signal?.reason;
    woken();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  worker.postMessage({ type: 'inflate-back', file, bufferBytes: TEXT_BUFFER_BYTES, buffers: TEXT_BUFFERS } satisfies InflateBackRequest);
  try {
    for (;;) {
      while (!filled.length && !done && failed === undefined) await new Promise<void>((r) => (wake = r));
      if (failed !== undefined) throw failed;
      const next = filled.shift();
      if (!next) break;
      yield new Uint8Array(next.buffer, 0, next.length);
      worker.postMessage({ type: 'refill', buffer: next.buffer } satisfies InflateBackRequest, [next.buffer]);
    }
    if (done?.stoppedEarly !== undefined) throw new Error(done.stoppedEarly);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await worker.terminate();
  }
}
