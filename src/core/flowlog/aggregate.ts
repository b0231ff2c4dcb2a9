// Streams raw flow-log records into per ENI × peer × hour aggregates: byte-level parsing, no string or Map entry per record.
import type { EpochMs, FlowAggregate } from '../model';
import type { EniHistory } from '../inventory/history';
import { HOUR_MS } from '../time';
import type { FlowLogFormat } from './format';
import { ByteInterner, IntKeyTable, WordKeyInterner } from './tables';
import { fieldScanner, RecordLayout, type FieldScanner } from './field-scanner';

/** A line longer than this is not a flow record: skip it rather than buffer it. */
const MAX_LINE_BYTES = 64 * 1024;
const SAMPLES_KEPT = 3;
/** Longer than any IPv6 text form. */
const MAX_ADDRESS_BYTES = 64;
/** The peer key `<address> <port> <protocol>[ <service>]`: numeric fields are at most 15 digits (parseUint), a service index 3. */
const MAX_PEER_KEY_BYTES = MAX_ADDRESS_BYTES + 1 + 15 + 1 + 15 + 4;
/** `pkt-*-aws-service` names AWS publishes are about 25; more distinct names than this are not service names. */
const MAX_SERVICES = 255;
const SERVICE_NAME = /^[A-Z0-9_]{1,64}$/;
const NEWLINE = Buffer.from('\n');
const MALFORMED_EXAMPLES_KEPT = 5;
/** Where a record's numeric fields' values are, in the order FlowRecordStream gives them to its RecordLayout. */
const VALUE = { time: 0, end: 1, packets: 2, bytes: 3, srcport: 4, dstport: 5, protocol: 6 } as const;

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
  private readonly eniAddressBytes: Buffer[][];
  private readonly eniIndexById: Map<string, number>;
  private readonly interfaces = new ByteInterner(256);
  /** interface intern id → ENI index, -1 not a wanted ENI, -2 not looked up yet. */
  private interfaceToEni = new Int32Array(256).fill(-2);
  /** Peer keys `<address> <port> <protocol>[ <service index>]`, interned from its scratch buffer. */
  private readonly peers = new WordKeyInterner(MAX_PEER_KEY_BYTES, 4096);
  /** The few AWS service names `pkt-*-aws-service` holds, interned once: index 0 is none (`-`). */
  private readonly serviceNames: string[] = [''];
  private readonly serviceBytes: Buffer[] = [Buffer.alloc(0)];
  private readonly rows = new IntKeyTable(16384);
  private flows = new Float64Array(16384);
  private packets = new Float64Array(16384);
  private bytes = new Float64Array(16384);
  private first = new Float64Array(16384);
  private last = new Float64Array(16384);
  private sampleCount = new Uint8Array(16384);
  private readonly samples = new Map<number, string[]>();
  private readonly lastInterface = new Uint8Array(64);
  private lastInterfaceLength = -1;
  private lastEni = -1;
  /** The row the last record went to, and its key's parts (-1: none). */
  private lastRow = -1;
  private lastRowPeer = -1;
  private lastRowEni = -1;
  private lastRowReject = -1;
  private lastRowHour = -1;

  /**
   * Where every stream of this aggregator parses a chunk (only while its push runs): one buffer, grown as needed (a new one
   * per stream would cost more than a small S3 object's parsing), and what finds its lines and fields.
   */
  readonly scanner: FieldScanner = fieldScanner();

  private readonly firstHour: number;
  private readonly hourCount: number;
  private readonly eniFactor: number;
  private readonly hourFactor: number;
  private readonly rangeStartSec: number;
  private readonly rangeEndSec: number;
  private readonly sampleFromSec: number;

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
    this.eniAddressBytes = enis.map((e) => e.addresses.map((a) => Buffer.from(a, 'latin1')));
    this.firstHour = Math.floor(range.start / HOUR_MS);
    this.hourCount = Math.ceil(range.end / HOUR_MS) - this.firstHour + 1;
    this.hourFactor = 2 ** Math.ceil(Math.log2(this.hourCount + 1));
    this.eniFactor = 2 ** Math.ceil(Math.log2(enis.length + 1));
    if (this.hourFactor * this.eniFactor * 2 > 2 ** 30) throw new RangeError('time range too long or too many ENIs for one aggregation');
    this.rangeStartSec = range.start / 1000;
    this.rangeEndSec = range.end / 1000;
    this.sampleFromSec = sampleFrom / 1000;
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
    const serviceIndex = service ? this.serviceIndex(service) : 0;
    const key = `${address} ${port} ${protocol}${serviceIndex ? ` ${serviceIndex}` : ''}`;
    if (key.length > MAX_PEER_KEY_BYTES) return -1;
    const k = this.peers.scratch;
    for (let i = 0; i < key.length; i++) k[i] = key.charCodeAt(i) & 0xff;
    return this.peers.intern(key.length);
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
    const row = this.row(peer, eni, reject, Math.floor(hourMs / HOUR_MS) - this.firstHour, firstMs / 1000);
    this.flows[row] += flows;
    this.packets[row] += packets;
    this.bytes[row] += bytes;
    this.first[row] = Math.min(this.first[row], firstMs / 1000);
    this.last[row] = Math.max(this.last[row], lastMs / 1000);
    // Rows parsed on other threads bring their raw lines: kept as the records' own would be, first come first kept.
    if (samples) this.addSamples(row, samples);
    this.stats.records += flows;
    this.stats.attributed += flows;
  }

  /** Every aggregate so far. */
  aggregates(): FlowAggregate[] {
    const out: FlowAggregate[] = [];
    const peerCache: Array<[string, number, number, string] | undefined> = [];
    for (let row = 0; row < this.rows.size; row++) {
      const [peer, eni, action, hour] = this.decode(row);
      let p = peerCache[peer];
      if (!p) {
        const [address, port, protocol, service] = this.peers.text(peer).split(' ');
        p = peerCache[peer] = [address, Number(port), Number(protocol), service ? this.serviceNames[Number(service)] : ''];
      }
      const samples = this.samples.get(row);
      out.push({
        eniId: this.eniIds[eni],
        remoteAddress: p[0],
        remotePort: p[1],
        protocol: p[2],
        action: action ? 'REJECT' : 'ACCEPT',
        hour: (this.firstHour + hour) * HOUR_MS,
        flows: this.flows[row],
        packets: this.packets[row],
        bytes: this.bytes[row],
        first: this.first[row] * 1000,
        last: this.last[row] * 1000,
        ...(samples ? { samples } : {}),
        ...(p[3] ? { remoteService: p[3] } : {}),
      });
    }
    return out;
  }

  /** Every aggregate so far, compact (see CompactFlowRows): what a parsing thread sends back. */
  compactAggregates(): CompactFlowRows {
    const count = this.rows.size;
    // Rows grouped by peer (a counting sort, each peer's rows in their order here): the merge then looks each peer up once.
    const peerOfRow = new Int32Array(count);
    const peerCount = this.peers.size;
    const starts = new Int32Array(peerCount + 1);
    for (let row = 0; row < count; row++) {
      const peer = this.decode(row)[0];
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
      const [peer, eni, action, hour] = this.decode(row);
      if (peerIndex[peer] < 0) {
        const [address, port, protocol, service] = this.peers.text(peer).split(' ');
        peerIndex[peer] = peers.length;
        peers.push(`${address} ${port} ${protocol}${service ? ` ${this.serviceNames[Number(service)]}` : ''}`);
      }
      numbers[o] = eni;
      numbers[o + 1] = action;
      numbers[o + 2] = (this.firstHour + hour) * HOUR_MS;
      numbers[o + 3] = this.flows[row];
      numbers[o + 4] = this.packets[row];
      numbers[o + 5] = this.bytes[row];
      numbers[o + 6] = this.first[row] * 1000;
      numbers[o + 7] = this.last[row] * 1000;
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
    const used = this.rows.size;
    this.rows.clear();
    this.lastRowPeer = -1;
    this.flows.fill(0, 0, used);
    this.packets.fill(0, 0, used);
    this.bytes.fill(0, 0, used);
    this.sampleCount.fill(0, 0, used);
    this.samples.clear();
    return { rows, stats };
  }

  // ---- called by FlowRecordStream for each record (kept here so the hot state stays in one object)

  /** The wanted ENI for an interface id field, or -1. */
  eniForInterface(buf: Uint8Array, start: number, end: number): number {
    // Records come in runs of one ENI (a log stream is one ENI): comparing with the last one beats hashing.
    const last = this.lastInterface;
    const len = end - start;
    if (len === this.lastInterfaceLength) {
      let same = true;
      for (let i = len - 1; i >= 0; i--) {
        if (last[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastEni;
    }
    const eni = this.lookupInterface(buf, start, end);
    if (len <= last.length) {
      for (let i = 0; i < len; i++) last[i] = buf[start + i];
      this.lastInterfaceLength = len;
      this.lastEni = eni;
    }
    return eni;
  }

  private lookupInterface(buf: Uint8Array, start: number, end: number): number {
    const id = this.interfaces.intern(buf, start, end);
    if (id >= this.interfaceToEni.length) {
      const next = new Int32Array(this.interfaceToEni.length * 2).fill(-2);
      next.set(this.interfaceToEni);
      this.interfaceToEni = next;
    }
    let eni = this.interfaceToEni[id];
    if (eni === -2) eni = this.interfaceToEni[id] = this.eniIndexById.get(this.interfaces.text(id)) ?? -1;
    return eni;
  }

  /** The wanted ENI that held an address at a time (formats without interface-id), or -1. */
  eniForAddress(address: string, atSec: number): number {
    const span = this.history?.at(address, atSec * 1000);
    return span ? (this.eniIndexById.get(span.eniId) ?? -1) : -1;
  }

  isEniAddress(eni: number, buf: Uint8Array, start: number, end: number): boolean {
    for (const a of this.eniAddressBytes[eni]) {
      if (a.length !== end - start) continue;
      let same = true;
      for (let i = 0; i < a.length; i++) {
        if (a[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    return false;
  }

  /** The service index of a `pkt-*-aws-service` field: 0 for `-` (or anything that is not a service name). */
  serviceAt(buf: Uint8Array, start: number, end: number): number {
    const len = end - start;
    if (len === 1 && buf[start] === 45 /* - */) return 0;
    const names = this.serviceBytes;
    for (let n = 1; n < names.length; n++) {
      const name = names[n];
      if (name.length !== len) continue;
      let same = true;
      for (let i = 0; i < len; i++) {
        if (name[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return n;
    }
    return this.serviceIndex(Buffer.from(buf.subarray(start, end)).toString('latin1'));
  }

  private serviceIndex(name: string): number {
    const known = this.serviceNames.indexOf(name);
    if (known > 0) return known;
    if (!SERVICE_NAME.test(name) || this.serviceNames.length > MAX_SERVICES) return 0;
    this.serviceNames.push(name);
    this.serviceBytes.push(Buffer.from(name, 'latin1'));
    return this.serviceNames.length - 1;
  }

  inRange(startSec: number): boolean {
    return startSec >= this.rangeStartSec && startSec < this.rangeEndSec;
  }

  add(
    eni: number,
    buf: Buffer,
    addrStart: number,
    addrEnd: number,
    portStart: number,
    portEnd: number,
    protoStart: number,
    protoEnd: number,
    service: number,
    reject: number,
    startSec: number,
    endSec: number,
    packets: number,
    bytes: number,
    lineStart: number,
    lineEnd: number,
  ): void {
    // Peer key: "<address> <port> <protocol>[ <service index>]" copied into the interner's scratch buffer.
    const k = this.peers.scratch;
    let o = 0;
    for (let i = addrStart; i < addrEnd; i++) k[o++] = buf[i];
    k[o++] = 32;
    for (let i = portStart; i < portEnd; i++) k[o++] = buf[i];
    k[o++] = 32;
    for (let i = protoStart; i < protoEnd; i++) k[o++] = buf[i];
    if (service > 0) {
      k[o++] = 32;
      if (service >= 100) k[o++] = 48 + Math.floor(service / 100);
      if (service >= 10) k[o++] = 48 + (Math.floor(service / 10) % 10);
      k[o++] = 48 + (service % 10);
    }
    const peer = this.peers.intern(o);
    const hour = Math.floor(startSec / 3600) - this.firstHour;
    // A request and its reply are two records of one row, one after the other: the second skips the table.
    let row = this.lastRow;
    if (peer !== this.lastRowPeer || eni !== this.lastRowEni || reject !== this.lastRowReject || hour !== this.lastRowHour) {
      row = this.lastRow = this.row(peer, eni, reject, hour, startSec);
      this.lastRowPeer = peer;
      this.lastRowEni = eni;
      this.lastRowReject = reject;
      this.lastRowHour = hour;
    }
    this.flows[row] += 1;
    this.packets[row] += packets;
    this.bytes[row] += bytes;
    if (startSec < this.first[row]) this.first[row] = startSec;
    if (endSec > this.last[row]) this.last[row] = endSec;
    this.stats.attributed++;
    // A typed counter keeps the Map out of the hot path once a row has its samples.
    if ((startSec >= this.sampleFromSec || reject) && this.sampleCount[row] < SAMPLES_KEPT) {
      this.sampleCount[row]++;
      let s = this.samples.get(row);
      if (!s) this.samples.set(row, (s = []));
      s.push(buf.toString('latin1', lineStart, lineEnd));
    }
  }

  private addSamples(row: number, lines: readonly string[]): void {
    for (const line of lines) {
      if (this.sampleCount[row] >= SAMPLES_KEPT) return;
      this.sampleCount[row]++;
      let s = this.samples.get(row);
      if (!s) this.samples.set(row, (s = []));
      s.push(line);
    }
  }

  malformed(source: string, lineNumber: number, reason: string): void {
    this.stats.malformed++;
    if (this.stats.malformedExamples.length < MALFORMED_EXAMPLES_KEPT)
      this.stats.malformedExamples.push({ source, line: lineNumber, reason });
  }

  /** A row's key taken apart (the inverse of row()'s): [peer, ENI index, reject, hour index]. */
  private decode(row: number): readonly [number, number, number, number] {
    let key = this.rows.key(row);
    const hour = key % this.hourFactor;
    key = (key - hour) / this.hourFactor;
    const reject = key % 2;
    key = (key - reject) / 2;
    const eni = key % this.eniFactor;
    return [(key - eni) / this.eniFactor, eni, reject, hour];
  }

  private row(peer: number, eni: number, reject: number, hour: number, startSec: number): number {
    const key = ((peer * this.eniFactor + eni) * 2 + reject) * this.hourFactor + hour;
    let row = this.rows.upsert(key);
    if (row < 0) {
      row = -row - 1;
      if (row >= this.flows.length) this.grow();
      this.first[row] = startSec;
      this.last[row] = startSec;
    }
    return row;
  }

  private grow(): void {
    const n = this.flows.length * 2;
    const g = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.flows = g(this.flows);
    this.packets = g(this.packets);
    this.bytes = g(this.bytes);
    this.first = g(this.first);
    this.last = g(this.last);
    const counts = new Uint8Array(n);
    counts.set(this.sampleCount);
    this.sampleCount = counts;
  }
}

/** One stream of newline-separated records in one LogFormat; chunks may split lines anywhere. */
export class FlowRecordStream {
  private carry: Buffer | undefined;
  private lineNumber = 0;
  private skippingLongLine = false;
  /** What the scanner records of each line: the fields, and the values of the numeric ones (in VALUE's order). */
  private readonly layout: RecordLayout;

  constructor(
    private readonly agg: FlowAggregator,
    private readonly format: FlowLogFormat,
    private readonly source: string,
    /** ENI indexes this stream may count (all when absent). */
    private readonly covered?: Uint8Array,
  ) {
    const f = format;
    const time = f.start >= 0 ? f.start : f.end;
    // A field the format lacks is given as the time field (always there), and its value not used.
    const numbers = [time, f.end, f.packets, f.bytes, f.srcport, f.dstport, f.protocol].map((i) => (i >= 0 ? i : time));
    this.layout = new RecordLayout(f.fieldCount, numbers);
  }

  push(chunk: Uint8Array): void {
    const carried = this.carry ? this.carry.length : 0;
    const len = carried + chunk.length;
    const buf = this.agg.scanner.buffer(len);
    if (this.carry) buf.set(this.carry, 0);
    buf.set(chunk, carried);
    this.carry = undefined;
    let pos = 0;
    if (this.skippingLongLine) {
      const nl = buf.subarray(0, len).indexOf(10);
      if (nl < 0) return;
      this.lineNumber++;
      this.skippingLongLine = false;
      pos = nl + 1;
    }
    pos = this.scan(buf, pos, len);
    if (pos < len) {
      // A trailing CR may be half of a CRLF: it is not part of the line, as in scan().
      if (len - pos - (buf[len - 1] === 13 ? 1 : 0) > MAX_LINE_BYTES) {
        this.agg.malformed(this.source, this.lineNumber + 1, `line longer than ${MAX_LINE_BYTES} bytes`);
        this.skippingLongLine = true;
        return;
      }
      this.carry = Buffer.from(buf.subarray(pos, len));
    }
  }

  end(): void {
    if (this.carry && !this.skippingLongLine) this.push(NEWLINE);
    this.carry = undefined;
  }

  /** Parses the complete lines of buf[from, len), a scanner's batch of lines at a time; returns where the last one ended. */
  private scan(buf: Buffer, from: number, len: number): number {
    const scanner = this.agg.scanner;
    const layout = this.layout;
    const stride = layout.stride;
    for (let pos = from; ;) {
      const lines = scanner.scan(pos, len, layout);
      const out = scanner.out;
      for (let l = 0, o = 0; l < lines; l++, o += stride) {
        this.lineNumber++;
        const start = out[o];
        const end = out[o + 1];
        if (end - start > MAX_LINE_BYTES) this.malformed(`line longer than ${MAX_LINE_BYTES} bytes`);
        else if (out[o + 2] > 0) this.record(buf, out, o + 3, scanner.values, (o >> 1) + layout.valuesAt, start, end, out[o + 2]);
      }
      pos = scanner.next;
      if (lines < layout.maxLines) return pos;
    }
  }

  /**
   * One line's record (a FieldScanner's): its fields start at out[at + k] and end at out[at + want + k]; its numeric
   * fields' values are at values[v + VALUE.x].
   */
  private record(buf: Buffer, out: Int32Array, at: number, values: Float64Array, v: number, start: number, end: number, n: number): void {
    const f = this.format;
    const want = f.fieldCount;
    const ends = at + want;
    const stats = this.agg.stats;
    stats.records++;
    if (n > want) return this.malformed(`${n} fields where the LogFormat has ${want}`);
    if (f.logStatus >= 0 && n > f.logStatus) {
      const c = buf[out[at + f.logStatus]];
      if (c === 78 /* N */) return void stats.noData++;
      if (c === 83 /* S */) return void stats.skipData++;
    }
    if (n !== want) return this.malformed(`${n} fields where the LogFormat has ${want}`);
    const actionChar = buf[out[at + f.action]];
    if (actionChar === 45 /* - */) return void stats.noData++;
    const reject = actionChar === 82 /* R */ ? 1 : 0;
    if (!reject && actionChar !== 65 /* A */) return this.malformed('action is neither ACCEPT nor REJECT');

    let eni: number;
    const startSec = values[v + VALUE.time];
    if (startSec < 0) return this.malformed('start is not a number');
    if (f.interfaceId >= 0) {
      eni = this.agg.eniForInterface(buf, out[at + f.interfaceId], out[ends + f.interfaceId]);
      if (eni < 0) return void stats.otherInterfaces++;
    } else {
      eni = this.agg.eniForAddress(buf.toString('latin1', out[at + f.srcaddr], out[ends + f.srcaddr]), startSec);
      if (eni < 0) eni = this.agg.eniForAddress(buf.toString('latin1', out[at + f.dstaddr], out[ends + f.dstaddr]), startSec);
      if (eni < 0) return void stats.otherInterfaces++;
    }
    if (this.covered && !this.covered[eni]) return void stats.otherInterfaces++;
    if (!this.agg.inRange(startSec)) return void stats.outOfRange++;
    const endSec = f.end >= 0 ? values[v + VALUE.end] : startSec;
    const packets = f.packets >= 0 ? values[v + VALUE.packets] : 0;
    const bytes = f.bytes >= 0 ? values[v + VALUE.bytes] : 0;
    const srcport = values[v + VALUE.srcport];
    const dstport = values[v + VALUE.dstport];
    const proto = values[v + VALUE.protocol];
    if (endSec < 0 || packets < 0 || bytes < 0 || srcport < 0 || dstport < 0 || proto < 0 || srcport > 65535 || dstport > 65535) {
      return this.malformed('a numeric field (port, protocol, packets, bytes, end) is not a number');
    }

    // The function's side is the ENI's address; the peer is the other side and its port the service port.
    let egress: boolean;
    if (this.agg.isEniAddress(eni, buf, out[at + f.srcaddr], out[ends + f.srcaddr])) egress = true;
    else if (this.agg.isEniAddress(eni, buf, out[at + f.dstaddr], out[ends + f.dstaddr])) egress = false;
    else if (f.flowDirection >= 0) egress = buf[out[at + f.flowDirection]] === 101; /* e(gress) */
    else egress = true;
    const remote = egress ? f.dstaddr : f.srcaddr;
    if (out[ends + remote] - out[at + remote] > MAX_ADDRESS_BYTES) return this.malformed('address field too long');
    // Return traffic comes from the peer's service port. Lambda accepts no inbound connection, so an inbound
    // attempt to a well-known port on the ENI (an ephemeral source port) is filed under that port.
    let port = egress ? f.dstport : f.srcport;
    if (!egress && dstport < 1024 && srcport >= 1024) port = f.dstport;
    // v5 names the AWS service of each side's address: the remote side's keeps a service apart even without ip-ranges.
    const serviceField = egress ? f.pktDstAwsService : f.pktSrcAwsService;
    const service = serviceField >= 0 ? this.agg.serviceAt(buf, out[at + serviceField], out[ends + serviceField]) : 0;
    this.agg.add(
      eni,
      buf,
      out[at + remote],
      out[ends + remote],
      out[at + port],
      out[ends + port],
      out[at + f.protocol],
      out[ends + f.protocol],
      service,
      reject,
      startSec,
      endSec,
      packets,
      bytes,
      start,
      end,
    );
  }

  private malformed(reason: string): void {
    this.agg.malformed(this.source, this.lineNumber, reason);
  }
}
