// The CloudTrail stage: management events by the functions' role sessions, attributed to the functions.
import type { TrailEvent } from '../model';
import type { TrailCallRow } from '../ports';
import type { Windows } from '../scan';
import { TrailAttributor } from '../trail/calls';
import { SOURCE_CALLS } from './attempts';
import type { Inventory } from './inventory';
import type { ScanRun } from './run';

export async function readCloudTrail(run: ScanRun, inventory: Inventory, windows: Windows): Promise<TrailAttributor> {
  const { source, signal } = run;
  const trail = new TrailAttributor(inventory.allFunctions, windows.detectStart);
  await run.attempts.attempt(SOURCE_CALLS.cloudTrail, async () => {
    const request = { start: windows.baselineStart, end: windows.detectEnd, sessionNames: inventory.functions.map((f) => f.name) };
    const aggregated = await source.trailCalls?.({ ...request, splitAt: windows.detectStart }, signal);
    if (aggregated) {
      run.attempts.warn(`CloudTrail read from ${aggregated.read}`);
      trail.readFrom = aggregated.read;
      for (const row of aggregated.rows) {
        signal.throwIfAborted();
        for (const e of eventsOfRow(row)) trail.add(e);
      }
      return;
    }
    for await (const page of source.lookupEvents(request, signal)) {
      signal.throwIfAborted();
      for (const e of page) trail.add(e);
    }
  });
  return trail;
}

/**
 * An aggregated row as the events it counts, for the attributor that tallies events: the same counts, errors, first and
 * last times, and the row's event ids and error messages on its first events (the attributor keeps the first 5 ids
 * and 2 messages it sees, and a row brings at most that many). The events past them carry the first id again: by
 * then the sample is full (a row with more than 5 events brings 5 ids), so none of them is kept as evidence.
 */
export function* eventsOfRow(row: TrailCallRow): Generator<TrailEvent> {
  const base = {
    eventSource: row.eventSource,
    eventName: row.eventName,
    sessionName: row.sessionName,
    ...(row.roleName ? { roleName: row.roleName } : {}),
    ...(row.principalArn ? { principalArn: row.principalArn } : {}),
    ...(row.errorCode ? { errorCode: row.errorCode } : {}),
  };
  for (let i = 0; i < row.count; i++) {
    const message = row.errorMessages?.[i];
    yield {
      ...base,
      eventId: row.eventIds[i] ?? row.eventIds[0] ?? '',
      // Newest first, as LookupEvents answers; the last one at the row's first time.
      eventTime: i === row.count - 1 ? row.first : row.last,
      ...(message ? { errorMessage: message } : {}),
    };
  }
}
