// The CloudTrail stage: management events by the functions' role sessions, attributed to the functions.
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
    for await (const page of source.lookupEvents(request, signal)) {
      signal.throwIfAborted();
      for (const e of page) trail.add(e);
    }
  });
  return trail;
}
