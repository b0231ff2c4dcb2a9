// The cache one decorated source works with: what was loaded, what this scan fetched (saved together once), and what it answered.
import type { EpochMs } from '../model';
import type { TimeRange } from '../ports';
import { emptyCacheData, mergeCacheData, noteInUse, pruneCacheData, type CacheSection } from './data';
import { groupByMissing, hoursIn, isClosed, type MissingGroup } from './hours';
import type { CacheAccount, HourCacheData } from './port';

/** What a request can have from the cache, and what it must fetch. */
export interface HourPlan<K> {
  section: CacheSection;
  /** By key: the hours answered from the cache, oldest first. */
  cached: Map<K, EpochMs[]>;
  /** Keys that lack the same hours, together, with those hours as ranges. */
  groups: Array<MissingGroup<K>>;
  /** Key-hours answered from the cache, and to fetch. */
  fromCache: number;
  toFetch: number;
}

export class HourBook {
  hoursFromCache = 0;
  hoursFetched = 0;
  /** The same by section (`flows`, `calls`, `metrics`, ...): a rescan's trailing hours are told apart from a source that failed. */
  bySection: Record<string, { fromCache: number; fetched: number }> = {};
  /** This scan's hours, not yet saved: read before the saved ones, dropped if the scan is cancelled. */
  private pending: HourCacheData;

  constructor(
    readonly account: CacheAccount,
    private saved: HourCacheData,
    private readonly clock: () => EpochMs,
    private readonly marginHours: number,
  ) {
    this.pending = emptyCacheData(account);
  }

  /** The items of an hour when the cache has it whole (an empty list is an hour with nothing in it); undefined when not. */
  get(section: CacheSection, key: string, hour: EpochMs): unknown[] | undefined {
    const h = String(hour);
    return this.pending.sections[section]?.[key]?.[h] ?? this.saved.sections[section]?.[key]?.[h];
  }

  /** Whether an hour is closed now: only closed hours are served from the cache or stored in it. */
  closed(hour: EpochMs): boolean {
    return isClosed(hour, this.clock(), this.marginHours);
  }

  /** Stores a closed hour fetched whole (an open one is ignored: late records may still come). */
  put(section: CacheSection, key: string, hour: EpochMs, items: unknown[]): void {
    if (!this.closed(hour)) return;
    ((this.pending.sections[section] ??= {})[key] ??= {})[String(hour)] = items;
  }

  /** Notes the oldest hour a request asked a section for: the bound keeps hours that recent scans still ask for. */
  noteInUse(section: CacheSection, start: EpochMs): void {
    noteInUse(this.pending, section, start, this.clock());
  }

  /**
   * Which hours of `range` each key has from the cache (closed and `present`: by default, held in `section` under the key's
   * name), and which it must fetch, grouped. `tally` counts them into the scan's figures once the request is answered.
   */
  plan<K>(
    section: CacheSection,
    keys: readonly K[],
    keyName: (key: K) => string,
    range: TimeRange,
    present: (name: string, hour: EpochMs) => boolean = (name, hour) => this.get(section, name, hour) !== undefined,
  ): HourPlan<K> {
    const hours = hoursIn(range);
    const cached = new Map<K, EpochMs[]>();
    const missing = new Map<K, EpochMs[]>();
    let fromCache = 0;
    let toFetch = 0;
    for (const key of keys) {
      const name = keyName(key);
      const have: EpochMs[] = [];
      const lack: EpochMs[] = [];
      for (const h of hours) (this.closed(h) && present(name, h) ? have : lack).push(h);
      cached.set(key, have);
      missing.set(key, lack);
      fromCache += have.length;
      toFetch += lack.length;
    }
    return { section, cached, groups: groupByMissing(keys, (k) => missing.get(k)!), fromCache, toFetch };
  }

  /** Counts a plan's hours into the scan's figures: those the cache answered, those fetched. */
  tally(plan: Pick<HourPlan<unknown>, 'section' | 'fromCache' | 'toFetch'>): void {
    this.hoursFromCache += plan.fromCache;
    this.hoursFetched += plan.toFetch;
    const s = (this.bySection[plan.section] ??= { fromCache: 0, fetched: 0 });
    s.fromCache += plan.fromCache;
    s.fetched += plan.toFetch;
  }

  /** The figures so far, zeroed: each scan takes its own. */
  takeFigures(): { hoursFromCache: number; hoursFetched: number; bySection: Record<string, { fromCache: number; fetched: number }> } {
    const figures = { hoursFromCache: this.hoursFromCache, hoursFetched: this.hoursFetched, bySection: this.bySection };
    this.hoursFromCache = this.hoursFetched = 0;
    this.bySection = {};
    return figures;
  }

  /** Whether this scan stored anything (hours, or what it asked for). */
  get changed(): boolean {
    return Object.keys(this.pending.sections).length > 0 || Object.keys(this.pending.inUseFrom ?? {}).length > 0;
  }

  /** The cache to save: what was loaded with this scan's hours, within the bound. Afterwards, that is what is loaded. */
  commit(): HourCacheData {
    this.saved = pruneCacheData(mergeCacheData(this.saved, this.pending), this.clock());
    this.pending = emptyCacheData(this.account);
    return this.saved;
  }

  /** Forgets this scan's hours (it was cancelled): nothing of it is saved. */
  discard(): void {
    this.pending = emptyCacheData(this.account);
  }
}
