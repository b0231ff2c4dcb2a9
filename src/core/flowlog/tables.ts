// Open-addressing hash tables keyed by raw bytes and by integers: aggregation without a string or a Map entry per record.

const EMPTY = -1;

/** Maps byte sequences to dense ids 0, 1, 2, ... without making a string per lookup. */
export class ByteInterner {
  private slots: Int32Array;
  private hashes: Uint32Array;
  private offsets: Int32Array;
  private lengths: Int32Array;
  private slab: Uint8Array;
  private slabUsed = 0;
  private count = 0;

  constructor(capacity = 1024) {
    const size = nextPow2(capacity * 2);
    this.slots = new Int32Array(size).fill(EMPTY);
    this.hashes = new Uint32Array(capacity);
    this.offsets = new Int32Array(capacity);
    this.lengths = new Int32Array(capacity);
    this.slab = new Uint8Array(capacity * 24);
  }

  get size(): number {
    return this.count;
  }

  /** The id of bytes [start, end) of `buf`, adding them when new. */
  intern(buf: Uint8Array, start: number, end: number): number {
    const h = fnv1a(buf, start, end);
    const slot = this.probe(buf, start, end, h);
    const found = this.slots[slot];
    if (found !== EMPTY) return found;
    const len = end - start;
    const id = this.count++;
    if (id >= this.hashes.length) this.growEntries();
    if (this.slabUsed + len > this.slab.length) this.growSlab(len);
    this.slab.set(buf.subarray(start, end), this.slabUsed);
    this.offsets[id] = this.slabUsed;
    this.lengths[id] = len;
    this.hashes[id] = h;
    this.slabUsed += len;
    this.slots[slot] = id;
    if (this.count * 2 > this.slots.length) this.rehash();
    return id;
  }

  /** The id of `text` when it was interned, else -1 (never adds). */
  find(text: string): number {
    const bytes = Buffer.from(text, 'latin1');
    return this.slots[this.probe(bytes, 0, bytes.length, fnv1a(bytes, 0, bytes.length))];
  }

  /** The slot that holds these bytes, or the empty slot where they would go. */
  private probe(buf: Uint8Array, start: number, end: number, h: number): number {
    const mask = this.slots.length - 1;
    const len = end - start;
    let slot = h & mask;
    for (;;) {
      const id = this.slots[slot];
      if (id === EMPTY) return slot;
      if (this.hashes[id] === h && this.lengths[id] === len && this.equals(id, buf, start, len)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  text(id: number): string {
    return Buffer.from(this.slab.buffer, this.slab.byteOffset + this.offsets[id], this.lengths[id]).toString('latin1');
  }

  private equals(id: number, buf: Uint8Array, start: number, len: number): boolean {
    const off = this.offsets[id];
    const slab = this.slab;
    for (let i = 0; i < len; i++) if (slab[off + i] !== buf[start + i]) return false;
    return true;
  }

  private growEntries(): void {
    const cap = this.hashes.length * 2;
    this.hashes = growInt(this.hashes, cap) as Uint32Array;
    this.offsets = growInt(this.offsets, cap) as Int32Array;
    this.lengths = growInt(this.lengths, cap) as Int32Array;
  }

  private growSlab(need: number): void {
    const next = new Uint8Array(Math.max(this.slab.length * 2, this.slabUsed + need));
    next.set(this.slab.subarray(0, this.slabUsed));
    this.slab = next;
  }

  private rehash(): void {
    this.slots = slotsFor(this.hashes, this.count, this.slots.length * 2);
  }
}

/** Maps non-negative integer keys below 2^53 to dense row indexes. */
export class IntKeyTable {
  private slots: Int32Array;
  private keys: Float64Array;
  private count = 0;

  constructor(capacity = 4096) {
    this.slots = new Int32Array(nextPow2(capacity * 2)).fill(EMPTY);
    this.keys = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  key(row: number): number {
    return this.keys[row];
  }

  /** Empty again, its capacity kept. */
  clear(): void {
    this.slots.fill(EMPTY);
    this.count = 0;
  }

  /** The row of `key`, or -(new row) - 1 when the key was just added (so callers can initialise it). */
  upsert(key: number): number {
    const mask = this.slots.length - 1;
    // Mix the high and low halves: keys differ mostly in their low bits (hours) and high bits (peers).
    let h = Math.imul((key % 0x100000000) ^ Math.floor(key / 0x100000000), 0x9e3779b1) >>> 0;
    let slot = h & mask;
    for (;;) {
      const row = this.slots[slot];
      if (row === EMPTY) break;
      if (this.keys[row] === key) return row;
      slot = (slot + 1) & mask;
    }
    const row = this.count++;
    if (row >= this.keys.length) {
      const next = new Float64Array(this.keys.length * 2);
      next.set(this.keys);
      this.keys = next;
    }
    this.keys[row] = key;
    this.slots[slot] = row;
    if (this.count * 2 > this.slots.length) {
      const size = this.slots.length * 2;
      this.slots = new Int32Array(size).fill(EMPTY);
      const m = size - 1;
      for (let r = 0; r < this.count; r++) {
        const k = this.keys[r];
        h = Math.imul((k % 0x100000000) ^ Math.floor(k / 0x100000000), 0x9e3779b1) >>> 0;
        let s = h & m;
        while (this.slots[s] !== EMPTY) s = (s + 1) & m;
        this.slots[s] = r;
      }
    }
    return -row - 1;
  }
}

/** A fresh slot table of `size` (a power of two) holding ids 0..count-1 by their stored hashes (linear probing). */
function slotsFor(hashes: Uint32Array, count: number, size: number): Int32Array {
  const slots = new Int32Array(size).fill(EMPTY);
  const mask = size - 1;
  for (let id = 0; id < count; id++) {
    let slot = hashes[id] & mask;
    while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    slots[slot] = id;
  }
  return slots;
}

function fnv1a(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
}

function nextPow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

function growInt(a: Int32Array | Uint32Array, cap: number): Int32Array | Uint32Array {
  const next = a instanceof Uint32Array ? new Uint32Array(cap) : new Int32Array(cap);
  next.set(a);
  return next;
}

/**
 * Like ByteInterner, for keys built in an aligned scratch buffer: hashes and compares 32-bit words, four
 * bytes a step, which is what makes interning a peer key per record cheap.
 */
export class WordKeyInterner {
  /** Write a key's bytes here (from offset 0), then call `intern(byteLength)`. */
  readonly scratch: Uint8Array;
  private readonly scratchWords: Int32Array;
  private slots: Int32Array;
  private hashes: Uint32Array;
  private offsets: Int32Array;
  private lengths: Int32Array;
  private slab: Int32Array;
  private slabUsed = 0;
  private count = 0;

  constructor(maxKeyBytes = 256, capacity = 1024) {
    this.scratchWords = new Int32Array(Math.ceil(maxKeyBytes / 4) + 1);
    this.scratch = new Uint8Array(this.scratchWords.buffer);
    this.slots = new Int32Array(nextPow2(capacity * 2)).fill(EMPTY);
    this.hashes = new Uint32Array(capacity);
    this.offsets = new Int32Array(capacity);
    this.lengths = new Int32Array(capacity);
    this.slab = new Int32Array(capacity * 8);
  }

  get size(): number {
    return this.count;
  }

  intern(byteLength: number): number {
    const words = this.scratchWords;
    const n = (byteLength + 3) >> 2;
    // Zero the bytes past the key in its last word, so equal keys have equal words.
    for (let i = byteLength; i < n << 2; i++) this.scratch[i] = 0;
    let h = 0x811c9dc5 ^ byteLength;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ words[i], 0x01000193);
    h = (h ^ (h >>> 15)) >>> 0;
    const mask = this.slots.length - 1;
    let slot = h & mask;
    for (;;) {
      const id = this.slots[slot];
      if (id === EMPTY) break;
      if (this.hashes[id] === h && this.lengths[id] === byteLength) {
        const off = this.offsets[id];
        let same = true;
        for (let i = 0; i < n; i++) {
          if (this.slab[off + i] !== words[i]) {
            same = false;
            break;
          }
        }
        if (same) return id;
      }
      slot = (slot + 1) & mask;
    }
    const id = this.count++;
    if (id >= this.hashes.length) {
      const cap = this.hashes.length * 2;
      this.hashes = growInt(this.hashes, cap) as Uint32Array;
      this.offsets = growInt(this.offsets, cap) as Int32Array;
      this.lengths = growInt(this.lengths, cap) as Int32Array;
    }
    if (this.slabUsed + n > this.slab.length) {
      const next = new Int32Array(Math.max(this.slab.length * 2, this.slabUsed + n));
      next.set(this.slab.subarray(0, this.slabUsed));
      this.slab = next;
    }
    this.slab.set(words.subarray(0, n), this.slabUsed);
    this.offsets[id] = this.slabUsed;
    this.lengths[id] = byteLength;
    this.hashes[id] = h;
    this.slabUsed += n;
    this.slots[slot] = id;
    if (this.count * 2 > this.slots.length) this.slots = slotsFor(this.hashes, this.count, this.slots.length * 2);
    return id;
  }

  text(id: number): string {
    const bytes = new Uint8Array(this.slab.buffer, this.slab.byteOffset + this.offsets[id] * 4, this.lengths[id]);
    return Buffer.from(bytes).toString('latin1');
  }
}
