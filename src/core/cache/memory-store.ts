// A cache store kept in memory: for tests (it counts its loads and saves) and for a caller that wants a cache for one process only.
import type { EpochMs } from '../model';
import { isHourCacheData, mergeCacheData, pruneCacheData } from './data';
import type { CacheAccount, HourCacheData, HourCacheStore, LoadedCache } from './port';

export class MemoryHourCacheStore implements HourCacheStore {
  loads = 0;
  saves = 0;
  private readonly entries = new Map<string, unknown>();

  constructor(
    readonly location = 'memory',
    /** Caches to start from, by account; a value of any shape, to test what loading a foreign or broken cache does. */
    seed: Array<{ account: CacheAccount; data: unknown }> = [],
    /** The time the bound is kept by after a merge (hours another save brought back are pruned again). */
    private readonly clock: () => EpochMs = Date.now,
  ) {
    for (const { account, data } of seed) this.entries.set(keyOf(account), data);
  }

  async load(account: CacheAccount): Promise<LoadedCache> {
    this.loads++;
    const data = this.entries.get(keyOf(account));
    if (data === undefined) return {};
    // Copied, as a file would be read afresh: the caller's changes are not the store's until saved.
    if (!isHourCacheData(data))
      return { warning: `the cache in ${this.location} is unreadable (not a cache of this version): rebuilt from AWS` };
    return { data: structuredClone(data) };
  }

  /** Merged with what is held, as the file store merges with what another process saved meanwhile, and pruned to the bound. */
  async save(account: CacheAccount, data: HourCacheData): Promise<void> {
    this.saves++;
    const held = this.entries.get(keyOf(account));
    const copy = structuredClone(data);
    this.entries.set(keyOf(account), isHourCacheData(held) ? pruneCacheData(mergeCacheData(held, copy), this.clock()) : copy);
  }

  /** What is held for an account now (a copy), for tests. */
  peek(account: CacheAccount): HourCacheData | undefined {
    const data = this.entries.get(keyOf(account));
    return isHourCacheData(data) ? structuredClone(data) : undefined;
  }
}

function keyOf(account: CacheAccount): string {
  return `${account.accountId} ${account.region}`;
}
