// AssemblyScript, part of the flow-record kernel (flow-records.ts, which calls it and is compiled with it). It finds the
// lines of flow-log text and the fields of each line, 16 bytes at a time with WebAssembly SIMD.
//
// The text is at memory[base + from, base + len), followed by at least 16 readable bytes. For each line (a newline ends
// it; a CR before the newline is not part of it) one record of `stride` bytes is written from `out`:
//   i32 [line start, line end, field count n, start of field 0 … start of field want-1, end of field 0 … of want-1],
//   then from byte `valuesAt` of the record, f64 [the value of each field `numbers` lists]
// Positions are relative to `base`. Fields are runs of bytes between spaces (runs of spaces make no empty field); only
// the first `want` are recorded, all are counted. A value is the field's decimal digits (at most 15), or -1 when it has
// anything else (`-`), more digits, or the line has no such field. `numbers` points to an i32 count, then the field
// indexes. A line without its newline is left for the next call. At most `maxLines` records are written; the function
// returns how many, and `next()` where the first unscanned line starts.

let nextLine: i32 = 0;

/** Where the first line not scanned by the last scanLines starts (relative to its base). */
export function next(): i32 {
  return nextLine;
}

/** The decimal value of memory[start, end), or -1: not only digits, none, or more than 15 (parseUint's rule). */
function decimal(start: i32, end: i32): f64 {
  if (end <= start || end - start > 15) return -1;
  let v: i64 = 0;
  for (let i = start; i < end; i++) {
    const d = <i32>load<u8>(i) - 48;
    if (<u32>d > 9) return -1;
    v = v * 10 + d;
  }
  return <f64>v;
}

export function scanLines(
  base: i32,
  from: i32,
  len: i32,
  out: i32,
  want: i32,
  stride: i32,
  valuesAt: i32,
  numbers: i32,
  maxLines: i32,
): i32 {
  const spaces = i8x16.splat(0x20);
  const newlines = i8x16.splat(0x0a);
  const endsAt = (3 + want) << 2; // byte offset of the ends within a record
  const numberCount = load<i32>(numbers);
  const last = base + len;
  let lines = 0;
  let n = 0;
  let s = base + from; // where the current field may start
  let lineStart = s;
  let o = out; // the current line's record
  for (let p = s; p < last; p += 16) {
    const v = v128.load(p);
    const sp = i8x16.bitmask(i8x16.eq(v, spaces));
    let d = sp | i8x16.bitmask(i8x16.eq(v, newlines));
    while (d != 0) {
      const b = ctz<i32>(d);
      d &= d - 1;
      const i = p + b;
      if (i >= last) break;
      if ((sp >> b) & 1) {
        if (i > s) {
          if (n < want) {
            store<i32>(o + 12 + (n << 2), s - base);
            store<i32>(o + endsAt + (n << 2), i - base);
          }
          n++;
        }
        s = i + 1;
      } else {
        const e = i > s && load<u8>(i - 1) == 13 ? i - 1 : i;
        if (e > s) {
          if (n < want) {
            store<i32>(o + 12 + (n << 2), s - base);
            store<i32>(o + endsAt + (n << 2), e - base);
          }
          n++;
        }
        store<i32>(o, lineStart - base);
        store<i32>(o + 4, e - base);
        store<i32>(o + 8, n);
        for (let k = 0; k < numberCount; k++) {
          const field = load<i32>(numbers + 4 + (k << 2));
          const value =
            field < n && field < want ? decimal(base + load<i32>(o + 12 + (field << 2)), base + load<i32>(o + endsAt + (field << 2))) : -1;
          store<f64>(o + valuesAt + (k << 3), value);
        }
        o += stride;
        lines++;
        n = 0;
        s = i + 1;
        lineStart = s;
        if (lines == maxLines) {
          nextLine = lineStart - base;
          return lines;
        }
      }
    }
  }
  nextLine = lineStart - base;
  return lines;
}
