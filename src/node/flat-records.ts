// Many small records of few shapes sent between threads as typed arrays and one table of their distinct strings: a structured clone copies every string of every record.

/** Records flattened: each record's keys by shape, its values as tagged cells, each distinct string once. */
export interface FlatRecords {
  count: number;
  /** The distinct key lists, in each record's own key order. */
  shapes: string[][];
  shapeOf: Uint32Array;
  /** Per value (records in order, each in its shape's key order): what kind it is (the TAG_ constants). */
  tags: Uint8Array;
  /** Per value: the string's index in `strings`, the number, or the index in `others`. */
  cells: Float64Array;
  strings: string[];
  /** Values that are neither strings, numbers, booleans, null nor undefined (nested objects, arrays): cloned as they are. */
  others: unknown[];
}

const TAG_UNDEFINED = 0;
const TAG_STRING = 1;
const TAG_NUMBER = 2;
const TAG_TRUE = 3;
const TAG_FALSE = 4;
const TAG_NULL = 5;
const TAG_OTHER = 6;

/** The records (plain objects) flattened; `transfer` lists the buffers to transfer with them. */
export function flattenRecords(records: readonly object[]): { flat: FlatRecords; transfer: ArrayBuffer[] } {
  const shapeIds = new Map<string, number>();
  const shapes: string[][] = [];
  const shapeOf = new Uint32Array(records.length);
  const stringIds = new Map<string, number>();
  const strings: string[] = [];
  const others: unknown[] = [];
  let cellCount = 0;
  for (const r of records) cellCount += Object.keys(r).length;
  const tags = new Uint8Array(cellCount);
  const cells = new Float64Array(cellCount);
  let c = 0;
  records.forEach((r, i) => {
    const keys = Object.keys(r);
    const shapeKey = JSON.stringify(keys);
    let shape = shapeIds.get(shapeKey);
    if (shape === undefined) {
      shapeIds.set(shapeKey, (shape = shapes.length));
      shapes.push(keys);
    }
    shapeOf[i] = shape;
    for (const key of keys) {
      const v = (r as Record<string, unknown>)[key];
      if (typeof v === 'string') {
        let id = stringIds.get(v);
        if (id === undefined) {
          stringIds.set(v, (id = strings.length));
          strings.push(v);
        }
        tags[c] = TAG_STRING;
        cells[c] = id;
      } else if (typeof v === 'number') {
        tags[c] = TAG_NUMBER;
        cells[c] = v;
      } else if (v === undefined) tags[c] = TAG_UNDEFINED;
      else if (v === true) tags[c] = TAG_TRUE;
      else if (v === false) tags[c] = TAG_FALSE;
      else if (v === null) tags[c] = TAG_NULL;
      else {
        tags[c] = TAG_OTHER;
        cells[c] = others.length;
        others.push(v);
      }
      c++;
    }
  });
  return {
    flat: { count: records.length, shapes, shapeOf, tags, cells, strings, others },
    transfer: [shapeOf.buffer, tags.buffer, cells.buffer] as ArrayBuffer[],
  };
}

/** The records again, equal to those flattened (own keys in the same order); records share their equal strings. */
export function unflattenRecords(flat: FlatRecords): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = new Array(flat.count);
  const { tags, cells, strings, others } = flat;
  let c = 0;
  for (let i = 0; i < flat.count; i++) {
    const r: Record<string, unknown> = {};
    for (const key of flat.shapes[flat.shapeOf[i]]) {
      const tag = tags[c];
      const cell = cells[c++];
      const value =
        tag === TAG_STRING
          ? strings[cell]
          : tag === TAG_NUMBER
            ? cell
            : tag === TAG_TRUE
              ? true
              : tag === TAG_FALSE
                ? false
                : tag === TAG_NULL
                  ? null
                  : tag === TAG_OTHER
                    ? others[cell]
                    : undefined;
      // defineProperty: a key "__proto__" stays an own key, as it was.
      if (key === '__proto__') Object.defineProperty(r, key, { value, enumerable: true, writable: true, configurable: true });
      else r[key] = value;
    }
    out[i] = r;
  }
  return out;
}
