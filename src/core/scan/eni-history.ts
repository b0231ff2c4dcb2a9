// Management events by name (ENI lifetimes over CloudTrail's 90 days, function changes over the windows and the day before) and the ENIs that no longer exist added to the scan.
import { attributeLifetime, eniLifetimes, lifetimeEni, type EniLifetime } from '../inventory/lifetimes';
import { isLambdaEni, type LambdaEni } from '../inventory/enis';
import { toIso, type EpochMs, type FunctionReport, type TrailEvent } from '../model';
import type { ManagementEventsRequest } from '../ports';
import type { Windows } from '../scan';
import { DAY_MS, HOUR_MS } from '../time';
import { functionChanges, vpcPeriods, type FunctionChange } from '../trail/function-changes';
import { ENI_EVENT_NAMES, FUNCTION_CHANGE_EVENT_NAMES } from '../trail/management';
import { SOURCE_CALLS } from './attempts';
import type { Inventory } from './inventory';
import type { ScanRun } from './run';

/** CloudTrail's LookupEvents keeps 90 days: an ENI in use in the windows may have been created any time in them. */
export const TRAIL_RETENTION_MS = 90 * DAY_MS;
/** A finding that starts this long after a change to the function is said to follow it. */
export const DEPLOY_LOOKBACK_MS = 24 * HOUR_MS;

export interface ManagementReading {
  /** ENI lifetimes by id (empty when they could not be read). */
  lifetimes: Map<string, EniLifetime>;
  /** Function changes by function name; undefined when they could not be read (no such lookup, or it failed). */
  changes?: Map<string, FunctionChange[]>;
  /** From when the change lookup saw every change: before it, a function's configuration is known only from `LastModified`. */
  changesFrom: EpochMs;
}

export async function readManagementEvents(run: ScanRun, inventory: Inventory, windows: Windows): Promise<ManagementReading> {
  const changesFrom = windows.baselineStart - DEPLOY_LOOKBACK_MS;
  const lookup = run.source.lookupManagementEvents?.bind(run.source);
  if (!lookup) return { lifetimes: new Map(), changesFrom };
  const read = async (request: ManagementEventsRequest): Promise<TrailEvent[]> => {
    const events: TrailEvent[] = [];
    for await (const page of lookup(request, run.signal)) {
      run.signal.throwIfAborted();
      events.push(...page);
    }
    return events;
  };
  // Only VPC functions have ENIs: without one, 90 days of the account's ENI events are not worth reading.
  const inVpc = inventory.functions.some((f) => f.vpc);
  const eniEvents = inVpc
    ? await run.attempts.attempt(SOURCE_CALLS.eniEvents, () =>
        read({ eventNames: ENI_EVENT_NAMES, start: windows.detectEnd - TRAIL_RETENTION_MS, end: windows.detectEnd }),
      )
    : [];
  const changeEvents = await run.attempts.attempt(SOURCE_CALLS.functionChanges, () =>
    read({ eventNames: FUNCTION_CHANGE_EVENT_NAMES, start: changesFrom, end: windows.detectEnd }),
  );
  // A recording may hold events after the window's end (a scan with an earlier `now`): they had not happened yet.
  const until = (events: TrailEvent[] | undefined) => (events ?? []).filter((e) => e.eventTime < windows.detectEnd);
  return {
    lifetimes: eniLifetimes(until(eniEvents)),
    ...(changeEvents ? { changes: functionChanges(until(changeEvents)) } : {}),
    changesFrom,
  };
}

/**
 * The inventory with the Lambda ENIs that no longer exist but served a scanned function in the windows: from CloudTrail's
 * lifetimes (attributed by configuration history, else by creating role) and from the ENI history kept across scans.
 * Every lifetime is recorded into the history as well, so peers on those addresses are named by time too.
 */
export function withEniHistory(inventory: Inventory, reading: ManagementReading, windows: Windows): Inventory {
  const current = new Set(inventory.enis.map((e) => e.id));
  const periods = new Map(
    inventory.allFunctions.map((f) => [
      f.name,
      vpcPeriods(f, reading.changes?.get(f.name) ?? [], reading.changes ? reading.changesFrom : undefined),
    ]),
  );
  const inWindows = (from: EpochMs, to: EpochMs) => from < windows.detectEnd && to > windows.baselineStart;
  const serves = (functions: readonly string[]) => functions.some((f) => inventory.selected.has(f));
  const added = new Map<string, LambdaEni>();
  for (const l of reading.lifetimes.values()) {
    if (current.has(l.id)) {
      inventory.history.recordLifetime(l.eni, [], l.created, undefined);
      continue;
    }
    const attribution = attributeLifetime(l, inventory.allFunctions, (f) => periods.get(f.name) ?? []);
    inventory.history.recordLifetime(l.eni, attribution?.functions ?? [], l.created, l.deleted);
    if (attribution && serves(attribution.functions) && inWindows(l.created ?? -Infinity, l.deleted ?? Infinity))
      added.set(l.id, lifetimeEni(l, attribution));
  }
  // ENIs an earlier scan saw that neither EC2 nor CloudTrail knows any more: tied to their functions by that inventory.
  const scanned = new Set(inventory.scannedEnis.map((l) => l.eni.id));
  for (const s of inventory.history.allSpans()) {
    if (current.has(s.eniId) || scanned.has(s.eniId) || !isLambdaEni(s.eni) || !serves(s.functions) || !inWindows(s.from, s.to)) continue;
    if (added.has(s.eniId)) continue;
    added.set(s.eniId, {
      eni: s.eni,
      functions: [...s.functions],
      legacy: false,
      ...(Number.isFinite(s.from) ? { created: s.from } : {}),
      ...(Number.isFinite(s.to) ? { deleted: s.to } : {}),
      attributedBy: 'inventory',
    });
  }
  const scannedEnis = inventory.scannedEnis.map((l) => {
    const created = reading.lifetimes.get(l.eni.id)?.created ?? l.eni.since;
    return created !== undefined ? { ...l, created } : l;
  });
  return { ...inventory, scannedEnis: [...scannedEnis, ...added.values()] };
}

/** The ENIs of each report as the scan tied them: when one that no longer exists was created and deleted, and how it was tied. */
export function describeEniHistory(functions: readonly FunctionReport[], enis: readonly LambdaEni[]): void {
  const byId = new Map(enis.map((l) => [l.eni.id, l]));
  for (const fn of functions) {
    for (const r of fn.enis) {
      const l = byId.get(r.id);
      if (!l?.attributedBy) continue;
      if (l.created !== undefined) r.created = toIso(l.created);
      if (l.deleted !== undefined) r.deleted = toIso(l.deleted);
      r.attributedBy = l.attributedBy;
    }
  }
}
