// A saved scan's JSON as UTF-8 pieces to write in order, built without holding the thread: from the function JSON a worker thread already sent, or a batch of functions per event-loop turn (one JSON.stringify of a 1,000-function report holds the thread 35-90 ms).
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ScanReport } from '../core/model';

/** Functions serialized per turn: about 250 KiB of JSON, a few milliseconds. */
const FUNCTIONS_PER_TURN = 50;

/** Reports whose functions' JSON is at hand: the UTF-8 JSON arrays a replay scan's worker sent, in order. */
const functionsJson = new WeakMap<ScanReport, { functions: ScanReport['functions']; arrays: readonly Uint8Array[] }>();

/**
 * Remembers that `arrays` (UTF-8 JSON arrays, in order) are `report.functions` as JSON, so that saving the report writes
 * them as they are instead of serializing its functions again. Reports are replaced, never edited (see Session): a report
 * whose functions array is not the one remembered here is serialized.
 */
export function rememberFunctionsJson(report: ScanReport, arrays: readonly Uint8Array[]): void {
  functionsJson.set(report, { functions: report.functions, arrays });
}

/**
 * The UTF-8 bytes of the text JSON.stringify(body) gives, up to the order of keys (the report's functions come last), as
 * pieces to write one after another. When the report's functions' JSON is at hand (rememberFunctionsJson), the pieces
 * are those bytes themselves: nothing is serialized or copied. Otherwise they are built on several event-loop turns, each
 * turn's piece encoded on its turn: encoding the whole 6 MB text at once (what a write of the string does) is another long
 * turn. The report must not change meanwhile (the session replaces reports, it never edits one).
 */
export async function savedScanBytes(body: { report: ScanReport }, functionsPerTurn = FUNCTIONS_PER_TURN): Promise<Uint8Array[]> {
  const { report, ...rest } = body;
  const { functions, ...head } = report;
  // The body with no functions ends with `[]}}` (the functions, then the report's and the body's closing braces).
  const empty = withKey(rest, 'report', withKey(head, 'functions', '[]'));
  const pieces: Uint8Array[] = [Buffer.from(empty.slice(0, -3), 'utf8')];
  const known = functionsJson.get(report);
  const elements = known && known.functions === functions ? knownElements(known.arrays) : serializedElements(functions, functionsPerTurn);
  let first = true;
  for await (const element of elements) {
    if (!first) pieces.push(COMMA);
    pieces.push(element);
    first = false;
  }
  pieces.push(Buffer.from(empty.slice(-3), 'utf8'));
  return pieces;
}

const COMMA = Buffer.from(',', 'utf8');
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]

/** The inside of each JSON array (its elements and their commas), as views on its bytes; empty arrays give nothing. */
async function* knownElements(arrays: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const array of arrays) {
    if (array[0] !== OPEN || array[array.length - 1] !== CLOSE) throw new Error('the functions JSON at hand is not a JSON array');
    if (array.length > 2) yield array.subarray(1, -1);
  }
}

/** The functions' JSON elements, a batch per event-loop turn, each batch encoded on its turn. */
async function* serializedElements(functions: ScanReport['functions'], functionsPerTurn: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < functions.length; i += functionsPerTurn) {
    await nextTurn();
    const text = JSON.stringify(functions.slice(i, i + functionsPerTurn));
    if (text.length > 2) yield Buffer.from(text.slice(1, -1), 'utf8');
  }
}

/** `object`'s JSON with one more key, whose value is already JSON text. */
function withKey(object: object, key: string, valueJson: string): string {
  const text = JSON.stringify(object);
  const entry = `${JSON.stringify(key)}:${valueJson}`;
  return text === '{}' ? `{${entry}}` : `${text.slice(0, -1)},${entry}}`;
}
