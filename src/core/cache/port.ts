// The cache of closed hours: what one account's cache holds, and the small interface through which it is loaded and saved.
import type { EpochMs } from '../model';

/** Whose cache: one file (or entry) per account and region. */
export interface CacheAccount {
  accountId: string;
  region: string;
}

/**
 * One account's cache: by section (`flows`, `calls`, `callRows`, `management`, `metrics`), by key within it (`<flow log
 * id> <eni id>`, a session name, an event name, `<function> <metric>`), by hour (its start, epoch ms, as a decimal string).
 * An hour that is present was fetched whole, even when its list is empty: an hour that is absent was never fetched.
 */
export interface HourCacheData {
  version: 1;
  accountId: string;
  region: string;
  sections: Record<string, Record<string, Record<string, unknown[]>>>;
  /** Per section, the earliest hour a scan of the last days asked for: hours before the oldest in use are dropped. */
  inUseFrom?: Record<string, EpochMs>;
}

/** What loading found: the data, or none (no file yet), or a warning when a file was there but could not be used. */
export interface LoadedCache {
  data?: HourCacheData;
  /** `the cache file X is unreadable (...): rebuilt from AWS` — the scan says it and goes on without it. */
  warning?: string;
}

export interface HourCacheStore {
  /** Where the cache is kept, for messages: a directory or file path. */
  readonly location: string;
  load(account: CacheAccount): Promise<LoadedCache>;
  /**
   * Saves the account's cache atomically. Another process may have saved since `load`: the store merges with what is
   * there now (`mergeCacheData`), so that two windows each keep the other's hours. Failures are the store's to log: a
   * cache that cannot be written costs only money next time.
   */
  save(account: CacheAccount, data: HourCacheData): Promise<void>;
}
