// A saved scan's JSON text (or its UTF-8 bytes) built a batch of functions per event-loop turn: one JSON.stringify of a 1,000-function report holds the thread 35-90 ms.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ScanReport } from '../core/model';

/** Functions serialized per turn: about 250 KiB of JSON, a few milliseconds. */
const FUNCTIONS_PER_TURN = 50;

/**
 * The UTF-8 bytes of the text JSON.stringify(body) gives, up to the order of keys (the report's functions come last),
 * built on several event-loop turns, each turn's piece encoded on its turn: encoding the whole 6 MB text at once (what a
 * write of the string does) is another long turn. The report must not change meanwhile (the session replaces reports,
 * it never edits one).
 */
export async function savedScanBytes(body: { report: ScanReport }, functionsPerTurn = FUNCTIONS_PER_TURN): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const piece of savedScanPieces(body, functionsPerTurn)) chunks.push(Buffer.from(piece, 'utf8'));
  return Buffer.concat(chunks);
}

/** The JSON in pieces: everything before the functions' elements, a batch of them per turn, then the closing brackets. */
async function* savedScanPieces(body: { report: ScanReport }, functionsPerTurn: number): AsyncGenerator<string> {
  const { report, ...rest } = body;
  const { functions, ...head } = report;
  // The body with no functions ends with `[]}}` (the functions, then the report's and the body's closing braces).
  const empty = withKey(rest, 'report', withKey(head, 'functions', '[]'));
  yield empty.slice(0, -3);
  let first = true;
  for (let i = 0; i < functions.length; i += functionsPerTurn) {
    await nextTurn();
    const text = JSON.stringify(functions.slice(i, i + functionsPerTurn));
    if (text.length <= 2) continue;
    yield first ? text.slice(1, -1) : `,${text.slice(1, -1)}`;
    first = false;
  }
  yield empty.slice(-3);
}

/** `object`'s JSON with one more key, whose value is already JSON text. */
function withKey(object: object, key: string, valueJson: string): string {
  const text = JSON.stringify(object);
  const entry = `${JSON.stringify(key)}:${valueJson}`;
  return text === '{}' ? `{${entry}}` : `${text.slice(0, -1)},${entry}}`;
}
