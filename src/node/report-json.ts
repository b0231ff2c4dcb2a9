// A saved scan's JSON text built a batch of functions per event-loop turn: one JSON.stringify of a 1,000-function report holds the thread 35-90 ms.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ScanReport } from '../core/model';

/** Functions serialized per turn: about 250 KiB of JSON, a few milliseconds. */
const FUNCTIONS_PER_TURN = 50;

/**
 * The text JSON.stringify(body) gives, up to the order of keys (the report's functions come last), built on several
 * event-loop turns. The report must not change meanwhile (the session replaces reports, it never edits one).
 */
export async function savedScanJson(body: { report: ScanReport }, functionsPerTurn = FUNCTIONS_PER_TURN): Promise<string> {
  const { report, ...rest } = body;
  const { functions, ...head } = report;
  const parts: string[] = [];
  for (let i = 0; i < functions.length; i += functionsPerTurn) {
    await nextTurn();
    const text = JSON.stringify(functions.slice(i, i + functionsPerTurn));
    if (text.length > 2) parts.push(text.slice(1, -1));
  }
  return withKey(rest, 'report', withKey(head, 'functions', `[${parts.join(',')}]`));
}

/** `object`'s JSON with one more key, whose value is already JSON text. */
function withKey(object: object, key: string, valueJson: string): string {
  const text = JSON.stringify(object);
  const entry = `${JSON.stringify(key)}:${valueJson}`;
  return text === '{}' ? `{${entry}}` : `${text.slice(0, -1)},${entry}}`;
}
