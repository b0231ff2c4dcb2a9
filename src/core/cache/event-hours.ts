// CloudTrail read through the cache: events (by session or by event name) and aggregated call rows, by key and hour, with the fetched hours merged in the order LookupEvents gives.
import type { EpochMs, TrailEvent } from '../model';
import type { TimeRange, TrailCallRow } from '../ports';
import type { HourBook } from './book';
import type { CacheSection } from './data';
import { hourOf, hoursIn, inRange, type MissingGroup } from './hours';

/**
 * Items of one request, by key and hour (from the cache and from fetches), and those outside what the request's keys and
 * range hold (another session's events, events outside the range that a recording returns): handed on once each.
 */
export class HourlyItems<T> {
  private readonly byKey = new Map<string, Map<EpochMs, T[]>>();
  private readonly incidental: T[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly keys: ReadonlySet<string>,
    private readonly range: TimeRange,
    private readonly keyOf: (item: T) => string | undefined,
    private readonly timeOf: (item: T) => EpochMs,
    private readonly idOf: (item: T) => string,
  ) {}

  /** The cached hours of a key. */
  addCached(key: string, hour: EpochMs, items: readonly T[]): void {
    this.hour(key, hour).push(...items);
  }

  /**
   * What one fetch (these keys over `fetched`) returned, by key and hour: its own items kept; items of the request's keys
   * and range but outside this fetch dropped (the cache or another fetch answers them); anything else kept once.
   */
  addFetched(group: ReadonlySet<string>, fetched: TimeRange, items: readonly T[]): Map<string, Map<EpochMs, T[]>> {
    const own = new Map<string, Map<EpochMs, T[]>>();
    for (const item of items) {
      const key = this.keyOf(item);
      const t = this.timeOf(item);
      if (key !== undefined && group.has(key) && inRange(t, fetched)) {
        const hour = hourOf(t);
        let byHour = own.get(key);
        if (!byHour) own.set(key, (byHour = new Map()));
        const list = byHour.get(hour);
        if (list) list.push(item);
        else byHour.set(hour, [item]);
        this.hour(key, hour).push(item);
      } else if (!(key !== undefined && this.keys.has(key) && inRange(t, this.range))) {
        const id = this.idOf(item);
        if (this.seen.has(id)) continue;
        this.seen.add(id);
        this.incidental.push(item);
      }
    }
    return own;
  }

  /** Key by key in the request's order, each newest hour first (LookupEvents pages newest first), then the others. */
  ordered(keys: readonly string[]): T[] {
    const out: T[] = [];
    for (const key of keys) {
      const byHour = this.byKey.get(key);
      if (!byHour) continue;
      for (const hour of [...byHour.keys()].sort((a, b) => b - a)) out.push(...byHour.get(hour)!);
    }
    return out.concat(this.incidental);
  }

  private hour(key: string, hour: EpochMs): T[] {
    let byHour = this.byKey.get(key);
    if (!byHour) this.byKey.set(key, (byHour = new Map()));
    let list = byHour.get(hour);
    if (!list) byHour.set(hour, (list = []));
    return list;
  }
}

/** Stores each closed hour of a completed fetch for each of its keys, an hour with nothing in it as an empty list. */
export function storeFetched<T>(
  book: HourBook,
  section: CacheSection,
  group: readonly string[],
  fetched: TimeRange,
  own: Map<string, Map<EpochMs, T[]>>,
): void {
  for (const key of group) for (const hour of hoursIn(fetched)) book.put(section, key, hour, own.get(key)?.get(hour) ?? []);
}

/** The cached hours of a plan into a request's items. */
export function addCachedHours<T>(book: HourBook, section: CacheSection, cached: Map<string, EpochMs[]>, items: HourlyItems<T>): void {
  for (const [key, hours] of cached) for (const hour of hours) items.addCached(key, hour, book.get(section, key, hour) as T[]);
}

export function eventItems(
  keys: readonly string[],
  range: TimeRange,
  keyOf: (e: TrailEvent) => string | undefined,
): HourlyItems<TrailEvent> {
  // An event without an id is kept apart by its content.
  return new HourlyItems(
    new Set(keys),
    range,
    keyOf,
    (e) => e.eventTime,
    (e) => e.eventId || JSON.stringify(e),
  );
}

export function callRowItems(keys: readonly string[], range: TimeRange): HourlyItems<TrailCallRow> {
  return new HourlyItems(
    new Set(keys),
    range,
    (r) => r.sessionName,
    (r) => r.first,
    (r) => JSON.stringify(r),
  );
}

/** The ranges of a plan's groups, flattened with their keys: one fetch each. */
export function fetchesOf(groups: ReadonlyArray<MissingGroup<string>>): Array<{ keys: string[]; range: TimeRange }> {
  return groups.flatMap((g) => g.ranges.map((range) => ({ keys: g.keys, range })));
}
