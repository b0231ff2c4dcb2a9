// The flow-record kernel (wasm/flow-records.ts, WebAssembly): its memory and calls, typed. What a record means is decided
// there; FlowAggregator (aggregate.ts) feeds it text and turns its tables into aggregates.
import { FLOW_KERNEL_WASM } from './flow-kernel-wasm';
import type { FlowLogFormat } from './format';

/** f64 numbers per row in `rows`: key, flows, packets, bytes, first, last (seconds), lines kept. */
export const ROW = { key: 0, flows: 1, packets: 2, bytes: 3, first: 4, last: 5, kept: 6, fields: 7 } as const;
/** What one `aggregate` call counted, at `stats[k]`. */
export const STAT = { records: 0, attributed: 1, noData: 2, skipData: 3, otherInterfaces: 4, outOfRange: 5 } as const;
/**
 * A byte-key table's header in the kernel's memory (i32 indexes from its address): where its entries are (each
 * [hash, key offset in the slab, key length, value], entryFields i32), how many, and where its slab of keys is.
 */
const TABLE = { entries: 0, count: 2, slab: 5, entryFields: 4 } as const;
/** Why a line is malformed: an event's reason. */
export const REASON = { longLine: 1, fieldCount: 2, action: 3, start: 4, number: 5, address: 6 } as const;

interface KernelExports {
  memory: WebAssembly.Memory;
  CONFIG_AT: WebAssembly.Global;
  STATS_AT: WebAssembly.Global;
  SCRATCH_AT: WebAssembly.Global;
  SERVICES_AT: WebAssembly.Global;
  EVENTS_AT: WebAssembly.Global;
  SAMPLES_AT: WebAssembly.Global;
  TEXT_AT: WebAssembly.Global;
  TEXT_BYTES: WebAssembly.Global;
  ROW_FIELDS: WebAssembly.Global;
  alloc(bytes: number): number;
  init(enis: number, eniFactor: number, hourFactor: number, firstHour: number, startSec: number, endSec: number, sampleSec: number): void;
  addEni(eni: number, at: number, length: number, addresses: number, addressCount: number): void;
  coveredMask(): number;
  otherTable(): number;
  clearOthers(): void;
  serviceIndex(at: number, length: number): number;
  services(): number;
  internPeer(length: number): number;
  peerTable(): number;
  row(peer: number, eni: number, reject: number, hour: number, startSec: number): number;
  rowCountNow(): number;
  rowList(): number;
  clearRows(): void;
  configure(): number;
  events(): number;
  samples(): number;
  aggregate(from: number, len: number): number;
  next(): number;
}

let compiled: WebAssembly.Module | undefined;

/** The module, compiled once per thread. */
function kernelModule(): WebAssembly.Module {
  if (!compiled) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(FLOW_KERNEL_WASM, 'base64'));
    } catch (err) {
      throw new Error(
        `flow-log parsing needs WebAssembly with SIMD (Node.js 16.4 or later, VS Code 1.60 or later): ${(err as Error).message}`,
      );
    }
  }
  return compiled;
}

/** The aggregation a kernel is made for: which ENIs, which hours, from when lines are kept. */
export interface KernelShape {
  /** Each wanted ENI's id and the addresses it has had (the function's side of its records). */
  enis: ReadonlyArray<{ id: string; addresses: readonly string[] }>;
  eniFactor: number;
  hourFactor: number;
  firstHour: number;
  rangeStartSec: number;
  rangeEndSec: number;
  sampleFromSec: number;
  /** For formats without interface-id: the wanted ENI (index) that held an address at a time, or -1. */
  eniForAddress(address: string, atSec: number): number;
}

/** One kernel instance: its own memory and tables (one per aggregator). */
export class FlowKernel {
  private readonly x: KernelExports;
  private readonly at: {
    config: number;
    stats: number;
    scratch: number;
    services: number;
    events: number;
    samples: number;
    text: number;
  };
  /** The most text one `aggregate` call takes. */
  readonly textBytes: number;
  private viewed: ArrayBuffer | undefined;
  private u8View!: Uint8Array;
  private i32View!: Int32Array;
  private f64View!: Float64Array;
  /** Who configured the kernel last (a stream): another one configures it again. */
  private configuredBy: unknown;
  private configuredLines = 0;

  constructor(shape: KernelShape) {
    const imports = {
      'flow-records': {
        eniForAddress: (start: number, end: number, atSec: number) =>
          shape.eniForAddress(Buffer.from(this.x.memory.buffer, start, end - start).toString('latin1'), atSec),
      },
    };
    this.x = new WebAssembly.Instance(kernelModule(), imports).exports as unknown as KernelExports;
    const g = (name: keyof KernelExports) => (this.x[name] as WebAssembly.Global).value as number;
    this.at = {
      config: g('CONFIG_AT'),
      stats: g('STATS_AT'),
      scratch: g('SCRATCH_AT'),
      services: g('SERVICES_AT'),
      events: g('EVENTS_AT'),
      samples: g('SAMPLES_AT'),
      text: g('TEXT_AT'),
    };
    this.textBytes = g('TEXT_BYTES');
    if (g('ROW_FIELDS') !== ROW.fields) throw new Error('the flow kernel module does not match flow-kernel.ts');
    const x = this.x;
    x.init(
      shape.enis.length,
      shape.eniFactor,
      shape.hourFactor,
      shape.firstHour,
      shape.rangeStartSec,
      shape.rangeEndSec,
      shape.sampleFromSec,
    );
    shape.enis.forEach((eni, i) => {
      const id = this.put(Buffer.from(eni.id, 'latin1'));
      const list = x.alloc(eni.addresses.length * 8);
      const pairs = eni.addresses.map((a) => {
        const bytes = Buffer.from(a, 'latin1');
        return [this.put(bytes), bytes.length];
      });
      this.i32.set(pairs.flat(), list / 4);
      x.addEni(i, id, eni.id.length, list, pairs.length);
    });
  }

  /** Bytes copied into the kernel's heap; where they are. */
  private put(bytes: Uint8Array): number {
    const at = this.x.alloc(bytes.length);
    this.u8.set(bytes, at);
    return at;
  }

  private views(): void {
    const buffer = this.x.memory.buffer;
    if (buffer === this.viewed) return;
    this.viewed = buffer;
    this.u8View = new Uint8Array(buffer);
    this.i32View = new Int32Array(buffer);
    this.f64View = new Float64Array(buffer);
  }

  /** The kernel's memory (valid until its next call that may grow it). */
  get u8(): Uint8Array {
    this.views();
    return this.u8View;
  }

  private get i32(): Int32Array {
    this.views();
    return this.i32View;
  }

  private get f64(): Float64Array {
    this.views();
    return this.f64View;
  }

  /** Where text to aggregate goes: `size` bytes (at most textBytes), valid until the next call. */
  text(size: number): Buffer {
    if (size > this.textBytes) throw new RangeError(`${size} bytes of text: the flow kernel takes at most ${this.textBytes}`);
    return Buffer.from(this.x.memory.buffer, this.at.text, size);
  }

  /**
   * Makes `format` (and the ENIs `covered` marks, by index; all when absent) the one `aggregate` parses, unless `by`
   * configured it last. Returns the most lines one `aggregate` call takes.
   */
  configure(by: unknown, format: FlowLogFormat, covered: Uint8Array | undefined): number {
    if (this.configuredBy === by) return this.configuredLines;
    const f = format;
    const config = [
      f.fieldCount,
      f.logStatus,
      f.action,
      f.interfaceId,
      f.srcaddr,
      f.dstaddr,
      f.srcport,
      f.dstport,
      f.protocol,
      f.flowDirection,
      f.pktSrcAwsService,
      f.pktDstAwsService,
      f.start,
      f.end,
      f.packets,
      f.bytes,
      covered ? 1 : 0,
    ];
    this.i32.set(config, this.at.config / 4);
    if (covered) this.u8.set(covered, this.x.coveredMask());
    const lines = this.x.configure();
    if (lines < 1) throw new RangeError(`a record of ${f.fieldCount} fields does not fit the flow kernel`);
    this.configuredBy = by;
    this.configuredLines = lines;
    return lines;
  }

  /** Parses the complete lines of text [from, len) (see `text`), at most a batch of them; returns how many it took. */
  aggregate(from: number, len: number): number {
    return this.call(() => this.x.aggregate(from, len));
  }

  /** A call that may grow the kernel's tables: a trap (no memory left for them) is an error that says so. */
  private call<T>(f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (!(err instanceof WebAssembly.RuntimeError)) throw err;
      const mib = Math.round(this.x.memory.buffer.byteLength / 2 ** 20);
      throw new Error(`flow-log aggregation stopped: its tables could not grow past ${mib} MiB of WebAssembly memory (${err.message})`);
    }
  }

  /** Where the first line the last `aggregate` did not take starts. */
  get next(): number {
    return this.x.next();
  }

  /** What the last `aggregate` counted (STAT). */
  stat(k: number): number {
    return this.f64[this.at.stats / 8 + k];
  }

  /** The last `aggregate`'s malformed lines: each one's [line index in the call, reason (REASON), field count]. */
  events(): Int32Array {
    return this.i32.subarray(this.at.events / 4, this.at.events / 4 + this.x.events() * 3);
  }

  /** The last `aggregate`'s lines to keep: each one's [row, line start, line end] in the text. */
  samples(): Int32Array {
    return this.i32.subarray(this.at.samples / 4, this.at.samples / 4 + this.x.samples() * 3);
  }

  /** The index of an AWS service name (0: not one). */
  serviceIndex(name: string): number {
    if (name.length > 64) return 0;
    this.u8.set(Buffer.from(name, 'latin1'), this.at.scratch);
    return this.x.serviceIndex(this.at.scratch, name.length);
  }

  serviceName(index: number): string {
    const at = this.at.services + index * 68;
    return Buffer.from(this.x.memory.buffer, at + 4, this.i32[at / 4]).toString('latin1');
  }

  /** The id of a peer key (at most 128 bytes). */
  internPeer(key: string): number {
    this.u8.set(Buffer.from(key, 'latin1'), this.at.scratch);
    return this.call(() => this.x.internPeer(key.length));
  }

  get peerCount(): number {
    return this.i32[this.x.peerTable() / 4 + TABLE.count];
  }

  peerKey(peer: number): string {
    return this.tableKey(this.x.peerTable(), peer);
  }

  /** Key `id` of a table of the kernel's (wasm/flow-records.ts: a header of i32 at `table`, see TABLE). */
  private tableKey(table: number, id: number): string {
    const i32 = this.i32;
    const entry = i32[table / 4 + TABLE.entries] / 4 + id * TABLE.entryFields;
    return Buffer.from(this.x.memory.buffer, i32[table / 4 + TABLE.slab] + i32[entry + 1], i32[entry + 2]).toString('latin1');
  }

  /** The row of (peer, ENI, reject, hour index), made when new with first = last = startSec. */
  row(peer: number, eni: number, reject: number, hour: number, startSec: number): number {
    return this.call(() => this.x.row(peer, eni, reject, hour, startSec));
  }

  get rowCount(): number {
    return this.x.rowCountNow();
  }

  /** Every row's numbers (ROW), ROW.fields a row: valid until the next call that may add a row. */
  rows(): Float64Array {
    const at = this.x.rowList() / 8;
    return this.f64.subarray(at, at + this.rowCount * ROW.fields);
  }

  clearRows(): void {
    this.x.clearRows();
  }

  /** The interfaces met that are not wanted ENIs, with their records, in the order first met; then none. */
  drainOtherInterfaces(): Array<[string, number]> {
    const table = this.x.otherTable();
    const i32 = this.i32;
    const count = i32[table / 4 + TABLE.count];
    const entries = i32[table / 4 + TABLE.entries] / 4;
    const out: Array<[string, number]> = [];
    for (let id = 0; id < count; id++) out.push([this.tableKey(table, id), i32[entries + id * TABLE.entryFields + 3] >>> 0]);
    this.x.clearOthers();
    return out;
  }
}
