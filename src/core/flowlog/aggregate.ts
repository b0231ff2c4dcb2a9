// Streams raw flow-log records into per ENI × peer × hour aggregates: byte-level parsing, no string or Map entry per record.
import type { EpochMs, FlowAggregate } from '../model';
import type { EniHistory } from '../inventory/history';
import { HOUR_MS } from '../time';
import type { FlowLogFormat } from './format';
import { FlowKernel, REASON, ROW, STAT } from './flow-kernel';

/** A line longer than this is not a flow record: skip it rather than buffer it. */
const MAX_LINE_BYTES = 64 * 1024;
/** Lines kept as evidence per row (the kernel keeps as many of its records'). */
const SAMPLES_KEPT = 3;
/** The peer key `<address> <port> <protocol>[ <service>]`: an address of at most 64 bytes, numbers of at most 15 digits, a service index 3. */
const MAX_PEER_KEY_BYTES = 64 + 1 + 15 + 1 + 15 + 4;
/** The most bytes the kernel is given at a time (after a carried line). */
const PUSH_BYTES = 1024 * 1024;
const NEWLINE = Buffer.from('\n');
const MALFORMED_EXAMPLES_KEPT = 5;

export interface AggregatorEni {
  id: string;
  /** Addresses the ENI has had: the function's side of every record on it. */
  addresses: string[];
}

export interface FlowParseStats {
  records: number;
  /** Records on a Lambda ENI inside the time range. */
  attributed: number;
  noData: number;
  skipData: number;
  /** Records of ENIs that are not Lambda's (or not asked for). */
  otherInterfaces: number;
  outOfRange: number;
  malformed: number;
  malformedExamples: Array<{ source: string; line: number; reason: string }>;
}

/** Numbers per row of CompactFlowRows. */
export const COMPACT_ROW_FIELDS = 9;

/**
 * Aggregates in a form that crosses threads cheaply: every number in one typed array (transferred, not copied) and each
 * peer's text once, instead of an object and a few strings per row, which a structured clone copies one by one.
 */
export interface CompactFlowRows {
  count: number;
  /**
   * COMPACT_ROW_FIELDS numbers a row: ENI index (in the aggregator's ENIs), reject (0 or 1), hour, flows, packets, bytes,
   * first, last (times in epoch ms), peer index. Rows of one peer are together (the merge looks each peer up once).
   */
  numbers: Float64Array;
  /** Each peer once, a line each: `<address> <port> <protocol>[ <AWS service name>]`. One string clones as one copy. */
  peers: string;
  /** [row index in `numbers`, lines kept] of the rows that kept raw lines as evidence, and those lines in `sampleText`. */
  sampleRows: Uint32Array;
  /** The kept lines in row order, joined by newlines (a line never holds one). */
  sampleText: string;
}

/** The statistics of no record yet. */
export function emptyParseStats(): FlowParseStats {
  return { records: 0, attributed: 0, noData: 0, skipData: 0, otherInterfaces: 0, outOfRange: 0, malformed: 0, malformedExamples: [] };
}

/** The kept lines of a CompactFlowRows by row index. */
function compactSamples(rows: CompactFlowRows): Map<number, string[]> {
  const samples = new Map<number, string[]>();
  if (!rows.sampleRows.length) return samples;
  const lines = rows.sampleText.split('\n');
  for (let i = 0, line = 0; i < rows.sampleRows.length; i += 2) {
    samples.set(rows.sampleRows[i], lines.slice(line, line + rows.sampleRows[i + 1]));
    line += rows.sampleRows[i + 1];
  }
  return samples;
}

/** Accumulates flow records from any number of streams (each with its own LogFormat) into hourly aggregates. */
export class FlowAggregator {
  readonly stats: FlowParseStats = emptyParseStats();

  private readonly eniIds: string[];
  private readonly eniIndexById: Map<string, number>;
  /** Where records are parsed, attributed and added up (WebAssembly): the peers, rows and interfaces met are in its memory. */
  readonly kernel: FlowKernel;
  /** Lines kept as evidence, by row. */
  private readonly samples = new Map<number, string[]>();

  private readonly firstHour: number;
  private readonly eniFactor: number;
  private readonly hourFactor: number;
  private readonly rangeStartSec: number;
  private readonly rangeEndSec: number;

  constructor(
    enis: readonly AggregatorEni[],
    range: { start: EpochMs; end: EpochMs },
    /** Records from here on keep a few raw lines as evidence (the detection window). */
    sampleFrom: EpochMs,
    /** For formats without `interface-id`: which ENI held an address at a time. */
    private readonly history?: EniHistory,
  ) {
    this.eniIds = enis.map((e) => e.id);
    this.eniIndexById = new Map(enis.map((e, i) => [e.id, i]));
    this.firstHour = Math.floor(range.start / HOUR_MS);
    const hourCount = Math.ceil(range.end / HOUR_MS) - this.firstHour + 1;
    this.hourFactor = 2 ** Math.ceil(Math.log2(hourCount + 1));
    this.eniFactor = 2 ** Math.ceil(Math.log2(enis.length + 1));
    if (this.hourFactor * this.eniFactor * 2 > 2 ** 30) throw new RangeError('time range too long or too many ENIs for one aggregation');
    this.rangeStartSec = range.start / 1000;
    this.rangeEndSec = range.end / 1000;
    this.kernel = new FlowKernel({
      enis,
      eniFactor: this.eniFactor,
      hourFactor: this.hourFactor,
      firstHour: this.firstHour,
      rangeStartSec: this.rangeStartSec,
      rangeEndSec: this.rangeEndSec,
      sampleFromSec: sampleFrom / 1000,
      eniForAddress: (address, atSec) => this.eniForAddress(address, atSec),
    });
  }

  /** A parser for one stream of records in one format; feed it chunks, then call `end()`. */
  stream(format: FlowLogFormat, source: string, coveredEniIds?: readonly string[]): FlowRecordStream {
    return new FlowRecordStream(this, format, source, coveredEniIds && this.eniMask(coveredEniIds));
  }

  /** Which ENI indexes a stream may count: a VPC-level flow log also holds ENIs that a more specific one covers. */
  private eniMask(ids: readonly string[]): Uint8Array {
    const mask = new Uint8Array(this.eniIds.length);
    for (const id of ids) {
      const i = this.eniIndexById.get(id);
      if (i !== undefined) mask[i] = 1;
    }
    return mask;
  }

  /** Adds rows that were aggregated elsewhere (CloudWatch Logs Insights). */
  addAggregates(rows: readonly FlowAggregate[], coveredEniIds?: readonly string[]): void {
    const covered = coveredEniIds && this.eniMask(coveredEniIds);
    // Rows from another thread come grouped by peer: a run of rows of one peer makes its key and looks it up once.
    let lastAddress: string | undefined;
    let lastPort = -1;
    let lastProtocol = -1;
    let lastService: string | undefined;
    let lastPeer = -1;
    for (const r of rows) {
      const eni = this.eniIndexById.get(r.eniId);
      if (eni === undefined || (covered && !covered[eni])) {
        this.stats.otherInterfaces += r.flows;
        continue;
      }
      if (!this.inRange(r.hour / 1000)) {
        this.stats.outOfRange += r.flows;
        continue;
      }
      if (r.remoteAddress !== lastAddress || r.remotePort !== lastPort || r.protocol !== lastProtocol || r.remoteService !== lastService) {
        lastPeer = this.peerOf(r.remoteAddress, r.remotePort, r.protocol, r.remoteService);
        lastAddress = r.remoteAddress;
        lastPort = r.remotePort;
        lastProtocol = r.protocol;
        lastService = r.remoteService;
      }
      if (lastPeer < 0) continue;
      this.addRow(lastPeer, eni, r.action === 'REJECT' ? 1 : 0, r.hour, r.flows, r.packets, r.bytes, r.first, r.last, r.samples);
    }
  }

  /**
   * Adds rows another thread aggregated (its FlowAggregator's compactAggregates(), its ENI indexes into `eniIds`) without
   * making an object per row: each of its peers is looked up once, each row is numbers read from one array.
   */
  addCompact(rows: CompactFlowRows, eniIds: readonly string[], coveredEniIds?: readonly string[]): void {
    const covered = coveredEniIds && this.eniMask(coveredEniIds);
    const enis = eniIds.map((id) => {
      const eni = this.eniIndexById.get(id);
      return eni === undefined || (covered && !covered[eni]) ? -1 : eni;
    });
    const peers = rows.peers.split('\n').map((text) => {
      const [address, port, protocol, service] = text.split(' ');
      return this.peerOf(address, Number(port), Number(protocol), service);
    });
    const samples = compactSamples(rows);
    const n = rows.numbers;
    for (let row = 0, o = 0; row < rows.count; row++, o += COMPACT_ROW_FIELDS) {
      const eni = enis[n[o]];
      const flows = n[o + 3];
      if (eni < 0) {
        this.stats.otherInterfaces += flows;
        continue;
      }
      if (!this.inRange(n[o + 2] / 1000)) {
        this.stats.outOfRange += flows;
        continue;
      }
      const peer = peers[n[o + 8]];
      if (peer < 0) continue;
      this.addRow(peer, eni, n[o + 1], n[o + 2], flows, n[o + 4], n[o + 5], n[o + 6], n[o + 7], samples.get(row));
    }
  }

  /** The peer id of a row's remote side, or -1 when its key is too long to be one. */
  private peerOf(address: string, port: number, protocol: number, service: string | undefined): number {
    const serviceIndex = service ? this.kernel.serviceIndex(service) : 0;
    const key = `${address} ${port} ${protocol}${serviceIndex ? ` ${serviceIndex}` : ''}`;
    if (key.length > MAX_PEER_KEY_BYTES) return -1;
    return this.kernel.internPeer(key);
  }

  /** One aggregated row (times in epoch ms) into this aggregator's: sums, first and last, its kept lines. */
  private addRow(
    peer: number,
    eni: number,
    reject: number,
    hourMs: number,
    flows: number,
    packets: number,
    bytes: number,
    firstMs: number,
    lastMs: number,
    samples: readonly string[] | undefined,
  ): void {
    const row = this.kernel.row(peer, eni, reject, Math.floor(hourMs / HOUR_MS) - this.firstHour, firstMs / 1000);
    const n = this.kernel.rows();
    const o = row * ROW.fields;
    n[o + ROW.flows] += flows;
    n[o + ROW.packets] += packets;
    n[o + ROW.bytes] += bytes;
    n[o + ROW.first] = Math.min(n[o + ROW.first], firstMs / 1000);
    n[o + ROW.last] = Math.max(n[o + ROW.last], lastMs / 1000);
    // Rows parsed on other threads bring their raw lines: kept as the records' own would be, first come first kept.
    if (samples) {
      for (const line of samples) {
        if (n[o + ROW.kept] >= SAMPLES_KEPT) break;
        n[o + ROW.kept]++;
        this.keep(row, line);
      }
    }
    this.stats.records += flows;
    this.stats.attributed += flows;
  }

  /** A line kept as evidence of a row (the kernel counts them). */
  keep(row: number, line: string): void {
    let s = this.samples.get(row);
    if (!s) this.samples.set(row, (s = []));
    s.push(line);
  }

  /** Every aggregate so far. */
  aggregates(): FlowAggregate[] {
    const out: FlowAggregate[] = [];
    const peerCache: Array<[string, number, number, string] | undefined> = [];
    const n = this.kernel.rows();
    for (let row = 0, o = 0; row < this.kernel.rowCount; row++, o += ROW.fields) {
      const [peer, eni, action, hour] = this.decode(n[o + ROW.key]);
      let p = peerCache[peer];
      if (!p) {
        const [address, port, protocol, service] = this.kernel.peerKey(peer).split(' ');
        p = peerCache[peer] = [address, Number(port), Number(protocol), service ? this.kernel.serviceName(Number(service)) : ''];
      }
      const samples = this.samples.get(row);
      out.push({
        eniId: this.eniIds[eni],
        remoteAddress: p[0],
        remotePort: p[1],
        protocol: p[2],
        action: action ? 'REJECT' : 'ACCEPT',
        hour: (this.firstHour + hour) * HOUR_MS,
        flows: n[o + ROW.flows],
        packets: n[o + ROW.packets],
        bytes: n[o + ROW.bytes],
        first: n[o + ROW.first] * 1000,
        last: n[o + ROW.last] * 1000,
        ...(samples ? { samples } : {}),
        ...(p[3] ? { remoteService: p[3] } : {}),
      });
    }
    return out;
  }

  /** Every aggregate so far, compact (see CompactFlowRows): what a parsing thread sends back. */
  compactAggregates(): CompactFlowRows {
    const count = this.kernel.rowCount;
    const n = this.kernel.rows();
    // Rows grouped by peer (a counting sort, each peer's rows in their order here): the merge then looks each peer up once.
    const peerOfRow = new Int32Array(count);
    const peerCount = this.kernel.peerCount;
    const starts = new Int32Array(peerCount + 1);
    for (let row = 0; row < count; row++) {
      const peer = this.decode(n[row * ROW.fields + ROW.key])[0];
      peerOfRow[row] = peer;
      starts[peer + 1]++;
    }
    for (let p = 0; p < peerCount; p++) starts[p + 1] += starts[p];
    const order = new Int32Array(count);
    for (let row = 0; row < count; row++) order[starts[peerOfRow[row]]++] = row;
    const peerIndex = new Int32Array(peerCount).fill(-1);
    const peers: string[] = [];
    const numbers = new Float64Array(count * COMPACT_ROW_FIELDS);
    const sampleRows: number[] = [];
    const sampleLines: string[] = [];
    for (let i = 0, o = 0; i < count; i++, o += COMPACT_ROW_FIELDS) {
      const row = order[i];
      const r = row * ROW.fields;
      const [peer, eni, action, hour] = this.decode(n[r + ROW.key]);
      if (peerIndex[peer] < 0) {
        const [address, port, protocol, service] = this.kernel.peerKey(peer).split(' ');
        peerIndex[peer] = peers.length;
        peers.push(`${address} ${port} ${protocol}${service ? ` ${this.kernel.serviceName(Number(service))}` : ''}`);
      }
      numbers[o] = eni;
      numbers[o + 1] = action;
      numbers[o + 2] = (this.firstHour + hour) * HOUR_MS;
      numbers[o + 3] = n[r + ROW.flows];
      numbers[o + 4] = n[r + ROW.packets];
      numbers[o + 5] = n[r + ROW.bytes];
      numbers[o + 6] = n[r + ROW.first] * 1000;
      numbers[o + 7] = n[r + ROW.last] * 1000;
      numbers[o + 8] = peerIndex[peer];
      const s = this.samples.get(row);
      if (s) {
        sampleRows.push(i, s.length);
        for (const line of s) sampleLines.push(line);
      }
    }
    return { count, numbers, peers: peers.join('\n'), sampleRows: Uint32Array.from(sampleRows), sampleText: sampleLines.join('\n') };
  }

  /**
   * Every aggregate so far, compact, with the statistics of the records that made them; then empty again, keeping what it
   * has learnt (peers, interfaces) and its tables' capacity: a parsing thread's next piece starts warm.
   */
  drainCompact(): { rows: CompactFlowRows; stats: FlowParseStats } {
    const rows = this.compactAggregates();
    const stats = { ...this.stats };
    Object.assign(this.stats, emptyParseStats());
    this.kernel.clearRows();
    this.samples.clear();
    return { rows, stats };
  }

  /** The wanted ENI that held an address at a time (formats without interface-id), or -1. */
  eniForAddress(address: string, atSec: number): number {
    const span = this.history?.at(address, atSec * 1000);
    return span ? (this.eniIndexById.get(span.eniId) ?? -1) : -1;
  }

  private inRange(startSec: number): boolean {
    return startSec >= this.rangeStartSec && startSec < this.rangeEndSec;
  }

  malformed(source: string, lineNumber: number, reason: string): void {
    this.stats.malformed++;
    if (this.stats.malformedExamples.length < MALFORMED_EXAMPLES_KEPT)
      this.stats.malformedExamples.push({ source, line: lineNumber, reason });
  }

  /** A row's key taken apart (the inverse of the kernel's): [peer, ENI index, reject, hour index]. */
  private decode(key: number): readonly [number, number, number, number] {
    const hour = key % this.hourFactor;
    key = (key - hour) / this.hourFactor;
    const reject = key % 2;
    key = (key - reject) / 2;
    const eni = key % this.eniFactor;
    return [(key - eni) / this.eniFactor, eni, reject, hour];
  }
}

/** One stream of newline-separated records in one LogFormat; chunks may split lines anywhere. */
export class FlowRecordStream {
  private carry: Buffer | undefined;
  private lineNumber = 0;
  private skippingLongLine = false;

  constructor(
    private readonly agg: FlowAggregator,
    private readonly format: FlowLogFormat,
    private readonly source: string,
    /** ENI indexes this stream may count (all when absent). */
    private readonly covered?: Uint8Array,
  ) {}

  push(chunk: Uint8Array): void {
    // The kernel takes a carried line and at most PUSH_BYTES at a time.
    for (let i = 0; i < chunk.length; i += PUSH_BYTES) this.pushPiece(chunk.subarray(i, i + PUSH_BYTES));
  }

  private pushPiece(chunk: Uint8Array): void {
    const carried = this.carry ? this.carry.length : 0;
    const len = carried + chunk.length;
    const buf = this.agg.kernel.text(len);
    if (this.carry) buf.set(this.carry, 0);
    buf.set(chunk, carried);
    this.carry = undefined;
    let pos = 0;
    if (this.skippingLongLine) {
      const nl = buf.indexOf(10);
      if (nl < 0) return;
      this.lineNumber++;
      this.skippingLongLine = false;
      pos = nl + 1;
    }
    pos = this.scan(pos, len);
    if (pos < len) {
      // The kernel's memory may have grown: the text's view is taken again.
      const text = this.agg.kernel.text(len);
      // A trailing CR may be half of a CRLF: it is not part of the line, as in the kernel.
      if (len - pos - (text[len - 1] === 13 ? 1 : 0) > MAX_LINE_BYTES) {
        this.agg.malformed(this.source, this.lineNumber + 1, `line longer than ${MAX_LINE_BYTES} bytes`);
        this.skippingLongLine = true;
        return;
      }
      this.carry = Buffer.from(text.subarray(pos, len));
    }
  }

  end(): void {
    if (this.carry && !this.skippingLongLine) this.push(NEWLINE);
    this.carry = undefined;
  }

  /**
   * Parses the complete lines of buf[from, len), a kernel's batch of lines at a time; returns where the last one ended.
   * The kernel counts, attributes and adds the records; what it reports back (malformed lines, lines to keep, counts)
   * is taken here.
   */
  private scan(from: number, len: number): number {
    const agg = this.agg;
    const kernel = agg.kernel;
    const maxLines = kernel.configure(this, this.format, this.covered);
    const stats = agg.stats;
    for (let pos = from; ;) {
      const lines = kernel.aggregate(pos, len);
      stats.records += kernel.stat(STAT.records);
      stats.attributed += kernel.stat(STAT.attributed);
      stats.noData += kernel.stat(STAT.noData);
      stats.skipData += kernel.stat(STAT.skipData);
      stats.otherInterfaces += kernel.stat(STAT.otherInterfaces);
      stats.outOfRange += kernel.stat(STAT.outOfRange);
      const events = kernel.events();
      for (let e = 0; e < events.length; e += 3) {
        agg.malformed(this.source, this.lineNumber + events[e] + 1, this.reason(events[e + 1], events[e + 2]));
      }
      const samples = kernel.samples();
      const text = samples.length ? kernel.text(len) : undefined;
      for (let k = 0; k < samples.length; k += 3) agg.keep(samples[k], text!.toString('latin1', samples[k + 1], samples[k + 2]));
      this.lineNumber += lines;
      pos = kernel.next;
      if (lines < maxLines) return pos;
    }
  }

  /** A malformed line's reason in words. */
  private reason(reason: number, fields: number): string {
    switch (reason) {
      case REASON.longLine:
        return `line longer than ${MAX_LINE_BYTES} bytes`;
      case REASON.fieldCount:
        return `${fields} fields where the LogFormat has ${this.format.fieldCount}`;
      case REASON.action:
        return 'action is neither ACCEPT nor REJECT';
      case REASON.start:
        return 'start is not a number';
      case REASON.number:
        return 'a numeric field (port, protocol, packets, bytes, end) is not a number';
      default:
        return 'address field too long';
    }
  }
}
