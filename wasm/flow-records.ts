// AssemblyScript, compiled to src/core/flowlog/flow-kernel-wasm.ts by `npm run build:wasm` (a unit test checks that the
// committed module is this source's build). The whole per-record path of flow-log parsing: it finds each line's fields
// (flow-fields.ts, WebAssembly SIMD), then checks the record, attributes it to a wanted ENI, names its peer and adds it
// to its ENI × peer × action × hour row, all in this module's memory. JavaScript (src/core/flowlog/aggregate.ts) puts
// the text in, and reads out the rows, the malformed lines and the lines kept as evidence.
//
// Memory: fixed regions (their addresses are exported), then a heap that only grows (tables that outgrow their space
// are copied to a larger one). Every record's decision is made here, and only here.
import { scanLines, next } from './flow-fields';

export { scanLines, next };

/** The text is at most this long (callers push at most 1 MiB at a time, after a carried line of at most 64 KiB). */
const TEXT_CAPACITY: i32 = 1152 * 1024;
/** Most lines one call takes: the events and samples areas hold one entry per line. */
const MAX_LINES: i32 = 2048;
const MAX_LINE_BYTES: i32 = 64 * 1024;
const SAMPLES_KEPT: f64 = 3;
/** Longer than any IPv6 text form. */
const MAX_ADDRESS_BYTES: i32 = 64;
/** `pkt-*-aws-service` names AWS publishes are about 25; more distinct names than this are not service names. */
const MAX_SERVICES: i32 = 255;
const MAX_SERVICE_BYTES: i32 = 64;
/** An interface id longer than this is not remembered as the last one. */
const LAST_INTERFACE_BYTES: i32 = 64;

// ---- fixed regions

/** The scanner's records (flow-fields.ts): a batch of lines at a time. */
export const OUT_AT: i32 = 0;
const OUT_BYTES: i32 = 256 * 1024;
/** The scanner's list of numeric fields: count, then field indexes. */
const NUMBERS_AT: i32 = OUT_AT + OUT_BYTES;
/** i32 × 17, written by JavaScript before configure(): see CONFIG below. */
export const CONFIG_AT: i32 = NUMBERS_AT + 256;
/** f64 × 8: what the last aggregate() counted (see STAT below). */
export const STATS_AT: i32 = CONFIG_AT + 128;
/** Where JavaScript writes a key (a peer key, a service name) before handing it over. */
export const SCRATCH_AT: i32 = STATS_AT + 64;
const SCRATCH_BYTES: i32 = 256;
/** Service names: i32 length, then up to 64 bytes, per index (0 is none). */
export const SERVICES_AT: i32 = SCRATCH_AT + SCRATCH_BYTES;
const SERVICE_STRIDE: i32 = 4 + MAX_SERVICE_BYTES;
/** The interface id of the last record, for runs of one interface. */
const LAST_INTERFACE_AT: i32 = SERVICES_AT + (MAX_SERVICES + 1) * SERVICE_STRIDE;
/** A peer key being built. */
const KEY_AT: i32 = LAST_INTERFACE_AT + LAST_INTERFACE_BYTES;
const KEY_BYTES: i32 = 128;
/** Malformed lines of the last call: i32 [line index in the call, reason (REASON), field count]. */
export const EVENTS_AT: i32 = KEY_AT + KEY_BYTES;
/** Lines kept as evidence by the last call: i32 [row, line start, line end] (text positions). */
export const SAMPLES_AT: i32 = EVENTS_AT + MAX_LINES * 12;
/** The most text one aggregate() call is given. */
export const TEXT_BYTES: i32 = TEXT_CAPACITY;
/** The text to parse: JavaScript writes it here; 16 bytes past it stay readable (one SIMD load). */
export const TEXT_AT: i32 = (SAMPLES_AT + MAX_LINES * 12 + 15) & ~15;
const HEAP_AT: i32 = (TEXT_AT + TEXT_CAPACITY + 16 + 7) & ~7;

// CONFIG: the stream's LogFormat, field indexes (-1: absent), and the mask of ENIs it may count.
const C_WANT = 0;
const C_LOG_STATUS = 1;
const C_ACTION = 2;
const C_INTERFACE = 3;
const C_SRCADDR = 4;
const C_DSTADDR = 5;
const C_SRCPORT = 6;
const C_DSTPORT = 7;
const C_PROTOCOL = 8;
const C_DIRECTION = 9;
const C_SRC_SERVICE = 10;
const C_DST_SERVICE = 11;
const C_START = 12;
const C_END = 13;
const C_PACKETS = 14;
const C_BYTES = 15;
/** 1: the mask set by coveredMask() applies. */
const C_COVERED = 16;

// STAT: counters of the last aggregate() call.
const S_RECORDS = 0;
const S_ATTRIBUTED = 1;
const S_NO_DATA = 2;
const S_SKIP_DATA = 3;
const S_OTHER = 4;
const S_OUT_OF_RANGE = 5;

// REASON: why a line is malformed (aggregate.ts words them).
const R_LONG_LINE = 1;
const R_FIELD_COUNT = 2;
const R_ACTION = 3;
const R_START = 4;
const R_NUMBER = 5;
const R_ADDRESS = 6;

// Where a record's numeric values are, in the order configure() lists them to the scanner.
const V_TIME = 0;
const V_END = 1;
const V_PACKETS = 2;
const V_BYTES = 3;
const V_SRCPORT = 4;
const V_DSTPORT = 5;
const V_PROTOCOL = 6;

/**
 * For formats without interface-id: which wanted ENI held the address [start, end) at a time (the ENI history), or -1.
 * Imported from JavaScript as `flow-records`.`eniForAddress`.
 */
declare function eniForAddress(start: i32, end: i32, atSec: f64): i32;

// ---- heap

let heapTop: i32 = HEAP_AT;

/** The heap ends below 2 GiB (addresses are i32): past it, allocating traps, which JavaScript words as an error. */
const HEAP_LIMIT: i64 = 0x7fff0000;

/** `bytes` of zeroed memory, 8-byte aligned; memory grows as needed (nothing is freed). */
export function alloc(bytes: i32): i32 {
  const at = heapTop;
  const top: i64 = (<i64>at + <i64>bytes + 7) & ~7;
  if (bytes < 0 || top > HEAP_LIMIT) unreachable();
  const have: i64 = (<i64>memory.size()) << 16;
  if (top > have) {
    const pages = <i32>((top - have + 0xffff) >> 16);
    // Double at least: fewer, larger grows.
    if (memory.grow(max(pages, memory.size())) < 0 && memory.grow(pages) < 0) unreachable();
  }
  heapTop = <i32>top;
  return at;
}

/** A copy of [from, from + used) in a new zeroed block of `bytes`. */
function realloc(from: i32, used: i32, bytes: i32): i32 {
  const to = alloc(bytes);
  memory.copy(to, from, used);
  return to;
}

// ---- the aggregation's shape (init)

let eniCount: i32 = 0;
let eniFactor: i64 = 0;
let hourFactor: i64 = 0;
let firstHour: f64 = 0;
let rangeStartSec: f64 = 0;
let rangeEndSec: f64 = 0;
let sampleFromSec: f64 = 0;
/** Wanted ENIs' ids: slots of (index + 1), and per ENI [id at, id length, addresses at, address count]. */
let eniSlots: i32 = 0;
let eniSlotMask: i32 = 0;
let eniInfo: i32 = 0;
/** Per ENI: 1 when the current stream may count it. */
let covered: i32 = 0;
let serviceCount: i32 = 1;

export function init(enis: i32, eniFactorIn: f64, hourFactorIn: f64, firstHourIn: f64, startSec: f64, endSec: f64, sampleSec: f64): void {
  if (memory.size() < (HEAP_AT >>> 16) + 1) memory.grow((HEAP_AT >>> 16) + 1 - memory.size());
  eniCount = enis;
  eniFactor = <i64>eniFactorIn;
  hourFactor = <i64>hourFactorIn;
  firstHour = firstHourIn;
  rangeStartSec = startSec;
  rangeEndSec = endSec;
  sampleFromSec = sampleSec;
  let slots = 16;
  while (slots < enis * 2) slots <<= 1;
  eniSlots = alloc(slots << 2);
  eniSlotMask = slots - 1;
  eniInfo = alloc(max(enis, 1) << 4);
  covered = alloc(max(enis, 1));
  peers = tableNew(4096, 4096 * 32);
  rowsInit(16384);
  others = tableNew(64, 64 * 32);
}

/** Registers ENI `eni`: its id is at [at, at + length) (alloc'd), its addresses' [at, length] pairs at `addresses`. */
export function addEni(eni: i32, at: i32, length: i32, addresses: i32, addressCount: i32): void {
  const info = eniInfo + (eni << 4);
  store<i32>(info, at);
  store<i32>(info + 4, length);
  store<i32>(info + 8, addresses);
  store<i32>(info + 12, addressCount);
  let slot = (<i32>hashKey(at, length)) & eniSlotMask;
  while (load<i32>(eniSlots + (slot << 2)) != 0) slot = (slot + 1) & eniSlotMask;
  store<i32>(eniSlots + (slot << 2), eni + 1);
}

/** Where the current stream's ENI mask is (eniCount bytes, 1: may count). */
export function coveredMask(): i32 {
  return covered;
}

// ---- hashing and comparing bytes

/** A hash of [at, at + length), 8 bytes a step (the bytes past its end in its last word are not part of it). */
function hashKey(at: i32, length: i32): u32 {
  let h: u64 = 0xcbf29ce484222325 ^ (<u64>length);
  let i = 0;
  for (; i + 8 <= length; i += 8) {
    h = (h ^ load<u64>(at + i)) * 0x100000001b3;
    h ^= h >> 29;
  }
  if (i < length) {
    const one: u64 = 1;
    const bits: u64 = (length - i) << 3;
    h = (h ^ (load<u64>(at + i) & ((one << bits) - 1))) * 0x100000001b3;
    h ^= h >> 29;
  }
  return <u32>(h ^ (h >> 32));
}

/**
 * Copies a field of at most 64 bytes into the key being built, 8 bytes a step (it may write up to 7 bytes past, which
 * the key's next bytes overwrite); returns where the copy ends.
 */
function copyShort(to: i32, from: i32, length: i32): i32 {
  for (let i = 0; i < length; i += 8) store<u64>(to + i, load<u64>(from + i));
  return to + length;
}

function sameBytes(a: i32, b: i32, length: i32): bool {
  let i = 0;
  for (; i + 8 <= length; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < length; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

// ---- interfaces

let lastInterfaceLength: i32 = -1;
let lastEni: i32 = -1;
/** The other-interface entry of the last interface when it is not a wanted ENI. */
let lastOther: i32 = -1;

function wantedEni(at: i32, length: i32): i32 {
  let slot = (<i32>hashKey(at, length)) & eniSlotMask;
  let e = load<i32>(eniSlots + (slot << 2));
  while (e != 0) {
    const info = eniInfo + ((e - 1) << 4);
    if (load<i32>(info + 4) == length && sameBytes(load<i32>(info), at, length)) return e - 1;
    slot = (slot + 1) & eniSlotMask;
    e = load<i32>(eniSlots + (slot << 2));
  }
  return -1;
}

/** The wanted ENI of an interface-id field, or -1 (then the record is counted for that interface among the others). */
function eniForInterface(at: i32, length: i32): i32 {
  // Records come in runs of one ENI (a log stream is one ENI): comparing with the last one beats hashing.
  if (length == lastInterfaceLength && sameBytes(LAST_INTERFACE_AT, at, length)) {
    if (lastEni < 0) countOther(lastOther);
    return lastEni;
  }
  const eni = wantedEni(at, length);
  const other = eni < 0 ? intern(others, at, length) : -1;
  if (other >= 0) countOther(other);
  if (length <= LAST_INTERFACE_BYTES) {
    memory.copy(LAST_INTERFACE_AT, at, length);
    lastInterfaceLength = length;
    lastEni = eni;
    lastOther = other;
  } else lastInterfaceLength = -1;
  return eni;
}

function isEniAddress(eni: i32, at: i32, length: i32): bool {
  const info = eniInfo + (eni << 4);
  const list = load<i32>(info + 8);
  const n = load<i32>(info + 12);
  for (let i = 0; i < n; i++) {
    const a = list + (i << 3);
    if (load<i32>(a + 4) == length && sameBytes(load<i32>(a), at, length)) return true;
  }
  return false;
}

// ---- tables of byte keys: dense ids in the order first met, each with an i32 value of its own

// A table's header (i32 each, at the table's address): its entries [hash, key offset in the slab, key length, value],
// their capacity and count, the slots (id + 1, linear probing) and their mask, the slab of keys (each zero-padded to
// whole 8-byte words), its size and what is used of it.
const T_ENTRIES = 0;
const T_CAPACITY = 4;
const T_COUNT = 8;
const T_SLOTS = 12;
const T_MASK = 16;
const T_SLAB = 20;
const T_SLAB_SIZE = 24;
const T_SLAB_USED = 28;
/** Bytes per entry. */
const ENTRY = 16;

function tableNew(capacity: i32, slabBytes: i32): i32 {
  const t = alloc(32);
  store<i32>(t + T_ENTRIES, alloc(capacity * ENTRY));
  store<i32>(t + T_CAPACITY, capacity);
  store<i32>(t + T_SLOTS, alloc(capacity << 3));
  store<i32>(t + T_MASK, (capacity << 1) - 1);
  store<i32>(t + T_SLAB, alloc(slabBytes));
  store<i32>(t + T_SLAB_SIZE, slabBytes);
  return t;
}

/** The id of the key [at, at + length) in table `t`, added (its value 0) when new. */
function intern(t: i32, at: i32, length: i32): i32 {
  const hash = hashKey(at, length);
  const mask = load<i32>(t + T_MASK);
  const slots = load<i32>(t + T_SLOTS);
  const entries = load<i32>(t + T_ENTRIES);
  let slot = (<i32>hash) & mask;
  for (;;) {
    const e = load<i32>(slots + (slot << 2));
    if (e == 0) break;
    const p = entries + (e - 1) * ENTRY;
    if (load<u32>(p) == hash && load<i32>(p + 8) == length && sameBytes(load<i32>(t + T_SLAB) + load<i32>(p + 4), at, length)) return e - 1;
    slot = (slot + 1) & mask;
  }
  const id = load<i32>(t + T_COUNT);
  store<i32>(t + T_COUNT, id + 1);
  const padded = (length + 7) & ~7;
  const used = load<i32>(t + T_SLAB_USED);
  if (used + padded > load<i32>(t + T_SLAB_SIZE)) {
    const size = max(load<i32>(t + T_SLAB_SIZE) << 1, used + padded);
    store<i32>(t + T_SLAB, realloc(load<i32>(t + T_SLAB), used, size));
    store<i32>(t + T_SLAB_SIZE, size);
  }
  memory.copy(load<i32>(t + T_SLAB) + used, at, length);
  store<i32>(t + T_SLAB_USED, used + padded);
  const p = entries + id * ENTRY;
  store<u32>(p, hash);
  store<i32>(p + 4, used);
  store<i32>(p + 8, length);
  store<i32>(slots + (slot << 2), id + 1);
  if ((id + 1) * 2 > mask) {
    const capacity = load<i32>(t + T_CAPACITY);
    if (id + 1 == capacity) {
      store<i32>(t + T_ENTRIES, realloc(entries, capacity * ENTRY, (capacity << 1) * ENTRY));
      store<i32>(t + T_CAPACITY, capacity << 1);
    }
    store<i32>(t + T_SLOTS, rehash(load<i32>(t + T_ENTRIES), id + 1, (mask + 1) << 1, ENTRY, 0));
    store<i32>(t + T_MASK, ((mask + 1) << 1) - 1);
  }
  return id;
}

/** Empty again: no key, the capacity kept (the old keys' bytes stay in the slab until written over). */
function tableClear(t: i32): void {
  memory.fill(load<i32>(t + T_SLOTS), 0, (load<i32>(t + T_MASK) + 1) << 2);
  memory.fill(load<i32>(t + T_ENTRIES), 0, load<i32>(t + T_COUNT) * ENTRY);
  store<i32>(t + T_COUNT, 0);
  store<i32>(t + T_SLAB_USED, 0);
}

// ---- interfaces that are not wanted ENIs: a table of their ids, each one's value its records

let others: i32 = 0;

function countOther(id: i32): void {
  const o = load<i32>(others + T_ENTRIES) + id * ENTRY + 12;
  store<i32>(o, load<i32>(o) + 1);
}

/** The table of the other interfaces (see T_*): their ids in the order first met, each with its records. */
export function otherTable(): i32 {
  return others;
}

/** Forgets the other interfaces. */
export function clearOthers(): void {
  tableClear(others);
  lastInterfaceLength = -1;
}

/** Slots (id + 1) for entries whose u32 hash is at `hashAt` in records of `stride` bytes. */
function rehash(entries: i32, count: i32, slots: i32, stride: i32, hashAt: i32): i32 {
  const table = alloc(slots << 2);
  const mask = slots - 1;
  for (let id = 0; id < count; id++) {
    let slot = (<i32>load<u32>(entries + id * stride + hashAt)) & mask;
    while (load<i32>(table + (slot << 2)) != 0) slot = (slot + 1) & mask;
    store<i32>(table + (slot << 2), id + 1);
  }
  return table;
}

// ---- AWS service names (pkt-*-aws-service)

/** The index of the service name at [at, at + length), added when new and a name: 0 for `-` or anything else. */
export function serviceIndex(at: i32, length: i32): i32 {
  if (length == 1 && load<u8>(at) == 45 /* - */) return 0;
  for (let n = 1; n < serviceCount; n++) {
    const s = SERVICES_AT + n * SERVICE_STRIDE;
    if (load<i32>(s) == length && sameBytes(s + 4, at, length)) return n;
  }
  // A service name is [A-Z0-9_]{1,64}.
  if (length < 1 || length > MAX_SERVICE_BYTES || serviceCount > MAX_SERVICES) return 0;
  for (let i = 0; i < length; i++) {
    const c = load<u8>(at + i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95)) return 0;
  }
  const s = SERVICES_AT + serviceCount * SERVICE_STRIDE;
  store<i32>(s, length);
  memory.copy(s + 4, at, length);
  return serviceCount++;
}

export function services(): i32 {
  return serviceCount;
}

// ---- peers: a table of keys `<address> <port> <protocol>[ <service index>]`

let peers: i32 = 0;

/** The id of the peer key JavaScript wrote at SCRATCH_AT (at most 128 bytes). */
export function internPeer(length: i32): i32 {
  return intern(peers, SCRATCH_AT, length);
}

/** The table of peers (see T_*). */
export function peerTable(): i32 {
  return peers;
}

// ---- rows: f64 [key, flows, packets, bytes, first, last, lines kept] each; key = ((peer × eniFactor + ENI) × 2 + reject) × hourFactor + hour

/** f64 numbers per row. */
export const ROW_FIELDS: i32 = 7;
const ROW_BYTES: i32 = ROW_FIELDS << 3;
let rows: i32 = 0;
let rowCapacity: i32 = 0;
let rowCount: i32 = 0;
let rowSlots: i32 = 0;
let rowSlotMask: i32 = 0;
/** The row the last record went to, and its key (-1: none): a request and its reply are two records of one row. */
let lastRow: i32 = -1;
let lastKey: i64 = -1;

function rowsInit(capacity: i32): void {
  rows = alloc(capacity * ROW_BYTES);
  rowCapacity = capacity;
  rowSlots = alloc(capacity << 3);
  rowSlotMask = (capacity << 1) - 1;
}

function rowHash(key: i64): i32 {
  return <i32>(<u32>(((key ^ (key >>> 32)) * 0x9e3779b97f4a7c15) >>> 32));
}

/** The row of (peer, ENI, reject, hour index), made when new with first = last = startSec. */
export function row(peer: i32, eni: i32, reject: i32, hour: i32, startSec: f64): i32 {
  const key = ((<i64>peer * eniFactor + eni) * 2 + reject) * hourFactor + hour;
  if (key == lastKey) return lastRow;
  let slot = rowHash(key) & rowSlotMask;
  const keyValue = <f64>key;
  for (;;) {
    const e = load<i32>(rowSlots + (slot << 2));
    if (e == 0) break;
    if (load<f64>(rows + (e - 1) * ROW_BYTES) == keyValue) {
      lastKey = key;
      lastRow = e - 1;
      return e - 1;
    }
    slot = (slot + 1) & rowSlotMask;
  }
  const r = rowCount++;
  if (r == rowCapacity) {
    rows = realloc(rows, rowCapacity * ROW_BYTES, (rowCapacity << 1) * ROW_BYTES);
    rowCapacity <<= 1;
  }
  const at = rows + r * ROW_BYTES;
  store<f64>(at, keyValue);
  store<f64>(at + 32, startSec);
  store<f64>(at + 40, startSec);
  store<i32>(rowSlots + (slot << 2), r + 1);
  if (rowCount * 2 > rowSlotMask) {
    const size = (rowSlotMask + 1) << 1;
    const table = alloc(size << 2);
    const mask = size - 1;
    for (let i = 0; i < rowCount; i++) {
      let s = rowHash(<i64>load<f64>(rows + i * ROW_BYTES)) & mask;
      while (load<i32>(table + (s << 2)) != 0) s = (s + 1) & mask;
      store<i32>(table + (s << 2), i + 1);
    }
    rowSlots = table;
    rowSlotMask = mask;
  }
  lastKey = key;
  lastRow = r;
  return r;
}

export function rowCountNow(): i32 {
  return rowCount;
}

export function rowList(): i32 {
  return rows;
}

/** No rows, the capacity kept (a parsing thread's next piece). */
export function clearRows(): void {
  memory.fill(rowSlots, 0, (rowSlotMask + 1) << 2);
  memory.fill(rows, 0, rowCount * ROW_BYTES);
  rowCount = 0;
  lastKey = -1;
  lastRow = -1;
}

// ---- a stream's format (configure) and its records (aggregate)

let want: i32 = 0;
let stride: i32 = 0;
let valuesAt: i32 = 0;
let maxLines: i32 = 0;
let fLogStatus: i32 = -1;
let fAction: i32 = 0;
let fInterface: i32 = -1;
let fSrcaddr: i32 = 0;
let fDstaddr: i32 = 0;
let fSrcport: i32 = 0;
let fDstport: i32 = 0;
let fProtocol: i32 = 0;
let fDirection: i32 = -1;
let fSrcService: i32 = -1;
let fDstService: i32 = -1;
let hasEnd: bool = false;
let hasPackets: bool = false;
let hasBytes: bool = false;
let useCovered: bool = false;

function config(k: i32): i32 {
  return load<i32>(CONFIG_AT + (k << 2));
}

/**
 * Takes the format at CONFIG_AT for the next aggregate() calls. Returns the most lines a call takes, or 0 when a record
 * of this many fields does not fit the scanner's area.
 */
export function configure(): i32 {
  want = config(C_WANT);
  fLogStatus = config(C_LOG_STATUS);
  fAction = config(C_ACTION);
  fInterface = config(C_INTERFACE);
  fSrcaddr = config(C_SRCADDR);
  fDstaddr = config(C_DSTADDR);
  fSrcport = config(C_SRCPORT);
  fDstport = config(C_DSTPORT);
  fProtocol = config(C_PROTOCOL);
  fDirection = config(C_DIRECTION);
  fSrcService = config(C_SRC_SERVICE);
  fDstService = config(C_DST_SERVICE);
  const start = config(C_START);
  const end = config(C_END);
  const time = start >= 0 ? start : end;
  hasEnd = end >= 0;
  hasPackets = config(C_PACKETS) >= 0;
  hasBytes = config(C_BYTES) >= 0;
  useCovered = config(C_COVERED) != 0;
  // The scanner's values, in V_*'s order; a field the format lacks is given as the time field, and its value not used.
  store<i32>(NUMBERS_AT, 7);
  store<i32>(NUMBERS_AT + 4, time);
  store<i32>(NUMBERS_AT + 8, hasEnd ? end : time);
  store<i32>(NUMBERS_AT + 12, hasPackets ? config(C_PACKETS) : time);
  store<i32>(NUMBERS_AT + 16, hasBytes ? config(C_BYTES) : time);
  store<i32>(NUMBERS_AT + 20, fSrcport);
  store<i32>(NUMBERS_AT + 24, fDstport);
  store<i32>(NUMBERS_AT + 28, fProtocol);
  // A record: i32 [line start, line end, field count, want starts, want ends], then 7 f64 values (8-byte aligned).
  valuesAt = ((3 + 2 * want + 1) >> 1) << 3;
  stride = valuesAt + 7 * 8;
  maxLines = min(OUT_BYTES / stride, MAX_LINES);
  return maxLines;
}

let eventCount: i32 = 0;
let sampleCount: i32 = 0;

function event(line: i32, reason: i32, fields: i32): void {
  const e = EVENTS_AT + eventCount * 12;
  store<i32>(e, line);
  store<i32>(e + 4, reason);
  store<i32>(e + 8, fields);
  eventCount++;
}

let records: i32 = 0;
let attributed: i32 = 0;
let noData: i32 = 0;
let skipData: i32 = 0;
let other: i32 = 0;
let outOfRange: i32 = 0;

export function events(): i32 {
  return eventCount;
}

export function samples(): i32 {
  return sampleCount;
}

/**
 * Parses the complete lines of the text at TEXT_AT, [from, len), at most the configured batch of them: counts
 * (STATS_AT), attributes and adds each record; malformed lines go to EVENTS_AT and kept lines to SAMPLES_AT. Returns
 * how many lines it took; `next()` is where the first line it did not take starts.
 */
export function aggregate(from: i32, len: i32): i32 {
  eventCount = 0;
  sampleCount = 0;
  records = attributed = noData = skipData = other = outOfRange = 0;
  const lines = scanLines(TEXT_AT, from, len, OUT_AT, want, stride, valuesAt, NUMBERS_AT, maxLines);
  const endsAt = 12 + (want << 2);
  for (let l = 0, o = OUT_AT; l < lines; l++, o += stride) {
    const start = load<i32>(o);
    const end = load<i32>(o + 4);
    const n = load<i32>(o + 8);
    if (end - start > MAX_LINE_BYTES) {
      event(l, R_LONG_LINE, n);
      continue;
    }
    if (n == 0) continue;
    record(l, o, o + endsAt, o + valuesAt, start, end, n);
  }
  store<f64>(STATS_AT + (S_RECORDS << 3), records);
  store<f64>(STATS_AT + (S_ATTRIBUTED << 3), attributed);
  store<f64>(STATS_AT + (S_NO_DATA << 3), noData);
  store<f64>(STATS_AT + (S_SKIP_DATA << 3), skipData);
  store<f64>(STATS_AT + (S_OTHER << 3), other);
  store<f64>(STATS_AT + (S_OUT_OF_RANGE << 3), outOfRange);
  return lines;
}

function fieldAt(at: i32, field: i32): i32 {
  return TEXT_AT + load<i32>(at + 12 + (field << 2));
}

function fieldEnd(ends: i32, field: i32): i32 {
  return TEXT_AT + load<i32>(ends + (field << 2));
}

/** One line's record: fields start at the record `o`'s starts and end at `ends`; its values are at `v`. */
function record(line: i32, o: i32, ends: i32, v: i32, start: i32, end: i32, n: i32): void {
  records++;
  if (n > want) return event(line, R_FIELD_COUNT, n);
  if (fLogStatus >= 0 && n > fLogStatus) {
    const c = load<u8>(fieldAt(o, fLogStatus));
    if (c == 78 /* N */) {
      noData++;
      return;
    }
    if (c == 83 /* S */) {
      skipData++;
      return;
    }
  }
  if (n != want) return event(line, R_FIELD_COUNT, n);
  const actionChar = load<u8>(fieldAt(o, fAction));
  if (actionChar == 45 /* - */) {
    noData++;
    return;
  }
  const reject = actionChar == 82 /* R */ ? 1 : 0;
  if (!reject && actionChar != 65 /* A */) return event(line, R_ACTION, n);

  const startSec = load<f64>(v + (V_TIME << 3));
  if (startSec < 0) return event(line, R_START, n);
  let eni: i32;
  if (fInterface >= 0) {
    const at = fieldAt(o, fInterface);
    eni = eniForInterface(at, fieldEnd(ends, fInterface) - at);
  } else {
    eni = eniForAddress(fieldAt(o, fSrcaddr), fieldEnd(ends, fSrcaddr), startSec);
    if (eni < 0) eni = eniForAddress(fieldAt(o, fDstaddr), fieldEnd(ends, fDstaddr), startSec);
  }
  if (eni < 0) {
    other++;
    return;
  }
  if (useCovered && load<u8>(covered + eni) == 0) {
    other++;
    return;
  }
  if (!(startSec >= rangeStartSec && startSec < rangeEndSec)) {
    outOfRange++;
    return;
  }
  const endSec = hasEnd ? load<f64>(v + (V_END << 3)) : startSec;
  const packets = hasPackets ? load<f64>(v + (V_PACKETS << 3)) : 0;
  const bytes = hasBytes ? load<f64>(v + (V_BYTES << 3)) : 0;
  const srcport = load<f64>(v + (V_SRCPORT << 3));
  const dstport = load<f64>(v + (V_DSTPORT << 3));
  const proto = load<f64>(v + (V_PROTOCOL << 3));
  if (endSec < 0 || packets < 0 || bytes < 0 || srcport < 0 || dstport < 0 || proto < 0 || srcport > 65535 || dstport > 65535) {
    return event(line, R_NUMBER, n);
  }

  // The function's side is the ENI's address; the peer is the other side and its port the service port.
  let egress: bool;
  const src = fieldAt(o, fSrcaddr);
  const dst = fieldAt(o, fDstaddr);
  if (isEniAddress(eni, src, fieldEnd(ends, fSrcaddr) - src)) egress = true;
  else if (isEniAddress(eni, dst, fieldEnd(ends, fDstaddr) - dst)) egress = false;
  else if (fDirection >= 0) egress = load<u8>(fieldAt(o, fDirection)) == 101; /* e(gress) */
  else egress = true;
  const remote = egress ? fDstaddr : fSrcaddr;
  const remoteAt = fieldAt(o, remote);
  const remoteLength = fieldEnd(ends, remote) - remoteAt;
  if (remoteLength > MAX_ADDRESS_BYTES) return event(line, R_ADDRESS, n);
  // Return traffic comes from the peer's service port. Lambda accepts no inbound connection, so an inbound attempt to a
  // well-known port on the ENI (an ephemeral source port) is filed under that port.
  let port = egress ? fDstport : fSrcport;
  if (!egress && dstport < 1024 && srcport >= 1024) port = fDstport;
  // v5 names the AWS service of each side's address: the remote side's keeps a service apart even without ip-ranges.
  const serviceField = egress ? fDstService : fSrcService;
  let service = 0;
  if (serviceField >= 0) {
    const at = fieldAt(o, serviceField);
    service = serviceIndex(at, fieldEnd(ends, serviceField) - at);
  }

  // The peer key "<address> <port> <protocol>[ <service index>]".
  let k = copyShort(KEY_AT, remoteAt, remoteLength);
  store<u8>(k++, 32);
  const portAt = fieldAt(o, port);
  k = copyShort(k, portAt, fieldEnd(ends, port) - portAt);
  store<u8>(k++, 32);
  const protoAt = fieldAt(o, fProtocol);
  k = copyShort(k, protoAt, fieldEnd(ends, fProtocol) - protoAt);
  if (service > 0) {
    store<u8>(k++, 32);
    if (service >= 100) store<u8>(k++, 48 + service / 100);
    if (service >= 10) store<u8>(k++, 48 + ((service / 10) % 10));
    store<u8>(k++, 48 + (service % 10));
  }
  const peer = intern(peers, KEY_AT, k - KEY_AT);
  const hour = <i32>(Math.floor(startSec / 3600) - firstHour);
  const r = row(peer, eni, reject, hour, startSec);
  const at = rows + r * ROW_BYTES;
  store<f64>(at + 8, load<f64>(at + 8) + 1);
  store<f64>(at + 16, load<f64>(at + 16) + packets);
  store<f64>(at + 24, load<f64>(at + 24) + bytes);
  if (startSec < load<f64>(at + 32)) store<f64>(at + 32, startSec);
  if (endSec > load<f64>(at + 40)) store<f64>(at + 40, endSec);
  attributed++;
  if ((startSec >= sampleFromSec || reject) && load<f64>(at + 48) < SAMPLES_KEPT) {
    store<f64>(at + 48, load<f64>(at + 48) + 1);
    const s = SAMPLES_AT + sampleCount * 12;
    store<i32>(s, r);
    store<i32>(s + 4, start);
    store<i32>(s + 8, end);
    sampleCount++;
  }
}
