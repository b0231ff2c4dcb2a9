// Hour arithmetic of the cache: which hours a request spans, which are closed, which a key lacks, and keys grouped by what they lack.
import type { EpochMs } from '../model';
import type { TimeRange } from '../ports';
import { HOUR_MS } from '../time';

/** The start of the hour `t` falls in. */
export function hourOf(t: EpochMs): EpochMs {
  return Math.floor(t / HOUR_MS) * HOUR_MS;
}

/** Whether a range starts and ends on the hour: only such a request is answered by hour (others pass through). */
export function isHourAligned(range: TimeRange): boolean {
  return range.start % HOUR_MS === 0 && range.end % HOUR_MS === 0 && range.end >= range.start;
}

/** The hours of an hour-aligned range, oldest first. */
export function hoursIn(range: TimeRange): EpochMs[] {
  const out: EpochMs[] = [];
  for (let h = range.start; h < range.end; h += HOUR_MS) out.push(h);
  return out;
}

/**
 * Whether an hour has closed for good: it ended at least `marginHours` before `now`, so records that arrive late (flow logs
 * and CloudTrail deliver within about 15 minutes) have arrived. Only closed hours are stored, and served.
 */
export function isClosed(hour: EpochMs, now: EpochMs, marginHours: number): boolean {
  return hour + HOUR_MS <= now - marginHours * HOUR_MS;
}

/** Hours (starts, ascending) as the fewest ranges that cover exactly them. */
export function coalesce(hours: readonly EpochMs[]): TimeRange[] {
  const ranges: TimeRange[] = [];
  for (const h of [...hours].sort((a, b) => a - b)) {
    const last = ranges[ranges.length - 1];
    if (last && last.end === h) last.end = h + HOUR_MS;
    else if (!last || last.end < h) ranges.push({ start: h, end: h + HOUR_MS });
  }
  return ranges;
}

/** Keys that lack the same ranges, together: each group is fetched with one request a range. Keys lacking nothing are left out. */
export interface MissingGroup<K> {
  keys: K[];
  ranges: TimeRange[];
}

export function groupByMissing<K>(keys: readonly K[], missing: (key: K) => readonly EpochMs[]): Array<MissingGroup<K>> {
  const groups = new Map<string, MissingGroup<K>>();
  for (const key of keys) {
    const ranges = coalesce(missing(key));
    if (!ranges.length) continue;
    const id = ranges.map((r) => `${r.start}-${r.end}`).join(',');
    const group = groups.get(id);
    if (group) group.keys.push(key);
    else groups.set(id, { keys: [key], ranges });
  }
  return [...groups.values()];
}

export function inRange(t: EpochMs, range: TimeRange): boolean {
  return t >= range.start && t < range.end;
}
